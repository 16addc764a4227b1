"""minigrad.testing: the checkers must catch wrong derivatives (else every op test is moot)."""

from __future__ import annotations

import re
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


# ---- check_graph: each node on its own -----------------------------------------------------
def _lenet_loss(x: mg.Tensor, y: mg.Tensor) -> Any:
    from demos.lenet import lenet

    mg.manual_seed(0)
    net = lenet()
    return mg.nn.CrossEntropyLoss()(net(x), y)


def test_check_graph_passes_every_node_of_a_right_graph() -> None:
    mg.manual_seed(1)
    x, w = mg.randn(3, 4, requires_grad=True), mg.randn(4, requires_grad=True)
    report = mg.testing.check_graph(lambda x, w: (((x @ w).sigmoid() - 1.0) ** 2).mean(), x, w)
    names = [c.name for c in report]
    assert names == ["MvBackward0", "SigmoidBackward0", "SubBackward0", "PowBackward0",
                     "MeanBackward0"]
    assert all(c.entries > 0 and 0 <= c.worst <= 1 and not c.skipped for c in report)
    assert report[0].entries == 3 * 4 + 4  # every entry of both small inputs
    assert "5 nodes agree" in str(report)
    # LeNet's whole graph (float32 as it runs; each node checked in float64, large inputs sampled)
    report = mg.testing.check_graph(_lenet_loss, mg.randn(2, 1, 28, 28), mg.tensor([3, 7]))
    assert len(report) > 40 and not any(c.skipped for c in report)
    assert {"UnfoldBackward0", "MatMulBackward0", "SumBackward1", "MmBackward0",
            "SigmoidBackward0", "IndexBackward0"} <= {c.name for c in report}  # conv, pool, ...
    assert max(c.entries for c in report) <= 2 * 32  # (at most 32 per input)


class HalfSquare(Function):
    """x * x whose backward forgets the 2 (the kind of slip a student makes)."""

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return x * x

    def backward(self, g: mg.Tensor) -> mg.Tensor:
        return g * self.inputs[0]


def test_check_graph_names_the_wrong_node_where_gradcheck_only_fails() -> None:
    mg.manual_seed(2)
    x = mg.randn(3, 2, dtype=mg.float64, requires_grad=True)
    w = mg.randn(2, 2, dtype=mg.float64, requires_grad=True)

    def f(x: mg.Tensor, w: mg.Tensor) -> mg.Tensor:
        return HalfSquare.apply((x @ w).tanh()).sigmoid().sum()

    assert not gradcheck(f, (x, w), raise_exception=False)  # the whole: wrong, but where?
    with pytest.raises(mg.testing.GraphCheckError) as e:
        mg.testing.check_graph(f, x, w)
    msg = str(e.value)
    assert "HalfSquareBackward0 (inputs of shape [3, 2])" in msg and "input 0" in msg
    # the worst entry, with both numbers: finite differences give twice the backward's
    found = re.search(r"finite differences give (\S+), its backward (\S+) ", msg)
    assert found is not None, msg
    assert float(found[1]) == pytest.approx(2 * float(found[2]), rel=1e-4)


def test_check_graph_finds_a_wrong_library_op_among_many(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """A wrong Sigmoid derivative (y instead of y (1 - y)) planted in the library's textbook
    op: the nodes before it pass, and it is the one named, with its input's shape."""
    from minigrad.ops import Sigmoid

    monkeypatch.setattr(Sigmoid, "backward", lambda self, g: g * self.output)
    first = r"^check_graph: SigmoidBackward0 \(inputs of shape \[2, 6, 28, 28\]\)"  # conv1's
    with mg.backends.fast_paths(False), pytest.raises(mg.testing.GraphCheckError, match=first):
        mg.testing.check_graph(_lenet_loss, mg.randn(2, 1, 28, 28), mg.tensor([3, 7]))


def test_check_graph_says_what_it_did_not_check() -> None:
    x = mg.randn(4, dtype=mg.float64, requires_grad=True)
    report = mg.testing.check_graph(lambda x: (x.float() * 2).sum(), x)
    cast = report[0]
    assert cast.skipped == "its output is float32, not float64" and cast.entries == 0
    assert "1 not checked" in str(report) and len(report) == 3
    with pytest.raises(mg.testing.GraphCheckError, match="recorded no graph"):
        mg.testing.check_graph(lambda x: x * 2, mg.randn(3))
