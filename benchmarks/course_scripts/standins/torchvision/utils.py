"""make_grid: a batch of images laid out in one image, as torchvision.utils.make_grid."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F


def make_grid(tensor: Any, nrow: int = 8, padding: int = 2, pad_value: float = 0.0,
              **ignored: Any) -> Any:
    """Shape: (B, C, H, W) -> (C, rows*(H+p)+p, cols*(W+p)+p), cols = min(nrow, B)."""
    if isinstance(tensor, list | tuple):
        tensor = torch.stack(list(tensor))
    if tensor.dim() == 3:
        tensor = tensor.unsqueeze(0)
    if tensor.size(1) == 1:
        tensor = torch.cat([tensor, tensor, tensor], 1)
    b, c, h, w = tensor.shape
    cols = min(nrow, b)
    rows = -(-b // cols)
    tiles = F.pad(tensor, (padding, 0, padding, 0), value=pad_value)
    if rows * cols > b:
        blank = torch.full((rows * cols - b, c, h + padding, w + padding), pad_value,
                           dtype=tensor.dtype)
        tiles = torch.cat([tiles, blank], 0)
    grid = tiles.reshape(rows, cols, c, h + padding, w + padding).permute(2, 0, 3, 1, 4)
    grid = grid.reshape(c, rows * (h + padding), cols * (w + padding))
    return F.pad(grid, (0, padding, 0, padding), value=pad_value)
