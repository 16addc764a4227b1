"""minigrad.optim against PyTorch's update formulas, step by step, and its bookkeeping."""

from __future__ import annotations

import io
import math
import pickle
import re
from collections.abc import Callable
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
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", {"rho": 0.95, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.5, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.05, "initial_accumulator_value": 0.5, "eps": 1e-3, "maximize": True}),
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


def test_adadelta_formula_by_hand() -> None:
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adadelta([p], lr=0.5, rho=0.5, eps=1e-2)
    expected, v, u = [1.0, 2.0], [0.0, 0.0], [0.0, 0.0]
    for grad in ([1.0, -2.0], [0.5, 3.0]):
        p.grad = mg.tensor(grad)
        opt.step()
        for i, g in enumerate(grad):
            v[i] = 0.5 * v[i] + 0.5 * g * g
            delta = math.sqrt(u[i] + 1e-2) / math.sqrt(v[i] + 1e-2) * g
            u[i] = 0.5 * u[i] + 0.5 * delta * delta
            expected[i] -= 0.5 * delta
    assert_close(p.detach(), mg.tensor(expected))
    assert_close(opt.state[p]["acc_delta"], mg.tensor(u))
    assert opt.state[p]["step"] == 2


def test_adagrad_formula_by_hand() -> None:
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adagrad([p], lr=0.1, lr_decay=1.0, initial_accumulator_value=1.0, eps=0.0)
    assert opt.state[p]["sum"].tolist() == [1.0, 1.0]  # as torch: state exists before a step
    for _ in range(2):
        p.grad = mg.tensor([1.0, -2.0])
        opt.step()
    # sums 1 + g^2 then 1 + 2 g^2; step sizes lr / (1 + (t - 1) lr_decay) = 0.1 then 0.05
    expected = [1.0 - 0.1 / math.sqrt(2) - 0.05 / math.sqrt(3),
                2.0 + 0.2 / math.sqrt(5) + 0.1 / math.sqrt(9)]
    assert_close(p.detach(), mg.tensor(expected))


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


ROUND_TRIP = {"SGD": {"lr": 0.05, "momentum": 0.9}, "Adam": {"lr": 0.05},
              "RMSprop": {"lr": 0.05, "momentum": 0.9}, "Adadelta": {"weight_decay": 0.1},
              "Adagrad": {"lr": 0.05, "lr_decay": 0.1, "initial_accumulator_value": 0.1}}


@pytest.mark.parametrize("name", list(ROUND_TRIP))
def test_state_dict_round_trip_continues_identically(name: str) -> None:
    kwargs = ROUND_TRIP[name]

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


def warmup(epoch: int) -> float:
    """A LambdaLR factor: linear warm-up over 5 epochs, then 0.9^epoch."""
    return (epoch + 1) / 5 if epoch < 5 else 0.9 ** epoch


