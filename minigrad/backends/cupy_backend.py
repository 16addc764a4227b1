"""The CuPy backend (device ``"cuda"``): loaded lazily, available only with a working GPU.

It runs on one GPU, ``cuda:0`` (the first that CUDA_VISIBLE_DEVICES leaves visible); another
index is refused when a tensor would be placed there, rather than quietly landing on GPU 0.
Its ``xp`` is CuPy behind ``transfers.CountingNamespace``, so ``mg.transfer_guard`` also sees
the copies CuPy makes on its own (a Python number in an op, ``nonzero``'s count).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.backends import transfers
from minigrad.backends.base import Backend, expand_key

INSTALL = ("pip install 'minigrad[cuda]' (CuPy for CUDA 12, cupy-cuda12x) or "
           "'minigrad[cuda13]' (CuPy for CUDA 13, cupy-cuda13x)")
# the dtypes CuPy's add.at (atomicAdd) takes; int64 adds as uint64 (the same bits, mod 2**64)
_ATOMIC = ("float16", "float32", "float64", "int32", "uint32", "uint64")


class CupyBackend(Backend):
    """CuPy 14 or later on an NVIDIA GPU (``pip install 'minigrad[cuda]'``, or ``[cuda13]``)."""

    name = "cuda"
    is_host = False  # its arrays live on the GPU: copies to and from NumPy are transfers

    def _load(self) -> Any:
        # CuPy imports without a GPU and fails on first use: count devices, then run a kernel.
        try:
            import cupy
        except ImportError as e:
            raise ImportError(f"CuPy is not installed ({INSTALL}): {e}") from e
        major = cupy.__version__.split(".")[0]
        if not major.isdigit() or int(major) < 14:  # 13.x lacks astype, permute_dims, concat...
            raise ImportError(f"CuPy {cupy.__version__} is too old: minigrad calls the Array "
                              f"API functions of CuPy 14 and later ({INSTALL})")
        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("CuPy found no CUDA device")
        if int((cupy.arange(3) * 2).sum()) != 6:
            raise RuntimeError("a test kernel gave a wrong result")
        return transfers.CountingNamespace(cupy, self.name, cupy.ndarray)

    @property
    def cupy(self) -> Any:
        """The CuPy module itself (for the copies ``from_host``/``to_host`` count already)."""
        return self.xp._module

    def check_index(self, index: int) -> None:
        """Refuse ``cuda:N`` for N > 0: this backend places every array on one GPU, and an
        index beyond the device count does not exist (torch's "invalid device ordinal")."""
        if index == 0 or not self.is_available():
            return  # (placing anything fails later, saying why the device is unavailable)
        count = self.cupy.cuda.runtime.getDeviceCount()
        if index >= count:
            raise RuntimeError(f"CUDA error: invalid device ordinal: cuda:{index} asked for, "
                               f"and CuPy sees {count} device{'s' if count != 1 else ''} "
                               f"(cuda:0{f' to cuda:{count - 1}' if count > 1 else ''})")
        raise RuntimeError(f"cuda:{index}: minigrad's CuPy backend runs on one GPU, cuda:0 "
                           f"(its arrays would land there, not on GPU {index}); to use GPU "
                           f"{index}, start Python with CUDA_VISIBLE_DEVICES={index} and use "
                           f"'cuda'")

    def from_numpy(self, a: np.ndarray) -> Any:
        """Copy a host array to the GPU (counted by ``from_host``, not again here)."""
        return self.cupy.asarray(a)

    def to_numpy(self, a: Any) -> np.ndarray:
        """Copy to the host."""
        return self.cupy.asnumpy(a)

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
        """CuPy's own indexed assignment, on a copy; of repeated indices the last one wins.

        CuPy's ``out[key] = values`` writes repeated positions in parallel, in no set order,
        so the key is first turned into flat positions, and of each repeated one only its
        last write is kept (a stable sort puts the writes to one position in their order).
        """
        xp = self.xp
        out = x.copy()
        if not any(hasattr(k, "shape") for k in expand_key(key, x.ndim)):
            out[key] = values  # basic indexing: each element at most once
            return out
        positions = xp.reshape(xp.arange(out.size, dtype=xp.int64), out.shape)[key]
        values = xp.reshape(xp.broadcast_to(values, positions.shape), (-1,))
        positions = xp.reshape(positions, (-1,))
        if positions.shape[0] == 0:
            return out
        order = self.argsort(positions, 0, False)  # stable: each position's writes in order
        ranked = positions[order]
        last = xp.concat([ranked[1:] != ranked[:-1], xp.ones((1,), dtype=xp.bool_)])
        xp.reshape(out, (-1,))[ranked[last]] = values[order[last]]  # (a view: out is new)
        return out

    def index_add(self, shape: tuple[int, ...], key: tuple, values: Any) -> Any:
        """A true scatter-add (cupy.add.at: atomic adds, so float sums come in any order);
        int64 through uint64, and the dtypes CuPy has no atomic add for the generic way."""
        xp = self.xp
        kind = values.dtype.name
        if kind not in _ATOMIC and kind != "int64":
            return super().index_add(shape, key, values)
        as_type = xp.uint64 if kind == "int64" else values.dtype
        out = xp.zeros(shape, dtype=as_type)
        xp.add.at(out, key, xp.astype(values, as_type))
        return out.view(values.dtype) if kind == "int64" else out

    def synchronize(self) -> None:
        """Wait for the GPU's queued work."""
        self.cupy.cuda.get_current_stream().synchronize()
