"""Reference math written from the definitions, in float64 NumPy loops (not our code paths)."""

from __future__ import annotations

import numpy as np


def out_size(n: int, k: int, d: int, p: int, s: int) -> int:
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def unfold(x: np.ndarray, kernel_size: tuple, dilation: tuple, padding: tuple,
           stride: tuple) -> np.ndarray:
    """Column (c, i, j) at block (oy, ox) holds x[c, oy*s + i*d - p, ox*s + j*d - p] (0 outside)."""
    n, c, h, w = x.shape
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
    oh, ow = out_size(h, kh, dh, ph, sh), out_size(w, kw, dw, pw, sw)
    out = np.zeros((n, c * kh * kw, oh * ow))
    for b in range(n):
        for ch in range(c):
            for i in range(kh):
                for j in range(kw):
                    for oy in range(oh):
                        for ox in range(ow):
                            y, xx = oy * sh + i * dh - ph, ox * sw + j * dw - pw
                            if 0 <= y < h and 0 <= xx < w:
                                out[b, (ch * kh + i) * kw + j, oy * ow + ox] = x[b, ch, y, xx]
    return out


def fold(cols: np.ndarray, output_size: tuple, kernel_size: tuple, dilation: tuple,
         padding: tuple, stride: tuple) -> np.ndarray:
    """Each column entry is added to the pixel it was read from by ``unfold``."""
    (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (
        output_size, kernel_size, dilation, padding, stride)
    n, c = cols.shape[0], cols.shape[1] // (kh * kw)
    oh, ow = out_size(h, kh, dh, ph, sh), out_size(w, kw, dw, pw, sw)
    out = np.zeros((n, c, h, w))
    for b in range(n):
        for ch in range(c):
            for i in range(kh):
                for j in range(kw):
                    for oy in range(oh):
                        for ox in range(ow):
                            y, xx = oy * sh + i * dh - ph, ox * sw + j * dw - pw
                            if 0 <= y < h and 0 <= xx < w:
                                out[b, ch, y, xx] += cols[b, (ch * kh + i) * kw + j, oy * ow + ox]
    return out


def pad(x: np.ndarray, widths: list[int], mode: str, value: float = 0.0) -> np.ndarray:
    """torch.nn.functional.pad through np.pad (negative constant widths crop first)."""
    pairs = [(0, 0)] * (x.ndim - len(widths) // 2) + [
        (widths[2 * i], widths[2 * i + 1]) for i in reversed(range(len(widths) // 2))]
    crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(x.shape, pairs))
    x = x[crop]
    grow = [(max(b, 0), max(a, 0)) for b, a in pairs]
    np_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
               "circular": "wrap"}[mode]
    kwargs = {"constant_values": value} if mode == "constant" else {}
    return np.pad(x, grow, mode=np_mode, **kwargs)


def softmax(x: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))
