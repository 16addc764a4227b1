"""Shape and indexing ops beyond movement.py: flip, roll, split, index_select, scatter, repeat,
tril, meshgrid, ...

Two are Functions of their own, ``Flip`` and ``Roll``: movement ops whose derivative is their
adjoint, the same op undone (flip the gradient back; roll it back by -shifts). Everything else
is a composite of the movement ops, so its gradient comes from theirs:

* slices (views, as torch's): ``split``, ``chunk``, ``narrow``, ``unbind``;
* ``Index`` and its adjoint ``IndexAdd``: ``index_select``, ``take_along_dim``,
  ``scatter_add``, ``repeat_interleave`` with a tensor of repeats;
* ``IndexPut``, whose derivative gathers for the values and masks for the input: ``scatter``;
* ``Permute``: ``movedim``, ``swapaxes``;
* ``Expand`` then a copy and a reshape: ``repeat``, ``tile``, ``repeat_interleave``, and
  ``meshgrid`` (expand alone: views);
* ``Where`` with a triangular mask: ``tril``, ``triu``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.autograd import Function, is_tensor, make_tensor
from minigrad.ops.elementwise import where
from minigrad.ops.movement import (
    Contiguous,
    Index,
    IndexAdd,
    IndexPut,
    Permute,
    _index_array,
    expand,
    flatten,
    gather,
    gather_in_range,
    getitem,
    permute,
    reshape,
    transpose,
    unsqueeze,
)
from minigrad.ops.promotion import (
    as_dims,
    as_int,
    as_ints,
    as_number,
    as_tensor_arg,
    as_tensor_like,
    broadcast_shapes,
    host_values,
    normalize_dim,
    size_arg,
    type_name,
)
from minigrad.runtime import dtypes

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

_INDEX_DTYPES = (dtypes.int64, dtypes.int32)


class Flip(Function):
    """x with its elements in reverse order along ``dims`` (a copy, as torch's)."""

    layout = "first"  # (torch keeps the input's layout)

    def forward(self, x: Any, *, dims: tuple[int, ...]) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.dims = dims
        # (a copy: NumPy's flip is a view with negative strides)
        return self.xp.asarray(self.xp.flip(x, axis=dims), copy=True)

    # flipping twice is the identity: flip the gradient back
    def backward(self, g: Tensor) -> Tensor:
        return Flip.apply(g, dims=self.dims)


class Roll(Function):
    """x shifted cyclically by ``shifts`` along ``dims`` (along the flattened x for None)."""

    def forward(self, x: Any, *, shifts: tuple[int, ...], dims: tuple[int, ...] | None) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.shifts, self.dims = shifts, dims
        return self.xp.roll(x, shift=shifts[0] if dims is None else shifts, axis=dims)

    # element i went to i + shift: roll the gradient back by -shift
    def backward(self, g: Tensor) -> Tensor:
        return Roll.apply(g, shifts=tuple(-s for s in self.shifts), dims=self.dims)


# ---- reversing and rolling ------------------------------------------------------------------
def _distinct_dims(dims: Any, ndim: int) -> tuple[int, ...]:
    """``dims`` (an int or a sequence) as non-negative dims in their order, or torch's error
    for one out of range or repeated."""
    axes = tuple(normalize_dim(d, ndim) for d in as_dims(dims))
    for d in axes:
        if axes.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return axes


def dims_arg(args: tuple, dims: Any, fn: str) -> Any:
    """The dims of ``x.flip(0, 1)``, ``x.flip((0, 1))`` or ``x.flip(dims=(0, 1))``, or
    torch's TypeError when they are missing or given twice."""
    if args and dims is not None:
        raise TypeError(f"{fn}() got multiple values for argument 'dims'")
    if dims is not None:
        return dims
    return size_arg(args, fn, "dims")


def flip(x: Tensor, dims: Any) -> Tensor:
    """Reverse the order of the elements along ``dims`` (a copy)."""
    axes = _distinct_dims(dims, x.ndim)
    if x.ndim == 0 or not axes:  # nothing to reverse: a copy, as torch
        return x.clone()
    return Flip.apply(x, dims=axes)


def roll(x: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift the elements cyclically by ``shifts`` along ``dims`` (one shift each); without
    dims, along the flattened tensor (its shape restored)."""
    shifts = (as_int(shifts, "roll", "shifts"),) if not isinstance(shifts, Sequence) else (
        as_ints(shifts, "roll", "shifts"))
    dims = () if dims is None else (as_int(dims, "roll", "dims"),) if not isinstance(
        dims, Sequence) else as_ints(dims, "roll", "dims")
    if not shifts:
        raise RuntimeError("`shifts` required")
    if len(shifts) != len(dims) and (dims or len(shifts) > 1):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    axes = tuple(normalize_dim(d, x.ndim) for d in dims)
    if x.ndim == 0 or x.numel() == 0:  # nothing moves: a copy, as torch
        return x.clone()
    return Roll.apply(x, shifts=shifts, dims=axes or None)


# ---- slices: views, as torch's ------------------------------------------------------------
def _slice(x: Tensor, d: int, start: int, stop: int) -> Tensor:
    """``x[..., start:stop, ...]`` along dim ``d``: a view."""
    return getitem(x, (slice(None),) * d + (slice(start, stop),))


def split(x: Tensor, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of ``x`` cut along ``dim`` into pieces of ``split_size`` (the last one smaller),
    or of the sizes listed in ``split_size``."""
    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = normalize_dim(dim, x.ndim)
    n = x.shape[d]
    if isinstance(split_size, Sequence):
        sizes = as_ints(split_size, "split", "split_size")
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={list(sizes)}")
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={list(sizes)}")
    else:
        size = as_int(split_size, "split", "split_size")
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={size}")
        if size == 0 and n != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = (size,) * (n // size) + ((n % size,) if n % size else ()) if size else ()
        sizes = sizes or (n,)  # (an empty dim: one empty piece)
    starts = np.cumsum((0,) + sizes)
    return tuple(_slice(x, d, int(a), int(b)) for a, b in zip(starts, starts[1:]))


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of ``x`` cut along ``dim`` into ``chunks`` pieces of ceil(size / chunks) (the last
    smaller, and fewer pieces where the size runs out)."""
    chunks = as_int(chunks, "chunk", "chunks")
    if x.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = normalize_dim(dim, x.ndim)
    n = x.shape[d]
    if n == 0:  # an empty dim: ``chunks`` empty pieces, as torch
        return split(x, [0] * chunks, d)
    return split(x, -(-n // chunks), d)


def narrow(x: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """The view of ``length`` elements of ``x`` along ``dim`` from ``start`` (which may be
    negative, counted from the end)."""
    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = normalize_dim(dim, x.ndim)
    start, length = as_int(start, "narrow", "start"), as_int(length, "narrow", "length")
    n = x.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    start = start + n if start < 0 else start
    if length < 0:
        raise RuntimeError(f"narrow(): length must be non-negative (got {length}).")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _slice(x, d, start, start + length)


def unbind(x: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The views ``x.select(dim, i)`` for every i: ``x`` taken apart along ``dim``."""
    if x.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = normalize_dim(dim, x.ndim)
    return tuple(getitem(x, (slice(None),) * d + (i,)) for i in range(x.shape[d]))


# ---- selecting and scattering with an index tensor --------------------------------------
def _extremes(x: Tensor, idx: Any, what: str) -> tuple[int, int]:
    """The smallest and largest value of a non-empty index array (a trip to the host)."""
    xp, b = x.backend.xp, x.backend
    return int(b.host_value(xp.min(idx), what)), int(b.host_value(xp.max(idx), what))


def index_select(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``x`` along ``dim`` at the positions in the vector ``index`` (a copy);
    the gradient adds each slice's gradient back where it was read (IndexAdd).

    Shape: x's, with ``len(index)`` at ``dim``.
    """
    as_tensor_arg(index, "index_select", "index", 3)
    if index.ndim > 1:
        raise IndexError(f"index_select(): Index is supposed to be a vector (got an index of "
                         f"shape {list(index.shape)})")
    if index.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"index_select(): Expected dtype int32 or int64 for index (got "
                           f"{index.dtype.name})")
    if x.ndim == 0:  # a scalar has one element to select: index [0]
        normalize_dim(dim, 0)
        if index.numel() != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                               f"{index.numel()} value(s)")
        if int(index.reshape(()).item()) != 0:
            raise IndexError(f"index out of range in self (index {int(index.item())} of a "
                             "0-dim tensor)")
        return x.clone()
    d = normalize_dim(dim, x.ndim)
    idx = x.backend.xp.reshape(_index_array(x, index), (-1,))
    n = x.shape[d]
    if idx.shape[0]:
        lo, hi = _extremes(x, idx, "index_select bounds")
        if lo < 0 or hi >= n:
            raise RuntimeError(f"index_select(): index {lo if lo < 0 else hi} is out of "
                               f"bounds for dimension {d} with size {n}")
    return Index.apply(x, key=(slice(None),) * d + (idx,))


def take_along_dim(x: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """The values of ``x`` at ``indices`` along ``dim`` (x and indices broadcast in the other
    dims), as numpy.take_along_axis; without ``dim``, of the flattened x.

    Shape: the broadcast of x and indices, with indices' size at ``dim`` (without ``dim``,
    ``indices.numel()``).
    """
    as_tensor_arg(indices, "take_along_dim", "indices", 2)
    if indices.dtype is not dtypes.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{indices.dtype.torch_name}")
    if dim is None:
        return gather(reshape(x, (-1,)), 0, reshape(indices, (-1,)))
    if x.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = normalize_dim(dim, x.ndim)
    if indices.ndim != x.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {x.ndim} dimensions for input, and "
                           f"{indices.ndim} dimensions for indices")
    rest = broadcast_shapes(tuple(x.shape[:d] + x.shape[d + 1:]),
                            tuple(indices.shape[:d] + indices.shape[d + 1:]))
    x = expand(x, rest[:d] + (x.shape[d],) + rest[d:])
    idx = _index_array(x, expand(indices, rest[:d] + (indices.shape[d],) + rest[d:]))
    n = x.shape[d]
    if math.prod(idx.shape):
        lo, hi = _extremes(x, idx, "take_along_dim bounds")
        if lo < -n or hi >= n:  # (negative indices count from the end, as NumPy's)
            raise RuntimeError(f"index {lo if lo < -n else hi} is out of bounds for dimension "
                               f"{d} with size {n}")
        idx = x.backend.xp.where(idx < 0, idx + n, idx)
    return gather_in_range(x, d, idx)


def _scatter_index(x: Tensor, dim: int, index: Tensor, src: Tensor | None, fn: str
                   ) -> tuple[int, Any]:
    """(dim, index as an int64 array) for scatter and scatter_add after torch's checks; the
    array is None for an empty index (nothing to write)."""
    d = normalize_dim(dim, x.ndim)
    as_tensor_arg(index, fn, "index", 2)
    if index.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"{fn}(): Expected dtype int32/int64 for index (got "
                           f"{index.dtype.name})")
    if src is not None and src.dtype is not x.dtype:
        raise RuntimeError(f"{fn}(): Expected self.dtype to be equal to src.dtype (got "
                           f"{x.dtype.name} and {src.dtype.name})")
    if index.numel() == 0:
        return d, None
    for what, t in (("self", x), ("src", src)):
        if t is not None and index.ndim != t.ndim:
            raise RuntimeError(f"Index tensor must have the same number of dimensions as {what}"
                               f" tensor (index {list(index.shape)}, {what} {list(t.shape)})")
    if any(i != d and k > n for i, (k, n) in enumerate(zip(index.shape, x.shape))) or (
            src is not None and any(k > n for k, n in zip(index.shape, src.shape))):
        raise RuntimeError(
            f"Expected index {list(index.shape)} to be no larger than self {list(x.shape)} "
            f"apart from dimension {d}" + (f" and to be no larger size than src "
                                           f"{list(src.shape)}" if src is not None else ""))
    idx = _index_array(x, index)
    lo, hi = _extremes(x, idx, f"{fn} bounds")
    if lo < 0 or hi >= x.shape[d]:
        raise RuntimeError(f"index {lo if lo < 0 else hi} is out of bounds for dimension {d} "
                           f"with size {x.shape[d]}")
    return d, idx


def _positions(x: Tensor, d: int, idx: Any) -> Any:
    """The flat position in x of each element a scatter along ``d`` writes, as a 1-D int64
    array: the index element's own coordinates, with its value as the coordinate along d."""
    xp = x.backend.xp
    i64 = x.backend.dtype(dtypes.int64)
    strides = [math.prod(x.shape[i + 1:]) for i in range(x.ndim)]
    pos = idx * strides[d]
    for i, k in enumerate(idx.shape):
        if i != d:
            pos = pos + xp.reshape(xp.arange(k, dtype=i64) * strides[i],
                                   (-1,) + (1,) * (idx.ndim - 1 - i))
    return xp.reshape(pos, (-1,))


def _leading(src: Tensor, shape: tuple[int, ...]) -> Tensor:
    """The leading ``shape`` block of ``src`` (the part a scatter reads), flattened."""
    if tuple(src.shape) != tuple(shape):
        src = getitem(src, tuple(slice(0, k) for k in shape))
    return reshape(src, (-1,))


def _scalar_form(x: Tensor, dim: int, index: Tensor, src: Any) -> Any:
    """A 0-d x (and index, src): the same scatter on vectors of one, as torch."""
    normalize_dim(dim, 0)
    flat = [reshape(t, (-1,)) if is_tensor(t) and t.ndim == 0 else t for t in (index, src)]
    return reshape(x, (1,)), flat[0], flat[1]


def scatter(x: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """A copy of x with ``src`` (or the number ``value``) written along ``dim`` at ``index``:
    for dim=1, ``out[i][index[i][j]] = src[i][j]``. Written as IndexPut at the flat
    positions, whose gradient gathers for ``src`` and masks the written elements for x.
    ``reduce='add'`` adds instead (scatter_add); 'multiply' is not there.

    Shape: x's; index no larger than src, nor than x apart from ``dim``.
    """
    if src is not None and not is_tensor(src):  # scatter(dim, index, 1.5): the value form
        if value is not None:
            raise TypeError("scatter() got both a number for 'src' and 'value'")
        src, value = None, src
    if (src is None) == (value is None):
        raise TypeError("scatter() expects one of 'src' (a Tensor) and 'value' (a number), "
                        f"got {type_name(src) if src is not None else 'neither'}")
    if value is not None:
        value = as_number(value, "scatter", "value")
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError(f"reduce argument must be either add or multiply (got "
                               f"{reduce!r}).")
        if reduce == "multiply":
            raise NotImplementedError("scatter(): reduce='multiply' is not there (use "
                                      "reduce='add' or scatter_add)")
        if src is None:
            as_tensor_arg(index, "scatter", "index", 2)
            src = expand(as_tensor_like(value, x, x.dtype), tuple(index.shape))
        return scatter_add(x, dim, index, src)
    if x.ndim == 0:
        x1, index, src = _scalar_form(x, dim, index, src)
        return reshape(scatter(x1, 0, index, src, value=value), ())
    d, idx = _scatter_index(x, dim, index, src, "scatter")
    if idx is None:
        return x.clone()
    values = as_tensor_like(value, x, x.dtype) if src is None else _leading(src, idx.shape)
    out = IndexPut.apply(reshape(x, (-1,)), values, key=(_positions(x, d, idx),))
    return reshape(out, tuple(x.shape))


def scatter_add(x: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """x with ``src`` added along ``dim`` at ``index`` (repeated indices add up): for dim=1,
    ``out[i][index[i][j]] += src[i][j]``. Written as IndexAdd at the flat positions, whose
    gradient gathers.

    Shape: x's; index no larger than src, nor than x apart from ``dim``.
    """
    as_tensor_arg(src, "scatter_add", "src", 3)
    if x.ndim == 0:
        x1, index, src = _scalar_form(x, dim, index, src)
        return reshape(scatter_add(x1, 0, index, src), ())
    d, idx = _scatter_index(x, dim, index, src, "scatter_add")
    if idx is None:
        return x.clone()
    added = IndexAdd.apply(_leading(src, idx.shape), shape=(x.numel(),),
                           key=(_positions(x, d, idx),))
    return x + reshape(added, tuple(x.shape))


# ---- repeating --------------------------------------------------------------------------------
def repeat(x: Tensor, sizes: Sequence[int]) -> Tensor:
    """x repeated ``sizes[i]`` times along dim i (leading sizes add new dims): a copy.
    Expand a view with a new dim of 1 before each dim to the repeats, copy, and merge each
    repeat with its dim; the gradient sums the copies (Expand).

    Shape: ``(sizes[0] * n_0, sizes[1] * n_1, ...)`` with x's shape padded by leading 1s.
    """
    sizes = tuple(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(f"Number of dimensions of repeat dims can not be smaller than number"
                           f" of dimensions of tensor (repeats {list(sizes)} for a tensor of "
                           f"shape {list(x.shape)})")
    shape = (1,) * (len(sizes) - x.ndim) + tuple(x.shape)
    out = [r * n for r, n in zip(sizes, shape)]
    if any(r < 0 for r in sizes):
        bad = next(r * n if r * n < 0 else r for r, n in zip(sizes, shape) if r < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {out} "
                           f"(repeats {list(sizes)})")
    spread = reshape(x, tuple(v for n in shape for v in (1, n)))
    copies = expand(spread, tuple(v for r, n in zip(sizes, shape) for v in (r, n)))
    return reshape(Contiguous.apply(copies), tuple(out))


def tile(x: Tensor, dims: Sequence[int]) -> Tensor:
    """x repeated ``dims[i]`` times along dim i, as numpy.tile: ``repeat``, with 1s before
    ``dims`` where it is shorter than x's dims."""
    dims = tuple(dims)
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)


def repeat_interleave(x: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Each slice of x along ``dim`` repeated ``repeats`` times in place (``repeats`` an int,
    or a tensor of one count per slice); without ``dim``, of the flattened x. An int repeats
    expands a new dim and merges it (the gradient sums the copies); a tensor indexes (the
    gradient adds back, IndexAdd). Called with a tensor of counts alone (``x`` the counts),
    the indices ``repeat_interleave(arange(len(x)), x)``.

    Shape: x's with its size at ``dim`` multiplied by repeats (summed, for a tensor).
    """
    counts: np.ndarray | None  # the repeats of each slice (None: an int, the same for all)
    if repeats is None:  # torch.repeat_interleave(repeats)
        if x.ndim != 1:
            raise RuntimeError(f"repeat_interleave only accept 1D vector as repeat (got shape "
                               f"{list(x.shape)})")
        counts = _counts(x, len(x))
        index = np.repeat(np.arange(len(x), dtype=np.int64), counts)
        return make_tensor(x.backend.from_host(index, "repeat_interleave", "internal"),
                           x.device)
    if dim is None:
        x, d = reshape(x, (-1,)), 0
    elif x.ndim == 0:
        raise IndexError(f"Dimension out of range: repeat_interleave along dim {dim} of a "
                         "0-dim tensor (leave dim out)")
    else:
        d = normalize_dim(dim, x.ndim)
    n = x.shape[d]
    counts = None
    if is_tensor(repeats):
        counts = _counts(repeats, n)
        if counts.size == 1:
            repeats, counts = int(counts[0]), None
    else:
        repeats = as_int(repeats, "repeat_interleave", "repeats")
        if repeats < 0:
            raise RuntimeError(f"Repeats must be non-negative (got {repeats})")
    total = n * repeats if counts is None else int(counts.sum())
    if output_size is not None and output_size != total:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {total} but got "
                           f"{output_size}")
    if counts is None:
        shape = list(x.shape)
        shape.insert(d + 1, repeats)
        return flatten(Contiguous.apply(expand(unsqueeze(x, d + 1), shape)), d, d + 1)
    index = np.repeat(np.arange(n, dtype=np.int64), counts)
    key = (slice(None),) * d + (x.backend.from_host(index, "repeat_interleave", "internal"),)
    return Index.apply(x, key=key)


def _counts(repeats: Tensor, n: int) -> np.ndarray:
    """A tensor of repeats on the host (one count, or ``n``), after torch's checks."""
    if repeats.ndim > 1:
        raise RuntimeError(f"repeats must be 0-dim or 1-dim tensor (got shape "
                           f"{list(repeats.shape)})")
    if repeats.dtype not in _INDEX_DTYPES:
        raise NotImplementedError(f"repeat_interleave: repeats must be an int32 or int64 "
                                  f"tensor, not {repeats.dtype.name}")
    counts = host_values(repeats, "repeat_interleave").reshape(-1).astype(np.int64)
    if counts.size != 1 and counts.size != n:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {counts.size} and input.size(dim) = {n}")
    if (counts < 0).any():
        raise RuntimeError(f"repeats can not be negative (got {counts.tolist()})")
    return counts


# ---- moving dims ----------------------------------------------------------------------------
def movedim(x: Tensor, source: Any, destination: Any) -> Tensor:
    """A view of x with dims ``source`` moved to positions ``destination`` (the others keep
    their order), as numpy.moveaxis: a permute."""
    src, dst = as_dims(source), as_dims(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src = tuple(normalize_dim(d, x.ndim) for d in src)
    dst = tuple(normalize_dim(d, x.ndim) for d in dst)
    for what, dims in (("source", src), ("destination", dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{what}` ({list(dims)})")
    if x.ndim == 0:  # dims 0 and -1 of a scalar are itself: a view, as torch
        return Permute.apply(x, dims=())
    order = [d for d in range(x.ndim) if d not in src]
    for to, d in sorted(zip(dst, src)):
        order.insert(to, d)
    return permute(x, order)


def swapaxes(x: Tensor, axis0: int, axis1: int) -> Tensor:
    """A view of x with two dims swapped (transpose)."""
    return transpose(x, axis0, axis1)


# ---- triangles --------------------------------------------------------------------------------
def triangle(x: Tensor, diagonal: int, lower: bool) -> Tensor:
    """x with the elements above (``lower``: tril) or below (triu) the ``diagonal``-th
    diagonal of its last two dims set to 0; the gradient passes where the mask keeps.

    Shape: x's, at least 2-D (a batch of matrices).
    """
    fn = "tril" if lower else "triu"
    diagonal = as_int(diagonal, fn, "diagonal")
    if x.ndim < 2:
        raise RuntimeError(f"{fn}: input tensor must have at least 2 dimensions (got shape "
                           f"{list(x.shape)})")
    xp, i64 = x.backend.xp, x.backend.dtype(dtypes.int64)
    m, n = x.shape[-2:]
    above = xp.arange(n, dtype=i64) - xp.reshape(xp.arange(m, dtype=i64), (m, 1))
    keep = above <= diagonal if lower else above >= diagonal  # (column - row vs the diagonal)
    return where(make_tensor(keep, x.device), x, as_tensor_like(0, x))


# ---- grids ------------------------------------------------------------------------------------
def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids of 1-D tensors: output i holds tensor i's values along its own dim,
    expanded over the others (views). ``indexing='ij'``: dims in the tensors' order;
    ``'xy'``: the first two swapped (as numpy.meshgrid's default).

    Shape: every output ``(n_0, n_1, ...)`` for 'ij', ``(n_1, n_0, n_2, ...)`` for 'xy'.
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if not is_tensor(t):
            raise TypeError(f"meshgrid(): expected Tensor as element {i} in argument 0, but got "
                            f"{type_name(t)}")
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument (indexing='ij' taken).", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but '
                           f"received: {indexing}")
    first = tensors[0]
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but"
                               f" got a tensor of shape {list(t.shape)}")
        if t.dtype is not first.dtype:
            raise RuntimeError(f"meshgrid expects all tensors to have the same dtype (got "
                               f"{first.dtype.name} and {t.dtype.name})")
        if t.device != first.device:
            raise RuntimeError(f"meshgrid expects all tensors to have the same device (got "
                               f"{first.device} and {t.device})")
    k = len(tensors)
    axes = list(range(k))
    if indexing == "xy" and k >= 2:
        axes[0], axes[1] = 1, 0
    shape = [0] * k
    for t, a in zip(tensors, axes):
        shape[a] = t.numel()
    return tuple(expand(reshape(t, tuple(n if i == a else 1 for i, n in enumerate(shape))),
                        tuple(shape)) for t, a in zip(tensors, axes))
