"""torch's legacy tensor types as constructors: ``torch.FloatTensor([1, 2])`` (from data) or
``torch.LongTensor(2, 3)`` (of that size, zeros here), still common in older course code."""

from __future__ import annotations

from typing import Any

from minigrad.factory import tensor, zeros
from minigrad.runtime import dtypes
from minigrad.tensor import Tensor

__all__ = ["BoolTensor", "ByteTensor", "DoubleTensor", "FloatTensor", "HalfTensor", "IntTensor",
           "LongTensor"]


def _legacy(name: str, dtype: dtypes.dtype) -> Any:
    def make(*args: Any, device: Any = None) -> Tensor:
        if len(args) == 1 and not isinstance(args[0], int):  # data (a list, an array, ...)
            return tensor(args[0], dtype=dtype, device=device)
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            raise TypeError(f"{name}(): expected data or sizes (ints), got "
                            f"{', '.join(type(a).__name__ for a in args)}")
        return zeros(*args, dtype=dtype, device=device)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"A {dtype.name} tensor from data, or of the given sizes (torch.{name})."
    return make


FloatTensor = _legacy("FloatTensor", dtypes.float32)
DoubleTensor = _legacy("DoubleTensor", dtypes.float64)
HalfTensor = _legacy("HalfTensor", dtypes.float16)
LongTensor = _legacy("LongTensor", dtypes.int64)
IntTensor = _legacy("IntTensor", dtypes.int32)
BoolTensor = _legacy("BoolTensor", dtypes.bool_)
ByteTensor = _legacy("ByteTensor", dtypes.uint8)
