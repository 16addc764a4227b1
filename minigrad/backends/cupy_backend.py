"""The CuPy backend (device ``"cuda"``): loaded lazily, available only with a working GPU."""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.backends.base import Backend


class CupyBackend(Backend):
    """CuPy on an NVIDIA GPU (``pip install 'minigrad[cuda]'``)."""

    name = "cuda"
    is_host = False  # its arrays live on the GPU: copies to and from NumPy are transfers

    def _load(self) -> Any:
        # CuPy imports without a GPU and fails on first use: count devices, then run a kernel.
        try:
            import cupy
        except ImportError as e:
            raise ImportError(f"CuPy is not installed (pip install cupy-cuda12x): {e}") from e
        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("CuPy found no CUDA device")
        if int((cupy.arange(3) * 2).sum()) != 6:
            raise RuntimeError("a test kernel gave a wrong result")
        return cupy

    def from_numpy(self, a: np.ndarray) -> Any:
        """Copy a host array to the GPU."""
        return self.xp.asarray(a)

    def to_numpy(self, a: Any) -> np.ndarray:
        """Copy to the host."""
        return self.xp.asnumpy(a)

    def shares_memory(self, a: Any, b: Any) -> bool:
        """cupy.may_share_memory."""
        return bool(self.xp.may_share_memory(a, b))

    def address(self, a: Any) -> int:
        """The device address of the first element."""
        return int(a.data.ptr)

    def argsort(self, a: Any, axis: int, descending: bool) -> Any:
        """cupy.argsort (stable); descending as the reverse of the reversed array's order."""
        xp = self.xp
        if not descending:
            return xp.argsort(a, axis=axis)
        return a.shape[axis] - 1 - xp.flip(xp.argsort(xp.flip(a, axis), axis=axis), axis)

    def index_put(self, x: Any, key: tuple, values: Any) -> Any:
        """CuPy's own indexed assignment, on a copy."""
        out = x.copy()
        out[key] = values
        return out

    def synchronize(self) -> None:
        """Wait for the GPU's queued work."""
        self.xp.cuda.get_current_stream().synchronize()