def halve_every_7(epoch: int) -> float:
    """A LambdaLR factor for a second group: halve every 7 epochs."""
    return 0.5 ** (epoch // 7)


# Metrics for ReduceLROnPlateau: improvements large and tiny (below a relative 1e-4 but not an
# absolute 1e-6), plateaus longer and shorter than the patience, enough reductions to hit min_lr.
PLATEAU = [1.0, 0.9, 0.9, 0.95, 0.9, 0.89999, 0.8, 0.85, 0.85, 0.85, 0.85, 0.7, 0.7, 0.7,
           0.69999, 0.7, 0.7, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5,
           0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
STEPS = len(PLATEAU)

# (scheduler, its kwargs, optimizer, its kwargs); two parameter groups, lr 0.1 and 0.05
SCHEDULES: list[tuple[str, dict, str, dict]] = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}, "SGD", {}),
    ("CosineAnnealingLR", {"T_max": 4}, "SGD", {}),
    ("CosineAnnealingLR", {"T_max": 3, "eta_min": 0.01}, "SGD", {}),
    ("ExponentialLR", {"gamma": 0.9}, "SGD", {}),
    ("MultiStepLR", {"milestones": [3, 10, 10, 25]}, "SGD", {}),
    ("MultiStepLR", {"milestones": [5, 20], "gamma": 0.5}, "Adam", {}),
    ("LambdaLR", {"lr_lambda": warmup}, "SGD", {}),
    ("LambdaLR", {"lr_lambda": [warmup, halve_every_7]}, "SGD", {}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": STEPS}, "SGD", {"momentum": 0.9}),
    ("OneCycleLR", {"max_lr": [1.0, 0.5], "epochs": 4, "steps_per_epoch": 10,
                    "pct_start": 0.25, "anneal_strategy": "linear", "base_momentum": 0.8,
                    "max_momentum": [0.9, 0.99], "div_factor": 10.0,
                    "final_div_factor": 100.0}, "SGD", {}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": STEPS + 5, "three_phase": True},
     "Adam", {}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": STEPS, "three_phase": True,
                    "anneal_strategy": "linear"}, "RMSprop", {}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": STEPS, "cycle_momentum": False},
     "Adagrad", {}),
    ("ReduceLROnPlateau", {"patience": 2}, "SGD", {}),
    ("ReduceLROnPlateau", {"factor": 0.5, "patience": 1, "cooldown": 2,
                           "min_lr": [0.01, 0.02]}, "SGD", {}),
    ("ReduceLROnPlateau", {"factor": 0.3, "patience": 0, "threshold": 1e-6,  # lr 0.0027 stays:
                           "threshold_mode": "abs", "min_lr": 0.002, "eps": 1e-3},  # 7e-4 < eps
     "SGD", {}),
    ("ReduceLROnPlateau", {"mode": "max", "factor": 0.7, "patience": 1, "threshold": 0.05,
                           "cooldown": 1}, "SGD", {}),
    ("ReduceLROnPlateau", {"mode": "max", "factor": 0.7, "patience": 1, "threshold": 0.05,
                           "threshold_mode": "abs"}, "Adam", {}),
]


def make_schedule(lib: Any, name: str, kwargs: dict, opt_name: str, opt_kwargs: dict
                  ) -> tuple[Any, Any]:
    """An optimizer over two groups (lr 0.1 and 0.05) and the scheduler on it."""
    a, b = lib.ones(1, requires_grad=True), lib.ones(2, requires_grad=True)
    opt = getattr(lib.optim, opt_name)([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1,
                                       **opt_kwargs)
    return opt, getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)


def follow(opt: Any, sched: Any, steps: range) -> list[list[float]]:
    """Step both; after each step, every group's lr and momentum (or beta1) as numbers."""
    rows = []
    for t in steps:
        opt.step()  # no gradients: the parameters stay, torch sees the expected call order
        if type(sched).__name__ == "ReduceLROnPlateau":
            metric = PLATEAU[t]
            sched.step(2.0 - metric if sched.mode == "max" else metric)
        else:
            sched.step()
        assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
        rows.append([float(v) for g in opt.param_groups
                     for v in (g["lr"], g["betas"][0] if "betas" in g else g.get("momentum", 0))])
    return rows


@pytest.mark.parametrize(("name", "kwargs", "opt_name", "opt_kwargs"), SCHEDULES,
                         ids=[f"{s[0]}-{'-'.join(s[1])}-{s[2]}" for s in SCHEDULES])
def test_schedulers_match_pytorch(name: str, kwargs: dict, opt_name: str, opt_kwargs: dict
                                  ) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch's schedulers are the oracle")
    ours, theirs = (follow(*make_schedule(lib, name, kwargs, opt_name, opt_kwargs),
                           range(STEPS)) for lib in (mg, torch))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    assert len({row[0] for row in ours}) > 2  # the schedule really moved


@pytest.mark.parametrize(("name", "kwargs", "opt_name", "opt_kwargs"), SCHEDULES,
                         ids=[f"{s[0]}-{'-'.join(s[1])}-{s[2]}" for s in SCHEDULES])
