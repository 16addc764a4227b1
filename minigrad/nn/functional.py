"""minigrad.nn.functional: the layers' math as functions, with torch.nn.functional's signatures.

Convolution and pooling are built on ``unfold`` (im2col, ops/unfold.py), in (N, C, H, W): a
convolution is unfold + one matrix product (a batched one with groups); max pooling is -inf
padding + unfold + a max over each window; average pooling is zero padding + unfold + a sum over
each window divided by PyTorch's divisor; the 1-D versions are the 2-D ones on an image of
height 1. Batch, layer, group and instance norm are their formulas; interpolation and grid
sampling compute source coordinates and mix the four neighbours. Everything here is a
composite of differentiable ops, so gradients (and second derivatives) come from the core; only
binary cross-entropy has its own backward, for PyTorch's finite gradient at 0 and 1.

Argument checks sit in helpers after each function, so the function's body is the math.
Functions marked ``@fast_path`` may run a backend's faster version of the same math instead
(``minigrad/fast/``; off with MINIGRAD_FAST_PATHS=0), tested equal to the code here.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

from minigrad import dtypes, ops
from minigrad.autograd import Function
from minigrad.backends import fast_path
from minigrad.factory import arange, ones, rand, tensor
from minigrad.grad_mode import no_grad
from minigrad.ops import fold, gather, gather_in_range, pad, unfold
from minigrad.ops.special import erf
from minigrad.ops.unfold import Pair, Window, int_tuple, is_int, output_size, pair, window_count
from minigrad.tensor import Tensor

__all__ = [
    "adaptive_avg_pool2d", "adaptive_max_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv1d", "conv2d",
    "conv_transpose2d", "cross_entropy", "dropout", "dropout2d", "elu", "flatten", "fold",
    "gather", "gelu", "grid_sample", "group_norm", "hardtanh", "huber_loss", "instance_norm",
    "interpolate", "kl_div", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax",
    "logsigmoid", "max_pool1d", "max_pool2d", "mse_loss", "nll_loss", "pad", "relu", "relu6",
    "sigmoid", "silu", "smooth_l1_loss", "softmax", "softplus", "tanh", "unfold",
]

IntOrPair = int | tuple[int, int]
IntOrSingle = int | tuple[int]


# ---- activations -----------------------------------------------------------------------------
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
    _floating(input, "log_sigmoid")
    return ops.LogSigmoid.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    _floating(input, "leaky_relu")
    return ops.where(input > 0, input, input * negative_slope)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal's CDF: 0.5 x (1 + erf(x / sqrt(2))).

    ``approximate='tanh'``: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    """
    _gelu_arguments(input, approximate)
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1 + inner.tanh())
    return 0.5 * input * (1 + erf(input * math.sqrt(0.5)))


def _gelu_arguments(input: Tensor, approximate: str) -> None:
    if not isinstance(approximate, str):
        raise TypeError(f"gelu(): argument 'approximate' must be str, not "
                        f"{type(approximate).__name__}")
    _floating(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (the "swish")."""
    _floating(input, "silu")
    return input * input.sigmoid()


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, else alpha (exp(x) - 1)."""
    _floating(input, "elu")
    # exp of x where x <= 0, else of 0: the branch not taken never overflows (nor sends a
    # NaN gradient back); NaN goes with x, as torch's
    negative = ops.where(input <= 0, input, 0.0)
    return ops.where(input <= 0, alpha * (negative.exp() - 1), input)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]; the gradient is 0 at the bounds too, as torch's."""
    _hardtanh_arguments(min_val, max_val)
    return ops.where(input <= min_val, min_val, ops.where(input >= max_val, max_val, input))


def _hardtanh_arguments(min_val: float, max_val: float) -> None:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): hardtanh between 0 and 6."""
    return hardtanh(input, 0.0, 6.0)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, a smooth ReLU; x itself where beta x > threshold.

    log(1 + e^z) = -log(sigmoid(-z)), which logsigmoid computes without overflow.
    """
    _floating(input, "softplus")
    scaled = input * beta
    return ops.where(scaled > threshold, input, -logsigmoid(-scaled) / beta)


