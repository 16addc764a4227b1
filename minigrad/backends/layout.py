"""Memory layouts as PyTorch has them: which results are contiguous, and when a view is one.

PyTorch decides the layout of every result, and its users see it: ``view`` works only where
the strides allow it, ``is_contiguous()`` tells, a write through a view reaches the base. An
array library chooses its own layouts (NumPy keeps a reduction's input order, lays advanced
indexing out its own way, and follows all operands of an elementwise op where PyTorch
follows the first one that decides), so minigrad re-lays a result out the way PyTorch would
have where the two differ:

* an elementwise result (``Function.layout = "elementwise"``) in the order of PyTorch's
  TensorIterator: dims sorted by the strides of the inputs, the first input with distinct
  non-zero strides deciding, broadcast (stride 0) dims ambiguous;
* any other result that is not a view, row-major (contiguous).

A fast twin keeps the layout it chose (the batch-innermost images of minigrad.fast): those
are minigrad's own, as a ``channels_last`` tensor is PyTorch's. Strides are counted in
elements, as ``Tensor.stride()`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def contiguous_strides(shape: Sequence[int]) -> tuple[int, ...]:
    """The strides of a row-major array of ``shape``."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def is_contiguous(shape: Sequence[int], strides: Sequence[int]) -> bool:
    """PyTorch's rule: row-major, ignoring the strides of dims of size 1; empty is contiguous."""
    step = 1
    for n, s in zip(reversed(shape), reversed(strides)):
        if n == 0:
            return True
        if n != 1:
            if s != step:
                return False
            step *= n
    return True


def internal_overlap(shape: Sequence[int], strides: Sequence[int]) -> bool:
    """Whether two elements share one memory location (a broadcast dim: stride 0, size > 1;
    an empty array has no elements to share)."""
    return 0 not in shape and any(s == 0 and n > 1 for n, s in zip(shape, strides))


def significant_strides(shape: Sequence[int], strides: Sequence[int]) -> tuple[int, ...]:
    """The strides that matter: those of dims longer than 1 (a dim of size 1 is never
    stepped, so two layouts that differ only there are the same)."""
    return tuple(s for n, s in zip(shape, strides) if n != 1)


def is_dense(shape: Sequence[int], strides: Sequence[int]) -> bool:
    """Whether the elements fill a block of memory without gaps or overlap, in some order of
    the dims (PyTorch's ``is_non_overlapping_and_dense``)."""
    step = 1
    for n, s in sorted(((n, s) for n, s in zip(shape, strides) if n != 1),
                       key=lambda d: d[1]):
        if s != step:
            return False
        step *= n
    return True


def broadcast_strides(shape: Sequence[int], strides: Sequence[int], out: Sequence[int]
                      ) -> tuple[int, ...]:
    """An operand's strides seen from the output's shape: 0 where it is broadcast."""
    lead = len(out) - len(shape)
    return (0,) * lead + tuple(0 if n == 1 and m != 1 else s
                               for n, s, m in zip(shape, strides, out[lead:]))


def iterator_order(shape: Sequence[int], operands: Sequence[Sequence[int]]) -> list[int]:
    """The dims from innermost to outermost, as PyTorch's TensorIterator orders them for an
    output of ``shape`` from operands with these (broadcast) strides: an insertion sort in
    which the first operand whose strides of two dims are both non-zero and distinct decides,
    and where none does the two keep their row-major order."""
    def should_swap(d0: int, d1: int) -> int:
        for strides in operands:
            s0, s1 = strides[d0], strides[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return 1 if s0 > s1 else -1
            if shape[d0] > shape[d1]:  # equal strides: the larger dim goes outside
                return 1
        return 0

    perm = list(reversed(range(len(shape))))
    for i in range(1, len(shape)):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return perm


def strides_in_order(shape: Sequence[int], perm: Sequence[int]) -> tuple[int, ...]:
    """The strides of a dense array whose dims lie in memory in ``perm`` (innermost first)."""
    strides = [0] * len(shape)
    step = 1
    for d in perm:
        strides[d] = step
        step *= max(shape[d], 1)
    return tuple(strides)


def same_layout(shape: Sequence[int], a: Sequence[int], b: Sequence[int]) -> bool:
    """Whether two stride tuples lay out ``shape`` alike (dims of size 1 do not count)."""
    return all(n <= 1 or x == y for n, x, y in zip(shape, a, b))


def relaid(xp: Any, result: Any, perm: Sequence[int]) -> Any:
    """``result``'s values in a fresh array whose dims lie in memory in ``perm``."""
    outer_first = list(reversed(perm))
    shape = tuple(result.shape)
    inverse = [0] * len(perm)
    for i, d in enumerate(outer_first):
        inverse[d] = i
    out = xp.permute_dims(xp.empty(tuple(shape[d] for d in outer_first), dtype=result.dtype),
                          tuple(inverse))
    out[...] = result
    return out


def index_operands(shape: Sequence[int], strides: Sequence[int], key: Sequence[Any],
                   out: Sequence[int], index_strides: Sequence[Sequence[int]]
                   ) -> list[tuple[int, ...]] | None:
    """The operands PyTorch's advanced indexing iterates over, seen from the result's shape
    ``out``: the source restrided (its strides in the sliced dims, 0 in the indexed ones),
    then each index array (its strides in the indexed dims, 0 elsewhere); for a key of
    slices and adjacent index arrays (else None: the result stays row-major)."""
    if any(k is None or isinstance(k, int) for k in key):
        return None
    parts = list(key)
    if any(k is Ellipsis for k in parts):
        i = next(i for i, k in enumerate(parts) if k is Ellipsis)
        parts[i:i + 1] = [slice(None)] * (len(shape) - (len(parts) - 1))
    parts += [slice(None)] * (len(shape) - len(parts))
    where = [i for i, k in enumerate(parts) if not isinstance(k, slice)]
    if not where or where != list(range(where[0], where[0] + len(where))):
        return None
    first, n = where[0], len(out) - (len(shape) - len(where))  # n: the indexed dims' count
    src = ([s * (k.step or 1) for s, k in zip(strides[:first], parts[:first])] + [0] * n
           + [s * (k.step or 1) for s, k in zip(strides[first + len(where):],
                                                parts[first + len(where):])])
    operands = [tuple(src)]
    for st in index_strides:
        lead = n - len(st)
        operands.append((0,) * first + (0,) * lead + tuple(st)
                        + (0,) * (len(out) - first - n))
    return operands
