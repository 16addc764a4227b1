"""Compiled kernels behind the seam, for what NumPy cannot make fast: 3x3 convolutions, and the
masks of ReLU's and max pooling's gradients.

An optional extra (``pip install minigrad[fast]``: numba). Without numba nothing here runs
(``AVAILABLE`` is False) and the NumPy twins do the work; nothing a student reads imports it.
The kernels below are plain Python loops (readable, and steppable in a debugger when
called directly); ``kernel`` hands them to numba on first use.

**Winograd's minimal filtering F(4x4, 3x3)** (Lavin and Gray, "Fast Algorithms for
Convolutional Neural Networks", 2016). A 3x3 correlation of a 6x6 input tile d gives a 4x4
output tile, and

    Y = A^T [ (G w G^T) * (B^T d B) ] A        (* elementwise, over the 6x6 "frequencies")

so a convolution is 36 batched matrix products, (C_out, C_in) @ (C_in, tiles), one per
frequency: 36 multiplies for 16 output pixels (per pair of channels) where unfold + one product
takes 9 * 16 = 144, 4x fewer. The transforms B^T d B and A^T m A are sums with small integer
weights; NumPy would need a dozen passes over memory for each, so they are compiled here (one
pass each, over the batch innermost). The kernel's transform G w G^T is
tiny and stays in NumPy.

Backward: the weight's gradient is the same algebra run backwards, dU = (A dY A^T) V^T summed
over tiles (36 batched products again), dw = G^T dU G; the input's gradient is another
convolution (the flipped kernel, see ``Conv2dStride1``), so it runs through here too.

Threads: the transforms run on one thread, the products on BLAS's. They are compiled as
parallel loops all the same (``prange``): numba then knows the arrays do not overlap and
vectorizes them, 2-4x faster than the plain loop. (On two threads numba's OpenMP workers spin
between kernels and took the cores the next product needed: a 64-channel layer took 62 ms
instead of 37; its "workqueue" pool was no faster than one thread.)

Values: float32 results differ from unfold + product by rounding, about 1e-5 of the largest
output (the transforms' weights go up to 8); float64 to 1e-13.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

AVAILABLE = importlib.util.find_spec("numba") is not None  # (imported on first use: 0.2 s)

# G (6x3): the kernel's transform; the rows of B^T (6x6) and A^T (4x6) are written out in the
# kernels below, as the sums they are.
G = np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
              [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]])
_compiled: dict[str, Any] = {}
prange = range  # the loop over independent jobs: numba.prange once compiled (see kernel)


def kernel(func: Any, parallel: bool = True) -> Any:
    """``func`` compiled by numba (on its first call in this process; the machine code is
    cached on disk, so later processes only load it), run on one thread. ``parallel=False``
    for a kernel with a plain ``range`` loop, which then never wakes numba's thread pool (its
    idle workers spin for a while, taking a core from OpenBLAS's next product)."""
    if func.__name__ not in _compiled:
        import numba

        if not parallel:
            _compiled[func.__name__] = numba.njit(cache=True)(func)
            return _compiled[func.__name__]
        globals()["prange"] = numba.prange  # (read when numba compiles the loops)
        compiled = numba.njit(parallel=True, cache=True)(func)

        def one_thread(*args: Any) -> Any:
            before = numba.get_num_threads()
            numba.set_num_threads(1)  # (this thread's setting only)
            try:
                return compiled(*args)
            finally:
                numba.set_num_threads(before)
        _compiled[func.__name__] = one_thread
    return _compiled[func.__name__]


def weights(dtype: Any) -> np.ndarray:
    """The transforms' integer weights 2, 4, 5, 8 in the arrays' dtype: numba computes float32
    times an integer in float64 (then rounds back), at half the vector width: twice slower."""
    return np.array([2, 4, 5, 8], dtype)