def _softmax_dim(ndim: int) -> int:
    return 0 if ndim in (0, 1, 3) else 1  # torch's legacy choice when dim is not given


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (computed in ``dtype`` if given)."""
    _softmax_arguments(input, dim, dtype, "softmax")
    return input.softmax(_softmax_dim(input.ndim) if dim is None else dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """log(softmax(x)) along ``dim``, stable for large inputs."""
    _softmax_arguments(input, dim, dtype, "log_softmax")
    return input.log_softmax(_softmax_dim(input.ndim) if dim is None else dim, dtype=dtype)


def _softmax_arguments(input: Tensor, dim: Any, dtype: Any, name: str) -> None:
    """An int dim (or None); a floating-point input unless ``dtype`` says what to compute in."""
    if dim is not None:
        _int_argument(dim, "dim", name)
    if dtype is None:
        _floating(input, name)


def _floating(input: Tensor, name: str) -> None:
    """PyTorch's refusal of an integer or bool input where its kernel is for floats only."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{name}" not implemented for \'{input.dtype.torch_name}\'')


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim`` .. ``end_dim``."""
    return input.flatten(start_dim, end_dim)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
            ) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) (training);
    the identity otherwise. The mask comes from minigrad's seeded host generator."""
    _dropout_probability(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = rand(tuple(input.shape), device=input.device) >= p
    return input * keep.to(input.dtype) * (1.0 / (1.0 - p))


def _int_argument(value: Any, name: str, fn: str = "") -> None:
    """An argument that must be an int (not a float, nor a bool): torch's TypeError, naming
    the function (if given), the argument and the value."""
    if not is_int(value):
        raise TypeError(f"{fn + '(): ' if fn else ''}argument '{name}' must be int, not "
                        f"{type(value).__name__} (got {name}={value!r})")


def _dropout_probability(p: float) -> None:
    """Dropout's probability must lie in [0, 1] (PyTorch's ValueError)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
              ) -> Tensor:
    """Zero whole channels: each (sample, channel) plane is zeroed with probability ``p`` and
    the rest scaled by 1 / (1 - p) (training); the identity otherwise. One draw per channel
    from minigrad's seeded host generator.

    Shape: input (N, C, H, W), or (N, C, L) (channel dropout over L, as torch's).
    """
    _dropout2d_arguments(input, p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    n, c = input.shape[:2]
    keep = (rand(n, c, device=input.device) >= p).reshape(n, c, *[1] * (input.ndim - 2))
    return input * keep.to(input.dtype) * (1.0 / (1.0 - p))


def _dropout2d_arguments(input: Tensor, p: float) -> None:
    """dropout2d's checks and PyTorch's warnings for inputs that are not (N, C, H, W)."""
    _dropout_probability(p)
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=3)
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=3)

# ---- linear and convolution ------------------------------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b.

    Shape: input (*, in_features), weight (out_features, in_features), bias (out_features),
    output (*, out_features).
    """
    _linear_arguments(input, weight, bias)
    out = input @ weight.t()
    return out if bias is None else out + bias


def _linear_arguments(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    """linear's checks: one dtype, and a bias that expands to the output's size (*, out) without
    widening it, as torch's addmm (matmul reports mismatched input and weight itself)."""
    _same_dtype(input, weight, "linear")
    if bias is None or weight.ndim > 2 or input.ndim == 0:
        return
    out = tuple(input.shape[:-1]) + tuple(weight.shape[:-1])
    if not _expands_to(bias, out):
        raise RuntimeError(f"linear: bias of size {list(bias.shape)} must expand to the output's "
                           f"size {list(out)} (input {list(input.shape)}, weight "
                           f"{list(weight.shape)})")


def _expands_to(t: Tensor, shape: Sequence[int]) -> bool:
    """Whether ``t`` broadcasts to ``shape`` without changing it (torch's ``expand``): no more
    dims, and each of its dims, aligned from the right, 1 or the same."""
    return t.ndim <= len(shape) and all(
        a in (1, b) for a, b in zip(reversed(t.shape), reversed(shape)))


@fast_path
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrPair = 1,
           padding: IntOrPair | str = 0, dilation: IntOrPair = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation: unfold the input into patches, then one matrix product.

    Every output pixel is a linear regression on one patch: the dot product of a kernel with
    the kh x kw patch under it (all input channels), plus the bias. ``unfold`` lays the patches
    out as columns, so all of them times all kernels is one product; with ``groups`` the
    channels split into groups, each with its own kernels (a batched product).
    Shape: input (N, C_in, H, W) or (C_in, H, W); weight (C_out, C_in/groups, kh, kw);
    bias (C_out); output (N, C_out, H_out, W_out) with
    H_out = floor((H + 2*padding - dilation*(kh-1) - 1) / stride) + 1 (likewise W_out).
    """
    x, unbatched = _batched(input, "conv2d")
    x, window = _conv2d_arguments(x, weight, bias, stride, padding, dilation, groups)
    n, c = x.shape[:2]
    out_ch, _, kh, kw = weight.shape
    oh, ow = output_size(x.shape[2:], *window)
    cols = unfold(x, *window)                                       # (N, C_in*kh*kw, L)
    cols = cols.reshape(n, groups, c // groups * kh * kw, oh * ow)  # (N, G, C_in/G*kh*kw, L)
    kernels = weight.reshape(groups, out_ch // groups, c // groups * kh * kw)
    out = (kernels @ cols).reshape(n, out_ch, oh, ow)               # (N, G, C_out/G, L)
    if bias is not None:
        out = out + bias.reshape(1, out_ch, 1, 1)
    return out.squeeze(0) if unbatched else out


@fast_path
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: IntOrPair = 1, padding: IntOrPair = 0,
                     output_padding: IntOrPair = 0, groups: int = 1, dilation: IntOrPair = 1
                     ) -> Tensor:
    """The adjoint of conv2d (a "deconvolution"): each input pixel paints its kernel, scaled.

    A product gives, for every input pixel, the block it paints (the columns conv2d would
    read there); fold adds the overlapping blocks into the image; the padding is cropped.
    Shape: input (N, C_in, H, W) or (C_in, H, W); weight (C_in, C_out/groups, kh, kw);
    output (N, C_out, H_out, W_out) with
    H_out = (H - 1)*stride - 2*padding + dilation*(kh - 1) + output_padding + 1.
    """
    x, unbatched = _batched(input, "conv_transpose2d")
    window, p, op, full = _conv_transpose2d_arguments(x, weight, bias, stride, padding,
                                                      output_padding, groups, dilation)
    n, c_in, h, w = x.shape
    _, c_out_group, kh, kw = weight.shape
    kernels = weight.reshape(groups, c_in // groups, c_out_group * kh * kw).mT
    cols = kernels @ x.reshape(n, groups, c_in // groups, h * w)   # (N, G, C_out/G*kh*kw, H*W)
    cols = cols.reshape(n, groups * c_out_group * kh * kw, h * w)
    out = fold(cols, full, *window)                                 # every block, uncropped
    out = pad(out, (-p[1], op[1] - p[1], -p[0], op[0] - p[0]))      # crop; output_padding adds
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out.squeeze(0) if unbatched else out


def _same_dtype(input: Tensor, weight: Tensor, op: str) -> None:
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"{op}: input and weight must have the same dtype, but got input "
                           f"{input.dtype.name} and weight {weight.dtype.name}")


def _batched(input: Tensor, name: str) -> tuple[Tensor, bool]:
    """A 4-D view of a 3-D (unbatched) or 4-D input, and whether it was unbatched."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to {name}, but got "
                           f"input of size: {list(input.shape)}")
    return (input.unsqueeze(0), True) if input.ndim == 3 else (input, False)


def _conv2d_arguments(x: Tensor, weight: Tensor, bias: Tensor | None, stride: IntOrPair,
                      padding: IntOrPair | str, dilation: IntOrPair, groups: int
                      ) -> tuple[Tensor, Window]:
    """conv2d's checks (PyTorch's messages); the input (padded on the right for 'same' with an
    even kernel, as torch) and the window (kernel_size, dilation, padding, stride) for unfold."""
    _same_dtype(x, weight, "conv2d")
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d expects a 4-D weight (out, in/groups, kh, kw), got size "
                           f"{list(weight.shape)}")
    c = x.shape[1]
    out_ch, c_group, kh, kw = weight.shape
    s, d = pair(stride, "stride"), pair(dilation, "dilation")
    p = (0, 0) if isinstance(padding, str) else pair(padding, "padding")
    _conv_window_values(weight, s, p, d, groups)
    if out_ch % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} instead")
    if c != c_group * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(x.shape)} to have {c_group * groups} channels, "
                           f"but got {c} channels instead")
    if bias is not None and tuple(bias.shape) != (out_ch,):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {out_ch} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                             "{'same', 'valid'}")
        if padding == "same" and s != (1, 1):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        if padding == "same":
            p, after = _same_padding((kh, kw), d)
            if after != p:  # even kernels: the extra row/column goes after, as torch
                x = pad(x, (0, after[1] - p[1], 0, after[0] - p[0]))
    h, w = x.shape[2:]
    eff = (d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1)
    if h + 2 * p[0] < eff[0] or w + 2 * p[1] < eff[1]:
        raise RuntimeError(f"Calculated padded input size per channel: ({h + 2 * p[0]} x "
                           f"{w + 2 * p[1]}). Kernel size: ({eff[0]} x {eff[1]}). Kernel size "
                           "can't be greater than actual input size")
    return x, Window((kh, kw), d, p, s)


def _conv_window_values(weight: Tensor, stride: tuple[int, ...], padding: tuple[int, ...],
                        dilation: tuple[int, ...], groups: Any,
                        output_padding: tuple[int, ...] = ()) -> None:
    """The convolutions' checks of their numbers, as torch's (its order and messages, with the
    values): padding >= 0, stride, dilation and groups >= 1, a kernel and output channels."""
    _int_argument(groups, "groups")
    if min(padding) < 0:
        raise RuntimeError(f"negative padding is not supported, but got "
                           f"padding={_shown(padding)}")
    if output_padding and min(output_padding) < 0:
        raise RuntimeError(f"negative output_padding is not supported, but got "
                           f"output_padding={_shown(output_padding)}")
    if min(stride) < 1:
        raise RuntimeError(f"non-positive stride is not supported, but got "
                           f"stride={_shown(stride)}")
    if min(dilation) < 1:
        raise RuntimeError(f"non-positive dilation is not supported, but got "
                           f"dilation={_shown(dilation)}")
    if groups < 1:
        raise RuntimeError(f"non-positive groups is not supported, but got groups={groups}")
    if weight.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {list(weight.shape)} instead")
    if min(weight.shape[2:]) < 1:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_size="
                           f"{_shown(tuple(weight.shape[2:]))} (weight of size "
                           f"{list(weight.shape)})")


