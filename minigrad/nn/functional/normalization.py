"""Normalization: batch, layer, group and instance norm, each its formula.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from minigrad.nn.functional import checks
from minigrad.runtime.grad_mode import no_grad
from minigrad.tensor import Tensor


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel: (x - mean) / sqrt(var + eps) * weight + bias.

    Training uses the batch's mean and biased variance per channel and updates the running
    estimates in place (running = (1 - momentum) * running + momentum * batch, with the
    unbiased variance); evaluation uses the running estimates.
    Shape: input (N, C) or (N, C, *); the statistics are per channel C.
    """
    checks.batch_norm_arguments(input, running_mean, running_var, weight, bias, training, eps,
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
        centred, var = input - running_mean.reshape(shape), running_var
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
    dims = checks.layer_norm_arguments(input, normalized_shape, weight, bias)
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
    checks.group_norm_arguments(input, num_groups, weight, bias)
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
    checks.instance_norm_arguments(input, running_mean, running_var, weight, bias, use_input_stats)
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
        out = (input - running_mean.reshape(shape)) / (running_var.reshape(shape) + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out
