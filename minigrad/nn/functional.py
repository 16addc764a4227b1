"""minigrad.nn.functional: the layers' math as functions, with torch.nn.functional's signatures.

Convolution and pooling are built on ``unfold`` (im2col, ops/unfold.py), in (N, C, H, W): a
convolution is unfold + one matrix product (a batched one with groups); max pooling is -inf
padding + unfold + a max over each window; average pooling is zero padding + unfold + a sum over
each window divided by PyTorch's divisor; batch norm is its formula. Everything here is a
composite of differentiable ops, so gradients (and second derivatives) come from the core; only
binary cross-entropy has its own backward, for PyTorch's finite gradient at 0 and 1.

Argument checks sit in helpers after each function, so the function's body is the math.
Functions marked ``@fast_path`` may run a backend's faster version of the same math instead
(``minigrad/fast/``; off with MINIGRAD_FAST_PATHS=0), tested equal to the code here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minigrad import dtypes, ops
from minigrad.autograd import Function
from minigrad.backends import fast_path
from minigrad.factory import arange, ones, rand
from minigrad.grad_mode import no_grad
from minigrad.ops import fold, gather, gather_in_range, pad, unfold
from minigrad.ops.unfold import Pair, Window, output_size, pair
from minigrad.tensor import Tensor

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv2d", "conv_transpose2d", "cross_entropy",
    "dropout", "flatten", "fold", "gather", "leaky_relu", "linear", "log_softmax", "logsigmoid",
    "max_pool2d", "mse_loss", "nll_loss", "pad", "relu", "sigmoid", "softmax", "tanh", "unfold",
]

IntOrPair = int | tuple[int, int]


# ---- activations -----------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x))."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return input.tanh()


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), stable for large |x|."""
    return ops.LogSigmoid.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    return ops.where(input > 0, input, input * negative_slope)


def _softmax_dim(ndim: int) -> int:
    return 0 if ndim in (0, 1, 3) else 1  # torch's legacy choice when dim is not given


def softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim``."""
    return ops.softmax(input, _softmax_dim(input.ndim) if dim is None else dim)


def log_softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """log(softmax(x)) along ``dim``, stable for large inputs."""
    return ops.log_softmax(input, _softmax_dim(input.ndim) if dim is None else dim)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim`` .. ``end_dim``."""
    return input.flatten(start_dim, end_dim)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
            ) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) (training);
    the identity otherwise. The mask comes from minigrad's seeded host generator."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = rand(*input.shape, device=input.device) >= p
    return input * keep.to(input.dtype) * (1.0 / (1.0 - p))


# ---- linear and convolution ------------------------------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b.

    Shape: input (*, in_features), weight (out_features, in_features), bias (out_features),
    output (*, out_features).
    """
    _same_dtype(input, weight, "linear")
    out = input @ weight.t()
    return out if bias is None else out + bias


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
    window, p, op, full = _conv_transpose2d_arguments(x, weight, stride, padding, output_padding,
                                                      groups, dilation)
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
    if min(s) < 1:
        raise RuntimeError(f"non-positive stride is not supported, got stride={s}")
    if groups < 1 or out_ch % groups:
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
        p = (0, 0)
        if padding == "same":
            p, after = _same_padding((kh, kw), d)
            if after != p:  # even kernels: the extra row/column goes after, as torch
                x = pad(x, (0, after[1] - p[1], 0, after[0] - p[0]))
    else:
        p = pair(padding, "padding")
    h, w = x.shape[2:]
    eff = (d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1)
    if h + 2 * p[0] < eff[0] or w + 2 * p[1] < eff[1]:
        raise RuntimeError(f"Calculated padded input size per channel: ({h + 2 * p[0]} x "
                           f"{w + 2 * p[1]}). Kernel size: ({eff[0]} x {eff[1]}). Kernel size "
                           "can't be greater than actual input size")
    return x, Window((kh, kw), d, p, s)


def _same_padding(kernel: Pair, dilation: Pair) -> tuple[Pair, Pair]:
    """PyTorch's split of 'same' padding: total d*(k-1), the odd one out on the right/bottom."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    before = (total[0] // 2, total[1] // 2)
    return before, (total[0] - before[0], total[1] - before[1])


