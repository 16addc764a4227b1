"""Pooling: max pooling is -inf padding, unfold and a max over each window; average pooling is
zero padding, unfold, a sum over each window and PyTorch's divisor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minigrad import ops
from minigrad.backends import fast_path
from minigrad.factory import arange, ones
from minigrad.nn.functional import checks
from minigrad.ops import Unfold, pad, unfold
from minigrad.ops.unfold import Pair, Window, output_size
from minigrad.runtime import dtypes
from minigrad.tensor import Tensor

IntOrPair = int | tuple[int, int]
IntOrSingle = int | tuple[int]


@fast_path
def max_pool2d(input: Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None,
               padding: IntOrPair = 0, dilation: IntOrPair = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """The max of each window: pad with -inf (never 0), unfold, and a max over the window.

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out) with
    H_out = floor((H + 2*padding - dilation*(k-1) - 1) / stride) + 1 (ceil in ceil_mode).
    ``stride`` defaults to ``kernel_size``. With ``return_indices`` also the flat index of
    each max in its input plane (H*W), as torch's.
    """
    x, unbatched = checks.pool_batched(input, "max_pool2d")
    window = checks.pool_arguments(x, "max_pool2d", kernel_size, stride, padding, dilation,
                                   ceil_mode)
    (kh, kw), d, p, s = window
    n, c, h, w = x.shape
    oh, ow = output_size((h, w), *window, ceil_mode=ceil_mode)
    extra = ceil_rows((h, w), (oh, ow), window)  # ceil mode's last windows reach past the pad
    x = pad(x, (p[1], p[1] + extra[1], p[0], p[0] + extra[0]), value=x.dtype.lowest)  # -inf
    cols = Unfold.apply(x, kernel_size=(kh, kw), dilation=d, padding=(0, 0), stride=s)
    cols = cols.reshape(n, c, kh * kw, oh, ow)       # (unfold, its window checked above)
    out, index = cols.max(dim=2)                     # the largest of each window, and which
    if not return_indices:
        return out.squeeze(0) if unbatched else out
    # window (i, j) at kernel offset (a, b) reads input row i*s - p + a*d, column j*s - p + b*d
    rows = arange(oh, device=x.device).reshape(oh, 1) * s[0] - p[0] + index // kw * d[0]
    columns = arange(ow, device=x.device) * s[1] - p[1] + index % kw * d[1]
    flat = rows * w + columns
    return (out.squeeze(0), flat.squeeze(0)) if unbatched else (out, flat)


@fast_path
def avg_pool2d(input: Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None,
               padding: IntOrPair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of each window: unfold with zero padding, sum each window, divide.

    PyTorch's divisor: ``divisor_override`` if given, else the number of the window's pixels
    inside the padded input (``count_include_pad``) or inside the input itself.
    Shape: input (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out) with
    H_out = floor((H + 2*padding - kernel_size) / stride) + 1 (ceil in ceil_mode).
    """
    x, unbatched = checks.pool_batched(input, "avg_pool2d")
    window = checks.pool_arguments(x, "avg_pool2d", kernel_size, stride, padding, 1, ceil_mode,
                                   divisor_override)
    (kh, kw), _, p, s = window
    n, c = x.shape[:2]
    oh, ow = output_size(x.shape[2:], *window, ceil_mode=ceil_mode)
    extra = ceil_rows(x.shape[2:], (oh, ow), window)  # ceil mode's windows reach past the pad
    divisor = divisor_override or _window_sizes(x, window, (oh, ow), extra, count_include_pad)
    if extra != (0, 0):  # (zeros past the far edge: where the zero padding goes is all one)
        x = pad(x, (0, extra[1], 0, extra[0]))
    cols = Unfold.apply(x, kernel_size=(kh, kw), dilation=(1, 1), padding=p, stride=s)  # 0-pad
    sums = cols.reshape(n, c, kh * kw, oh, ow).sum(dim=2)  # (unfold, checked above)
    out = _like_input(sums / divisor, x)
    return out.squeeze(0) if unbatched else out


