"""Functions that make tensors: from data, filled, ranges, and random draws.

Random values are drawn on the host by one generator (``minigrad.manual_seed``) and then moved,
so a seed gives the same numbers on every device.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.backends import as_device
from minigrad.ops.promotion import as_int, as_number, as_tensor_arg, new_shape, type_name
from minigrad.runtime import dtypes
from minigrad.runtime.random import generator
from minigrad.tensor import DeviceLike, DTypeLike, Tensor, _sizes


def tensor(data: Any, dtype: DTypeLike = None, device: DeviceLike = None,
           requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays or a tensor).

    Python floats become float32 and Python ints int64; NumPy arrays keep their dtype. An array
    on a device (a CuPy array, a CUDA torch tensor) comes in through DLPack, onto its own device
    unless ``device`` says otherwise, as torch.tensor takes one.
    """
    if _on_a_device(data):  # (not through __array__: CuPy refuses the implicit copy to NumPy)
        data = from_dlpack(data)
        device = device if device is not None else data.device
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def _on_a_device(data: Any) -> bool:
    """Whether ``data`` is another library's array whose memory is not the host's."""
    if isinstance(data, (Tensor, np.ndarray)) or not hasattr(data, "__dlpack_device__"):
        return False
    return _DLPACK_DEVICES.get(int(data.__dlpack_device__()[0])) not in (None, "cpu")


def as_tensor(data: Any, dtype: DTypeLike = None, device: DeviceLike = None) -> Tensor:
    """``data`` as a tensor, without a copy where it already is one of that dtype and device."""
    if _on_a_device(data):  # shared through DLPack where the device and dtype allow
        data = from_dlpack(data)
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


# kDLCPU, kDLCUDA, kDLCUDAHost (pinned host memory), kDLCUDAManaged (unified memory, on the GPU)
_DLPACK_DEVICES = {1: "cpu", 2: "cuda", 3: "cpu", 13: "cuda"}


def from_dlpack(ext: Any) -> Tensor:
    """A tensor sharing memory with another library's array or tensor (a NumPy or CuPy array,
    a torch tensor: anything with ``__dlpack__``), on the device it lives on, without a copy;
    CUDA managed (unified) memory counts as the GPU's."""
    if not hasattr(ext, "__dlpack__") or not hasattr(ext, "__dlpack_device__"):
        raise TypeError(f"from_dlpack expects an object with __dlpack__ and __dlpack_device__ "
                        f"(a NumPy or CuPy array, a torch tensor), got {type(ext).__name__}")
    kind, index = ext.__dlpack_device__()
    name = _DLPACK_DEVICES.get(int(kind))
    if name is None:
        raise RuntimeError(f"from_dlpack: DLPack device type {int(kind)} has no minigrad backend "
                           f"(cpu takes 1 and 3, pinned host memory; cuda takes 2 and 13, "
                           f"managed memory)")
    dev = as_device(name if name == "cpu" else f"{name}:{index}")
    array = dev.backend.xp.from_dlpack(ext)
    dtypes.to_dtype(array.dtype)  # a clear error for unsupported dtypes
    return Tensor._make(array, dev)


def _filled(shape: tuple[int, ...], value: Any, dtype: DTypeLike, device: DeviceLike,
            requires_grad: bool, fn: str) -> Tensor:
    value = as_number(value, fn, "fill_value")
    dev = as_device(device)
    d = dtypes.to_dtype(dtype) if dtype is not None else dtypes.scalar_dtype(value)
    shape = new_shape(shape)
    xp = dev.backend.xp
    t = Tensor._make(xp.full(shape, value, dtype=dev.backend.dtype(d)), dev)
    return t.requires_grad_() if requires_grad else t


def zeros(*size: Any, dtype: DTypeLike = None, device: DeviceLike = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype`` says otherwise)."""
    return _filled(_sizes(size, "zeros"), 0.0, dtype or dtypes.default_float, device,
                   requires_grad, "zeros")


def ones(*size: Any, dtype: DTypeLike = None, device: DeviceLike = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones (float32 unless ``dtype`` says otherwise)."""
    return _filled(_sizes(size, "ones"), 1.0, dtype or dtypes.default_float, device,
                   requires_grad, "ones")