def _same_padding(kernel: Pair, dilation: Pair) -> tuple[Pair, Pair]:
    """PyTorch's split of 'same' padding: total d*(k-1), the odd one out on the right/bottom."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    before = (total[0] // 2, total[1] // 2)
    return before, (total[0] - before[0], total[1] - before[1])


def _conv_transpose2d_arguments(x: Tensor, weight: Tensor, bias: Tensor | None,
                                stride: IntOrPair, padding: IntOrPair, output_padding: IntOrPair,
                                groups: int, dilation: IntOrPair
                                ) -> tuple[Window, Pair, Pair, Pair]:
    """conv_transpose2d's checks; the window for fold, the padding, the output padding and the
    size of the uncropped output, (H - 1)*stride + dilation*(kh - 1) + 1."""
    _same_dtype(x, weight, "conv_transpose2d")
    if weight.ndim != 4:
        raise RuntimeError(f"conv_transpose2d expects a 4-D weight (in, out/groups, kh, kw), got "
                           f"size {list(weight.shape)}")
    c, (h, w) = x.shape[1], x.shape[2:]
    c_in, c_out_group, kh, kw = weight.shape
    s, p, d = pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")
    op = pair(output_padding, "output_padding")
    _conv_window_values(weight, s, p, d, groups, op)
    if c_in % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} instead")
    if c_out_group < 1:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"at least 1 output channel per group (dimension 1)")
    if c != c_in:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {c_in} channels, but got {c} "
                           "channels instead")
    if bias is not None and tuple(bias.shape) != (c_out_group * groups,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"bias to be 1-dimensional with {c_out_group * groups} elements, but "
                           f"got bias of size {list(bias.shape)} instead")
    if any(o >= max(si, di) for o, si, di in zip(op, s, d)):
        raise RuntimeError(
            f"output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {op[0]} output_padding_width: {op[1]} stride_height: "
            f"{s[0]} stride_width: {s[1]} dilation_height: {d[0]} dilation_width: {d[1]}")
    full = tuple((i - 1) * si + di * (k - 1) + 1 for i, si, di, k in zip((h, w), s, d, (kh, kw)))
    if any(f + o - 2 * pi < 0 for f, o, pi in zip(full, op, p)):  # (0 is an empty output)
        raise RuntimeError(f"conv_transpose2d: padding {p} leaves no output for input "
                           f"{list(x.shape)} and kernel {(kh, kw)}")
    return Window((kh, kw), d, (0, 0), s), p, op, full  # type: ignore[return-value]


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrSingle = 1,
           padding: IntOrSingle | str = 0, dilation: IntOrSingle = 1, groups: int = 1
           ) -> Tensor:
    """1-D cross-correlation, written as conv2d on an image of height 1: the signal (N, C, L)
    is the one row of an (N, C, 1, L) image and each kernel (C_in/groups, k) a 1 x k one.

    Shape: input (N, C_in, L) or (C_in, L); weight (C_out, C_in/groups, k); bias (C_out);
    output (N, C_out, L_out) with L_out = floor((L + 2*padding - dilation*(k-1) - 1) / stride) + 1.
    """
    s, p, d = _conv1d_arguments(input, weight, bias, stride, padding, dilation, groups)
    out = conv2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, s), p, (1, d), groups)
    return out.squeeze(-2)


def _single(v: int | Sequence[int], name: str) -> int:
    """An int or a one-element tuple of an int as an int (kernel_size=(3,) means 3)."""
    return int_tuple(v, 1, name)[0]


def _conv1d_arguments(input: Tensor, weight: Tensor, bias: Tensor | None, stride: IntOrSingle,
                      padding: IntOrSingle | str, dilation: IntOrSingle, groups: int
                      ) -> tuple[int, Pair | str, int]:
    """conv1d's checks in 1-D terms (PyTorch's messages); the stride, the padding as conv2d
    takes it on a one-row image, and the dilation. conv2d checks the rest."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got "
                           f"input of size: {list(input.shape)}")
    if weight.ndim != 3:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-"
                           f"dimensional weight {list(weight.shape)}, but got {input.ndim}-"
                           f"dimensional input of size {list(input.shape)} instead")
    s, d = _single(stride, "stride"), _single(dilation, "dilation")
    p = padding if isinstance(padding, str) else _single(padding, "padding")
    _conv_window_values(weight, (s,), (0,) if isinstance(p, str) else (p,), (d,), groups)
    shape = list(input.shape) if input.ndim == 3 else [1, *input.shape]
    if shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{shape} to have {weight.shape[1] * groups} channels, "
                           f"but got {shape[1]} channels instead")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {weight.shape[0]} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    return s, p if isinstance(p, str) else (0, p), d


# ---- pooling ---------------------------------------------------------------------------------
def max_pool2d(input: Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None,
               padding: IntOrPair = 0, dilation: IntOrPair = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """The max of each window: pad with -inf (never 0), unfold, and a max over the window.

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out) with
    H_out = floor((H + 2*padding - dilation*(k-1) - 1) / stride) + 1 (ceil in ceil_mode).
    ``stride`` defaults to ``kernel_size``. With ``return_indices`` also the flat index of
    each max in its input plane (H*W), as torch's.
    """
    x, unbatched = _pool_batched(input, "max_pool2d")
    window, (oh, ow), extra = _pool_arguments(x, "max_pool2d", kernel_size, stride, padding,
                                              dilation, ceil_mode)
    (kh, kw), d, p, s = window
    n, c, h, w = x.shape
    x = pad(x, (p[1], p[1] + extra[1], p[0], p[0] + extra[0]), value=x.dtype.lowest)  # -inf
    cols = unfold(x, (kh, kw), dilation=d, stride=s).reshape(n, c, kh * kw, oh * ow)
    values, index = cols.max(dim=2)                  # the largest of each window, and which
    out = values.reshape(n, c, oh, ow)
    if not return_indices:
        return out.squeeze(0) if unbatched else out
    # window (i, j) at kernel offset (a, b) reads input row i*s - p + a*d, column j*s - p + b*d
    index = index.reshape(n, c, oh, ow)
    rows = arange(oh, device=x.device).reshape(oh, 1) * s[0] - p[0] + index // kw * d[0]
    columns = arange(ow, device=x.device) * s[1] - p[1] + index % kw * d[1]
    flat = rows * w + columns
    return (out.squeeze(0), flat.squeeze(0)) if unbatched else (out, flat)


@fast_path
def avg_pool2d(input: Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None,
               padding: IntOrPair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of each window: pad with zeros, unfold, sum each window, divide.

    PyTorch's divisor: ``divisor_override`` if given, else the number of the window's pixels
    inside the padded input (``count_include_pad``) or inside the input itself.
    Shape: input (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out) with
    H_out = floor((H + 2*padding - kernel_size) / stride) + 1 (ceil in ceil_mode).
    """
    x, unbatched = _pool_batched(input, "avg_pool2d")
    window, (oh, ow), extra = _pool_arguments(x, "avg_pool2d", kernel_size, stride, padding, 1,
                                              ceil_mode, divisor_override)
    (kh, kw), _, p, s = window
    n, c = x.shape[:2]
    divisor = divisor_override or _window_sizes(x, window, (oh, ow), extra, count_include_pad)
    x = pad(x, (p[1], p[1] + extra[1], p[0], p[0] + extra[0]))
    sums = unfold(x, (kh, kw), stride=s).reshape(n, c, kh * kw, oh, ow).sum(dim=2)
    out = _like_input(sums / divisor, x)
    return out.squeeze(0) if unbatched else out


def _like_input(mean: Tensor, x: Tensor) -> Tensor:
    """Integer averages are truncated toward zero to the input's dtype, as torch's."""
    return mean if x.dtype.is_floating_point else mean.to(x.dtype)


def _window_sizes(x: Tensor, window: Window, out: Pair, extra: Pair,
                  count_include_pad: bool) -> Tensor:
    """How many pixels each average-pooling window covers, (1, 1, H_out, W_out): the windows'
    sums over a picture of ones, its padding counted (``count_include_pad``) or not; the
    extra room ceil mode adds never counts."""
    (h, w), p = x.shape[-2:], window.padding
    inside = ones(1, 1, h, w, dtype=x.dtype, device=x.device)
    inside = pad(inside, (p[1], p[1], p[0], p[0]), value=1.0 if count_include_pad else 0.0)
    inside = pad(inside, (0, extra[1], 0, extra[0]))
    counts = unfold(inside, window.kernel_size, stride=window.stride).sum(dim=1)
    return counts.reshape(1, 1, *out)


def _pool_arguments(x: Tensor, name: str, kernel_size: IntOrPair, stride: IntOrPair | None,
                    padding: IntOrPair, dilation: IntOrPair, ceil_mode: bool,
                    divisor_override: int | None = None) -> tuple[Window, Pair, Pair]:
    """Pooling's checks (PyTorch's messages); the window, the output size and, for ceil mode,
    the extra rows and columns after the padded input that its last windows reach."""
    _not_for(x, name, ("bool",) if name == "max_pool2d" else ("bool", "uint8", "int32"))
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None or stride in ((), []) else pair(stride, "stride")
    p, d = pair(padding, "padding"), pair(dilation, "dilation")
    _pool_window_values(k, s, p, d)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:  # so that no window is padding alone
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {p[1]}, padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    if divisor_override is not None:
        _int_argument(divisor_override, "divisor_override", name)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero (got divisor_override=0)")
    window = Window(k, d, p, s)
    h, w = x.shape[2:]
    oh, ow = output_size((h, w), *window, ceil_mode=ceil_mode)
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given input size: ({x.shape[1]}x{h}x{w}). Calculated output "
                           f"size: ({x.shape[1]}x{oh}x{ow}). Output size is too small")
    extra = tuple(max(0, (o - 1) * si + di * (ki - 1) + 1 - (n + 2 * pi))
                  for o, n, ki, si, pi, di in zip((oh, ow), (h, w), k, s, p, d))
    return window, (oh, ow), extra  # type: ignore[return-value]


def _pool_window_values(kernel_size: tuple[int, ...], stride: tuple[int, ...],
                        padding: tuple[int, ...], dilation: tuple[int, ...]) -> None:
    """Pooling's checks of its numbers, as torch's (with the values): kernel, stride and
    dilation at least 1, padding at least 0."""
    for name, v in (("kernel_size", kernel_size), ("stride", stride), ("padding", padding),
                    ("dilation", dilation)):
        lowest = 0 if name == "padding" else 1
        if min(v) < lowest:
            rule = "be non-negative" if lowest == 0 else "be greater than zero"
            raise RuntimeError(f"{name} should {rule}, but got {name}={_shown(v)}")


def _shown(v: tuple[int, ...]) -> int | tuple[int, ...]:
    """A 1-D layer's one number as itself, a 2-D layer's pair as a pair (for messages)."""
    return v[0] if len(v) == 1 else v


def _pool_batched(input: Tensor, name: str) -> tuple[Tensor, bool]:
    """_batched, refusing an input empty along a non-batch dim, as torch's pooling."""
    x, unbatched = _batched(input, name)
    _nonempty(input, name, range(0 if unbatched else 1, input.ndim))
    return x, unbatched


def _nonempty(input: Tensor, name: str, dims: Sequence[int]) -> None:
    """PyTorch's refusal of an input with no elements along one of ``dims`` (the channels or a
    spatial dim; an empty batch is fine)."""
    for i in dims:
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {i} being empty")


def max_pool1d(input: Tensor, kernel_size: IntOrSingle, stride: IntOrSingle | None = None,
               padding: IntOrSingle = 0, dilation: IntOrSingle = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """The max of each window along the length, written as max_pool2d on an image of height 1.

    Shape: input (N, C, L) or (C, L); output (N, C, L_out) with
    L_out = floor((L + 2*padding - dilation*(k-1) - 1) / stride) + 1 (ceil in ceil_mode);
    with ``return_indices`` also the index of each max along L.
    """
    k, s, p, d = _pool1d_arguments(input, "max_pool1d", kernel_size, stride, padding, dilation,
                                   ceil_mode)
    out = max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d), ceil_mode,
                     return_indices)  # an index in a 1 x L plane is the index along L
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(input: Tensor, kernel_size: IntOrSingle, stride: IntOrSingle | None = None,
               padding: IntOrSingle = 0, ceil_mode: bool = False, count_include_pad: bool = True
               ) -> Tensor:
    """The mean of each window along the length, written as avg_pool2d on an image of height 1.

    Shape: input (N, C, L) or (C, L); output (N, C, L_out) with
    L_out = floor((L + 2*padding - k) / stride) + 1 (ceil in ceil_mode).
    """
    k, s, p, _ = _pool1d_arguments(input, "avg_pool1d", kernel_size, stride, padding, 1,
                                   ceil_mode)
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return out.squeeze(-2)


