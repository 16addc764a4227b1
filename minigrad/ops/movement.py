"""Movement ops: reshape, permute, expand, indexing, concatenation and padding.

None of them does arithmetic, so each derivative moves the gradient back where the values came
from: reshape back, permute back, sum over what was expanded, scatter-add what was gathered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.autograd import Function, is_tensor, make_tensor
from minigrad.backends import expand_key
from minigrad.ops.promotion import (
    as_ints,
    as_tensor_arg,
    broadcast_shapes,
    normalize_dim,
    normalize_dims,
    type_name,
)
from minigrad.runtime import dtypes

if TYPE_CHECKING:
    from minigrad.tensor import Tensor


class Reshape(Function):
    """The same values in a new shape: a view where the strides allow it, else a copy (or,
    for ``view``, torch's error)."""

    def forward(self, x: Any, *, shape: tuple[int, ...], view: bool = False) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        out = self.xp.reshape(x, shape)
        # a view, unless the memory needed a copy (an empty array is a view of anything)
        self.view_of_input = out.size == 0 or self.backend.shares_memory(out, x)
        if view and not self.view_of_input:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead. "
                f"(a view of shape {list(x.shape)} with strides {self.backend.strides(x)} "
                f"as {list(shape)})")
        return out

    # a reshape moves no values: reshape the gradient back
    def backward(self, g: Tensor) -> Tensor:
        return Reshape.apply(g, shape=tuple(self.inputs[0].shape))


class Permute(Function):
    """The dims reordered."""

    view_of_input = True

    def forward(self, x: Any, *, dims: tuple[int, ...]) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.dims = dims
        return self.xp.permute_dims(x, dims)

    # undo the permutation: dim dims[i] of the input is dim i of the output
    def backward(self, g: Tensor) -> Tensor:
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return Permute.apply(g, dims=tuple(inverse))


class Expand(Function):
    """Broadcast to a larger shape (no copy)."""

    view_of_input = True

    def forward(self, x: Any, *, shape: tuple[int, ...]) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        return self.backend.broadcast_to(x, shape)

    # each element was copied: the engine sums its copies' gradients back (autograd.sum_to)
    def backward(self, g: Tensor) -> Tensor:
        return g


class Index(Function):
    """x[key]: basic and advanced indexing."""

    layout = "keep"  # (forward lays an advanced index's copy out as torch's)

    def forward(self, x: Any, *, key: tuple) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.key = key
        out = self.backend.getitem(x, key)
        # basic indexing gives a view (advanced indexing a copy); ask the memory to be sure
        advanced = any(_is_array(k) for k in key)
        self.view_of_input = not advanced and (
            out.size == 0 or self.backend.shares_memory(out, x))
        if advanced:
            return self.backend.index_layout(out, x, key)
        return out

    # indexing gathers: the gradient is scattered back, repeated indices adding up
    def backward(self, g: Tensor) -> Tensor:
        if all(k is Ellipsis or k is None for k in self.key):  # (x[...], x[None]: reshaped)
            return reshape(g, self.inputs[0].shape)
        return IndexAdd.apply(g, shape=self.inputs[0].shape, key=self.key)


class IndexAdd(Function):
    """Zeros with values added at key (the adjoint of Index)."""

    def forward(self, g: Any, *, shape: tuple[int, ...], key: tuple) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.key = key
        return self.backend.index_add(shape, key, g)

    # the adjoint of a gather is a scatter-add, and the adjoint of that is the gather
    def backward(self, gg: Tensor) -> Tensor:
        return Index.apply(gg, key=self.key)


