"""PyTorch's wider math: matrix products, einsum, products, logsumexp, and pointwise functions.

Four Functions (forward and derivative side by side): ``Log1p``, ``Expm1``, ``Prod`` and
``Cumprod``, whose gradients are right where the input has zeros (as torch's). The rest are
composites of existing ops and need no backward: ``mm``, ``bmm``, ``mv``, ``dot``, ``addmm`` are
``matmul`` after torch's shape checks; ``einsum`` is diagonals, sums, permutes, reshapes and
batched matmuls; ``logsumexp`` is max + log(sum(exp(x - max))). ``unique``, ``bincount`` and the
``isnan`` family answer questions about values: no gradient.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from minigrad.autograd import Function, make_tensor
from minigrad.ops.elementwise import where
from minigrad.ops.matmul import MatMul, matmul
from minigrad.ops.movement import ConstantPad, Index, Reshape, permute
from minigrad.ops.promotion import (
    Dim,
    as_bool,
    as_int,
    as_tensor_arg,
    kept_shape,
    normalize_dim,
    normalize_dims,
)
from minigrad.ops.reduce import Cumsum
from minigrad.runtime import dtypes
from minigrad.runtime.grad_mode import is_grad_enabled

if TYPE_CHECKING:
    from minigrad.tensor import Tensor


# ---- pointwise --------------------------------------------------------------------------
class Log1p(Function):
    """log(1 + x), accurate for small x."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return self.xp.log1p(x)

    # d log(1 + x) = dx / (1 + x)
    def backward(self, g: Tensor) -> Tensor:
        return g / (1 + self.inputs[0])


class Expm1(Function):
    """e^x - 1, accurate for small x."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        out = self.xp.expm1(x)
        self.save_for_backward(out)
        return out

    # d (e^x - 1) = e^x dx = (y + 1) dx
    def backward(self, g: Tensor) -> Tensor:
        return g * (self.output + 1)


class Asin(Function):
    """arcsin x, for x in [-1, 1]."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return self.xp.asin(x)

    # d asin x = dx / sqrt(1 - x^2)
    def backward(self, g: Tensor) -> Tensor:
        x = self.inputs[0]
        return g / cast("Tensor", 1 - x * x).sqrt()  # (cast: mypy types 1 - t as an int)


class Acos(Function):
    """arccos x, for x in [-1, 1]."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return self.xp.acos(x)

    # d acos x = -dx / sqrt(1 - x^2)
    def backward(self, g: Tensor) -> Tensor:
        x = self.inputs[0]
        return -g / cast("Tensor", 1 - x * x).sqrt()  # (cast: mypy types 1 - t as an int)


class Atan(Function):
    """arctan x."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return self.xp.atan(x)

    # d atan x = dx / (1 + x^2)
    def backward(self, g: Tensor) -> Tensor:
        x = self.inputs[0]
        return g / (1 + x * x)


class Sinh(Function):
    """sinh x = (e^x - e^-x) / 2 (computed directly: accurate near 0)."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return self.xp.sinh(x)

    # d sinh x = cosh x dx
    def backward(self, g: Tensor) -> Tensor:
        return g * Cosh.apply(self.inputs[0])


class Cosh(Function):
    """cosh x = (e^x + e^-x) / 2."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return self.xp.cosh(x)

    # d cosh x = sinh x dx
    def backward(self, g: Tensor) -> Tensor:
        return g * Sinh.apply(self.inputs[0])


