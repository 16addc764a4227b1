"""Tensors whose shape is not known yet (torch.nn.parameter's UninitializedBuffer, and the
base of ``nn.UninitializedParameter``): what Lazy modules (minigrad/nn/lazy.py) hold until
their first forward. They have a dtype and a device, no values: every op reads a tensor's
array, and here that read is torch's ValueError; ``materialize`` gives them a shape and makes
them the plain class, the same object."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from minigrad.factory import empty
from minigrad.runtime import dtypes
from minigrad.tensor import Tensor

__all__ = ["UninitializedBuffer"]


def _refuse(self: Any) -> Any:
    raise ValueError(
        f"Attempted to use an uninitialized parameter ({type(self).__name__}). This error "
        "happens when you are using a `LazyModule` or explicitly manipulating "
        "`nn.parameter.UninitializedParameter` objects. When using LazyModules Call `forward` "
        "with a dummy batch to initialize the parameters before calling minigrad functions")


def _no_shape(self: Any) -> Any:
    raise RuntimeError(
        "Can't access the shape of an uninitialized parameter or buffer. This error usually "
        "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
        "initialized one. Call `forward` to initialize the parameters before accessing their "
        "attributes.")


if TYPE_CHECKING:  # (to a type checker the mixin's base is the Tensor it is mixed into)
    _TensorBase = Tensor
else:
    _TensorBase = object


class _Uninitialized(_TensorBase):
    """What UninitializedParameter and UninitializedBuffer share: a dtype and a device, no
    values (reading them, in any op, is torch's ValueError), no shape until ``materialize``."""

    __slots__ = ()
    cls_to_become: type[Tensor] = Tensor
    _uninitialized = True  # (load_state_dict skips one loaded into another)
    # every op reads a tensor's array: here that is the error (Tensor._data: the slot's
    # descriptor)
    _data = property(_refuse, lambda self, array: cast(Any, Tensor)._data.__set__(self, array))
    shape = property(_no_shape)
    numel = _refuse
    size = cast(Any, _no_shape)  # (not Tensor.size's signature: calling it is the error)

    if TYPE_CHECKING:  # (the subclasses' __init__)
        def __init__(self, requires_grad: bool = ..., device: Any = None, dtype: Any = None
                     ) -> None: ...

    def _start(self, device: Any, dtype: Any, requires_grad: bool) -> None:
        from minigrad.backends import as_device  # (the default device, as factories use)
        self._init(None, as_device(device))
        self.__dict__["_lazy_dtype"] = dtypes.to_dtype(dtype) if dtype else \
            dtypes.default_float
        self._requires_grad = requires_grad

    @property
    def dtype(self) -> Any:
        """The dtype the values will have."""
        return self.__dict__["_lazy_dtype"]

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give this tensor ``shape`` (values not initialized) and make it the plain class."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        values = empty(shape, device=device or self.device, dtype=dtype or self.dtype)
        del self.__dict__["_lazy_dtype"]
        self.__class__ = self.cls_to_become
        self.data = values

    @property
    def data(self) -> Any:
        """Itself (there are no values to share); ``m.to(...)`` sets it to another
        uninitialized tensor, whose dtype and device it takes."""
        return self

    @data.setter
    def data(self, value: Any) -> None:
        if isinstance(value, _Uninitialized):
            self.__dict__["_lazy_dtype"], self._device = value.dtype, value._device
        else:  # values: materialized as they are
            del self.__dict__["_lazy_dtype"]
            self.__class__ = self.cls_to_become
            self.data = value

    def to(self, *args: Any, device: Any = None, dtype: Any = None, **kwargs: Any) -> Any:
        """An uninitialized tensor of the same kind on ``device`` with ``dtype``."""
        for a in args:
            if isinstance(a, dtypes.dtype):
                dtype = a
            else:
                device = a
        return type(self)(requires_grad=self.requires_grad, device=device or self.device,
                          dtype=dtype or self.dtype)

    def detach(self) -> Any:
        """A new uninitialized tensor of the same dtype and device (a state_dict's entry)."""
        return type(self)(requires_grad=False, device=self.device, dtype=self.dtype)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer whose shape is not known yet (a Lazy batch norm's running statistics)."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None
                 ) -> None:
        self._start(device, dtype, requires_grad)
