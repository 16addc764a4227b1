"""The layers of a CNN course, as torch.nn's: names, arguments, defaults, init and reprs.

Each layer follows PyTorch's order: a docstring with ``Shape:``, ``__init__`` that validates
and stores its settings, ``reset_parameters()`` with PyTorch's default initialization, a
``forward`` that is one call into ``functional``, and ``extra_repr``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any, cast

from minigrad.factory import empty, ones, tensor, zeros
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter
from minigrad.ops.promotion import host_values
from minigrad.ops.unfold import int_tuple, is_int, pair
from minigrad.runtime import dtypes
from minigrad.tensor import Tensor

__all__ = [
    "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "AvgPool1d", "AvgPool2d", "BatchNorm1d",
    "BatchNorm2d", "Conv1d", "Conv2d", "ConvTranspose2d", "Dropout", "Dropout2d", "ELU",
    "Flatten", "GELU", "GroupNorm", "Hardtanh", "InstanceNorm2d", "LayerNorm", "LeakyReLU",
    "Linear", "LogSoftmax", "MaxPool1d", "MaxPool2d", "ReLU", "ReLU6", "SiLU", "Sigmoid",
    "Softmax", "Softplus", "Tanh", "Unflatten", "Upsample", "ZeroPad2d",
]


def _factory(device: Any, dtype: Any) -> dict[str, Any]:
    return {"device": device, "dtype": dtype or dtypes.float32}


def _scale_and_shift(module: Module, shape: tuple[int, ...], affine: bool, bias: bool,
                     f: dict[str, Any]) -> None:
    """A normalization layer's learned weight (scale) and bias (shift) of ``shape``, or the
    None placeholders torch registers without them (``affine=False``, ``bias=False``)."""
    module.register_parameter("weight", Parameter(empty(tuple(shape), **f)) if affine else None)
    module.register_parameter("bias", Parameter(empty(tuple(shape), **f))
                              if affine and bias else None)


def _reset_scale_and_shift(module: Module) -> None:
    """Weight 1 and bias 0, where the layer has them: at first a normalization changes
    nothing after normalizing."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


def _int_arguments(**arguments: Any) -> None:
    """Counts must be ints (not floats, nor bools), as torch's argument parser says."""
    for name, value in arguments.items():
        F.checks.int_argument(value, name)


def _size_arguments(**sizes: Any) -> None:
    """The sizes of a layer's weights (features, channels, kernel sizes) must be ints of 0 or
    more: torch fails to make such a weight, and here the message names the argument."""
    for name, size in sizes.items():
        values = size if isinstance(size, tuple) else (size,)
        if not all(is_int(v) for v in values):
            raise TypeError(f"argument '{name}' must be int, not {type(size).__name__} (got "
                            f"{name}={size!r})")
        if min(values) < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension: "
                               f"{name}={size}")


def _uniform_bias(bias: Tensor | None, fan_in: int) -> None:
    if bias is not None:
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(bias, -bound, bound)


