"""Activations, softmax, dropout and flatten: elementwise maps and their torch.nn.functional names.
"""

from __future__ import annotations

import math
from typing import Any

from minigrad import ops
from minigrad.factory import rand
from minigrad.nn.functional import checks
from minigrad.surface.special import erf
from minigrad.tensor import Tensor


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); with ``inplace``, written over the input."""
    return input.relu_() if inplace else input.relu()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x))."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return input.tanh()


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), stable for large |x|."""
    checks.floating(input, "log_sigmoid")
    return ops.LogSigmoid.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    checks.floating(input, "leaky_relu")
    return ops.where(input > 0, input, input * negative_slope)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal's CDF: 0.5 x (1 + erf(x / sqrt(2))).

    ``approximate='tanh'``: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    """
    checks.gelu_arguments(input, approximate)
    if approximate == "tanh":
        inner = (input + 0.044715 * input * input * input) * math.sqrt(2 / math.pi)
        return input * 0.5 * (1 + inner.tanh())
    return input * 0.5 * (1 + erf(input * math.sqrt(0.5)))


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (the "swish")."""
    checks.floating(input, "silu")
    return input * input.sigmoid()


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, else alpha (exp(x) - 1)."""
    checks.floating(input, "elu")
    # exp of x where x <= 0, else of 0: the branch not taken never overflows (nor sends a
    # NaN gradient back); NaN goes with x, as torch's
    negative = ops.where(input <= 0, input, 0.0)
    return ops.where(input <= 0, alpha * (negative.exp() - 1), input)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]; the gradient is 0 at the bounds too, as torch's."""
    checks.hardtanh_arguments(min_val, max_val)
    return ops.where(input <= min_val, min_val, ops.where(input >= max_val, max_val, input))


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): hardtanh between 0 and 6."""
    return hardtanh(input, 0.0, 6.0)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, a smooth ReLU; x itself where beta x > threshold.

    log(1 + e^z) = -log(sigmoid(-z)), which logsigmoid computes without overflow.
    """
    checks.floating(input, "softplus")
    scaled = input * beta
    return ops.where(scaled > threshold, input, -logsigmoid(-scaled) / beta)


def _softmax_dim(ndim: int) -> int:
    return 0 if ndim in (0, 1, 3) else 1  # torch's legacy choice when dim is not given


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (computed in ``dtype`` if given)."""
    checks.softmax_arguments(input, dim, dtype, "softmax")
    return input.softmax(_softmax_dim(input.ndim) if dim is None else dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """log(softmax(x)) along ``dim``, stable for large inputs."""
    checks.softmax_arguments(input, dim, dtype, "log_softmax")
    return input.log_softmax(_softmax_dim(input.ndim) if dim is None else dim, dtype=dtype)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim`` .. ``end_dim``."""
    return input.flatten(start_dim, end_dim)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
            ) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) (training);
    the identity otherwise. The mask comes from minigrad's seeded host generator."""
    checks.dropout_probability(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = rand(tuple(input.shape), device=input.device) >= p
    return input * keep.to(input.dtype) * (1.0 / (1.0 - p))


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
              ) -> Tensor:
    """Zero whole channels: each (sample, channel) plane is zeroed with probability ``p`` and
    the rest scaled by 1 / (1 - p) (training); the identity otherwise. One draw per channel
    from minigrad's seeded host generator.

    Shape: input (N, C, H, W), or (N, C, L) (channel dropout over L, as torch's).
    """
    checks.dropout2d_arguments(input, p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    n, c = input.shape[:2]
    keep = (rand(n, c, device=input.device) >= p).reshape(n, c, *[1] * (input.ndim - 2))
    return input * keep.to(input.dtype) * (1.0 / (1.0 - p))