def _pool1d_arguments(input: Tensor, name: str, kernel_size: IntOrSingle,
                      stride: IntOrSingle | None, padding: IntOrSingle, dilation: IntOrSingle,
                      ceil_mode: bool) -> tuple[int, int, int, int]:
    """1-D pooling's checks (PyTorch's messages); kernel size, stride, padding and dilation."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got:{list(input.shape)}" if name == "max_pool1d" else
            f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument "
            f"#1 'self' (while checking arguments for avg_pool1d)")
    _nonempty(input, name, range(input.ndim - 2, input.ndim))
    k = _single(kernel_size, "kernel_size")
    s = k if stride is None or stride in ((), []) else _single(stride, "stride")
    p, d = _single(padding, "padding"), _single(dilation, "dilation")
    _pool_window_values((k,), (s,), (p,), (d,))
    if p > k // 2:
        raise RuntimeError(
            f"max_pool1d() padding should be at most half of kernel size, but got padding={p} "
            f"and kernel_size={k}" if name == "max_pool1d" else
            f"pad should be at most half of effective kernel size, but got pad={p}, "
            f"kernel_size={k} and dilation={d}")
    length = window_count(input.shape[-1], k, s, p, d, ceil_mode)
    if name == "max_pool1d" and length < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {length}")
    return k, s, p, d


@fast_path
def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:
    """Average pooling to a fixed output size: output row i averages the input rows
    [floor(i*H/oh), ceil((i+1)*H/oh)), output column j likewise.

    A window is a rectangle, so its mean is the mean over its columns of the row means: the
    rows are averaged first, then the columns.
    Shape: input (N, C, H, W) or (C, H, W); output (N, C, oh, ow) (None keeps the input size).
    """
    x, unbatched = _batched(input, "adaptive_avg_pool2d")
    h, w = x.shape[2:]
    oh, ow = _adaptive_arguments(input, output_size)
    rows = ops.cat([x[:, :, a:b].mean(dim=2, keepdim=True)
                    for a, b in adaptive_windows(h, oh)], dim=2)
    out = ops.cat([rows[:, :, :, a:b].mean(dim=3, keepdim=True)
                   for a, b in adaptive_windows(w, ow)], dim=3)
    return out.squeeze(0) if unbatched else out


def adaptive_windows(size: int, out: int) -> list[tuple[int, int]]:
    """Adaptive pooling's windows along one axis: [floor(i*size/out), ceil((i+1)*size/out))."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _adaptive_arguments(input: Tensor, output_size: int | Sequence[int | None],
                        name: str = "adaptive_avg_pool2d") -> Pair:
    """Adaptive pooling's checks (PyTorch's messages, with the values): a non-empty image, an
    output size of two ints (or None) at least 0; the output size (None keeps the input's)."""
    _not_for(input, name, ("bool", "uint8", "int32", "int64"))
    _nonempty(input, name, range(input.ndim - 2, input.ndim))
    sizes = (output_size, output_size) if is_int(output_size) else output_size
    if not isinstance(sizes, (tuple, list)) or not all(o is None or is_int(o) for o in sizes):
        raise TypeError(f"{name}(): argument 'output_size' must be an int or a tuple of ints "
                        f"(or None), but got {output_size!r} ({type(output_size).__name__})")
    if len(sizes) != 2:
        raise RuntimeError(f"{name}: output_size must be 2, but got output_size={output_size!r}")
    sizes = tuple(n if o is None else o for o, n in zip(sizes, input.shape[-2:]))
    if min(sizes) < 0:
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 "
                           f"but received output_size={sizes}")
    return sizes  # type: ignore[return-value]


