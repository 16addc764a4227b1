"""Lazy modules, as torch's: ``nn.LazyConv2d(6, kernel_size=5)`` leaves ``in_channels`` out and
learns it from the first input, as d2l's chapters build every CNN.

Until that first forward the weights are ``UninitializedParameter``s (running statistics
``UninitializedBuffer``s): they have a dtype and a device but no shape, and using one is an
error. The first forward materializes them in place (the same objects, so an optimizer made
before still holds them), draws torch's default initialization, and turns the module into the
plain class: ``type(m) is nn.Conv2d`` from then on. ``load_state_dict`` before that takes the
shapes from the loaded tensors instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minigrad.extras.hooks import RemovableHandle
from minigrad.nn.layers import (
    BatchNorm1d,
    BatchNorm2d,
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    Linear,
    _NormBase,
)
from minigrad.nn.module import Module, Parameter
from minigrad.runtime import dtypes
from minigrad.surface.uninitialized import UninitializedBuffer, _Uninitialized
from minigrad.tensor import Tensor

__all__ = ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyConv1d", "LazyConv2d",
           "LazyConvTranspose2d", "LazyLinear", "LazyModuleMixin", "UninitializedBuffer",
           "UninitializedParameter"]


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter whose shape is not known yet: a Lazy module's until its first forward."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None
                 ) -> None:
        self._start(device, dtype, requires_grad)


def _is_lazy(t: Any) -> bool:
    return isinstance(t, _Uninitialized)


if TYPE_CHECKING:  # (to a type checker the mixin's base is the Module it is mixed into)
    _ModuleBase = Module
else:
    _ModuleBase = object


class LazyModuleMixin(_ModuleBase):
    """What the Lazy modules share: a forward pre-hook that infers the sizes from the first
    input (``initialize_parameters``), then becomes ``cls_to_become``; and shapes taken from a
    loaded state_dict before that."""

    cls_to_become: type | None = None

    def _start_lazy(self) -> None:
        self._lazy_hook: RemovableHandle = self.register_forward_pre_hook(_infer_parameters,
                                                                          prepend=True)
        self._load_pre_hooks = [_load_shapes]

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer still waits for its shape."""
        return any(_is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def initialize_parameters(self, input: Tensor) -> None:
        """Give the parameters their shapes from ``input`` and draw their initial values."""
        raise NotImplementedError

    def _become(self) -> None:
        """Done: no hooks of the lazy kind, and the plain class from now on."""
        self._lazy_hook.remove()
        del self._lazy_hook, self._load_pre_hooks
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become


def _infer_parameters(module: Any, args: tuple) -> None:
    if not args or not isinstance(args[0], Tensor):
        raise TypeError(f"{type(module).__name__}: the first forward needs an input tensor to "
                        "infer the parameters' shapes from")
    if module.has_uninitialized_params():
        module.initialize_parameters(args[0])
    module._become()


def _load_shapes(module: Any, state_dict: Any, prefix: str) -> None:
    """Before values are copied in: each uninitialized tensor takes the loaded one's shape."""
    own = {**module._parameters, **module._buffers}
    for name, target in own.items():
        value = state_dict.get(prefix + name)
        if _is_lazy(target) and value is not None and not _is_lazy(value):
            target.materialize(tuple(value.shape))  # (the class changes at the forward)


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose ``in_features`` is the last size of its first input.

    Shape: input (*, H_in), output (*, out_features); H_in is read on the first forward.
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        Linear.__init__(self, 0, 0, False, device, dtype)  # (no values drawn, as torch)
        self.out_features = out_features
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        self._start_lazy()

    def initialize_parameters(self, input: Tensor) -> None:
        """in_features from the input's last dim; torch's default initialization."""
        self.in_features = input.shape[-1]
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()


class _LazyConvMixin(LazyModuleMixin):
    """What the Lazy convolutions share: ``in_channels`` from the input's channel dim."""

    def _start_conv(self, out_channels: int, bias: bool, device: Any, dtype: Any) -> None:
        self.out_channels = out_channels
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        self._start_lazy()

    def initialize_parameters(self, input: Tensor) -> None:
        """in_channels from the input's channel dim; torch's default initialization."""
        if input.ndim not in (self.dims + 1, self.dims + 2):
            raise ValueError(f"Expected {self.dims + 1}D (unbatched) or {self.dims + 2}D "
                             f"(batched) input to {type(self).__name__}, but got input of "
                             f"size: {list(input.shape)}")
        self.in_channels = input.shape[0 if input.ndim == self.dims + 1 else 1]
        if self.in_channels % self.groups:
            raise ValueError("in_channels must be divisible by groups")
        shape = ((self.in_channels, self.out_channels // self.groups) if self.transposed
                 else (self.out_channels, self.in_channels // self.groups))
        self.weight.materialize(shape + self.kernel_size)
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


def _check_groups(out_channels: int, groups: int) -> None:
    if isinstance(groups, int) and groups > 0 and out_channels % groups:
        raise ValueError("out_channels must be divisible by groups")


class LazyConv1d(_LazyConvMixin, Conv1d):
    """A Conv1d whose ``in_channels`` is read from its first input.

    Shape: input (N, C_in, L_in) or (C_in, L_in), output as Conv1d's.
    """

    cls_to_become = Conv1d

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        _check_groups(out_channels, groups)
        Conv1d.__init__(self, 0, 0, kernel_size, stride, padding, dilation, groups, False,
                        padding_mode, device, dtype)
        self._start_conv(out_channels, bias, device, dtype)


class LazyConv2d(_LazyConvMixin, Conv2d):
    """A Conv2d whose ``in_channels`` is read from its first input.

    Shape: input (N, C_in, H, W) or (C_in, H, W), output as Conv2d's.
    """

    cls_to_become = Conv2d

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        _check_groups(out_channels, groups)
        Conv2d.__init__(self, 0, 0, kernel_size, stride, padding, dilation, groups, False,
                        padding_mode, device, dtype)
        self._start_conv(out_channels, bias, device, dtype)


class LazyConvTranspose2d(_LazyConvMixin, ConvTranspose2d):
    """A ConvTranspose2d whose ``in_channels`` is read from its first input.

    Shape: input (N, C_in, H, W) or (C_in, H, W), output as ConvTranspose2d's.
    """

    cls_to_become = ConvTranspose2d

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        _check_groups(out_channels, groups)
        ConvTranspose2d.__init__(self, 0, 0, kernel_size, stride, padding, output_padding,
                                 groups, False, dilation, padding_mode, device, dtype)
        self._start_conv(out_channels, bias, device, dtype)


class _LazyNormMixin(LazyModuleMixin):
    """What the Lazy batch norms share: ``num_features`` from the input's channel dim."""

    def _start_norm(self, affine: bool, track_running_stats: bool, device: Any,
                    dtype: Any) -> None:
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = Tensor(0, dtype=dtypes.int64, device=device)
        self._start_lazy()

    def initialize_parameters(self, input: Tensor) -> None:
        """num_features from the input's channel dim; weight 1, bias 0, fresh statistics."""
        self._check_input_dim(input)
        self.num_features = input.shape[1]
        for t in (self.weight, self.bias, self.running_mean, self.running_var):
            if _is_lazy(t):
                t.materialize((self.num_features,))
        self.reset_parameters()


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    """A BatchNorm1d whose ``num_features`` is read from its first input.

    Shape: input (N, C) or (N, C, L); output the same.
    """

    cls_to_become = BatchNorm1d

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None
                 ) -> None:
        _NormBase.__init__(self, 0, eps, momentum, False, False, device, dtype)
        self._start_norm(affine, track_running_stats, device, dtype)


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    """A BatchNorm2d whose ``num_features`` is read from its first input.

    Shape: input (N, C, H, W); output the same.
    """

    cls_to_become = BatchNorm2d

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None
                 ) -> None:
        _NormBase.__init__(self, 0, eps, momentum, False, False, device, dtype)
        self._start_norm(affine, track_running_stats, device, dtype)

