"""The NumPy backend (device ``"cpu"``): the generic Array API hooks plus NumPy fast paths."""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad import dtypes
from minigrad.backends import Backend


class NumpyBackend(Backend):
    """NumPy on the host; the default backend, always available."""

    name = "cpu"

    def _load(self) -> Any:
        return np

    def from_numpy(self, a: np.ndarray) -> np.ndarray:
        return a  # shared, as torch.from_numpy

    def to_numpy(self, a: np.ndarray) -> np.ndarray:
        return a

    def has_dtype(self, d: dtypes.dtype) -> bool:
        return True

    def dtype(self, d: dtypes.dtype) -> Any:
        return np.dtype(d.name)

    def dtype_of(self, a: np.ndarray) -> dtypes.dtype:
        return dtypes.BY_NAME[a.dtype.name]

    def getitem(self, x: np.ndarray, key: tuple) -> np.ndarray:
        return x[key]

    def index_add(self, shape: tuple[int, ...], key: tuple, values: np.ndarray) -> np.ndarray:
        out = np.zeros(shape, dtype=values.dtype)
        np.add.at(out, key, values)
        return out