def input_tiles(x: Any, ph: int, pw: int, v: Any, k: Any) -> None:  # pragma: no cover
    """x (C, H, W, N) -> v (36, C, th, tw, N): B^T d B of each 6x6 patch d (stride 4, zero
    past the edges: the padding); k: the transforms' weights (``weights``)."""
    two, four, five = k[0], k[1], k[2]
    c_n, h, w, n_n = x.shape
    th, tw = v.shape[2], v.shape[3]
    for job in prange(c_n * th):
        c, ti = job // th, job % th
        d = np.empty((6, 6, n_n), x.dtype)
        t = np.empty((6, 6, n_n), x.dtype)
        for tj in range(tw):
            for a in range(6):
                r = ti * 4 + a - ph
                for b in range(6):
                    s = tj * 4 + b - pw
                    if 0 <= r < h and 0 <= s < w:
                        for n in range(n_n):
                            d[a, b, n] = x[c, r, s, n]
                    else:
                        for n in range(n_n):
                            d[a, b, n] = 0
            for b in range(6):  # t = B^T d: the rows
                for n in range(n_n):
                    d0, d1, d2 = d[0, b, n], d[1, b, n], d[2, b, n]
                    d3, d4, d5 = d[3, b, n], d[4, b, n], d[5, b, n]
                    t[0, b, n] = four * d0 - five * d2 + d4
                    t[1, b, n] = -four * d1 - four * d2 + d3 + d4
                    t[2, b, n] = four * d1 - four * d2 - d3 + d4
                    t[3, b, n] = -two * d1 - d2 + two * d3 + d4
                    t[4, b, n] = two * d1 - d2 - two * d3 + d4
                    t[5, b, n] = four * d1 - five * d3 + d5
            for a in range(6):  # V = t B: the columns
                for n in range(n_n):
                    d0, d1, d2 = t[a, 0, n], t[a, 1, n], t[a, 2, n]
                    d3, d4, d5 = t[a, 3, n], t[a, 4, n], t[a, 5, n]
                    v[6 * a, c, ti, tj, n] = four * d0 - five * d2 + d4
                    v[6 * a + 1, c, ti, tj, n] = -four * d1 - four * d2 + d3 + d4
                    v[6 * a + 2, c, ti, tj, n] = four * d1 - four * d2 - d3 + d4
                    v[6 * a + 3, c, ti, tj, n] = -two * d1 - d2 + two * d3 + d4
                    v[6 * a + 4, c, ti, tj, n] = two * d1 - d2 - two * d3 + d4
                    v[6 * a + 5, c, ti, tj, n] = four * d1 - five * d3 + d5


def output_tiles(m: Any, y: Any, k: Any) -> None:  # pragma: no cover
    """m (36, O, th, tw, N) -> y (O, oh, ow, N): A^T m A of each tile, the last ones cut to
    the output's size."""
    two, four, eight = k[0], k[1], k[3]
    _, o_n, th, tw, n_n = m.shape
    oh, ow = y.shape[1], y.shape[2]
    for job in prange(o_n * th):
        o, ti = job // th, job % th
        t = np.empty((6, 4, n_n), m.dtype)
        tile = np.empty((4, 4, n_n), m.dtype)
        for tj in range(tw):
            for a in range(6):  # t = m A: the columns
                for n in range(n_n):
                    m0, m1, m2 = m[6 * a, o, ti, tj, n], m[6 * a + 1, o, ti, tj, n], \
                        m[6 * a + 2, o, ti, tj, n]
                    m3, m4, m5 = m[6 * a + 3, o, ti, tj, n], m[6 * a + 4, o, ti, tj, n], \
                        m[6 * a + 5, o, ti, tj, n]
                    t[a, 0, n] = m0 + m1 + m2 + m3 + m4
                    t[a, 1, n] = m1 - m2 + two * m3 - two * m4
                    t[a, 2, n] = m1 + m2 + four * m3 + four * m4
                    t[a, 3, n] = m1 - m2 + eight * m3 - eight * m4 + m5
            for j in range(4):  # the tile = A^T t: the rows
                for n in range(n_n):
                    m0, m1, m2 = t[0, j, n], t[1, j, n], t[2, j, n]
                    m3, m4, m5 = t[3, j, n], t[4, j, n], t[5, j, n]
                    tile[0, j, n] = m0 + m1 + m2 + m3 + m4
                    tile[1, j, n] = m1 - m2 + two * m3 - two * m4
                    tile[2, j, n] = m1 + m2 + four * m3 + four * m4
                    tile[3, j, n] = m1 - m2 + eight * m3 - eight * m4 + m5
            for i in range(min(4, oh - ti * 4)):  # (the last tiles cut to the output)
                for j in range(min(4, ow - tj * 4)):
                    for n in range(n_n):
                        y[o, ti * 4 + i, tj * 4 + j, n] = tile[i, j, n]


