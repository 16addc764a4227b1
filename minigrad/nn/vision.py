"""Image layers of torch.nn beyond convolution and pooling: PixelShuffle and PixelUnshuffle,
Unfold and Fold (im2col and col2im as layers), LocalResponseNorm; each one call into
``functional``."""

from __future__ import annotations

from typing import Any

from minigrad.nn import functional as F
from minigrad.nn.module import Module
from minigrad.tensor import Tensor

__all__ = ["Fold", "LocalResponseNorm", "PixelShuffle", "PixelUnshuffle", "Unfold"]


class PixelShuffle(Module):
    """Rearrange channels into space: (C*r^2, H, W) to (C, H*r, W*r), r = upscale_factor.

    Shape: input (*, C*r^2, H, W), output (*, C, H*r, W*r).
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        """Pixel shuffle."""
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """PixelShuffle's inverse: each r x r block of pixels becomes r*r channels.

    Shape: input (*, C, H*r, W*r), output (*, C*r^2, H, W).
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        """Pixel unshuffle."""
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class Unfold(Module):
    """Each sliding block of the image as a column (im2col).

    Shape: input (N, C, H, W) or (C, H, W); output (N, C*kh*kw, L), L the number of blocks,
    prod over H and W of floor((n + 2*padding - dilation*(k-1) - 1) / stride) + 1.
    """

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:
        """Unfold."""
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Columns of sliding blocks summed back into an image of ``output_size`` (col2im).

    Shape: input (N, C*kh*kw, L) or (C*kh*kw, L); output (N, C, *output_size).
    """

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        """Fold."""
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


class LocalResponseNorm(Module):
    """x / (k + alpha * mean(x^2 over ``size`` neighbouring channels))^beta (AlexNet).

    Shape: input (N, C, *), output the same.
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
                 ) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        """Local response normalization."""
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
