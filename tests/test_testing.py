"""minigrad.testing: the checkers must catch wrong derivatives (else every op test is moot)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function
from minigrad.testing import GradcheckError, assert_close, gradcheck, gradgradcheck


class WrongCube(Function):
    """x**3 with a derivative of 3x**2 + 0.01 (a small error gradcheck must see)."""

    def forward(self, x: Any) -> Any:
        return x ** 3

    def backward(self, g: mg.Tensor) -> mg.Tensor:
        x = self.inputs[0]
        return g * (3 * x * x + 0.01)


class WrongSecond(Function):
    """x**3 whose first derivative is right but is written with a detached x: its own
    derivative (the second derivative of x**3) comes out 0 instead of 6x."""

    def forward(self, x: Any) -> Any:
        return x ** 3

    def backward(self, g: mg.Tensor) -> mg.Tensor:
        x = self.inputs[0].detach()
        return g * 3 * x * x


def x64(*shape: int) -> mg.Tensor:
    mg.manual_seed(5)
    return mg.randn(*shape, dtype=mg.float64, requires_grad=True)


@pytest.mark.parametrize("fast_mode", [False, True])
def test_gradcheck_passes_right_and_catches_wrong_gradients(fast_mode: bool) -> None:
    x = x64(3, 2)
    assert gradcheck(lambda t: t ** 3, (x,), fast_mode=fast_mode)
    with pytest.raises(GradcheckError):
        gradcheck(WrongCube.apply, (x,), fast_mode=fast_mode)
    assert gradcheck(WrongCube.apply, (x,), fast_mode=fast_mode, raise_exception=False) is False


@pytest.mark.parametrize("fast_mode", [False, True])
def test_gradgradcheck_catches_a_wrong_second_derivative(fast_mode: bool) -> None:
    x = x64(4)
    assert gradcheck(WrongSecond.apply, (x,), fast_mode=fast_mode)  # first order is right
    assert gradgradcheck(lambda t: t ** 3, (x,), fast_mode=fast_mode)
    with pytest.raises(GradcheckError):
        gradgradcheck(WrongSecond.apply, (x,), fast_mode=fast_mode)


def test_gradcheck_checks_gradient_shapes() -> None:
    class WrongShape(Function):
        def forward(self, x: Any) -> Any:
            return x * 2

        def backward(self, g: mg.Tensor) -> mg.Tensor:
            return (g * 2).sum(dim=0)  # a reduced gradient: the engine cannot fix this shape

    with pytest.raises((GradcheckError, RuntimeError)):
        gradcheck(WrongShape.apply, (x64(2, 3),))


def test_assert_close_messages() -> None:
    assert_close(mg.tensor([1.0, 2.0]), mg.tensor([1.0, 2.0 + 1e-7]))
    assert_close(mg.tensor([1.0]), np.array([1.0], np.float32))
    with pytest.raises(AssertionError, match=r"shapes differ: \(2,\) and \(3,\)"):
        assert_close(mg.ones(2), mg.ones(3))
    with pytest.raises(AssertionError, match="dtypes differ: minigrad.float32 and "
                                             "minigrad.float64"):
        assert_close(mg.ones(2), mg.ones(2, dtype=mg.float64))
    assert_close(mg.ones(2), mg.ones(2, dtype=mg.float64), check_dtype=False)
    with pytest.raises(AssertionError, match="1 of 2 elements"):
        assert_close(mg.tensor([1.0, 2.0]), mg.tensor([1.0, 2.1]))