class Tan(Function):
    """tan x."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        out = self.xp.tan(x)
        self.save_for_backward(out)
        return out

    # d tan x = (1 + tan^2 x) dx
    def backward(self, g: Tensor) -> Tensor:
        y = self.output
        return g * (1 + y * y)


def pointwise(fn: type[Function], x: Tensor) -> Tensor:
    """One of the pointwise Functions above on x (integers and bools as the default float)."""
    return fn.apply(floating(x))


def floating(x: Tensor) -> Tensor:
    """x, or x as the default float when it holds integers or bools (as torch's log1p...)."""
    return x if x.dtype.is_floating_point else x.to(dtypes.default_float)


def log1p(x: Tensor) -> Tensor:
    """log(1 + x) elementwise."""
    return Log1p.apply(floating(x))


def expm1(x: Tensor) -> Tensor:
    """e^x - 1 elementwise."""
    return Expm1.apply(floating(x))


def square(x: Tensor) -> Tensor:
    """x * x (bools square as int64, as torch)."""
    if x.dtype is dtypes.bool_:
        x = x.to(dtypes.int64)
    return x * x


def rsqrt(x: Tensor) -> Tensor:
    """1 / sqrt(x) (so -0.0 gives -inf, as torch's; x ** -0.5 would give inf)."""
    return cast("Tensor", 1 / floating(x).sqrt())  # (cast: mypy types 1 / t as a float)


def reciprocal(x: Tensor) -> Tensor:
    """1 / x (integers divide as the default float)."""
    return cast("Tensor", 1 / floating(x))  # (cast: mypy types 1 / t as a float)


def _test(x: Tensor, how: str) -> Tensor:
    """isnan, isinf or isfinite of x: a bool tensor outside the graph (integers and bools
    are always finite)."""
    xp = x.backend.xp
    if not x.dtype.is_floating_point:
        fill = xp.ones if how == "isfinite" else xp.zeros
        return make_tensor(fill(tuple(x.shape), dtype=xp.bool), x.device)
    return make_tensor(getattr(xp, how)(x._data), x.device)


def isnan(x: Tensor) -> Tensor:
    """Where x is NaN (bool)."""
    return _test(x, "isnan")


def isinf(x: Tensor) -> Tensor:
    """Where x is +inf or -inf (bool)."""
    return _test(x, "isinf")


def isfinite(x: Tensor) -> Tensor:
    """Where x is neither NaN nor infinite (bool)."""
    return _test(x, "isfinite")


def nan_to_num(x: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default 0 and
    the dtype's largest and lowest finite values). The gradient passes where x is finite."""
    if not x.dtype.is_floating_point:
        return x.clone()
    info = np.finfo(x.dtype.name)
    posinf = float(info.max) if posinf is None else posinf
    neginf = float(info.min) if neginf is None else neginf
    x = where(isnan(x), nan, x)
    x = where(x == math.inf, posinf, x)
    return where(x == -math.inf, neginf, x)


# ---- matrix products: matmul after torch's checks ------------------------------------------
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "uint8": "unsigned char", "bool": "bool"}


def _show(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def mm(a: Tensor, b: Tensor) -> Tensor:
    """The matrix product of two matrices (no broadcasting, one dtype).

    Shape: (n, m) @ (m, p) -> (n, p)."""
    as_tensor_arg(a, "mm", "input", 1)
    as_tensor_arg(b, "mm", "mat2", 2)
    if a.ndim != 2:
        raise RuntimeError(f"self must be a matrix (got a {a.ndim}-D tensor of shape "
                           f"{list(a.shape)})")
    if b.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix (got a {b.ndim}-D tensor of shape "
                           f"{list(b.shape)})")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_show(a.shape)} and "
                           f"{_show(b.shape)})")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_C_NAMES[a.dtype.name]} != {_C_NAMES[b.dtype.name]}")
    return MatMul.apply(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    """A batch of matrix products (no broadcasting, one dtype).

    Shape: (b, n, m) @ (b, m, p) -> (b, n, p)."""
    as_tensor_arg(a, "bmm", "input", 1)
    as_tensor_arg(b, "bmm", "mat2", 2)
    for name, t in (("batch1", a), ("batch2", b)):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor (got shape {list(t.shape)})")
    if tuple(b.shape[:2]) != (a.shape[0], a.shape[2]):
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]. (batch1 "
            f"{list(a.shape)}, batch2 {list(b.shape)})")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {a.dtype.torch_name} but found "
                           f"{b.dtype.torch_name}")
    return MatMul.apply(a, b)


def mv(a: Tensor, v: Tensor) -> Tensor:
    """A matrix times a vector (one dtype).

    Shape: (n, m) @ (m,) -> (n,)."""
    as_tensor_arg(a, "mv", "input", 1)
    as_tensor_arg(v, "mv", "vec", 2)
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim} "
                           f"(matrix {list(a.shape)}, vector {list(v.shape)})")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({_show(a.shape)}), "
                           f"vec ({v.shape[0]})")
    if a.dtype is not v.dtype:
        d, m = v.dtype.torch_name, a.dtype.torch_name
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {d}, {m}, "
                           f"and {d}")
    return MatMul.apply(a, v)


