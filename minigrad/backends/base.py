"""The backend base class: one array library behind minigrad, and the seam for its fast paths.

A backend is a small object: a ``name`` (the device type, as in ``"cpu"``), its array namespace
``xp`` (NumPy, CuPy, or any Python Array API library), and a few hooks. Ops are written once
against ``xp``; the device of the data picks the backend.

Fast paths: every op has one textbook implementation (a Function in ``minigrad.ops``, a
composite in ``minigrad.nn.functional``). A backend may hold faster versions of some of them in
its ``fast_table`` (``minigrad.fast`` fills the built-in backends' tables): a Function subclass
for a Function class, or a function for a function marked ``@fast_path``. ``Function.apply``
and ``@fast_path`` are the only two places that consult the table, and only while fast paths
are on: ``MINIGRAD_FAST_PATHS=0`` in the environment, or ``fast_paths(False)`` (a call, a
context manager or a decorator), runs the textbook code alone. The tests run both and compare.

What the switch leaves alone: a backend's own implementation of a primitive (NumPy's indexing
and scatter-add in ``getitem``/``index_add``), and process settings made when a library loads
(glibc's malloc kept warm, ``MINIGRAD_MALLOC_TUNING=0``). A graph recorded with fast paths on
keeps its nodes: its backward runs the fast Functions' own backward even if the switch is off
by then. The switch, like grad mode, belongs to the calling thread.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import os
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, cast

import numpy as np

from minigrad.backends import layout, transfers
from minigrad.runtime import dtypes

# ---- the switch for every fast path ---------------------------------------------------------
_OFF = ("0", "false", "off", "no")


class _Switch(threading.local):
    """The calling thread's setting (each thread starts from MINIGRAD_FAST_PATHS)."""

    on = os.environ.get("MINIGRAD_FAST_PATHS", "1").strip().lower() not in _OFF


_switch = fast_switch = _Switch()  # fast_switch.on: read by Function.apply


def fast_paths_enabled() -> bool:
    """Whether backends may run their fast paths (the default; MINIGRAD_FAST_PATHS=0 says no)."""
    return _switch.on


class fast_paths(contextlib.ContextDecorator):  # noqa: N801  (lower case, as set_grad_enabled)
    """Switch fast paths on or off in this thread: ``fast_paths(False)`` as a call switches them
    off for good, ``with fast_paths(False):`` only inside the block, ``@fast_paths(False)`` for
    one function."""

    def __init__(self, enabled: bool = True) -> None:
        self.prev = _switch.on
        self.mode = bool(enabled)
        _switch.on = self.mode

    def __enter__(self) -> None:
        _switch.on = self.mode

    def __exit__(self, *exc: object) -> None:
        _switch.on = self.prev

    def __call__(self, func: Callable) -> Any:  # decorator: the mode applies per call
        _switch.on = self.prev  # undo the switch made by __init__
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with fast_paths(mode):
                return func(*args, **kwargs)

        return wrapper


def fast_path(func: Callable) -> Callable:
    """Mark a textbook function that a backend may replace by a faster one giving the same values.

    While fast paths are on, a call whose first argument (the input tensor) lives on a backend
    with a faster version in its ``fast_table`` runs that version; otherwise ``func`` runs.
    """
    first_name = next(iter(inspect.signature(func).parameters))

    @functools.wraps(func)
    def dispatch(*args: Any, **kwargs: Any) -> Any:
        backend = getattr(args[0] if args else kwargs.get(first_name), "backend", None)
        # the one dispatch line: step in here to land in the backend's twin (minigrad/fast/),
        # or in the textbook function itself while fast paths are off or there is no twin
        return (_switch.on and backend and backend.fast_table.get(dispatch) or func)(
            *args, **kwargs)

    dispatch.textbook = func  # type: ignore[attr-defined]
    return dispatch


class DeviceUnavailableError(RuntimeError):
    """Raised when a tensor is sent to a device whose backend cannot run here."""


