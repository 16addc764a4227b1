"""Tensor: an array on a device, with the gradient bookkeeping of reverse-mode autograd.

Every operator and method is a one-liner onto an op in ``minigrad.ops``; the ops hold the math.
This file holds the core a student steps through (creation, autograd, arithmetic, the math and
shape ops of the course); PyTorch's wider surface (in-place forms, conversions and interop,
more comparisons, rounding, sorting, ...) is the base class ``TensorMethods`` in
``minigrad/surface/methods.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, cast

import numpy as np

from minigrad import autograd, ops
from minigrad.backends import Backend, as_device, device, layout
from minigrad.extras import inplace
from minigrad.extras.hooks import RemovableHandle
from minigrad.runtime import dtypes, grad_mode
from minigrad.runtime.grad_mode import no_grad
from minigrad.surface import methods

DeviceLike = str | device | None
DTypeLike = Any


class Size(tuple):
    """A tensor's shape: a tuple that prints as PyTorch's ``torch.Size([2, 3])``."""

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        return math.prod(self)

    def __getitem__(self, key: Any) -> Any:
        """A dim's size, or for a slice a Size (``x.shape[1:].numel()``, as torch)."""
        item = tuple.__getitem__(self, key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other: Any) -> Size:
        return Size(tuple.__add__(self, other))

    def __radd__(self, other: Any) -> Size:
        return Size(tuple.__add__(tuple(other), self))

    def __repr__(self) -> str:
        return f"minigrad.Size({list(self)})"


def host_array(data: Any, dtype: dtypes.dtype | None) -> np.ndarray:
    """Nested lists, scalars or arrays as a NumPy array with PyTorch's dtype inference."""
    from_python = not isinstance(data, (np.ndarray, np.generic))
    try:
        a = np.array(data, copy=True)
    except (ValueError, TypeError):  # ragged lists, and what NumPy can't take
        raise data_error(data) from None
    if from_python and a.dtype.kind not in "biuf":  # None, strings, objects, huge ints
        raise data_error(data)
    if dtype is None:
        kind = a.dtype.kind
        if kind == "f" and from_python:
            dtype = dtypes.default_float
        elif kind in "iu" and from_python:
            dtype = dtypes.default_int
        elif a.dtype.name in dtypes.BY_NAME:
            dtype = dtypes.BY_NAME[a.dtype.name]
        else:
            raise TypeError(
                f"can't convert {a.dtype} data to a tensor; minigrad has "
                f"{', '.join(d.name for d in dtypes.ALL)}")
    return a.astype(dtype.name, copy=False)


_dim_alias = ops.promotion.dim_alias


class View(NamedTuple):
    """What a view remembers: its base (the tensor whose memory it shares), the view ops that
    made it from the base (to replay), the base's version its history was made at, and
    whether it was made with grad mode on (only such views are given a new history)."""

    base: Tensor
    steps: tuple
    version: int
    in_grad_mode: bool


