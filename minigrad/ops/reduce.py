"""Reductions (sum, max, min) as Functions, and the composites built on them.

``dim`` is an int, a tuple of ints or None (all dims); ``keepdim`` keeps reduced dims as 1.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import TYPE_CHECKING, Any

from minigrad.autograd import Function, is_tensor, make_tensor
from minigrad.backends import fast_path
from minigrad.ops.elementwise import Rounding, where
from minigrad.ops.movement import Expand, Reshape
from minigrad.ops.promotion import (
    Dim,
    as_bool,
    as_number,
    as_tensor_like,
    broadcast_shapes,
    kept_shape,
    normalize_dim,
    normalize_dims,
)
from minigrad.runtime import dtypes

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

max_result = namedtuple("max_result", ["values", "indices"])  # as torch.return_types.max


class Sum(Function):
    """The sum over some dims."""

    def forward(self, x: Any, *, axes: tuple[int, ...], keepdim: bool) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.axes, self.keepdim = axes, keepdim
        return self.xp.sum(x, axis=axes, keepdims=keepdim)

    # d sum(x) = sum(dx): each input gets the gradient of the sum it fell into
    def backward(self, g: Tensor) -> Tensor:
        shape = tuple(self.inputs[0].shape)
        if not self.keepdim:
            g = Reshape.apply(g, shape=kept_shape(shape, self.axes))
        return Expand.apply(g, shape=shape)


class Mean(Sum):
    """The mean over some dims."""

    def forward(self, x: Any, *, axes: tuple[int, ...], keepdim: bool) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.axes, self.keepdim = axes, keepdim
        self.count = math.prod(x.shape[i] for i in axes)
        return self.xp.mean(x, axis=axes, keepdims=keepdim)

    # d mean(x) = sum(dx) / n
    def backward(self, g: Tensor) -> Tensor:
        g = super().backward(g)
        return g / self.count if self.count else g


class Max(Function):
    """The largest value over some dims."""

    reduce = "max"

    def forward(self, x: Any, *, axes: tuple[int, ...], keepdim: bool) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.axes, self.keepdim = axes, keepdim
        m = getattr(self.xp, self.reduce)(x, axis=axes, keepdims=True)
        self.mask = x == m
        return m if keepdim else self.xp.reshape(m, tuple(
            n for i, n in enumerate(x.shape) if i not in axes))

    # the gradient goes to the extreme element; ties share it evenly (as torch.amax)
    def backward(self, g: Tensor) -> Tensor:
        shape = self.inputs[0].shape
        if not self.keepdim:
            g = g.reshape(kept_shape(shape, self.axes))
        mask = make_tensor(self.mask, g.device).to(g.dtype)
        return g * mask / mask.sum(dim=self.axes, keepdim=True)


class Min(Max):
    """The smallest value over some dims."""

    reduce = "min"


# ---- Tensor-level entry points -------------------------------------------------------------
def sum(x: Tensor, dim: Dim = None, keepdim: bool = False,
        dtype: dtypes.dtype | None = None) -> Tensor:
    """Sum over ``dim`` (all by default); integers and bools sum as int64 (as torch)."""
    axes, keepdim = normalize_dims(dim, x.ndim), as_bool(keepdim, "sum", "keepdim")
    if dtype is not None:
        x = x.to(dtype)
    elif not x.dtype.is_floating_point and x.dtype is not dtypes.int64:
        x = x.to(dtypes.int64)
    return Sum.apply(x, axes=axes, keepdim=keepdim)


def mean(x: Tensor, dim: Dim = None, keepdim: bool = False) -> Tensor:
    """Mean over ``dim`` (all by default); floating-point tensors only (as torch)."""
    if not x.dtype.is_floating_point:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {x.dtype.name}"
        )
    return Mean.apply(x, axes=normalize_dims(dim, x.ndim),
                      keepdim=as_bool(keepdim, "mean", "keepdim"))


class MaxAlong(Function):
    """The largest value along one dim, kept as size 1; ``index`` (the argmax, an int64 input
    without a gradient) says which element it is."""

    reduce = "max"

    def forward(self, x: Any, index: Any, *, dim: int) -> Any:
        self.save_for_backward(index)
        self.dim = dim
        return getattr(self.xp, self.reduce)(x, axis=dim, keepdims=True)

    # d max = dx at the index that won: the gradient goes there, nowhere else
    def backward(self, g: Tensor) -> tuple[Tensor, None]:
        xp, (x, index) = self.xp, self.inputs
        n = x.shape[self.dim]
        shape = (1,) * self.dim + (n,) + (1,) * (x.ndim - self.dim - 1)
        positions = xp.reshape(xp.arange(n, dtype=index._data.dtype), shape)
        won = make_tensor(positions == index._data, g.device)
        return where(won, g, 0.0), None


class MinAlong(MaxAlong):
    """The smallest value along one dim, kept as size 1, at ``index`` (the argmin)."""

    reduce = "min"


def _extreme(fn: type[Max], x: Tensor, dim: int | None, keepdim: bool) -> Any:
    keepdim = as_bool(keepdim, fn.reduce, "keepdim")
    if dim is None:
        if x.numel() == 0:
            raise RuntimeError(f"{fn.reduce}(): Expected reduction dim to be specified for "
                               "input with zero elements")
        return fn.apply(x, axes=tuple(range(x.ndim)), keepdim=False)
    if x.ndim == 0:  # a scalar along its dim 0 is itself, index 0
        normalize_dim(dim, 0)
        values, index = _extreme(fn, x.reshape(1), 0, keepdim)
        return max_result(values.reshape(()), index.reshape(()))
    d = normalize_dim(dim, x.ndim)
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"{fn.reduce}(): Expected reduction dim {d} to have non-zero size.")
    index = (argmax if fn is Max else argmin)(x, d, keepdim=True)  # the first of a tie wins
    values = (MaxAlong if fn is Max else MinAlong).apply(x, index, dim=d)
    if not keepdim:
        values, index = values.squeeze(d), index.squeeze(d)
    return max_result(values, index)


def check_reduced(name: str, x: Tensor, axes: tuple[int, ...] | None) -> None:
    """torch's errors for a max, min, argmax... with nothing to choose from: no dim given on an
    empty tensor, or a reduced dim of size 0."""
    if axes is None and x.numel() == 0:
        error = IndexError if name.startswith("arg") else RuntimeError
        raise error(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                    "Specify the reduction dim with the 'dim' argument.")
    for d in axes or ():
        if x.ndim and x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def amax(x: Tensor, dim: Dim = (), keepdim: bool = False) -> Tensor:
    """The largest values over ``dim`` (all dims by default); ties share the gradient."""
    return _amax(Max, x, dim, keepdim)


def amin(x: Tensor, dim: Dim = (), keepdim: bool = False) -> Tensor:
    """The smallest values over ``dim`` (all dims by default); ties share the gradient."""
    return _amax(Min, x, dim, keepdim)


def _amax(fn: type[Max], x: Tensor, dim: Dim, keepdim: bool) -> Tensor:
    name = "a" + fn.reduce
    axes, keepdim = normalize_dims(dim, x.ndim), as_bool(keepdim, name, "keepdim")
    everything = dim is None or (isinstance(dim, (tuple, list)) and not dim)
    check_reduced(name, x, None if everything else axes)
    return fn.apply(x, axes=axes, keepdim=keepdim)


def max(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The largest element, or ``(values, indices)`` along ``dim`` (as torch.max)."""
    return _extreme(Max, x, dim, keepdim)


