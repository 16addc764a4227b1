"""``minigrad.backends.mps``: Apple's Metal (MPS) device, which minigrad has no backend for;
``torch.backends.mps.is_available()`` in a device line answers False here, so scripts fall
back to the CPU (or ``cuda``) as they do on a machine without a Mac GPU."""

from __future__ import annotations

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """Whether the MPS device can be used: no (minigrad has no Metal backend)."""
    return False


def is_built() -> bool:
    """Whether minigrad was built with MPS: no."""
    return False
