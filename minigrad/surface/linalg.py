"""``minigrad.linalg``: vector and Frobenius norms, as ``torch.linalg`` computes them."""

from __future__ import annotations

import math
from typing import Any

from minigrad.tensor import Tensor


def vector_norm(x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """(sum |x|^ord)^(1/ord) over ``dim`` (all dims by default); inf is max |x|."""
    return x.norm(ord, dim, keepdim, dtype=dtype)


def matrix_norm(x: Tensor, ord: Any = "fro", dim: tuple[int, int] = (-2, -1),
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The Frobenius norm of the matrices over ``dim`` (the last two by default); 1 and inf
    are the largest column and row sums of |x|."""
    if ord == "fro":
        return x.norm(2, dim, keepdim, dtype=dtype)
    if ord in (1, -1, math.inf, -math.inf):
        sums = x.abs().sum(dim=dim[0] if ord in (1, -1) else dim[1], keepdim=True)
        pick = sums.amax if ord > 0 else sums.amin
        out = pick(dim=dim[1] if ord in (1, -1) else dim[0], keepdim=True)
        return out if keepdim else out.squeeze(dim)
    raise NotImplementedError(f"minigrad's matrix_norm supports ord 'fro', 1, -1, inf and "
                              f"-inf (others need an SVD), got {ord!r}")


def norm(x: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """torch.linalg.norm: a vector norm, or with a matrix ord (or a 2-D x and no dim) a
    matrix norm."""
    if isinstance(ord, str) or (ord is not None and dim is not None and not isinstance(
            dim, int) and len(dim) == 2) or (ord is not None and dim is None and x.ndim == 2):
        return matrix_norm(x, "fro" if ord is None else ord, dim or (-2, -1), keepdim,
                           dtype=dtype)
    return vector_norm(x, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


__all__ = ["matrix_norm", "norm", "vector_norm"]
