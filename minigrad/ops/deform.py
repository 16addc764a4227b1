"""deform_conv2d: deformable convolution (Dai et al. 2017; v2, modulated: Zhu et al. 2019).

A convolution reads each patch on a fixed grid: kernel position (a, b) of output pixel (i, j)
reads the pixel at row i*s - p + a*d, column j*s - p + b*d. A deformable convolution moves each
of those reads by a learned offset (dy, dx), one per output pixel and kernel position, so the
patch can bend to the shape of what it looks at. The positions are fractional, so the image is
read there by bilinear interpolation, zero outside the image. v2 also multiplies each read by
a learned mask (modulation). The rest is conv2d: the reads laid out as columns
(N, C*kh*kw, L), as im2col's (ops/unfold.py), then one matrix product with the kernels.

Everything here is a composite of differentiable ops: the pixel indices (floors of the
positions) are constants, the four bilinear weights are differentiable functions of the
offsets and the reads are gathers, so the gradients with respect to the input, offset, mask,
weight and bias, and second derivatives, come from the core. Semantics and argument order are
torchvision.ops.deform_conv2d's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from minigrad.autograd import make_tensor
from minigrad.ops.movement import gather_in_range, pad
from minigrad.ops.unfold import Pair, Window, output_size, window_arguments

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

IntOrPair = int | Sequence[int]


def deform_conv2d(input: Tensor, offset: Tensor, weight: Tensor, bias: Tensor | None = None,
                  stride: IntOrPair = (1, 1), padding: IntOrPair = (0, 0),
                  dilation: IntOrPair = (1, 1), mask: Tensor | None = None) -> Tensor:
    """Deformable 2-D convolution, as torchvision.ops.deform_conv2d.

    Kernel position (a, b) of output pixel (i, j) reads the input, bilinearly, at
    (i*s - p + a*d + dy, j*s - p + b*d + dx), where (dy, dx) is the offset of that position and
    pixel (v1), and the read is multiplied by the mask there when one is given (v2):
    out[n, o, i, j] = bias[o] + sum over c, a, b of weight[o, c, a, b] * m * input[n, c](y, x).
    The input's channels split into ``offset_groups`` blocks, each with its own offsets and
    mask; ``groups`` (weight groups) is C_in / weight.shape[1], as in conv2d. Both are inferred
    from the shapes, as torchvision's.
    Shape: input (N, C_in, H, W); offset (N, 2*offset_groups*kh*kw, H_out, W_out), a (dy, dx)
    pair per kernel position, row-major; weight (C_out, C_in/groups, kh, kw); bias (C_out);
    mask (N, offset_groups*kh*kw, H_out, W_out); output (N, C_out, H_out, W_out) with
    H_out = floor((H + 2*padding - dilation*(kh-1) - 1) / stride) + 1 (likewise W_out).
    """
    window, groups, offset_groups = _deform_conv2d_arguments(input, offset, weight, bias,
                                                             stride, padding, dilation, mask)
    n, c, h, w = input.shape
    out_ch, _, kh, kw = weight.shape
    oh, ow = offset.shape[2:]
    k, length = kh * kw, oh * ow
    # where each read lands: conv2d's grid, each position moved by its offset (dy, dx)
    rows, columns = sampling_grid(input, window, (oh, ow))          # (kh*kw, L) each
    shifts = offset.reshape(n, offset_groups, k, 2, length)
    y = (rows + shifts[:, :, :, 0]).reshape(n, offset_groups, k * length)
    x = (columns + shifts[:, :, :, 1]).reshape(n, offset_groups, k * length)
    image = input.reshape(n, offset_groups, c // offset_groups, h, w)
    cols = bilinear_sample(image, y, x)                              # (N, G, C/G, kh*kw*L)
    cols = cols.reshape(n, offset_groups, c // offset_groups, k, length)
    if mask is not None:
        cols = cols * mask.reshape(n, offset_groups, 1, k, length)
    # im2col's columns (N, C_in*kh*kw, L), by weight group; then conv2d's product
    cols = cols.reshape(n, groups, c // groups * k, length)          # (N, G, C_in/G*kh*kw, L)
    kernels = weight.reshape(groups, out_ch // groups, c // groups * k)
    out = (kernels @ cols).reshape(n, out_ch, oh, ow)                # (N, G, C_out/G, L)
    if bias is not None:
        out = out + bias.reshape(1, out_ch, 1, 1)
    return out


def bilinear_sample(image: Tensor, y: Tensor, x: Tensor) -> Tensor:
    """``image`` (N, G, C, H, W) read at the fractional positions (y, x), each (N, G, P):
    values (N, G, C, P), zero outside the image, as torchvision's ``bilinear_interpolate``.

    A position between four pixels reads their average, each weighted by how near it is:
    (1 - ly)(1 - lx) for the top-left one, ly*lx for the bottom-right one, where (ly, lx) is how
    far the position lies past the top-left pixel. The pixel indices (floors) are constants; the
    weights are differentiable in the position, which is how gradients reach the offsets.
    Pixels outside the image are read from a ring of zeros around it: each corner's index is
    clamped into that ring.
    """
    n, g, c, h, w = image.shape
    padded = pad(image, (1, 1, 1, 1)).reshape(n, g, c, (h + 2) * (w + 2))
    top, left = _floor(y), _floor(x)
    ly, lx = y - top, x - left                                       # in [0, 1)
    out = None
    for down, wy in ((0, cast("Tensor", 1 - ly)), (1, ly)):          # the four corners
        for right, wx in ((0, 1 - lx), (1, lx)):
            row = (top + down).clamp(-1, h).long() + 1                # row in the padded image
            col = (left + right).clamp(-1, w).long() + 1
            index = (row * (w + 2) + col).unsqueeze(2).expand(n, g, c, y.shape[2])
            term = (wy * wx).unsqueeze(2) * gather_in_range(padded, 3, index)  # clamped above
            out = term if out is None else out + term
    return cast("Tensor", out)  # (four terms: never None)


def sampling_grid(like: Tensor, window: Window, out: Pair) -> tuple[Tensor, Tensor]:
    """conv2d's fixed grid, as constants of ``like``'s dtype and device, (kh*kw, L) each:
    kernel position (a, b) of output pixel (i, j) reads row i*s - p + a*d, column
    j*s - p + b*d."""
    xp, dtype = like.backend.xp, like.backend.dtype(like.dtype)
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = window
    oh, ow = out
    a = xp.reshape(xp.arange(kh, dtype=dtype), (kh, 1, 1, 1))
    b = xp.reshape(xp.arange(kw, dtype=dtype), (1, kw, 1, 1))
    i = xp.reshape(xp.arange(oh, dtype=dtype), (1, 1, oh, 1))
    j = xp.reshape(xp.arange(ow, dtype=dtype), (1, 1, 1, ow))
    rows = xp.broadcast_to(i * sh - ph + a * dh, (kh, kw, oh, ow))
    columns = xp.broadcast_to(j * sw - pw + b * dw, (kh, kw, oh, ow))
    return (make_tensor(xp.reshape(rows, (kh * kw, oh * ow)), like.device),
            make_tensor(xp.reshape(columns, (kh * kw, oh * ow)), like.device))


def _floor(t: Tensor) -> Tensor:
    """floor(t) as a constant (its derivative is 0 almost everywhere: no graph)."""
    return make_tensor(t.backend.xp.floor(t._data), t.device)


def _deform_conv2d_arguments(input: Tensor, offset: Tensor, weight: Tensor,
                             bias: Tensor | None, stride: IntOrPair, padding: IntOrPair,
                             dilation: IntOrPair, mask: Tensor | None
                             ) -> tuple[Window, int, int]:
    """deform_conv2d's checks (torchvision's, with the shapes in the messages); the window,
    the weight groups and the offset groups."""
    named = {"input": input, "offset": offset, "weight": weight, "mask": mask}
    for name, t in named.items():
        if t is not None and t.ndim != 4:
            raise RuntimeError(f"deform_conv2d expects a 4-D {name}, got {name} of size "
                               f"{list(t.shape)}")
    for name, t in (*named.items(), ("bias", bias)):
        if t is not None and t.dtype is not input.dtype:
            raise RuntimeError(f"deform_conv2d: {name} must have the input's dtype "
                               f"{input.dtype.name}, but got {t.dtype.name}")
    n, c, h, w = input.shape
    out_ch, c_group, kh, kw = weight.shape
    window = window_arguments((kh, kw), dilation, padding, stride)
    offset_groups = offset.shape[1] // (2 * kh * kw)
    if offset_groups == 0 or offset.shape[1] != offset_groups * 2 * kh * kw:
        raise RuntimeError(
            f"the shape of the offset tensor at dimension 1 is not valid. It should be a "
            f"multiple of 2 * weight.size[2] * weight.size[3].\nGot offset.shape[1]="
            f"{offset.shape[1]}, while 2 * weight.size[2] * weight.size[3]={2 * kh * kw}")
    groups = c // c_group if c_group else 0
    if groups == 0 or c_group * groups != c or out_ch % groups:
        raise RuntimeError(
            f"Given weight of size {list(weight.shape)}, expected input{list(input.shape)} to "
            f"have a multiple of {c_group} channels (weight groups = C_in / weight.shape[1]) "
            f"that divides the {out_ch} output channels")
    if c % offset_groups:
        raise RuntimeError(f"input's {c} channels are not divisible by the {offset_groups} "
                           f"offset groups of offset of size {list(offset.shape)}")
    oh, ow = output_size((h, w), *window)
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Calculated output size too small - out_h: {oh} out_w: {ow} "
                           f"(input of size {list(input.shape)}, kernel {(kh, kw)})")
    if offset.shape[0] != n or tuple(offset.shape[2:]) != (oh, ow):
        raise RuntimeError(f"Expected offset of size {[n, offset.shape[1], oh, ow]} for input "
                           f"of size {list(input.shape)}, but got {list(offset.shape)}")
    if mask is not None and tuple(mask.shape) != (n, offset_groups * kh * kw, oh, ow):
        raise RuntimeError(f"Expected mask of size {[n, offset_groups * kh * kw, oh, ow]} "
                           f"(offset_groups={offset_groups}), but got {list(mask.shape)}")
    if bias is not None and tuple(bias.shape) != (out_ch,):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {out_ch} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    return window, groups, offset_groups