class IndexPut(Function):
    """x with ``values`` written at key (``x[key] = values``, out of place); the values
    broadcast to ``x[key]``'s shape."""

    layout = "first"

    def forward(self, x: Any, values: Any, *, key: tuple) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.key = key
        return self.backend.index_put(x, key, values)

    # the written elements take their gradient from the values, the others keep x's
    def backward(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        gx = gv = None
        if self.needs_input_grad[0]:
            gx = IndexPut.apply(g, make_tensor(self.xp.zeros((), dtype=g._data.dtype), g.device),
                                key=self.key)
        if self.needs_input_grad[1]:
            gv = Index.apply(g, key=self.key)  # x[key]'s shape: the engine sums the broadcast
        return gx, gv


class Contiguous(Function):
    """A row-major copy (``x.contiguous()`` of a tensor that is not)."""

    def forward(self, x: Any) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        flat = self.xp.reshape(x, (-1,))  # read in row-major order: a copy, unless x is
        if self.backend.shares_memory(flat, x):  # already row-major but for gaps (x[::2])
            flat = self.xp.asarray(flat, copy=True)
        return self.xp.reshape(flat, x.shape)

    # a copy: the gradient passes through
    def backward(self, g: Tensor) -> Tensor:
        return g


class Cat(Function):
    """Tensors joined along a dim."""

    def forward(self, *xs: Any, dim: int) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.dim = dim
        return self.xp.concat(xs, axis=dim)

    # each input gets its own slice of the gradient
    def backward(self, g: Tensor) -> tuple[Tensor | None, ...]:
        grads, start = [], 0
        for x, need in zip(self.inputs, self.needs_input_grad):
            stop = start + x.shape[self.dim]
            key = (slice(None),) * self.dim + (slice(start, stop),)
            grads.append(g[key] if need else None)
            start = stop
        return tuple(grads)


class ConstantPad(Function):
    """x padded with a constant value."""

    def forward(self, x: Any, *, widths: tuple[tuple[int, int], ...], value: float) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        shape = tuple(n + before + after for n, (before, after) in zip(x.shape, widths))
        out = self.xp.full(shape, value, dtype=x.dtype)
        self.inner = tuple(slice(before, before + n) for n, (before, _) in zip(x.shape, widths))
        out[self.inner] = x
        return out

    # the padding is constant: the input's gradient is the inner part
    def backward(self, g: Tensor) -> Tensor:
        return g[self.inner]


# ---- Tensor-level entry points -------------------------------------------------------------
def reshape(x: Tensor, shape: Sequence[int], view: bool = False) -> Tensor:
    """The same values in a new shape; one dimension may be -1 (inferred). A view where the
    memory allows one (always, with ``view``: else torch's error), else a row-major copy."""
    shape = tuple(shape)  # (checked by Tensor.reshape: ints)
    n = x.numel()
    if -1 in shape or math.prod(shape) != n or min(shape, default=0) < 0:
        shape = _inferred(shape, n)
    return Reshape.apply(x, shape=shape, view=view)


def _inferred(shape: tuple[int, ...], n: int) -> tuple[int, ...]:
    """``shape`` with its -1 worked out for ``n`` elements, or torch's error for a shape that
    cannot hold them (a size below -1, two -1s, a product that is not ``n``)."""
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
    if shape.count(-1) > 1:
        raise RuntimeError(f"only one dimension can be inferred (shape {list(shape)})")
    if -1 in shape:
        known = math.prod(s for s in shape if s != -1)
        if known == 0 and n == 0:
            raise RuntimeError(
                f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                "unspecified dimension size -1 can be any value and is ambiguous")
        if known and n % known == 0:
            return tuple(n // known if s == -1 else s for s in shape)
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {n}")


def permute(x: Tensor, dims: Sequence[int]) -> Tensor:
    """Reorder dimensions: output dim i is input dim ``dims[i]``."""
    dims = tuple(normalize_dim(d, x.ndim) for d in dims)
    if sorted(dims) != list(range(x.ndim)):
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {x.ndim} is not "
            f"equal to len(dims) = {len(dims)}" if len(dims) != x.ndim
            else f"permute(): duplicate dims are not allowed in {dims}"
        )
    return Permute.apply(x, dims=dims)


def expand(x: Tensor, shape: Sequence[int]) -> Tensor:
    """A broadcast view to ``shape`` (-1 keeps a size), as torch.Tensor.expand."""
    shape = tuple(shape)  # (checked by Tensor.expand: ints)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({x.ndim})"
        )
    for i, s in enumerate(shape[:lead]):
        if s < 0:
            raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                               f"leading, non-existing dimension {i} (sizes {list(shape)})")
    shape = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(shape))
    for i, n in enumerate(x.shape):
        if n != 1 and n != shape[lead + i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[lead + i]}) must match the existing "
                f"size ({n}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"{list(shape)}.  Tensor sizes: {list(x.shape)}"
            )
    return Expand.apply(x, shape=shape)


