"""Normalization: batch, layer, group and instance norm, each its formula.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

from minigrad.backends import fast_path
from minigrad.nn.functional import checks
from minigrad.ops.unfold import int_tuple
from minigrad.runtime import dtypes
from minigrad.runtime.grad_mode import no_grad
from minigrad.tensor import Tensor


@fast_path
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel: (x - mean) / sqrt(var + eps) * weight + bias.

    Training uses the batch's mean and biased variance per channel and updates the running
    estimates in place (running = (1 - momentum) * running + momentum * batch, with the
    unbiased variance); evaluation uses the running estimates.
    Shape: input (N, C) or (N, C, *); the statistics are per channel C.
    """
    batch_norm_arguments(input, running_mean, running_var, weight, bias, training, eps,
                                momentum)
    if input.numel() == 0:  # an empty batch: nothing to normalize, the statistics stay
        return input.clone()
    axes = (0, *range(2, input.ndim))            # every dim but the channels
    shape = (1, -1) + (1,) * (input.ndim - 2)    # per channel, broadcast over the rest
    if training:
        mean = input.mean(dim=axes)
        centred = input - mean.reshape(shape)
        var = (centred * centred).mean(dim=axes)  # the biased variance
        if running_mean is not None and running_var is not None:
            count = input.numel() // input.shape[1]
            with no_grad():
                running_mean.mul_(1 - momentum).add_(mean * momentum)
                running_var.mul_(1 - momentum).add_(var * (count / (count - 1)) * momentum)
    else:
        centred, var = input - running_mean.reshape(shape), running_var  # type: ignore[union-attr]  # checked: evaluation needs both
    out = centred / (var.reshape(shape) + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int],
               weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5
               ) -> Tensor:
    """Normalize each sample over its last dims: (x - mean) / sqrt(var + eps) * weight + bias,
    with the mean and biased variance over the dims of ``normalized_shape``.

    Shape: input (*, *normalized_shape); weight and bias normalized_shape; output as input.
    """
    dims = layer_norm_arguments(input, normalized_shape, weight, bias)
    out = _normalize(input, dims, eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def _normalize(x: Tensor, dims: int | tuple[int, ...], eps: float) -> Tensor:
    """(x - mean) / sqrt(var + eps), with the mean and the biased variance over ``dims``."""
    centred = x - x.mean(dim=dims, keepdim=True)
    var = (centred * centred).mean(dim=dims, keepdim=True)
    return centred / (var + eps).sqrt()


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize groups of channels: the C channels of each sample split into ``num_groups``
    groups, each normalized with the mean and biased variance over its channels and
    positions; then weight and bias per channel.

    Shape: input (N, C, *); weight and bias (C); output as input.
    """
    group_norm_arguments(input, num_groups, weight, bias)
    n, c = input.shape[:2]
    groups = input.reshape(n, num_groups, math.prod(input.shape[1:]) // num_groups)
    out = _normalize(groups, 2, eps).reshape(input.shape)
    shape = (1, c) + (1,) * (input.ndim - 2)       # per channel, broadcast over the rest
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel of each sample over its positions: (x - mean) / sqrt(var + eps)
    with the mean and biased variance of each (sample, channel) plane; then weight and bias.

    With ``use_input_stats`` and running statistics, these are updated in place with the
    batch's average of the planes' means and unbiased variances (running = (1 - momentum) *
    running + momentum * average); without ``use_input_stats`` they normalize instead.
    Shape: input (N, C, *); running statistics, weight and bias (C); output as input.
    """
    instance_norm_arguments(input, running_mean, running_var, weight, bias, use_input_stats)
    dims = tuple(range(2, input.ndim))             # the positions of one plane
    shape = (1, -1) + (1,) * (input.ndim - 2)      # per channel, broadcast over the rest
    if use_input_stats:
        out = _normalize(input, dims, eps)
        if running_mean is not None and running_var is not None:
            with no_grad():
                mean = input.mean(dim=dims).mean(dim=0)
                var = input.var(dim=dims, correction=1).mean(dim=0)
                running_mean.mul_(1 - momentum).add_(mean * momentum)
                running_var.mul_(1 - momentum).add_(var * momentum)
    else:
        out = ((input - cast(Tensor, running_mean).reshape(shape))
               / (cast(Tensor, running_var).reshape(shape) + eps).sqrt())
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


# ---- argument checks (torch's messages), apart from the math above -------------------
def batch_norm_arguments(input: Tensor, running_mean: Tensor | None,
                         running_var: Tensor | None, weight: Tensor | None,
                          bias: Tensor | None, training: bool, eps: float,
                         momentum: Any = 0.1) -> None:
    """batch_norm's checks: at least (N, C), one value per channel in each statistic and
    parameter, more than one value per channel to train on, running statistics to evaluate,
    eps > 0 in training (>= 0 in evaluation), as torch's."""
    if input.ndim < 2 and input.numel():
        raise IndexError(f"batch_norm expects an input of at least 2 dims (N, C, ...), got "
                         f"shape {tuple(input.shape)}: Dimension out of range (expected to be "
                         f"in range of [-1, 0], but got 1)")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)):
        raise TypeError(f"batch_norm(): argument 'momentum' (position 7) must be float, not "
                        f"{type(momentum).__name__} (got momentum={momentum!r})")
    if training and not eps > 0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if not eps >= 0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    c = input.shape[1] if input.ndim >= 2 else 0
    per_channel(input, c, running_mean=running_mean, running_var=running_var, weight=weight,
                bias=bias)
    if training and input.numel() and input.numel() // max(c, 1) <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {input.shape!r}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("batch_norm in evaluation needs running_mean and running_var")


