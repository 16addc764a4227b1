"""Elementwise ops: each Function's forward and derivative side by side.

Shapes: inputs broadcast as NumPy's; the output has the broadcast shape. Gradients come back
in that shape, and the engine sums them down to each input's shape (``autograd.sum_to``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minigrad.autograd import Function, is_tensor, make_tensor
from minigrad.ops import floor_division  # torch's // and % of floats, on every backend
from minigrad.ops.promotion import (
    as_number,
    as_tensor_arg,
    as_tensor_like,
    broadcast_shapes,
    host_values,
    promote,
)
from minigrad.runtime import dtypes
from minigrad.runtime.grad_mode import is_grad_enabled

if TYPE_CHECKING:
    from minigrad.tensor import Tensor


# ---- binary arithmetic ------------------------------------------------------------------
class Add(Function):
    """a + b, elementwise."""

    layout = "elementwise"

    def forward(self, a: Any, b: Any) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        return a + b

    # d(a + b) = da + db
    def backward(self, g: Tensor) -> tuple[Tensor, Tensor]:
        return g, g


class Sub(Function):
    """a - b, elementwise."""

    layout = "elementwise"

    def forward(self, a: Any, b: Any) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        return a - b

    # d(a - b) = da - db
    def backward(self, g: Tensor) -> tuple[Tensor, Tensor | None]:
        return g, -g if self.needs_input_grad[1] else None


class Mul(Function):
    """a * b, elementwise."""

    layout = "elementwise"

    def forward(self, a: Any, b: Any) -> Any:
        need_a, need_b = self.needs_input_grad  # a's gradient reads b, b's reads a
        self.save_for_backward(b if need_a else None, a if need_b else None)
        return a * b

    # d(a b) = b da + a db
    def backward(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = self.inputs
        return (g * b if self.needs_input_grad[0] else None,
                g * a if self.needs_input_grad[1] else None)


class Div(Function):
    """a / b, elementwise."""

    layout = "elementwise"

    def forward(self, a: Any, b: Any) -> Any:
        # a's gradient reads b, b's reads a and b (not the output, as torch: it may change)
        self.save_for_backward(a if self.needs_input_grad[1] else None, b)
        return a / b

    # d(a / b) = da / b - a db / b^2
    def backward(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = self.inputs
        return (g / b if self.needs_input_grad[0] else None,
                -g * a / (b * b) if self.needs_input_grad[1] else None)


class Pow(Function):
    """a ** b, elementwise."""

    layout = "elementwise"

    def forward(self, a: Any, b: Any) -> Any:
        out = a ** b  # a's gradient reads a and b, b's reads a, b and the output
        self.save_for_backward(a, b, out if self.needs_input_grad[1] else None)
        return out

    # d(a^b) = b a^(b-1) da + a^b log(a) db   (the db term is 0 where a == 0 and b >= 0)
    def backward(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = self.inputs
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = where(b == 0, 0.0, g * (b * a ** (b - 1)))  # (grouped as torch: its layout)
        if self.needs_input_grad[1]:
            gb = where((a == 0) & (b >= 0), 0.0, g * self.output * a.log())
        return ga, gb


class PowScalar(Function):
    """a ** c for a Python number c (torch's pow(Tensor, Scalar), PowBackward0)."""

    layout = "elementwise"

    def forward(self, a: Any, *, exponent: float) -> Any:
        self.save_for_backward(a)  # (and the exponent, a number)
        self.exponent = exponent
        return a ** exponent

    # d(a^c) = c a^(c-1) da, and 0 for c = 0 (as torch's, even where a^(c-1) is inf)
    def backward(self, g: Tensor) -> Tensor:
        a, c = self.inputs[0], self.exponent
        return g * (c * a ** (c - 1)) if c != 0 else make_tensor(
            self.xp.zeros_like(a._data), a.device)


class Maximum(Function):
    """The larger of a and b, elementwise. Its gradient goes to the larger input; a tie
    splits it in half; where they do not compare (NaN) both get it, as torch's."""

    layout = "elementwise"

    def forward(self, a: Any, b: Any) -> Any:
        self.save_for_backward(a, b)
        return self.xp.maximum(a, b)

    # d max(a, b) = [a > b] da + [a < b] db, ties split: (da + db) / 2
    def backward(self, g: Tensor) -> tuple[Tensor, Tensor]:
        a, b = self.inputs
        g = where(a == b, g / 2, g)
        return where(a < b, 0.0, g), where(a > b, 0.0, g)


class Minimum(Function):
    """The smaller of a and b, elementwise. Its gradient goes to the smaller input; a tie
    splits it in half; where they do not compare (NaN) both get it, as torch's."""

    layout = "elementwise"

    def forward(self, a: Any, b: Any) -> Any:
        self.save_for_backward(a, b)
        return self.xp.minimum(a, b)

    # d min(a, b) = [a < b] da + [a > b] db, ties split: (da + db) / 2
    def backward(self, g: Tensor) -> tuple[Tensor, Tensor]:
        a, b = self.inputs
        g = where(a == b, g / 2, g)
        return where(a > b, 0.0, g), where(a < b, 0.0, g)


class Where(Function):
    """a where cond holds, else b."""

    layout = "elementwise"

    def forward(self, cond: Any, a: Any, b: Any) -> Any:
        self.save_for_backward(cond)
        return self.xp.where(cond, a, b)

    # the gradient flows to a where cond holds, to b elsewhere
    def backward(self, g: Tensor) -> tuple[None, Tensor, Tensor]:
        cond = self.inputs[0]
        return None, where(cond, g, 0.0), where(cond, 0.0, g)


# ---- unary ops ----------------------------------------------------------------------------
class Neg(Function):
    """-x."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        return -x

    # d(-x) = -dx
    def backward(self, g: Tensor) -> Tensor:
        return -g


class Abs(Function):
    """|x|."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return self.xp.abs(x)

    # d|x| = sign(x) dx   (0 at x = 0, as torch)
    def backward(self, g: Tensor) -> Tensor:
        return g * self.inputs[0].sign()


class Exp(Function):
    """e^x."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        out = self.xp.exp(x)
        self.save_for_backward(out)
        return out

    # d exp(x) = exp(x) dx = y dx
    def backward(self, g: Tensor) -> Tensor:
        return g * self.output


class Log(Function):
    """The natural logarithm."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return self.xp.log(x)

    # d log(x) = dx / x
    def backward(self, g: Tensor) -> Tensor:
        return g / self.inputs[0]


class Sqrt(Function):
    """The square root."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        out = self.xp.sqrt(x)
        self.save_for_backward(out)
        return out

    # d sqrt(x) = dx / (2 sqrt(x)) = dx / (2 y)
    def backward(self, g: Tensor) -> Tensor:
        return g / (2 * self.output)


class Sin(Function):
    """sin(x)."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return self.xp.sin(x)

    # d sin(x) = cos(x) dx
    def backward(self, g: Tensor) -> Tensor:
        return g * self.inputs[0].cos()


class Cos(Function):
    """cos(x)."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return self.xp.cos(x)

    # d cos(x) = -sin(x) dx
    def backward(self, g: Tensor) -> Tensor:
        return -g * self.inputs[0].sin()


class Tanh(Function):
    """tanh(x)."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        out = self.xp.tanh(x)
        self.save_for_backward(out)
        return out

    # d tanh(x) = (1 - y^2) dx
    def backward(self, g: Tensor) -> Tensor:
        y = self.output
        return g * (1 - y * y)


class Sigmoid(Function):
    """1 / (1 + e^-x)."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        # below x = -88 (float32) e^-x overflows to inf, and 1 / inf is the right 0
        with self.backend.errstate(over="ignore"):
            out = 1 / (1 + self.xp.exp(-x))
        self.save_for_backward(out)
        return out

    # d sigmoid(x) = y (1 - y) dx
    def backward(self, g: Tensor) -> Tensor:
        y = self.output
        return g * y * (1 - y)


class LogSigmoid(Function):
    """log(sigmoid(x)), stable for large |x|."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        xp = self.xp  # log(1 / (1 + e^-x)) = min(x, 0) - log(1 + e^-|x|): no overflow
        return xp.minimum(x, xp.zeros_like(x)) - xp.log1p(xp.exp(-xp.abs(x)))

    # d log(sigmoid(x)) = (1 - sigmoid(x)) dx = sigmoid(-x) dx
    def backward(self, g: Tensor) -> Tensor:
        return g * Sigmoid.apply(-self.inputs[0])


class Relu(Function):
    """max(x, 0)."""

    layout = "elementwise"

    def forward(self, x: Any) -> Any:
        out = self.xp.maximum(x, self.xp.zeros_like(x))
        self.save_for_backward(out)
        return out

    # d relu(x) = [x > 0] dx  (as torch: 0 where the output is <= 0, so NaN passes it on)
    def backward(self, g: Tensor) -> Tensor:
        return ReluBackward.apply(g, self.output)


class ReluBackward(Function):
    """g where y > 0, else 0: relu's gradient from its output y (torch's threshold_backward),
    an op of y too, so that its own gradient (zero) keeps a second backward in the graph."""

    layout = "elementwise"

    def forward(self, g: Any, y: Any) -> Any:
        self.save_for_backward(y if self.needs_input_grad[0] else None)  # (g's reads y)
        return self.xp.where(y <= 0, self.xp.zeros_like(g), g)

    # linear in g; a step in y (zero derivative)
    def backward(self, gg: Tensor) -> tuple[Tensor | None, Tensor | None]:
        y = self.inputs[1]
        return (ReluBackward.apply(gg, y) if self.needs_input_grad[0] else None,
                gg * 0 if self.needs_input_grad[1] else None)


class Clamp(Function):
    """x limited to [lo, hi]."""

    layout = "elementwise"

    def forward(self, x: Any, *, lo: float | None, hi: float | None) -> Any:
        self.save_for_backward(x)
        self.lo, self.hi = lo, hi
        return self.xp.clip(x, lo, hi)

    # d clamp(x) = [lo <= x <= hi] dx   (bounds inclusive, as torch)
    def backward(self, g: Tensor) -> Tensor:
        x = self.inputs[0]
        if self.lo is not None:
            g = g * (x >= self.lo)
        if self.hi is not None:
            g = g * (x <= self.hi)
        return g


class Rounding(Function):
    """floor, ceil, trunc, round (half to even) or sign of x (NaN's sign is 0, as torch)."""

    layout = "elementwise"

    def forward(self, x: Any, *, mode: str) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        xp = self.xp
        if mode == "sign":
            return xp.astype(x > 0, x.dtype) - xp.astype(x < 0, x.dtype)
        return getattr(xp, mode)(x)

    # a step function: its derivative is 0 wherever it has one (as torch)
    def backward(self, g: Tensor) -> Tensor:
        return g * 0


class Cast(Function):
    """x converted to another dtype."""

    layout = "elementwise"

    def forward(self, x: Any, *, dtype: dtypes.dtype) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        xp = self.xp
        if dtype is dtypes.float16 and x.dtype == xp.float64:  # through float32, as torch
            x = xp.astype(x, xp.float32)
        return xp.astype(x, self.backend.dtype(dtype))

    # a cast is the identity on values: cast the gradient back
    def backward(self, g: Tensor) -> Tensor:
        return g.to(self.inputs[0].dtype)


class ToDevice(Function):
    """x copied to another device."""

    layout = "keep"  # the copy as the other device lays it out

    def forward(self, x: Any, *, target: Any) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.device_out = target
        host = self.backend.to_host(x, "to", "explicit")
        return target.backend.from_host(host, "to", "explicit")

    # a copy between devices: send the gradient back
    def backward(self, g: Tensor) -> Tensor:
        return g.to(self.inputs[0].device)


# ---- the Tensor-level entry points (dtype promotion and shape checks: ops/promotion.py) ------
def binary(fn: type[Function], a: Tensor, b: Any, reverse: bool = False) -> Tensor:
    """Apply a binary Function to a tensor and a tensor or scalar (``reverse``: b op a)."""
    a, b = promote(a, b, float_result=fn is Div)
    return fn.apply(b, a) if reverse else fn.apply(a, b)


def power(a: Tensor, b: Any) -> Tensor:
    """``a ** b``; a Python number as the exponent of a floating-point tensor is torch's
    pow(Tensor, Scalar), which keeps the number (no tensor made of it, no mask in backward)."""
    if type(b) in (int, float) and a.dtype.is_floating_point:
        return PowScalar.apply(a, exponent=b)
    return binary(Pow, a, b)


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (scalars allowed);
    with the condition alone, the indices where it holds (``condition.nonzero(as_tuple=True)``)."""
    as_tensor_arg(condition, "where", "condition")
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if not is_tensor(input) and not is_tensor(other):  # two scalars: the wider one's dtype
        dtype = max((dtypes.scalar_dtype(input), dtypes.scalar_dtype(other)),
                    key=dtypes.category)
        input = as_tensor_like(input, condition, dtype)
    if not is_tensor(input):
        other, input = promote(other, input)
    else:
        input, other = promote(input, other)
    if condition.dtype is not dtypes.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype.torch_name}")
    broadcast_shapes(condition.shape, input.shape, other.shape)
    return Where.apply(condition, input, other)


_COMPARISONS = {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
                "gt": "greater", "ge": "greater_equal"}


def compare(op: str, a: Tensor, b: Any) -> Tensor:
    """An elementwise comparison (``eq``, ``lt``, ...): a bool tensor that records no graph."""
    return _without_graph(_COMPARISONS[op], *promote(a, b))


class Remainder(Function):
    """a % b with b's sign (Python's and torch.remainder)."""

    layout = "elementwise"

    def forward(self, a: Any, b: Any) -> Any:
        if self.needs_input_grad[1]:  # (b's gradient reads a and b)
            self.save_for_backward(a, b)
        return floor_division.remainder(self.xp, a, b)

    # a % b = a - b floor(a / b): d/da = 1, d/db = -floor(a / b)
    def backward(self, g: Tensor) -> tuple[Tensor, Tensor | None]:
        a, b = self.inputs
        return g, (-g * divide(a, b, "floor") if self.needs_input_grad[1] else None)


def remainder(a: Tensor, b: Any, reverse: bool = False) -> Tensor:
    """a % b (b % a with ``reverse``); differentiable for floating point."""
    a, b = promote(a, b)
    if reverse:
        a, b = b, a
    if not a.dtype.is_floating_point:
        return integer_op("remainder", a, b)
    return Remainder.apply(a, b)


def integer_op(name: str, a: Tensor, b: Any) -> Tensor:
    """``//`` (floor_divide) and ``%`` (remainder) for index arithmetic: no derivative."""
    number = b if isinstance(b, int) else None  # (bools are ints): checked without the device
    a, b = promote(a, b)
    if is_grad_enabled() and (a.requires_grad or b.requires_grad):
        raise RuntimeError(f"the derivative for '{name}' is not implemented in minigrad")
    backend = a.backend
    if a.dtype.is_floating_point:
        zero: bool | int | float = False  # (host_value's type below)
    elif number is not None:
        zero = number == 0
    else:
        zero = backend.host_value(backend.xp.any(b._data == 0), "integer division check")
    if zero:
        divisor = (host_values(b, "integer division check").tolist() if b.numel() < 10
                   else f"of shape {list(b.shape)}")
        raise RuntimeError(f"ZeroDivisionError: integer {name} by zero (divisor {divisor})")
    return make_tensor(getattr(floor_division, name)(backend.xp, a._data, b._data), a.device)


