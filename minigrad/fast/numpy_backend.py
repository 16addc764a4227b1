"""The NumPy backend's fast paths: the generic ones, plus what only NumPy's strides and
OpenBLAS allow.

* ``MatMul``: the long thin products of weight gradients handed to OpenBLAS in the shapes it is
  fastest at (the same sums in another order: equal up to rounding).
* ``Unfold``: an activation that already lies batch innermost is read in place, not copied.
* ``Fold``: adds in place, and windows that tile the image (pooling's) are one copy, no sums.
* ``Conv2dStride1`` with a 3x3 kernel: Winograd's F(4x4, 3x3) (``compiled.py``), where numba is
  installed (the ``fast`` extra) and the channels are many enough for it to pay.
* ``ReluBackward`` and ``MaxPoolTiles``' gradient: one compiled pass each on large float32/64
  tensors where numba is installed; else ``where(drop, 0, g)`` as a bitwise AND of g's bits
  with a mask (NumPy's ``where`` takes about 4 ns an element, the AND under 0.6: the same
  values, signed zeros and NaN included).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad import ops
from minigrad.autograd import make_tensor
from minigrad.fast import compiled, generic
from minigrad.ops.unfold import Pair, Window, offset_slices, output_size

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

_CHUNK = 4096  # terms per chunk of a long thin product (see MatMul)


class MatMul(ops.MatMul):
    """a @ b, with long thin products reordered for OpenBLAS."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """np.matmul, with the long thin products of weight gradients arranged the way
        OpenBLAS is fastest.

        A weight gradient sums over a long inner dimension k (N*L for a convolution) into a
        small (m, n) result. When m*n is tiny (conv1 of LeNet: 6 x 25) OpenBLAS runs chunks of
        4096 terms through its small-matrix kernel 2-3x faster than the whole length: the
        chunks go as one batched product, then their partial sums are added. Otherwise, when
        the result is wider than tall and k long (k >= 8n), it is faster computed transposed,
        (b^T a^T)^T. Integers, booleans and empty operands go straight to np.matmul.
        """
        self.save_operands(a, b)  # (what the textbook's backward reads)
        if a.ndim < 2 or b.ndim < 2 or not (a.size and b.size) or not (
                a.dtype.kind == b.dtype.kind == "f"):
            return np.matmul(a, b)
        m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
        if m * n <= 256 and k >= 4 * _CHUNK:
            whole, chunks = k // _CHUNK * _CHUNK, k // _CHUNK
            parts = np.matmul(  # (..., chunks, m, n)
                a[..., :whole].reshape(*a.shape[:-1], chunks, _CHUNK).swapaxes(-2, -3),
                b[..., :whole, :].reshape(*b.shape[:-2], chunks, _CHUNK, n))
            out = parts.sum(axis=-3)
            return out + np.matmul(a[..., whole:], b[..., whole:, :]) if whole < k else out
        if m < n and k >= 8 * n:
            return np.matmul(b.swapaxes(-1, -2), a.swapaxes(-1, -2)).swapaxes(-1, -2)
        return np.matmul(a, b)


class Unfold(generic.Unfold):
    """The batch-innermost im2col, reading an image that already lies (C, H, W, N) in place."""

    def batch_innermost(self, x: np.ndarray, padding: Pair) -> np.ndarray:
        """A free view when x already lies (C, H, W, N) and needs no padding (a convolution's
        or pooling's output), so the caller only reads it; else the generic copy."""
        image = x.transpose(1, 2, 3, 0)
        if padding == (0, 0) and image.flags.c_contiguous:
            return image
        return super().batch_innermost(x, padding)


class Fold(generic.Fold):
    """The batch-innermost col2im, adding in place; tiling windows are one copy."""

    def col2im(self, cols: np.ndarray, size: Pair, kernel_size: Pair, dilation: Pair,
               padding: Pair, stride: Pair) -> np.ndarray:
        """The generic loop over kernel offsets, adding in place (no temporaries)."""
        window = Window(kernel_size, dilation, padding, stride)
        (h, w), (kh, kw), (ph, pw) = size, kernel_size, padding
        n, c = cols.shape[0], cols.shape[1] // (kh * kw)
        oh, ow = output_size((h, w), *window)
        blocks = cols.transpose(1, 2, 0).reshape(c, kh, kw, oh, ow, n)
        if stride == kernel_size and dilation == (1, 1) and (h, w) == (oh * kh, ow * kw) and not (
                ph or pw):  # the blocks tile the image (pooling): no sums, one copy
            image = blocks.transpose(0, 3, 1, 4, 2, 5).reshape(c, h, w, n)
            if np.may_share_memory(image, cols):  # a 1x1 kernel: the reshape was free
                image = image.copy()
            return image.transpose(3, 0, 1, 2)
        out = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                rows, columns = offset_slices(i, j, window, (oh, ow))
                target = out[:, rows, columns]
                np.add(target, blocks[:, i, j], out=target)  # (out[...] += would copy back)
        return out[:, ph:ph + h, pw:pw + w].transpose(3, 0, 1, 2)


def keep(g: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """where(drop, +0, g) for a float g, as g's bits AND a mask of all-ones or zeros."""
    bits = np.dtype(f"i{g.dtype.itemsize}")
    mask = np.subtract(drop, bits.type(1), dtype=bits)  # -1 (all ones) keeps, 0 clears
    return np.bitwise_and(g.view(bits), mask).view(g.dtype)


def flat(*arrays: np.ndarray) -> list[np.ndarray] | None:
    """The arrays as 1-D views in their memory order, or None unless they all lie in one
    dense order (row-major, batch innermost, ...), so that entry i of each is the same
    element."""
    order = np.argsort(arrays[0].strides, kind="stable")[::-1]  # (the largest stride first)
    dense = [a.transpose(order) for a in arrays]
    if not all(a.flags.c_contiguous for a in dense):
        return None
    return [a.reshape(-1) for a in dense]


# Below this many elements the NumPy twin's AND takes tens of microseconds and the compiled
# pass buys nothing measurable (beside a 256x256 product, a step was slower with it).
COMPILED_FROM = 2**18


def compiled_pays(a: np.ndarray, *others: np.ndarray) -> bool:
    """Whether a mask's compiled pass runs on ``a``: numba installed, float32 or float64 (the
    others of a's dtype), and at least COMPILED_FROM elements."""
    return compiled.AVAILABLE and a.dtype.char in "fd" and a.size >= COMPILED_FROM and all(
        o.dtype == a.dtype for o in others)


class ReluBackward(ops.elementwise.ReluBackward):
    """relu's gradient, g where y > 0 (or NaN) else +0: compiled (one pass) where numba is
    installed, else with ``keep``; no ``where``."""

    def forward(self, g: np.ndarray, y: np.ndarray) -> np.ndarray:
        if g.dtype != y.dtype or g.dtype.kind != "f" or g.shape != y.shape:
            return super().forward(g, y)
        self.save_for_backward(y if self.needs_input_grad[0] else None)  # (g's reads y)
        if compiled_pays(g):
            out = np.empty_like(g)  # (g's memory order)
            views = flat(g, y, out)
            if views is not None:
                compiled.kernel(compiled.relu_gradient, parallel=False)(*views)
                return out
        return keep(g, y <= 0)


class MaxPoolTiles(generic.MaxPoolTiles):
    """Max pooling over tiles, its gradient compiled (one pass) where numba is installed, else
    written with ``keep``: no ``where``."""

    def gradient(self, tiles: np.ndarray, best: np.ndarray, g: np.ndarray) -> np.ndarray:
        if not compiled_pays(tiles, g):
            return super().gradient(tiles, best, g)
        out = np.empty(tiles.shape, g.dtype)  # (a row-major g is copied batch innermost
        compiled.kernel(compiled.tile_max_gradient, parallel=False)(  # first: one pass,
            tiles, best, np.ascontiguousarray(g), out)  # not four strided)
        return out

    def keep(self, g: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return keep(g, ~mask)


class Conv2dStride1(generic.Conv2dStride1):
    """A stride-1 3x3 convolution through Winograd's F(4x4, 3x3) (compiled transforms, 36
    batched products), its weight's gradient too; other kernels, and all where numba is not
    installed, as the generic twin."""

    tiles: np.ndarray | None = None  # the input's transformed tiles, for the weight's gradient

    def forward(self, x: np.ndarray, w: np.ndarray, *, padding: Pair) -> np.ndarray:
        if not winograd_pays(x, w):
            return super().forward(x, w, padding=padding)
        self.save_for_backward(x, w)
        self.padding = padding
        image = np.ascontiguousarray(x.transpose(1, 2, 3, 0))  # (free when batch innermost)
        out, tiles = compiled.winograd_conv2d(image, w, padding)
        if self.needs_input_grad[1]:
            self.tiles = tiles
        return out.transpose(3, 0, 1, 2)

    def weight_grad(self, g: Tensor) -> Tensor:
        if self.tiles is None:
            return super().weight_grad(g)
        rows = g._data.transpose(1, 2, 3, 0)  # (C_out, H', W', N)
        return make_tensor(compiled.winograd_weight_grad(rows, self.tiles), g.device)


def winograd_pays(x: np.ndarray, w: np.ndarray) -> bool:
    """Whether Winograd runs: numba installed, a 3x3 kernel, float32 or float64, and at least
    8 channels in and out (with fewer the products are too thin for the saving to show)."""
    return compiled.AVAILABLE and w.shape[2:] == (3, 3) and x.dtype == w.dtype and \
        x.dtype.char in "fd" and min(w.shape[:2]) >= 8 and x.size > 0


TABLE: dict[Any, Any] = {**generic.TABLE, ops.MatMul: MatMul, ops.Unfold: Unfold,
                         ops.Fold: Fold, ops.elementwise.ReluBackward: ReluBackward,
                         generic.MaxPoolTiles: MaxPoolTiles,
                         generic.Conv2dStride1: Conv2dStride1}
