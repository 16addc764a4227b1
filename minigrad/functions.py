"""torch-style functions: ``mg.exp(x)``, ``mg.add(2, x)``, ``mg.sort(x)``, ...

Most are the Tensor method of the same name; the arithmetic ones also take a Python number
first (``mg.sub(1, x)``), as torch's do.
"""

from __future__ import annotations

from typing import Any

from minigrad.autograd import is_tensor
from minigrad.factory import tensor
from minigrad.ops.promotion import as_tensor_like
from minigrad.tensor import Tensor

abs = Tensor.abs
argmax, argmin, argsort, sort, topk = (Tensor.argmax, Tensor.argmin, Tensor.argsort,
                                       Tensor.sort, Tensor.topk)
clamp = clip = Tensor.clamp
cos, sin, exp, log, sqrt = Tensor.cos, Tensor.sin, Tensor.exp, Tensor.log, Tensor.sqrt
erf = Tensor.erf
floor, ceil, trunc, round = Tensor.floor, Tensor.ceil, Tensor.trunc, Tensor.round
flatten, reshape, permute = Tensor.flatten, Tensor.reshape, Tensor.permute
broadcast_to = Tensor.broadcast_to
max, min, amax, amin = Tensor.max, Tensor.min, Tensor.amax, Tensor.amin
maximum, minimum = Tensor.maximum, Tensor.minimum
mean, sum, std, var, cumsum, norm = (Tensor.mean, Tensor.sum, Tensor.std, Tensor.var,
                                     Tensor.cumsum, Tensor.norm)
any, all = Tensor.any, Tensor.all
isclose, allclose = Tensor.isclose, Tensor.allclose
masked_fill, masked_select, nonzero = Tensor.masked_fill, Tensor.masked_select, Tensor.nonzero
neg = negative = Tensor.neg
relu, sigmoid, tanh = Tensor.relu, Tensor.sigmoid, Tensor.tanh
squeeze, unsqueeze, transpose, t = Tensor.squeeze, Tensor.unsqueeze, Tensor.transpose, Tensor.t
detach, clone, numel = Tensor.detach, Tensor.clone, Tensor.numel


def _operands(input: Any, other: Any) -> tuple[Any, Any]:
    """The operands, the first a tensor when both are numbers (a 0-d result, as torch)."""
    if not is_tensor(input) and not is_tensor(other):
        input = tensor(input)
    return input, other


def add(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input + alpha * other (either may be a number)."""
    input, other = _operands(input, other)
    return input + (other if alpha == 1 else other * alpha)


def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input - alpha * other (either may be a number)."""
    input, other = _operands(input, other)
    return input - (other if alpha == 1 else other * alpha)


def mul(input: Any, other: Any) -> Tensor:
    """input * other (either may be a number)."""
    input, other = _operands(input, other)
    return input * other


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """input / other (either may be a number), rounded with ``rounding_mode``."""
    input, other = _operands(input, other)
    if rounding_mode is None:
        return input / other
    return (input if is_tensor(input) else as_tensor_like(input, other)).div(
        other, rounding_mode=rounding_mode)


def remainder(input: Any, other: Any) -> Tensor:
    """input % other with other's sign (either may be a number)."""
    input, other = _operands(input, other)
    return input % other


def pow(input: Any, exponent: Any) -> Tensor:
    """input ** exponent (either may be a number)."""
    input, exponent = _operands(input, exponent)
    return input ** exponent


subtract, multiply, divide, true_divide = sub, mul, div, div

__all__ = [
    "abs", "add", "all", "allclose", "amax", "amin", "any", "argmax", "argmin", "argsort",
    "broadcast_to", "ceil", "clamp", "clip", "clone", "cos", "cumsum", "detach", "div", "divide",
    "erf", "exp", "flatten", "floor", "isclose", "log", "masked_fill", "masked_select", "max",
    "maximum", "mean", "min", "minimum", "mul", "multiply", "neg", "negative", "nonzero", "norm",
    "numel", "permute", "pow", "relu", "remainder", "reshape", "round", "sigmoid", "sin", "sort",
    "sqrt", "squeeze", "std", "sub", "subtract", "sum", "t", "tanh", "topk", "transpose",
    "true_divide", "trunc", "unsqueeze", "var",
]