def test_scheduler_state_dict_round_trip_continues_identically(
        name: str, kwargs: dict, opt_name: str, opt_kwargs: dict) -> None:
    straight = follow(*make_schedule(mg, name, kwargs, opt_name, opt_kwargs), range(STEPS))
    opt1, sched1 = make_schedule(mg, name, kwargs, opt_name, opt_kwargs)
    follow(opt1, sched1, range(STEPS // 2))
    buffer = io.BytesIO()  # through a checkpoint, as training scripts save them
    mg.save({"optimizer": opt1.state_dict(), "scheduler": sched1.state_dict()}, buffer)
    buffer.seek(0)
    saved = mg.load(buffer)
    opt2, sched2 = make_schedule(mg, name, kwargs, opt_name, opt_kwargs)  # as torch advises:
    opt2.load_state_dict(saved["optimizer"])  # the scheduler first, then both states
    sched2.load_state_dict(saved["scheduler"])
    assert sched2.get_last_lr() == sched1.get_last_lr()
    assert follow(opt2, sched2, range(STEPS // 2, STEPS)) == straight[STEPS // 2:]


def lrs_by_hand(name: str, kwargs: dict, metrics: list[float] | None = None,
                opt: str = "SGD", steps: int = 5) -> list[tuple[float, float]]:
    """One group at lr 1.0: (lr, momentum) at construction and after each step."""
    p = mg.ones(1, requires_grad=True)
    optimizer = getattr(optim, opt)([p], lr=1.0)
    sched = getattr(optim.lr_scheduler, name)(optimizer, **kwargs)

    def now() -> tuple[float, float]:
        g = optimizer.param_groups[0]
        return g["lr"], g["betas"][0] if "betas" in g else g.get("momentum", 0.0)

    rows = [now()]
    for t in range(steps):
        sched.step(*([metrics[t]] if metrics else []))
        rows.append(now())
    return rows


def test_scheduler_formulas_by_hand() -> None:
    assert [r[0] for r in lrs_by_hand("ExponentialLR", {"gamma": 0.5})] == pytest.approx(
        [0.5 ** t for t in range(6)])
    assert [r[0] for r in lrs_by_hand("MultiStepLR", {"milestones": [2, 4, 4]})] == (
        pytest.approx([1.0, 1.0, 0.1, 0.1, 0.001, 0.001]))
    assert [r[0] for r in lrs_by_hand("LambdaLR", {"lr_lambda": lambda t: 1 / (t + 1)})] == (
        pytest.approx([1.0, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6]))
    # warm up linearly from 1/25 to 1 over steps 0..2 while momentum goes 0.95 -> 0.85, then
    # anneal to 1/25/1e4 (lr) and back to 0.95 (momentum) over steps 2..9
    low = 1 / 25 / 1e4
    np.testing.assert_allclose(lrs_by_hand("OneCycleLR", {"max_lr": 1.0, "total_steps": 10,
                                                          "anneal_strategy": "linear"}, steps=3),
                               [(0.04, 0.95), (0.52, 0.90), (1.0, 0.85),
                                (1.0 + (low - 1.0) / 7, 0.85 + 0.1 / 7)])
    # cosine, with Adam's beta1 as the momentum: halfway through the warm-up, cos = 0
    np.testing.assert_allclose(lrs_by_hand("OneCycleLR", {"max_lr": 1.0, "total_steps": 10},
                                           opt="Adam", steps=1), [(0.04, 0.95), (0.52, 0.90)])
    # patience 1: the second bad epoch reduces; cooldown 1 ignores the next; min_lr clips
    flat = [1.0] + [0.95] * 11
    assert [r[0] for r in lrs_by_hand(
        "ReduceLROnPlateau", {"factor": 0.5, "patience": 1, "cooldown": 1, "threshold": 0.1,
                              "threshold_mode": "abs", "min_lr": 0.2}, flat, steps=12)] == [
        1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2]


def test_onecycle_errors_past_total_steps() -> None:
    p = mg.ones(1, requires_grad=True)
    sched = optim.lr_scheduler.OneCycleLR(optim.SGD([p]), max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()  # steps 1..3: the last one lands on total_steps, as torch allows
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of "
                                         "total steps is 3"):
        sched.step()


class Warmup:
    """A picklable LambdaLR factor: its attributes travel in the state_dict."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def __call__(self, epoch: int) -> float:
        return min(1.0, (epoch + 1) / self.epochs)


def test_lambdalr_state_dict_leaves_out_functions() -> None:
    a, b = mg.ones(1, requires_grad=True), mg.ones(1, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    sched = optim.lr_scheduler.LambdaLR(opt, [lambda t: 1.0, Warmup(4)])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"epochs": 4}]
    pickle.dumps(state)
    other = optim.lr_scheduler.LambdaLR(opt, [lambda t: 1.0, Warmup(10)])
    other.load_state_dict(state)
    assert other.lr_lambdas[1].epochs == 4 and callable(other.lr_lambdas[0])
    assert state["lr_lambdas"] == [None, {"epochs": 4}]  # loading leaves the dict as it was


def one_param(lib: Any) -> Any:
    """A parameter list for an optimizer in ``lib`` (minigrad or torch)."""
    return [lib.ones(1, requires_grad=True)]


def step_past(lib: Any, total: int) -> None:
    """Step a OneCycleLR once more than its ``total`` steps."""
    opt = lib.optim.SGD(one_param(lib))
    sched = lib.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=total)
    for _ in range(total + 1):
        opt.step()
        sched.step()


def plateau(lib: Any, **kwargs: Any) -> Any:
    """A ReduceLROnPlateau over SGD."""
    return lib.optim.lr_scheduler.ReduceLROnPlateau(lib.optim.SGD(one_param(lib)), **kwargs)


def one_cycle(lib: Any, opt: str = "SGD", **kwargs: Any) -> Any:
    """A OneCycleLR with max_lr 1 over the optimizer ``opt``."""
    return lib.optim.lr_scheduler.OneCycleLR(getattr(lib.optim, opt)(one_param(lib)), 1.0,
                                             **kwargs)


# (what raises, the exception type, torch's message)
ERRORS: list[tuple[Callable[[Any], Any], type, str]] = [
    (lambda lib: lib.optim.Adadelta(one_param(lib), rho=1.1), ValueError,
     "Invalid rho value: 1.1"),
    (lambda lib: lib.optim.Adadelta(one_param(lib), rho=-0.1), ValueError,
     "Invalid rho value: -0.1"),
    (lambda lib: lib.optim.Adadelta(one_param(lib), lr=-1.0), ValueError,
     "Invalid learning rate: -1.0"),
    (lambda lib: lib.optim.Adadelta(one_param(lib), eps=-1e-6), ValueError,
     "Invalid epsilon value: -1e-06"),
    (lambda lib: lib.optim.Adadelta(one_param(lib), weight_decay=-1), ValueError,
     "Invalid weight_decay value: -1"),
    (lambda lib: lib.optim.Adagrad(one_param(lib), lr_decay=-0.5), ValueError,
     "Invalid lr_decay value: -0.5"),
    (lambda lib: lib.optim.Adagrad(one_param(lib), initial_accumulator_value=-1), ValueError,
     "Invalid initial_accumulator_value value: -1"),
    (lambda lib: lib.optim.Adagrad(one_param(lib), eps=-1.0), ValueError,
     "Invalid epsilon value: -1.0"),
    (lambda lib: one_cycle(lib), ValueError,
     "You must define either total_steps OR (epochs AND steps_per_epoch)"),
    (lambda lib: one_cycle(lib, epochs=3), ValueError,
     "You must define either total_steps OR (epochs AND steps_per_epoch)"),
    (lambda lib: one_cycle(lib, total_steps=0), ValueError,
     "Expected positive integer total_steps, but got 0"),
    (lambda lib: one_cycle(lib, epochs=2, steps_per_epoch=2.5), ValueError,
     "Expected positive integer steps_per_epoch, but got 2.5"),
    (lambda lib: one_cycle(lib, total_steps=9, pct_start=1), ValueError,
     "Expected float between 0 and 1 pct_start, but got 1"),
    (lambda lib: one_cycle(lib, total_steps=9, anneal_strategy="exp"), ValueError,
     "anneal_strategy must be one of 'cos' or 'linear', instead got exp"),
    (lambda lib: lib.optim.lr_scheduler.OneCycleLR(lib.optim.SGD(one_param(lib)), [1.0, 2.0],
                                                   total_steps=9), ValueError,
     "max_lr must have the same length as optimizer.param_groups. max_lr has 2 values, "
     "param_groups has 1."),
    (lambda lib: one_cycle(lib, "Adagrad", total_steps=9), ValueError,
     "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"),
    (lambda lib: step_past(lib, 5), ValueError,
     "Tried to step 6 times. The specified number of total steps is 5"),
    (lambda lib: lib.optim.lr_scheduler.LambdaLR(lib.optim.SGD(one_param(lib)),
                                                 [abs, abs]), ValueError,
     "Expected 1 lr_lambdas, but got 2"),
    (lambda lib: plateau(lib, factor=1.0), ValueError, "Factor should be < 1.0."),
    (lambda lib: plateau(lib, mode="avg"), ValueError, "mode avg is unknown!"),
    (lambda lib: plateau(lib, threshold_mode="pct"), ValueError,
     "threshold mode pct is unknown!"),
    (lambda lib: plateau(lib, min_lr=[0.1, 0.2]), ValueError, "expected 1 min_lrs, got 2"),
    (lambda lib: lib.optim.lr_scheduler.ExponentialLR(object(), 0.5), TypeError,
     "object is not an Optimizer"),
]


@pytest.mark.parametrize("lib_name", ["minigrad", "torch"])
@pytest.mark.parametrize(("make", "error", "message"), ERRORS,
                         ids=[e[2][:40] for e in ERRORS])
def test_validation_errors_as_pytorch(lib_name: str, make: Callable[[Any], Any], error: type,
                                      message: str) -> None:
    lib = mg if lib_name == "minigrad" else pytest.importorskip(
        "torch", reason="checks the messages against PyTorch's own")
    with pytest.raises(error, match=re.escape(message)) as info:
        make(lib)
    assert str(info.value) == message


@pytest.mark.parametrize("name", ["Adadelta", "Adagrad"])
def test_state_layout_matches_pytorch(name: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch's state_dict is the oracle")
    layouts = []
    for lib in (mg, torch):
        a, b = lib.ones(2, requires_grad=True), lib.ones(3, requires_grad=True)
        opt = getattr(lib.optim, name)([{"params": [a]}, {"params": [b], "lr": 0.5}])
        a.grad = lib.ones(2)
        opt.step()
        state = opt.state_dict()
        layouts.append(({k: sorted(v) for k, v in state["state"].items()},
                        [{k: v for k, v in g.items()
                          if k not in ("foreach", "capturable", "differentiable", "fused")}
                         for g in state["param_groups"]]))
    assert layouts[0] == layouts[1]  # torch's keys, less its performance-only flags


def test_adagrad_accumulators_start_as_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch's Adagrad is the oracle")
    results = []
    for lib in (mg, torch):  # torch starts every sum at the constructor's value, even for a
        a, b, c = (lib.ones(2, requires_grad=True) for _ in range(3))  # group that sets its own
        opt = lib.optim.Adagrad([{"params": [a]}, {"params": [b],
                                                   "initial_accumulator_value": 5.0}],
                                lr=0.1, initial_accumulator_value=0.5)
        opt.add_param_group({"params": [c], "initial_accumulator_value": 3.0})
        for p in (a, b, c):
            p.grad = lib.ones(2)
        opt.step()
        results.append([opt.state[p]["sum"].tolist() + p.tolist() for p in (a, b, c)])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