def dot(a: Tensor, b: Tensor) -> Tensor:
    """The inner product of two vectors of one length and dtype: a 0-d tensor.

    Shape: (n,) . (n,) -> ()."""
    as_tensor_arg(a, "dot", "input", 1)
    as_tensor_arg(b, "dot", "tensor", 2)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors "
                           f"(shapes {list(a.shape)} and {list(b.shape)})")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] "
            f"to have the same number of elements, but got {a.shape[0]} and {b.shape[0]} "
            "elements respectively")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{a.dtype.torch_name} and {b.dtype.torch_name}")
    return MatMul.apply(a, b)


def outer(a: Tensor, b: Tensor) -> Tensor:
    """The outer product a_i b_j (dtypes promote, as torch's).

    Shape: (n,), (m,) -> (n, m)."""
    as_tensor_arg(a, "outer", "input", 1)
    as_tensor_arg(b, "outer", "vec2", 2)
    for name, t in (("self", a), ("vec2", b)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return Reshape.apply(a, shape=(a.shape[0], 1)) * b


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1,
          alpha: float = 1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2); with beta = 0 input is ignored (NaN too).

    Shape: input broadcasts to (n, p); (n, m) @ (m, p) -> (n, p)."""
    as_tensor_arg(input, "addmm", "input", 1)
    for name, t in (("mat1", mat1), ("mat2", mat2)):
        as_tensor_arg(t, "addmm", name, 2 if name == "mat1" else 3)
        if t.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {t.ndim}-D tensor")
    if mat1.dtype is not mat2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{mat1.dtype.torch_name} and {mat2.dtype.torch_name}")
    if input.dtype is not mat2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{input.dtype.torch_name} and {mat2.dtype.torch_name}")
    product = mm(mat1, mat2)
    base = input.expand(*product.shape)  # (torch's error where it does not broadcast)
    if alpha != 1:
        product = product * alpha
    if beta == 0:  # input left out, NaN and inf too; its gradient is 0 (as torch's)
        everywhere = make_tensor(base.backend.xp.ones(tuple(base.shape), dtype=base.backend.xp
                                                      .bool), base.device)
        return where(everywhere, 0, base) + product
    return (base if beta == 1 else base * beta) + product


# ---- products ----------------------------------------------------------------------------
def _cumulative_prod(xp: Any, x: Any, axis: int) -> Any:
    """The Array API's cumulative_prod, or cumprod where a library has only that name."""
    fn = getattr(xp, "cumulative_prod", None)
    return fn(x, axis=axis) if fn is not None else xp.cumprod(x, axis=axis)


class Prod(Function):
    """The product over one dim or all of them. Its derivative is written as (left of i) *
    (right of i), which is right where x has zeros, unlike prod / x_i."""

    def forward(self, x: Any, *, axes: tuple[int, ...], keepdim: bool) -> Any:
        self.save_for_backward(x)
        self.axes, self.keepdim = axes, keepdim
        return self.xp.prod(x, axis=axes, keepdims=keepdim)

    # d prod(x) / d x_i = the product of all the others
    def backward(self, g: Tensor) -> Tensor:
        x = self.inputs[0]
        if not self.keepdim:
            g = Reshape.apply(g, shape=kept_shape(tuple(x.shape), self.axes))
        if len(self.axes) == 1:
            return g * products_of_others(x, self.axes[0])
        flat = products_of_others(Reshape.apply(x, shape=(x.numel(),)), 0)
        return g * Reshape.apply(flat, shape=tuple(x.shape))


def products_of_others(x: Tensor, d: int) -> Tensor:
    """For each element, the product of the others along dim ``d``: an exclusive cumprod from
    the left times one from the right (no division, so zeros are no trouble)."""
    if x.shape[d] == 0:
        return x
    before = (slice(None),) * d
    widths = ((0, 0),) * d + ((1, 0),) + ((0, 0),) * (x.ndim - d - 1)
    reverse = before + (slice(None, None, -1),)

    def exclusive(t: Tensor) -> Tensor:  # 1, t0, t0 t1, ..., t0 ... t(n-2)
        return ConstantPad.apply(Cumprod.apply(t[before + (slice(0, -1),)], dim=d),
                                 widths=widths, value=1)

    return exclusive(x) * exclusive(x[reverse])[reverse]


