"""DeformConv2d: the deformable convolution layer, as torchvision.ops.DeformConv2d.

The layer holds the kernels and bias; the offsets (and the v2 mask) are arguments of
``forward``, usually computed from the same input by an ordinary Conv2d (initialized to zero,
so training starts from a plain convolution). The math is ``minigrad.ops.deform``.
"""

from __future__ import annotations

import math
from typing import Any

from minigrad.factory import empty
from minigrad.nn import init
from minigrad.nn.layers import _uniform_bias
from minigrad.nn.module import Module, Parameter
from minigrad.ops.deform import deform_conv2d
from minigrad.ops.unfold import pair
from minigrad.tensor import Tensor

__all__ = ["DeformConv2d"]


class DeformConv2d(Module):
    """Deformable 2-D convolution (v1; v2 when ``forward`` gets a mask).

    Shape: input (N, C_in, H, W); offset (N, 2*offset_groups*kh*kw, H_out, W_out); mask
    (N, offset_groups*kh*kw, H_out, W_out); output (N, C_out, H_out, W_out) with
    H_out = floor((H + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True
                 ) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.padding = pair(padding, "padding")
        self.dilation = pair(dilation, "dilation")
        self.weight = Parameter(empty(out_channels, in_channels // groups, *self.kernel_size))
        if bias:
            self.bias = Parameter(empty(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-uniform weight (a = sqrt(5)), bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as
        torchvision's."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
        _uniform_bias(self.bias, fan_in)

    def forward(self, input: Tensor, offset: Tensor, mask: Tensor | None = None) -> Tensor:
        """Deformable convolution of ``input`` read at ``offset`` (modulated by ``mask``)."""
        return deform_conv2d(input, offset, self.weight, self.bias, stride=self.stride,
                             padding=self.padding, dilation=self.dilation, mask=mask)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