def min(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The smallest element, or ``(values, indices)`` along ``dim`` (as torch.min)."""
    return _extreme(Min, x, dim, keepdim)


def _arg(name: str, x: Tensor, dim: int | None, keepdim: bool) -> Tensor:
    xp = x.backend.xp
    data = x._data
    check_reduced(name, x, None if dim is None else (normalize_dim(dim, x.ndim),))
    if dim is None:
        data, dim = xp.reshape(data, (-1,)), 0
        if keepdim:
            out = getattr(xp, name)(data, axis=0)
            return make_tensor(xp.reshape(out, (1,) * x.ndim), x.device)
    axis = normalize_dim(dim, x.ndim)
    return make_tensor(getattr(xp, name)(data, axis=axis, keepdims=keepdim), x.device)


@fast_path
def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (of the flattened tensor when ``dim`` is None); the first
    of a tie, as torch's."""
    return _arg("argmax", x, dim, keepdim)


@fast_path
def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (of the flattened tensor when ``dim`` is None); the first
    of a tie, as torch's."""
    return _arg("argmin", x, dim, keepdim)


def var(x: Tensor, dim: Dim = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: int | float | None = None) -> Tensor:
    """Variance: sum((x - mean)^2) / (N - correction); ``unbiased`` = correction 1 (default)."""
    keepdim = as_bool(keepdim, "var", "keepdim")
    if correction is None:
        correction = 0 if unbiased is False else 1
    axes = normalize_dims(dim, x.ndim)
    count = math.prod(x.shape[i] for i in axes)
    centred = x - x.mean(dim=axes, keepdim=True)
    return (centred * centred).sum(dim=axes, keepdim=keepdim) / (count - correction)


def std(x: Tensor, dim: Dim = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: int | float | None = None) -> Tensor:
    """Standard deviation: the square root of ``var`` with the same arguments."""
    return var(x, dim, unbiased, keepdim, correction=correction).sqrt()


def _max_constant(x: Tensor, dim: int) -> Tensor:
    """The max along ``dim`` (kept) as a constant: a shift that needs no gradient."""
    axis = normalize_dim(dim, x.ndim)
    xp = x.backend.xp
    if x.ndim and x.shape[axis] == 0:  # an empty dim: nothing to shift
        return make_tensor(xp.zeros(kept_shape(x.shape, (axis,)), dtype=x._data.dtype), x.device)
    return make_tensor(xp.max(x._data, axis=axis, keepdims=True), x.device)


def log_softmax(x: Tensor, dim: int) -> Tensor:
    """log(softmax(x)) = x - max - log(sum(exp(x - max))): stable for large inputs.

    The max is a constant shift (detached); it cancels in the value and in the gradient.
    """
    shifted = x - _max_constant(x, dim)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def softmax(x: Tensor, dim: int) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim``, computed after subtracting the max."""
    e = (x - _max_constant(x, dim)).exp()
    return e / e.sum(dim=dim, keepdim=True)


class Cumsum(Function):
    """Running sums along one dim: out[i] = x[0] + ... + x[i]."""

    def forward(self, x: Any, *, dim: int) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.dim = dim
        return self.xp.cumulative_sum(x, axis=dim)

    # x[j] is in every out[i] with i >= j: its gradient is the sum of g[j:], a reversed cumsum
    def backward(self, g: Tensor) -> Tensor:
        reverse = (slice(None),) * self.dim + (slice(None, None, -1),)
        return Cumsum.apply(g[reverse], dim=self.dim)[reverse]


def cumsum(x: Tensor, dim: int, dtype: dtypes.dtype | None = None) -> Tensor:
    """Running sums along ``dim``; integers and bools sum as int64 (as torch)."""
    if dtype is not None:
        x = x.to(dtype)
    elif not x.dtype.is_floating_point and x.dtype is not dtypes.int64:
        x = x.to(dtypes.int64)
    if x.ndim == 0:
        normalize_dim(dim, 0)
        return Cumsum.apply(x.reshape(1), dim=0).reshape(())
    return Cumsum.apply(x, dim=normalize_dim(dim, x.ndim))


def truth(x: Tensor, how: str, dim: Dim = None, keepdim: bool = False) -> Tensor:
    """any or all over ``dim`` (all dims by default): a bool tensor, no gradient."""
    xp = x.backend.xp
    axes, keepdim = normalize_dims(dim, x.ndim), as_bool(keepdim, how, "keepdim")
    data = x._data if x.dtype is dtypes.bool_ else x._data != 0
    return make_tensor(getattr(xp, how)(data, axis=axes, keepdims=keepdim), x.device)


def norm(x: Tensor, p: float | str | None = "fro", dim: Dim = None, keepdim: bool = False
         ) -> Tensor:
    """The p-norm over ``dim`` (all dims by default): (sum |x|^p)^(1/p); 'fro' and None are
    2, inf the largest |x|, -inf the smallest, 0 the count of non-zeros."""
    p = 2 if p in ("fro", None) else p
    if isinstance(p, str):
        raise RuntimeError(f"minigrad's norm supports numeric p (and 'fro'), got p={p!r}")
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {x.dtype.torch_name}")
    axes, keepdim = normalize_dims(dim, x.ndim), as_bool(keepdim, "norm", "keepdim")
    size = x.abs()
    if p == math.inf:
        return Max.apply(size, axes=axes, keepdim=keepdim)
    if p == -math.inf:
        return Min.apply(size, axes=axes, keepdim=keepdim)
    if p == 0:  # how many are non-zero (gradient 0, as torch)
        return rounded_sign(size).sum(dim=axes, keepdim=keepdim)
    if p == 1:
        return size.sum(dim=axes, keepdim=keepdim)
    return NormP.apply(x, axes=axes, keepdim=keepdim, p=float(p))


def rounded_sign(x: Tensor) -> Tensor:
    """-1, 0 or 1 by sign, with gradient 0 (as torch's sign)."""
    return Rounding.apply(x, mode="sign")


class NormP(Function):
    """The p-norm (sum |x|^p)^(1/p) over some dims (p = 2: the Euclidean norm). Where the norm
    is 0 its gradient is 0, as torch's (a subgradient instead of 0/0)."""

    def forward(self, x: Any, *, axes: tuple[int, ...], keepdim: bool, p: float) -> Any:
        self.axes, self.keepdim, self.p = axes, keepdim, p
        xp = self.xp
        if p == 2:
            out = xp.sqrt(xp.sum(x * x, axis=axes, keepdims=keepdim))
        else:
            out = xp.sum(xp.abs(x) ** p, axis=axes, keepdims=keepdim) ** (1 / p)
        self.save_for_backward(x, out)
        return out

    # d ||x||_p = sign(x) |x|^(p-1) / ||x||^(p-1) . dx   (x / ||x|| . dx for p = 2)
    def backward(self, g: Tensor) -> Tensor:
        x, n, p = self.inputs[0], self.output, self.p
        if not self.keepdim:
            shape = kept_shape(x.shape, self.axes)
            g, n = g.reshape(shape), n.reshape(shape)
        zero = n == 0
        scale = g / where(zero, 1.0, n if p == 2 else n ** (p - 1))
        slope = x if p == 2 else rounded_sign(x) * x.abs() ** (p - 1)
        return where(zero, 0.0, slope * scale)


def isclose(a: Tensor, b: Tensor, rtol: float = 1e-5, atol: float = 1e-8,
            equal_nan: bool = False) -> Tensor:
    """|a - b| <= atol + rtol |b| elementwise (infinities equal only to themselves)."""
    xp = a.backend.xp
    if is_tensor(b):
        broadcast_shapes(a.shape, b.shape)
    else:
        b = as_tensor_like(as_number(b, "isclose", "other"), a)
    x, y = a._data, b._data
    finite = xp.isfinite(x) & xp.isfinite(y)  # infinities are close only to themselves
    close = (x == y) | (finite & (xp.abs(x - y) <= atol + rtol * xp.abs(y)))
    if equal_nan:
        close = close | (xp.isnan(x) & xp.isnan(y))
    return make_tensor(close, a.device)