class Cumprod(Function):
    """Running products along one dim: out[k] = x[0] * ... * x[k]. Without zeros d out[k] /
    d x[i] is out[k] / x[i], so the gradient is a reversed cumsum of g * out, divided by x."""

    def forward(self, x: Any, *, dim: int) -> Any:
        out = _cumulative_prod(self.xp, x, dim)
        self.save_for_backward(x, out)
        self.dim = dim
        return out

    # d out[k] / d x[i] = prod of x[j] for j <= k, j != i (k >= i)
    def backward(self, g: Tensor) -> Tensor:
        x, out, d = self.inputs[0], self.output, self.dim
        if x.shape[d] <= 1:
            return g
        xp = self.xp
        if not self.backend.host_value(xp.any(x._data == 0), "cumprod backward"):
            return reversed_cumsum(g * out, d) / x
        if is_grad_enabled():  # a gradient of the gradient: the exact O(n^2) form
            return _cumprod_grad_exact(x, g, d)
        # a first zero at z: before z the formula above holds (out is 0 from z on); at z,
        # the products skip x[z] (a cumprod with x[z] = 1); after z every product has x[z]
        zeros = xp.cumulative_sum(xp.astype(x._data == 0, xp.int64), axis=d)
        before = make_tensor(zeros == 0, x.device)
        first = make_tensor((zeros == 1) & (x._data == 0), x.device)
        ahead = reversed_cumsum(g * out, d) / where(before, x, 1.0)
        at_zero = reversed_cumsum(g * Cumprod.apply(where(first, 1.0, x), dim=d), d)
        return where(before, ahead, where(first, at_zero, 0.0))


def _cumprod_grad_exact(x: Tensor, g: Tensor, d: int) -> Tensor:
    """sum over k >= i of g[k] * prod(x[j] for j <= k, j != i), for every i at once: row i
    of an (n, n) block is x with x[i] set to 1, cumprod along it. Differentiable again."""
    xp, n = x.backend.xp, x.shape[d]
    tail = (1,) * (x.ndim - d - 1)
    positions = xp.arange(n)
    i, k = xp.reshape(positions, (n, 1) + tail), xp.reshape(positions, (1, n) + tail)
    own, later = make_tensor(i == k, x.device), make_tensor(k >= i, x.device)
    rows = where(own, 1.0, x.unsqueeze(d))  # (..., n_i, n_k, ...)
    terms = Cumprod.apply(rows, dim=d + 1) * g.unsqueeze(d)
    return where(later, terms, 0.0).sum(dim=d + 1)


def reversed_cumsum(t: Tensor, d: int) -> Tensor:
    """out[i] = t[i] + t[i+1] + ... along dim ``d``."""
    reverse = (slice(None),) * d + (slice(None, None, -1),)
    return Cumsum.apply(t[reverse], dim=d)[reverse]


def _accumulating(x: Tensor, dtype: dtypes.dtype | None) -> Tensor:
    """x in ``dtype``, or integers and bools as int64 (as torch's sum, prod, cumprod)."""
    if dtype is not None:
        return x.to(dtype)
    if not x.dtype.is_floating_point and x.dtype is not dtypes.int64:
        return x.to(dtypes.int64)
    return x


def prod(x: Tensor, dim: int | None = None, keepdim: bool = False,
         dtype: dtypes.dtype | None = None) -> Tensor:
    """The product of all elements, or along ``dim``; integers and bools as int64."""
    x = _accumulating(x, dtype)
    keepdim = as_bool(keepdim, "prod", "keepdim")
    if dim is None:
        return Prod.apply(x, axes=tuple(range(x.ndim)), keepdim=False)
    d = normalize_dim(as_int(dim, "prod", "dim"), x.ndim)
    return Prod.apply(x, axes=(d,) if x.ndim else (), keepdim=keepdim)


def cumprod(x: Tensor, dim: int, dtype: dtypes.dtype | None = None) -> Tensor:
    """Running products along ``dim``; integers and bools as int64."""
    x = _accumulating(x, dtype)
    d = normalize_dim(as_int(dim, "cumprod", "dim"), x.ndim)
    if x.ndim == 0:
        return Cumprod.apply(x.reshape(1), dim=0).reshape(())
    return Cumprod.apply(x, dim=d)