# ---- linear and convolution ------------------------------------------------------------------
class Identity(Module):
    """Returns its input unchanged (a placeholder that takes any arguments).

    Shape: input (*), output (*), the same.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        """Return ``input``."""
        return input


class Linear(Module):
    """y = x W^T + b.

    Shape: input (*, in_features), output (*, out_features). Weight (out, in) and bias drawn
    from U(-1/sqrt(in), 1/sqrt(in)), as torch's.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _size_arguments(in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(empty(out_features, in_features, **_factory(device, dtype)))
        if bias:
            self.bias = Parameter(empty(out_features, **_factory(device, dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-uniform weight (a = sqrt(5)) and a uniform bias, as torch's."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        _uniform_bias(self.bias, self.in_features)

    def forward(self, input: Tensor) -> Tensor:
        """x W^T + b."""
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class _ConvNd(Module):
    """What Conv1d, Conv2d and ConvTranspose2d share: validation, parameters, init and repr."""

    transposed = False
    dims = 2  # spatial dims: kernel_size, stride, ... are tuples of this many ints

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: Any, dilation: Any, groups: int, bias: bool, padding_mode: str,
                 output_padding: Any = 0, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        _int_arguments(groups=groups)
        self.kernel_size = self._tuple(kernel_size, "kernel_size")
        _size_arguments(in_channels=in_channels, out_channels=out_channels,
                        kernel_size=self.kernel_size)
        self.stride = self._tuple(stride, "stride")
        self.dilation = self._tuple(dilation, "dilation")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'same', 'valid'}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding: Any = padding
        else:
            self.padding = self._tuple(padding, "padding")
        modes = ("zeros", "reflect", "replicate", "circular")
        if padding_mode not in modes:
            raise ValueError(f"padding_mode must be one of {set(modes)}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.padding_mode = padding_mode
        self.output_padding = self._tuple(output_padding, "output_padding")
        shape = ((in_channels, out_channels // groups) if self.transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(empty(tuple(shape), **_factory(device, dtype)))
        if bias:
            self.bias = Parameter(empty(out_channels, **_factory(device, dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _tuple(self, v: Any, name: str) -> tuple[int, ...]:
        """An int or a tuple of ints as a tuple of ``dims`` ints (kernel_size=3: (3, 3))."""
        return pair(v, name) if self.dims == 2 else (F.checks.single(v, name),)

    def reset_parameters(self) -> None:
        """Kaiming-uniform weight (a = sqrt(5)), bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
        _uniform_bias(self.bias, fan_in)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self.dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.dims:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation) over a signal with C_in channels: Conv2d's math on
    an image of height 1 (F.conv1d).

    Shape: input (N, C_in, L) or (C_in, L); output (N, C_out, L_out) with
    L_out = floor((L + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1.
    Weight (C_out, C_in/groups, kernel_size); ``padding`` and ``padding_mode`` as Conv2d's.
    """

    dims = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device=device, dtype=dtype)

    def forward(self, input: Tensor) -> Tensor:
        """Convolve; non-zero padding modes pad first, then convolve without padding."""
        if self.padding_mode != "zeros":
            if self.padding == "same":  # the odd one on the right, as torch
                total = self.dilation[0] * (self.kernel_size[0] - 1)
                left, right = total // 2, total - total // 2
            else:
                left = right = 0 if self.padding == "valid" else self.padding[0]
            input = F.pad(input, (left, right), mode=self.padding_mode)
            return F.conv1d(input, self.weight, self.bias, cast("tuple[int]", self.stride), 0,
                            cast("tuple[int]", self.dilation), self.groups)
        return F.conv1d(input, self.weight, self.bias, cast("tuple[int]", self.stride),
                        self.padding, cast("tuple[int]", self.dilation), self.groups)


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation) over an image with C_in channels.

    Shape: input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, H_out, W_out) with
    H_out = floor((H + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1.
    ``padding`` may be 'valid' (none) or 'same' (stride 1; the odd pixel after, as torch);
    ``padding_mode`` zeros, reflect, replicate or circular.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device=device, dtype=dtype)

    def _mode_padding(self) -> tuple[int, int, int, int]:
        """F.pad widths (left, right, top, bottom) for a non-zero padding_mode."""
        if self.padding == "same":
            (top, left), (bottom, right) = F.convolution.same_padding_sizes(
                cast("tuple[int, int]", self.kernel_size), cast("tuple[int, int]", self.dilation))
            return left, right, top, bottom
        ph, pw = (0, 0) if self.padding == "valid" else self.padding
        return pw, pw, ph, ph

    def forward(self, input: Tensor) -> Tensor:
        """Convolve; non-zero padding modes pad first, then convolve without padding."""
        if self.padding_mode != "zeros":
            input = F.pad(input, self._mode_padding(), mode=self.padding_mode)
            return F.conv2d(input, self.weight, self.bias, self.stride, 0, self.dilation,
                            self.groups)
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """2-D transposed convolution, the adjoint of Conv2d (upsampling by ``stride``).

    Shape: input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, H_out, W_out) with
    H_out = (H - 1)*stride - 2*padding + dilation*(kernel_size - 1) + output_padding + 1.
    Weight (C_in, C_out/groups, kh, kw).
    """

    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        if padding_mode != "zeros":
            raise ValueError('Only "zeros" padding mode is supported for ConvTranspose2d')
        if isinstance(padding, str):
            raise TypeError(f"argument 'padding' of ConvTranspose2d must be an int or a tuple of "
                            f"ints, but got padding={padding!r} (no 'same' or 'valid' here)")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device, dtype)

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        """Transposed convolution (``output_size`` picks the output_padding, as torch)."""
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)

    def _output_padding(self, input: Tensor, output_size: Sequence[int] | None
                        ) -> tuple[int, ...]:
        """The output padding that gives ``output_size`` (H_out, W_out), or (N, C, H_out,
        W_out): each size from the smallest output, (H - 1)*stride - 2*padding +
        dilation*(kernel_size - 1) + 1, to stride - 1 more, as torch's."""
        if output_size is None:
            return self.output_padding
        sizes = list(int_tuple(output_size, None, "output_size"))
        if len(sizes) == input.ndim:
            sizes = sizes[-2:]
        if len(sizes) != 2:
            raise ValueError(f"ConvTranspose2D: for {input.ndim}D input, output_size must have 2 "
                             f"or {input.ndim} elements (got {len(sizes)})")
        smallest = [(n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in zip(
            input.shape[-2:], self.stride, self.padding, self.dilation, self.kernel_size)]
        largest = [low + s - 1 for low, s in zip(smallest, self.stride)]
        if any(not low <= o <= high for o, low, high in zip(sizes, smallest, largest)):
            raise ValueError(f"requested an output size of {sizes}, but valid sizes range from "
                             f"{smallest} to {largest} (for an input of "
                             f"{list(input.shape[-2:])})")
        return tuple(o - low for o, low in zip(sizes, smallest))


# ---- pooling ---------------------------------------------------------------------------------
class _MaxPoolNd(Module):
    """What MaxPool1d and MaxPool2d share: their settings, stored as given, and the repr."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False, ceil_mode: bool = False
                 ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """The max over each window along the length: MaxPool2d on an image of height 1.

    Shape: input (N, C, L) or (C, L); output (N, C, L_out) with
    L_out = floor((L + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1 (ceil in
    ceil_mode). ``stride`` defaults to ``kernel_size``; padding at most half the kernel.
    """

    def forward(self, input: Tensor) -> Any:
        """Max-pool (and the indices of the maxima when ``return_indices``)."""
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """The max over each window (padding is -inf, so it never wins).

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out) with
    H_out = floor((H + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1 (ceil in
    ceil_mode). ``stride`` defaults to ``kernel_size``; padding at most half the kernel.
    """

    def forward(self, input: Tensor) -> Any:
        """Max-pool (and the indices of the maxima when ``return_indices``)."""
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool1d(Module):
    """The mean over each window along the length: AvgPool2d on an image of height 1.

    Shape: input (N, C, L) or (C, L); output (N, C, L_out) with
    L_out = floor((L + 2*padding - kernel_size) / stride) + 1 (ceil in ceil_mode).
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = (F.checks.single(kernel_size, "kernel_size"),)
        self.stride = (F.checks.single(kernel_size if stride is None else stride, "stride"),)
        self.padding = (F.checks.single(padding, "padding"),)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        """Average-pool."""
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """The mean over each window (zero padding; divisor by PyTorch's rules).

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out) with
    H_out = floor((H + 2*padding - kernel_size) / stride) + 1 (ceil in ceil_mode).
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        """Average-pool."""
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, whatever the input size.

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, *output_size) (None keeps a size).
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        """Adaptive average pool."""
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output size, whatever the input size (AdaptiveAvgPool2d's
    windows).

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, *output_size) (None keeps a size);
    with ``return_indices`` also the flat index (in H*W) of each max.
    """

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor) -> Any:
        """Adaptive max pool (and the indices of the maxima when ``return_indices``)."""
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


# ---- padding and resampling ------------------------------------------------------------------
class ZeroPad2d(Module):
    """Pad an image with zeros: ``padding`` = (left, right, top, bottom), or one int for all
    four (negative values crop).

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, H + top + bottom,
    W + left + right).
    """

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__()
        self.padding = (padding,) * 4 if is_int(padding) else int_tuple(padding, None, "padding")
        self.value = 0.0

    def forward(self, input: Tensor) -> Tensor:
        """Pad with zeros."""
        return F.pad(input, cast("tuple[int, ...]", self.padding), "constant", self.value)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class Upsample(Module):
    """Resize images to ``size`` or by ``scale_factor`` (F.interpolate): 'nearest' copies the
    nearest pixel, 'bilinear' mixes the four around each source point.

    Shape: input (N, C, H, W) (or (N, C, W) for 'nearest'); output (N, C, H_out, W_out) with
    H_out = size[0] or floor(H * scale_factor).
    """

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None
                 ) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor: Any = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        """Interpolate."""
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        info = (f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None
                else f"size={self.size!r}")
        return info + f", mode={self.mode!r}"


# ---- normalization ---------------------------------------------------------------------------
class _NormBase(Module):
    """What batch and instance norm share: settings, parameters, running statistics, repr."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        if affine or track_running_stats:  # (otherwise unused, and torch takes anything)
            _size_arguments(num_features=num_features)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        f = _factory(device, dtype)
        _scale_and_shift(self, (num_features,), affine, bias, f)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, **f))
            self.register_buffer("running_var", ones(num_features, **f))
            self.register_buffer("num_batches_tracked",
                                 tensor(0, dtype=dtypes.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics; weight 1 and bias 0."""
        self.reset_running_stats()
        _reset_scale_and_shift(self)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the dims they accept."""

    def forward(self, input: Tensor) -> Tensor:
        """Normalize with batch statistics (training) or running ones (eval)."""
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative moving average
                factor = 1.0 / float(host_values(self.num_batches_tracked, "batch count"))
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalization over the channels of (N, C) or (N, C, L) inputs.

    Shape: input (N, C) or (N, C, L); output the same.
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalization over the channels of images.

    Shape: input (N, C, H, W); output the same.
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 4:
            raise ValueError(f"expected 4D input (got {input.ndim}D input)")


class InstanceNorm2d(_NormBase):
    """Instance normalization: each channel of each image normalized over its H x W pixels
    (F.instance_norm); no weight and bias, nor running statistics, unless asked for.

    Shape: input (N, C, H, W) or (C, H, W); output the same.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (3, 4):
            raise ValueError(f"expected 3D or 4D input (got {input.ndim}D input)")
        dim = input.ndim - 3  # the channel dim
        if input.shape[dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={dim} to match num_features "
                                 f"({self.num_features}), but got: {input.shape[dim]}.")
            warnings.warn(f"input's size at dim={dim} does not match num_features. You can "
                          "silence this warning by not passing in num_features, which is not "
                          "used because affine=False", stacklevel=3)

    def forward(self, input: Tensor) -> Tensor:
        """Normalize each image's channels (running statistics in eval, if tracked)."""
        self._check_input_dim(input)
        x = input.unsqueeze(0) if input.ndim == 3 else input
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              0.0 if self.momentum is None else self.momentum, self.eps)
        return out.squeeze(0) if input.ndim == 3 else out


class LayerNorm(Module):
    """Layer normalization: each sample normalized over its last dims (``normalized_shape``),
    then an elementwise weight and bias of that shape.

    Shape: input (*, *normalized_shape); output the same.
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = int_tuple(normalized_shape, None, "normalized_shape")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _scale_and_shift(self, self.normalized_shape, elementwise_affine, bias,
                         _factory(device, dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight 1 and bias 0."""
        _reset_scale_and_shift(self)

    def forward(self, input: Tensor) -> Tensor:
        """Normalize over the last dims."""
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalization: the channels of each sample split into ``num_groups`` groups, each
    normalized over its channels and positions; then a weight and bias per channel.

    Shape: input (N, C, *) with C = num_channels; output the same.
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        _size_arguments(num_channels=num_channels)
        # as torch: a number of groups that does not divide is a ValueError; 2.0 divides, and
        # then is a TypeError (an int is needed); 0 and fewer are F.group_norm's RuntimeError
        if isinstance(num_groups, numbers.Real) and num_groups and num_channels % num_groups:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        _int_arguments(num_groups=num_groups)
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        _scale_and_shift(self, (num_channels,), affine, bias, _factory(device, dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight 1 and bias 0."""
        _reset_scale_and_shift(self)

    def forward(self, input: Tensor) -> Tensor:
        """Normalize each group of channels."""
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


# ---- shape, activations, dropout -------------------------------------------------------------
class Flatten(Module):
    """Merge dims ``start_dim`` .. ``end_dim`` (by default all but the batch dim).

    Shape: input (N, *dims), output (N, prod(dims)) with the defaults.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        """Flatten."""
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``.

    Shape: input (*, S, *), output (*, *unflattened_size, *) with prod(unflattened_size) = S.
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                is_int(size) for size in unflattened_size):
            raise TypeError(f"unflattened_size must be a tuple of ints, but got "
                            f"unflattened_size={unflattened_size!r}")
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        """Unflatten."""
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class _Activation(Module):
    """An elementwise function with no parameters. Shape: input (*), output (*), the same."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ReLU(_Activation):
    """max(x, 0). Shape: input (*), output (*), the same."""

    def forward(self, input: Tensor) -> Tensor:
        """ReLU (written over the input with ``inplace=True``)."""
        return F.relu(input, self.inplace)


class Sigmoid(Module):
    """1 / (1 + exp(-x)). Shape: input (*), output (*), the same."""

    def forward(self, input: Tensor) -> Tensor:
        """Sigmoid."""
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x). Shape: input (*), output (*), the same."""

    def forward(self, input: Tensor) -> Tensor:
        """Tanh."""
        return F.tanh(input)


class LeakyReLU(_Activation):
    """x for x > 0, else negative_slope * x. Shape: input (*), output (*), the same."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.negative_slope = negative_slope

    def forward(self, input: Tensor) -> Tensor:
        """Leaky ReLU."""
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                          else "")


class GELU(Module):
    """x * Phi(x), Phi the standard normal's CDF (``approximate='tanh'``: its tanh form).

    Shape: input (*), output (*), the same.
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        """GELU."""
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_Activation):
    """x * sigmoid(x). Shape: input (*), output (*), the same."""

    def forward(self, input: Tensor) -> Tensor:
        """SiLU."""
        return F.silu(input)


class ELU(_Activation):
    """x for x > 0, else alpha (exp(x) - 1). Shape: input (*), output (*), the same."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.alpha = alpha

    def forward(self, input: Tensor) -> Tensor:
        """ELU."""
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Hardtanh(_Activation):
    """x clipped to [min_val, max_val]. Shape: input (*), output (*), the same."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        super().__init__(inplace)
        for old, new, value in (("min_value", "min_val", min_value),
                                ("max_value", "max_val", max_value)):
            if value is not None:
                warnings.warn(f"keyword argument `{old}` is deprecated and renamed to `{new}`",
                              FutureWarning, stacklevel=2)
        self.min_val = min_val if min_value is None else min_value
        self.max_val = max_val if max_value is None else max_value
        if self.max_val <= self.min_val:
            raise AssertionError(f"max_val ({self.max_val}) must be greater than min_val "
                                 f"({self.min_val})")

    def forward(self, input: Tensor) -> Tensor:
        """Hardtanh."""
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return (f"min_val={self.min_val}, max_val={self.max_val}"
                + (", inplace=True" if self.inplace else ""))


class ReLU6(Hardtanh):
    """min(max(x, 0), 6): Hardtanh between 0 and 6. Shape: input (*), output (*), the same."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, x itself where beta x > threshold.

    Shape: input (*), output (*), the same.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        """Softplus."""
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """exp(x_i) / sum_j exp(x_j) along ``dim``. Shape: input (*), output (*), the same."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Softmax."""
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along ``dim``, stable. Shape: input (*), output (*), the same."""

    def forward(self, input: Tensor) -> Tensor:
        """Log-softmax."""
        return F.log_softmax(input, self.dim)


class _DropoutNd(Module):
    """What Dropout and Dropout2d share: the probability (checked) and the repr."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        F.checks.dropout_probability(p)
        self.p, self.inplace = p, inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability p and scale the rest by 1/(1-p) in training;
    the identity in eval. Shape: input (*), output (*), the same."""

    def forward(self, input: Tensor) -> Tensor:
        """Dropout (training) or identity (eval)."""
        return F.dropout(input, self.p, self.training)


class Dropout2d(_DropoutNd):
    """Zero whole channels with probability p and scale the rest by 1/(1-p) in training; the
    identity in eval. Shape: input (N, C, H, W), output the same."""

    def forward(self, input: Tensor) -> Tensor:
        """Channel dropout (training) or identity (eval)."""
        return F.dropout2d(input, self.p, self.training)
