"""Adaptive pooling of sequences: AdaptiveAvgPool1d and AdaptiveMaxPool1d."""

from __future__ import annotations

from typing import Any

from minigrad.nn import functional as F
from minigrad.nn.module import Module
from minigrad.tensor import Tensor

__all__ = ["AdaptiveAvgPool1d", "AdaptiveMaxPool1d"]


class AdaptiveAvgPool1d(Module):
    """Average pooling to a fixed length, whatever the input length.

    Shape: input (N, C, L) or (C, L); output (N, C, output_size).
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        """Adaptive average pool."""
        return F.adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(Module):
    """Max pooling to a fixed length (AdaptiveAvgPool1d's windows).

    Shape: input (N, C, L) or (C, L); output (N, C, output_size); with ``return_indices``
    also the position (in L) of each max.
    """

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor) -> Any:
        """Adaptive max pool (and the indices of the maxima when ``return_indices``)."""
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
