"""Sorting: sort, argsort and topk. The indices come from the backend's argsort (no
gradient); the values are a gather at those indices, so the gradient goes back to where each
value came from."""

from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING, Any

from minigrad.autograd import make_tensor
from minigrad.ops.movement import gather_in_range
from minigrad.ops.promotion import as_int, normalize_dim
from minigrad.runtime import dtypes

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

sort_result = namedtuple("sort_result", ["values", "indices"])  # as torch.return_types.sort
topk_result = namedtuple("topk_result", ["values", "indices"])


def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False
            ) -> Tensor:
    """The indices that sort ``x`` along ``dim`` (ties in their original order)."""
    if x.ndim == 0:  # a scalar's dims 0 and -1 are itself
        normalize_dim(dim, 0)
        return make_tensor(x.backend.xp.zeros((), dtype=x.backend.dtype(dtypes.int64)),
                           x.device)
    order = x.backend.argsort(x._data, normalize_dim(dim, x.ndim), descending)
    return make_tensor(order, x.device)


def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """``(values, indices)``: x sorted along ``dim``, and where each value came from."""
    if x.ndim == 0:
        return sort_result(x.clone(), argsort(x, dim))
    index = argsort(x, dim, descending)
    return sort_result(gather_in_range(x, normalize_dim(dim, x.ndim), index), index)


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """``(values, indices)`` of the k largest (or smallest) elements along ``dim``."""
    k = as_int(k, "topk", "k")
    d = normalize_dim(dim, max(x.ndim, 1))
    size = x.shape[d] if x.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"selected index k out of range (k={k}, dim {d} has size {size})")
    if x.ndim == 0:
        return topk_result(x.clone(), argsort(x))
    index = argsort(x, d, descending=largest)
    index = make_tensor(index._data[(slice(None),) * d + (slice(0, k),)], x.device)
    return topk_result(gather_in_range(x, d, index), index)