def squeeze(x: Tensor, dim: int | tuple[int, ...] | list[int] | None = None) -> Tensor:
    """Remove dims of size 1 (all of them, or those in ``dim`` that have size 1)."""
    if x.ndim == 0:  # a scalar's dim 0 (or -1) is itself, as torch
        if dim is not None:
            normalize_dims(dim, 0)
        axes: set[int] = set()
    elif dim is None:
        axes = {i for i, n in enumerate(x.shape) if n == 1}
    elif isinstance(dim, (tuple, list)) and not dim:  # no dims: nothing to squeeze
        axes = set()
    else:
        axes = {d for d in normalize_dims(dim, x.ndim) if x.shape[d] == 1}
    return reshape(x, [n for i, n in enumerate(x.shape) if i not in axes])


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a dim of size 1 at ``dim`` (in [-ndim-1, ndim])."""
    dim = normalize_dim(dim, x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim`` .. ``end_dim`` into one."""
    if x.ndim == 0:  # a scalar's dims 0 and -1 are itself, as torch
        normalize_dim(start_dim, 0, "start_dim"), normalize_dim(end_dim, 0, "end_dim")
        return reshape(x, (1,))
    start = normalize_dim(start_dim, x.ndim, "start_dim")
    end = normalize_dim(end_dim, x.ndim, "end_dim")
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:  # nothing to merge: the tensor itself, as torch
        return x
    return reshape(x, x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])


def unflatten(x: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one may be -1)."""
    d = normalize_dim(dim, x.ndim)
    sizes = as_ints(sizes, "unflatten", "sizes")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = x.shape[d]
    if -1 in sizes or math.prod(sizes) != n or min(sizes) < 0:
        try:
            sizes = _inferred(sizes, n)
        except RuntimeError:
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to "
                               f"the size of dim {d} ({n}) in the input tensor") from None
    return reshape(x, x.shape[:d] + sizes + x.shape[d + 1:])


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims."""
    if x.ndim == 0:  # dims 0 and -1 of a scalar are the scalar itself (a view), as torch
        normalize_dim(dim0, 0, "dim0"), normalize_dim(dim1, 0, "dim1")
        return Permute.apply(x, dims=())
    dims = list(range(x.ndim))
    a, b = normalize_dim(dim0, x.ndim, "dim0"), normalize_dim(dim1, x.ndim, "dim1")
    dims[a], dims[b] = dims[b], dims[a]
    return permute(x, dims)


def _index_array(x: Tensor, k: Any) -> Any:
    """An index given as a tensor, list or NumPy array, as an int64 array on ``x``'s device."""
    if is_tensor(k):
        if k.dtype.is_floating_point:
            raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors "
                             f"(got {k.dtype.name})")
        if _elsewhere(x, k):  # an implicit copy to the device, as a list index would be
            return x.backend.from_host(k.numpy().astype(np.int64), "index", "implicit")
        # a copy: the backward reads the key, and the index tensor may change in place after
        return x.backend.xp.astype(k._data, x.backend.dtype(dtypes.int64), copy=True)
    if isinstance(k, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(k).__name__}': a string is no index "
                        f"(got {k!r})")
    a = np.asarray(k)
    if a.dtype.kind not in "iu":
        raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                         f"tensors are valid indices (got {type(k).__name__} of {a.dtype}: "
                         f"{k!r})")
    return x.backend.from_host(a.astype(np.int64), "index", "implicit")


def _elsewhere(x: Tensor, k: Tensor) -> bool:
    """Whether the index tensor ``k`` lives off x's device: then on the CPU (it indexes a
    tensor anywhere, as torch's do, copied over), or it is an error."""
    if k._device is x._device or k.device == x.device:
        return False
    if k.device.type != "cpu":
        raise RuntimeError(f"indices should be either on cpu or on the same device as the "
                           f"indexed tensor ({x.device}), got indices on {k.device}")
    return True


