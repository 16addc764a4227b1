"""Reference math written from the definitions, in float64 NumPy loops (not our code paths)."""

from __future__ import annotations

import numpy as np


def out_size(n: int, k: int, d: int, p: int, s: int) -> int:
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def block_entries(size: tuple, kernel_size: tuple, dilation: tuple, padding: tuple,
                  stride: tuple) -> list[tuple[int, int, int, int]]:
    """Every (row, column) of the column matrix that reads an image pixel (y, x), by the
    definition: kernel offset (i, j) of block (oy, ox) reads y = oy*s + i*d - p (likewise x);
    positions in the padding read nothing. Rows count the offsets of one channel."""
    (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (
        size, kernel_size, dilation, padding, stride)
    oh, ow = out_size(h, kh, dh, ph, sh), out_size(w, kw, dw, pw, sw)
    entries = []
    for i in range(kh):
        for j in range(kw):
            for oy in range(oh):
                for ox in range(ow):
                    y, xx = oy * sh + i * dh - ph, ox * sw + j * dw - pw
                    if 0 <= y < h and 0 <= xx < w:
                        entries.append((i * kw + j, oy * ow + ox, y, xx))
    return entries


def unfold(x: np.ndarray, kernel_size: tuple, dilation: tuple, padding: tuple,
           stride: tuple) -> np.ndarray:
    """Column (c, i, j) at block (oy, ox) holds x[c, oy*s + i*d - p, ox*s + j*d - p] (0 outside)."""
    n, c, h, w = x.shape
    kk = kernel_size[0] * kernel_size[1]
    oh, ow = (out_size(*a) for a in zip((h, w), kernel_size, dilation, padding, stride))
    out = np.zeros((n, c, kk, oh * ow))
    for row, col, y, xx in block_entries((h, w), kernel_size, dilation, padding, stride):
        out[:, :, row, col] = x[:, :, y, xx]
    return out.reshape(n, c * kk, oh * ow)


def fold(cols: np.ndarray, output_size: tuple, kernel_size: tuple, dilation: tuple,
         padding: tuple, stride: tuple) -> np.ndarray:
    """Each column entry is added to the pixel it was read from by ``unfold``."""
    kk = kernel_size[0] * kernel_size[1]
    n, c = cols.shape[0], cols.shape[1] // kk
    blocks = cols.reshape(n, c, kk, cols.shape[2])
    out = np.zeros((n, c, *output_size))
    for row, col, y, xx in block_entries(output_size, kernel_size, dilation, padding, stride):
        out[:, :, y, xx] += blocks[:, :, row, col]
    return out


def pad(x: np.ndarray, widths: list[int], mode: str, value: float = 0.0) -> np.ndarray:
    """torch.nn.functional.pad through np.pad: negative widths crop, before padding in
    constant and circular mode, after it in reflect and replicate mode (which read the input
    past the cropped part, as torch's)."""
    pairs = [(0, 0)] * (x.ndim - len(widths) // 2) + [
        (widths[2 * i], widths[2 * i + 1]) for i in reversed(range(len(widths) // 2))]
    grow = [(max(b, 0), max(a, 0)) for b, a in pairs]
    np_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
               "circular": "wrap"}[mode]
    kwargs = {"constant_values": value} if mode == "constant" else {}

    def crop(a: np.ndarray) -> np.ndarray:
        return a[tuple(slice(max(-b, 0), n - max(-e, 0)) for n, (b, e) in zip(a.shape, pairs))]

    if mode in ("constant", "circular"):
        return np.pad(crop(x), grow, mode=np_mode, **kwargs)
    return crop(np.pad(x, grow, mode=np_mode, **kwargs))


def softmax(x: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


# ---- nn: convolution, pooling, normalization, losses, from their definitions ------------------
def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: tuple, pads: tuple,
           dilation: tuple, groups: int, mode: str = "zeros") -> np.ndarray:
    """out[n, o, i, j] = b[o] + sum over the group's channels c and kernel offsets (a, e) of
    w[o, c, a, e] * xpad[n, c, i*s + a*d, j*s + e*d]; ``pads`` = (top, bottom, left, right)."""
    np_mode = {"zeros": "constant", "reflect": "reflect", "replicate": "edge",
               "circular": "wrap"}[mode]
    top, bottom, left, right = pads
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), mode=np_mode)
    n, _, h, wd = xp.shape
    o_ch, cg, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (wd - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o_ch, oh, ow))
    per_group = o_ch // groups
    for o in range(o_ch):
        g = o // per_group
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                           j * sw:j * sw + dw * (kw - 1) + 1:dw]
                out[:, o, i, j] = (patch * w[o]).sum(axis=(1, 2, 3))
        if b is not None:
            out[:, o] += b[o]
    return out