def adaptive_max_pool2d(input: Tensor, output_size: int | Sequence[int | None],
                        return_indices: bool = False) -> Any:
    """Max pooling to a fixed output size: output pixel (i, j) is the max of the input rows
    [floor(i*H/oh), ceil((i+1)*H/oh)) and columns [floor(j*W/ow), ceil((j+1)*W/ow)) (the
    windows of adaptive_avg_pool2d), the first of a tie in row-major order, as torch's.

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, oh, ow) (None keeps the input
    size); with ``return_indices`` also the flat index (in H*W) of each max.
    """
    x, unbatched = _adaptive_max_batched(input)
    n, c, h, w = x.shape
    oh, ow = _adaptive_arguments(input, output_size, "adaptive_max_pool2d")
    values, indices = [], []
    for top, bottom in adaptive_windows(h, oh):
        for left, right in adaptive_windows(w, ow):
            window = x[:, :, top:bottom, left:right].flatten(2)     # (N, C, window pixels)
            value, i = window.max(dim=2)
            values.append(value)
            indices.append((top + i // (right - left)) * w + left + i % (right - left))
    out = _stacked(values, x, x.dtype).reshape(n, c, oh, ow)
    if not return_indices:
        return out.squeeze(0) if unbatched else out
    index = _stacked(indices, x, dtypes.int64).reshape(n, c, oh, ow)
    return (out.squeeze(0), index.squeeze(0)) if unbatched else (out, index)


def _stacked(parts: list[Tensor], like: Tensor, dtype: Any) -> Tensor:
    """The windows' results stacked along dim 2, (N, C, windows); an empty (N, C, 0) of
    ``dtype`` when there are none (an output size of 0, which torch allows)."""
    return ops.stack(parts, dim=2) if parts else like.flatten(2)[:, :, :0].to(dtype)


def _adaptive_max_batched(input: Tensor) -> tuple[Tensor, bool]:
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: "
                           f"{list(input.shape)}")
    _nonempty(input, "adaptive_max_pool2d", range(input.ndim - 3, input.ndim))
    return _batched(input, "adaptive_max_pool2d")


def _not_for(x: Tensor, name: str, refused: tuple[str, ...]) -> None:
    """PyTorch's refusal of a dtype its kernel lacks."""
    if x.dtype.name in refused:
        raise NotImplementedError(f'"{name}" not implemented for \'{x.dtype.torch_name}\'')


# ---- resampling: interpolation and sampling grids --------------------------------------------
def interpolate(input: Tensor, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize images: every output pixel reads the input at a source coordinate.

    Output row i (of H_out) reads the input at row y_i, and columns likewise, as torch
    computes them, with scale = 1 / scale_factor when given, else H / H_out:
    'nearest' copies row min(floor(i * scale), H - 1) (scale in float32, as torch's);
    'bilinear' reads at y_i = i * (H - 1) / (H_out - 1) with ``align_corners`` (the corner
    pixels' centres meet), else at y_i = max((i + 0.5) * scale - 0.5, 0) (pixel centres scale),
    and mixes the four neighbours (y0, x0), (y0, x1), (y1, x0), (y1, x1), y0 = floor(y_i) and
    y1 = y0 + 1 (the last row again at the edge), with weights (1 - dy)(1 - dx), (1 - dy) dx,
    dy (1 - dx) and dy dx, where dy = y_i - y0 and dx = x_j - x0.
    Shape: input (N, C, H, W), or (N, C, W) for 'nearest'; output (N, C, H_out, W_out) with
    the given ``size`` or H_out = floor(H * scale_factor).
    """
    sizes, scales = _interpolate_arguments(input, size, scale_factor, mode, align_corners,
                                           recompute_scale_factor, antialias)
    if mode in ("nearest", "nearest-exact"):
        rows_or_columns = [_nearest_source(n, o, s, input.device, mode == "nearest-exact")
                           for n, o, s in zip(input.shape[2:], sizes, scales)]
        if input.ndim == 3:
            return input[:, :, rows_or_columns[0]]
        rows, columns = rows_or_columns
        return input[:, :, rows.reshape(-1, 1), columns]
    if mode == "area":  # each output pixel the mean of its window: adaptive average pooling
        if input.ndim == 3:
            return adaptive_avg_pool2d(input.unsqueeze(2), (1, sizes[0])).squeeze(2)
        return adaptive_avg_pool2d(input, sizes)
    if mode == "linear":  # bilinear on a one-row image
        return _bilinear(input.unsqueeze(2), (1, *sizes), (None, *scales),
                         bool(align_corners)).squeeze(2)
    return _bilinear(input, sizes, scales, bool(align_corners))


def _bilinear(input: Tensor, sizes: tuple[int, ...], scales: tuple[float | None, ...],
              align_corners: bool) -> Tensor:
    """interpolate's bilinear mode on (N, C, H, W): the four neighbours of each source point."""
    (h, w), (oh, ow) = input.shape[2:], sizes
    y = _linear_source(h, oh, scales[0], align_corners, input).reshape(-1, 1)
    x = _linear_source(w, ow, scales[1], align_corners, input)
    y0, x0 = y.long().clamp(max=h - 1), x.long().clamp(max=w - 1)  # floor: y, x >= 0
    y1, x1 = y0 + (y0 < h - 1).long(), x0 + (x0 < w - 1).long()
    dy, dx = y - y0, x - x0                                  # (H_out, 1) and (W_out,)
    return (input[:, :, y0, x0] * (1 - dy) * (1 - dx) + input[:, :, y0, x1] * (1 - dy) * dx
            + input[:, :, y1, x0] * dy * (1 - dx) + input[:, :, y1, x1] * dy * dx)


def _nearest_source(size: int, out: int, scale_factor: float | None, device: Any,
                    exact: bool = False) -> Tensor:
    """The input index each output index copies along one axis, as torch's: floor(i * scale)
    ('nearest-exact': floor((i + 0.5) * scale)) with the scale in float32, at most size - 1;
    exactly i // 2 when the size doubles."""
    i = arange(out, device=device)
    if out == size:
        return i
    if out == 2 * size:
        return i // 2
    scale = (tensor(1.0 / scale_factor, dtype=dtypes.float32, device=device) if scale_factor
             else tensor(float(size), dtype=dtypes.float32, device=device) / out)
    position = (i.float() + 0.5) * scale if exact else i.float() * scale
    return position.long().clamp(max=size - 1)  # a cast of a position >= 0: its floor


def _linear_source(size: int, out: int, scale_factor: float | None, align_corners: bool,
                   like: Tensor) -> Tensor:
    """The source coordinate of each output index along one axis (bilinear), as torch's."""
    i = arange(out, dtype=like.dtype, device=like.device)
    if align_corners:
        return i * ((size - 1) / (out - 1) if out > 1 else 0.0)
    # the sizes' ratio in the input's precision, as torch's (1 / scale_factor in double)
    scale = 1.0 / scale_factor if scale_factor else tensor(
        float(size), dtype=like.dtype, device=like.device) / out
    return ((i + 0.5) * scale - 0.5).clamp(min=0)


def _interpolate_arguments(input: Tensor, size: Any, scale_factor: Any, mode: str,
                           align_corners: bool | None, recompute_scale_factor: bool | None,
                           antialias: bool) -> tuple[tuple[int, ...], tuple[float | None, ...]]:
    """interpolate's checks (PyTorch's messages); the output size and, per axis, the scale
    factor that sets the source coordinates (None: the sizes' ratio)."""
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    dim, spatial = input.ndim - 2, list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = tuple(size) if isinstance(size, (list, tuple)) else (size,) * dim
        if len(sizes) != dim:
            raise ValueError(
                f"Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {spatial} and output size of {size}. Please "
                "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, "
                "o2, ...,oK) format.")
        if not all(isinstance(o, int) and not isinstance(o, bool) for o in sizes):
            raise TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, int] "
                            f"or Tuple[int, int, int], but got size with types "
                            f"{[type(o) for o in sizes]}")
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        scales: tuple[float | None, ...] = (None,) * dim
    elif scale_factor is not None:
        factors = (tuple(scale_factor) if isinstance(scale_factor, (list, tuple))
                   else (scale_factor,) * dim)
        if len(factors) != dim:
            raise ValueError(
                f"Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {spatial} and scale_factor of shape "
                f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                "and scale_factor in (s1, s2, ...,sK) format.")
        if not all(math.isfinite(float(f)) for f in factors):
            raise RuntimeError(f"scale_factor must be a finite number, but got scale_factor="
                               f"{scale_factor!r}")
        sizes = tuple(math.floor(n * float(f)) for n, f in zip(spatial, factors))
        scales = (None,) * dim if recompute_scale_factor else tuple(float(f) for f in factors)
    else:
        raise ValueError("either size or scale_factor should be defined")
    if antialias:
        raise NotImplementedError("minigrad's interpolate has no antialias option")
    if mode == "bilinear" and input.ndim == 3:
        raise NotImplementedError("Got 3D input, but bilinear mode needs 4D input")
    if mode == "linear" and input.ndim == 4:
        raise NotImplementedError("Got 4D input, but linear mode needs 3D input")
    if mode not in ("nearest", "nearest-exact", "area", "linear", "bilinear") or (
            input.ndim not in (3, 4)):
        raise NotImplementedError(f"minigrad's interpolate has modes 'nearest', 'nearest-exact' "
                                  f"and 'area' for 3D and 4D input, 'linear' for 3D and "
                                  f"'bilinear' for 4D (got {input.ndim}D, mode {mode!r})")
    _floating(input, f"upsample_{mode}")
    if mode != "area" and input.shape[1] == 0:
        raise RuntimeError(f"Non-empty {input.ndim}D data tensor expected but got a tensor with "
                           f"sizes {list(input.shape)}")
    if min(spatial) <= 0 or min(sizes) <= 0:
        names = ("H", "W")[-dim:]
        shown = [", ".join(f"{a}: {n}" for a, n in zip(names, s)) for s in (spatial, sizes)]
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({shown[0]}) {'output' if dim == 2 else 'and output'} "
                           f"({shown[1]})")
    return sizes, scales


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample the input bilinearly at the points of a grid (a spatial transformer's sampler).

    grid[n, i, j] = (x, y) is a point in normalized coordinates: -1 and 1 are the left and
    right (top and bottom) edges of the image, meaning the centres of the corner pixels with
    ``align_corners``, else their outer edges. In pixels the point is at
    x' = (x + 1) / 2 * (W - 1), or ((x + 1) * W - 1) / 2 (likewise y'); the output mixes the
    four pixels around it, (y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1) with
    x0 = floor(x'), weighted (1 - dy)(1 - dx), (1 - dy) dx, dy (1 - dx) and dy dx, where
    dx = x' - x0; pixels outside the image count as 0 ('zeros'), or points outside are first
    moved to the nearest edge ('border') or mirrored into the image ('reflection'). With
    mode 'nearest', the nearest pixel. The gradient reaches input and grid.
    Shape: input (N, C, H, W); grid (N, H_out, W_out, 2); output (N, C, H_out, W_out).
    """
    corners = _grid_sample_arguments(input, grid, mode, padding_mode, align_corners)
    n, _, h, w = input.shape
    x = _unnormalize(grid[..., 0], w, corners)       # (N, H_out, W_out), in pixels
    y = _unnormalize(grid[..., 1], h, corners)
    if padding_mode == "reflection":
        x, y = _reflect(x, w, corners), _reflect(y, h, corners)
    if padding_mode != "zeros":
        x, y = x.clamp(0, w - 1), y.clamp(0, h - 1)
    pixels = input.permute(0, 2, 3, 1)              # (N, H, W, C): one row per pixel
    batch = arange(n, device=input.device).reshape(n, 1, 1)

    def at(rows: Tensor, columns: Tensor) -> Tensor:
        """The input at integer points, (N, C, H_out, W_out); 0 outside the image."""
        inside = (rows >= 0) & (rows < h) & (columns >= 0) & (columns < w)
        values = pixels[batch, rows.clamp(0, h - 1), columns.clamp(0, w - 1)]
        return ops.where(inside.unsqueeze(-1), values, 0.0).permute(0, 3, 1, 2)

    if mode == "nearest":  # the nearest pixel (halves to even, as torch's nearbyint)
        return at(y.detach().round().long(), x.detach().round().long())
    x0, y0 = _floor(x), _floor(y)                   # the neighbour above and to the left
    dx, dy = (x - x0).unsqueeze(1), (y - y0).unsqueeze(1)  # (N, 1, H_out, W_out)
    ex, ey = (x0 + 1 - x).unsqueeze(1), (y0 + 1 - y).unsqueeze(1)  # 1 - dx, 1 - dy, as torch
    return (at(y0, x0) * ey * ex + at(y0, x0 + 1) * ey * dx
            + at(y0 + 1, x0) * dy * ex + at(y0 + 1, x0 + 1) * dy * dx)


def _unnormalize(coordinate: Tensor, size: int, align_corners: bool) -> Tensor:
    """A grid coordinate in [-1, 1] as a pixel coordinate, as torch's."""
    if align_corners:
        return (coordinate + 1) / 2 * (size - 1)
    return ((coordinate + 1) * size - 1) / 2


def _reflect(coordinate: Tensor, size: int, align_corners: bool) -> Tensor:
    """A pixel coordinate mirrored at the image's edges until it falls inside, as torch's
    reflect_coordinates (about the corner pixels' centres, or their outer edges)."""
    low, high = (0.0, size - 1.0) if align_corners else (-0.5, size - 0.5)
    span = high - low
    if span <= 0:
        return coordinate * 0
    distance = (coordinate - low).abs()
    flips = (distance.detach() / span).floor()
    extra = distance - flips * span                 # fmod(distance, span)
    even = (flips % 2) == 0
    return ops.where(even, extra + low, span - extra + low)


def _floor(t: Tensor) -> Tensor:
    """floor(t) as int64 indices (no gradient: a constant where it is smooth)."""
    return (t.detach() // 1).long()


def _grid_sample_arguments(input: Tensor, grid: Tensor, mode: str, padding_mode: str,
                           align_corners: bool | None) -> bool:
    """grid_sample's checks (PyTorch's messages and warning); align_corners."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if mode == "bicubic":
        raise NotImplementedError("minigrad's grid_sample has modes 'bilinear' and 'nearest', "
                                  "not 'bicubic'")
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                      "align_corners=False since 1.3.0. Please specify align_corners=True if "
                      "the old behavior is desired. See the documentation of grid_sample for "
                      "details.", stacklevel=3)
    sizes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.ndim != 4 or grid.ndim != 4:
        raise RuntimeError(f"grid_sampler(): expected 4D input and grid with same number of "
                           f"dimensions, but got {sizes}")
    if grid.shape[-1] != 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 2 in last dimension, "
                           f"but got grid with sizes {list(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got {sizes}")
    if input.dtype is not grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have the same dtype, "
                           f"but got input {input.dtype.name} and grid {grid.dtype.name}")
    _floating(input, "grid_sampler_2d")
    if 0 in input.shape[2:]:
        raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                           f"dimensions, but input has sizes {list(input.shape)}")
    return bool(align_corners)


# ---- normalization ---------------------------------------------------------------------------
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel: (x - mean) / sqrt(var + eps) * weight + bias.

    Training uses the batch's mean and biased variance per channel and updates the running
    estimates in place (running = (1 - momentum) * running + momentum * batch, with the
    unbiased variance); evaluation uses the running estimates.
    Shape: input (N, C) or (N, C, *); the statistics are per channel C.
    """
    _batch_norm_arguments(input, running_mean, running_var, weight, bias, training, eps)
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


def _batch_norm_arguments(input: Tensor, running_mean: Tensor | None,
                          running_var: Tensor | None, weight: Tensor | None,
                          bias: Tensor | None, training: bool, eps: float) -> None:
    """batch_norm's checks: at least (N, C), one value per channel in each statistic and
    parameter, more than one value per channel to train on, running statistics to evaluate,
    eps > 0 in training (>= 0 in evaluation), as torch's."""
    if input.ndim < 2 and input.numel():
        raise IndexError(f"batch_norm expects an input of at least 2 dims (N, C, ...), got "
                         f"shape {tuple(input.shape)}: Dimension out of range (expected to be "
                         f"in range of [-1, 0], but got 1)")
    if training and not eps > 0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if not eps >= 0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    c = input.shape[1] if input.ndim >= 2 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()} (input of "
                               f"shape {tuple(input.shape)})")
    if training and input.numel() and input.numel() // max(c, 1) <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {input.shape!r}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("batch_norm in evaluation needs running_mean and running_var")


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int],
               weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5
               ) -> Tensor:
    """Normalize each sample over its last dims: (x - mean) / sqrt(var + eps) * weight + bias,
    with the mean and biased variance over the dims of ``normalized_shape``.

    Shape: input (*, *normalized_shape); weight and bias normalized_shape; output as input.
    """
    dims = _layer_norm_arguments(input, normalized_shape, weight, bias)
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


