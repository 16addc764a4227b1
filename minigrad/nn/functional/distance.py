"""Lengths and angles of vectors: normalize (to unit p-norm) and cosine_similarity."""

from __future__ import annotations

from minigrad import ops
from minigrad.ops.promotion import broadcast_shapes, result_type
from minigrad.tensor import Tensor


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``: each vector scaled to p-norm 1 (a zero vector stays
    zero).

    Shape: input (*), output (*), the same.
    """
    if out is not None:
        raise TypeError("normalize(): minigrad has no out= argument; use the result")
    _floating(input)
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along ``dim``: the cosine of the
    angle between the vectors, in [-1, 1].

    torch's formula: each vector is divided by its norm first (no overflow in <x1, x2>), and
    the norm is clamped outside the graph, so the gradient flows through the unclamped norm.
    Shape: x1 and x2 broadcast to (*, D, *); output the broadcast shape without ``dim``.
    """
    dtype = result_type(x1, x2)
    if not dtype.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{dtype.torch_name}")
    x1, x2 = (x if x.is_floating_point() else x.to(dtype) for x in (x1, x2))
    shape = broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = x1.expand(shape), x2.expand(shape)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """||x|| along ``dim`` (kept), raised to ``eps`` as torch's in-place clamp under no_grad:
    the value is eps, the gradient the norm's own."""
    norm = x.norm(2, dim, keepdim=True)
    return ops.where(norm >= eps, norm, (norm - norm.detach()) + eps)


# ---- argument checks ---------------------------------------------------------------------------
def _floating(input: Tensor) -> None:
    """The norm is for floating-point tensors, as torch's linalg.vector_norm."""
    if not input.is_floating_point():
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {input.dtype.torch_name}")