class Tensor(methods.TensorMethods):
    """A multi-dimensional array on a device that can record the ops applied to it."""

    __slots__ = ("_data", "_device", "_version_counter", "__dict__", "__weakref__")
    # Set on the tensors that have them (a leaf that requires grad, an op's output in a graph)
    _requires_grad = False
    _grad: Tensor | None = None  # .grad, set by backward (checked when set by hand)
    grad_fn: autograd.Function | None = None  # the node that made it, in a recorded graph
    # PyTorch's bookkeeping, set only on the tensors that use it (minigrad/extras/)
    _hooks: dict[int, Callable] | None = None  # made by register_hook
    _retains_grad = False
    _view: View | None = None  # for a view: its base and how it was made
    __hash__ = object.__hash__  # == is elementwise, so hash by identity (as torch)
    __array_ufunc__ = None  # NumPy defers: np.float64(2) * t calls t.__rmul__, keeping float32

    def __init__(self, data: Any, dtype: DTypeLike = None, device: DeviceLike = None,
                 requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            src = data.detach().to(device=device or data.device, dtype=dtype or data.dtype)
            array, dev = src.backend.xp.asarray(src._data, copy=True), src.device
        else:
            dev = as_device(device)
            d = None if dtype is None else dtypes.to_dtype(dtype)
            array = dev.backend.from_host(host_array(data, d), "tensor")
        self._init(array, dev)
        if requires_grad:
            self.requires_grad = True

    def _init(self, array: Any, dev: device) -> None:
        if isinstance(array, np.generic):  # NumPy returns scalars for 0-d results
            array = np.asarray(array)
        self._data = array
        self._device = dev
        self._version_counter = [0]  # bumped by in-place ops; a view shares its base's

    @classmethod
    def _make(cls, array: Any, dev: device) -> Tensor:
        """Wrap a backend array without copying (no graph, no checks)."""
        t = cls.__new__(cls)
        t._init(array, dev)
        return t

    # ---- attributes ---------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        """The size of each dimension (compares equal to a tuple)."""
        return Size(self._data.shape)

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return len(self._data.shape)

    @property
    def dtype(self) -> dtypes.dtype:
        """The element type, e.g. ``minigrad.float32``."""
        return self._device.backend.dtype_of(self._data)

    @property
    def device(self) -> device:
        """Where the data lives, e.g. ``device(type='cpu')``."""
        return self._device

    @property
    def backend(self) -> Backend:
        """The backend of this tensor's device (its ``xp`` is the array namespace)."""
        return self._device.backend


    @property
    def requires_grad(self) -> bool:
        """Whether ops on this tensor are recorded for backward (a view's, also when only its
        base requires grad, as torch's)."""
        return self._requires_grad or (self._view is not None and self.grad_fn is None
                                       and self._view.base.requires_grad)

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        flag = ops.promotion.as_bool(flag, "requires_grad_", "requires_grad")
        if flag and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients, "
                               f"got {self.dtype}")
        if not flag and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                               "you want to use a computed variable in a subgraph that doesn't "
                               "require differentiation use var_no_grad = var.detach().")
        self._requires_grad = bool(flag)

    @property
    def grad(self) -> Tensor | None:
        """The gradient backward accumulated here (None until then); set by hand, it must be
        a tensor of this one's shape, dtype and device (or None)."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            ops.promotion.check_grad(self, value)
        self._grad = value

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not by a recorded op)."""
        self._renew_if_stale()
        return self.grad_fn is None

    @property
    def data(self) -> Tensor:
        """The same values as a tensor outside the graph (sharing memory)."""
        return Tensor._make(self._data, self._device)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be set to a Tensor, got {type(value).__name__}")
        self._data = value._data  # as torch: the shape, dtype and device may all change
        self._device = value._device

    @property
    def T(self) -> Tensor:  # noqa: N802
        """All dims reversed (the transpose of a matrix)."""
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        """The last two dims swapped (a batch of transposed matrices)."""
        return self.transpose(-2, -1)

    def size(self, dim: int | None = None) -> Size | int:
        """The shape, or the size of one dim."""
        if dim is None:
            return self.shape
        if type(dim) is not int:
            dim = ops.promotion.as_int(dim, "size", "dim")
        if self.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self.shape[ops.promotion.normalize_dim(dim, self.ndim)]

    def dim(self) -> int:
        """The number of dimensions."""
        return self.ndim

    def numel(self) -> int:
        """The number of elements."""
        return self.shape.numel()


    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    # ---- conversions ------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """A host NumPy array of the values (shared with the tensor on the CPU, as torch)."""
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self.backend.to_host(self._data, "numpy")


    def item(self) -> bool | int | float:
        """The value of a one-element tensor as a Python number."""
        return self._item("item")

    def _item(self, what: str) -> bool | int | float:
        """The one value on the host; ``what`` names the transfer (mg.transfer_guard)."""
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        return self.backend.to_host(self._data, what).item()

    def tolist(self) -> Any:
        """The values as nested Python lists (a number for a 0-d tensor)."""
        return self.backend.to_host(self._data, "tolist").tolist()


    def _scalar(self, what: str) -> bool | int | float:
        if self.numel() != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars (got "
                             f"a tensor of shape {list(self.shape)})")
        return self._item(what)


    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.numel()} values is "
                               "ambiguous")
        return bool(self._item("bool"))

    def to(self, *args: Any, dtype: DTypeLike = None, device: DeviceLike = None,
           non_blocking: bool = False, copy: bool = False, memory_format: Any = None) -> Tensor:
        """Move and/or cast: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(other)``.

        Differentiable: the gradient flows back to the original device and dtype.
        """
        if len(args) == 1 and isinstance(args[0], dtypes.dtype) and dtype is device is None \
                and not copy:
            return self._as(args[0])  # (the common case: to(dtype))
        flags = [a for a in args if isinstance(a, bool)]  # to(dtype, non_blocking, copy)
        args = tuple(a for a in args if not isinstance(a, bool))
        copy = copy or (len(flags) > 1 and flags[1])
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, (str, type(self.device))):
                device = a
            else:
                dtype = a
        out = self.clone() if copy else self
        if device is not None:
            target = as_device(device)
            if target != self._device:
                if not target.backend.is_available():
                    raise RuntimeError(f"cannot move a tensor to {target!s}: the {target.type!r} "
                                       f"device is not available ({target.backend.reason})")
                out = ops.ToDevice.apply(out, target=target)
        return out if dtype is None else out._as(dtypes.to_dtype(dtype))

    def _as(self, d: dtypes.dtype) -> Tensor:
        """This tensor in dtype ``d``: itself if it is, else a cast (differentiable to a
        floating-point dtype; an integer result carries no gradient)."""
        if d is self.dtype:
            return self
        if not d.is_floating_point:  # (integers carry no gradient)
            with no_grad():
                return ops.Cast.apply(self, dtype=d)
        return ops.Cast.apply(self, dtype=d)


    def long(self, memory_format: Any = None) -> Tensor:
        """Cast to int64."""
        return self._as(dtypes.int64)



    def contiguous(self, memory_format: Any = None) -> Tensor:
        """This tensor if its memory is laid out row-major, else a row-major copy."""
        return self if self.is_contiguous() else ops.Contiguous.apply(self)

    def is_contiguous(self, memory_format: Any = None) -> bool:
        """Whether the memory is laid out row-major (PyTorch's rule: dims of size 1 aside)."""
        return self._device.backend.is_contiguous(self._data)

    def stride(self, dim: int | None = None) -> tuple[int, ...] | int:
        """The step in elements between neighbours along each dim (or along ``dim``)."""
        strides = self._device.backend.strides(self._data)
        if strides is None:  # (a library that does not say: row-major)
            strides = layout.contiguous_strides(self.shape)
        if dim is None:
            return strides
        return strides[ops.promotion.normalize_dim(dim, max(self.ndim, 1)) if self.ndim else 0]


    # ---- autograd ---------------------------------------------------------------------------
    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (``gradient`` weights it)."""
        autograd.backward(self, gradient, retain_graph, create_graph)

    def detach(self) -> Tensor:
        """The same values outside the graph (sharing memory and the version counter)."""
        t = Tensor._make(self._data, self._device)
        t._version_counter = self._version_counter
        return t

    @property
    def _version(self) -> int:
        """How many times this tensor's memory was changed in place (shared with its views)."""
        return self._version_counter[0]

    @property
    def _base(self) -> Tensor | None:
        """The tensor whose memory this one views (None if it is not a view)."""
        return None if self._view is None else self._view.base

    def _become_view(self, source: Tensor, fn: type, params: dict) -> None:
        """Share the version counter with ``source``, of which ``fn(**params)`` made this a
        view; remember how, to replay it on the base after an in-place change."""
        self._version_counter = source._version_counter
        made = source._view or View(source, (), 0, True)  # (no view: its own base, no steps)
        self._view = View(made.base, made.steps + ((fn, params),), source._version_counter[0],
                          grad_mode.modes.grad and made.in_grad_mode)  # (a no_grad view's too)

    def _renew_view(self) -> None:
        """This view's history, from its base as the base is now (after an in-place change)."""
        inplace.renew_view(self)

    def _renew_if_stale(self) -> None:
        """Renew a view's history if its base changed in place since it was made (torch does
        it whenever the view's grad_fn is asked for)."""
        if self._view is not None and self._view.version != self._version_counter[0]:
            self._renew_view()

    def detach_(self) -> Tensor:
        """Cut this tensor from its graph, in place; it becomes a leaf."""
        if self._view is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        node = self.grad_fn
        if node is not None:  # hooks and a retained .grad stay with the node, as torch's
            node.detached = True
            if self._hooks:
                node.hooks, self._hooks = self._hooks, None
        self.grad_fn = None
        self._requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = requires_grad
        return self

    @property
    def retains_grad(self) -> bool:
        """Whether ``retain_grad()`` was called on this non-leaf tensor."""
        return self._retains_grad

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor during backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:  # a leaf keeps its .grad anyway
            return
        self._renew_if_stale()
        self._retains_grad = True

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        self._renew_if_stale()
        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    # ---- arithmetic -----------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return ops.binary(ops.Add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.binary(ops.Add, self, other, reverse=True)

    def __sub__(self, other: Any) -> Tensor:
        return ops.binary(ops.Sub, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.binary(ops.Sub, self, other, reverse=True)

    def __mul__(self, other: Any) -> Tensor:
        return ops.binary(ops.Mul, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.binary(ops.Mul, self, other, reverse=True)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.binary(ops.Div, self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.binary(ops.Div, self, other, reverse=True)

    def __pow__(self, other: Any) -> Tensor:
        return ops.power(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return ops.binary(ops.Pow, self, other, reverse=True)

    def __matmul__(self, other: Tensor) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Tensor) -> Tensor:
        return ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __abs__(self) -> Tensor:
        return ops.Abs.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def add(self, other: Any, *, alpha: float = 1) -> Tensor:
        """self + alpha * other."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Any, *, alpha: float = 1) -> Tensor:
        """self - alpha * other."""
        return self - (other if alpha == 1 else other * alpha)

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """self / other; ``rounding_mode`` 'trunc' or 'floor' rounds the quotient (as torch)."""
        return ops.elementwise.divide(self, other, rounding_mode)

    mul, pow = __mul__, __pow__
    subtract, multiply, divide, true_divide = sub, mul, div, __truediv__
    matmul = __matmul__
    neg, abs = __neg__, __abs__

    # ---- in place: x.add_(y) and x[key] = v write into x's memory (ops/inplace.py) ----------
    def _inplace(self, compute: Callable[[Tensor], Tensor], *others: Any) -> Tensor:
        return inplace.apply_inplace(self, compute, others)


    def sub_(self, other: Any, *, alpha: float = 1) -> Tensor:
        """self -= alpha * other, in place."""
        return self._inplace(lambda t: t.sub(other, alpha=alpha), other)




    def __setitem__(self, key: Any, value: Any) -> None:
        if _is_scalar_mask(key):
            inplace.setitem(self.unsqueeze(0), key.reshape(1), value)
        else:
            inplace.setitem(self, key, value)


    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        if not isinstance(other, (Tensor, bool, int, float, np.generic)):
            return NotImplemented  # x == None is False, as in Python and torch
        return ops.compare("eq", self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        if not isinstance(other, (Tensor, bool, int, float, np.generic)):
            return NotImplemented
        return ops.compare("ne", self, other)

    def __lt__(self, other: Any) -> Tensor:
        return ops.compare("lt", self, other)


    def __ge__(self, other: Any) -> Tensor:
        return ops.compare("ge", self, other)

    lt, ge = __lt__, __ge__

    def __and__(self, other: Tensor) -> Tensor:
        return ops.logical("and", self, other)

    def __or__(self, other: Tensor) -> Tensor:
        return ops.logical("or", self, other)


    # ---- elementwise ----------------------------------------------------------------------
    def exp(self) -> Tensor:
        """e ** x."""
        return ops.Exp.apply(self._floating())


    def log(self) -> Tensor:
        """Natural logarithm."""
        return ops.Log.apply(self._floating())

    def sqrt(self) -> Tensor:
        """Square root."""
        return ops.Sqrt.apply(self._floating())

    def sin(self) -> Tensor:
        """Sine."""
        return ops.Sin.apply(self._floating())

    def cos(self) -> Tensor:
        """Cosine."""
        return ops.Cos.apply(self._floating())

    def tanh(self) -> Tensor:
        """Hyperbolic tangent."""
        return ops.Tanh.apply(self._floating())

    def sigmoid(self) -> Tensor:
        """1 / (1 + e ** -x) (where e ** -x overflows, the result is the right 0)."""
        return ops.Sigmoid.apply(self._floating())

    def relu(self) -> Tensor:
        """max(x, 0)."""
        return ops.Relu.apply(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        """Limit values to [min, max]; either bound may be None, a number or a tensor."""
        return ops.elementwise.clamp(self, min, max)

    clip = clamp

    def maximum(self, other: Tensor) -> Tensor:
        """Elementwise larger of two tensors."""
        return ops.binary(ops.Maximum, self, other)

    def minimum(self, other: Tensor) -> Tensor:
        """Elementwise smaller of two tensors."""
        return ops.binary(ops.Minimum, self, other)

    def _floating(self) -> Tensor:
        return self if self.dtype.is_floating_point else self._as(dtypes.default_float)

    # ---- reductions (``axis`` is accepted for ``dim``, as torch) -------------------------------
    @_dim_alias
    def sum(self, dim: Any = None, keepdim: bool = False, dtype: DTypeLike = None) -> Tensor:
        """Sum over ``dim`` (int, tuple, or None for all)."""
        return ops.sum(self, dim, keepdim, None if dtype is None else dtypes.to_dtype(dtype))

    @_dim_alias
    def mean(self, dim: Any = None, keepdim: bool = False, dtype: DTypeLike = None) -> Tensor:
        """Mean over ``dim`` (int, tuple, or None for all)."""
        return ops.mean(self if dtype is None else self.to(dtype), dim, keepdim)

    @_dim_alias
    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Largest element, ``(values, indices)`` along ``dim``, or with a tensor the
        elementwise larger of the two (``max(a, b)``)."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return ops.max(self, dim, keepdim)

    @_dim_alias
    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Smallest element, ``(values, indices)`` along ``dim``, or with a tensor the
        elementwise smaller of the two (``min(a, b)``)."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return ops.min(self, dim, keepdim)


    @_dim_alias
    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None) -> Tensor:
        """Variance with Bessel's correction by default (``correction=1``); ``var(False)``
        and ``var(dim, False)`` name ``unbiased`` by position, as torch."""
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        return ops.var(self, dim, unbiased, keepdim, correction=correction)

    @_dim_alias
    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None) -> Tensor:
        """Standard deviation (square root of ``var``, with the same arguments)."""
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        return ops.std(self, dim, unbiased, keepdim, correction=correction)

    @_dim_alias
    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Whether any element is true (non-zero), over ``dim`` or everything (bool)."""
        return ops.reduce.truth(self, "any", dim, keepdim)


    @_dim_alias
    def softmax(self, dim: int, dtype: DTypeLike = None) -> Tensor:
        """exp(x) / sum(exp(x)) along ``dim`` (computed in ``dtype`` if given)."""
        return ops.softmax(self if dtype is None else self.to(dtype), dim)

    @_dim_alias
    def log_softmax(self, dim: int, dtype: DTypeLike = None) -> Tensor:
        """log(softmax(x)) along ``dim``, stable for large inputs."""
        return ops.log_softmax(self if dtype is None else self.to(dtype), dim)


    # ---- shape and movement -----------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """The same values in a new shape (one size may be -1): a view where the memory
        allows one, else a row-major copy."""
        return ops.reshape(self, _sizes(shape, "reshape"))

    def view(self, *shape: Any) -> Tensor:
        """The same memory seen in a new shape (one size may be -1); an error where the
        strides do not allow it (use ``reshape``)."""
        return ops.reshape(self, _sizes(shape, "view"), view=True)


    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dims ``start_dim`` .. ``end_dim``."""
        return ops.flatten(self, start_dim, end_dim)

    def permute(self, *dims: Any) -> Tensor:
        """Reorder dims."""
        if not dims:
            raise TypeError('permute() missing 1 required positional arguments: "dims"')
        return ops.permute(self, _sizes(dims, "permute", "dims"))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap two dims."""
        return ops.transpose(self, dim0, dim1)

    def t(self) -> Tensor:
        """Transpose a matrix (a vector, as a view, stays as it is)."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D")
        return ops.transposed(self) if self.ndim == 2 else self.transpose(0, 0)

    @_dim_alias
    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a dim of size 1."""
        return ops.unsqueeze(self, dim)

    @_dim_alias
    def squeeze(self, dim: Any = None) -> Tensor:
        """Remove dims of size 1."""
        return ops.squeeze(self, dim)

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to a larger shape (-1 keeps a size), without copying."""
        return ops.expand(self, _sizes(sizes, "expand"))


    def __getitem__(self, key: Any) -> Tensor:
        if _is_scalar_mask(key):  # x[True], x[t > 0] of a 0-d t: a new dim of 1 or 0, as torch
            return ops.getitem(self.unsqueeze(0), key.reshape(1))
        return ops.getitem(self, key)

    def gather(self, dim: int, index: Tensor) -> Tensor:
        """Values along ``dim`` at ``index`` (for dim=1: ``out[i][j] = x[i][index[i][j]]``)."""
        return ops.gather(self, dim, index)


    def clone(self, *, memory_format: Any = None) -> Tensor:
        """A copy of the values that stays in the graph."""
        return ops.Cast.apply(self, dtype=self.dtype)

    # ---- printing ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        extras = []
        if self._device.type != "cpu":
            extras.append(f"device='{self._device}'")
        d = self.dtype
        if d is not dtypes.float32 and (d not in (dtypes.int64, dtypes.bool_) or self.numel() == 0):
            extras.append(f"dtype={d!r}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        body = format_values(self.backend.to_host(self._data, "repr"), indent=len("tensor("))
        if self.numel() == 0:
            body = "[]" if self.ndim == 1 else f"size={tuple(self.shape)}"
        return "tensor(" + ", ".join([body, *extras]) + ")"

    __str__ = __repr__


def _is_scalar_mask(key: Any) -> bool:
    return isinstance(key, Tensor) and key.ndim == 0 and key.dtype is dtypes.bool_


def _sizes(args: tuple, fn: str, arg: str = "size") -> tuple[int, ...]:
    """Sizes (or dims) given as ``f(2, 3)`` or ``f((2, 3))`` or ``f([2, 3])``, as ints; else
    torch's TypeError naming ``fn`` and ``arg``."""
    return ops.promotion.size_arg(args, fn, arg)


def data_error(data: Any) -> Exception:
    """What torch.tensor raises for nested Python data that is not a tensor's: a string, a
    value without a dtype (None, an object), sequences of uneven lengths, a number where a
    sequence should be (or the other way round), an int beyond int64. Found by walking the
    data as torch does: the sizes from the first elements, then the type of every value, then
    every sequence against the sizes."""
    if isinstance(data, (str, bytes)):
        return TypeError(f"new(): invalid data type '{type(data).__name__}' (got {data!r})")
    sizes, first = [], data
    while _is_sequence(first):
        sizes.append(len(first))
        if not len(first):
            break
        first = first[0]
        if isinstance(first, (str, bytes)):
            return ValueError(f"too many dimensions '{type(first).__name__}': a string is not "
                              f"a number (got {first!r} at dim {len(sizes)})")
    for value in _leaves(data):
        if isinstance(value, (str, bytes)):
            return TypeError(f"new(): invalid data type '{type(value).__name__}' (got "
                             f"{value!r})")
        if isinstance(value, complex):
            return TypeError(f"can't convert complex data to a tensor: minigrad has no complex "
                             f"dtype (got {value!r})")
        if not isinstance(value, (bool, int, float, np.number, np.bool_, Tensor)):
            return RuntimeError(f"Could not infer dtype of {type(value).__name__} (got "
                                f"{value!r})")
        if isinstance(value, int) and not -2 ** 63 <= value < 2 ** 63:
            return ValueError(f"Overflow when unpacking long long: {value} does not fit in "
                              "int64")
    found = _uneven(data, sizes, 0)
    return found or TypeError(f"can't convert {type(data).__name__} to a tensor: {data!r}")


def _is_sequence(x: Any) -> bool:
    return isinstance(x, (list, tuple, range)) or (
        isinstance(x, (np.ndarray, Tensor)) and x.ndim > 0)


def _leaves(data: Any) -> Iterator[Any]:
    if _is_sequence(data) and not isinstance(data, (np.ndarray, Tensor)):
        for item in data:
            yield from _leaves(item)
    elif not _is_sequence(data):
        yield data


def _uneven(seq: Any, sizes: list[int], dim: int) -> Exception | None:
    """torch's error for the first sequence (or value) that does not fit ``sizes``."""
    if dim == len(sizes):
        if _is_sequence(seq):
            return TypeError(f"'{type(seq).__name__}' object cannot be interpreted as a number: "
                             f"expected a number at dim {dim} (got {seq!r})")
        return None
    if not _is_sequence(seq):
        return TypeError(f"not a sequence: expected a sequence of length {sizes[dim]} at dim "
                         f"{dim} (got {seq!r})")
    if len(seq) != sizes[dim]:
        return ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got "
                          f"{len(seq)})")
    return next((e for e in (_uneven(item, sizes, dim + 1) for item in seq) if e), None)


def format_values(a: np.ndarray, indent: int) -> str:
    """Values as PyTorch prints them: floats with 4 decimals (or ``1.`` when all integral)."""
    if a.dtype.kind == "f":
        finite = np.abs(a[np.isfinite(a)]).astype(np.float64)
        big = finite.max() if finite.size else 0.0
        small = finite[finite > 0].min() if (finite > 0).any() else 0.0
        if finite.size and np.all(finite == np.round(finite)) and big < 1e8:
            def fmt(v: float) -> str:
                return f"{v:.0f}." if np.isfinite(v) else str(v)
        elif big >= 1e8 or (small and small < 1e-4) or (small and big / small > 1e3 and
                                                         big >= 1e3):
            def fmt(v: float) -> str:
                return f"{v:.4e}"
        else:
            def fmt(v: float) -> str:
                return f"{v:.4f}"
        width = max((len(fmt(v)) for v in a.flat), default=0)
        formatter = {"float_kind": lambda v: fmt(v).rjust(width)}
    else:
        formatter = {"bool": lambda v: str(bool(v)).rjust(5 if a.size > 1 and not a.all()
                                                           and a.any() else 0)}
    return np.array2string(a, separator=", ", prefix=" " * indent,
                           formatter=cast(Any, formatter), threshold=1000, edgeitems=3)


autograd._Tensor = Tensor