def empty(*size: Any, dtype: DTypeLike = None, device: DeviceLike = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of unspecified values (zeros here; never read it before writing)."""
    return _filled(_sizes(size, "empty"), 0.0, dtype or dtypes.default_float, device,
                   requires_grad, "empty")


def full(size: Any, fill_value: bool | int | float, dtype: DTypeLike = None,
         device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype follows the value unless given."""
    return _filled(_sizes((size,), "full"), fill_value, dtype, device, requires_grad, "full")


def zeros_like(t: Tensor, dtype: DTypeLike = None, device: DeviceLike = None,
               requires_grad: bool = False) -> Tensor:
    """Zeros with ``t``'s shape, dtype and device."""
    return zeros(_like(t, "zeros_like"), dtype=dtype or t.dtype, device=device or t.device,
                 requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: DTypeLike = None, device: DeviceLike = None,
              requires_grad: bool = False) -> Tensor:
    """Ones with ``t``'s shape, dtype and device."""
    return ones(_like(t, "ones_like"), dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


def empty_like(t: Tensor, dtype: DTypeLike = None, device: DeviceLike = None,
               requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor with ``t``'s shape, dtype and device."""
    return empty(_like(t, "empty_like"), dtype=dtype or t.dtype, device=device or t.device,
                 requires_grad=requires_grad)


def full_like(t: Tensor, fill_value: bool | int | float, dtype: DTypeLike = None,
              device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` with ``t``'s shape, dtype and device."""
    return full(_like(t, "full_like"), fill_value, dtype=dtype or t.dtype,
                device=device or t.device, requires_grad=requires_grad)


def _like(t: Tensor, fn: str) -> tuple[int, ...]:
    """The shape of the tensor a ``*_like`` function copies, or torch's TypeError."""
    return tuple(as_tensor_arg(t, fn, "input").shape)


def _from_host(a: np.ndarray, dtype: DTypeLike, device: DeviceLike, requires_grad: bool,
               default: dtypes.dtype) -> Tensor:
    dev = as_device(device)
    d = dtypes.to_dtype(dtype) if dtype is not None else default
    # values made on the host (random numbers come from one host generator, so a seed gives the
    # same weights on every device): on a device a copy, which mg.transfer_guard counts
    t = Tensor._make(dev.backend.from_host(np.asarray(a, dtype=d.name, order="C"), "creation"),
                     dev)
    return t.requires_grad_() if requires_grad else t


def arange(start: float, end: float | None = None, step: float = 1, *, dtype: DTypeLike = None,
           device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` by ``step``; int64 for int inputs."""
    if end is None:
        start, end = 0, start
    start, end, step = (as_number(v, "arange", name) for v, name in
                        ((start, "start"), (end, "end"), (step, "step")))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError(f"upper bound and lower bound inconsistent with step sign (start="
                           f"{start}, end={end}, step={step})")
    integral = all(isinstance(v, int) for v in (start, end, step))
    n = max(0, math.ceil((end - start) / step))
    values = start + step * np.arange(n, dtype=np.int64 if integral else np.float64)
    default = dtypes.default_int if integral else dtypes.default_float
    _not_bool(dtype, "arange")
    return _from_host(values, dtype, device, requires_grad, default)


def linspace(start: float, end: float, steps: int, *, dtype: DTypeLike = None,
             device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    start, end = as_number(start, "linspace", "start"), as_number(end, "linspace", "end")
    steps = as_int(steps, "linspace", "steps")
    if steps < 0:
        raise RuntimeError(f"number of steps must be non-negative (got steps={steps})")
    return _from_host(np.linspace(start, end, steps), dtype, device, requires_grad,
                      dtypes.default_float)


def eye(n: int, m: int | None = None, *, dtype: DTypeLike = None, device: DeviceLike = None,
        requires_grad: bool = False) -> Tensor:
    """An n x m identity matrix."""
    n = as_int(n, "eye", "n")
    m = n if m is None else as_int(m, "eye", "m")
    for name, value in (("n", n), ("m", m)):
        if value < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {value}")
    return _from_host(np.eye(n, m), dtype, device, requires_grad, dtypes.default_float)


def rand(*size: Any, dtype: DTypeLike = None, device: DeviceLike = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform values in [0, 1)."""
    shape = new_shape(_sizes(size, "rand"))
    _floating(dtype, "check_uniform_bounds")
    return _from_host(generator().random(shape), dtype, device, requires_grad,
                      dtypes.default_float)


def randn(*size: Any, dtype: DTypeLike = None, device: DeviceLike = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal values."""
    shape = new_shape(_sizes(size, "randn"))
    _floating(dtype, "normal_kernel_cpu")
    return _from_host(generator().standard_normal(shape), dtype, device, requires_grad,
                      dtypes.default_float)


def _floating(dtype: DTypeLike, kernel: str) -> None:
    """torch's NotImplementedError for a random draw of floats asked for in another dtype."""
    d = dtypes.to_dtype(dtype) if dtype is not None else dtypes.default_float
    if not d.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{d.torch_name}\' (dtype='
                                  f"{d!r}: the values are floating point)")


def _not_bool(dtype: DTypeLike, kernel: str) -> None:
    """torch's NotImplementedError for a range or permutation asked for as bools."""
    if dtype is not None and dtypes.to_dtype(dtype) is dtypes.bool_:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\' (dtype='
                                  f"{dtypes.bool_!r})")


def randint(low: int, high: int | None = None, size: Any = (), *, dtype: DTypeLike = None,
            device: DeviceLike = None) -> Tensor:
    """Integers in [low, high) (``randint(high, size)`` as well); int64 by default."""
    if high is None or (not isinstance(high, int) and size == ()):
        low, high, size = 0, low, (() if high is None else high)
    low, high = as_int(low, "randint", "low"), as_int(high, "randint", "high")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not "
                        f"{type_name(size)} (got {size!r})")
    shape = new_shape(_sizes((size,), "randint"))
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    return _from_host(generator().integers(low, high, size=shape), dtype, device, False,
                      dtypes.default_int)


def randperm(n: int, *, dtype: DTypeLike = None, device: DeviceLike = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (int64 by default)."""
    n = as_int(n, "randperm", "n")
    new_shape((n,))
    _not_bool(dtype, "randperm")
    return _from_host(generator().permutation(n), dtype, device, requires_grad,
                      dtypes.default_int)


def rand_like(t: Tensor, dtype: DTypeLike = None, device: DeviceLike = None,
              requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) values with ``t``'s shape, dtype and device."""
    return rand(_like(t, "rand_like"), dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


def randn_like(t: Tensor, dtype: DTypeLike = None, device: DeviceLike = None,
               requires_grad: bool = False) -> Tensor:
    """Standard normal values with ``t``'s shape, dtype and device."""
    return randn(_like(t, "randn_like"), dtype=dtype or t.dtype, device=device or t.device,
                 requires_grad=requires_grad)