def _without_graph(name: str, a: Tensor, b: Tensor) -> Tensor:
    """``xp.<name>(a, b)`` (an Array API function) as a tensor outside the graph."""
    return make_tensor(getattr(a.backend.xp, name)(a._data, b._data), a.device)


def logical(op: str, a: Tensor, b: Tensor | None = None) -> Tensor:
    """``&``, ``|``, ``^`` and ``~``: logical on bool tensors, bitwise on integers, as torch's
    (no graph)."""
    xp = a.backend.xp
    if b is None:
        if a.dtype.is_floating_point:
            raise TypeError(f"~ (operator.invert) is only implemented on integer and "
                            f"Boolean-type tensors, not {a.dtype.name}")
        return make_tensor(xp.bitwise_invert(a._data), a.device)
    a, b = promote(a, b)
    if a.dtype.is_floating_point:
        raise NotImplementedError(f'"bitwise_{op}" not implemented for '
                                  f"'{a.dtype.torch_name}': &, | and ^ take bool or integer "
                                  "tensors")
    return make_tensor(getattr(xp, f"bitwise_{op}")(a._data, b._data), a.device)


class RoundedDivide(Function):
    """a / b rounded down ('floor', Python's floor division) or toward zero ('trunc')."""

    layout = "elementwise"

    def forward(self, a: Any, b: Any, *, mode: str) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        xp = self.xp
        return floor_division.floor_divide(xp, a, b) if mode == "floor" else xp.trunc(a / b)

    # a step function: 0 wherever it has a derivative (as torch, even at 0 / 0)
    def backward(self, g: Tensor) -> tuple[Tensor, Tensor]:
        zero = make_tensor(self.xp.zeros_like(g._data), g.device)
        return zero, zero


