"""More activation layers of torch.nn: PReLU (a learned slope), Hardswish, Hardsigmoid, Mish,
SELU, CELU and Softmin, each one call into ``functional``."""

from __future__ import annotations

from typing import Any

from minigrad.factory import empty
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.layers import _Activation
from minigrad.nn.module import Module, Parameter
from minigrad.runtime import dtypes
from minigrad.tensor import Tensor

__all__ = ["CELU", "SELU", "Hardsigmoid", "Hardswish", "Mish", "PReLU", "Softmin"]


class PReLU(Module):
    """x for x > 0, else a * x, with a learned slope ``a``: one for all channels, or one per
    channel (``num_parameters`` = C), each starting at ``init``.

    Shape: input (*) or (N, C, *); output the same. Weight (num_parameters,).
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(empty(num_parameters, device=device,
                                      dtype=dtype or dtypes.float32))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every slope ``init`` again."""
        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        """PReLU."""
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Hardswish(_Activation):
    """x * relu6(x + 3) / 6. Shape: input (*), output (*), the same."""

    def forward(self, input: Tensor) -> Tensor:
        """Hardswish."""
        return F.hardswish(input, self.inplace)

    def extra_repr(self) -> str:
        return ""  # torch's shows no inplace here


class Hardsigmoid(_Activation):
    """relu6(x + 3) / 6. Shape: input (*), output (*), the same."""

    def forward(self, input: Tensor) -> Tensor:
        """Hardsigmoid."""
        return F.hardsigmoid(input, self.inplace)

    def extra_repr(self) -> str:
        return ""  # torch's shows no inplace here


class Mish(_Activation):
    """x * tanh(softplus(x)). Shape: input (*), output (*), the same."""

    def forward(self, input: Tensor) -> Tensor:
        """Mish."""
        return F.mish(input, self.inplace)


class SELU(_Activation):
    """scale * (x for x > 0, else alpha (exp(x) - 1)), SELU's constants. Shape: input (*),
    output (*), the same."""

    def forward(self, input: Tensor) -> Tensor:
        """SELU."""
        return F.selu(input, self.inplace)


class CELU(_Activation):
    """x for x > 0, else alpha (exp(x / alpha) - 1). Shape: input (*), output (*), the same."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.alpha = alpha

    def forward(self, input: Tensor) -> Tensor:
        """CELU."""
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softmin(Module):
    """softmax(-x) along ``dim``. Shape: input (*), output (*), the same."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Softmin."""
        return F.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
