"""The NumPy backend (device ``"cpu"``): NumPy's own indexing and scatter-add, and malloc kept warm.

Its fast paths (BLAS reorderings, in-place col2im, ...) are in ``minigrad/fast/numpy_backend.py``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import Any

import numpy as np

from minigrad.backends.base import Backend
from minigrad.runtime import dtypes


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
        """NumPy's own indexing; an all-integer key gives a 0-d view, not a NumPy scalar."""
        try:
            out = x[key]
        except IndexError as e:  # an index array out of range: in torch's words
            raise IndexError(str(e).replace(" axis ", " dimension ")) from None
        return out if isinstance(out, np.ndarray) else x[key + (Ellipsis,)]

    def index_put(self, x: np.ndarray, key: tuple, values: np.ndarray) -> np.ndarray:
        """NumPy's own indexed assignment, on a copy."""
        out = x.copy()
        out[key] = values
        return out

    def argsort(self, a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
        """np.argsort, stable; descending as the reverse of the reversed array's order (NumPy's
        argsort has no ``descending``), so ties keep their original order."""
        if not descending:
            return np.argsort(a, axis=axis, kind="stable")
        n = a.shape[axis]
        order = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
        return n - 1 - np.flip(order, axis)

    def shares_memory(self, a: np.ndarray, b: np.ndarray) -> bool:
        """np.may_share_memory: whether the two arrays' memory ranges overlap."""
        return bool(np.may_share_memory(a, b))

    def strides(self, a: np.ndarray) -> tuple[int, ...]:
        """The strides in elements."""
        size = a.itemsize
        return tuple(s // size for s in a.strides)

    def is_contiguous(self, a: np.ndarray) -> bool:
        """NumPy's flag (its relaxed strides follow PyTorch's rule)."""
        return a.flags.c_contiguous

    def torch_layout(self, result: np.ndarray, kind: str, arrays: list[Any]) -> np.ndarray:
        """As Backend's, with NumPy's flags for the common cases: row-major asked for, or
        everything row-major (broadcast dims, stride 0, have no say in torch's order)."""
        if kind == "contiguous":
            return np.asarray(result, order="C")  # (itself when it is row-major already)
        if kind == "keep" or result.flags.c_contiguous and (
                all(a.flags.c_contiguous or (kind == "elementwise" and not any(a.strides))
                    for a in arrays)  # (NumPy's flags first: the cheap answer)
                or kind == "elementwise" and all(_row_major(a.strides) for a in arrays)):
            return result
        return super().torch_layout(result, kind, arrays)

    def grad_layout(self, g: np.ndarray, like: np.ndarray | None) -> np.ndarray:
        """As Backend's, with NumPy's flags for the common case: a row-major leaf."""
        if like is None or like.flags.c_contiguous:
            return np.array(g, order="C", copy=True)
        return super().grad_layout(g, like)

    def overlap(self, a: np.ndarray, b: np.ndarray) -> str | None:
        """As Backend's, after NumPy's quick look at the two memory ranges (mostly apart)."""
        return super().overlap(a, b) if np.may_share_memory(a, b) else None

    def internal_overlap(self, a: np.ndarray) -> bool:
        """As Backend's; a row-major array has none (NumPy's flag says so at once)."""
        return not a.flags.c_contiguous and super().internal_overlap(a)

    errstate = staticmethod(np.errstate)  # type: ignore[assignment]  # NumPy's own: Literal kinds

    def address(self, a: np.ndarray) -> int:
        """The address of the first element."""
        return a.__array_interface__["data"][0]

    def broadcast_to(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """A writable broadcast view (np.broadcast_to's is read-only; minigrad refuses writes
        to elements that share memory itself, as torch does)."""
        lead = len(shape) - a.ndim
        strides = (0,) * lead + tuple(0 if n == 1 and m != 1 else s for n, s, m in
                                      zip(a.shape, a.strides, shape[lead:]))
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=a.flags.writeable)

    def index_add(self, shape: tuple[int, ...], key: tuple, values: np.ndarray) -> np.ndarray:
        """A true scatter-add (np.add.at)."""
        out = np.zeros(shape, dtype=values.dtype)
        np.add.at(out, key, values)
        return out


def _row_major(strides: tuple[int, ...]) -> bool:
    """Whether an operand says "row-major" in torch's layout order: its strides, those of
    broadcast dims (0, which have no say) aside, fall from the first dim to the last; dims of
    size 1 too (NumPy's flag ignores them, torch's order does not where another operand is
    broadcast)."""
    kept = [s for s in strides if s]
    return all(outer > inner for outer, inner in zip(kept, kept[1:]))