def logsumexp(x: Tensor, dim: Dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``dim``, computed as max + log(sum(exp(x - max))) so that large
    values do not overflow (the max is a constant shift: it cancels in the gradient)."""
    x = floating(x)
    axes, keepdim = normalize_dims(dim, x.ndim), as_bool(keepdim, "logsumexp", "keepdim")
    xp, shape = x.backend.xp, kept_shape(tuple(x.shape), axes)
    if x.numel() == 0:  # nothing to shift by (a sum over nothing is 0: log gives -inf)
        shift = xp.zeros(shape, dtype=x._data.dtype)
    else:
        shift = xp.max(x._data, axis=axes, keepdims=True)
        shift = xp.where(xp.isfinite(shift), shift, xp.zeros_like(shift))  # (all -inf, or inf)
    m = make_tensor(shift, x.device)
    out = (x - m).exp().sum(dim=axes, keepdim=True).log() + m
    if keepdim:
        return out
    return Reshape.apply(out, shape=tuple(n for i, n in enumerate(x.shape) if i not in axes))


def count_nonzero(x: Tensor, dim: Dim = None) -> Tensor:
    """How many elements are not zero, over ``dim`` (all dims by default): int64."""
    return (x != 0).sum(dim=normalize_dims(dim, x.ndim))


# ---- einsum: diagonals, sums, and one batched matmul per pair of operands ----------------------
def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, as torch.einsum: ``einsum("ij,jk->ik", a, b)`` is a @ b.

    Each letter names a dim; letters in the output (after ``->``) stay, the others are summed
    over; without ``->`` the output is the letters seen once, in alphabetical order. ``...``
    stands for the dims no letter names (broadcast across operands, first in an implicit
    output). A letter twice in one operand takes its diagonal. The operands may also come as
    one list. Computed pairwise, left to right: each pair is one batched matmul."""
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' (position 1) must be str, not "
                        f"{type(equation).__name__} (the sublist format is not supported)")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    for i, t in enumerate(operands):
        as_tensor_arg(t, "einsum", f"operands[{i}]", i + 2)
    for t in operands[1:]:
        if t.dtype is not operands[0].dtype:
            raise RuntimeError(f"expected scalar type {operands[0].dtype.torch_name} but found "
                               f"{t.dtype.torch_name}")
    terms: list[Any]  # each operand's labels, then (operand, labels) pairs
    terms, output = _parse_equation(equation, operands)
    terms = [_diagonals(t, labels, k) for k, (t, labels) in enumerate(zip(operands, terms))]
    _check_sizes(terms)
    x, labels = terms[0]
    for n, (y, other) in enumerate(terms[1:], 2):
        keep = set(output).union(*(lb for _, lb in terms[n:]))
        x, labels = _sum_over(x, labels, keep | set(other))
        y, other = _sum_over(y, other, keep | set(labels))
        x, labels = _contract(x, labels, y, other, keep)
    x, labels = _sum_over(x, labels, set(output))
    return permute(x, [labels.index(c) for c in output]) if labels != output else x


def _parse_equation(equation: str, operands: tuple) -> tuple[list[list], list]:
    """Each operand's labels (letters, and ints 0.. for the dims under ``...``, numbered so
    that they line up from the right) and the output's, with torch's errors."""
    lhs, arrow, rhs = equation.partition("->")
    pieces, start = [], 0
    for piece in lhs.split(","):
        pieces.append((piece, start))
        start += len(piece) + 1
    if len(pieces) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    if len(pieces) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    parsed = [_subscripts(p, s, f"operand {k}") for k, (p, s) in enumerate(pieces)]
    n_ellipsis = 0
    for k, (labels, t) in enumerate(zip(parsed, operands)):
        letters = sum(c != "..." for c in labels)
        if "..." not in labels and letters != t.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({letters}) does not match "
                f"the number of dimensions ({t.ndim}) for operand {k} and no ellipsis was given")
        if letters > t.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({letters}) is more than "
                f"the number of dimensions ({t.ndim}) for operand {k}")
        n_ellipsis = max(n_ellipsis, t.ndim - letters)
    terms = []
    for labels, t in zip(parsed, operands):
        covered = t.ndim - sum(c != "..." for c in labels)
        ellipsis = list(range(n_ellipsis - covered, n_ellipsis))
        terms.append([d for c in labels for d in (ellipsis if c == "..." else [c])])
    if arrow:
        out = _subscripts(rhs, len(lhs) + 2, "output")
        seen = set().union(*terms)
        for c in out:
            if c != "..." and out.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
            if c != "..." and c not in seen:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
        output = [d for c in out for d in (list(range(n_ellipsis)) if c == "..." else [c])]
    else:
        counts = Counter(c for labels in terms for c in labels if isinstance(c, str))
        output = list(range(n_ellipsis)) * any("..." in p for p in parsed) + sorted(
            c for c, n in counts.items() if n == 1)
    return terms, output


