"""torch-style functions: ``mg.exp(x)``, ``mg.add(2, x)``, ``mg.sort(x)``, ...

Most are the Tensor method of the same name; the arithmetic ones also take a Python number
first (``mg.sub(1, x)``), as torch's do.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable
from typing import Any

from minigrad.autograd import is_tensor
from minigrad.factory import randn, tensor
from minigrad.ops import indexing, mathops
from minigrad.ops.matmul import matmul as ops_matmul
from minigrad.ops.promotion import as_tensor_like, broadcast_shapes, size_arg
from minigrad.runtime.grad_mode import is_grad_enabled, no_grad
from minigrad.tensor import Tensor


def _function(name: str) -> Callable:
    """``mg.<name>(input, ...)``: the Tensor method, or torch's TypeError when ``input`` is not
    a tensor (a list, a number...)."""
    method = getattr(Tensor, name)

    @functools.wraps(method)
    def function(input: Any, *args: Any, out: Tensor | None = None, **kwargs: Any) -> Any:
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__} (got {input!r})")
        return _into(out, method(input, *args, **kwargs), name, (input, *args))

    function.__name__ = function.__qualname__ = name
    return function


abs = _function("abs")
argmax, argmin, argsort, sort, topk = (_function("argmax"), _function("argmin"),
                                       _function("argsort"), _function("sort"),
                                       _function("topk"))
clamp = clip = _function("clamp")
cos, sin, exp, log, sqrt = (_function("cos"), _function("sin"), _function("exp"),
                            _function("log"), _function("sqrt"))
erf = _function("erf")
floor, ceil, trunc, round = (_function("floor"), _function("ceil"), _function("trunc"),
                             _function("round"))
flatten, reshape, permute = _function("flatten"), _function("reshape"), _function("permute")
broadcast_to = _function("broadcast_to")
max, min, amax, amin = _function("max"), _function("min"), _function("amax"), _function("amin")
maximum, minimum = _function("maximum"), _function("minimum")
mean, sum, std, var, cumsum, norm = (_function("mean"), _function("sum"), _function("std"),
                                     _function("var"), _function("cumsum"), _function("norm"))
any, all = _function("any"), _function("all")
isclose, allclose = _function("isclose"), _function("allclose")
masked_fill, masked_select, nonzero = (_function("masked_fill"), _function("masked_select"),
                                       _function("nonzero"))
neg = negative = _function("neg")
relu, sigmoid, tanh = _function("relu"), _function("sigmoid"), _function("tanh")
squeeze, unsqueeze, transpose, t = (_function("squeeze"), _function("unsqueeze"),
                                    _function("transpose"), _function("t"))
detach, clone, numel = _function("detach"), _function("clone"), _function("numel")


def _into(out: Tensor | None, result: Any, fn: str, operands: tuple) -> Any:
    """``result``, or, with torch's ``out=``, result written into ``out`` (resized where its
    shape differs, as torch does) and ``out`` returned. Not in a graph, as torch's."""
    if out is None:
        return result
    if not isinstance(out, Tensor) or not isinstance(result, Tensor):
        raise TypeError(f"{fn}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if is_grad_enabled() and builtins.any(isinstance(t, Tensor) and t.requires_grad
                                          for t in operands):
        raise RuntimeError(f"{fn}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if result.dtype.is_floating_point and not out.dtype.is_floating_point:
        raise RuntimeError(f"result type {result.dtype.name} can't be cast to the desired output "
                           f"type {out.dtype.name}")
    with no_grad():
        if tuple(out.shape) == tuple(result.shape):
            out.copy_(result)
        else:  # (torch resizes out, and warns when it had elements)
            out.data = result.to(out.dtype)
    return out


def _operands(input: Any, other: Any, fn: str) -> tuple[Any, Any]:
    """The operands, the first a tensor when both are numbers (a 0-d result, as torch)."""
    if not is_tensor(input) and not is_tensor(other):
        if not isinstance(input, (bool, int, float)):
            raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__} (got {input!r})")
        input = tensor(input)
    return input, other


def add(input: Any, other: Any, *, alpha: float = 1, out: Tensor | None = None) -> Tensor:
    """input + alpha * other (either may be a number)."""
    input, other = _operands(input, other, "add")
    return _into(out, input + (other if alpha == 1 else other * alpha), "add", (input, other))


def sub(input: Any, other: Any, *, alpha: float = 1, out: Tensor | None = None) -> Tensor:
    """input - alpha * other (either may be a number)."""
    input, other = _operands(input, other, "sub")
    return _into(out, input - (other if alpha == 1 else other * alpha), "sub", (input, other))


def mul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """input * other (either may be a number)."""
    input, other = _operands(input, other, "mul")
    return _into(out, input * other, "mul", (input, other))


def div(input: Any, other: Any, *, rounding_mode: str | None = None,
        out: Tensor | None = None) -> Tensor:
    """input / other (either may be a number), rounded with ``rounding_mode``."""
    input, other = _operands(input, other, "div")
    if rounding_mode is None:
        return _into(out, input / other, "div", (input, other))
    return _into(out, (input if is_tensor(input) else as_tensor_like(input, other)).div(
        other, rounding_mode=rounding_mode), "div", (input, other))


