"""``minigrad.backends.cudnn``: the switches scripts set for NVIDIA's cuDNN
(``torch.backends.cudnn.benchmark = True``). minigrad's GPU convolution is unfold and a
matrix product through CuPy, not cuDNN, so the switches are kept (a script reads back what it
set) and change nothing: ``deterministic`` results are what minigrad gives anyway, and
``benchmark`` has no algorithms to choose among."""

from __future__ import annotations

enabled = True  # cuDNN may be used (minigrad does not use it either way)
benchmark = False  # pick the fastest algorithm per shape (nothing to pick here)
benchmark_limit: int | None = None
deterministic = False  # deterministic algorithms only (minigrad's are)
allow_tf32 = True  # TF32 in convolutions (minigrad's run in the tensors' own dtype)

__all__ = ["allow_tf32", "benchmark", "benchmark_limit", "deterministic", "enabled",
           "is_available", "version"]


def is_available() -> bool:
    """Whether cuDNN is used: never by minigrad (False)."""
    return False


def version() -> int | None:
    """cuDNN's version: None, as torch answers where cuDNN is not there."""
    return None
