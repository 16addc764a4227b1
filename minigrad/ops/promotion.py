"""Type promotion and broadcasting: which dtype and shape a binary op computes in.

PyTorch's rules, not NumPy's: a Python scalar or a 0-d tensor does not widen a dimensioned
tensor of the same kind (``float32 * 2.0`` and ``float32 * tensor(2.0, dtype=float64)`` stay
float32), and shapes broadcast as NumPy's, with an error naming both shapes when they clash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minigrad import dtypes
from minigrad.autograd import is_tensor, make_tensor

if TYPE_CHECKING:
    from minigrad.tensor import Tensor


def as_tensor_like(value: Any, like: Tensor, dtype: dtypes.dtype | None = None) -> Tensor:
    """A Python scalar as a 0-d tensor on ``like``'s device (dtype: ``like``'s by default)."""
    d = dtype or like.dtype
    xp = like.backend.xp
    return make_tensor(xp.asarray(value, dtype=like.backend.dtype(d)), like.device)


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


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast of several shapes, or an error naming the sizes and shapes that clash."""
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
        d = dtypes.result_with_scalar(a.dtype, b)
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