def clamp(x: Tensor, lo: Any = None, hi: Any = None) -> Tensor:
    """x limited to [lo, hi]; a bound may be None, a number or a tensor (broadcast)."""
    if lo is None and hi is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    lo = lo if lo is None or is_tensor(lo) else as_number(lo, "clamp", "min")
    hi = hi if hi is None or is_tensor(hi) else as_number(hi, "clamp", "max")
    if not is_tensor(lo) and not is_tensor(hi):
        return Clamp.apply(x, lo=lo, hi=hi)
    if lo is not None:  # x where x >= lo, else lo (the gradient goes where the value came from)
        x = where(x < lo, lo, x)
    if hi is not None:
        x = where(x > hi, hi, x)
    return x


def rounded(x: Tensor, mode: str) -> Tensor:
    """floor, ceil, trunc or round of x; integers are already whole."""
    return x if not x.dtype.is_floating_point else Rounding.apply(x, mode=mode)


def divide(a: Tensor, b: Any, rounding_mode: str | None = None) -> Tensor:
    """a / b, its quotient rounded toward zero ('trunc') or down ('floor') if asked."""
    if rounding_mode is None:
        return binary(Div, a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    a, b = promote(a, b)
    if a.dtype.is_floating_point:
        return RoundedDivide.apply(a, b, mode=rounding_mode)
    q = integer_op("floor_divide", a, b)
    if rounding_mode == "floor":
        return q
    inexact = _without_graph("remainder", a, b) != 0  # (b has no zero: floor_divide checked)
    return q + (inexact & ((a < 0) != (b < 0))).to(q.dtype)  # floor moved one toward zero
