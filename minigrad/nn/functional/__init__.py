"""minigrad.nn.functional: the layers' math as functions, with torch.nn.functional's signatures.

Convolution and pooling are built on ``unfold`` (im2col, ops/unfold.py), in (N, C, H, W): a
convolution is unfold + one matrix product (a batched one with groups); max pooling is -inf
padding + unfold + a max over each window; average pooling is zero padding + unfold + a sum over
each window divided by PyTorch's divisor; the 1-D versions are the 2-D ones on an image of
height 1. Batch, layer, group and instance norm are their formulas; interpolation and grid
sampling compute source coordinates and mix the four neighbours. Everything here is a
composite of differentiable ops, so gradients (and second derivatives) come from the core; only
binary cross-entropy has its own backward, for PyTorch's finite gradient at 0 and 1.

One module per topic (activations, convolution, pooling, resampling, normalization, losses);
the argument checks sit apart, so a function's body is the math: those of the LeNet route
(activations, convolution, pooling, losses) in ``checks.py``, the others at the foot of their
topic's file: normalization, resampling, and beyond the course's core activations_extra (hardswish,
mish, selu, prelu, softmin, ...), adaptive_pooling (1-D), distance (normalize,
cosine_similarity), embedding (one_hot, embedding) and vision (pixel_shuffle, affine_grid,
local_response_norm).
Functions marked ``@fast_path`` may run a backend's faster version of the same math instead
(``minigrad/fast/``; off with MINIGRAD_FAST_PATHS=0), tested equal to the code here.
"""

from __future__ import annotations

from minigrad.nn.functional import checks  # noqa: F401  (F.checks: the argument checks)
from minigrad.nn.functional.activations import (
    dropout,
    dropout2d,
    elu,
    flatten,
    gelu,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    relu,
    relu6,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from minigrad.nn.functional.activations_extra import (
    celu,
    hardsigmoid,
    hardswish,
    mish,
    prelu,
    selu,
    softmin,
)
from minigrad.nn.functional.adaptive_pooling import adaptive_avg_pool1d, adaptive_max_pool1d
from minigrad.nn.functional.convolution import conv1d, conv2d, conv_transpose2d, linear
from minigrad.nn.functional.distance import cosine_similarity, normalize
from minigrad.nn.functional.embedding import embedding, one_hot
from minigrad.nn.functional.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from minigrad.nn.functional.normalization import batch_norm, group_norm, instance_norm, layer_norm
from minigrad.nn.functional.pooling import (
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from minigrad.nn.functional.resampling import grid_sample, interpolate
from minigrad.nn.functional.vision import (
    affine_grid,
    local_response_norm,
    pixel_shuffle,
    pixel_unshuffle,
)
from minigrad.ops import fold, gather, pad, unfold

__all__ = [
    "adaptive_avg_pool2d", "adaptive_max_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv1d", "conv2d",
    "conv_transpose2d", "cross_entropy", "dropout", "dropout2d", "elu", "flatten", "fold",
    "gather", "gelu", "grid_sample", "group_norm", "hardtanh", "huber_loss", "instance_norm",
    "interpolate", "kl_div", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax",
    "logsigmoid", "max_pool1d", "max_pool2d", "mse_loss", "nll_loss", "pad", "relu", "relu6",
    "sigmoid", "silu", "smooth_l1_loss", "softmax", "softplus", "tanh", "unfold",
    # embedding, distance, vision, more activations, 1-D adaptive pools
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "affine_grid", "celu", "cosine_similarity",
    "embedding", "hardsigmoid", "hardswish", "local_response_norm", "mish", "normalize",
    "one_hot", "pixel_shuffle", "pixel_unshuffle", "prelu", "selu", "softmin",
]