def _subscripts(term: str, start: int, who: str) -> list[str]:
    """The letters of one side of an equation, ``...`` as one item; spaces are skipped."""
    labels, i = [], 0
    while i < len(term):
        c = term[i]
        if c == ".":
            if term[i:i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for {who} that is not part of any "
                                   "ellipsis")
            if "..." in labels:
                raise RuntimeError(f"einsum(): found '.' for {who} for which an ellipsis was "
                                   "already found")
            labels.append("...")
            i += 3
            continue
        if c.isascii() and c.isalpha():
            labels.append(c)
        elif c != " ":
            raise RuntimeError(f"einsum(): invalid subscript given at index {start + i} in the "
                               "equation string, subscripts must be in [a-zA-Z]")
        i += 1
    return labels


def _diagonals(t: Tensor, labels: list, k: int) -> tuple[Tensor, list]:
    """A letter repeated in one operand ("ii") takes the diagonal of those dims: one dim."""
    for c in [c for c, n in Counter(labels).items() if n > 1]:
        dims = [i for i, d in enumerate(labels) if d == c]
        sizes = {t.shape[i] for i in dims}
        if len(sizes) > 1:
            raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the "
                               f"sizes don't match, {t.shape[dims[1]]} != {t.shape[dims[0]]}")
        rest = [i for i in range(t.ndim) if i not in dims]
        t = permute(t, dims + rest)
        positions = t.backend.xp.arange(t.shape[0], dtype=t.backend.dtype(dtypes.int64))
        t = Index.apply(t, key=(positions,) * len(dims))
        labels = [c] + [labels[i] for i in rest]
    return t, labels


def _check_sizes(terms: list[tuple[Tensor, list]]) -> None:
    """Each letter's sizes across operands must broadcast (be equal, or 1)."""
    seen: dict = {}
    for k, (t, labels) in enumerate(terms):
        for c, n in zip(labels, t.shape):
            before = seen.setdefault(c, n)
            if n != before and 1 not in (n, before):
                if isinstance(c, int):
                    raise RuntimeError(
                        f"einsum(): dimension {c} covered by ellipsis in operand {k} has size "
                        f"{n} which does not broadcast with previously seen ellipsis with size "
                        f"{before} for the respective dimension")
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which "
                                   f"does not broadcast with previously seen size {before}")
            seen[c] = max(n, before) if 1 in (n, before) else n


def _sum_over(t: Tensor, labels: list, keep: set) -> tuple[Tensor, list]:
    """Sum over the dims whose letters are not in ``keep`` (needed nowhere else)."""
    gone = tuple(i for i, c in enumerate(labels) if c not in keep)
    if not gone:
        return t, labels
    return t.sum(dim=gone), [c for c in labels if c in keep]


def _contract(x: Tensor, lx: list, y: Tensor, ly: list, keep: set) -> tuple[Tensor, list]:
    """Two operands as one batched matmul: (batch, left, summed) @ (batch, summed, right),
    where batch letters are in both and kept, summed ones in both and not kept."""
    batch = [c for c in lx if c in ly and c in keep]
    summed = [c for c in lx if c in ly and c not in keep]
    left = [c for c in lx if c not in ly]
    right = [c for c in ly if c not in lx]
    size = {c: n for c, n in zip(lx, x.shape)}
    for c, n in zip(ly, y.shape):
        size[c] = max(size.get(c, n), n)  # (a shared letter of size 1 broadcasts)

    def arrange(t: Tensor, labels: list, order: list, groups: list[list]) -> Tensor:
        t = permute(t, [labels.index(c) for c in order])
        full = tuple(size[c] for c in order)
        if tuple(t.shape) != full:
            t = t.expand(*full)
        return Reshape.apply(t, shape=tuple(math.prod(size[c] for c in g) for g in groups))

    a = arrange(x, lx, batch + left + summed, [batch, left, summed])
    b = arrange(y, ly, batch + summed + right, [batch, summed, right])
    out = matmul(a, b)
    shape = tuple(size[c] for c in batch + left + right)
    return Reshape.apply(out, shape=shape), batch + left + right


