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
from minigrad.ops.elementwise import where
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

    def asin(self: Tensor) -> Tensor:
        """arcsin, elementwise."""
        return mathops.pointwise(mathops.Asin, self)

    def acos(self: Tensor) -> Tensor:
        """arccos, elementwise."""
        return mathops.pointwise(mathops.Acos, self)

    def atan(self: Tensor) -> Tensor:
        """arctan, elementwise."""
        return mathops.pointwise(mathops.Atan, self)

    def sinh(self: Tensor) -> Tensor:
        """Hyperbolic sine, elementwise."""
        return mathops.pointwise(mathops.Sinh, self)

    def cosh(self: Tensor) -> Tensor:
        """Hyperbolic cosine, elementwise."""
        return mathops.pointwise(mathops.Cosh, self)

    def tan(self: Tensor) -> Tensor:
        """Tangent, elementwise."""
        return mathops.pointwise(mathops.Tan, self)

    arcsin, arccos, arctan = asin, acos, atan

    def logical_and(self: Tensor, other: Tensor) -> Tensor:
        """Both non-zero, elementwise (bool)."""
        return self.bool() & _as_tensor(other, self).bool()

    def logical_or(self: Tensor, other: Tensor) -> Tensor:
        """Either non-zero, elementwise (bool)."""
        return self.bool() | _as_tensor(other, self).bool()

    def logical_xor(self: Tensor, other: Tensor) -> Tensor:
        """Exactly one non-zero, elementwise (bool)."""
        return self.bool() ^ _as_tensor(other, self).bool()

    def logical_not(self: Tensor) -> Tensor:
        """Zero, elementwise (bool)."""
        return ~self.bool()

    def clamp_min(self: Tensor, min: Any) -> Tensor:
        """max(self, min), elementwise; a NaN in either is NaN (the gradient goes to self
        where self >= min, to min where self < min, as torch's: nowhere at a NaN)."""
        if not isinstance(min, TensorMethods):
            return self.clamp(min=min)
        return where(self >= min, self, where(self < min, min, (self + min).detach()))

    def clamp_max(self: Tensor, max: Any) -> Tensor:
        """min(self, max), elementwise; a NaN in either is NaN."""
        if not isinstance(max, TensorMethods):
            return self.clamp(max=max)
        return where(self <= max, self, where(self > max, max, (self + max).detach()))

    def index_add(self: Tensor, dim: int, index: Tensor, source: Tensor, *,
                  alpha: float = 1) -> Tensor:
        """A copy of self with ``alpha * source``'s slices added at ``index`` along ``dim``
        (repeated indices add up): scatter_add with the index spread over source's shape."""
        if not isinstance(index, TensorMethods) or index.ndim > 1:
            raise IndexError("index_add_(): Index is supposed to be a vector")
        if self.ndim == 0:  # a 0-d tensor is one slice along dim 0
            return self.reshape(1).index_add(dim, index.reshape(-1), source.reshape(1),
                                             alpha=alpha).reshape(())
        d = dim % self.ndim
        if source.ndim != self.ndim or source.shape[d] != index.numel():
            raise RuntimeError(f"index_add_(): source of shape {tuple(source.shape)} does not fit "
                               f"self of shape {tuple(self.shape)} with {index.numel()} indices "
                               f"along dim {dim}")
        shape = [1] * source.ndim
        shape[d] = index.numel()
        spread = index.reshape(shape).expand(*source.shape)
        return self.scatter_add(d, spread, source if alpha == 1 else source * alpha)

    # the in-place versions, written into self's memory (as add_)
    def scatter_(self: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
                 reduce: str | None = None) -> Tensor:
        """scatter, in place."""
        return self._inplace(lambda t: t.scatter(dim, index, src, value=value, reduce=reduce),
                             src, index)

    def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
        """scatter_add, in place."""
        return self._inplace(lambda t: t.scatter_add(dim, index, src), src, index)

    def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *,
                   alpha: float = 1) -> Tensor:
        """index_add, in place."""
        return self._inplace(lambda t: t.index_add(dim, index, source, alpha=alpha), source)

    def index_fill_(self: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
        """Set the slices at ``index`` along ``dim`` to ``value``, in place."""
        d = dim % max(self.ndim, 1)
        mask_shape = [1] * self.ndim
        mask_shape[d] = self.shape[d]
        return self.masked_fill_(_hits(self, d, index).reshape(mask_shape), value)

    def squeeze_(self: Tensor, dim: Any = None) -> Tensor:
        """squeeze, changing this tensor's own shape (not for one in a graph)."""
        return _reshaped_in_place(self, self.squeeze() if dim is None else self.squeeze(dim),
                                  "squeeze_")

    def unsqueeze_(self: Tensor, dim: int) -> Tensor:
        """unsqueeze, changing this tensor's own shape (not for one in a graph)."""
        return _reshaped_in_place(self, self.unsqueeze(dim), "unsqueeze_")

    def random_(self: Tensor, from_: int = 0, to: int | None = None) -> Tensor:
        """Fill with integers drawn uniformly from [from_, to - 1] (``random_(to)``: [0, to -
        1]; no bounds: 0 to 2^mantissa for floats, the dtype's largest for integers)."""
        if to is None and from_ != 0:
            from_, to = 0, from_
        if to is None:
            to = (2 ** _MANTISSA[self.dtype.name] + 1 if self.dtype.is_floating_point
                  else _int_max(self.dtype) + 1)
        from_, to = int(from_), int(to)
        if from_ >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={from_} >= to={to}")
        return _fill_from_host(self, generator().integers(from_, to, tuple(self.shape)))

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


def _as_tensor(other: Any, like: Tensor) -> Tensor:
    return other if isinstance(other, TensorMethods) else like.new_tensor(other)


def _hits(t: Tensor, d: int, index: Tensor) -> Tensor:
    """A bool vector over dim d of t: True at the positions in index."""
    positions = _as_tensor(index, t).long().reshape(-1)
    return (positions.reshape(-1, 1) == make_tensor(
        t.backend.xp.arange(t.shape[d]), t.device).reshape(1, -1)).any(0)


def _reshaped_in_place(t: Tensor, shaped: Tensor, name: str) -> Tensor:
    """t, given shaped's shape (a view of t's memory): torch's in-place view ops."""
    if t.requires_grad:
        raise RuntimeError(f"{name}(): minigrad changes the shape in place only of a tensor "
                           f"that requires no grad; use {name[:-1]}() (out of place) in a graph")
    t.data = shaped
    return t


_MANTISSA = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}  # (with the hidden 1)


def _int_max(d: Any) -> int:
    import numpy as np
    return 1 if d.name == "bool" else int(np.iinfo(d.name).max)


def _random_floats(t: Tensor, kernel: str) -> None:
    """torch's NotImplementedError for a random fill of floats into an integer tensor."""
    if not t.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{t.dtype.torch_name}\' '
                                  "(the values drawn are floating point)")


def _fill_from_host(t: Tensor, values: Any) -> Tensor:
    """Write values drawn on the host into t (on its device, in its dtype), in place."""
    host = values.astype(t.dtype.name)
    return inplace.copy_(t, make_tensor(t.backend.from_host(host, "creation"), t.device))
