"""``minigrad.cuda``: whether a GPU can be used here, as ``torch.cuda`` says it."""

from __future__ import annotations

from minigrad.backends import get_backend
from minigrad.runtime.random import manual_seed as seed_every_device


def is_available() -> bool:
    """Whether the ``cuda`` device works here (CuPy installed and a GPU that runs a kernel)."""
    return get_backend("cuda").is_available()


def device_count() -> int:
    """How many GPUs CuPy sees (0 when the ``cuda`` device is not available)."""
    backend = get_backend("cuda")
    return int(backend.xp.cuda.runtime.getDeviceCount()) if backend.is_available() else 0


def synchronize() -> None:
    """Wait for the GPU's queued work (an error when there is no GPU)."""
    get_backend("cuda").synchronize()


def manual_seed(seed: int) -> None:
    """Seed random numbers; minigrad draws them on the host for every device, so this is
    ``minigrad.manual_seed``."""
    seed_every_device(seed)


manual_seed_all = manual_seed

__all__ = ["device_count", "is_available", "manual_seed", "manual_seed_all", "synchronize"]
