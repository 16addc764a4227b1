"""The NumPy backend (device ``"cpu"``): the generic Array API hooks plus NumPy fast paths."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import Any

import numpy as np

from minigrad import dtypes
from minigrad.backends import Backend


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

    def im2col(self, x: np.ndarray, kernel_size: tuple[int, int], dilation: tuple[int, int],
               padding: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
        """A strided view of every window (no copy), then one copy into the column layout."""
        (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
        if ph or pw:
            x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        n, c = x.shape[:2]
        windows = np.lib.stride_tricks.sliding_window_view(
            x, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3))
        windows = windows[:, :, ::sh, ::sw, ::dh, ::dw]  # (N, C, oh, ow, kh, kw)
        oh, ow = windows.shape[2:4]
        # Copied once, into memory ordered (C, kh, kw, N, oh, ow), and returned as an
        # (N, C*kh*kw, L) view of it: conv2d's (C*kh*kw, N*L) matrix is then a free reshape.
        cols = np.empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
        cols[...] = windows.transpose(1, 4, 5, 0, 2, 3)
        return cols.reshape(c * kh * kw, n, oh * ow).transpose(1, 0, 2)

    def col2im(self, cols: np.ndarray, output_size: tuple[int, int],
               kernel_size: tuple[int, int], dilation: tuple[int, int],
               padding: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
        """The generic loop over kernel offsets, adding in place (no temporaries)."""
        (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (
            output_size, kernel_size, dilation, padding, stride)
        n, c, l_ = cols.shape[0], cols.shape[1] // (kh * kw), cols.shape[2]
        oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        ow = l_ // oh
        blocks = cols.reshape(n, c, kh, kw, oh, ow)
        if (sh, sw) == (kh, kw) and (dh, dw) == (1, 1) and (h, w) == (oh * kh, ow * kw) and not (
                ph or pw):  # the blocks tile the image (LeNet's pooling): no sums, one copy
            return blocks.transpose(0, 1, 4, 2, 5, 3).reshape(n, c, h, w)
        # Sum in the order the columns lie in memory: conv2d's gradient arrives channel-major
        # (C*kh*kw, N, L), so the image is built as (C, N, H, W) and returned as a view.
        channel_major = cols.strides[1] > cols.strides[0]
        if channel_major:
            blocks = blocks.transpose(1, 0, 2, 3, 4, 5)
        out = np.zeros(blocks.shape[:2] + (h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                out[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                    j * dw:j * dw + sw * (ow - 1) + 1:sw] += blocks[:, :, i, j]
        out = out[:, :, ph:ph + h, pw:pw + w]
        return out.transpose(1, 0, 2, 3) if channel_major else out

    def index_add(self, shape: tuple[int, ...], key: tuple, values: np.ndarray) -> np.ndarray:
        """A true scatter-add (np.add.at)."""
        out = np.zeros(shape, dtype=values.dtype)
        np.add.at(out, key, values)
        return out