def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The matrix product (torch.matmul's broadcasting rules: minigrad/ops/matmul.py)."""
    return _into(out, ops_matmul(input, other), "matmul", (input, other))


def remainder(input: Any, other: Any) -> Tensor:
    """input % other with other's sign (either may be a number)."""
    input, other = _operands(input, other, "remainder")
    return input % other


def pow(input: Any, exponent: Any) -> Tensor:
    """input ** exponent (either may be a number)."""
    input, exponent = _operands(input, exponent, "pow")
    return input ** exponent


subtract, multiply, divide, true_divide = sub, mul, div, div

# ---- shape and indexing (the methods in surface/methods.py) ----------------------------
flip, roll = _function("flip"), _function("roll")
split, chunk, narrow, unbind = (_function("split"), _function("chunk"), _function("narrow"),
                                _function("unbind"))
index_select, take_along_dim = _function("index_select"), _function("take_along_dim")
scatter, scatter_add = _function("scatter"), _function("scatter_add")
tile, repeat_interleave = _function("tile"), _function("repeat_interleave")
movedim = moveaxis = _function("movedim")
swapaxes, swapdims = _function("swapaxes"), _function("swapdims")
tril, triu = _function("tril"), _function("triu")
meshgrid = indexing.meshgrid

# ---- math (the methods in surface/methods.py) ---------------------------------------------
asin, acos, atan, sinh, cosh, tan = (_function("asin"), _function("acos"), _function("atan"),
                                    _function("sinh"), _function("cosh"), _function("tan"))
arcsin, arccos, arctan = asin, acos, atan
sign = _function("sign")
eq, ne, lt, le, gt, ge = (_function("eq"), _function("ne"), _function("lt"), _function("le"),
                          _function("gt"), _function("ge"))
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
logical_and, logical_or, logical_xor, logical_not = (
    _function("logical_and"), _function("logical_or"), _function("logical_xor"),
    _function("logical_not"))
clamp_min, clamp_max = _function("clamp_min"), _function("clamp_max")
index_add = _function("index_add")


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           dtype: Any = None, device: Any = None, requires_grad: bool = False,
           layout: Any = None) -> Tensor:
    """Samples of N(mean, std^2): ``mean`` and ``std`` numbers (then ``size`` gives the shape)
    or tensors (the shape they broadcast to), as torch.normal."""
    if is_tensor(mean) or is_tensor(std):
        if size is not None:
            raise RuntimeError("normal(): size is given by the mean and std tensors; pass "
                               "size only with numbers")
        like = mean if is_tensor(mean) else std
        m = (mean if is_tensor(mean) else as_tensor_like(mean, like)).detach()
        s = (std if is_tensor(std) else as_tensor_like(std, like)).detach()
        if bool((s < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = tuple(broadcast_shapes(m.shape, s.shape))
        return m + s * _standard_normal(shape, like.dtype, like.device)
    if size is None:
        raise TypeError("normal() with a number mean and std needs size (the shape)")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    out = _standard_normal(size_arg((size,), "normal"), dtype, device) * std + mean
    return out.requires_grad_(requires_grad)


def _standard_normal(shape: tuple[int, ...], dtype: Any, device: Any) -> Tensor:
    return randn(*shape, dtype=dtype, device=device) if shape else \
        randn(1, dtype=dtype, device=device).reshape(())
mm, bmm, mv, dot, outer, addmm = (_function("mm"), _function("bmm"), _function("mv"),
                                 _function("dot"), _function("outer"), _function("addmm"))
prod, cumprod, logsumexp = _function("prod"), _function("cumprod"), _function("logsumexp")
count_nonzero, unique, bincount = (_function("count_nonzero"), _function("unique"),
                                   _function("bincount"))
isnan, isinf, isfinite = _function("isnan"), _function("isinf"), _function("isfinite")
nan_to_num, log1p, expm1 = _function("nan_to_num"), _function("log1p"), _function("expm1")
square, rsqrt, reciprocal = _function("square"), _function("rsqrt"), _function("reciprocal")
bernoulli = _function("bernoulli")


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` is a @ b (operands as arguments or
    one list; ``...`` for unnamed dims; see ops/mathops.py)."""
    return mathops.einsum(equation, *operands)


__all__ = [
    "abs", "add", "all", "allclose", "amax", "amin", "any", "argmax", "argmin", "argsort",
    "broadcast_to", "ceil", "clamp", "clip", "clone", "cos", "cumsum", "detach", "div", "divide",
    "erf", "exp", "flatten", "floor", "isclose", "log", "masked_fill", "masked_select", "max",
    "maximum", "mean", "min", "minimum", "mul", "multiply", "neg", "negative", "nonzero", "norm",
    "numel", "permute", "pow", "relu", "remainder", "reshape", "round", "sigmoid", "sin", "sort",
    "sqrt", "squeeze", "std", "sub", "subtract", "sum", "t", "tanh", "topk", "transpose",
    "true_divide", "trunc", "unsqueeze", "var",
]
__all__ += [  # shape and indexing
    "chunk", "flip", "index_select", "meshgrid", "moveaxis", "movedim", "narrow",
    "repeat_interleave", "roll", "scatter", "scatter_add", "split", "swapaxes", "swapdims",
    "take_along_dim", "tile", "tril", "triu", "unbind",
]
__all__ += [  # math
    "addmm", "bernoulli", "bincount", "bmm", "count_nonzero", "cumprod", "dot", "einsum",
    "expm1", "isfinite", "isinf", "isnan", "log1p", "logsumexp", "mm", "mv", "nan_to_num",
    "outer", "prod", "reciprocal", "rsqrt", "square", "unique",
]
__all__ += [  # more math and comparisons
    "matmul",
    "acos", "arccos", "arcsin", "arctan", "asin", "atan", "clamp_max", "clamp_min", "cosh", "eq",
    "ge", "greater", "greater_equal", "gt", "index_add", "le", "less", "less_equal", "logical_and",
    "logical_not", "logical_or", "logical_xor", "lt", "ne", "normal", "not_equal", "sign", "sinh",
    "tan",
]
