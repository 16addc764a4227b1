"""unfold (im2col) and fold (col2im): the teaching primitive under convolution and pooling.

A convolution is ``unfold`` + a matrix product; max pooling is ``unfold`` + a max over the
window axis. ``unfold`` and ``fold`` are each other's adjoint, so each is the other's backward.
The arrays are made by the backend's ``im2col``/``col2im`` hooks (a generic Array API version,
with room for faster ones behind the same signature).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minigrad.autograd import Function
from minigrad.backends import conv_output_size

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

Pair = tuple[int, int]


class Unfold(Function):
    """im2col: the sliding blocks of an image as columns. Shape: (N, C, H, W) -> (N, C*kh*kw, L)."""

    def forward(self, x: Any, *, kernel_size: Pair, dilation: Pair, padding: Pair,
                stride: Pair) -> Any:
        self.args = (kernel_size, dilation, padding, stride)
        return self.backend.im2col(x, *self.args)

    # unfold copies each pixel into every block that covers it: fold sums the copies back
    def backward(self, g: Tensor) -> Tensor:
        return Fold.apply(g, output_size=self.inputs[0].shape[2:], **_named(self.args))


class Fold(Function):
    """col2im: sum columns of blocks back into an image. Shape: (N, C*kh*kw, L) -> (N, C, H, W)."""

    def forward(self, cols: Any, *, output_size: Pair, kernel_size: Pair, dilation: Pair,
                padding: Pair, stride: Pair) -> Any:
        self.args = (kernel_size, dilation, padding, stride)
        return self.backend.col2im(cols, output_size, *self.args)

    # fold sums blocks into pixels: each block position reads its pixel's gradient (unfold)
    def backward(self, g: Tensor) -> Tensor:
        return Unfold.apply(g, **_named(self.args))


def _named(args: tuple) -> dict[str, Pair]:
    return dict(zip(("kernel_size", "dilation", "padding", "stride"), args))


def pair(v: int | tuple[int, ...], name: str) -> Pair:
    """An int or a pair of ints as a pair (kernel_size=3 means (3, 3))."""
    t = (v, v) if isinstance(v, int) else tuple(v)
    if len(t) != 2 or not all(isinstance(i, int) for i in t):
        raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
    return t  # type: ignore[return-value]


def _geometry(kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> dict[str, Pair]:
    g = {"kernel_size": pair(kernel_size, "kernel_size"), "dilation": pair(dilation, "dilation"),
         "padding": pair(padding, "padding"), "stride": pair(stride, "stride")}
    for name, lowest in (("kernel_size", 1), ("dilation", 1), ("padding", 0), ("stride", 1)):
        if min(g[name]) < lowest:
            raise ValueError(f"{name} must be >= {lowest}, got {g[name]}")
    return g


def unfold(input: Tensor, kernel_size: int | Pair, dilation: int | Pair = 1,
           padding: int | Pair = 0, stride: int | Pair = 1) -> Tensor:
    """Extract sliding blocks as columns, as torch.nn.functional.unfold.

    Shape: (N, C, H, W) -> (N, C*kh*kw, L), L = oh*ow with
    o = floor((n + 2*padding - dilation*(k-1) - 1) / stride) + 1.
    """
    if input.ndim not in (3, 4):
        raise RuntimeError(f"unfold expects a 3-D or 4-D input (N, C, H, W), got shape "
                           f"{tuple(input.shape)}")
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    geometry = _geometry(kernel_size, dilation, padding, stride)
    out = conv_output_size(input.shape[2:], geometry["kernel_size"], geometry["dilation"],
                           geometry["padding"], geometry["stride"])
    if min(out) < 1:
        raise RuntimeError(
            f"unfold: the kernel {geometry['kernel_size']} with dilation {geometry['dilation']} "
            f"and padding {geometry['padding']} does not fit the input of shape "
            f"{tuple(input.shape)} (output size {out})")
    return Unfold.apply(input, **geometry)


def fold(input: Tensor, output_size: int | Pair, kernel_size: int | Pair,
         dilation: int | Pair = 1, padding: int | Pair = 0, stride: int | Pair = 1) -> Tensor:
    """Sum columns of sliding blocks back into an image, as torch.nn.functional.fold.

    Shape: (N, C*kh*kw, L) -> (N, C, H, W) with (H, W) = output_size.
    """
    if input.ndim not in (2, 3):
        raise RuntimeError(f"fold expects a 2-D or 3-D input (N, C*kh*kw, L), got shape "
                           f"{tuple(input.shape)}")
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding,
                    stride).squeeze(0)
    geometry = _geometry(kernel_size, dilation, padding, stride)
    size = pair(output_size, "output_size")
    kh, kw = geometry["kernel_size"]
    oh, ow = conv_output_size(size, geometry["kernel_size"], geometry["dilation"],
                              geometry["padding"], geometry["stride"])
    if input.shape[1] % (kh * kw):
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={input.shape[1]} and kernel_size={(kh, kw)}")
    if oh < 1 or ow < 1 or input.shape[2] != oh * ow:
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={(kh, kw)}, dilation="
            f"{geometry['dilation']}, padding={geometry['padding']}, stride="
            f"{geometry['stride']}, expected size of input's dimension 2 to match the "
            f"calculated number of sliding blocks {oh} * {ow} = {oh * ow}, but got "
            f"input.size(2)={input.shape[2]}.")
    return Fold.apply(input, output_size=size, **geometry)
