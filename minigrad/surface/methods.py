"""The Tensor methods of PyTorch's wider surface (``flip``, ``split``, ``einsum``-style
products, ``log1p``, ``uniform_``, ...): a base class of ``Tensor``, so that tensor.py keeps
the core a student reads. Each method is a one-liner onto an op or a composite of ops, as in
tensor.py; the torch-style functions (``mg.flip(x, ...)``) are these methods too
(surface/functions.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minigrad.autograd import make_tensor
from minigrad.extras import inplace
from minigrad.ops import indexing, mathops
from minigrad.ops.promotion import as_number, size_arg
from minigrad.runtime import dtypes
from minigrad.runtime.random import generator

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
    # (the ops in minigrad/ops/mathops.py)
    def mm(self: Tensor, mat2: Tensor) -> Tensor:
        """The matrix product with ``mat2`` (both 2-D, one dtype)."""
        return mathops.mm(self, mat2)

    def bmm(self: Tensor, mat2: Tensor) -> Tensor:
        """The matrix products of two batches of matrices (both 3-D, one dtype)."""
        return mathops.bmm(self, mat2)

    def mv(self: Tensor, vec: Tensor) -> Tensor:
        """This matrix times the vector ``vec``."""
        return mathops.mv(self, vec)

    def dot(self: Tensor, other: Tensor) -> Tensor:
        """The inner product of two vectors: a 0-d tensor."""
        return mathops.dot(self, other)

    def outer(self: Tensor, vec2: Tensor) -> Tensor:
        """The outer product with the vector ``vec2``: (n,), (m,) -> (n, m)."""
        return mathops.outer(self, vec2)

    def addmm(self: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1,
              alpha: float = 1) -> Tensor:
        """beta * self + alpha * (mat1 @ mat2)."""
        return mathops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def prod(self: Tensor, dim: int | None = None, keepdim: bool = False, *,
             dtype: Any = None) -> Tensor:
        """The product of all elements, or along ``dim`` (its gradient right with zeros)."""
        return mathops.prod(self, dim, keepdim, None if dtype is None else dtypes.to_dtype(dtype))

    def cumprod(self: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
        """Running products along ``dim``."""
        return mathops.cumprod(self, dim, None if dtype is None else dtypes.to_dtype(dtype))

    def logsumexp(self: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
        """log(sum(exp(x))) over ``dim``, without overflow."""
        return mathops.logsumexp(self, dim, keepdim)

    def count_nonzero(self: Tensor, dim: Any = None) -> Tensor:
        """How many elements are not zero, over ``dim`` (all by default)."""
        return mathops.count_nonzero(self, dim)

    def isnan(self: Tensor) -> Tensor:
        """Where the elements are NaN (bool)."""
        return mathops.isnan(self)

    def isinf(self: Tensor) -> Tensor:
        """Where the elements are +inf or -inf (bool)."""
        return mathops.isinf(self)

    def isfinite(self: Tensor) -> Tensor:
        """Where the elements are neither NaN nor infinite (bool)."""
        return mathops.isfinite(self)

    def nan_to_num(self: Tensor, nan: float = 0.0, posinf: float | None = None,
                   neginf: float | None = None) -> Tensor:
        """NaN, inf and -inf replaced by numbers (by default 0 and the dtype's extremes)."""
        return mathops.nan_to_num(self, nan, posinf, neginf)

    def log1p(self: Tensor) -> Tensor:
        """log(1 + x), accurate for small x."""
        return mathops.log1p(self)

    def expm1(self: Tensor) -> Tensor:
        """e ** x - 1, accurate for small x."""
        return mathops.expm1(self)

    def square(self: Tensor) -> Tensor:
        """x * x."""
        return mathops.square(self)

    def rsqrt(self: Tensor) -> Tensor:
        """1 / sqrt(x)."""
        return mathops.rsqrt(self)

    def reciprocal(self: Tensor) -> Tensor:
        """1 / x."""
        return mathops.reciprocal(self)

    def unique(self: Tensor, sorted: bool = True, return_inverse: bool = False,
               return_counts: bool = False, dim: int | None = None) -> Any:
        """The distinct values (or slices along ``dim``), sorted; optionally where each
        element went (``return_inverse``) and how often each occurs (``return_counts``)."""
        return mathops.unique(self, sorted, return_inverse, return_counts, dim)

    def bincount(self: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
        """How often each of 0, 1, ... occurs (or the sum of its ``weights``)."""
        return mathops.bincount(self, weights, minlength)

    # random fills: drawn from minigrad's one host generator, written in place (as fill_)
    def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
        """Fill with values drawn uniformly from [a, b), in place."""
        a, b = as_number(a, "uniform_", "from"), as_number(b, "uniform_", "to")
        _random_floats(self, "check_uniform_bounds")
        if a > b:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                               f"from={a} > to={b}")
        return _fill_from_host(self, generator().uniform(a, b, tuple(self.shape)))

    def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
        """Fill with values drawn from the normal distribution N(mean, std^2), in place."""
        mean, std = as_number(mean, "normal_", "mean"), as_number(std, "normal_", "std")
        _random_floats(self, "normal_kernel_cpu")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        return _fill_from_host(self, generator().normal(mean, std, tuple(self.shape)))

    def bernoulli_(self: Tensor, p: Any = 0.5) -> Tensor:
        """Fill with 1 (probability ``p``, a number or a tensor that broadcasts) or 0, in
        place."""
        if isinstance(p, TensorMethods):
            if bool(((p < 0) | (p > 1)).any()):
                raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false. "
                                   "(bernoulli_: a probability in p is outside [0, 1])")
            draws = make_tensor(self.backend.from_host(
                generator().random(tuple(self.shape)), "creation"), self.device)
            return inplace.copy_(self, draws.to(p.dtype) < p)
        p = as_number(p, "bernoulli_", "p")
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        return _fill_from_host(self, generator().random(tuple(self.shape)) < p)

    def bernoulli(self: Tensor, p: Any = None) -> Tensor:
        """0 or 1 for each element, 1 with the probability the element holds (or ``p``)."""
        if not self.dtype.is_floating_point:
            raise NotImplementedError(f'"bernoulli_tensor_cpu_p_" not implemented for '
                                      f"'{self.dtype.torch_name}' (the probabilities are "
                                      "floating point)")
        return self.detach().clone().bernoulli_(self.detach() if p is None else p)

    @property
    def itemsize(self: Tensor) -> int:
        """Bytes per element (as ``element_size()``)."""
        return self.dtype.itemsize

    @property
    def nbytes(self: Tensor) -> int:
        """Bytes the elements take: numel * itemsize (as torch: an expanded view counts every
        element)."""
        return self.numel() * self.dtype.itemsize


def _random_floats(t: Tensor, kernel: str) -> None:
    """torch's NotImplementedError for a random fill of floats into an integer tensor."""
    if not t.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{t.dtype.torch_name}\' '
                                  "(the values drawn are floating point)")


def _fill_from_host(t: Tensor, values: Any) -> Tensor:
    """Write values drawn on the host into t (on its device, in its dtype), in place."""
    host = values.astype(t.dtype.name)
    return inplace.copy_(t, make_tensor(t.backend.from_host(host, "creation"), t.device))
