"""More activations of torch.nn.functional: hard (piecewise) ones, SELU, CELU, Mish, PReLU and
softmin. Each is a composite of elementwise ops and ``where``, so its gradient comes from the
core; where a piecewise function meets a kink, the branch chosen there is torch's.
"""

from __future__ import annotations

import warnings
from typing import Any

from minigrad import ops
from minigrad.nn.functional import checks
from minigrad.nn.functional.activations import _softmax_dim, softplus
from minigrad.tensor import Tensor

# SELU's constants (Klambauer et al., 2017), as torch writes them
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _inside(input: Tensor, low: float, high: float) -> Tensor:
    """input where low <= x <= high, else 0: the middle branch of a piecewise function, so
    that the branches not taken never see infinities (nor send NaN gradients back)."""
    return ops.where((input >= low) & (input <= high), input, 0.0)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6: 0 below -3, x above 3, x (x + 3) / 6 between.

    The derivative (2x + 3) / 6 holds on [-3, 3] with both ends, as torch's.
    """
    _floating(input, "hardswish_cpu")
    middle = _inside(input, -3.0, 3.0)
    return ops.where(input < -3, 0.0, ops.where(input <= 3, middle * (middle + 3) / 6, input))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, (x + 3) / 6 between.

    The derivative is 1/6 strictly inside (-3, 3) and 0 elsewhere, at -3, 3 and NaN too, as
    torch's: outside, the value comes from the detached input.
    """
    _floating(input, "hardsigmoid_cpu")
    inside = (input > -3) & (input < 3)
    return ops.where(inside, (input + 3) / 6, ((input.detach() + 3) / 6).clamp(0.0, 1.0))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)) (Misra, 2019)."""
    _floating(input, "mish_cpu")
    return input * softplus(input).tanh()


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * (x for x > 0, else alpha (exp(x) - 1)), with SELU's alpha and scale."""
    _floating(input, "elu_cpu")
    negative = ops.where(input <= 0, input, 0.0)  # exp never sees a large x
    return ops.where(input <= 0, (negative.exp() - 1) * (SELU_ALPHA * SELU_SCALE),
                     input * SELU_SCALE)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, else alpha (exp(x / alpha) - 1): an ELU whose slope is 1 at 0 for every
    alpha."""
    _floating(input, "elu_cpu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    negative = ops.where(input <= 0, input, 0.0)
    return ops.where(input <= 0, ((negative * (1.0 / alpha)).exp() - 1) * alpha, input)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, else a * x, with a learned slope ``a``: one for all channels, or one per
    channel (dim 1).

    Shape: input (*) or (N, C, *); weight (1,) or () or (C,).
    """
    _prelu_arguments(input, weight)
    if weight.numel() == 1:  # one slope for all
        weight = weight.reshape(())
    else:  # one slope per channel, along dim 1
        weight = weight.reshape(-1, *[1] * (input.ndim - 2))
    return ops.where(input > 0, input, weight * input)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """softmax(-x) along ``dim``: the smallest entry gets the largest weight."""
    if dim is None:
        warnings.warn("Implicit dimension choice for softmin has been deprecated. Change the "
                      "call to include dim=X as an argument.", stacklevel=_stacklevel)
        dim = _softmax_dim(input.ndim)
    checks.softmax_arguments(input, dim, dtype, "softmax_lastdim_kernel_impl")
    return (-input).softmax(dim, dtype=dtype)


# ---- argument checks ---------------------------------------------------------------------------
def _floating(input: Tensor, kernel: str) -> None:
    """torch's refusal of an integer input, naming its CPU kernel."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{kernel.removesuffix('_cpu')}(): argument 'input' must be Tensor, "
                        f"not {type(input).__name__}")
    checks.floating(input, kernel)


def _prelu_arguments(input: Tensor, weight: Tensor) -> None:
    """A slope per channel of dim 1 (or one in all), as torch's prelu checks."""
    _floating(input, "prelu_cpu")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    if weight.numel() != 1:
        if input.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.ndim >= 2 else 1
        if weight.numel() != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {weight.numel()} and channel size = "
                               f"{channels}.")