class Backend:
    """One array library behind minigrad, written against the Python Array API standard.

    Subclasses set ``name`` and ``_load()`` (which imports the library and returns ``xp``), and
    may override any hook with a faster path. The generic hooks below use only the standard, so
    a new Array API library needs nothing more than a name and a loader.
    """

    name: str = ""
    # False for a backend whose arrays live on an accelerator (CuPy): a copy to or from NumPy
    # is then a host transfer, counted (and maybe refused) by ``transfer_guard``
    is_host = True
    # faster versions of textbook Functions and @fast_path functions, keyed by what they
    # replace; empty for a new backend (textbook code only), filled by minigrad.fast
    fast_table: Mapping[Any, Any] = {}

    def __init__(self) -> None:
        self._xp: Any = None
        self._available: bool | None = None
        self._dtype_tables: tuple[dict, dict] | None = None
        self.reason = ""  # why the backend is unavailable, when it is

    # ---- loading and availability -----------------------------------------------------------
    def _load(self) -> Any:
        raise NotImplementedError

    def is_available(self) -> bool:
        """Whether this backend works here; checked once, never raises (see ``reason``)."""
        if self._available is None:
            try:
                self._xp = self._load()
                self._available = True
            except Exception as e:  # an import error, a missing driver, a failing kernel...
                self._available = False
                self.reason = f"{type(e).__name__}: {e}"
        return self._available

    @functools.cached_property
    def xp(self) -> Any:
        """The array namespace (``numpy``, ``cupy``, ``array_api_strict``...); looked up once,
        then a plain attribute (every op reads it)."""
        if not self.is_available():
            raise DeviceUnavailableError(
                f"the {self.name!r} device is not available: {self.reason}"
            )
        return self._xp

    # ---- host transfers, dtypes, synchronisation ------------------------------------------
    def from_numpy(self, a: np.ndarray) -> Any:
        """Copy (or share, where the library can) a host NumPy array onto this backend."""
        return self.xp.asarray(a)

    def to_numpy(self, a: Any) -> np.ndarray:
        """A host NumPy array with the values of ``a``."""
        return np.from_dlpack(a)

    def to_host(self, a: Any, what: str, category: str = "implicit") -> np.ndarray:
        """``to_numpy(a)``, the way minigrad reads values on the host; from a device it is a
        transfer, which ``transfer_guard`` counts and may refuse. ``what`` names it (``"item"``),
        ``category`` is ``"implicit"``, ``"explicit"`` or ``"internal"`` (backends/transfers.py)."""
        if not self.is_host:
            transfers.record(self.name, what, category, "device-to-host", self._nbytes(a),
                             a.shape)
        return self.to_numpy(a)

    def from_host(self, a: np.ndarray, what: str, category: str = "explicit") -> Any:
        """``from_numpy(a)``, the way minigrad puts host values on a device (counted as
        ``to_host`` is)."""
        if not self.is_host:
            transfers.record(self.name, what, category, "host-to-device", a.nbytes, a.shape)
        return self.from_numpy(a)

    def host_value(self, a: Any, what: str) -> bool | int | float:
        """The value of a one-element array as a Python number, for minigrad's own checks
        (index bounds, ...): from a device an internal transfer, counted."""
        return self.to_host(self.xp.asarray(a), what, "internal").item()  # NumPy: a scalar

    def _nbytes(self, a: Any) -> int:
        nbytes = getattr(a, "nbytes", None)  # array-api-strict has none
        return int(nbytes) if nbytes is not None else math.prod(a.shape) * (
            self.dtype_of(a).itemsize)

    def synchronize(self) -> None:
        """Wait until queued work is done (a no-op on the CPU); benchmarks call it."""

    def check_index(self, index: int) -> None:
        """Raise if arrays cannot be placed on device ``index`` (CuPy's ``"cuda:1"``)."""

    def _dtypes(self) -> tuple[dict, dict]:
        """minigrad dtype -> the library's, and an array's ``.dtype`` -> minigrad dtype (made
        once: ``dtype_of`` runs for every op)."""
        if self._dtype_tables is None:
            xp = self.xp
            to = {d: getattr(xp, d.name) for d in dtypes.ALL if hasattr(xp, d.name)}
            self._dtype_tables = (to, {xp.empty((0,), dtype=v).dtype: d for d, v in to.items()})
        return self._dtype_tables

    def has_dtype(self, d: dtypes.dtype) -> bool:
        """Whether the library has this dtype (array-api-strict has no float16, for example)."""
        return d in self._dtypes()[0]

    def dtype(self, d: dtypes.dtype) -> Any:
        """The library's dtype object for a minigrad dtype."""
        found = self._dtypes()[0].get(d)
        if found is None:
            raise TypeError(f"the {self.name!r} backend has no dtype {d.name}")
        return found

    def dtype_of(self, a: Any) -> dtypes.dtype:
        """The minigrad dtype of an array of this backend."""
        found = self._dtypes()[1].get(a.dtype)
        if found is None:
            raise TypeError(f"unsupported array dtype {a.dtype}")
        return found

    def errstate(self, **kinds: str) -> AbstractContextManager:
        """Within it, NumPy treats floating-point events as given (``over="ignore"``, ...):
        numpy.errstate, for libraries that compute with NumPy (array-api-strict); the others
        (CuPy) never warn, so it does nothing there."""
        return np.errstate(**cast("dict[str, Any]", kinds))

    # ---- indexing ----------------------------------------------------------------------------
    def getitem(self, x: Any, key: tuple) -> Any:
        """``x[key]`` with NumPy's rules for ints, slices, None, ... and integer arrays.

        The Array API allows integer arrays only when every other index is an integer, so
        mixed keys are done in two steps: basic indexing first, then one ``take`` along the
        advanced axes flattened into one.
        """
        xp = self.xp
        key = expand_key(key, x.ndim)
        if not any(_is_array(k) for k in key):
            return x[key]
        # (minigrad.ops.getitem applies ints first, as PyTorch does, so here only arrays are
        # advanced; a stray int is treated as a 0-d array, as NumPy does.)
        adv = [i for i, k in enumerate(key) if _is_array(k) or isinstance(k, int)]
        y = x[tuple(slice(None) if i in adv else k for i, k in enumerate(key))]
        rest = [i for i in range(len(key)) if i not in adv]
        y = xp.permute_dims(y, tuple(adv) + tuple(rest))
        sizes = y.shape[: len(adv)]
        index = xp.broadcast_arrays(*[xp.asarray(key[i], dtype=xp.int64) for i in adv])
        for i, a, n in zip(adv, index, sizes):  # the Array API leaves the others undefined
            check_bounds(self, a, n, sum(k is not None for k in key[:i]))
        flat_index = 0
        for a, n in zip(index, sizes):
            flat_index = flat_index * n + xp.where(a < 0, a + n, a)
        flat = xp.reshape(y, (math.prod(sizes),) + y.shape[len(adv):])
        out = xp.take(flat, xp.reshape(flat_index, (-1,)), axis=0)
        out = xp.reshape(out, index[0].shape + y.shape[len(adv):])
        # Adjacent advanced indices put their result dims where the first of them stood.
        if adv == list(range(adv[0], adv[-1] + 1)) and adv[0] > 0:
            nb, k = index[0].ndim, adv[0]
            perm = [*range(nb, nb + k), *range(nb), *range(nb + k, out.ndim)]
            out = xp.permute_dims(out, tuple(perm))
        return out

    def index_put(self, x: Any, key: tuple, values: Any) -> Any:
        """A copy of x with ``values`` (broadcast to ``x[key]``'s shape) written at ``key``,
        a basic key or one integer array on a 1-D x; of repeated indices the last one wins.

        The Array API writes only through basic indices, so integer positions are scattered
        with a one-hot matrix (as index_add does): fine for teaching and tests; NumPy writes
        with its own indexing.
        """
        xp = self.xp
        out = xp.asarray(x, copy=True)
        key = expand_key(key, x.ndim)
        if not any(_is_array(k) for k in key):
            target = self.getitem(x, key).shape
            basic = tuple(k for k in key if k is not None)
            out[basic] = xp.reshape(xp.broadcast_to(values, target), out[basic].shape)
            return out
        (positions,) = key
        n, k = x.shape[0], positions.shape[0]
        values = xp.broadcast_to(values, (k,))
        writes = xp.reshape(xp.where(positions < 0, positions + n, positions), (k, 1)) == (
            xp.arange(n, dtype=positions.dtype))  # (k, n): which write lands where
        order = xp.reshape(xp.arange(k, dtype=positions.dtype), (k, 1))
        last = xp.max(xp.where(writes, order, -1), axis=0)  # the last write to each element
        return xp.where(last >= 0, xp.take(values, xp.where(last >= 0, last, 0)), out)

    def argsort(self, a: Any, axis: int, descending: bool) -> Any:
        """The indices that sort ``a`` along ``axis``, ties in their original order (int64)."""
        return self.xp.argsort(a, axis=axis, descending=descending, stable=True)

    def shares_memory(self, a: Any, b: Any) -> bool:
        """Whether two arrays may overlap in memory (a reshape that is a view, not a copy).
        Generic: through DLPack on the host; backends whose memory is elsewhere override it."""
        try:
            return bool(np.may_share_memory(np.from_dlpack(a), np.from_dlpack(b)))
        except (TypeError, RuntimeError, BufferError):
            return False

    def index_add(self, shape: tuple[int, ...], key: tuple, values: Any) -> Any:
        """Zeros of ``shape`` with ``values`` added at ``key``; repeated indices accumulate.

        The generic path turns the key into flat positions and adds with a one-hot matrix
        product: O(len(values) * prod(shape)) memory, fine for teaching and tests; NumPy and
        CuPy override it with a true scatter-add.
        """
        xp = self.xp
        key = expand_key(key, len(shape))
        out = xp.zeros(shape, dtype=values.dtype)
        if not any(_is_array(k) for k in key):  # basic indexing: each target at most once
            key = tuple(k for k in key if k is not None)
            out[key] = xp.reshape(values, out[key].shape)
            return out
        n = math.prod(shape)
        positions = self.getitem(xp.reshape(xp.arange(n, dtype=xp.int64), shape), key)
        one_hot = xp.reshape(positions, (-1, 1)) == xp.arange(n, dtype=xp.int64)
        summed = xp.matmul(xp.reshape(values, (1, -1)), xp.astype(one_hot, values.dtype))
        return xp.reshape(summed, shape)

    # ---- memory layouts (backends/layout.py) -----------------------------------------------
    def strides(self, a: Any) -> tuple[int, ...] | None:
        """An array's strides in elements, or None where the library does not say."""
        strides = getattr(a, "strides", None)
        if strides is None:
            try:  # a host library without strides (array-api-strict): through DLPack
                a = np.from_dlpack(a)
            except (TypeError, RuntimeError, BufferError, AttributeError):
                return None
            strides = a.strides
        size = a.dtype.itemsize
        return tuple(s // size for s in strides)

    def is_contiguous(self, a: Any) -> bool:
        """Whether ``a`` lies row-major in memory (PyTorch's rule: dims of size 1 aside)."""
        strides = self.strides(a)
        return strides is None or layout.is_contiguous(a.shape, strides)

    def torch_layout(self, result: Any, kind: str, arrays: list[Any]) -> Any:
        """``result`` (an op's output, not a view) laid out as PyTorch lays out that op's:
        ``"elementwise"`` in TensorIterator's order of the input ``arrays``, ``"first"`` in the
        order of the first input alone, ``"contiguous"`` row-major, ``"keep"`` as it is."""
        if kind == "keep":
            return result
        strides = self.strides(result)
        if strides is None:
            return result
        shape = tuple(result.shape)
        if kind == "contiguous":
            return result if layout.is_contiguous(shape, strides) else layout.relaid(
                self.xp, result, list(reversed(range(len(shape)))))
        operands = arrays[:1] if kind == "first" else arrays
        seen = [(a.shape, self.strides(a)) for a in operands]
        if layout.is_contiguous(shape, strides) and all(
                s is not None and layout.is_contiguous(n, s) for n, s in seen):
            return result
        perm = layout.iterator_order(shape, [layout.broadcast_strides(n, s, shape)
                                             for n, s in seen if s is not None])
        if layout.same_layout(shape, strides, layout.strides_in_order(shape, perm)):
            return result
        return layout.relaid(self.xp, result, perm)

    def index_layout(self, out: Any, x: Any, key: tuple) -> Any:
        """``x[key]``'s result (advanced indexing: a copy) laid out as PyTorch lays it out:
        in TensorIterator's order of the restrided source and the index arrays."""
        if sum(n > 1 for n in out.shape) < 2:  # (one long dim at most: one layout)
            return out
        strides, out_strides = self.strides(x), self.strides(out)
        if strides is None or out_strides is None:
            return out
        arrays = [k for k in key if hasattr(k, "shape")]
        common = tuple(np.broadcast_shapes(*(tuple(a.shape) for a in arrays)))
        shape = tuple(out.shape)
        operands = layout.index_operands(tuple(x.shape), strides, key, shape, [
            layout.broadcast_strides(a.shape, cast("tuple[int, ...]", self.strides(a)), common)
            for a in arrays])  # (x's library gave x's strides: it gives the indices' too)
        perm = (list(reversed(range(len(shape)))) if operands is None
                else layout.iterator_order(shape, operands))
        if layout.same_layout(shape, out_strides, layout.strides_in_order(shape, perm)):
            return out
        return layout.relaid(self.xp, out, perm)

    def grad_layout(self, g: Any, like: Any | None) -> Any:
        """A copy of the gradient ``g`` laid out as torch lays out ``.grad``: as the leaf's
        array ``like`` where that is dense without overlap, else row-major."""
        shape = tuple(g.shape)
        perm = list(reversed(range(len(shape))))
        strides = None if like is None else self.strides(like)
        if strides is not None and layout.is_dense(shape, strides):
            perm = layout.iterator_order(shape, [strides])
        return layout.relaid(self.xp, g, perm)

    def overlap(self, a: Any, b: Any) -> str | None:
        """How the memory of two arrays overlaps: ``"full"`` (the same elements in the same
        places), ``"partial"``, or None (apart, or too hard to tell: either has gaps or
        shared elements), as PyTorch's in-place checks ask."""
        if a is b:
            return "full"
        sa, sb = self.strides(a), self.strides(b)
        if (0 in a.shape or 0 in b.shape or sa is None or sb is None
                or not layout.is_dense(a.shape, sa) or not layout.is_dense(b.shape, sb)
                or not self.shares_memory(a, b)):
            return None
        if (tuple(a.shape) == tuple(b.shape) and self.address(a) == self.address(b)
                and layout.significant_strides(a.shape, sa)
                == layout.significant_strides(b.shape, sb)):
            return "full"
        return "partial"

    def address(self, a: Any) -> int | None:
        """Where an array's first element lies in memory (None where unknown)."""
        try:
            return np.from_dlpack(a).__array_interface__["data"][0]
        except (TypeError, RuntimeError, BufferError, AttributeError):
            return None

    def internal_overlap(self, a: Any) -> bool:
        """Whether two of ``a``'s elements are one memory location (a broadcast view)."""
        strides = self.strides(a)
        return strides is not None and layout.internal_overlap(a.shape, strides)

    def broadcast_to(self, a: Any, shape: tuple[int, ...]) -> Any:
        """A view of ``a`` broadcast to ``shape`` that can be written through (as
        ``Tensor.expand``'s, whose single elements may be written)."""
        return self.xp.broadcast_to(a, shape)

    # ---- the seam ---------------------------------------------------------------------------
    def faster(self, what: Any) -> Any:
        """The faster version of a Function class or ``@fast_path`` function, or None (while fast
        paths are off, or where this backend has none)."""
        return self.fast_table.get(what) if _switch.on else None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def check_bounds(backend: Backend, index: Any, n: int, dim: int) -> None:
    """torch's IndexError for an index array with a value outside [-n, n) (a look at the values
    on the host: CuPy would wrap them around, other libraries do as they please)."""
    if index.size == 0:
        return
    xp = backend.xp
    lo = int(backend.host_value(xp.min(index), "index bounds"))
    hi = int(backend.host_value(xp.max(index), "index bounds"))
    if lo < -n or hi >= n:
        raise IndexError(f"index {hi if hi >= n else lo} is out of bounds for dimension {dim} "
                         f"with size {n}")


def _is_array(k: Any) -> bool:
    return hasattr(k, "shape") and hasattr(k, "dtype")


def expand_key(key: Any, ndim: int) -> tuple:
    """An index as a tuple naming every axis: the Ellipsis expanded, missing axes as ``:``."""
    if not isinstance(key, tuple):
        key = (key,)
    ellipses = [i for i, k in enumerate(key) if k is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    fill = (slice(None),) * (ndim - used)
    if ellipses:
        i = ellipses[0]
        return key[:i] + fill + key[i + 1:]
    return key + fill
