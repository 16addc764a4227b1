"""Adaptive pooling of sequences: the 2-D adaptive pools on a signal of height 1, as torch
computes them (``adaptive_avg_pool2d(x.unsqueeze(-2), (1, L_out)).squeeze(-2)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minigrad.nn.functional.pooling import adaptive_avg_pool2d, adaptive_max_pool2d
from minigrad.ops.unfold import is_int
from minigrad.tensor import Tensor


def adaptive_avg_pool1d(input: Tensor, output_size: int | Sequence[int]) -> Tensor:
    """Average pooling to a fixed length: output i averages the input positions
    [floor(i*L/L_out), ceil((i+1)*L/L_out)).

    Shape: input (N, C, L) or (C, L); output (N, C, L_out).
    """
    size = _adaptive1d_arguments(input, output_size, "adaptive_avg_pool1d")
    if not input.is_floating_point():
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either "
                           f"a floating point or complex dtype. Got: {input.dtype.torch_name}")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


def adaptive_max_pool1d(input: Tensor, output_size: int | Sequence[int],
                        return_indices: bool = False) -> Any:
    """Max pooling to a fixed length (adaptive_avg_pool1d's windows); with ``return_indices``
    also the position (in L) of each max.

    Shape: input (N, C, L) or (C, L); output (N, C, L_out) (and the indices, int64, alike).
    """
    size = _adaptive1d_arguments(input, output_size, "adaptive_max_pool1d")
    out = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


# ---- argument checks ---------------------------------------------------------------------------
def _adaptive1d_arguments(input: Tensor, output_size: Any, name: str) -> int:
    """torch's checks: a 2-D or 3-D input, one int for the output size; that int."""
    sizes = (output_size,) if is_int(output_size) else output_size
    if not isinstance(sizes, (tuple, list)) or not all(is_int(s) for s in sizes):
        raise TypeError(f"{name}(): argument 'output_size' (position 2) must be tuple of ints, "
                        f"not {type(output_size).__name__}")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional "
                           f"tensor for argument #1 'self' (while checking arguments for "
                           f"{name})")
    if len(sizes) != 1:
        raise RuntimeError(f"{name}() argument 'output_size' should contain one int (got "
                           f"{len(sizes)})")
    return int(sizes[0])
