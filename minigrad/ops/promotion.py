"""Type promotion and broadcasting: which dtype and shape a binary op computes in; and the
checks of Python arguments (ints, bools, sizes) that every op shares.

PyTorch's rules, not NumPy's: a Python scalar or a 0-d tensor does not widen a dimensioned
tensor of the same kind (``float32 * 2.0`` and ``float32 * tensor(2.0, dtype=float64)`` stay
float32), and shapes broadcast as NumPy's, with an error naming both shapes when they clash.
An argument of the wrong type gets PyTorch's TypeError, naming the function, the argument and
the value, before it can reach the array library.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.autograd import is_tensor, make_tensor
from minigrad.runtime import dtypes

if TYPE_CHECKING:
    from minigrad.tensor import Tensor


def as_tensor_like(value: Any, like: Tensor, dtype: dtypes.dtype | None = None) -> Tensor:
    """A Python scalar as a 0-d tensor on ``like``'s device (dtype: ``like``'s by default)."""
    d = dtype or like.dtype
    xp = like.backend.xp
    return make_tensor(xp.asarray(value, dtype=like.backend.dtype(d)), like.device)


def host_values(t: Tensor, what: str) -> np.ndarray:
    """The values of ``t`` on the host, for one of minigrad's own checks (a loss's targets):
    from a device an internal transfer, which ``mg.transfer_guard`` counts as ``what``."""
    return t.backend.to_host(t._data, what, "internal")


def result_type(a: Tensor, b: Tensor) -> dtypes.dtype:
    """PyTorch's promotion: a 0-d tensor does not widen a dimensioned one of the same kind."""
    da, db = a.dtype, b.dtype
    if da is db:
        return da
    if (a.ndim == 0) != (b.ndim == 0):
        dim_d, zero_d = (da, db) if b.ndim == 0 else (db, da)
        if dtypes.category(zero_d) <= dtypes.category(dim_d):
            return dim_d
        return zero_d
    return dtypes.promote_types(da, db)


def result_with_scalar(d: dtypes.dtype, value: Any) -> dtypes.dtype:
    """The dtype of ``tensor <op> scalar``: the tensor's, unless the scalar is of a higher kind."""
    if d.is_floating_point and isinstance(value, (bool, int, float)):
        return d  # (no Python number is of a higher kind than floating point)
    s = dtypes.scalar_dtype(value)
    if dtypes.category(s) <= dtypes.category(d):
        return d
    return s  # int tensor * 2.5 -> float32; bool tensor + 1 -> int64


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast of several shapes, or an error naming the sizes and shapes that clash."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:  # which sizes clash, for the message
        pass
    ndim = max(len(s) for s in shapes)
    out = []
    for i in range(-ndim, 0):
        size = 1
        for s in shapes:
            n = s[i] if -i <= len(s) else 1
            if n != 1 and size != 1 and n != size:
                raise RuntimeError(
                    f"The size of tensor a ({size}) must match the size of tensor b ({n}) at "
                    f"non-singleton dimension {ndim + i}: shapes "
                    + " and ".join(str(tuple(x)) for x in shapes)
                )
            size = n if n != 1 else size
        out.append(size)
    return tuple(out)


def promote(a: Tensor, b: Any, float_result: bool = False, elementwise: bool = True
            ) -> tuple[Tensor, Tensor]:
    """Both operands as tensors of one dtype (PyTorch's rules); if ``elementwise``, checks
    that their shapes broadcast."""
    if not is_tensor(b) and getattr(b, "shape", None) == ():  # a NumPy scalar: as Python's
        b = b.item()
    if isinstance(b, (bool, int, float)):
        d = result_with_scalar(a.dtype, b)
        if float_result and not d.is_floating_point:
            d = dtypes.default_float
        b = as_tensor_like(b, a, d)
    elif not is_tensor(b):
        raise TypeError(
            f"unsupported operand type {type(b).__name__} for a Tensor op; expected a Tensor "
            f"or a Python number (wrap arrays with minigrad.tensor(...))")
    else:
        d = result_type(a, b)
        if float_result and not d.is_floating_point:
            d = dtypes.default_float
        if elementwise and a.shape != b.shape:
            broadcast_shapes(a.shape, b.shape)
    if a.dtype is not d:
        a = a.to(d)
    if b.dtype is not d:
        b = b.to(d)
    return a, b


# ---- argument checks: PyTorch's TypeError for an argument of the wrong type -----------------
def type_name(value: Any) -> str:
    """A value's type as torch's messages name it: ``float``, ``list``, ``Tensor``."""
    return "Tensor" if is_tensor(value) else type(value).__name__


def _called(fn: str) -> str:
    return f"{fn}(): " if fn else ""


def as_int(value: Any, fn: str, arg: str) -> int:
    """An int argument (a Python or NumPy int, or a one-element integer tensor) as an int, or
    torch's TypeError naming the function, the argument and the value (a bool is no int)."""
    if type(value) is int:
        return value
    if not isinstance(value, (bool, np.bool_)):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise TypeError(f"{_called(fn)}argument '{arg}' must be int, not {type_name(value)} "
                    f"(got {value!r})")


def as_bool(value: Any, fn: str, arg: str) -> bool:
    """A bool argument (``keepdim``, ``requires_grad``...), or torch's TypeError: 1 is no bool."""
    if value is True or value is False:
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"{_called(fn)}argument '{arg}' must be bool, not {type_name(value)} "
                    f"(got {value!r})")


_INT = {int}