def _mask(x: Tensor, k: Any) -> Any:
    """A boolean mask given as a tensor, NumPy array or list, as an array on x's device (None
    when ``k`` is not a mask)."""
    if is_tensor(k):
        if k.dtype is not dtypes.bool_:
            return None
        if _elsewhere(x, k):
            return x.backend.from_host(k.numpy(), "index", "implicit")
        return k._data
    if isinstance(k, (np.ndarray, list)) and np.asarray(k).dtype == bool:
        return x.backend.from_host(np.asarray(k), "index", "implicit")
    return None


def parse_key(x: Tensor, key: Any) -> tuple:
    """An index as a tuple of ints and slices (in range), None, ... and int64 index arrays on
    x's device; a boolean mask stands for the index arrays of its True elements (as torch)."""
    if not isinstance(key, tuple):
        key = (key,)
    masks = [_mask(x, k) if not isinstance(k, (slice, int, type(None), type(Ellipsis))) else None
             for k in key]
    taken = sum(0 if k is None or k is Ellipsis else (m.ndim if m is not None else 1)
                for k, m in zip(key, masks))
    if taken > x.ndim:
        if x.ndim == 0:
            raise IndexError(f"invalid index of a 0-dim tensor (got {key[0]!r}). Use "
                             "`tensor.item()` in Python to convert a 0-dim tensor to a number")
        raise IndexError(f"too many indices for tensor of dimension {x.ndim} (got "
                         f"{taken} indices)")
    parts: list[Any] = []
    i = 0  # the dim of x the next index applies to
    for k, mask in zip(key, masks):
        if k is None:
            parts.append(None)
        elif k is Ellipsis:
            parts.append(Ellipsis)
            i = x.ndim - (taken - i)
        elif isinstance(k, bool):
            raise IndexError("indexing with a Python bool is not supported; use a bool tensor")
        elif isinstance(k, (int, np.integer)):
            n = x.shape[i]
            if not -n <= k < n:  # a clear error for out-of-range ints
                raise IndexError(f"index {k} is out of bounds for dimension {i} with size {n}")
            parts.append(int(k))
            i += 1
        elif isinstance(k, slice):  # in-range bounds: the Array API leaves others undefined
            if k.step == 0:
                raise ValueError("slice step cannot be zero")
            start, stop, step = k.indices(x.shape[i])
            parts.append(slice(start, None if stop < 0 else stop, step))
            i += 1
        elif mask is not None:
            if mask.ndim == 0 or tuple(mask.shape) != tuple(x.shape[i:i + mask.ndim]):
                j = i + next((j for j, (m, n) in enumerate(zip(mask.shape, x.shape[i:]))
                              if m != n), 0)
                raise IndexError(
                    f"The shape of the mask {list(mask.shape)} at index {j - i} does not match "
                    f"the shape of the indexed tensor {list(x.shape)} at index {j}")
            parts.extend(x.backend.xp.nonzero(mask))
            i += mask.ndim
        else:
            parts.append(_index_array(x, k))
            i += 1
    return tuple(parts)


def getitem(x: Tensor, key: Any) -> Tensor:
    """``x[key]``: ints, slices (any step), None, ..., integer tensors, arrays and lists, and
    boolean masks."""
    return getitem_parsed(x, parse_key(x, key))


def getitem_parsed(x: Tensor, key: tuple) -> Tensor:
    """``x[key]`` for a key ``parse_key`` has already made (its arrays on x's device)."""
    has_array = any(_is_array(k) for k in key)
    if has_array and any(isinstance(k, int) for k in key):
        # PyTorch selects with ints first (they never join the advanced indices, unlike in
        # NumPy, which would move the result dims to the front for x[0, :, [1, 2]])
        key = expand_key(key, x.ndim)
        x = Index.apply(x, key=tuple(k if isinstance(k, int) else slice(None)
                                     for k in key if k is not None))
        key = tuple(k for k in key if not isinstance(k, int))
    return Index.apply(x, key=key)


def index_positions(x: Tensor, key: tuple) -> Tensor:
    """The flat positions in x of the elements ``x[key]`` reads, in x[key]'s shape (int64);
    ``key`` as ``parse_key`` made it."""
    xp, i64 = x.backend.xp, x.backend.dtype(dtypes.int64)
    flat = make_tensor(xp.reshape(xp.arange(x.numel(), dtype=i64), tuple(x.shape)), x.device)
    return getitem_parsed(flat, key)


