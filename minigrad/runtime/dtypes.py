"""Data types: backend-neutral names that each backend maps to its own dtype objects."""

from __future__ import annotations

from typing import Any


class dtype:  # noqa: N801  (lower case, as torch.dtype)
    """A tensor element type such as ``minigrad.float32``; backends map it by ``name``."""

    __slots__ = ("name", "kind", "itemsize", "is_floating_point")

    def __init__(self, name: str, kind: str, itemsize: int) -> None:
        self.name = name  # the NumPy / Array API name: "float32", "int64", "bool", ...
        self.kind = kind  # "b" bool, "u" unsigned, "i" signed integer, "f" floating point
        self.itemsize = itemsize
        self.is_floating_point = kind == "f"  # float16, float32 and float64

    @property
    def torch_name(self) -> str:
        """The name PyTorch's kernels use in their messages: Float, Long, Bool, ..."""
        return _TORCH_NAMES[self.name]

    @property
    def lowest(self) -> float | int | bool:
        """The smallest value of the type (-inf for floating point)."""
        if self.kind == "f":
            return float("-inf")
        return False if self.kind == "b" else (0 if self.kind == "u" else
                                                -(2 ** (8 * self.itemsize - 1)))

    def __repr__(self) -> str:
        return f"minigrad.{self.name}"

    def __reduce__(self) -> str:
        return self.name  # a dtype pickles (for multiprocessing) as the module-level constant


bool_ = dtype("bool", "b", 1)
uint8 = dtype("uint8", "u", 1)
int32 = dtype("int32", "i", 4)
int64 = dtype("int64", "i", 8)
float16 = dtype("float16", "f", 2)
float32 = dtype("float32", "f", 4)
float64 = dtype("float64", "f", 8)

ALL = (bool_, uint8, int32, int64, float16, float32, float64)
_TORCH_NAMES = {"bool": "Bool", "uint8": "Byte", "int32": "Int", "int64": "Long",
                "float16": "Half", "float32": "Float", "float64": "Double"}
BY_NAME = {d.name: d for d in ALL}
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}  # bool < integer < floating point

default_float = float32
default_int = int64


def category(d: dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point: the order PyTorch promotes in."""
    return _CATEGORY[d.kind]


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` convert to without loss, as torch.promote_types."""
    if a is b:
        return a
    ca, cb = category(a), category(b)
    if ca != cb:
        return a if ca > cb else b
    return a if a.itemsize >= b.itemsize else b


def scalar_dtype(value: Any) -> dtype:
    """The dtype a Python scalar gets when it becomes a tensor on its own."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return default_int
    if isinstance(value, float):
        return default_float
    raise TypeError(f"expected a Python bool, int or float, got {type(value).__name__}")


def to_dtype(d: Any) -> dtype:
    """Accept a minigrad dtype, a Python type or a NumPy dtype; a string is torch's
    TypeError (``dtype='float32'`` is refused by torch, so code that works here works there)."""
    if isinstance(d, dtype):
        return d
    if isinstance(d, str):
        raise TypeError(f"argument 'dtype' must be minigrad.dtype, not str (got {d!r}; write "
                        f"mg.{d} as torch.{d})")
    if d is float:
        return default_float
    if d is int:
        return default_int
    if d is bool:
        return bool_
    name = getattr(d, "name", None) or getattr(d, "__name__", None) or str(d)
    name = {"bool_": "bool"}.get(name, name)
    if name in BY_NAME:
        return BY_NAME[name]
    raise TypeError(f"unsupported dtype {d!r}; minigrad has {', '.join(x.name for x in ALL)}")