def _layer_norm_arguments(input: Tensor, normalized_shape: int | Sequence[int],
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


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize groups of channels: the C channels of each sample split into ``num_groups``
    groups, each normalized with the mean and biased variance over its channels and
    positions; then weight and bias per channel.

    Shape: input (N, C, *); weight and bias (C); output as input.
    """
    _group_norm_arguments(input, num_groups, weight, bias)
    n, c = input.shape[:2]
    groups = input.reshape(n, num_groups, math.prod(input.shape[1:]) // num_groups)
    out = _normalize(groups, 2, eps).reshape(input.shape)
    shape = (1, c) + (1,) * (input.ndim - 2)       # per channel, broadcast over the rest
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def _group_norm_arguments(input: Tensor, num_groups: int, weight: Tensor | None,
                          bias: Tensor | None) -> None:
    """group_norm's checks (PyTorch's messages)."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    n, c, spatial = input.shape[0], input.shape[1], list(input.shape[2:])
    _int_argument(num_groups, "num_groups", "group_norm")
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
    _instance_norm_arguments(input, running_mean, running_var, weight, bias, use_input_stats)
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


def _instance_norm_arguments(input: Tensor, running_mean: Tensor | None,
                             running_var: Tensor | None, weight: Tensor | None,
                             bias: Tensor | None, use_input_stats: bool) -> None:
    """instance_norm's checks (PyTorch's messages): (N, C, *), one value per channel in each
    statistic and parameter, more than one position to normalize over."""
    if input.ndim < 3:
        raise ValueError(f"instance_norm expects an input of at least 3 dims (N, C, ...), got "
                         f"shape {tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()} (input of "
                               f"shape {tuple(input.shape)})")
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{input.shape!r}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")