def masked_select(x: Tensor, mask: Tensor) -> Tensor:
    """The elements of x where ``mask`` (broadcast with x) is True, as a 1-D tensor."""
    if mask.dtype is not dtypes.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got "
                           f"{mask.dtype.torch_name}")
    shape = broadcast_shapes(tuple(x.shape), tuple(mask.shape))
    return getitem(reshape(expand(x, shape), (-1,)), reshape(expand(mask, shape), (-1,)))


def nonzero(x: Tensor, as_tuple: bool = False) -> Any:
    """The indices of the non-zero (True) elements: an (n, ndim) int64 tensor, or one 1-D
    tensor per dim with ``as_tuple``."""
    xp, i64 = x.backend.xp, x.backend.dtype(dtypes.int64)
    truth = x._data if x.dtype is dtypes.bool_ else x._data != 0
    if x.ndim == 0:  # a 0-d tensor: one empty index if it is non-zero, as torch
        count = int(bool(x.backend.host_value(truth, "nonzero")))
        index = (xp.zeros((count,), dtype=i64),) if as_tuple else ()
        return tuple(make_tensor(i, x.device) for i in index) if as_tuple else make_tensor(
            xp.zeros((count, 0), dtype=i64), x.device)
    index = xp.nonzero(truth)
    if as_tuple:
        return tuple(make_tensor(i, x.device) for i in index)
    return make_tensor(xp.stack(index, axis=1), x.device)


def _is_array(k: Any) -> bool:
    return hasattr(k, "shape") and hasattr(k, "dtype")


def gather(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """Values of ``x`` along ``dim`` at ``index``, as torch.gather (for dim=1:
    ``out[i][j] = x[i][index[i][j]]``). Indexing with a full grid of index arrays, so the
    gradient is the scatter-add of ``Index``.

    Shape: ``index``'s, which may be smaller than ``x`` in the dims other than ``dim``.
    """
    d = normalize_dim(dim, x.ndim)
    as_tensor_arg(index, "gather", "index", 2)
    if x.ndim == 0 and index.ndim <= 1:  # a scalar gathers as a vector of one, as torch
        return gather(x.reshape(1), 0, index.reshape(-1)).reshape(index.shape)
    if index.numel() == 0:  # nothing to gather (torch checks no shapes, nor the dtype, then)
        return reshape(x.flatten()[0:0], tuple(index.shape))
    if index.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError(f"gather(): Expected dtype int32/int64 for index, got "
                           f"{index.dtype.name}")
    if index.ndim != x.ndim:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input "
                           f"tensor (index {list(index.shape)}, input {list(x.shape)})")
    if any(i != d and index.shape[i] > x.shape[i] for i in range(x.ndim)):
        raise RuntimeError(
            f"Size does not match at dimension {next(i for i in range(x.ndim) if i != d)} "
            f"expected index {list(index.shape)} to be smaller than self {list(x.shape)} "
            f"apart from dimension {d}")
    idx = _index_array(x, index)
    xp = x.backend.xp
    lo = int(x.backend.host_value(xp.min(idx), "gather bounds"))
    hi = int(x.backend.host_value(xp.max(idx), "gather bounds"))
    if lo < 0 or hi >= x.shape[d]:
        bad = hi if hi >= x.shape[d] else lo
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size "
                           f"{x.shape[d]}")
    return gather_in_range(x, d, idx)


