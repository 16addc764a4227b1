"""The NumPy backend (device ``"cpu"``): the generic Array API hooks plus NumPy fast paths."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import Any

import numpy as np

from minigrad import dtypes
from minigrad.backends import Backend, conv_output_size


def keep_freed_memory(mmap_threshold: int = 32 << 20, trim_threshold: int = 512 << 20) -> bool:
    """Ask glibc's malloc to keep freed blocks for reuse instead of returning them to the OS.

    By default glibc serves large arrays with mmap and unmaps them when freed, so every
    training step page-faults its temporaries back in (a NumPy LeNet step spends a third of
    its time there). Serving blocks up to ``mmap_threshold`` from the heap and trimming it only
    above ``trim_threshold`` keeps them warm. Process-wide; Linux/glibc only; set
    MINIGRAD_MALLOC_TUNING=0 to leave malloc alone. Returns whether it was applied.
    """
    if os.environ.get("MINIGRAD_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith(
            "linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
        return bool(libc.mallopt(m_mmap_threshold, mmap_threshold)) and bool(
            libc.mallopt(m_trim_threshold, trim_threshold))
    except (OSError, AttributeError):  # not glibc (musl, ...): nothing to tune
        return False


_CHUNK = 4096  # terms per chunk of a long thin product (see NumpyBackend.matmul)
_BY_NUMPY = {np.dtype(d.name): d for d in dtypes.ALL}
_TO_NUMPY = {d: n for n, d in _BY_NUMPY.items()}


class NumpyBackend(Backend):
    """NumPy on the host; the default backend, always available."""

    name = "cpu"

    def _load(self) -> Any:
        self.malloc_tuned = keep_freed_memory()
        return np

    def from_numpy(self, a: np.ndarray) -> np.ndarray:
        """The array itself (shared, as torch.from_numpy)."""
        return a  # shared, as torch.from_numpy

    def to_numpy(self, a: np.ndarray) -> np.ndarray:
        """The array itself."""
        return a

    def has_dtype(self, d: dtypes.dtype) -> bool:
        """NumPy has every minigrad dtype."""
        return True

    def dtype(self, d: dtypes.dtype) -> Any:
        """The NumPy dtype of a minigrad dtype."""
        return _TO_NUMPY[d]

    def dtype_of(self, a: np.ndarray) -> dtypes.dtype:
        """The minigrad dtype of an array."""
        found = _BY_NUMPY.get(a.dtype)  # a dict lookup: this runs for every op
        return found if found is not None else dtypes.BY_NAME[a.dtype.name]  # e.g. big-endian

    def getitem(self, x: np.ndarray, key: tuple) -> np.ndarray:
        """NumPy's own indexing."""
        return x[key]

    def matmul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """np.matmul, with the long thin products of weight gradients arranged the way
        OpenBLAS is fastest (the same sums in another order: equal up to rounding).

        A weight gradient sums over a long inner dimension k (N*L for a convolution) into a
        small (m, n) result. When m*n is tiny (conv1 of LeNet: 6 x 25) OpenBLAS runs chunks of
        4096 terms through its small-matrix kernel 2-3x faster than the whole length: the
        chunks go as one batched product, then their partial sums are added. Otherwise, when
        the result is wider than tall and k long (k >= 8n), it is faster computed transposed,
        (b^T a^T)^T. Integers, booleans and empty operands go straight to np.matmul.
        """
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

    def batch_innermost(self, x: np.ndarray, padding: tuple[int, int] = (0, 0)) -> np.ndarray:
        """A free view when x already lies (C, H, W, N) and needs no padding (a convolution's
        or pooling's output), so callers only read it; else the generic copy."""
        image = x.transpose(1, 2, 3, 0)
        if padding == (0, 0) and image.flags.c_contiguous:
            return image
        return super().batch_innermost(x, padding)

    def col2im(self, cols: np.ndarray, output_size: tuple[int, int],
               kernel_size: tuple[int, int], dilation: tuple[int, int],
               padding: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
        """The generic loop over kernel offsets, adding in place (no temporaries)."""
        (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (
            output_size, kernel_size, dilation, padding, stride)
        n, c = cols.shape[0], cols.shape[1] // (kh * kw)
        oh, ow = conv_output_size((h, w), kernel_size, dilation, padding, stride)
        blocks = cols.transpose(1, 2, 0).reshape(c, kh, kw, oh, ow, n)
        if (sh, sw) == (kh, kw) and (dh, dw) == (1, 1) and (h, w) == (oh * kh, ow * kw) and not (
                ph or pw):  # the blocks tile the image (pooling): no sums, one copy
            image = blocks.transpose(0, 3, 1, 4, 2, 5).reshape(c, h, w, n)
            return image.transpose(3, 0, 1, 2)
        out = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                target = out[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                             j * dw:j * dw + sw * (ow - 1) + 1:sw]
                np.add(target, blocks[:, i, j], out=target)  # (out[...] += would copy back)
        return out[:, ph:ph + h, pw:pw + w].transpose(3, 0, 1, 2)

    def index_add(self, shape: tuple[int, ...], key: tuple, values: np.ndarray) -> np.ndarray:
        """A true scatter-add (np.add.at)."""
        out = np.zeros(shape, dtype=values.dtype)
        np.add.at(out, key, values)
        return out
