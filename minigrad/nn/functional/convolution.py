"""Linear layers and convolutions: a convolution is unfold (im2col) and one matrix product.
"""

from __future__ import annotations

from minigrad.backends import fast_path
from minigrad.nn.functional import checks
from minigrad.ops import Unfold, fold, pad
from minigrad.ops.unfold import Pair, Window, output_size
from minigrad.tensor import Tensor

IntOrPair = int | tuple[int, int]
IntOrSingle = int | tuple[int]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b.

    Shape: input (*, in_features), weight (out_features, in_features), bias (out_features),
    output (*, out_features).
    """
    checks.linear_arguments(input, weight, bias)
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
    x, unbatched = checks.batched(input, "conv2d")
    window = checks.conv2d_arguments(x, weight, bias, stride, padding, dilation, groups)
    if window.padding == "same":  # as much padding as the kernel reaches past a pixel
        x, window = same_padding(x, window)
    n, c = x.shape[:2]
    out_ch, _, kh, kw = weight.shape
    oh, ow = output_size(x.shape[2:], *window)
    cols = Unfold.apply(x, **window._asdict())  # unfold, checked above: (N, C_in*kh*kw, L)
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
    x, unbatched = checks.batched(input, "conv_transpose2d")
    window, p, op, full = checks.conv_transpose2d_arguments(x, weight, bias, stride, padding,
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


def same_padding(x: Tensor, window: Window) -> tuple[Tensor, Window]:
    """'same' padding: d*(k-1) rows and columns in all, half before, the odd one after (on the
    bottom and right, as torch), so that the output has the input's size at stride 1."""
    before, after = same_padding_sizes(window.kernel_size, window.dilation)
    if after != before:  # even kernels: the extra row/column goes after
        x = pad(x, (0, after[1] - before[1], 0, after[0] - before[0]))
    return x, window._replace(padding=before)


def same_padding_sizes(kernel: Pair, dilation: Pair) -> tuple[Pair, Pair]:
    """PyTorch's split of 'same' padding: total d*(k-1), the odd one out on the right/bottom."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    before = (total[0] // 2, total[1] // 2)
    return before, (total[0] - before[0], total[1] - before[1])


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrSingle = 1,
           padding: IntOrSingle | str = 0, dilation: IntOrSingle = 1, groups: int = 1
           ) -> Tensor:
    """1-D cross-correlation, written as conv2d on an image of height 1: the signal (N, C, L)
    is the one row of an (N, C, 1, L) image and each kernel (C_in/groups, k) a 1 x k one.

    Shape: input (N, C_in, L) or (C_in, L); weight (C_out, C_in/groups, k); bias (C_out);
    output (N, C_out, L_out) with L_out = floor((L + 2*padding - dilation*(k-1) - 1) / stride) + 1.
    """
    s, p, d = checks.conv1d_arguments(input, weight, bias, stride, padding, dilation, groups)
    out = conv2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, s), p, (1, d), groups)
    return out.squeeze(-2)