# ---- losses ----------------------------------------------------------------------------------
def _check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _weighted(loss: Tensor, weight: Tensor | None, reduction: str) -> Tensor:
    """The loss times ``weight``, reduced: its mean divides by the summed weights, as torch's."""
    if weight is None:
        return _reduce(loss, reduction)
    loss = loss * weight
    return loss.sum() / weight.sum() if reduction == "mean" else _reduce(loss, reduction)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Mean squared error (x - y)^2 (times ``weight``; its mean divides by the summed weights).

    Shape: input and target (*), the same; weight too; output scalar, or (*) with
    reduction='none'.
    """
    _pointwise_loss_arguments(input, target, reduction, weight, "mse")
    return _weighted((input - target) ** 2, weight, reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Mean absolute error |x - y| (times ``weight``; its mean divides by the summed weights).

    Shape: input and target (*), the same; weight too; output scalar, or (*) with
    reduction='none'.
    """
    _pointwise_loss_arguments(input, target, reduction, weight)
    return _weighted((input - target).abs(), weight, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0
                   ) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, for d = x - y: quadratic near 0,
    then linear (the two pieces meet with the same slope); beta = 0 is the L1 loss.

    Shape: input and target (*), the same; output scalar, or (*) with reduction='none'.
    """
    _pointwise_loss_arguments(input, target, reduction, None, "smooth_l1")
    _loss_parameter("smooth_l1_loss", "beta", beta, zero_allowed=True)
    d = input - target
    if beta == 0:
        return _reduce(d.abs(), reduction)
    return _reduce(ops.where(d.abs() < beta, 0.5 * d * d / beta, d.abs() - 0.5 * beta),
                   reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), for d = x - y (smooth_l1_loss
    times delta); times ``weight`` if given.

    Shape: input and target (*), the same; weight too; output scalar, or (*) with
    reduction='none'.
    """
    _pointwise_loss_arguments(input, target, reduction, weight, "huber")
    _loss_parameter("huber_loss", "delta", delta, zero_allowed=False)
    d = input - target
    loss = ops.where(d.abs() < delta, 0.5 * d * d, delta * (d.abs() - 0.5 * delta))
    return _reduce(loss if weight is None else loss * weight, reduction)


def _pointwise_loss_arguments(input: Tensor, target: Tensor, reduction: str,
                              weight: Tensor | None = None, kernel: str = "") -> None:
    """The reduction, the weight's shape, a floating-point input or target where torch's
    ``kernel`` needs one, and PyTorch's warning when target broadcasts."""
    _check_reduction(reduction)
    if weight is not None and weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")  # (torch's, exactly)
    if kernel and not (input.dtype.is_floating_point or target.dtype.is_floating_point):
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{input.dtype.torch_name}'")
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape!r}) that is different to the input "
                      f"size ({input.shape!r}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", stacklevel=3)


def _loss_parameter(op: str, name: str, value: Any, zero_allowed: bool) -> None:
    """A loss's number (smooth_l1_loss's beta, huber_loss's delta): a real number, positive
    (or 0 where ``zero_allowed``), as torch's."""
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{op}(): argument '{name}' must be float, not {type(value).__name__}")
    if value < 0 or (value == 0 and not zero_allowed):
        sign = "negative" if zero_allowed else "non-positive"
        raise RuntimeError(f"{op} does not support {sign} values for {name}.")  # torch's


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean", log_target: bool = False
           ) -> Tensor:
    """Kullback-Leibler divergence of the target distribution p from q, with log q as input:
    p (log p - log q) per element (0 where p = 0), from log p when ``log_target``.

    reduction='batchmean' sums and divides by the batch size, the KL divergence per sample
    ('mean' divides by every element, as torch's, which warns about it).
    Shape: input (*), target (*), the same; output scalar, or (*) with reduction='none'.
    """
    _kl_div_arguments(input, target, reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        nonzero = ops.where(target == 0, 1.0, target)   # 0 log 0 = 0
        loss = target * nonzero.log() - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def _kl_div_arguments(input: Tensor, target: Tensor, reduction: str) -> None:
    if not (input.dtype.is_floating_point and target.dtype.is_floating_point):
        raise RuntimeError(f"kl_div: Integral inputs not supported (got input "
                           f"{input.dtype.name} and target {target.dtype.name}).")
    if reduction == "batchmean":
        return
    _check_reduction(reduction)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=3)


def _class_targets(input: Tensor, target: Tensor, ignore_index: int) -> tuple[Tensor, Tensor]:
    """Class indices (int64) with ignored entries replaced by 0, and the mask of kept ones; a
    kept index outside [0, C) is an IndexError, as torch's."""
    target = target.long()
    keep = target != ignore_index
    safe = ops.where(keep, target, 0)
    n_classes = input.shape[1]
    bad = keep & ((safe < 0) | (safe >= n_classes))
    if ops.host_values(bad.any(), "target check"):  # a look on the host (mg.transfer_guard)
        first = ops.host_values(target, "target check")[ops.host_values(bad, "target check")][0]
        raise IndexError(f"Target {first} is out of bounds.")
    return safe, keep


def _nll(logp: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int
         ) -> tuple[Tensor, Tensor, Tensor]:
    """Per element -logp[n, t_n] * w[t_n], the weights w (0 where ignored) and the kept mask.
    Class dim 1."""
    safe, keep = _class_targets(logp, target, ignore_index)  # checked: in range
    w = keep.to(logp.dtype)
    if weight is not None:
        w = w * weight[safe]
    picked = gather_in_range(logp, 1, safe.unsqueeze(1)).squeeze(1)
    return -picked * w, w, keep