def _conv_transpose2d_arguments(x: Tensor, weight: Tensor, stride: IntOrPair,
                                padding: IntOrPair, output_padding: IntOrPair, groups: int,
                                dilation: IntOrPair) -> tuple[Window, Pair, Pair, Pair]:
    """conv_transpose2d's checks; the window for fold, the padding, the output padding and the
    size of the uncropped output, (H - 1)*stride + dilation*(kh - 1) + 1."""
    _same_dtype(x, weight, "conv_transpose2d")
    c, (h, w) = x.shape[1], x.shape[2:]
    c_in, _, kh, kw = weight.shape
    s, p, d = pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")
    op = pair(output_padding, "output_padding")
    if c != c_in or c_in % groups:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {c_in} channels, but got {c} "
                           "channels instead")
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
    x, unbatched = _batched(input, "max_pool2d")
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
    x, unbatched = _batched(input, "avg_pool2d")
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
    s = k if stride is None or stride == () else pair(stride, "stride")
    p, d = pair(padding, "padding"), pair(dilation, "dilation")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:  # so that no window is padding alone
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {p[1]}, padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    window = Window(k, d, p, s)
    h, w = x.shape[2:]
    oh, ow = output_size((h, w), *window, ceil_mode=ceil_mode)
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given input size: ({x.shape[1]}x{h}x{w}). Calculated output "
                           f"size: ({x.shape[1]}x{oh}x{ow}). Output size is too small")
    extra = tuple(max(0, (o - 1) * si + di * (ki - 1) + 1 - (n + 2 * pi))
                  for o, n, ki, si, pi, di in zip((oh, ow), (h, w), k, s, p, d))
    return window, (oh, ow), extra  # type: ignore[return-value]


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
    oh, ow = _adaptive_arguments(x, output_size)
    rows = ops.cat([x[:, :, a:b].mean(dim=2, keepdim=True)
                    for a, b in adaptive_windows(h, oh)], dim=2)
    out = ops.cat([rows[:, :, :, a:b].mean(dim=3, keepdim=True)
                   for a, b in adaptive_windows(w, ow)], dim=3)
    return out.squeeze(0) if unbatched else out


