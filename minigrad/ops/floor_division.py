"""Floor division and remainder of floating-point numbers: PyTorch's rule, on every backend.

Libraries round ``a // b`` two ways. NumPy (as Python) starts from the exact remainder
``fmod(a, b)``: ``1.0 // 0.1`` is 9, since 0.1 in binary is a little more than a tenth and 9
tenths fit. CuPy computes ``floor(a / b)``, and 1.0 / 0.1 rounds to exactly 10, so it says 10
(and ``1.0 % 0.1`` is 0.1 on one, 0 on the other). PyTorch takes the first way on the CPU and
on CUDA (c10's ``div_floor_floating``, and ``remainder`` from ``fmod``); it is written here
once, in the array namespace ``xp``, so every backend gives torch's numbers, signed zeros and
float16 rounding included. ``fmod`` is exact wherever IEEE arithmetic is. Integers, and a
library without ``fmod`` (array-api-strict, whose functions are NumPy's), keep the library's
own ``floor_divide`` and ``remainder``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def floor_divide(xp: Any, a: Any, b: Any) -> Any:
    """``a // b`` as torch rounds it: ``(a - fmod(a, b)) / b``, moved down where the signs of
    the remainder and ``b`` differ (a, b: arrays of one dtype, broadcasting)."""
    fmod = getattr(xp, "fmod", None)
    if fmod is None or not xp.isdtype(a.dtype, "real floating"):
        return xp.floor_divide(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):  # (torch does not warn; CuPy never)
        mod = fmod(a, b)
        div = (a - mod) / b  # a whole number, up to the rounding of the division
        div = xp.where((mod != 0) & ((b < 0) != (mod < 0)), div - 1, div)  # floor, not trunc
        whole = xp.floor(div)
        whole = xp.where(div - whole > 0.5, whole + 1, whole)  # the division rounded below
        quotient = xp.where(div != 0, whole, xp.copysign(xp.zeros_like(div), a / b))
        return xp.where(b == 0, a / b, quotient)  # by zero: IEEE's inf or nan, as torch


def remainder(xp: Any, a: Any, b: Any) -> Any:
    """``a % b`` as torch computes it, with ``b``'s sign: ``fmod(a, b)``, plus ``b`` where
    their signs differ (a zero keeps ``a``'s sign, as fmod's)."""
    fmod = getattr(xp, "fmod", None)
    if fmod is None or not xp.isdtype(a.dtype, "real floating"):
        return xp.remainder(a, b)
    with np.errstate(invalid="ignore"):  # (x % 0 is NaN)
        mod = fmod(a, b)
    return xp.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod)