def ceil_rows(size: Sequence[int], out: Pair, window: Window) -> Pair:
    """The rows and columns past the padded input that ceil mode's last windows reach (they
    are padded too, and never counted as the input's); none without ceil mode."""
    k, d, p, s = window
    return tuple(max(0, (o - 1) * s[i] + d[i] * (k[i] - 1) + 1 - (size[i] + 2 * p[i]))
                 for i, o in enumerate(out))  # type: ignore[return-value]


def _like_input(mean: Tensor, x: Tensor) -> Tensor:
    """Integer averages are truncated toward zero to the input's dtype, as torch's."""
    return mean if x.dtype.is_floating_point else mean.to(x.dtype)


def _window_sizes(x: Tensor, window: Window, out: Pair, extra: Pair,
                  count_include_pad: bool) -> Tensor | int:
    """How many pixels each average-pooling window covers, (1, 1, H_out, W_out): the windows'
    sums over a picture of ones, its padding counted (``count_include_pad``) or not; the
    extra room ceil mode adds never counts."""
    (h, w), p = x.shape[-2:], window.padding
    if extra == (0, 0) and (count_include_pad or p == (0, 0)):  # every window: all it covers
        return window.kernel_size[0] * window.kernel_size[1]
    inside = ones(1, 1, h, w, dtype=x.dtype, device=x.device)
    inside = pad(inside, (p[1], p[1], p[0], p[0]), value=1.0 if count_include_pad else 0.0)
    inside = pad(inside, (0, extra[1], 0, extra[0]))
    counts = unfold(inside, window.kernel_size, stride=window.stride).sum(dim=1)
    return counts.reshape(1, 1, *out)


def max_pool1d(input: Tensor, kernel_size: IntOrSingle, stride: IntOrSingle | None = None,
               padding: IntOrSingle = 0, dilation: IntOrSingle = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """The max of each window along the length, written as max_pool2d on an image of height 1.

    Shape: input (N, C, L) or (C, L); output (N, C, L_out) with
    L_out = floor((L + 2*padding - dilation*(k-1) - 1) / stride) + 1 (ceil in ceil_mode);
    with ``return_indices`` also the index of each max along L.
    """
    k, s, p, d = checks.pool1d_arguments(input, "max_pool1d", kernel_size, stride, padding,
                                         dilation, ceil_mode)
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
    k, s, p, _ = checks.pool1d_arguments(input, "avg_pool1d", kernel_size, stride, padding, 1,
                                         ceil_mode)
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return out.squeeze(-2)


@fast_path
def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:
    """Average pooling to a fixed output size: output row i averages the input rows
    [floor(i*H/oh), ceil((i+1)*H/oh)), output column j likewise.

    A window is a rectangle, so its mean is the mean over its columns of the row means: the
    rows are averaged first, then the columns.
    Shape: input (N, C, H, W) or (C, H, W); output (N, C, oh, ow) (None keeps the input size).
    """
    x, unbatched = checks.batched(input, "adaptive_avg_pool2d")
    h, w = x.shape[2:]
    oh, ow = checks.adaptive_arguments(input, output_size)
    rows = ops.cat([x[:, :, a:b].mean(dim=2, keepdim=True)
                    for a, b in adaptive_windows(h, oh)], dim=2)
    out = ops.cat([rows[:, :, :, a:b].mean(dim=3, keepdim=True)
                   for a, b in adaptive_windows(w, ow)], dim=3)
    return out.squeeze(0) if unbatched else out


def adaptive_windows(size: int, out: int) -> list[tuple[int, int]]:
    """Adaptive pooling's windows along one axis: [floor(i*size/out), ceil((i+1)*size/out))."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def adaptive_max_pool2d(input: Tensor, output_size: int | Sequence[int | None],
                        return_indices: bool = False) -> Any:
    """Max pooling to a fixed output size: output pixel (i, j) is the max of the input rows
    [floor(i*H/oh), ceil((i+1)*H/oh)) and columns [floor(j*W/ow), ceil((j+1)*W/ow)) (the
    windows of adaptive_avg_pool2d), the first of a tie in row-major order, as torch's.

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, oh, ow) (None keeps the input
    size); with ``return_indices`` also the flat index (in H*W) of each max.
    """
    x, unbatched = checks.adaptive_max_batched(input)
    n, c, h, w = x.shape
    oh, ow = checks.adaptive_arguments(input, output_size, "adaptive_max_pool2d")
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