# ---- questions about values (no gradient) --------------------------------------------------
def unique(x: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct values of x (or slices along ``dim``), sorted; with ``return_inverse`` the
    index of each element's value among them, with ``return_counts`` how often each occurs.
    NaNs are each distinct (as torch's). No gradient."""
    xp, backend = x.backend.xp, x.backend
    i64 = backend.dtype(dtypes.int64)
    if dim is None:
        rows = xp.reshape(x._data, (-1,))
        order = backend.argsort(rows, 0, False)
        ordered = xp.take(rows, order, axis=0)
        differs = ordered[1:] != ordered[:-1] if rows.shape[0] else xp.ones((0,), dtype=xp.bool)
    else:
        d = normalize_dim(as_int(dim, "unique", "dim"), x.ndim)
        if x.ndim == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        rest = [i for i in range(x.ndim) if i != d]
        if x.shape[d] and any(x.shape[i] == 0 for i in rest):
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                               "unique cannot be applied")
        moved = xp.permute_dims(x._data, (d, *rest))
        rows = xp.reshape(moved, (x.shape[d], math.prod(moved.shape[1:])))
        order = xp.arange(rows.shape[0], dtype=i64)
        for c in range(rows.shape[1] - 1, -1, -1):  # lexicographic: stable sorts, last key first
            column = xp.take(rows[:, c], order, axis=0)
            order = xp.take(order, backend.argsort(column, 0, False), axis=0)
        ordered = xp.take(rows, order, axis=0)
        differs = xp.any(ordered[1:, ...] != ordered[:-1, ...], axis=1) if rows.shape[0] else (
            xp.ones((0,), dtype=xp.bool))
    n = rows.shape[0]  # a new value starts at the first element and wherever its sorted
    new = xp.concat([xp.ones((min(n, 1),), dtype=xp.bool), differs])  # neighbour differs
    starts = xp.nonzero(new)[0]
    values = xp.take(ordered, starts, axis=0)
    if dim is not None:
        values = xp.reshape(values, (values.shape[0], *moved.shape[1:]))
        back = [0] * x.ndim
        for position, axis in enumerate([d, *rest]):
            back[axis] = position
        values = xp.permute_dims(values, tuple(back))
    results = [make_tensor(values, x.device)]
    if return_inverse:
        group = xp.cumulative_sum(xp.astype(new, i64)) - 1
        inverse = xp.take(group, backend.argsort(order, 0, False), axis=0)
        shape = tuple(x.shape) if dim is None else (n,)
        results.append(make_tensor(xp.reshape(inverse, shape), x.device))
    if return_counts:
        ends = xp.concat([starts[1:], xp.asarray([n], dtype=starts.dtype)]) if n else starts
        results.append(make_tensor(xp.astype(ends - starts, i64), x.device))
    return results[0] if len(results) == 1 else tuple(results)


def bincount(x: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, ... occurs in a 1-D tensor of non-negative integers (or the
    sum of their ``weights``); at least ``minlength`` bins. No gradient."""
    xp, backend = x.backend.xp, x.backend
    minlength = as_int(minlength, "bincount", "minlength")
    if x.dtype.kind not in "iu":
        raise NotImplementedError(f'"bincount_cpu" not implemented for '
                                  f"'{x.dtype.torch_name}' (bincount counts integers)")
    if minlength < 0:
        raise RuntimeError(f"minlength should be >= 0 (got {minlength})")
    lowest = backend.host_value(xp.min(x._data), "bincount") if x.numel() else 0
    if x.ndim != 1 or lowest < 0:
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs. (got "
                           f"shape {list(x.shape)}, smallest value {lowest})")
    if weights is not None and (weights.ndim != 1 or weights.shape[0] != x.shape[0]):
        raise RuntimeError(f"weights should be 1-d and have the same length as input (input "
                           f"{list(x.shape)}, weights {list(weights.shape)})")
    top = cast(int, backend.host_value(xp.max(x._data), "bincount")) + 1 if x.numel() else 0
    size = max(top, minlength)
    if weights is None:
        values = xp.ones(tuple(x.shape), dtype=backend.dtype(dtypes.int64))
    else:  # float32 weights sum as float32; others (float16, integers) as float64, as torch
        d = weights.dtype if weights.dtype in (dtypes.float32, dtypes.float64) else dtypes.float64
        values = xp.astype(weights._data, backend.dtype(d))
    index = xp.astype(x._data, backend.dtype(dtypes.int64))
    return make_tensor(backend.index_add((size,), (index,), values), x.device)
