"""Fast paths for any Array API backend: the batch-innermost layout, block and separable pooling,
sigmoid's gradient as one op, and the first-index max of short windows.

Each entry does what a textbook op does, with the same values, only faster on a CPU:

* **A stride-1 convolution's input gradient as a convolution**: the full correlation of the
  output's gradient with the flipped kernel, one product of the forward's shape (which BLAS
  runs 1.4x faster than the textbook's (C*kh*kw, C_out) @ (C_out, L)) and no col2im scatter.
* **Batch innermost.** Images keep (N, C, H, W) shapes but lie in memory as (C, H, W, N), so
  ``unfold``'s columns lie (C*kh*kw, L, N), a convolution is one matrix product
  (C_out, K) @ (K, L*N) with free reshapes on both sides, and (at stride 1) every copy in
  ``unfold`` and ``fold`` moves runs of W*N numbers instead of rows of W.
* **Pooling without unfold.** Windows that tile the image are blocks: a reshape and a sum.
  Any other average pooling is separable (averaging and PyTorch's divisor are per axis), so it
  is two small products, A_h @ x @ A_w^T; adaptive pooling likewise.
* **Sigmoid's gradient as one op** (torch's ``sigmoid_backward``): one temporary instead of
  three on the largest tensors of a sigmoid network.
* **Max pooling over tiles without unfold**: windows that tile the image (VGG's and the MNIST
  net's 2x2) are the max of kh*kw strided slices; the first offset holding it is found only in
  backward, by comparisons, and the gradient written to it.
* **Batch norm as one op**: the statistics and ``x * scale + shift`` in the fewest passes over x,
  and backward the closed-form gradient (two sums, then one expression), where the formula's
  graph takes a dozen passes and a sum of gradients for each use of x.
* **The first index of a max by comparisons**: for short windows (max pooling), comparing each
  slice with the max is faster than NumPy's argmax along a middle axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from minigrad import ops
from minigrad.autograd import Function, make_tensor
from minigrad.autograd import grad as autograd_grad
from minigrad.nn import functional as F
from minigrad.ops.unfold import Pair, Window, offset_slices, output_size, unfold
from minigrad.runtime import dtypes
from minigrad.runtime.grad_mode import is_grad_enabled, no_grad

if TYPE_CHECKING:
    from minigrad.tensor import Tensor


# ---- unfold and fold, batch innermost -----------------------------------------------------------
class Unfold(ops.Unfold):
    """im2col writing its columns (N, C*kh*kw, L) as a view of (C*kh*kw, L, N) memory."""

    def batch_innermost(self, x: Any, padding: Pair) -> Any:
        """An (N, C, H, W) image copied into (C, H + 2*ph, W + 2*pw, N) memory, zero-padded."""
        xp = self.xp
        n, c, h, w = x.shape
        ph, pw = padding
        image = (xp.zeros if ph or pw else xp.empty)((c, h + 2 * ph, w + 2 * pw, n),
                                                     dtype=x.dtype)
        image[:, ph:ph + h, pw:pw + w, :] = xp.permute_dims(x, (1, 2, 3, 0))
        return image

    def forward(self, x: Any, *, kernel_size: Pair, dilation: Pair, padding: Pair,
                stride: Pair) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.window = window = Window(kernel_size, dilation, padding, stride)
        xp = self.xp
        n, c = x.shape[:2]
        kh, kw = kernel_size
        oh, ow = output_size(x.shape[2:], *window)
        image = self.batch_innermost(x, padding)  # (C, H + 2ph, W + 2pw, N)
        cols = xp.empty((c, kh * kw, oh, ow, n), dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                rows, columns = offset_slices(i, j, window, (oh, ow))
                cols[:, i * kw + j, ...] = image[:, rows, columns, :]
        return xp.permute_dims(xp.reshape(cols, (c * kh * kw, oh * ow, n)), (2, 0, 1))


class Fold(ops.Fold):
    """col2im into (C, H, W, N) memory, returned as an (N, C, H, W) view."""

    def forward(self, cols: Any, *, output_size: Pair, kernel_size: Pair, dilation: Pair,
                padding: Pair, stride: Pair) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.window = Window(kernel_size, dilation, padding, stride)
        return self.col2im(cols, output_size, kernel_size, dilation, padding, stride)

    def col2im(self, cols: Any, size: Pair, kernel_size: Pair, dilation: Pair, padding: Pair,
               stride: Pair) -> Any:
        """The sum of the columns' blocks, one strided slice per kernel offset."""
        xp = self.xp
        window = Window(kernel_size, dilation, padding, stride)
        (h, w), (kh, kw), (ph, pw) = size, kernel_size, padding
        oh, ow = output_size((h, w), *window)
        n, c = cols.shape[0], cols.shape[1] // (kh * kw)
        blocks = xp.reshape(xp.permute_dims(cols, (1, 2, 0)), (c, kh * kw, oh, ow, n))
        out = xp.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                rows, columns = offset_slices(i, j, window, (oh, ow))
                out[:, rows, columns, :] = out[:, rows, columns, :] + blocks[:, i * kw + j, ...]
        return xp.permute_dims(out[:, ph:ph + h, pw:pw + w, :], (3, 0, 1, 2))