def adaptive_windows(size: int, out: int) -> list[tuple[int, int]]:
    """Adaptive pooling's windows along one axis: [floor(i*size/out), ceil((i+1)*size/out))."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _adaptive_arguments(x: Tensor, output_size: int | Sequence[int | None]) -> Pair:
    """adaptive_avg_pool2d's checks; the output size (None keeps the input's)."""
    _not_for(x, "adaptive_avg_pool2d", ("bool", "uint8", "int32", "int64"))
    sizes = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != 2:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    return tuple(n if o is None else o  # type: ignore[return-value]
                 for o, n in zip(sizes, x.shape[2:]))


def _not_for(x: Tensor, name: str, refused: tuple[str, ...]) -> None:
    """PyTorch's refusal of a dtype its kernel lacks."""
    if x.dtype.name in refused:
        raise NotImplementedError(f'"{name}" not implemented for \'{x.dtype.torch_name}\'')


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
    _batch_norm_arguments(input, running_mean, running_var, weight, bias, training)
    axes = (0, *range(2, input.ndim))            # every dim but the channels
    shape = (1, -1) + (1,) * (input.ndim - 2)    # per channel, broadcast over the rest
    if training:
        mean = input.mean(dim=axes)
        var = input.var(dim=axes, correction=0)
        if running_mean is not None and running_var is not None:
            count = input.numel() // input.shape[1]
            with no_grad():
                running_mean.mul_(1 - momentum).add_(mean * momentum)
                running_var.mul_(1 - momentum).add_(var * (count / (count - 1)) * momentum)
    else:
        mean, var = running_mean, running_var
    out = (input - mean.reshape(shape)) / (var.reshape(shape) + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def _batch_norm_arguments(input: Tensor, running_mean: Tensor | None,
                          running_var: Tensor | None, weight: Tensor | None,
                          bias: Tensor | None, training: bool) -> None:
    """batch_norm's checks: at least (N, C), one value per channel in each statistic and
    parameter, more than one value per channel to train on, running statistics to evaluate."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects an input of at least 2 dims (N, C, ...), got "
                         f"shape {tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()} (input of "
                               f"shape {tuple(input.shape)})")
    if training and input.numel() // max(c, 1) <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {input.shape!r}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("batch_norm in evaluation needs running_mean and running_var")


# ---- losses ----------------------------------------------------------------------------------
def _check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error (x - y)^2.

    Shape: input and target (*), the same; output scalar, or (*) with reduction='none'.
    """
    _check_reduction(reduction)
    return _reduce((input - target) ** 2, reduction)


def _class_targets(input: Tensor, target: Tensor, ignore_index: int) -> tuple[Tensor, Tensor]:
    """Validated class indices with ignored entries replaced by 0, and the mask of kept ones."""
    if target.dtype.is_floating_point or target.dtype is dtypes.bool_:
        raise RuntimeError(f"expected class indices of an integer dtype (int64), but found "
                           f"{target.dtype.name}")
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")
    keep = target != ignore_index
    safe = ops.where(keep, target, 0)
    n_classes = input.shape[1]
    bad = keep & ((safe < 0) | (safe >= n_classes))
    if bad.any().item():
        raise IndexError(f"Target {target.numpy()[bad.numpy()][0]} is out of bounds.")
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
    """The mean divides by the summed weights of the kept targets, as torch's."""
    if reduction == "mean":
        return loss.sum() / w.sum()
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: -input[n, target[n]] * weight[target[n]].

    The mean divides by the summed weights of the kept targets (ignore_index drops some).
    Shape: input (N, C) or (N, C, d1, ...) or (C,); target (N) or (N, d1, ...) or ().
    """
    _check_reduction(reduction)
    unbatched = input.ndim == 1
    if unbatched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
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
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    unbatched = input.ndim == 1
    if unbatched:  # (C,): a batch of one
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    n_classes = input.shape[1]
    logp = log_softmax(input, 1)

    def weighted() -> Tensor:  # log p times each class's weight (made only where needed)
        return logp if weight is None else logp * weight.reshape(
            (1, n_classes) + (1,) * (input.ndim - 2))

    if target.dtype.is_floating_point:  # probabilities
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(f"Expected target probabilities of the input's shape "
                               f"{list(input.shape)}, got {list(target.shape)}")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        loss = -(weighted() * target).sum(dim=1)
        return _reduce(loss.squeeze(0) if unbatched else loss, reduction)
    loss, w, keep = _nll(logp, target, weight, ignore_index)
    if label_smoothing > 0:  # plus e/C times the (weighted) -log p of every class
        smooth = ops.where(keep, -weighted().sum(dim=1), 0.0)
        loss = loss * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)
    return _weighted_reduce(loss, w, reduction, unbatched)


class BinaryCrossEntropy(Function):
    """-(t log x + (1 - t) log(1 - x)) with each log clamped at -100, as torch's."""

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
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape!r}) that is different to the "
                         f"input size ({input.shape!r}) is deprecated. Please ensure they have "
                         "the same size.")
    if ((input < 0) | (input > 1)).any().item():
        raise RuntimeError("all elements of input should be between 0 and 1")
    input, target = ops.promote(input, target)
    loss = BinaryCrossEntropy.apply(input, target)
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid and binary cross-entropy in one stable expression:
    (1 - t) x - (1 + (pos_weight - 1) t) log(sigmoid(x)).

    Shape: input and target (*), the same; pos_weight broadcasts over the last dim (classes).
    """
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape!r}) must be the same as input size "
                         f"({input.shape!r})")
    log_weight = 1.0 if pos_weight is None else (pos_weight - 1) * target + 1
    loss = (1 - target) * input - log_weight * logsigmoid(input)
    return _reduce(loss if weight is None else loss * weight, reduction)
