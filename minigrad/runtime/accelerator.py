"""``minigrad.accelerator``: the device line of today's PyTorch tutorials,
``device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else
"cpu"``. minigrad's one accelerator is the ``cuda`` device (CuPy on an NVIDIA GPU)."""

from __future__ import annotations

from typing import Any

from minigrad.backends import device
from minigrad.runtime import cuda

__all__ = ["current_accelerator", "current_device_index", "device_count", "is_available",
           "set_device_index", "synchronize"]


def is_available() -> bool:
    """Whether an accelerator (here: a ``cuda`` GPU through CuPy) can be used."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> device | None:
    """``device('cuda')`` when a GPU can be used here, else None (torch's answer on a build
    without an accelerator; minigrad's "build" is whether CuPy runs, so ``check_available``
    changes nothing)."""
    return device("cuda") if is_available() else None


def device_count() -> int:
    """How many accelerator devices there are (0 without a GPU)."""
    return cuda.device_count()


def current_device_index() -> int:
    """The index of the accelerator device in use (always 0: minigrad uses one GPU)."""
    _require("current_device_index")
    return 0


def set_device_index(index: Any) -> None:
    """Select the accelerator device; minigrad uses one GPU, so only 0 (or -1, a no-op)."""
    _require("set_device_index")
    if index not in (0, -1, None):
        raise RuntimeError(f"minigrad uses one GPU (device 0); got device index {index}")


def synchronize(device: Any = None) -> None:
    """Wait for the accelerator's queued work."""
    _require("synchronize")
    cuda.synchronize()


def _require(what: str) -> None:
    if not is_available():
        raise RuntimeError(f"accelerator.{what}(): cannot access accelerator device when none "
                           "is available (minigrad's accelerator is a cuda GPU through CuPy)")
