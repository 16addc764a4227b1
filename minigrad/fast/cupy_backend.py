"""The CuPy backend's fast paths: the generic ones, with im2col and col2im as one kernel each.

The generic batch-innermost ``Unfold`` and ``Fold`` (``generic.py``) copy or add one strided
slice per kernel offset: kh*kw launches (and, for fold, kh*kw temporaries) per call, which on
a GPU costs more than the copying itself. Here each is one CuPy ``ElementwiseKernel`` with one
thread per output element, writing the same values into the same batch-innermost layout:

* **im2col** (``IM2COL``): each entry of the columns, laid out (C, kh, kw, oh, ow, N), copies
  the pixel it stands for, or 0 where its window overhangs the image (the zero padding is never
  built). The image may lie in any layout: it is read through its strides.
* **col2im** (``COL2IM``) as a gather, not a scatter: each pixel of the image, laid out
  (C, H, W, N), sums the column entries that copied it, walking the kernel offsets in the order
  the generic fold adds them. No atomics, so the result is deterministic and equal, bit for
  bit, to the generic path's.

Each kernel's index arithmetic is written a second time in NumPy beside it
(``im2col_index``, ``col2im_index``), so the tests can check it on a machine without a GPU; a
C++ stand-in for ``ElementwiseKernel`` in the tests runs the kernel source itself. CuPy is
never imported here: the kernels are built on first use from the backend's ``xp``. Nothing in
either op goes through the host: the geometry travels as kernel arguments.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from minigrad import ops
from minigrad.fast import generic
from minigrad.ops.unfold import Pair, Window, output_size

# ---- the kernels -------------------------------------------------------------------------------
# ElementwiseKernel(in_params, out_params, operation, name): ``i`` is the output element's
# index, ``out`` the element itself; a ``raw`` array is indexed with a full multi-index
# (``x[at]``, at = {b, c, y, x}), which CuPy resolves through the array's strides.
GEOMETRY = "int64 kh, int64 kw, int64 dh, int64 dw, int64 ph, int64 pw, int64 sh, int64 sw"

IM2COL = (
    "raw T x, int64 n, int64 h, int64 w, int64 oh, int64 ow, " + GEOMETRY,
    "T out",
    """
    // out: the columns in memory order (C, kh, kw, oh, ow, N), batch innermost
    ptrdiff_t t = i;
    const ptrdiff_t b = t % n; t /= n;
    const ptrdiff_t ox = t % ow; t /= ow;
    const ptrdiff_t oy = t % oh; t /= oh;
    const ptrdiff_t kj = t % kw; t /= kw;
    const ptrdiff_t ki = t % kh;
    const ptrdiff_t ci = t / kh;
    // the pixel that kernel offset (ki, kj) of window (oy, ox) reads (padding reads 0)
    const ptrdiff_t iy = oy * sh - ph + ki * dh;
    const ptrdiff_t ix = ox * sw - pw + kj * dw;
    if (0 <= iy && iy < h && 0 <= ix && ix < w) {
        const ptrdiff_t at[4] = {b, ci, iy, ix};
        out = x[at];
    } else {
        out = T(0);
    }
    """,
    "minigrad_im2col",
)

COL2IM = (
    "raw T cols, int64 n, int64 h, int64 w, int64 oh, int64 ow, " + GEOMETRY,
    "T out",
    """
    // out: the image in memory order (C, H, W, N), batch innermost
    ptrdiff_t t = i;
    const ptrdiff_t b = t % n; t /= n;
    const ptrdiff_t px = t % w; t /= w;
    const ptrdiff_t py = t % h;
    const ptrdiff_t ci = t / h;
    // every kernel offset (ki, kj) whose window (oy, ox) read this pixel, in the generic
    // fold's order: oy * sh = py + ph - ki * dh, and the same for x
    T acc = T(0);
    for (ptrdiff_t ki = 0; ki < kh; ++ki) {
        const ptrdiff_t ry = py + ph - ki * dh;
        if (ry < 0 || ry % sh != 0 || ry / sh >= oh) continue;
        for (ptrdiff_t kj = 0; kj < kw; ++kj) {
            const ptrdiff_t rx = px + pw - kj * dw;
            if (rx < 0 || rx % sw != 0 || rx / sw >= ow) continue;
            const ptrdiff_t at[3] = {b, (ci * kh + ki) * kw + kj, (ry / sh) * ow + rx / sw};
            acc = acc + cols[at];
        }
    }
    out = acc;
    """,
    "minigrad_col2im",
)


@functools.cache
def kernel(xp: Any, source: tuple[str, str, str, str]) -> Any:
    """``xp.ElementwiseKernel`` for one of the sources above, built once per namespace (CuPy
    compiles it once per dtype, on first call)."""
    return xp.ElementwiseKernel(*source)


def geometry(window: Window) -> tuple[int, ...]:
    """The window as the kernels take it: kh, kw, dh, dw, ph, pw, sh, sw."""
    return (*window.kernel_size, *window.dilation, *window.padding, *window.stride)


# ---- the same index arithmetic in NumPy (for the tests) --------------------------------------
def im2col_index(shape: tuple[int, int, int, int], window: Window) -> np.ndarray:
    """What IM2COL copies: for each entry of the columns, in their memory order
    (C, kh, kw, oh, ow, N), the flat (N, C, H, W) index of the pixel it copies, or -1 for
    padding. The kernel's lines, on arrays of indices."""
    n, _, h, w = shape
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = window
    oh, ow = output_size((h, w), *window)
    t = np.arange(shape[1] * kh * kw * oh * ow * n)
    b = t % n
    t = t // n
    ox = t % ow
    t = t // ow
    oy = t % oh
    t = t // oh
    kj = t % kw
    t = t // kw
    ki = t % kh
    ci = t // kh
    iy = oy * sh - ph + ki * dh
    ix = ox * sw - pw + kj * dw
    inside = (0 <= iy) & (iy < h) & (0 <= ix) & (ix < w)
    return np.where(inside, ((b * shape[1] + ci) * h + iy) * w + ix, -1)


