"""Resampling: interpolation and sampling grids compute source coordinates and mix the
neighbours.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from minigrad import ops
from minigrad.factory import arange, tensor
from minigrad.nn.functional import checks
from minigrad.nn.functional.pooling import adaptive_avg_pool2d
from minigrad.runtime import dtypes
from minigrad.tensor import Tensor


def interpolate(input: Tensor, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize images: every output pixel reads the input at a source coordinate.

    Output row i (of H_out) reads the input at row y_i, and columns likewise, as torch
    computes them, with scale = 1 / scale_factor when given, else H / H_out:
    'nearest' copies row min(floor(i * scale), H - 1) (scale in float32, as torch's);
    'bilinear' reads at y_i = i * (H - 1) / (H_out - 1) with ``align_corners`` (the corner
    pixels' centres meet), else at y_i = max((i + 0.5) * scale - 0.5, 0) (pixel centres scale),
    and mixes the four neighbours (y0, x0), (y0, x1), (y1, x0), (y1, x1), y0 = floor(y_i) and
    y1 = y0 + 1 (the last row again at the edge), with weights (1 - dy)(1 - dx), (1 - dy) dx,
    dy (1 - dx) and dy dx, where dy = y_i - y0 and dx = x_j - x0.
    Shape: input (N, C, H, W), or (N, C, W) for 'nearest'; output (N, C, H_out, W_out) with
    the given ``size`` or H_out = floor(H * scale_factor).
    """
    sizes, scales = interpolate_arguments(input, size, scale_factor, mode, align_corners,
                                                 recompute_scale_factor, antialias)
    if mode in ("nearest", "nearest-exact"):
        rows_or_columns = [_nearest_source(n, o, s, input.device, mode == "nearest-exact")
                           for n, o, s in zip(input.shape[2:], sizes, scales)]
        if input.ndim == 3:
            return input[:, :, rows_or_columns[0]]
        rows, columns = rows_or_columns
        return input[:, :, rows.reshape(-1, 1), columns]
    if mode == "area":  # each output pixel the mean of its window: adaptive average pooling
        if input.ndim == 3:
            return adaptive_avg_pool2d(input.unsqueeze(2), (1, sizes[0])).squeeze(2)
        return adaptive_avg_pool2d(input, sizes)
    if mode == "linear":  # bilinear on a one-row image
        return _bilinear(input.unsqueeze(2), (1, *sizes), (None, *scales),
                         bool(align_corners)).squeeze(2)
    return _bilinear(input, sizes, scales, bool(align_corners))


def _bilinear(input: Tensor, sizes: tuple[int, ...], scales: tuple[float | None, ...],
              align_corners: bool) -> Tensor:
    """interpolate's bilinear mode on (N, C, H, W): the four neighbours of each source point."""
    (h, w), (oh, ow) = input.shape[2:], sizes
    y = _linear_source(h, oh, scales[0], align_corners, input).reshape(-1, 1)
    x = _linear_source(w, ow, scales[1], align_corners, input)
    y0, x0 = y.long().clamp(max=h - 1), x.long().clamp(max=w - 1)  # floor: y, x >= 0
    y1, x1 = y0 + (y0 < h - 1).long(), x0 + (x0 < w - 1).long()
    dy, dx = y - y0, x - x0                                  # (H_out, 1) and (W_out,)
    return (input[:, :, y0, x0] * (1 - dy) * (1 - dx) + input[:, :, y0, x1] * (1 - dy) * dx
            + input[:, :, y1, x0] * dy * (1 - dx) + input[:, :, y1, x1] * dy * dx)


def _nearest_source(size: int, out: int, scale_factor: float | None, device: Any,
                    exact: bool = False) -> Tensor:
    """The input index each output index copies along one axis, as torch's: floor(i * scale)
    ('nearest-exact': floor((i + 0.5) * scale)) with the scale in float32, at most size - 1;
    exactly i // 2 when the size doubles."""
    i = arange(out, device=device)
    if out == size:
        return i
    if out == 2 * size:
        return i // 2
    scale = (tensor(1.0 / scale_factor, dtype=dtypes.float32, device=device) if scale_factor
             else tensor(float(size), dtype=dtypes.float32, device=device) / out)
    position = (i.float() + 0.5) * scale if exact else i.float() * scale
    return position.long().clamp(max=size - 1)  # a cast of a position >= 0: its floor