# ---- convolutions on batch-innermost columns ----------------------------------------------------
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """F.conv2d as one product per group, (C_out/G, K) @ (K, L*N), on batch-innermost columns
    (both reshapes free), its output (N, C_out, H', W') a view of (C_out, H', W', N) memory."""
    x, unbatched = F.checks.batched(input, "conv2d")
    window = F.checks.conv2d_arguments(x, weight, bias, stride, padding, dilation, groups)
    if window.padding == "same":
        x, window = F.convolution.same_padding(x, window)
    n = x.shape[0]
    out_ch, c_group, kh, kw = weight.shape
    (ph, pw), k = window.padding, c_group * kh * kw
    if groups == 1 and window.stride == window.dilation == (1, 1) and ph < kh and pw < kw and \
            c_group >= 16 and x.dtype == weight.dtype and x.device == weight.device:
        out = Conv2dStride1.apply(x, weight, padding=(ph, pw))
    else:
        oh, ow = output_size(x.shape[2:], *window)
        cols = unfold(x, *window).permute(1, 2, 0).reshape(groups, k, oh * ow * n)
        kernels = weight.reshape(groups, out_ch // groups, k)
        out = (kernels @ cols).reshape(out_ch, oh, ow, n).permute(3, 0, 1, 2)
    if bias is not None:
        out = out + bias.reshape(1, out_ch, 1, 1)
    return out.squeeze(0) if unbatched else out


class Conv2dStride1(Function):
    """x (N, C, H, W) correlated with w (C_out, C, kh, kw) at stride 1 (padding below the
    kernel's size): forward as conv2d above, one product on batch-innermost columns; backward
    dw = g cols^T, and dx the full correlation of g with the flipped kernel (padding k - 1 - p),
    one more convolution where the textbook scatters the columns' gradient back (col2im).
    conv2d sends it 16 input channels or more: with fewer (LeNet's 6) the flipped kernel's
    product is thin, and unfolding g costs more than col2im saves. Output (N, C_out, H', W')
    lying (C_out, H', W', N). A higher order goes through the textbook's graph."""

    layout = "keep"

    def forward(self, x: Any, w: Any, *, padding: Pair) -> Any:
        xp, (n, c, h, wd), (out_ch, _, kh, kw) = self.xp, x.shape, w.shape
        self.save_for_backward(x, w)
        self.padding = padding
        oh, ow = h + 2 * padding[0] - kh + 1, wd + 2 * padding[1] - kw + 1
        cols = unfold(make_tensor(x, self.inputs[0].device), (kh, kw), padding=padding)._data
        self.cols = xp.reshape(xp.permute_dims(cols, (1, 2, 0)), (c * kh * kw, oh * ow * n))
        out = xp.matmul(xp.reshape(w, (out_ch, c * kh * kw)), self.cols)
        return xp.permute_dims(xp.reshape(out, (out_ch, oh, ow, n)), (3, 0, 1, 2))

    # out = w * x (correlation):  dw = g * x (correlation over the batch),  dx = g (*) flip(w)
    def backward(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        x, w = self.inputs
        if is_grad_enabled():  # create_graph: the textbook's graph, differentiable
            out = F.conv2d.textbook(x, w, None, 1, self.padding)  # type: ignore[attr-defined]
            wanted = [t for t, need in zip(self.inputs, self.needs_input_grad) if need]
            found = iter(autograd_grad(out, wanted, g, create_graph=True))
            return tuple(next(found) if need else None  # type: ignore[return-value]
                         for need in self.needs_input_grad)
        (kh, kw), (ph, pw) = w.shape[2:], self.padding
        dx = dw = None
        if self.needs_input_grad[1]:
            dw = self.weight_grad(g)
        if self.needs_input_grad[0]:
            kernels = w.flip((2, 3)).transpose(0, 1)  # (C, C_out, kh, kw), turned 180 degrees
            dx = F.conv2d(g, kernels, padding=(kh - 1 - ph, kw - 1 - pw))
        return dx, dw

    def weight_grad(self, g: Tensor) -> Tensor:
        """dw = g cols^T: (C_out, H'*W'*N) @ (H'*W'*N, C*kh*kw), reshaped as the weight."""
        w = self.inputs[1]
        rows = g.permute(1, 2, 3, 0).reshape(w.shape[0], -1)  # free if g lies batch innermost
        return (rows @ make_tensor(self.cols, g.device).t()).reshape(w.shape)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """F.conv_transpose2d as one product per group on (C_in, H*W*N) images, its columns
    (K, L, N) as the batch-innermost fold takes them."""
    x, unbatched = F.checks.batched(input, "conv_transpose2d")
    window, p, op, full = F.checks.conv_transpose2d_arguments(x, weight, bias, stride, padding,
                                                        output_padding, groups, dilation)
    n, c_in, h, w = x.shape
    _, c_out_group, kh, kw = weight.shape
    xs = x.permute(1, 2, 3, 0).reshape(groups, c_in // groups, h * w * n)
    kernels = weight.reshape(groups, c_in // groups, c_out_group * kh * kw).transpose(1, 2)
    cols = (kernels @ xs).reshape(groups * c_out_group * kh * kw, h * w, n).permute(2, 0, 1)
    out = F.fold(cols, full, *window)
    out = F.pad(out, (-p[1], op[1] - p[1], -p[0], op[0] - p[0]))
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out.squeeze(0) if unbatched else out


# ---- pooling as blocks and separable products ----------------------------------------------------
def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """F.avg_pool2d without unfold: windows that tile the image (stride = kernel, no padding,
    sizes divisible: LeNet's) are blocks, a reshape and a sum; any other geometry is two small
    averaging products, A_h @ x @ A_w^T."""
    if not input.dtype.is_floating_point:  # integer averages: the textbook's truncation
        return F.avg_pool2d.textbook(  # type: ignore[attr-defined]  # set by @fast_path
            input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    x, unbatched = F.checks.pool_batched(input, "avg_pool2d")
    window = F.checks.pool_arguments(x, "avg_pool2d", kernel_size, stride, padding, 1,
                                     ceil_mode, divisor_override)
    oh, ow = output_size(x.shape[2:], *window, ceil_mode=ceil_mode)
    k, _, p, s = window
    n, c, h, w = x.shape
    if s == k and p == (0, 0) and h % k[0] == 0 and w % k[1] == 0:
        blocks = x.permute(1, 2, 3, 0).reshape(c * oh, k[0], ow, k[1], n)
        out = blocks.sum((1, 3)) / (divisor_override or k[0] * k[1])
        out = out.reshape(c, oh, ow, n).permute(3, 0, 1, 2)
        return out.squeeze(0) if unbatched else out
    count = divisor_override is None
    rows, cols = (_window_weights(x, o, size, ki, si, pi, count_include_pad, count)
                  for o, size, ki, si, pi in zip((oh, ow), (h, w), k, s, p))
    out = _separable(x, rows, cols)
    if divisor_override is not None:
        out = out / divisor_override
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:
    """F.adaptive_avg_pool2d as two small averaging products, A_h @ x @ A_w^T."""
    x, unbatched = F.checks.batched(input, "adaptive_avg_pool2d")
    h, w = x.shape[2:]
    oh, ow = F.checks.adaptive_arguments(input, output_size)
    out = _separable(x, _adaptive_weights(x, h, oh), _adaptive_weights(x, w, ow))
    return out.squeeze(0) if unbatched else out


def _window_weights(x: Tensor, out: int, size: int, k: int, s: int, p: int,
                    include_pad: bool, average: bool) -> Tensor:
    """(out, size) on x's device: row i is 1/len over window i's pixels (or 1 when not
    ``average``), with PyTorch's len: the window clipped to the padded input, or to the input
    itself."""
    xp, dt = x.backend.xp, x.backend.dtype(x.dtype)
    start = xp.reshape(xp.arange(out), (out, 1)) * s - p
    end = xp.minimum(start + k, xp.asarray(size + p, dtype=start.dtype))  # never past padding
    first = xp.maximum(start, xp.asarray(0, dtype=start.dtype))
    last = xp.minimum(end, xp.asarray(size, dtype=start.dtype))
    length = xp.astype((end - start) if include_pad else (last - first), dt)
    return _band(x, size, first, last, 1.0 / length if average else xp.ones_like(length))


def _adaptive_weights(x: Tensor, size: int, out: int) -> Tensor:
    """(out, size) averaging matrix on x's device: row i averages the pixels
    [floor(i*size/out), ceil((i+1)*size/out))."""
    xp = x.backend.xp
    i = xp.reshape(xp.arange(out), (out, 1))
    start, end = (i * size) // out, -((-(i + 1) * size) // out)
    return _band(x, size, start, end, 1.0 / xp.astype(end - start, x.backend.dtype(x.dtype)))


def _band(x: Tensor, size: int, first: Any, last: Any, value: Any) -> Tensor:
    """(rows, size) on x's device: row i holds value[i] on pixels [first[i], last[i]), 0
    elsewhere. Built with the backend's own ops, so nothing crosses from the host."""
    xp = x.backend.xp
    pixel = xp.reshape(xp.arange(size), (1, size))
    inside = (pixel >= first) & (pixel < last)
    return make_tensor(xp.where(inside, value, xp.zeros((), dtype=x.backend.dtype(x.dtype))),
                       x.device)


def _separable(x: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
    """rows @ x @ cols^T for every image and channel: (OH, H) and (OW, W) weights on
    (N, C, H, W) give (N, C, OH, OW), computed batch innermost: the images as (C, H, W*N) (a
    free view of a convolution's output) take two products with long rows, and the result
    lies (C, OH, OW, N) for the next convolution."""
    n, c, h, w = x.shape
    oh, ow = rows.shape[0], cols.shape[0]
    image = x.permute(1, 2, 3, 0).reshape(c, h, w * n)
    image = (rows @ image).reshape(c * oh, w, n)  # rows averaged: (C, OH, W*N)
    image = cols @ image  # then columns: (C*OH, OW, N)
    return image.reshape(c, oh, ow, n).permute(3, 0, 1, 2)


# ---- max pooling over tiles ------------------------------------------------------------------
def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """F.max_pool2d as ``MaxPoolTiles`` where the windows tile the image (stride = kernel, no
    padding or dilation, sizes divisible) and only the values are asked for; else the
    textbook."""
    x, unbatched = F.checks.pool_batched(input, "max_pool2d")
    window = F.checks.pool_arguments(x, "max_pool2d", kernel_size, stride, padding, dilation,
                                     ceil_mode)
    k, d, p, s = window
    if return_indices or not x.dtype.is_floating_point or s != k or p != (0, 0) or \
            d != (1, 1) or x.shape[2] % k[0] or x.shape[3] % k[1] or x.numel() == 0:
        return F.max_pool2d.textbook(  # type: ignore[attr-defined]  # set by @fast_path
            input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    out = MaxPoolTiles.apply(x, kernel_size=k)
    return out.squeeze(0) if unbatched else out


class MaxPoolTiles(Function):
    """The max of each kh x kw tile of x (N, C, H, W), H and W multiples of the tile: the
    elementwise max of kh*kw strided slices of the batch-innermost image, (N, C, H/kh, W/kw)
    lying (C, H', W', N). NaN wins, as torch's; the gradient goes to the first offset holding
    the max (or the first NaN), as the textbook's max over the window."""

    layout = "keep"

    def tiles(self, x: Any) -> Any:
        """x (N, C, H, W) as (C, H', kh, W', kw, N): a view when x lies batch innermost."""
        n, c, h, w = x.shape
        kh, kw = self.kernel_size
        return self.xp.reshape(self.xp.permute_dims(x, (1, 2, 3, 0)),
                               (c, h // kh, kh, w // kw, kw, n))

    def forward(self, x: Any, *, kernel_size: Pair) -> Any:
        self.save_for_backward(x)
        self.kernel_size = kernel_size
        tiles = self.tiles(x)
        kh, kw = kernel_size
        best = self.xp.asarray(tiles[:, :, 0, :, 0, :], copy=True)  # (1x1 tiles: not a view)
        for k in range(1, kh * kw):
            best = self.xp.maximum(best, tiles[:, :, k // kw, :, k % kw, :])  # (NaN propagates)
        return self.xp.permute_dims(best, (3, 0, 1, 2))

    # the gradient goes to the first offset of each tile that holds its max
    def backward(self, g: Tensor) -> Tensor:
        x = self.inputs[0]
        if is_grad_enabled():  # create_graph: the textbook's graph, differentiable
            out = F.max_pool2d.textbook(x, self.kernel_size)  # type: ignore[attr-defined]
            return cast("Tensor", autograd_grad(out, [x], g, create_graph=True)[0])
        xp = self.xp
        best = xp.permute_dims(self.output._data, (1, 2, 3, 0))  # (C, H', W', N)
        out = self.gradient(self.tiles(x._data), best, xp.permute_dims(g._data, (1, 2, 3, 0)))
        n, c, h, w = x.shape
        return make_tensor(xp.permute_dims(xp.reshape(out, (c, h, w, n)), (3, 0, 1, 2)),
                           g.device)

    def gradient(self, tiles: Any, best: Any, g: Any) -> Any:
        """The gradient on the tiles (C, H', kh, W', kw, N): g (C, H', W', N) at the first
        offset of each tile that holds its max ``best``, +0 at the others."""
        kh, kw = self.kernel_size
        out = self.xp.empty(tiles.shape, dtype=g.dtype)
        found = None
        for k in range(kh * kw):
            part = tiles[:, :, k // kw, :, k % kw, :]
            hit = (part == best) | (part != part)  # (a NaN is the max where there is one)
            if found is None:
                found = hit
            else:
                hit &= ~found
                found |= hit
            out[:, :, k // kw, :, k % kw, :] = self.keep(g, hit)
        return out

    def keep(self, g: Any, mask: Any) -> Any:
        """g where mask holds, else +0."""
        return self.xp.where(mask, g, self.xp.zeros((), dtype=g.dtype))


# ---- batch norm as one op ---------------------------------------------------------------------
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """F.batch_norm as one Function (``BatchNorm``); inputs it does not take (integers, mixed
    dtypes or devices, an empty batch) go to the textbook formula."""
    F.normalization.batch_norm_arguments(input, running_mean, running_var, weight, bias,
                                         training, eps, momentum)
    stats = [] if training else [running_mean, running_var]  # (evaluation: checked present)
    taken = [t for t in (input, weight, bias, *stats) if t is not None]
    if input.numel() == 0 or input.ndim < 2 or not input.dtype.is_floating_point or any(
            t.dtype != input.dtype or t.device != input.device for t in taken):
        return F.batch_norm.textbook(  # type: ignore[attr-defined]  # set by @fast_path
            input, running_mean, running_var, weight, bias, training, momentum, eps)
    out = BatchNorm.apply(*taken, affine=(weight is not None, bias is not None),
                          training=training, eps=eps)
    if training and running_mean is not None and running_var is not None:
        node = out.grad_fn if isinstance(out.grad_fn, BatchNorm) else None
        mean, var = (node.mean, node.var) if node is not None else _batch_stats(input)
        count = input.numel() // input.shape[1]
        with no_grad():  # (as the textbook's update, term by term)
            running_mean.mul_(1 - momentum).add_(make_tensor(mean, input.device) * momentum)
            running_var.mul_(1 - momentum).add_(
                make_tensor(var, input.device) * (count / (count - 1)) * momentum)
    return out


def _batch_stats(x: Tensor) -> tuple[Any, Any]:
    """The batch's mean and biased variance per channel, as arrays (when no node kept them)."""
    xp, a = x.backend.xp, x._data
    axes = (0, *range(2, a.ndim))
    mean = xp.mean(a, axis=axes)
    centred = a - xp.reshape(mean, (1, -1) + (1,) * (a.ndim - 2))
    return mean, xp.mean(centred * centred, axis=axes)


class BatchNorm(Function):
    """(x - mean) / sqrt(var + eps) * weight + bias per channel C of x (N, C, *): the batch's
    mean and biased variance in training, the running ones (the last two inputs) in evaluation.
    Forward: the statistics, then x * scale + shift in place; backward: the closed form
    (torch's native_batch_norm_backward). A higher order goes through the textbook formula."""

    layout = "first"

    def forward(self, x: Any, *rest: Any, affine: tuple[bool, bool], training: bool,
                eps: float) -> Any:
        xp = self.xp
        shape = (1, -1) + (1,) * (x.ndim - 2)  # per channel, broadcast over the rest
        weight = rest[0] if affine[0] else None
        bias = rest[int(affine[0])] if affine[1] else None
        if training:
            axes = (0, *range(2, x.ndim))
            mean = xp.mean(x, axis=axes)
            out = x - xp.reshape(mean, shape)
            var = xp.mean(out * out, axis=axes)  # the biased variance
        else:
            mean, var = rest[-2:]
            out = x - xp.reshape(mean, shape)
        invstd = 1 / xp.sqrt(var + eps)
        out *= xp.reshape(invstd if weight is None else invstd * weight, shape)
        if bias is not None:
            out += xp.reshape(bias, shape)
        self.mean, self.var, self.invstd = mean, var, invstd
        self.affine, self.training, self.eps = affine, training, eps
        self.save_for_backward(x, weight)
        return out

    # xh = (x - mean) invstd;  dbias = sum g;  dweight = sum g xh;
    # in training dx = weight invstd (g - dbias / M - xh dweight / M), in evaluation weight invstd g
    def backward(self, g: Tensor) -> tuple[Tensor | None, ...]:
        if is_grad_enabled():  # create_graph: the formula's own graph, differentiable
            return self.textbook_grads(g)
        xp, x, gd = self.xp, self.inputs[0]._data, g._data
        weight = self.inputs[1]._data if self.affine[0] else None
        shape = (1, -1) + (1,) * (x.ndim - 2)
        axes = (0, *range(2, x.ndim))
        m = x.size // x.shape[1]
        sum_g = xp.sum(gd, axis=axes)
        xh = x - xp.reshape(self.mean, shape)
        xh *= xp.reshape(self.invstd, shape)
        need_weight = self.affine[0] and self.needs_input_grad[1]
        sum_gxh = xp.sum(xh * gd, axis=axes) if self.training or need_weight else None
        scale = self.invstd if weight is None else self.invstd * weight
        dx = None
        if self.needs_input_grad[0]:
            if self.training:  # xh becomes dbias / M + xh dweight / M, then dx
                xh *= xp.reshape(sum_gxh / m, shape)
                xh += xp.reshape(sum_g / m, shape)
                dx = gd - xh
                dx *= xp.reshape(scale, shape)
            else:
                dx = gd * xp.reshape(scale, shape)
        grads = [dx]
        if self.affine[0]:
            grads.append(sum_gxh if need_weight else None)
        if self.affine[1]:
            grads.append(sum_g if self.needs_input_grad[1 + self.affine[0]] else None)
        dev = g.device
        return (*(None if a is None else make_tensor(a, dev) for a in grads),
                *((None, None) if not self.training else ()))

    def textbook_grads(self, g: Tensor) -> tuple[Tensor | None, ...]:
        """The gradients through the textbook formula's graph, recorded (a higher order)."""
        x, *rest = self.inputs
        weight = rest[0] if self.affine[0] else None
        bias = rest[int(self.affine[0])] if self.affine[1] else None
        stats = (None, None) if self.training else rest[-2:]
        out = F.batch_norm.textbook(  # type: ignore[attr-defined]
            x, stats[0], stats[1], weight, bias, self.training, 0.0, self.eps)
        wanted = [t for t, need in zip(self.inputs, self.needs_input_grad) if need]
        found = iter(autograd_grad(out, wanted, g, create_graph=True))
        return tuple(next(found) if need else None for need in self.needs_input_grad)


# ---- fused sigmoid gradient, first-index max ---------------------------------------------------
class Sigmoid(ops.Sigmoid):
    """Sigmoid whose gradient is one op."""

    # d sigmoid(x) = y (1 - y) dx, as one op
    def backward(self, g: Tensor) -> Tensor:
        return SigmoidBackward.apply(g, self.output)


class SigmoidBackward(Function):
    """g y (1 - y), sigmoid's gradient from its output y, in one temporary (torch's
    sigmoid_backward). g has y's shape and dtype (the backward walk sees to it)."""

    layout = "elementwise"

    def forward(self, g: Any, y: Any) -> Any:
        # g's gradient reads y; y's reads g and y
        self.save_for_backward(g if self.needs_input_grad[1] else None, y)
        out = 1 - y
        out *= y
        out *= g
        return out

    # d[g y (1 - y)] = y (1 - y) dg + g (1 - 2y) dy
    def backward(self, gg: Tensor) -> tuple[Tensor | None, Tensor | None]:
        g, y = self.inputs
        return (SigmoidBackward.apply(gg, y) if self.needs_input_grad[0] else None,
                gg * g * (1 - 2 * y) if self.needs_input_grad[1] else None)


def _first_index(reduce: str) -> Any:
    textbook = getattr(ops.reduce, "arg" + reduce).textbook

    def first_index(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """The index of the first max (or min) along a short ``dim`` (16 or fewer), found by
        comparing each slice with the extreme; longer dims and dim=None go to xp's argmax."""
        if dim is None or x.ndim == 0 or x.shape[dim] > 16:
            return textbook(x, dim, keepdim)
        xp, a = x.backend.xp, x._data
        d = ops.promotion.normalize_dim(dim, x.ndim)
        best = getattr(xp, reduce)(a, axis=d, keepdims=True)
        index = xp.zeros(best.shape, dtype=x.backend.dtype(dtypes.int64))
        for j in reversed(range(a.shape[d])):  # the first of a tie (or NaN) wins, as torch
            s = a[(slice(None),) * d + (slice(j, j + 1), ...)]
            index = xp.where((s == best) | (s != s), j, index)
        return make_tensor(index if keepdim else xp.squeeze(index, axis=d), x.device)

    return first_index


TABLE: dict[Any, Any] = {
    ops.Unfold: Unfold, ops.Fold: Fold, ops.Sigmoid: Sigmoid,
    F.conv2d: conv2d, F.conv_transpose2d: conv_transpose2d, F.avg_pool2d: avg_pool2d,
    F.adaptive_avg_pool2d: adaptive_avg_pool2d, F.batch_norm: batch_norm,
    F.max_pool2d: max_pool2d,
    ops.reduce.argmax: _first_index("max"), ops.reduce.argmin: _first_index("min"),
}