def layer_norm_arguments(input: Tensor, normalized_shape: int | Sequence[int],
                         weight: Tensor | None, bias: Tensor | None) -> tuple[int, ...]:
    """layer_norm's checks (PyTorch's messages); the dims to normalize over."""
    shape = list(int_tuple(normalized_shape, None, "normalized_shape"))
    k = len(shape)
    if k == 0 or input.ndim < k or list(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={shape}, expected input with shape "
                           f"[*, {str(shape)[1:-1]}], but got input of size{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and list(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{shape}")
    return tuple(range(-k, 0))


def group_norm_arguments(input: Tensor, num_groups: int, weight: Tensor | None,
                         bias: Tensor | None) -> None:
    """group_norm's checks (PyTorch's messages)."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    n, c, spatial = input.shape[0], input.shape[1], list(input.shape[2:])
    checks.int_argument(num_groups, "num_groups", "group_norm")
    if num_groups < 1:
        raise RuntimeError(f"Expected num groups to be greater than 0, got {num_groups}")
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.shape[0] != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} "
                               f"and input of shape {list(input.shape)}")
    if n * c // num_groups * math.prod(spatial) == 1:  # (torch's own count, as it is)
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {[n * c // num_groups, num_groups, *spatial]}")


def per_channel(input: Tensor, c: int, **stats: Tensor | None) -> None:
    """Each statistic and parameter given: 1-D with one value per channel, in the input's
    dtype (float32 ones with a float16 input too, as torch's mixed-dtype kernels)."""
    for name, t in stats.items():
        if t is not None and (t.numel() != c or t.ndim != 1):
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()} (input of "
                               f"shape {tuple(input.shape)})" if t.numel() != c else
                               f"{name} should be 1-D with {c} elements, got shape "
                               f"{tuple(t.shape)}")
        if t is not None and t.dtype is not input.dtype and not (
                t.dtype is dtypes.float32 and input.dtype is dtypes.float16):
            raise RuntimeError(f"mixed dtype (CPU): expect parameter to have scalar type of "
                               f"{input.dtype.name} ({name} is {t.dtype.name})")


def instance_norm_arguments(input: Tensor, running_mean: Tensor | None,
                            running_var: Tensor | None, weight: Tensor | None,
                             bias: Tensor | None, use_input_stats: bool) -> None:
    """instance_norm's checks (PyTorch's messages): (N, C, *), one value per channel in each
    statistic and parameter, more than one position to normalize over."""
    if input.ndim < 3:
        raise ValueError(f"instance_norm expects an input of at least 3 dims (N, C, ...), got "
                         f"shape {tuple(input.shape)}")
    c = input.shape[1]
    per_channel(input, c, running_mean=running_mean, running_var=running_var, weight=weight,
                bias=bias)
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{input.shape!r}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