def _weighted_reduce(loss: Tensor, w: Tensor, reduction: str, unbatched: bool) -> Tensor:
    """The mean divides by the summed weights of the kept targets, as torch's (when every
    target is ignored that is 0/0: NaN, with a gradient of 0, as torch's)."""
    if reduction == "mean":
        total = w.sum()
        none = total.detach() == 0
        return loss.sum() / ops.where(none, 1.0, total) + ops.where(none, math.nan, 0 * total)
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: -input[n, target[n]] * weight[target[n]].

    The mean divides by the summed weights of the kept targets (ignore_index drops some).
    Shape: input (N, C) or (N, C, d1, ...) or (C,); target (N) or (N, d1, ...) or () (or (1,)).
    """
    _check_reduction(reduction)
    if input.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0) for the input of nll_loss")
    _class_target_arguments(input, target, weight, ignore_index, "nll_loss")
    unbatched = input.ndim == 1
    if unbatched:  # (C,): a batch of one
        input, target = input.unsqueeze(0), target.reshape(1)
    loss, w, _ = _nll(input, target, weight, ignore_index)
    return _weighted_reduce(loss, w, reduction, unbatched)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """log_softmax then nll_loss; targets are class indices or class probabilities.

    With ``label_smoothing`` = e the target mixes (1 - e) of itself with e spread evenly over
    the C classes, as torch's. Shape: input (N, C) or (N, C, d1, ...) or (C,); target class
    indices (N, ...) or probabilities of the input's shape.
    """
    probabilities = _cross_entropy_arguments(input, target, weight, ignore_index, reduction,
                                             label_smoothing)
    unbatched = input.ndim == 1
    if unbatched:  # (C,): a batch of one
        input = input.unsqueeze(0)
        target = target.unsqueeze(0) if probabilities else target.reshape(1)
    n_classes = input.shape[1]
    logp = log_softmax(input, 1)

    def weighted() -> Tensor:  # log p times each class's weight (made only where needed)
        return logp if weight is None else logp * weight.reshape(
            (1, n_classes) + (1,) * (input.ndim - 2))

    if probabilities:
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        loss = -(weighted() * target).sum(dim=1)
        return _reduce(loss.squeeze(0) if unbatched else loss, reduction)
    loss, w, keep = _nll(logp, target, weight, ignore_index)
    if label_smoothing > 0:  # plus e/C times the (weighted) -log p of every class
        smooth = ops.where(keep, -weighted().sum(dim=1), 0.0)
        loss = loss * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)
    return _weighted_reduce(loss, w, reduction, unbatched)


def _cross_entropy_arguments(input: Tensor, target: Tensor, weight: Tensor | None,
                             ignore_index: int, reduction: str, label_smoothing: float) -> bool:
    """cross_entropy's checks (torch's types and messages, with the values and shapes); whether
    the target holds class probabilities (a target of the input's shape) or class indices.
    A negative label_smoothing is refused too (torch ignores it)."""
    _check_reduction(reduction)
    if not isinstance(label_smoothing, numbers.Real):
        raise TypeError(f"cross_entropy(): argument 'label_smoothing' must be float, not "
                        f"{type(label_smoothing).__name__}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    probabilities = tuple(target.shape) == tuple(input.shape)
    if probabilities and not target.dtype.is_floating_point:
        raise RuntimeError(f"Expected floating point type for target with class probabilities, "
                           f"got {target.dtype.torch_name} (a target of the input's shape "
                           f"{list(input.shape)} holds class probabilities)")
    if input.ndim == 0:
        raise IndexError("cross_entropy expects an input of 1 or more dims, (C,) or (N, C, ...), "
                         "but got an input of shape []")
    if not probabilities:
        _class_target_arguments(input, target, weight, ignore_index, "cross_entropy")
        return False
    _floating(input, "cross_entropy")
    if ignore_index != -100:
        raise RuntimeError(f"ignore_index is not supported for floating point target (got "
                           f"ignore_index={ignore_index!r})")
    _class_weight(input, weight, "cross_entropy", same_dtype=False)
    return True


def _class_target_arguments(input: Tensor, target: Tensor, weight: Tensor | None,
                            ignore_index: int, name: str) -> None:
    """The checks of class-index targets (nll_loss's, in torch's order, types and messages):
    an int ignore_index, a floating-point input of 1 or more dims, targets of dtype int64 (or
    uint8), one per sample and position, and a weight per class of the input's dtype."""
    _int_argument(ignore_index, "ignore_index", name)
    _floating(input, name)
    shapes = f"(input of shape {list(input.shape)}, target {list(target.shape)})"
    if input.ndim >= 2 and (target.ndim == 0 or target.shape[0] != input.shape[0]):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0] if target.ndim else 0}) {shapes}.")
    if target.dtype not in (dtypes.int64, dtypes.uint8):
        hint = (f"; class probabilities must have the input's shape {list(input.shape)}"
                if target.dtype.is_floating_point else "")
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{target.dtype.torch_name}{hint}")
    if input.ndim <= 2 and target.ndim > 1:
        raise RuntimeError(f"0D or 1D target tensor expected, multi-target not supported "
                           f"{shapes}")
    if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                         f"{target.shape[0]}")
    expected = (input.shape[0], *input.shape[2:])
    if input.ndim > 2 and tuple(target.shape) != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")
    _class_weight(input, weight, name, same_dtype=True)


def _class_weight(input: Tensor, weight: Tensor | None, name: str, same_dtype: bool) -> None:
    """A weight per class: shape (C,), and (for class indices) the input's dtype, as torch's."""
    if weight is None:
        return
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    if weight.ndim != 1 or weight.shape[0] != c:
        raise RuntimeError(f"{name}: weight tensor should be defined either for all {c} classes "
                           f"or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    if same_dtype and weight.dtype is not input.dtype:
        raise RuntimeError(f"{name}: expected scalar type {input.dtype.torch_name} but found "
                           f"{weight.dtype.torch_name} (the weight's dtype must be the input's)")


class BinaryCrossEntropy(Function):
    """-(t log x + (1 - t) log(1 - x)) with each log clamped at -100, as torch's."""

    saves = (0, 1)
    layout = "elementwise"

    def forward(self, x: Any, t: Any) -> Any:
        xp = self.xp

        def log(v: Any) -> Any:  # log(0) = -100, without a NumPy warning
            return xp.where(v > 0, xp.log(xp.where(v > 0, v, 1.0)), -100.0)

        return -(t * xp.maximum(log(x), -100.0) + (1 - t) * xp.maximum(log(1 - x), -100.0))

    # d/dx = (x - t) / (x (1 - x)), its denominator at least 1e-12 (torch's, finite at 0 and 1);
    # d/dt = log(1 - x) - log(x)
    def backward(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        x, t = self.inputs
        gx = gt = None
        if self.needs_input_grad[0]:
            gx = g * (x - t) / (x * (1 - x)).clamp(min=1e-12)
        if self.needs_input_grad[1]:
            gt = g * ((1 - x).log().clamp(min=-100) - x.log().clamp(min=-100))
        return gx, gt


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy between probabilities ``input`` and targets in [0, 1].

    Shape: input and target (*), the same; weight broadcasts to them.
    """
    _binary_cross_entropy_arguments(input, target, weight, reduction)
    loss = BinaryCrossEntropy.apply(input, target)
    return _reduce(loss if weight is None else loss * weight, reduction)


def _binary_cross_entropy_arguments(input: Tensor, target: Tensor, weight: Tensor | None,
                                    reduction: str) -> None:
    """binary_cross_entropy's checks (torch's): input and target of one shape and one
    floating-point dtype, every element of each in [0, 1] (NaN is not), a weight that
    broadcasts to them."""
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape!r}) that is different to the "
                         f"input size ({input.shape!r}) is deprecated. Please ensure they have "
                         "the same size.")
    if target.dtype is not input.dtype:
        raise RuntimeError(f"binary_cross_entropy: Found dtype {target.dtype.torch_name} but "
                           f"expected {input.dtype.torch_name} (the target's dtype must be the "
                           f"input's)")
    _floating(input, "binary_cross_entropy")
    in_range = ops.host_values(ops.stack([((t >= 0) & (t <= 1)).all()
                                          for t in (input, target)]), "bce range check")
    for name, ok in zip(("input", "target"), in_range):  # one look on the host for both
        if not ok:
            raise RuntimeError(f"all elements of {name} should be between 0 and 1")
    _weight_expands(weight, input, "weight", "binary_cross_entropy")


def _weight_expands(weight: Tensor | None, input: Tensor, name: str, op: str) -> None:
    """A loss's weight must broadcast to the input's shape without widening it (torch's)."""
    if weight is not None and not _expands_to(weight, input.shape):
        raise RuntimeError(f"{op}: {name} of size {list(weight.shape)} must broadcast to the "
                           f"input's size {list(input.shape)}")


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid and binary cross-entropy in one stable expression:
    (1 - t) x - (1 + (pos_weight - 1) t) log(sigmoid(x)).

    Shape: input and target (*), the same; pos_weight broadcasts over the last dim (classes).
    """
    _bce_with_logits_arguments(input, target, weight, reduction, pos_weight)
    log_weight = 1.0 if pos_weight is None else (pos_weight - 1) * target + 1
    loss = (1 - target) * input - log_weight * logsigmoid(input)
    return _reduce(loss if weight is None else loss * weight, reduction)


def _bce_with_logits_arguments(input: Tensor, target: Tensor, weight: Tensor | None,
                               reduction: str, pos_weight: Tensor | None) -> None:
    """binary_cross_entropy_with_logits's checks (torch's): one shape, floating-point logits
    and targets, weights that broadcast to them."""
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape!r}) must be the same as input size "
                         f"({input.shape!r})")
    _floating(input, "log_sigmoid")
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"result type {input.dtype.torch_name} can't be cast to the desired "
                           f"output type {target.dtype.torch_name} (the target of "
                           f"binary_cross_entropy_with_logits must be floating point)")
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        _weight_expands(t, input, name, "binary_cross_entropy_with_logits")
