"""Padding layers of torch.nn: reflect, replicate and constant padding of sequences (1d),
images (2d) and volumes (3d), each one call into ``F.pad``.

``padding`` is an int (every side) or a tuple (left, right[, top, bottom[, front, back]]),
starting from the last dim, as F.pad's.
"""

from __future__ import annotations

from collections.abc import Sequence

from minigrad.nn import functional as F
from minigrad.nn.module import Module
from minigrad.ops.unfold import int_tuple
from minigrad.tensor import Tensor

__all__ = [
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d",
    "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d",
    "ZeroPad3d",
]


class _PadNd(Module):
    """F.pad with a fixed ``mode`` over the last ``dims`` dims."""

    mode = "constant"
    dims = 1

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__()
        self.padding = int_tuple(padding, 2 * self.dims, "padding")

    def forward(self, input: Tensor) -> Tensor:
        """Pad."""
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pad with the mirror image of the input, the edge not repeated: (left, right).

    Shape: input (N, C, W) or (C, W); output (N, C, W + left + right).
    """

    mode, dims = "reflect", 1


class ReflectionPad2d(_PadNd):
    """Pad with the mirror image of the input, the edge not repeated: (left, right, top,
    bottom).

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, H + top + bottom, W + left + right).
    """

    mode, dims = "reflect", 2


class ReflectionPad3d(_PadNd):
    """Pad with the mirror image of the input, the edge not repeated: (left, right, top,
    bottom, front, back).

    Shape: input (N, C, D, H, W) or (C, D, H, W); output (N, C, D + front + back,
    H + top + bottom, W + left + right).
    """

    mode, dims = "reflect", 3


class ReplicationPad1d(_PadNd):
    """Pad with copies of the edge values: (left, right).

    Shape: input (N, C, W) or (C, W); output (N, C, W + left + right).
    """

    mode, dims = "replicate", 1


class ReplicationPad2d(_PadNd):
    """Pad with copies of the edge values: (left, right, top, bottom).

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, H + top + bottom, W + left + right).
    """

    mode, dims = "replicate", 2


class ReplicationPad3d(_PadNd):
    """Pad with copies of the edge values: (left, right, top, bottom, front, back).

    Shape: input (N, C, D, H, W) or (C, D, H, W); output (N, C, D + front + back,
    H + top + bottom, W + left + right).
    """

    mode, dims = "replicate", 3


class _ConstantPadNd(_PadNd):
    """Pad with ``value``."""

    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        """Pad with the value."""
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad with ``value``: (left, right); negative widths crop.

    Shape: input (*, W); output (*, W + left + right).
    """

    dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad with ``value``: (left, right, top, bottom); negative widths crop.

    Shape: input (*, H, W); output (*, H + top + bottom, W + left + right).
    """

    dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad with ``value``: (left, right, top, bottom, front, back); negative widths crop.

    Shape: input (*, D, H, W); output (*, D + front + back, H + top + bottom, W + left + right).
    """

    dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pad with zeros: (left, right); negative widths crop.

    Shape: input (*, W); output (*, W + left + right).
    """

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pad with zeros: (left, right, top, bottom, front, back); negative widths crop.

    Shape: input (*, D, H, W); output (*, D + front + back, H + top + bottom, W + left + right).
    """

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"
