"""minigrad.optim against PyTorch's update formulas, step by step, and its bookkeeping."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad import optim
from minigrad.testing import assert_close

CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.02, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.005, "alpha": 0.9, "centered": True}),
]


def run(lib: Any, opt_name: str, kwargs: dict, w0: np.ndarray, b0: np.ndarray,
        steps: int = 6) -> list[np.ndarray]:
    """A small regression problem; the parameters after each step."""
    w = lib.tensor(w0.copy(), requires_grad=True)
    b = lib.tensor(b0.copy(), requires_grad=True)
    x = lib.tensor(np.linspace(-1, 1, 24, dtype=np.float32).reshape(8, 3))
    opt = getattr(lib.optim, opt_name)([w, b], **kwargs)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((x @ w + b).tanh() ** 2).sum()
        loss.backward()
        opt.step()
        history.append(np.concatenate([w.detach().numpy().ravel(), b.detach().numpy()]))
    return history


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS,
                         ids=[f"{n}-{'-'.join(k)}" for n, k in CONFIGS])
def test_matches_pytorch_step_by_step(name: str, kwargs: dict) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch's optimizers are the oracle")
    r = np.random.default_rng(0)
    w0, b0 = r.standard_normal((3, 2)).astype(np.float32), r.standard_normal(2).astype(
        np.float32)
    ours, theirs = run(mg, name, kwargs, w0, b0), run(torch, name, kwargs, w0, b0)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert_close(a, b, rtol=2e-5, atol=2e-6, msg=f"{name} {kwargs} after step {step + 1}")
    assert not np.allclose(ours[0], ours[-1])  # it moved


def test_sgd_formula_by_hand() -> None:
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.5)
    for _ in range(2):
        p.grad = mg.tensor([1.0, -1.0])
        opt.step()
    # buf1 = g, p1 = p0 - 0.1 g; buf2 = 0.5 g + g = 1.5 g, p2 = p1 - 0.15 g
    assert_close(p.detach(), mg.tensor([1.0 - 0.25, 2.0 + 0.25]))


def test_param_groups_zero_grad_and_validation() -> None:
    a, b = mg.ones(2, requires_grad=True), mg.ones(3, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0.9
    (a.sum() + b.sum()).backward()
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.Adam([a], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires"):
        optim.SGD([a], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        optim.Adam([a], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_state_dict_round_trip_continues_identically(name: str) -> None:
    kwargs = {"lr": 0.05, "momentum": 0.9} if name != "Adam" else {"lr": 0.05}

    def make() -> tuple[nn.Module, optim.Optimizer]:
        mg.manual_seed(0)
        model = nn.Linear(3, 2)
        return model, getattr(optim, name)(model.parameters(), **kwargs)

    x, y = mg.randn(5, 3), mg.randn(5, 2)

    def train(model: nn.Module, opt: optim.Optimizer, steps: int) -> None:
        for _ in range(steps):
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            opt.step()

    straight, opt = make()
    train(straight, opt, 6)
    first, opt1 = make()
    train(first, opt1, 3)
    resumed, opt2 = make()
    resumed.load_state_dict(first.state_dict())
    opt2.load_state_dict(opt1.state_dict())
    assert opt2.state_dict()["param_groups"] == opt1.state_dict()["param_groups"]
    train(resumed, opt2, 3)
    for (k, v1), v2 in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert_close(v1, v2, msg=k)


def test_load_state_dict_checks_groups() -> None:
    a = mg.ones(2, requires_grad=True)
    b = mg.ones(2, requires_grad=True)
    saved = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([a], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(saved)


@pytest.mark.parametrize(("name", "kwargs"), [("StepLR", {"step_size": 3, "gamma": 0.5}),
                                              ("CosineAnnealingLR", {"T_max": 4}),
                                              ("CosineAnnealingLR", {"T_max": 3,
                                                                     "eta_min": 0.01})])
def test_schedulers_match_pytorch(name: str, kwargs: dict) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch's schedulers are the oracle")
    rates = []
    for lib in (mg, torch):
        p = lib.ones(1, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1)
        sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
        lrs = []
        for _ in range(12):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr()[0])
        rates.append(lrs)
    np.testing.assert_allclose(rates[0], rates[1], rtol=1e-12)
