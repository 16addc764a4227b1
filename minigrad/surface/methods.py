"""The Tensor methods of PyTorch's wider surface (``flip``, ``split``, ``einsum``-style
products, ``log1p``, ``uniform_``, ...): a base class of ``Tensor``, so that tensor.py keeps
the core a student reads. Each method is a one-liner onto an op or a composite of ops, as in
tensor.py; the torch-style functions (``mg.flip(x, ...)``) are these methods too
(surface/functions.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minigrad.ops import indexing
from minigrad.ops.promotion import size_arg

if TYPE_CHECKING:
    from minigrad.tensor import Tensor


class TensorMethods:
    """Methods every Tensor has beyond the core ones in tensor.py."""

    __slots__ = ()

    # ---- shape and indexing: flip, roll, split, index_select, scatter, repeat, ... --------
    # (the ops in minigrad/ops/indexing.py)
    def flip(self: Tensor, *args: Any, dims: Any = None) -> Tensor:
        """Reverse the order of the elements along ``dims`` (``x.flip(0, 1)``, ``x.flip((0,
        1))`` or ``x.flip(dims=...)``): a copy."""
        return indexing.flip(self, indexing.dims_arg(args, dims, "flip"))

    def roll(self: Tensor, shifts: Any, dims: Any = None) -> Tensor:
        """Shift the elements cyclically by ``shifts`` along ``dims`` (without dims, along the
        flattened tensor)."""
        return indexing.roll(self, shifts, dims)

    def split(self: Tensor, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:
        """Views cut along ``dim``: pieces of ``split_size`` (an int), or of the listed sizes."""
        return indexing.split(self, split_size, dim)

    def chunk(self: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """Views cut along ``dim`` into (at most) ``chunks`` pieces of equal size."""
        return indexing.chunk(self, chunks, dim)

    def narrow(self: Tensor, dim: int, start: Any, length: int) -> Tensor:
        """The view of ``length`` elements along ``dim`` from ``start``."""
        return indexing.narrow(self, dim, start, length)

    def unbind(self: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
        """The tensor taken apart along ``dim``: a tuple of views, one per index."""
        return indexing.unbind(self, dim)

    def index_select(self: Tensor, dim: int, index: Tensor) -> Tensor:
        """The slices along ``dim`` at the positions in the vector ``index``."""
        return indexing.index_select(self, dim, index)

    def scatter(self: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
                reduce: str | None = None) -> Tensor:
        """A copy with ``src`` (a tensor) or ``value`` (a number) written along ``dim`` at
        ``index`` (for dim=1: ``out[i][index[i][j]] = src[i][j]``)."""
        return indexing.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
        """A copy with ``src`` added along ``dim`` at ``index`` (for dim=1:
        ``out[i][index[i][j]] += src[i][j]``)."""
        return indexing.scatter_add(self, dim, index, src)

    def repeat(self: Tensor, *sizes: Any) -> Tensor:
        """The tensor repeated ``sizes[i]`` times along dim i (more sizes than dims add
        leading dims)."""
        return indexing.repeat(self, size_arg(sizes, "repeat", "repeats"))

    def tile(self: Tensor, *dims: Any) -> Tensor:
        """The tensor repeated ``dims[i]`` times along dim i, as numpy.tile (fewer dims than
        the tensor's: 1s before them)."""
        return indexing.tile(self, size_arg(dims, "tile", "dims"))

    def repeat_interleave(self: Tensor, repeats: Any = None, dim: int | None = None, *,
                          output_size: int | None = None) -> Tensor:
        """Each slice along ``dim`` repeated ``repeats`` times (an int, or a tensor of one
        count per slice) in place; without ``dim``, of the flattened tensor."""
        return indexing.repeat_interleave(self, repeats, dim, output_size=output_size)

    def movedim(self: Tensor, source: Any, destination: Any) -> Tensor:
        """A view with dims ``source`` moved to ``destination``, the others in their order."""
        return indexing.movedim(self, source, destination)

    moveaxis = movedim

    def swapaxes(self: Tensor, axis0: int, axis1: int) -> Tensor:
        """A view with two dims swapped (transpose)."""
        return indexing.swapaxes(self, axis0, axis1)

    def swapdims(self: Tensor, dim0: int, dim1: int) -> Tensor:
        """A view with two dims swapped (transpose)."""
        return indexing.swapaxes(self, dim0, dim1)

    def take_along_dim(self: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
        """The values at ``indices`` along ``dim`` (broadcast in the other dims), as
        numpy.take_along_axis; without ``dim``, of the flattened tensor."""
        return indexing.take_along_dim(self, indices, dim)

    def tril(self: Tensor, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two dims (from the ``diagonal``-th diagonal down),
        zeros above."""
        return indexing.triangle(self, diagonal, lower=True)

    def triu(self: Tensor, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two dims (from the ``diagonal``-th diagonal up),
        zeros below."""
        return indexing.triangle(self, diagonal, lower=False)

    # ---- math: products, reductions, pointwise, random fills, ... -------------------------
