"""Functions that make tensors: from data, filled, ranges, and random draws.

Random values are drawn on the host by one generator (``minigrad.manual_seed``) and then moved,
so a seed gives the same numbers on every device.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad import dtypes
from minigrad.backends import as_device
from minigrad.random import generator
from minigrad.tensor import DeviceLike, DTypeLike, Tensor, _sizes


def tensor(data: Any, dtype: DTypeLike = None, device: DeviceLike = None,
           requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays or a tensor).

    Python floats become float32 and Python ints int64; NumPy arrays keep their dtype.
    """
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def as_tensor(data: Any, dtype: DTypeLike = None, device: DeviceLike = None) -> Tensor:
    """``data`` as a tensor, without a copy where it already is one of that dtype and device."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    if isinstance(data, np.ndarray) and dtype is None and as_device(device).type == "cpu":
        return from_numpy(data)
    return Tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with a NumPy array (its dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.to_dtype(array.dtype)  # a clear error for unsupported dtypes
    return Tensor._make(array, as_device("cpu"))


def _filled(shape: tuple, value: Any, dtype: DTypeLike, device: DeviceLike,
            requires_grad: bool) -> Tensor:
    dev = as_device(device)
    d = dtypes.to_dtype(dtype) if dtype is not None else dtypes.scalar_dtype(value)
    shape = tuple(int(s) for s in _sizes(shape))
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    xp = dev.backend.xp
    t = Tensor._make(xp.full(shape, value, dtype=dev.backend.dtype(d)), dev)
    return t.requires_grad_() if requires_grad else t


def zeros(*size: Any, dtype: DTypeLike = None, device: DeviceLike = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype`` says otherwise)."""
    return _filled(size, 0.0, dtype or dtypes.default_float, device, requires_grad)


def ones(*size: Any, dtype: DTypeLike = None, device: DeviceLike = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones (float32 unless ``dtype`` says otherwise)."""
    return _filled(size, 1.0, dtype or dtypes.default_float, device, requires_grad)


def empty(*size: Any, dtype: DTypeLike = None, device: DeviceLike = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of unspecified values (zeros here; never read it before writing)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size: Any, fill_value: bool | int | float, dtype: DTypeLike = None,
         device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype follows the value unless given."""
    return _filled(tuple(size) if not isinstance(size, int) else (size,), fill_value, dtype,
                   device, requires_grad)


def zeros_like(t: Tensor, dtype: DTypeLike = None, device: DeviceLike = None,
               requires_grad: bool = False) -> Tensor:
    """Zeros with ``t``'s shape, dtype and device."""
    return zeros(t.shape, dtype=dtype or t.dtype, device=device or t.device,
                 requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: DTypeLike = None, device: DeviceLike = None,
              requires_grad: bool = False) -> Tensor:
    """Ones with ``t``'s shape, dtype and device."""
    return ones(t.shape, dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


def empty_like(t: Tensor, dtype: DTypeLike = None, device: DeviceLike = None,
               requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor with ``t``'s shape, dtype and device."""
    return zeros_like(t, dtype, device, requires_grad)


def full_like(t: Tensor, fill_value: bool | int | float, dtype: DTypeLike = None,
              device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` with ``t``'s shape, dtype and device."""
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


def _from_host(a: np.ndarray, dtype: DTypeLike, device: DeviceLike, requires_grad: bool,
               default: dtypes.dtype) -> Tensor:
    dev = as_device(device)
    d = dtypes.to_dtype(dtype) if dtype is not None else default
    t = Tensor._make(dev.backend.from_numpy(np.asarray(a, dtype=d.name, order="C")), dev)
    return t.requires_grad_() if requires_grad else t


def arange(start: float, end: float | None = None, step: float = 1, *, dtype: DTypeLike = None,
           device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` by ``step``; int64 for int inputs."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    integral = all(isinstance(v, int) for v in (start, end, step))
    n = max(0, math.ceil((end - start) / step))
    values = start + step * np.arange(n, dtype=np.int64 if integral else np.float64)
    default = dtypes.default_int if integral else dtypes.default_float
    return _from_host(values, dtype, device, requires_grad, default)


def linspace(start: float, end: float, steps: int, *, dtype: DTypeLike = None,
             device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    return _from_host(np.linspace(start, end, steps), dtype, device, requires_grad,
                      dtypes.default_float)


def eye(n: int, m: int | None = None, *, dtype: DTypeLike = None, device: DeviceLike = None,
        requires_grad: bool = False) -> Tensor:
    """An n x m identity matrix."""
    return _from_host(np.eye(n, m), dtype, device, requires_grad, dtypes.default_float)


def rand(*size: Any, dtype: DTypeLike = None, device: DeviceLike = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform values in [0, 1)."""
    return _from_host(generator().random(_sizes(size)), dtype, device, requires_grad,
                      dtypes.default_float)


def randn(*size: Any, dtype: DTypeLike = None, device: DeviceLike = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal values."""
    return _from_host(generator().standard_normal(_sizes(size)), dtype, device, requires_grad,
                      dtypes.default_float)


def randint(low: int, high: int | None = None, size: Any = (), *, dtype: DTypeLike = None,
            device: DeviceLike = None) -> Tensor:
    """Integers in [low, high) (``randint(high, size)`` as well); int64 by default."""
    if high is None or (not isinstance(high, int) and size == ()):
        low, high, size = 0, low, (() if high is None else high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    return _from_host(generator().integers(low, high, size=tuple(size)), dtype, device, False,
                      dtypes.default_int)


def randperm(n: int, *, dtype: DTypeLike = None, device: DeviceLike = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (int64 by default)."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    return _from_host(generator().permutation(n), dtype, device, requires_grad,
                      dtypes.default_int)


def rand_like(t: Tensor, dtype: DTypeLike = None, device: DeviceLike = None,
              requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) values with ``t``'s shape, dtype and device."""
    return rand(t.shape, dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


def randn_like(t: Tensor, dtype: DTypeLike = None, device: DeviceLike = None,
               requires_grad: bool = False) -> Tensor:
    """Standard normal values with ``t``'s shape, dtype and device."""
    return randn(t.shape, dtype=dtype or t.dtype, device=device or t.device,
                 requires_grad=requires_grad)
