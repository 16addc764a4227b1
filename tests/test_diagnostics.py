"""mg.diagnostics: saturation fractions on inputs where they are known exactly, gradient norms
and update ratios against the same numbers computed by hand from .grad and the weights."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad import optim
from minigrad.tools.diagnostics import Diagnostics, gradient_flow, saturated

# sigmoid(-5) = 0.0067 and sigmoid(5) = 0.9933 are saturated, sigmoid(+-4.5) = 0.011, 0.989 not
SIGMOID_X = [-10.0, -5.0, -4.5, 0.0, 4.5, 5.0, 10.0, 3.0]  # 4 of 8 saturated
TANH_X = [-3.0, -2.0, 0.0, 2.5, 2.7, 3.0]  # |tanh| > 0.99 beyond 2.647: 3 of 6


def test_saturation_counts() -> None:
    x = mg.tensor(SIGMOID_X)
    assert saturated(nn.Sigmoid(), x.sigmoid()).item() == 4
    assert saturated(nn.Tanh(), mg.tensor(TANH_X).tanh()).item() == 3
    assert saturated(nn.Sigmoid(), x.sigmoid(), saturation=0.05).item() == 7  # |x| > 2.94
    assert saturated(nn.Tanh(), mg.tensor(TANH_X).tanh(), saturation=0.1).item() == 5  # > 1.47


def test_saturation_fraction_over_the_batches_seen() -> None:
    net = nn.Sequential(nn.Sigmoid(), nn.Identity())
    tanh = nn.Sequential(nn.Tanh())
    with Diagnostics(net) as diag, Diagnostics(tanh) as diag_tanh:
        net(mg.tensor(SIGMOID_X))  # 4 of 8
        net(mg.zeros(2, 4))  # 0 of 8
        net.eval()
        net(mg.full((100,), 10.0))  # eval mode: not counted
        tanh(mg.tensor(TANH_X))
        assert diag.report()["0"].saturation == 4 / 16
        assert diag_tanh.report()["0"].saturation == 0.5
        assert diag.report()["0"].saturation is None  # reset by the report before
    net.train()
    net(mg.tensor(SIGMOID_X))
    assert diag.report()["0"].saturation is None  # the hooks are off
    with pytest.raises(ValueError, match="between 0 and 0.5"):
        Diagnostics(net, saturation=0.7)


def model() -> nn.Module:
    mg.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def layer_norm(layer: nn.Module, attr: str = "grad") -> float:
    """By hand: the Euclidean norm of the weight and bias (or their gradients) together."""
    return math.sqrt(sum(float((getattr(p, attr).numpy().astype(np.float64) ** 2).sum())
                         for p in (layer.weight, layer.bias)))


def step(net: nn.Module, x: mg.Tensor) -> None:
    net.zero_grad()
    (net(x) ** 2).sum().backward()


def test_two_forwards_in_one_step_count_as_one_step() -> None:
    """A GAN's D(real) and D(fake), a siamese pair, gradient accumulation: the model runs
    twice before each optimizer step; the update ratio is still the mean over the steps. A
    step of size 0 (lr 0) still counts, and an update written through .data is still seen."""
    net = model()
    opt = optim.SGD(net.parameters(), lr=0.1)
    diag = Diagnostics(net)
    ratios = []
    for lr in (0.1, 0.0, 0.1):
        opt.param_groups[0]["lr"] = lr
        before = [p.detach().clone() for p in net[2].parameters()]
        net.zero_grad()
        x = mg.randn(5, 3)
        ((net(x) ** 2).sum() + (net(x[:2]) ** 2).sum()).backward()
        opt.step()
        change = math.sqrt(sum(float(((p.detach() - b) ** 2).sum().item())
                               for p, b in zip(net[2].parameters(), before)))
        ratios.append(change / math.sqrt(sum(float((b ** 2).sum().item()) for b in before)))
    assert ratios[1] == 0 and ratios[0] > 0
    assert diag.report()["2"].update_ratio == pytest.approx(sum(ratios) / 3, rel=1e-4)
    net(mg.randn(5, 3))
    with mg.no_grad():
        net[2].weight.data = net[2].weight.data * 2  # by hand, as old code does: no version
    net(mg.randn(5, 3))
    assert diag.report()["2"].update_ratio > 0.5


def test_gradient_flow_after_a_backward() -> None:
    net = model()
    step(net, mg.randn(5, 3))
    flow = gradient_flow(net, lr=0.1)
    assert [r.name for r in flow.rows] == ["0", "1", "2"]
    for name in ("0", "2"):
        layer, row = net.get_submodule(name), flow[name]
        assert row.grad_norm == pytest.approx(layer_norm(layer), rel=1e-5)
        assert row.weight_norm == pytest.approx(layer_norm(layer, "data"), rel=1e-5)
        assert row.update_ratio == pytest.approx(0.1 * row.grad_norm / row.weight_norm)
    assert flow["1"].grad_norm is None and flow.grad_norms().keys() == {"0", "2"}


def test_diagnostics_over_several_steps() -> None:
    """The gradient norm is the root mean square of each step's; the update ratio the mean
    of each step's ||change|| / ||weights before||, measured for any optimizer."""
    net = model()
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    diag = Diagnostics(net)
    norms, ratios = [], []
    for _ in range(3):
        before = [p.detach().clone() for p in net[2].parameters()]
        step(net, mg.randn(5, 3))
        norms.append(layer_norm(net[2]))
        opt.step()
        change = math.sqrt(sum(float(((p.detach() - b) ** 2).sum().item())
                               for p, b in zip(net[2].parameters(), before)))
        ratios.append(change / math.sqrt(sum(float((b ** 2).sum().item()) for b in before)))
        with mg.no_grad():
            net(mg.randn(2, 3))  # an evaluation pass measures no update
    report = diag.report()
    assert report.steps == 3
    row = report["2"]
    assert row.grad_norm == pytest.approx(math.sqrt(sum(n * n for n in norms) / 3), rel=1e-5)
    assert row.update_ratio == pytest.approx(sum(ratios) / 3, rel=1e-4)
    assert row.weight_norm == pytest.approx(layer_norm(net[2], "data"), rel=1e-5)
    step(net, mg.randn(5, 3))  # the next epoch: the first forward measures nothing yet
    opt.step()
    assert diag.report()["2"].update_ratio is not None
    assert diag.report()["2"].grad_norm is None  # no backward since the last report


def test_the_table() -> None:
    net = model()
    diag = Diagnostics(net)
    step(net, mg.tensor([[5.0, -5.0, 5.0]]))
    text = str(diag.report())
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "grad", "norm", "weight", "norm", "update/weight",
                                "saturated"]
    assert lines[1].startswith("0 Linear > 1 Tanh") and lines[1].endswith("%")
    assert lines[2].startswith("2 Linear") and lines[2].endswith("--")
    diag.remove()
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in net.modules())
    assert not any(p._hooks for p in net.parameters())
