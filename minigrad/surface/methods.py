"""The Tensor methods of PyTorch's wider surface: a base class of ``Tensor``, so that
tensor.py keeps the core a student reads. Here: shape and indexing (``flip``, ``split``,
``scatter``), more math (``einsum``-style products, ``log1p``, ``asin``), random fills
(``uniform_``), the in-place forms (``add_``, ``x += y``), conversions and interop
(``float()``, ``new_zeros``, ``__array__``, ``f"{x:.3f}"``), more comparisons, rounding,
``argmax``, ``sort``, ``topk``, ``norm``. Each method is a one-liner onto an op or a
composite of ops, as in tensor.py; the torch-style functions (``mg.flip(x, ...)``) are these
methods too (surface/functions.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from minigrad import autograd, ops
from minigrad.autograd import make_tensor
from minigrad.backends import as_device
from minigrad.extras import inplace
from minigrad.ops import indexing, mathops
from minigrad.ops.elementwise import where
from minigrad.ops.promotion import as_number, dim_alias, size_arg
from minigrad.runtime import dtypes
from minigrad.runtime.random import generator
from minigrad.surface import sort, special

if TYPE_CHECKING:
    from minigrad.tensor import Tensor


_dim_alias = dim_alias  # (numpy's axis= for dim=: ops/promotion.py)
DeviceLike = Any
DTypeLike = Any


if TYPE_CHECKING:  # (to a type checker the base is open: self is the Tensor these extend)
    _Surface = Any
else:
    _Surface = object


class TensorMethods(_Surface):
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
            p = cast("Tensor", p)  # (every TensorMethods is a Tensor)
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


    # ---- the torch surface beyond the core (tensor.py keeps what a student steps through):
    # in-place forms, conversions and interop, more comparisons, rounding, sorting ---------
    @property
    def is_cuda(self) -> bool:
        """Whether the tensor is on a CUDA device."""
        return self._device.type == "cuda"

    def element_size(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        """The values as a DLPack capsule, shared (``torch.from_dlpack(t)``, ``np.from_dlpack``,
        ``cupy.from_dlpack`` take it without a copy)."""
        if self.requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> tuple[Any, int]:
        """(DLPack device type, index): where the values live, for ``from_dlpack``."""
        return self._data.__dlpack_device__()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        a = self.backend.to_host(self._data, "numpy")
        return a if dtype is None else a.astype(dtype)

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:  # f"{loss:.3f}": the number, as torch
            return format(self._item("format"), spec)
        return format(str(self), spec)

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._item("index"))

    def cpu(self, memory_format: Any = None) -> Tensor:
        """This tensor on the CPU."""
        return self.to("cpu")

    def cuda(self, device: int | str | None = None, non_blocking: bool = False,
             memory_format: Any = None) -> Tensor:
        """This tensor on a CUDA GPU (``cuda:0`` by default)."""
        return self.to(f"cuda:{device}" if isinstance(device, int) else device or "cuda")

    def float(self, memory_format: Any = None) -> Tensor:
        """Cast to float32."""
        return self._as(dtypes.float32)

    def double(self, memory_format: Any = None) -> Tensor:
        """Cast to float64."""
        return self._as(dtypes.float64)

    def half(self, memory_format: Any = None) -> Tensor:
        """Cast to float16 (where the backend has it)."""
        return self._as(dtypes.float16)

    def int(self, memory_format: Any = None) -> Tensor:
        """Cast to int32."""
        return self._as(dtypes.int32)

    def bool(self, memory_format: Any = None) -> Tensor:
        """Cast to bool."""
        return self._as(dtypes.bool_)

    def type(self, dtype: DTypeLike = None, non_blocking: bool = False) -> Any:
        """Without ``dtype``, the type's name as torch prints it ('minigrad.FloatTensor'); with
        it, the tensor cast to ``dtype`` (a dtype or such a name)."""
        if dtype is None:
            where = "" if self._device.type == "cpu" else f"{self._device.type}."
            return f"minigrad.{where}{self.dtype.torch_name}Tensor"
        if isinstance(dtype, str):  # a type's name, 'minigrad.FloatTensor' (or torch's)
            name = dtype.rsplit(".", 1)[-1]
            found = [d for d in dtypes.ALL if f"{d.torch_name}Tensor" == name]
            if not found:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = found[0]
        return self.to(dtype)

    def new_tensor(self, data: Any, dtype: DTypeLike = None, device: DeviceLike = None,
                   requires_grad: bool = False) -> Tensor:
        """A tensor of ``data`` with this one's dtype and device (unless given)."""
        return autograd._Tensor(data, dtype=dtype or self.dtype,
                                device=device or self.device, requires_grad=requires_grad)

    def new_full(self, size: Sequence[int], fill_value: Any, *, dtype: DTypeLike = None,
                 device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
        """A tensor of ``size`` filled with ``fill_value``, this one's dtype and device."""
        dev = as_device(device or self.device)
        d = dtypes.to_dtype(dtype) if dtype is not None else self.dtype
        shape = ops.promotion.new_shape(ops.promotion.as_ints(size, "new_full", "size"))
        fill_value = ops.promotion.as_number(fill_value, "new_full", "fill_value")
        t = make_tensor(dev.backend.xp.full(shape, fill_value, dtype=dev.backend.dtype(d)), dev)
        return t.requires_grad_() if requires_grad else t

    def new_zeros(self, *size: Any, dtype: DTypeLike = None, device: DeviceLike = None,
                  requires_grad: bool = False) -> Tensor:
        """Zeros of ``size`` with this tensor's dtype and device."""
        return self.new_full(size_arg(size, "new_zeros"), 0, dtype=dtype, device=device,
                             requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: DTypeLike = None, device: DeviceLike = None,
                 requires_grad: bool = False) -> Tensor:
        """Ones of ``size`` with this tensor's dtype and device."""
        return self.new_full(size_arg(size, "new_ones"), 1, dtype=dtype, device=device,
                             requires_grad=requires_grad)

    def type_as(self, other: Tensor) -> Tensor:
        """Cast to ``other``'s dtype."""
        return self.to(other.dtype)

    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating-point one."""
        return self.dtype.is_floating_point

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace(lambda t: t + other, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace(lambda t: t - other, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace(lambda t: t * other, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace(lambda t: t / other, other)

    def __ipow__(self, other: Any) -> Tensor:
        return self._inplace(lambda t: t ** other, other)

    def __ifloordiv__(self, other: Any) -> Tensor:
        return self._inplace(lambda t: t // other, other)

    def __imod__(self, other: Any) -> Tensor:
        return self._inplace(lambda t: t % other, other)

    def __iand__(self, other: Any) -> Tensor:
        return self._inplace(lambda t: t & other, other)

    def __ior__(self, other: Any) -> Tensor:
        return self._inplace(lambda t: t | other, other)

    def __ixor__(self, other: Any) -> Tensor:
        return self._inplace(lambda t: t ^ other, other)

    def add_(self, other: Any, *, alpha: float = 1) -> Tensor:
        """self += alpha * other, in place."""
        return self._inplace(lambda t: t.add(other, alpha=alpha), other)

    def mul_(self, other: Any) -> Tensor:
        """self *= other, in place."""
        return self._inplace(lambda t: t * other, other)

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """self /= other, in place."""
        return self._inplace(lambda t: t.div(other, rounding_mode=rounding_mode), other)

    def pow_(self, exponent: Any) -> Tensor:
        """self **= exponent, in place."""
        return self._inplace(lambda t: t ** exponent, exponent)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        """Limit values to [min, max], in place."""
        return self._inplace(lambda t: t.clamp(min, max), min, max)

    def neg_(self) -> Tensor:
        """-self, in place."""
        return self._inplace(lambda t: -t)

    def abs_(self) -> Tensor:
        """|self|, in place."""
        return self._inplace(lambda t: t.abs())

    def exp_(self) -> Tensor:
        """e ** self, in place."""
        return self._inplace(lambda t: t.exp())

    def log_(self) -> Tensor:
        """log(self), in place."""
        return self._inplace(lambda t: t.log())

    def sqrt_(self) -> Tensor:
        """sqrt(self), in place."""
        return self._inplace(lambda t: t.sqrt())

    def tanh_(self) -> Tensor:
        """tanh(self), in place."""
        return self._inplace(lambda t: t.tanh())

    def sigmoid_(self) -> Tensor:
        """sigmoid(self), in place."""
        return self._inplace(lambda t: t.sigmoid())

    def relu_(self) -> Tensor:
        """max(self, 0), in place."""
        return self._inplace(lambda t: t.relu())

    def copy_(self, src: Tensor, non_blocking: bool = False) -> Tensor:
        """Copy ``src``'s values (broadcast, cast and moved as needed) into this tensor."""
        if not isinstance(src, TensorMethods):
            src = ops.promotion.as_tensor_like(
                ops.promotion.as_number(src, "copy_", "src"), self)
        return inplace.copy_(self, src)

    def fill_(self, value: Any) -> Tensor:
        """Set every element to ``value`` (a number or a 0-d tensor), in place."""
        return inplace.fill_(self, value)

    def zero_(self) -> Tensor:
        """Set every element to 0, in place."""
        return self.fill_(0)

    def masked_fill_(self, mask: Tensor, value: Any) -> Tensor:
        """Set the elements where ``mask`` is True to ``value``, in place."""
        return self._inplace(lambda t: t.masked_fill(mask, value), value)

    def masked_fill(self, mask: Tensor, value: Any) -> Tensor:
        """A copy with the elements where ``mask`` (broadcast) is True set to ``value``."""
        ops.promotion.as_tensor_arg(mask, "masked_fill", "mask")
        if not isinstance(value, TensorMethods):
            value = ops.promotion.as_number(value, "masked_fill", "value")
        if mask.dtype is not dtypes.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with "
                               f"dtype {mask.dtype.name}")
        if isinstance(value, TensorMethods) and value.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.ndim} dimension(s).")
        return ops.where(mask, value.to(self.dtype) if isinstance(value, TensorMethods)
                         else ops.promotion.as_tensor_like(value, self), self)

    def masked_select(self, mask: Tensor) -> Tensor:
        """The elements where ``mask`` (broadcast) is True, as a 1-D tensor."""
        return ops.masked_select(self, mask)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        """Indices of the non-zero elements: (n, ndim), or a tuple of n-vectors."""
        return ops.nonzero(self, as_tuple)

    def index_put(self, indices: tuple, values: Any, accumulate: bool = False) -> Tensor:
        """A copy with ``values`` written (or, with ``accumulate``, added) at ``indices``."""
        if accumulate:
            key = ops.movement.parse_key(self, tuple(indices))
            positions = ops.movement.index_positions(self, key)
            v = values if isinstance(values, TensorMethods) else \
                ops.promotion.as_tensor_like(values, self)
            added = ops.IndexAdd.apply(ops.expand(v.to(self.dtype), positions.shape).reshape(-1),
                                       shape=(self.numel(),), key=(positions.reshape(-1)._data,))
            return self + added.reshape(self.shape)
        out = self.clone()
        out[tuple(indices)] = values
        return out

    def index_put_(self, indices: tuple, values: Any, accumulate: bool = False) -> Tensor:
        """self[indices] = values (or += with ``accumulate``), in place."""
        if accumulate:
            return self._inplace(lambda t: t.index_put(indices, values, accumulate=True),
                                 values)
        inplace.setitem(self, tuple(indices), values)
        return self

    def __floordiv__(self, other: Any) -> Tensor:
        return ops.elementwise.integer_op("floor_divide", self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return ops.elementwise.integer_op("floor_divide", *ops.promote(self, other)[::-1])

    def __mod__(self, other: Any) -> Tensor:
        return ops.elementwise.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return ops.elementwise.remainder(self, other, reverse=True)

    def remainder(self, other: Any) -> Tensor:
        """self - other * floor(self / other): the remainder with other's sign (Python's %)."""
        return ops.elementwise.remainder(self, other)

    # ---- comparisons and logic (no graph) ---------------------------------------------------
    def eq(self, other: Any) -> Tensor:
        """self == other, elementwise (bool)."""
        return ops.compare("eq", self, other)

    def ne(self, other: Any) -> Tensor:
        """self != other, elementwise (bool)."""
        return ops.compare("ne", self, other)

    def __le__(self, other: Any) -> Tensor:
        return ops.compare("le", self, other)

    def __gt__(self, other: Any) -> Tensor:
        return ops.compare("gt", self, other)

    def __xor__(self, other: Any) -> Tensor:  # (a tensor, or a number as x ^= 1 takes)
        return ops.logical("xor", self, other)

    def __invert__(self) -> Tensor:
        return ops.logical("not", self)

    def sign(self) -> Tensor:
        """-1, 0 or 1 by sign (its derivative is 0 almost everywhere)."""
        return ops.reduce.rounded_sign(self)

    def erf(self) -> Tensor:
        """The error function, 2/sqrt(pi) * integral from 0 to x of exp(-t^2) dt."""
        return special.erf(self)

    @_dim_alias
    def amax(self, dim: Any = (), keepdim: bool = False) -> Tensor:
        """The largest values over ``dim`` (all dims by default); ties share the gradient."""
        return ops.reduce.amax(self, dim, keepdim)

    @_dim_alias
    def amin(self, dim: Any = (), keepdim: bool = False) -> Tensor:
        """The smallest values over ``dim`` (all dims by default); ties share the gradient."""
        return ops.reduce.amin(self, dim, keepdim)

    @_dim_alias
    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the largest element (flattened when ``dim`` is None)."""
        return ops.argmax(self, *self._arg_dims(dim, keepdim, "argmax"))

    @_dim_alias
    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the smallest element (flattened when ``dim`` is None)."""
        return ops.argmin(self, *self._arg_dims(dim, keepdim, "argmin"))

    def _arg_dims(self, dim: Any, keepdim: Any, name: str) -> tuple[int | None, bool]:
        # checked here, before a backend's fast argmax sees them
        d = None if dim is None else ops.promotion.normalize_dim(dim, self.ndim)
        ops.reduce.check_reduced(name, self, None if d is None else (d,))
        return d, ops.promotion.as_bool(keepdim, name, "keepdim")

    @_dim_alias
    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Whether every element is true (non-zero), over ``dim`` or everything (bool)."""
        return ops.reduce.truth(self, "all", dim, keepdim)

    @_dim_alias
    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False,
             dtype: DTypeLike = None) -> Tensor:
        """The p-norm over ``dim`` (all by default): 2 ('fro'), 1, inf, -inf, 0 or any p."""
        return ops.reduce.norm(self if dtype is None else self.to(dtype), p, dim, keepdim)

    @_dim_alias
    def cumsum(self, dim: int, dtype: DTypeLike = None) -> Tensor:
        """Running sums along ``dim``."""
        return ops.reduce.cumsum(self, dim, None if dtype is None else dtypes.to_dtype(dtype))

    @_dim_alias
    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        """``(values, indices)`` sorted along ``dim``."""
        return sort.sort(self, dim, descending, stable)

    @_dim_alias
    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        """The indices that sort along ``dim``."""
        return sort.argsort(self, dim, descending, stable)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        """``(values, indices)`` of the k largest (``largest=False``: smallest) along ``dim``."""
        return sort.topk(self, k, dim, largest, sorted)

    def isclose(self, other: Any, rtol: float = 1e-5, atol: float = 1e-8,
                equal_nan: bool = False) -> Tensor:
        """|self - other| <= atol + rtol |other|, elementwise (bool)."""
        return ops.reduce.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other: Any, rtol: float = 1e-5, atol: float = 1e-8,
                 equal_nan: bool = False) -> bool:
        """Whether every element is close to ``other``'s (see ``isclose``)."""
        return bool(self.isclose(other, rtol, atol, equal_nan).all()._item("allclose"))

    def floor(self) -> Tensor:
        """Round down (gradient 0)."""
        return ops.elementwise.rounded(self, "floor")

    def ceil(self) -> Tensor:
        """Round up (gradient 0)."""
        return ops.elementwise.rounded(self, "ceil")

    def trunc(self) -> Tensor:
        """Round toward zero (gradient 0)."""
        return ops.elementwise.rounded(self, "trunc")

    def round(self: Tensor, *, decimals: int = 0) -> Tensor:
        """Round to ``decimals`` places (the nearest integer by default), halves to even
        (gradient 0)."""
        decimals = ops.promotion.as_int(decimals, "round", "decimals")
        if decimals == 0:
            return ops.elementwise.rounded(self, "round")
        scale = 10.0 ** abs(decimals)  # as torch: x * 10^d rounded, then divided back
        if decimals > 0:
            return ops.elementwise.rounded(self * scale, "round") / scale
        return ops.elementwise.rounded(self / scale, "round") * scale

    def view_as(self, other: Tensor) -> Tensor:
        """``view`` to ``other``'s shape."""
        return ops.reshape(self, other.shape, view=True)

    def reshape_as(self, other: Tensor) -> Tensor:
        """``reshape`` to ``other``'s shape."""
        return ops.reshape(self, other.shape)

    def expand_as(self, other: Tensor) -> Tensor:
        """Broadcast to ``other``'s shape."""
        return ops.expand(self, other.shape)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """Broadcast to ``shape``."""
        return ops.expand(self, ops.promotion.as_ints(shape, "broadcast_to", "size"))

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        """Split dim ``dim`` into ``sizes`` (one may be -1)."""
        return ops.movement.unflatten(self, dim, sizes)

    def __deepcopy__(self, memo: dict) -> Tensor:
        """A copy with its own memory (copy.deepcopy of a model); graph leaves only, as torch."""
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol; detach() it first")
        new = type(self).__new__(type(self))  # a Parameter stays a Parameter
        new._init(self.backend.xp.asarray(self._data, copy=True), self._device)
        new._requires_grad = self._requires_grad
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        return new


    new_empty = new_zeros
    clip_ = clamp_
    le, gt = __le__, __gt__


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