def gather_in_range(x: Tensor, d: int, index: Tensor | Any) -> Tensor:
    """gather along dim ``d`` with an integer index (a tensor, or an int64 array) already
    checked to be in range (the losses check their targets once; each check is a trip to the
    host)."""
    idx = _index_array(x, index) if is_tensor(index) else index
    xp = x.backend.xp
    i64 = x.backend.dtype(dtypes.int64)
    key = tuple(idx if i == d else xp.reshape(xp.arange(n, dtype=i64), (-1,) + (1,) * (
        x.ndim - 1 - i)) for i, n in enumerate(idx.shape))
    return Index.apply(x, key=key)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; sizes must match elsewhere."""
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    common = tensors[0].dtype
    for t in tensors[1:]:
        common = dtypes.promote_types(common, t.dtype)
    first = tensors[0]
    if first.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = normalize_dim(dim, first.ndim)
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != first.ndim:
            if t.ndim and (t.shape == (0,) or first.shape == (0,)):
                # an empty vector joins anything (torch's legacy rule): leave it out
                return cat([u.to(common) for u in tensors if u.shape != (0,)], dim)
            if not t.ndim:
                raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                                   "concatenated")
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {first.ndim} and {t.ndim}")
        for j, (a, b) in enumerate(zip(first.shape, t.shape)):
            if j != d and a != b:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {a} but "
                    f"got size {b} for tensor number {i} in the list (shapes "
                    f"{tuple(first.shape)} and {tuple(t.shape)}).")
    tensors = [t.to(common) for t in tensors]
    return Cat.apply(*tensors, dim=d)


def _tensor_list(tensors: Any, fn: str) -> list[Tensor]:
    """The tensors of cat's or stack's first argument, or torch's TypeError."""
    if is_tensor(tensors) or not isinstance(tensors, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type_name(tensors)}")
    if not all(map(is_tensor, tensors)):
        i, t = next((i, t) for i, t in enumerate(tensors) if not is_tensor(t))
        raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                        f"{type_name(t)} ({t!r})")
    return list(tensors)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} "
                f"at entry 0 and {list(t.shape)} at entry {i}")
    d = normalize_dim(dim, tensors[0].ndim + 1)
    return cat([unsqueeze(t, d) for t in tensors], d)


def _pad_index(x: Tensor, n: int, before: int, after: int, mode: str) -> Tensor:
    """Source index of each output position along one padded dim, on x's device."""
    xp = x.backend.xp
    p = xp.arange(-before, n + after, dtype=x.backend.dtype(dtypes.int64))
    if mode == "replicate":
        p = xp.clip(p, 0, n - 1)
    elif mode == "circular":
        p = p % n
    else:  # reflect: mirror at 0 and at n - 1, without repeating the edge
        p = xp.abs(p)
        p = xp.where(p > n - 1, 2 * (n - 1) - p, p)
    return make_tensor(p, x.device)


def pad(x: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
        ) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims, as torch.nn.functional.pad.

    ``pad`` lists (before, after) pairs starting from the last dim. ``mode``: constant (with
    ``value``), reflect, replicate or circular; negative widths crop.
    """
    pad = [int(p) for p in pad]
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise RuntimeError(
            f"Padding length must be divisible by 2 and at most twice the number of dims "
            f"({x.ndim}), got {len(pad)}")
    widths = [(0, 0)] * (x.ndim - len(pad) // 2) + [
        (pad[2 * i], pad[2 * i + 1]) for i in reversed(range(len(pad) // 2))]
    if mode in ("constant", "circular") and any(b < 0 or a < 0 for b, a in widths):
        # negative widths crop first (reflect and replicate read past them, as torch)
        if any(n + b + a < 0 for n, (b, a) in zip(x.shape, widths)):
            raise RuntimeError(f"negative padding {pad} crops more than the input of shape "
                               f"{tuple(x.shape)} holds")
        x = x[tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(x.shape, widths))]
        widths = [(max(b, 0), max(a, 0)) for b, a in widths]
    if mode == "constant":
        if not any(b or a for b, a in widths):
            return x
        return ConstantPad.apply(x, widths=tuple(widths), value=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"padding mode {mode!r} is not one of constant, reflect, "
                                  "replicate, circular")
    if value is not None and value != 0:
        raise RuntimeError(f"padding mode {mode!r} doesn't take in value argument")
    for d, (before, after) in enumerate(widths):
        if not before and not after:
            continue
        n = x.shape[d]
        limit = {"reflect": n - 1, "circular": n}.get(mode, float("inf"))
        if before > limit or after > limit or n == 0 or n + before + after <= 0:
            raise RuntimeError(
                f"{mode} padding of ({before}, {after}) is invalid for dimension {d} of size "
                f"{n} in input of shape {tuple(x.shape)}: widths must be at most {limit}, and "
                f"the dimension and the output non-empty")
        x = x[(slice(None),) * d + (_pad_index(x, n, before, after, mode),)]
    return x
