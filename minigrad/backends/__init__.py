"""Backends: the registry of array libraries minigrad runs on, and device strings.

The base class and the fast-path switch are in ``backends/base.py``, the count and guard of
host <-> device transfers (``mg.transfer_guard``) in ``backends/transfers.py``; the built-in
backends (NumPy, CuPy, array-api-strict) each in a file of their own, registered below. This
package is the only place that imports an array library other than NumPy, and it does so
lazily.
"""

from __future__ import annotations

from typing import Any, cast

from minigrad.backends import cupy_backend, numpy_backend, strict
from minigrad.backends.base import (
    Backend,
    DeviceUnavailableError,
    expand_key,
    fast_path,
    fast_paths,
    fast_paths_enabled,
)

__all__ = ["Backend", "DeviceUnavailableError", "as_device", "device", "expand_key", "fast_path",
           "fast_paths", "fast_paths_enabled", "get_backend", "get_default_device",
           "register_backend", "registered_backends", "set_default_device"]

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
        if isinstance(spec, device):  # (the cast: mypy reads spec.index after spec = spec.type)
            spec, index = spec.type, cast(device, spec).index if index is None else index
        if not isinstance(spec, str):
            raise TypeError(f"a device is a string such as 'cpu' or 'cuda:0', got "
                            f"{type(spec).__name__} ({spec!r})")
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
            raise TypeError(f"device(): argument 'index' (position 2) must be int, not "
                            f"{type(index).__name__} (got {index!r})")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        if ":" in spec:
            spec, _, number = spec.partition(":")
            if index is not None or not number.isdigit():
                raise RuntimeError(f"invalid device string {spec}:{number!r}")
            index = int(number)
        # looked up once (an unknown type fails here, listing the registered ones): every op
        # reaches its array namespace through this attribute
        self.backend: Backend = get_backend(spec)
        self.type: str = spec
        self.index: int | None = index

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
    key = spec if isinstance(spec, str) or spec is None else (
        (spec.type, spec.index) if isinstance(spec, device) else _not_a_device(spec))
    found = _DEVICES.get(key)
    if found is None:
        found = device(spec if spec is not None else _default_device)
        if found.index is None and found.type != "cpu":
            found = device(found.type, 0)
        if found.index:  # a second GPU: placed there, or refused (CuPy's backend uses one)
            found.backend.check_index(found.index)
        # one object per device, however it was named (Function.apply compares them by `is`)
        found = _DEVICES[key] = _DEVICES.setdefault((found.type, found.index), found)
    return found


def _not_a_device(spec: Any) -> Any:
    raise TypeError(f"argument 'device' must be a device or a string such as 'cpu' or 'cuda:0', "
                    f"not {type(spec).__name__} (got {spec!r})")


_default_device = "cpu"


def set_default_device(spec: str | device) -> None:
    """Where factory functions put tensors when no ``device=`` is given (as torch's)."""
    global _default_device
    _default_device = str(as_device(spec))
    _DEVICES.pop(None, None)


def get_default_device() -> device:
    """The device factory functions use when none is given."""
    return as_device(None)


# The built-in backends; each loads its library lazily, on first use.
register_backend(numpy_backend.NumpyBackend())
register_backend(cupy_backend.CupyBackend())
register_backend(strict.StrictBackend())