def conv_transpose2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: tuple,
                     padding: tuple, output_padding: tuple, groups: int, dilation: tuple
                     ) -> np.ndarray:
    """Each input pixel scatters x[n, c, i, j] * w[c, o, a, e] to output (i*s + a*d - p,
    j*s + e*d - p) of channel group(c)*C_out/groups + o; output_padding extends the far side."""
    n, c_in, h, wd = x.shape
    _, og, kh, kw = w.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    ow = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    out = np.zeros((n, og * groups, oh, ow))
    per_group = c_in // groups
    for c in range(c_in):
        g = c // per_group
        for i in range(h):
            for j in range(wd):
                for a in range(kh):
                    for e in range(kw):
                        y, xx = i * sh + a * dh - ph, j * sw + e * dw - pw
                        if 0 <= y < oh and 0 <= xx < ow:
                            out[:, g * og:(g + 1) * og, y, xx] += x[:, c, i, j][:, None] * w[c, :,
                                                                                             a, e]
    if b is not None:
        out += b[None, :, None, None]
    return out


def pool_out(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling output size (the formula in the MaxPool2d docs, with its ceil rule)."""
    span = n + 2 * p - d * (k - 1) - 1
    out = -(-span // s) + 1 if ceil_mode else span // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def max_pool2d(x: np.ndarray, k: tuple, s: tuple, p: tuple, d: tuple, ceil_mode: bool
               ) -> np.ndarray:
    """The max over the in-bounds positions of each window (padding never wins)."""
    n, c, h, w = x.shape
    oh, ow = pool_out(h, k[0], s[0], p[0], d[0], ceil_mode), pool_out(w, k[1], s[1], p[1], d[1],
                                                                     ceil_mode)
    out = np.full((n, c, oh, ow), -np.inf)
    for i in range(oh):
        for j in range(ow):
            for a in range(k[0]):
                for e in range(k[1]):
                    y, xx = i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + e * d[1]
                    if 0 <= y < h and 0 <= xx < w:
                        out[:, :, i, j] = np.maximum(out[:, :, i, j], x[:, :, y, xx])
    return out


def avg_pool2d(x: np.ndarray, k: tuple, s: tuple, p: tuple, ceil_mode: bool,
               count_include_pad: bool, divisor_override: int | None) -> np.ndarray:
    """Sum of the in-bounds values over a divisor: the override, else the window clipped to the
    padded input (count_include_pad) or to the input, as the AvgPool2d docs define."""
    n, c, h, w = x.shape
    oh, ow = pool_out(h, k[0], s[0], p[0], 1, ceil_mode), pool_out(w, k[1], s[1], p[1], 1,
                                                                   ceil_mode)
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            y0, x0 = i * s[0] - p[0], j * s[1] - p[1]
            y1, x1 = min(y0 + k[0], h + p[0]), min(x0 + k[1], w + p[1])
            size = (y1 - y0) * (x1 - x0)
            y0, x0, y1, x1 = max(y0, 0), max(x0, 0), min(y1, h), min(x1, w)
            total = x[:, :, y0:y1, x0:x1].sum(axis=(2, 3))
            if divisor_override:
                div = divisor_override
            else:
                div = size if count_include_pad else (y1 - y0) * (x1 - x0)
            out[:, :, i, j] = total / div
    return out


def adaptive_avg_pool2d(x: np.ndarray, oh: int, ow: int) -> np.ndarray:
    """Window i spans [floor(i*H/oh), ceil((i+1)*H/oh))."""
    n, c, h, w = x.shape
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            y0, y1 = (i * h) // oh, -(-((i + 1) * h) // oh)
            x0, x1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            out[:, :, i, j] = x[:, :, y0:y1, x0:x1].mean(axis=(2, 3))
    return out


def batch_norm_train(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float
                     ) -> np.ndarray:
    """Per channel: (x - batch mean) / sqrt(biased batch variance + eps) * weight + bias."""
    axes = (0, *range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    return ((x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * weight.reshape(shape)
            + bias.reshape(shape))


def cross_entropy(logits: np.ndarray, target: np.ndarray, weight: np.ndarray | None,
                  ignore_index: int, reduction: str, label_smoothing: float) -> np.ndarray:
    """Per sample: -sum_c w_c q_c log softmax(x)_c with q = (1 - e) onehot(t) + e / C; the mean
    divides by the summed weights w_t of the kept samples. Class dim 1; targets (N, ...)."""
    c = logits.shape[1]
    logp = np.log(softmax(logits, 1))
    w = np.ones(c) if weight is None else weight
    losses, weights = [], []
    for idx in np.ndindex(*target.shape):
        t = target[idx]
        if t == ignore_index:
            losses.append(0.0)
            weights.append(0.0)
            continue
        lp = logp[(idx[0], slice(None), *idx[1:])]
        q = np.full(c, label_smoothing / c)
        q[t] += 1 - label_smoothing
        # torch: the one-hot part is weighted by w_t, the smoothing part by each w_c
        losses.append(-(1 - label_smoothing) * w[t] * lp[t]
                      - (label_smoothing / c) * (w * lp).sum())
        weights.append(w[t])
    loss = np.array(losses).reshape(target.shape)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return np.array(loss.sum())
    return np.array(loss.sum() / np.sum(weights))