def _linear_source(size: int, out: int, scale_factor: float | None, align_corners: bool,
                   like: Tensor) -> Tensor:
    """The source coordinate of each output index along one axis (bilinear), as torch's."""
    i = arange(out, dtype=like.dtype, device=like.device)
    if align_corners:
        return i * ((size - 1) / (out - 1) if out > 1 else 0.0)
    # the sizes' ratio in the input's precision, as torch's (1 / scale_factor in double)
    scale = 1.0 / scale_factor if scale_factor else tensor(
        float(size), dtype=like.dtype, device=like.device) / out
    return ((i + 0.5) * scale - 0.5).clamp(min=0)


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample the input bilinearly at the points of a grid (a spatial transformer's sampler).

    grid[n, i, j] = (x, y) is a point in normalized coordinates: -1 and 1 are the left and
    right (top and bottom) edges of the image, meaning the centres of the corner pixels with
    ``align_corners``, else their outer edges. In pixels the point is at
    x' = (x + 1) / 2 * (W - 1), or ((x + 1) * W - 1) / 2 (likewise y'); the output mixes the
    four pixels around it, (y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1) with
    x0 = floor(x'), weighted (1 - dy)(1 - dx), (1 - dy) dx, dy (1 - dx) and dy dx, where
    dx = x' - x0; pixels outside the image count as 0 ('zeros'), or points outside are first
    moved to the nearest edge ('border') or mirrored into the image ('reflection'). With
    mode 'nearest', the nearest pixel. The gradient reaches input and grid.
    Shape: input (N, C, H, W); grid (N, H_out, W_out, 2); output (N, C, H_out, W_out).
    """
    corners = grid_sample_arguments(input, grid, mode, padding_mode, align_corners)
    n, _, h, w = input.shape
    x = _unnormalize(grid[..., 0], w, corners)       # (N, H_out, W_out), in pixels
    y = _unnormalize(grid[..., 1], h, corners)
    if padding_mode == "reflection":
        x, y = _reflect(x, w, corners), _reflect(y, h, corners)
    if padding_mode != "zeros":
        x, y = x.clamp(0, w - 1), y.clamp(0, h - 1)
    pixels = input.permute(0, 2, 3, 1)              # (N, H, W, C): one row per pixel
    batch = arange(n, device=input.device).reshape(n, 1, 1)

    def at(rows: Tensor, columns: Tensor) -> Tensor:
        """The input at integer points, (N, C, H_out, W_out); 0 outside the image."""
        inside = (rows >= 0) & (rows < h) & (columns >= 0) & (columns < w)
        values = pixels[batch, rows.clamp(0, h - 1), columns.clamp(0, w - 1)]
        return ops.where(inside.unsqueeze(-1), values, 0.0).permute(0, 3, 1, 2)

    if mode == "nearest":  # the nearest pixel (halves to even, as torch's nearbyint)
        return at(y.detach().round().long(), x.detach().round().long())
    x0, y0 = _floor(x), _floor(y)                   # the neighbour above and to the left
    dx, dy = (x - x0).unsqueeze(1), (y - y0).unsqueeze(1)  # (N, 1, H_out, W_out)
    ex, ey = (x0 + 1 - x).unsqueeze(1), (y0 + 1 - y).unsqueeze(1)  # 1 - dx, 1 - dy, as torch
    return (at(y0, x0) * ey * ex + at(y0, x0 + 1) * ey * dx
            + at(y0 + 1, x0) * dy * ex + at(y0 + 1, x0 + 1) * dy * dx)


def _unnormalize(coordinate: Tensor, size: int, align_corners: bool) -> Tensor:
    """A grid coordinate in [-1, 1] as a pixel coordinate, as torch's."""
    if align_corners:
        return (coordinate + 1) / 2 * (size - 1)
    return ((coordinate + 1) * size - 1) / 2


def _reflect(coordinate: Tensor, size: int, align_corners: bool) -> Tensor:
    """A pixel coordinate mirrored at the image's edges until it falls inside, as torch's
    reflect_coordinates (about the corner pixels' centres, or their outer edges)."""
    low, high = (0.0, size - 1.0) if align_corners else (-0.5, size - 0.5)
    span = high - low
    if span <= 0:
        return coordinate * 0
    distance = (coordinate - low).abs()
    flips = (distance.detach() / span).floor()
    extra = distance - flips * span                 # fmod(distance, span)
    even = (flips % 2) == 0
    return ops.where(even, extra + low, span - extra + low)


def _floor(t: Tensor) -> Tensor:
    """floor(t) as int64 indices (no gradient: a constant where it is smooth)."""
    return (t.detach() // 1).long()


# ---- argument checks (torch's messages), apart from the math above -------------------
def interpolate_arguments(input: Tensor, size: Any, scale_factor: Any, mode: str,
                          align_corners: bool | None, recompute_scale_factor: bool | None,
                           antialias: bool) -> tuple[tuple[int, ...], tuple[float | None, ...]]:
    """interpolate's checks (PyTorch's messages); the output size and, per axis, the scale
    factor that sets the source coordinates (None: the sizes' ratio)."""
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    dim, spatial = input.ndim - 2, list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = tuple(size) if isinstance(size, (list, tuple)) else (size,) * dim
        if len(sizes) != dim:
            raise ValueError(
                f"Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {spatial} and output size of {size}. Please "
                "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, "
                "o2, ...,oK) format.")
        if not all(isinstance(o, int) and not isinstance(o, bool) for o in sizes):
            raise TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, int] "
                            f"or Tuple[int, int, int], but got size with types "
                            f"{[type(o) for o in sizes]}")
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        scales: tuple[float | None, ...] = (None,) * dim
    elif scale_factor is not None:
        factors = (tuple(scale_factor) if isinstance(scale_factor, (list, tuple))
                   else (scale_factor,) * dim)
        if len(factors) != dim:
            raise ValueError(
                f"Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {spatial} and scale_factor of shape "
                f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                "and scale_factor in (s1, s2, ...,sK) format.")
        if not all(math.isfinite(float(f)) for f in factors):
            raise RuntimeError(f"scale_factor must be a finite number, but got scale_factor="
                               f"{scale_factor!r}")
        sizes = tuple(math.floor(n * float(f)) for n, f in zip(spatial, factors))
        scales = (None,) * dim if recompute_scale_factor else tuple(float(f) for f in factors)
    else:
        raise ValueError("either size or scale_factor should be defined")
    if antialias:
        raise NotImplementedError("minigrad's interpolate has no antialias option")
    if mode == "bilinear" and input.ndim == 3:
        raise NotImplementedError("Got 3D input, but bilinear mode needs 4D input")
    if mode == "linear" and input.ndim == 4:
        raise NotImplementedError("Got 4D input, but linear mode needs 3D input")
    if mode not in ("nearest", "nearest-exact", "area", "linear", "bilinear") or (
            input.ndim not in (3, 4)):
        raise NotImplementedError(f"minigrad's interpolate has modes 'nearest', 'nearest-exact' "
                                  f"and 'area' for 3D and 4D input, 'linear' for 3D and "
                                  f"'bilinear' for 4D (got {input.ndim}D, mode {mode!r})")
    checks.floating(input, f"upsample_{mode}")
    if mode != "area" and input.shape[1] == 0:
        raise RuntimeError(f"Non-empty {input.ndim}D data tensor expected but got a tensor with "
                           f"sizes {list(input.shape)}")
    if min(spatial) <= 0 or min(sizes) <= 0:
        names = ("H", "W")[-dim:]
        shown = [", ".join(f"{a}: {n}" for a, n in zip(names, s)) for s in (spatial, sizes)]
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({shown[0]}) {'output' if dim == 2 else 'and output'} "
                           f"({shown[1]})")
    return sizes, scales


def grid_sample_arguments(input: Tensor, grid: Tensor, mode: str, padding_mode: str,
                          align_corners: bool | None) -> bool:
    """grid_sample's checks (PyTorch's messages and warning); align_corners."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if mode == "bicubic":
        raise NotImplementedError("minigrad's grid_sample has modes 'bilinear' and 'nearest', "
                                  "not 'bicubic'")
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                      "align_corners=False since 1.3.0. Please specify align_corners=True if "
                      "the old behavior is desired. See the documentation of grid_sample for "
                      "details.", stacklevel=3)
    sizes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.ndim != 4 or grid.ndim != 4:
        raise RuntimeError(f"grid_sampler(): expected 4D input and grid with same number of "
                           f"dimensions, but got {sizes}")
    if grid.shape[-1] != 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 2 in last dimension, "
                           f"but got grid with sizes {list(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got {sizes}")
    if input.dtype is not grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have the same dtype, "
                           f"but got input {input.dtype.name} and grid {grid.dtype.name}")
    checks.floating(input, "grid_sampler_2d")
    if 0 in input.shape[2:]:
        raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                           f"dimensions, but input has sizes {list(input.shape)}")
    return bool(align_corners)