def col2im_index(shape: tuple[int, int, int, int], window: Window) -> np.ndarray:
    """What COL2IM gathers: for each pixel of an (N, C, H, W) image, in its memory order
    (C, H, W, N), the flat (N, C*kh*kw, L) indices of the column entries it sums, in the order
    they are added, -1 where a kernel offset reads elsewhere: an array (C*H*W*N, kh*kw)."""
    n, c, h, w = shape
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = window
    oh, ow = output_size((h, w), *window)
    t = np.arange(c * h * w * n)[:, None]
    b = t % n
    t = t // n
    px = t % w
    t = t // w
    py = t % h
    ci = t // h
    ki, kj = np.divmod(np.arange(kh * kw), kw)
    ry = py + ph - ki * dh
    rx = px + pw - kj * dw
    reads = ((ry >= 0) & (ry % sh == 0) & (ry // sh < oh)
             & (rx >= 0) & (rx % sw == 0) & (rx // sw < ow))
    row = (ci * kh + ki) * kw + kj
    column = (ry // sh) * ow + rx // sw
    return np.where(reads, (b * (c * kh * kw) + row) * (oh * ow) + column, -1)


# ---- the Functions ------------------------------------------------------------------------------
class Unfold(generic.Unfold):
    """The batch-innermost im2col as one kernel: columns (N, C*kh*kw, L), a view of
    (C*kh*kw, L, N) memory, read from an image in any layout."""

    def forward(self, x: Any, *, kernel_size: Pair, dilation: Pair, padding: Pair,
                stride: Pair) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.window = window = Window(kernel_size, dilation, padding, stride)
        xp = self.xp
        n, c, h, w = x.shape
        kh, kw = kernel_size
        oh, ow = output_size((h, w), *window)
        cols = xp.empty((c * kh * kw, oh * ow, n), dtype=x.dtype)
        if cols.size:
            kernel(xp, IM2COL)(x, n, h, w, oh, ow, *geometry(window), cols)
        return xp.permute_dims(cols, (2, 0, 1))


class Fold(generic.Fold):
    """The batch-innermost col2im as one gathering kernel: an (N, C, H, W) view of
    (C, H, W, N) memory, each pixel the sum of its column entries in the generic order."""

    def col2im(self, cols: Any, size: Pair, kernel_size: Pair, dilation: Pair, padding: Pair,
               stride: Pair) -> Any:
        """One thread per pixel, summing the entries that copied it (no atomics)."""
        xp = self.xp
        window = Window(kernel_size, dilation, padding, stride)
        (h, w), (kh, kw) = size, kernel_size
        oh, ow = output_size((h, w), *window)
        n, c = cols.shape[0], cols.shape[1] // (kh * kw)
        image = xp.empty((c, h, w, n), dtype=cols.dtype)
        if image.size:
            kernel(xp, COL2IM)(cols, n, h, w, oh, ow, *geometry(window), image)
        return xp.permute_dims(image, (3, 0, 1, 2))


TABLE: dict[Any, Any] = {**generic.TABLE, ops.Unfold: Unfold, ops.Fold: Fold}
