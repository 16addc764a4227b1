"""Backends: the array libraries minigrad runs on, a registry of them, and device strings.

A backend is a small object: a ``name`` (the device type, as in ``"cpu"``), its array namespace
``xp`` (NumPy, CuPy, or any Python Array API library), and a few hooks. Ops are written once
against ``xp``; the device of the data picks the backend. This package is the only place that
imports an array library other than NumPy, and it does so lazily.
"""

from __future__ import annotations

import math
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from minigrad import dtypes


class DeviceUnavailableError(RuntimeError):
    """Raised when a tensor is sent to a device whose backend cannot run here."""


class Backend:
    """One array library behind minigrad, written against the Python Array API standard.

    Subclasses set ``name`` and ``_load()`` (which imports the library and returns ``xp``), and
    may override any hook with a faster path. The generic hooks below use only the standard, so
    a new Array API library needs nothing more than a name and a loader.
    """

    name: str = ""

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

    @property
    def xp(self) -> Any:
        """The array namespace (``numpy``, ``cupy``, ``array_api_strict``...)."""
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

    def synchronize(self) -> None:
        """Wait until queued work is done (a no-op on the CPU); benchmarks call it."""

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
        return np.errstate(**kinds)

    # ---- products ----------------------------------------------------------------------------
    def matmul(self, a: Any, b: Any) -> Any:
        """``a @ b`` with NumPy's rules (batched, broadcast, 1-D cases); backends may reorder
        the sums for their BLAS (equal up to rounding)."""
        return self.xp.matmul(a, b)

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

    # ---- im2col / col2im: the primitive under convolution and pooling ---------------------
    # Layout: the columns (N, C*kh*kw, L) are returned as a view of memory ordered
    # (C*kh*kw, L, N), batch innermost, and images come back as (N, C, H, W) views of
    # (C, H, W, N) memory. A convolution is then one matrix product (C_out, K) @ (K, L*N)
    # with no transposition, and (at stride 1) every copy below moves runs of W*N contiguous
    # numbers instead of rows of W (see conv2d). The values are torch's either way.
    def batch_innermost(self, x: Any, padding: tuple[int, int] = (0, 0)) -> Any:
        """An (N, C, H, W) image copied into (C, H + 2*ph, W + 2*pw, N) memory, zero-padded."""
        xp = self.xp
        n, c, h, w = x.shape
        ph, pw = padding
        image = (xp.zeros if ph or pw else xp.empty)((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)
        image[:, ph:ph + h, pw:pw + w, :] = xp.permute_dims(x, (1, 2, 3, 0))
        return image

    def im2col(self, x: Any, kernel_size: tuple[int, int], dilation: tuple[int, int],
               padding: tuple[int, int], stride: tuple[int, int]) -> Any:
        """Sliding blocks of (N, C, H, W) as columns (N, C*kh*kw, L), as torch's unfold.

        One strided slice per kernel offset (kh*kw of them), each copied into its rows:
        portable to any backend.
        """
        xp = self.xp
        n, c, h, w = x.shape
        (kh, kw), (dh, dw), (sh, sw) = kernel_size, dilation, stride
        oh, ow = conv_output_size((h, w), kernel_size, dilation, padding, stride)
        image = self.batch_innermost(x, padding)  # (C, H + 2ph, W + 2pw, N)
        cols = xp.empty((c, kh * kw, oh, ow, n), dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                cols[:, i * kw + j, ...] = image[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                                                 j * dw:j * dw + sw * (ow - 1) + 1:sw, :]
        return xp.permute_dims(xp.reshape(cols, (c * kh * kw, oh * ow, n)), (2, 0, 1))

    def col2im(self, cols: Any, output_size: tuple[int, int], kernel_size: tuple[int, int],
               dilation: tuple[int, int], padding: tuple[int, int],
               stride: tuple[int, int]) -> Any:
        """Sum columns (N, C*kh*kw, L) back into an image (N, C, H, W), as torch's fold."""
        xp = self.xp
        (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (
            output_size, kernel_size, dilation, padding, stride)
        oh, ow = conv_output_size((h, w), kernel_size, dilation, padding, stride)
        n, c = cols.shape[0], cols.shape[1] // (kh * kw)
        blocks = xp.reshape(xp.permute_dims(cols, (1, 2, 0)), (c, kh * kw, oh, ow, n))
        out = xp.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
                columns = slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
                out[:, rows, columns, :] = out[:, rows, columns, :] + blocks[:, i * kw + j, ...]
        return xp.permute_dims(out[:, ph:ph + h, pw:pw + w, :], (3, 0, 1, 2))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def conv_output_size(size: tuple[int, int], kernel_size: tuple[int, int],
                     dilation: tuple[int, int], padding: tuple[int, int],
                     stride: tuple[int, int]) -> tuple[int, int]:
    """Output height and width of a sliding window: floor((n + 2p - d(k-1) - 1) / s) + 1."""
    return tuple(  # type: ignore[return-value]
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, d, p, s in zip(size, kernel_size, dilation, padding, stride)
    )


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


# ---- the registry -------------------------------------------------------------------------
_REGISTRY: dict[str, Backend] = {}


def register_backend(backend: Backend) -> Backend:
    """Make ``backend`` the one behind device type ``backend.name`` (replacing any before)."""
    if not backend.name or ":" in backend.name:
        raise ValueError(f"a backend needs a device-type name without ':', got {backend.name!r}")
    _REGISTRY[backend.name] = backend
    for d in _DEVICES.values():  # the devices already made (and their tensors) move to it
        if d.type == backend.name:
            d.backend = backend
    return backend


def get_backend(device_type: str) -> Backend:
    """The registered backend for a device type such as ``"cpu"`` or ``"cuda"``."""
    try:
        return _REGISTRY[device_type]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise RuntimeError(
            f"unknown device type {device_type!r}; registered backends: {known}"
        ) from None


def registered_backends() -> dict[str, Backend]:
    """A copy of the registry: device type to backend."""
    return dict(_REGISTRY)


class device:  # noqa: N801  (lower case, as torch.device)
    """A device as PyTorch writes it: ``device("cpu")``, ``device("cuda:0")``."""

    __slots__ = ("type", "index", "backend")

    def __init__(self, spec: str | device, index: int | None = None) -> None:
        if isinstance(spec, device):
            spec, index = spec.type, spec.index if index is None else index
        if not isinstance(spec, str):
            raise TypeError(f"a device is a string such as 'cpu' or 'cuda:0', got {spec!r}")
        if ":" in spec:
            spec, _, number = spec.partition(":")
            if index is not None or not number.isdigit():
                raise RuntimeError(f"invalid device string {spec}:{number!r}")
            index = int(number)
        # looked up once (an unknown type fails here, listing the registered ones): every op
        # reaches its array namespace through this attribute
        self.backend: Backend = get_backend(spec)
        self.type = spec
        self.index = index

    def __copy__(self) -> device:
        return self  # immutable: copies of a model share devices

    def __deepcopy__(self, memo: dict) -> device:
        return self

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type={self.type!r}" + (
            ")" if self.index is None else f", index={self.index})")


_DEVICES: dict[Any, device] = {}


def as_device(spec: str | device | None) -> device:
    """Normalise a device argument; accelerator types get index 0 when none is given."""
    key = spec if isinstance(spec, str) or spec is None else (spec.type, spec.index)
    found = _DEVICES.get(key)
    if found is None:
        found = device(spec if spec is not None else _default_device)
        if found.index is None and found.type != "cpu":
            found = device(found.type, 0)
        _DEVICES[key] = found
    return found


_default_device = "cpu"


def set_default_device(spec: str | device) -> None:
    """Where factory functions put tensors when no ``device=`` is given (as torch's)."""
    global _default_device
    _default_device = str(as_device(spec))
    _DEVICES.pop(None, None)


def get_default_device() -> device:
    """The device factory functions use when none is given."""
    return as_device(None)


# The built-in backends register themselves on import; each loads its library lazily.
from minigrad.backends import cupy_backend, numpy_backend, strict  # noqa: E402

register_backend(numpy_backend.NumpyBackend())
register_backend(cupy_backend.CupyBackend())
register_backend(strict.StrictBackend())
