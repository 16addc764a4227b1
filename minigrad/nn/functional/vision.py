"""Image ops of torch.nn.functional beyond convolution and pooling: pixel_shuffle and
pixel_unshuffle (channels to space and back, reshapes and one permute), affine_grid (the
sampling grid of an affine map, for grid_sample), and local_response_norm (AlexNet's
normalization across neighbouring channels, an average pool over the channel axis).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from minigrad.factory import linspace, ones, tensor
from minigrad.nn.functional.pooling import avg_pool2d
from minigrad.ops import pad, stack
from minigrad.ops.unfold import is_int
from minigrad.tensor import Tensor


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearrange channels into space: channel c*r*r + i*r + j of pixel (y, x) goes to channel c,
    pixel (y*r + i, x*r + j), r = upscale_factor (a sub-pixel convolution's last step).

    Shape: input (*, C*r^2, H, W), output (*, C, H*r, W*r).
    """
    r = _factor_arguments(input, upscale_factor, "pixel_shuffle", "upscale_factor")
    if input.shape[-3] % (r * r):
        raise RuntimeError(
            f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={input.shape[-3]} is not divisible "
            f"by {r * r}")
    *batch, c, h, w = input.shape
    b = len(batch)
    blocks = input.reshape(*batch, c // (r * r), r, r, h, w)       # (*, C, i, j, H, W)
    blocks = blocks.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)  # (*, C, H, i, W, j)
    return blocks.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """pixel_shuffle's inverse: each r x r block of pixels becomes r*r channels.

    Shape: input (*, C, H*r, W*r), output (*, C*r^2, H, W).
    """
    r = _factor_arguments(input, downscale_factor, "pixel_unshuffle", "downscale_factor")
    for axis, size in (("height", input.shape[-2]), ("width", input.shape[-1])):
        if size % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {axis} to be divisible by downscale_factor, but "
                f"input.size({-2 if axis == 'height' else -1})={size} is not divisible by {r}")
    *batch, c, h, w = input.shape
    b = len(batch)
    blocks = input.reshape(*batch, c, h // r, r, w // r, r)         # (*, C, H, i, W, j)
    blocks = blocks.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)  # (*, C, i, j, H, W)
    return blocks.reshape(*batch, c * r * r, h // r, w // r)


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None
                ) -> Tensor:
    """The sampling grid of a batch of affine maps: grid[n, y, x] = theta[n] @ (x', y', 1),
    (x', y') pixel (x, y)'s normalized coordinates in [-1, 1] (the pixels' centres, or with
    ``align_corners`` the corner pixels' centres, at -1 and 1). 3-D alike with (x', y', z', 1).

    Shape: theta (N, 2, 3), size (N, C, H, W), grid (N, H, W, 2); or theta (N, 3, 4),
    size (N, C, D, H, W), grid (N, D, H, W, 3).
    """
    align_corners = _affine_grid_arguments(theta, size, align_corners)
    spatial = list(size[2:])  # (H, W) or (D, H, W)
    d = len(spatial)
    coordinates = []  # x along the last dim, y along the one before (, z before that)
    for k, n in enumerate(reversed(spatial)):
        shape = [1] * d
        shape[d - 1 - k] = n
        axis = _normalized_axis(n, align_corners, theta).reshape(shape)
        coordinates.append(axis.expand(*spatial))
    coordinates.append(ones(*spatial, dtype=theta.dtype, device=theta.device))
    base = stack(coordinates, dim=-1)                     # (*spatial, d + 1): (x, y, 1)
    grid = base.reshape(1, -1, d + 1) @ theta.transpose(1, 2)
    return grid.reshape(theta.shape[0], *spatial, d)


def _normalized_axis(n: int, align_corners: bool, like: Tensor) -> Tensor:
    """n points in [-1, 1]: the ends at the outer pixels' centres (align_corners) or at the
    image's edges (the centres then at +-(n - 1) / n); one point at 0."""
    if n <= 1:
        return tensor([0.0], dtype=like.dtype, device=like.device)
    axis = linspace(-1, 1, n, dtype=like.dtype, device=like.device)
    return axis if align_corners else axis * (n - 1) / n


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean(x^2 over ``size`` neighbouring channels))^beta, the window
    centred on the channel (size // 2 before it), zero-padded at the ends (AlexNet).

    Shape: input (N, C, *), output the same.
    """
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          "
                         f"input (got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    n, c = input.shape[:2]
    squares = (input * input).reshape(n, 1, c, -1)               # (N, 1, C, everything else)
    squares = pad(squares, (0, 0, size // 2, (size - 1) // 2))   # zeros around the channels
    mean = avg_pool2d(squares, (size, 1), stride=1).reshape(input.shape)
    return input / (mean * alpha + k) ** beta


# ---- argument checks ---------------------------------------------------------------------------
def _factor_arguments(input: Tensor, factor: Any, name: str, argument: str) -> int:
    """A positive int factor and an input of at least 3 dims, as torch's checks."""
    if not is_int(factor):
        raise TypeError(f"{name}(): argument '{argument}' (position 2) must be int, not "
                        f"{type(factor).__name__}")
    if input.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input "
                           f"with {input.ndim} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {argument}, but got {factor}")
    return int(factor)


def _affine_grid_arguments(theta: Tensor, size: Sequence[int], align_corners: bool | None
                           ) -> bool:
    """torch's checks of affine_grid (and its warnings); align_corners (False if None)."""
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                      "align_corners=False since 1.3.0. Please specify align_corners=True if "
                      "the old behavior is desired. See the documentation of grid_sample for "
                      "details.", stacklevel=3)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(size)
    if len(size) in (4, 5):
        d = len(size) - 2
        if theta.ndim != 3 or tuple(theta.shape[1:]) != (d, d + 1):
            raise ValueError(f"Expected a batch of {d}D affine matrices of shape Nx{d}x{d + 1} "
                             f"for size {size}. Got {theta.shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if align_corners and min(size[2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=3)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {len(size) - 1}] but got: [{theta.shape[0]}, "
                           f"{len(size) - 1}].")
    return bool(align_corners)