def as_ints(values: Any, fn: str, arg: str) -> tuple[int, ...]:
    """A sequence of ints (sizes, dims) as a tuple, or torch's TypeError naming the function,
    the argument and the first element that is not an int (in a sequence, as in torch, a bool
    counts as 0 or 1)."""
    try:
        given = values if type(values) in (tuple, list) else tuple(values)  # (a generator...)
        if {*map(type, given)} <= _INT:  # the common case, at the cost of one look per value
            return tuple(given)
        return tuple(map(operator.index, given))  # NumPy ints, one-element int tensors
    except TypeError:
        pass
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise TypeError(f"{_called(fn)}argument '{arg}' must be tuple of ints, not "
                        f"{type_name(values)} (got {values!r})")
    pos, bad = next(((i, v) for i, v in enumerate(values) if not _is_index(v)), (0, values))
    raise TypeError(f"{_called(fn)}argument '{arg}' must be tuple of ints, but found element of "
                    f"type {type_name(bad)} at pos {pos} (got {list(values)!r})")


def _is_index(value: Any) -> bool:
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


def size_arg(args: tuple, fn: str, arg: str = "size") -> tuple[int, ...]:
    """The sizes (or dims) of ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])`` as a tuple of ints,
    or torch's TypeError naming ``fn``, ``arg`` and the value."""
    if not args:  # x.view(), mg.zeros(): a size must be given, even for a 0-d tensor (())
        raise TypeError(f'{fn}() missing 1 required positional arguments: "{arg}"')
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return as_ints(args[0], fn, arg)
    if len(args) == 1 and (isinstance(args[0], (bool, np.bool_)) or not _is_index(args[0])):
        raise TypeError(f"{_called(fn)}argument '{arg}' (position 1) must be tuple of ints, not "
                        f"{type_name(args[0])} (got {args[0]!r})")
    return as_ints(args, fn, arg)


Dim = int | tuple[int, ...] | list[int] | None


def normalize_dim(dim: int, ndim: int, arg: str = "dim") -> int:
    """A dim in [-ndim, ndim) as a non-negative index, or PyTorch's error (a 0-d tensor has
    dims 0 and -1, itself); ``arg`` names the argument in the error for a dim that is no int."""
    if type(dim) is not int:
        dim = as_int(dim, "", arg)
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not lo <= dim <= hi:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})"
        )
    return dim % ndim if ndim else 0


def normalize_dims(dim: Dim, ndim: int) -> tuple[int, ...]:
    """``dim`` as a sorted tuple of non-negative axes (all axes for None or (), as torch)."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if type(dim) is int else as_dims(dim)
    if not dims:
        return tuple(range(ndim))
    normalized = [normalize_dim(d, ndim) for d in dims]
    axes = tuple(sorted(set(normalized)))
    if len(axes) != len(normalized):
        repeated = next(d for d in normalized if normalized.count(d) > 1)
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    return axes if ndim else ()


def as_dims(dim: Any) -> tuple[int, ...]:
    """An int or a sequence of ints given as ``dim``, as a tuple, or torch's TypeError."""
    if isinstance(dim, (tuple, list)):
        return as_ints(dim, "", "dim")
    if isinstance(dim, (bool, str)) or dim is None or not hasattr(dim, "__index__"):
        raise TypeError(f"argument 'dim' must be int or tuple of ints, not {type_name(dim)} "
                        f"(got {dim!r})")
    return (as_int(dim, "", "dim"),)


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of a reduction over ``axes`` with ``keepdim=True``."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def new_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of a tensor about to be made, or torch's error for a negative size."""
    for n in shape:
        if n < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {n}: {list(shape)}")
    return shape


def as_number(value: Any, fn: str, arg: str) -> Any:
    """A Python number argument (``fill_value``, a bound), or torch's TypeError."""
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    if is_tensor(value) and value.numel() == 1:
        return value.item()
    raise TypeError(f"{_called(fn)}argument '{arg}' must be Number, not {type_name(value)} "
                    f"(got {value!r})")


def as_tensor_arg(value: Any, fn: str, arg: str, position: int = 1) -> Tensor:
    """A tensor argument, or torch's TypeError naming what was passed instead."""
    if not is_tensor(value):
        raise TypeError(f"{_called(fn)}argument '{arg}' (position {position}) must be Tensor, "
                        f"not {type_name(value)}")
    return value


def check_grad(t: Tensor, grad: Any) -> None:
    """A gradient assigned to ``t.grad`` by hand: a tensor of t's shape, dtype and device."""
    if not is_tensor(grad):
        raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                        f"{type_name(grad)}")
    if grad.device != t.device:
        raise RuntimeError(f"attempting to assign a gradient on device {grad.device} to a "
                           f"tensor on device {t.device}")
    if grad.dtype is not t.dtype:
        raise RuntimeError(f"attempting to assign a gradient with dtype {grad.dtype.name} to a "
                           f"tensor with dtype {t.dtype.name}. The gradient must match the "
                           "tensor's dtype")
    if grad.shape != t.shape:
        raise RuntimeError(f"attempting to assign a gradient of size '{list(grad.shape)}' to a "
                           f"tensor of size '{list(t.shape)}'. Please ensure that the gradient "
                           "and the tensor are the same size")


def dim_alias(method: Callable) -> Callable:
    """Accept numpy's ``axis=`` for ``dim=`` on a Tensor method, as torch does."""
    @functools.wraps(method)
    def with_axis(self: Any, *args: Any, axis: Any = None, **kwargs: Any) -> Any:
        if axis is not None:
            kwargs["dim"] = axis
        return method(self, *args, **kwargs)
    return with_axis