def gradient_tiles(g: Any, dm: Any, k: Any) -> None:  # pragma: no cover
    """g (O, oh, ow, N) -> dm (36, O, th, tw, N): A dY A^T of each 4x4 tile of the output's
    gradient (zero past the output's edge), the gradient of M = U V for Y = A^T M A."""
    two, four, eight = k[0], k[1], k[3]
    o_n, oh, ow, n_n = g.shape
    th, tw = dm.shape[2], dm.shape[3]
    for job in prange(o_n * th):
        o, ti = job // th, job % th
        y = np.empty((4, 4, n_n), g.dtype)
        t = np.empty((6, 4, n_n), g.dtype)
        for tj in range(tw):
            for i in range(4):
                r = ti * 4 + i
                for j in range(4):
                    s = tj * 4 + j
                    if r < oh and s < ow:
                        for n in range(n_n):
                            y[i, j, n] = g[o, r, s, n]
                    else:
                        for n in range(n_n):
                            y[i, j, n] = 0
            for j in range(4):  # t = A dY: the rows
                for n in range(n_n):
                    y0, y1, y2, y3 = y[0, j, n], y[1, j, n], y[2, j, n], y[3, j, n]
                    t[0, j, n] = y0
                    t[1, j, n] = y0 + y1 + y2 + y3
                    t[2, j, n] = y0 - y1 + y2 - y3
                    t[3, j, n] = y0 + two * y1 + four * y2 + eight * y3
                    t[4, j, n] = y0 - two * y1 + four * y2 - eight * y3
                    t[5, j, n] = y3
            for a in range(6):  # dM = t A^T: the columns
                for n in range(n_n):
                    y0, y1, y2, y3 = t[a, 0, n], t[a, 1, n], t[a, 2, n], t[a, 3, n]
                    dm[6 * a, o, ti, tj, n] = y0
                    dm[6 * a + 1, o, ti, tj, n] = y0 + y1 + y2 + y3
                    dm[6 * a + 2, o, ti, tj, n] = y0 - y1 + y2 - y3
                    dm[6 * a + 3, o, ti, tj, n] = y0 + two * y1 + four * y2 + eight * y3
                    dm[6 * a + 4, o, ti, tj, n] = y0 - two * y1 + four * y2 - eight * y3
                    dm[6 * a + 5, o, ti, tj, n] = y3


# ---- the gradients of ReLU and of max pooling: one pass instead of a mask and a select ------
# (NumPy needs a comparison, a mask and a select, each a pass over memory, several for pooling's
# first-max search; these read each input once and write the gradient once. Plain loops,
# compiled with parallel=False: as fast here, and they leave numba's thread pool asleep.)
def relu_gradient(g: Any, y: Any, out: Any) -> None:  # pragma: no cover
    """out = +0 where y <= 0, else g (NaN in y passes g), over flat arrays of one dtype."""
    for i in range(g.size):
        out[i] = 0.0 if y[i] <= 0 else g[i]


def tile_max_gradient(tiles: Any, best: Any, g: Any, out: Any) -> None:  # pragma: no cover
    """out (C, H', kh, W', kw, N) = g (C, H', W', N) at the first offset of each tile of
    ``tiles`` (same shape as out) holding its max ``best`` or a NaN, +0 at the others."""
    c_n, h_n, kh, w_n, kw, n_n = tiles.shape
    for c in range(c_n):
        done = np.empty(n_n, np.bool_)  # (which images' tile has had its max found)
        for i in range(h_n):
            for j in range(w_n):
                done[:] = False
                for a in range(kh):
                    for b in range(kw):
                        for n in range(n_n):
                            v = tiles[c, i, a, j, b, n]
                            hit = (v == best[c, i, j, n] or v != v) and not done[n]
                            out[c, i, a, j, b, n] = g[c, i, j, n] if hit else 0.0
                            done[n] = done[n] or hit


def tile_counts(oh: int, ow: int) -> tuple[int, int]:
    """How many 4x4 output tiles cover an oh x ow output."""
    return -(-oh // 4), -(-ow // 4)


def winograd_conv2d(image: np.ndarray, w: np.ndarray, padding: tuple[int, int]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """A stride-1 3x3 correlation of image (C, H, W, N) with w (O, C, 3, 3), zero padding
    ``padding``: the output (O, H', W', N) and the input's tiles V (for the weight's gradient)."""
    c, h, wd, n = image.shape
    o = w.shape[0]
    oh, ow = h + 2 * padding[0] - 2, wd + 2 * padding[1] - 2
    th, tw = tile_counts(oh, ow)
    v = np.empty((36, c, th, tw, n), image.dtype)  # (NumPy's memory: huge pages, where
    kernel(input_tiles)(image, padding[0], padding[1], v,  # numba's own faults every 4 KiB)
                        weights(image.dtype))
    u = np.einsum("ak,ockl,bl->aboc", G, w, G, optimize=True).astype(w.dtype)
    m = np.matmul(u.reshape(36, o, c), v.reshape(36, c, th * tw * n))
    out = np.empty((o, oh, ow, n), image.dtype)
    kernel(output_tiles)(m.reshape(36, o, th, tw, n), out, weights(image.dtype))
    return out, v


def winograd_weight_grad(g: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The weight's gradient (O, C, 3, 3) from the output's gradient g (O, H', W', N) and the
    input's tiles V (36, C, th, tw, N) the forward kept: dU = dM V^T per frequency,
    dw = G^T dU G."""
    _, c, th, tw, n = v.shape
    o = g.shape[0]
    dm = np.empty((36, o, th, tw, n), g.dtype)
    kernel(gradient_tiles)(np.ascontiguousarray(g), dm, weights(g.dtype))
    dm = dm.reshape(36, o, th * tw * n)
    du = np.matmul(dm, v.reshape(36, c, th * tw * n).transpose(0, 2, 1))  # (36, O, C)
    return np.einsum("ak,aboc,bl->ockl", G, du.reshape(6, 6, o, c), G,
                     optimize=True).astype(g.dtype)
