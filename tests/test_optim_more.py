"""NAdam, RAdam, Adamax, Rprop and the newer lr schedulers against PyTorch's, step by step:
the same parameters and gradients, hyperparameters drawn by hypothesis; their state_dicts,
round trips and validation errors."""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import optim

torch = pytest.importorskip("torch", reason="PyTorch's optimizers and schedulers are the oracle")

betas = st.tuples(st.floats(0.0, 0.99), st.floats(0.0, 0.999))
OPTIMIZERS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "NAdam": st.fixed_dictionaries({}, optional={
        "lr": st.floats(1e-4, 0.1), "betas": betas, "eps": st.floats(1e-10, 1e-2),
        "weight_decay": st.floats(0.0, 0.5), "momentum_decay": st.floats(0.0, 0.5),
        "decoupled_weight_decay": st.booleans(), "maximize": st.booleans(),
        "foreach": st.sampled_from([None, False])}),
    "RAdam": st.fixed_dictionaries({}, optional={
        "lr": st.floats(1e-4, 0.1), "betas": betas, "eps": st.floats(1e-10, 1e-2),
        "weight_decay": st.floats(0.0, 0.5), "decoupled_weight_decay": st.booleans(),
        "maximize": st.booleans()}),
    "Adamax": st.fixed_dictionaries({}, optional={
        "lr": st.floats(1e-4, 0.1), "betas": betas, "eps": st.floats(1e-10, 1e-2),
        "weight_decay": st.floats(0.0, 0.5), "maximize": st.booleans()}),
    "Rprop": st.fixed_dictionaries({}, optional={
        "lr": st.floats(1e-4, 0.1),
        "etas": st.tuples(st.floats(0.1, 0.9), st.floats(1.05, 3.0)),
        "step_sizes": st.tuples(st.floats(1e-7, 1e-3), st.floats(0.01, 50.0)),
        "maximize": st.booleans()}),
}


def run(lib: Any, name: str, kwargs: dict, p0: np.ndarray, grads: list[np.ndarray]
        ) -> tuple[list[np.ndarray], Any]:
    """Two parameter groups (the second at half the lr); the parameters after each step."""
    a = lib.tensor(p0[:3].copy(), requires_grad=True)
    b = lib.tensor(p0[3:].copy(), requires_grad=True)
    lr = kwargs.get("lr", getattr(lib.optim, name)([lib.zeros(1, requires_grad=True)])
                    .defaults["lr"])
    opt = getattr(lib.optim, name)([{"params": [a]}, {"params": [b], "lr": lr / 2}], **kwargs)
    history = []
    for g in grads:
        a.grad, b.grad = lib.tensor(g[:3].copy()), lib.tensor(g[3:].copy())
        opt.step()
        history.append(np.concatenate([a.detach().numpy(), b.detach().numpy()]))
    return history, opt


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@given(data=st.data(), seed=st.integers(0, 2 ** 16), dtype=st.sampled_from(["float64",
                                                                             "float32"]))
def test_matches_pytorch_step_by_step(name: str, data: st.DataObject, seed: int,
                                      dtype: str) -> None:
    kwargs = data.draw(OPTIMIZERS[name], label="kwargs")
    r = np.random.default_rng(seed)
    p0 = r.standard_normal(7).astype(dtype)
    grads = [r.standard_normal(7).astype(dtype) for _ in range(8)]
    grads[4] = grads[3].copy()  # a repeated gradient: Rprop's step sizes grow
    grads[5] = -grads[4]  # a sign flip: they shrink, and the step is skipped
    ours, _ = run(mg, name, kwargs, p0, grads)
    theirs, _ = run(torch, name, kwargs, p0, grads)
    # float64: the same formulas in the same order, so 1e-6 relative is loose; float32
    # rounds alike (tested bit for bit below at the defaults), 1e-5 leaves room for the order;
    # the absolute part is a few ulps of parameters near 1 (an element that cancels to near 0
    # keeps their rounding: 2.4e-7 seen in float32)
    # Where a step is ill-conditioned (Adamax with beta2 = 0 divides by |g| + eps, and g may
    # nearly cancel under weight decay), one rounding apart grows: in float32 the allowance
    # also holds how far torch's own float32 run is from its float64 run of the same numbers.
    rtol = 1e-6 if dtype == "float64" else 1e-5
    exact = theirs if dtype == "float64" else run(torch, name, kwargs, p0.astype(np.float64),
                                                  [g.astype(np.float64) for g in grads])[0]
    for step, (x, y, z) in enumerate(zip(ours, theirs, exact)):
        allowed = rtol * np.abs(y) + rtol * 1e-1 + 4 * np.abs(y - z)
        assert np.all(np.abs(x - y) <= allowed), (
            f"{name} {kwargs} after step {step + 1}: {x} vs torch's {y}")
    assert not np.array_equal(ours[-1], p0)  # it moved


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_defaults_match_pytorch_closely_in_float32(name: str) -> None:
    r = np.random.default_rng(1)
    p0 = r.standard_normal(7).astype(np.float32)
    grads = [r.standard_normal(7).astype(np.float32) for _ in range(10)]
    ours, opt = run(mg, name, {}, p0, grads)
    theirs, topt = run(torch, name, {}, p0, grads)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
    assert opt.defaults == topt.defaults


def test_formulas_by_hand() -> None:
    """One coordinate, two steps, each optimizer's formula written out."""
    g1, g2, p = 0.5, -1.0, 1.0
    # Adamax: u = max(b2 u, |g| + eps); p -= lr / (1 - b1^t) m / u
    x = mg.tensor([p], requires_grad=True)
    opt = optim.Adamax([x], lr=0.1, betas=(0.5, 0.5), eps=0.0)
    m = u = 0.0
    expected = p
    for t, g in enumerate((g1, g2), 1):
        x.grad = mg.tensor([g])
        opt.step()
        m, u = 0.5 * m + 0.5 * g, max(0.5 * u, abs(g))
        expected -= 0.1 / (1 - 0.5 ** t) * m / u
    assert x.item() == pytest.approx(expected, rel=1e-6)
    # Rprop: the sign flips on step 2, so the step size halves and p does not move
    x = mg.tensor([p], requires_grad=True)
    opt = optim.Rprop([x], lr=0.1, etas=(0.5, 2.0))
    for g in (g1, g1, g2):
        x.grad = mg.tensor([g])
        opt.step()
    # step 1: -0.1; step 2 (same sign): size 0.2, -0.2; step 3 (flip): size 0.1, no move
    assert x.item() == pytest.approx(p - 0.3, rel=1e-6)
    assert opt.state[x]["step_size"].item() == pytest.approx(0.1)
    assert opt.state[x]["prev"].item() == 0.0
    # RAdam's first steps (rho_t <= 5) are plain momentum SGD on the bias-corrected mean
    x = mg.tensor([p], requires_grad=True)
    opt = optim.RAdam([x], lr=0.1, betas=(0.9, 0.999))
    x.grad = mg.tensor([g1])
    opt.step()
    assert x.item() == pytest.approx(p - 0.1 * g1, rel=1e-6)
    # NAdam's first step: mu_1 = b1 (1 - 0.96^psi / 2), mu_2 likewise, m = (1 - b1) g
    x = mg.tensor([p], requires_grad=True, dtype=mg.float64)
    opt = optim.NAdam([x], lr=0.1, betas=(0.9, 0.99), eps=0.0, momentum_decay=0.5)
    x.grad = mg.tensor([g1], dtype=mg.float64)
    opt.step()
    mu1, mu2 = (0.9 * (1 - 0.5 * 0.96 ** (t * 0.5)) for t in (1, 2))
    denom = math.sqrt(0.01 * g1 * g1 / 0.01)
    expected = (p - 0.1 * (1 - mu1) / (1 - mu1) * g1 / denom
                - 0.1 * mu2 / (1 - mu1 * mu2) * 0.1 * g1 / denom)
    assert x.item() == pytest.approx(expected, rel=1e-6)
    assert opt.state[x]["mu_product"].item() == pytest.approx(mu1, rel=1e-6)


def layout(opt: Any) -> tuple[dict, list[dict]]:
    """A state_dict's keys per parameter and its groups' hyperparameters."""
    state = opt.state_dict()
    return ({k: sorted(v) for k, v in state["state"].items()},
            [{k: v for k, v in g.items()} for g in state["param_groups"]])


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_state_dict_layout_matches_pytorch(name: str) -> None:
    grads = [np.linspace(-1, 1, 7) * (i + 1) for i in range(2)]
    _, ours = run(mg, name, {}, np.ones(7), grads)
    _, theirs = run(torch, name, {}, np.ones(7), grads)
    assert layout(ours) == layout(theirs)
    for i, s in theirs.state_dict()["state"].items():
        for key, value in s.items():
            np.testing.assert_allclose(np.asarray(ours.state_dict()["state"][i][key]),
                                       value.numpy(), rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_state_dict_round_trip_continues_identically(name: str) -> None:
    r = np.random.default_rng(2)
    p0, grads = r.standard_normal(7), [r.standard_normal(7) for _ in range(6)]
    kwargs = {"weight_decay": 0.1} if name != "Rprop" else {}
    straight, _ = run(mg, name, kwargs, p0, grads)
    first, opt1 = run(mg, name, kwargs, p0, grads[:3])
    buffer = io.BytesIO()  # through a checkpoint, as training scripts save them
    mg.save(opt1.state_dict(), buffer)
    buffer.seek(0)
    _, opt2 = run(mg, name, kwargs, first[-1], [])  # fresh, at the parameters of step 3
    opt2.load_state_dict(mg.load(buffer))
    assert opt2.state_dict()["param_groups"] == opt1.state_dict()["param_groups"]
    a, b = (g["params"][0] for g in opt2.param_groups)
    for g in grads[3:]:
        a.grad, b.grad = mg.tensor(g[:3]), mg.tensor(g[3:])
        opt2.step()
    # (NAdam's mu_product comes back in the parameters' float64, as torch's load casts it)
    np.testing.assert_allclose(np.concatenate([a.detach().numpy(), b.detach().numpy()]),
                               straight[-1], rtol=1e-9)


def one(lib: Any) -> list[Any]:
    """One parameter for an optimizer of ``lib``."""
    return [lib.ones(1, requires_grad=True)]


# (what raises, the exception type, torch's message)
ERRORS: list[tuple[Callable[[Any], Any], type, str]] = [
    *[(lambda lib, n=n: getattr(lib.optim, n)(one(lib), lr=-0.1), ValueError,
       "Invalid learning rate: -0.1") for n in OPTIMIZERS],
    *[(lambda lib, n=n: getattr(lib.optim, n)(one(lib), eps=-1.0), ValueError,
       "Invalid epsilon value: -1.0") for n in ("NAdam", "RAdam", "Adamax")],
    *[(lambda lib, n=n: getattr(lib.optim, n)(one(lib), betas=(1.0, 0.9)), ValueError,
       "Invalid beta parameter at index 0: 1.0") for n in ("NAdam", "RAdam", "Adamax")],
    *[(lambda lib, n=n: getattr(lib.optim, n)(one(lib), betas=(0.9, -0.1)), ValueError,
       "Invalid beta parameter at index 1: -0.1") for n in ("NAdam", "RAdam", "Adamax")],
    *[(lambda lib, n=n: getattr(lib.optim, n)(one(lib), weight_decay=-1), ValueError,
       "Invalid weight_decay value: -1") for n in ("NAdam", "RAdam", "Adamax")],
    (lambda lib: lib.optim.NAdam(one(lib), momentum_decay=-0.5), ValueError,
     "Invalid momentum_decay value: -0.5"),
    (lambda lib: lib.optim.Rprop(one(lib), etas=(1.5, 2.0)), ValueError,
     "Invalid eta values: 1.5, 2.0"),
    (lambda lib: lib.optim.Rprop(one(lib), etas=(0.5, 0.9)), ValueError,
     "Invalid eta values: 0.5, 0.9"),
    (lambda lib: lib.optim.NAdam(one(lib), lr=lib.ones(2)), ValueError,
     "Tensor lr must be 1-element"),
    (lambda lib: lib.optim.RAdam([]), ValueError, "optimizer got an empty parameter list"),
    (lambda lib: lib.optim.lr_scheduler.ConstantLR(lib.optim.SGD(one(lib)), factor=1.5),
     ValueError, "Constant multiplicative factor expected to be between 0 and 1."),
    (lambda lib: lib.optim.lr_scheduler.LinearLR(lib.optim.SGD(one(lib)), start_factor=0),
     ValueError, "Starting multiplicative factor expected to be greater than 0 and less or "
     "equal to 1."),
    (lambda lib: lib.optim.lr_scheduler.LinearLR(lib.optim.SGD(one(lib)), end_factor=2),
     ValueError, "Ending multiplicative factor expected to be between 0 and 1."),
    (lambda lib: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        lib.optim.SGD(one(lib)), T_0=0), ValueError, "Expected positive integer T_0, but got 0"),
    (lambda lib: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        lib.optim.SGD(one(lib)), T_0=2, T_mult=1.5), ValueError,
     "Expected integer T_mult >= 1, but got 1.5"),
    (lambda lib: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        lib.optim.SGD(one(lib)), T_0=2).step(-1), ValueError,
     "Expected non-negative epoch, but got -1"),
    (lambda lib: lib.optim.lr_scheduler.CyclicLR(lib.optim.SGD(one(lib)), 0.1, 1.0,
                                                 mode="square"), ValueError,
     "mode is invalid and scale_fn is None"),
    (lambda lib: lib.optim.lr_scheduler.CyclicLR(lib.optim.Adagrad(one(lib)), 0.1, 1.0),
     ValueError, "optimizer must support momentum or beta1 with `cycle_momentum` option "
     "enabled"),
    (lambda lib: lib.optim.lr_scheduler.CyclicLR(lib.optim.SGD(one(lib)), [0.1, 0.2], 1.0),
     ValueError, "base_lr must have the same length as optimizer.param_groups. base_lr has 2 "
     "values, param_groups has 1."),
    (lambda lib: lib.optim.lr_scheduler.SequentialLR(lib.optim.SGD(one(lib)), [], []),
     ValueError, "SequentialLR expects at least one scheduler, but got no scheduler."),
    (lambda lib: sequential(lib, [2, 4]), ValueError,
     "Sequential Schedulers expects number of schedulers provided to be one more than the "
     "number of milestone points, but got number of schedulers 2 and the number of "
     "milestones to be equal to 2"),
]


def sequential(lib: Any, milestones: list[int]) -> Any:
    """A SequentialLR of a ConstantLR and an ExponentialLR."""
    opt = lib.optim.SGD(one(lib))
    s = lib.optim.lr_scheduler
    return s.SequentialLR(opt, [s.ConstantLR(opt), s.ExponentialLR(opt, 0.9)], milestones)


@pytest.mark.parametrize("lib_name", ["minigrad", "torch"])
@pytest.mark.parametrize(("make", "error", "message"), ERRORS,
                         ids=[f"{i}-{e[2][:40]}" for i, e in enumerate(ERRORS)])
def test_validation_errors_as_pytorch(lib_name: str, make: Callable[[Any], Any], error: type,
                                      message: str) -> None:
    lib = mg if lib_name == "minigrad" else torch
    with pytest.raises(error, match=re.escape(message)) as info:
        make(lib)
    assert str(info.value) == message


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_flags_torch_accepts_and_minigrad_cannot_honour_are_refused(name: str) -> None:
    opt = getattr(optim, name)(one(mg), foreach=True)  # one implementation: accepted
    assert opt.param_groups[0]["foreach"] is True
    for flag in ("capturable", "differentiable"):
        with pytest.raises(NotImplementedError, match=f"{flag}=True"):
            getattr(optim, name)(one(mg), **{flag: True})
    with pytest.raises(TypeError):
        getattr(optim, name)(one(mg), fused=True)  # torch has no fused kernel for these
    with pytest.raises(TypeError):
        getattr(torch.optim, name)(one(torch), fused=True)


# ---- lr schedulers ---------------------------------------------------------------------------
def schedule(lib: Any, name: str, kwargs: dict, opt_name: str = "SGD") -> tuple[Any, Any]:
    """An optimizer over two groups (lr 0.1 and 0.05) and the scheduler on it."""
    a, b = lib.ones(1, requires_grad=True), lib.ones(2, requires_grad=True)
    extra = {"momentum": 0.9} if opt_name == "SGD" else {}
    opt = getattr(lib.optim, opt_name)([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1,
                                       **extra)
    s = lib.optim.lr_scheduler
    if name == "SequentialLR":  # a warm-up, a cosine, then an exponential decay
        k = kwargs
        parts = [s.LinearLR(opt, start_factor=k["start"], total_iters=k["warmup"]),
                 s.CosineAnnealingLR(opt, T_max=k["T_max"]), s.ExponentialLR(opt, k["gamma"])]
        return opt, s.SequentialLR(opt, parts, milestones=k["milestones"])
    return opt, getattr(s, name)(opt, **kwargs)


def follow(opt: Any, sched: Any, steps: int, epochs: list[float] | None = None
           ) -> list[list[float]]:
    """Step both; after each step every group's lr and momentum (or beta1)."""
    rows = []
    for t in range(steps):
        opt.step()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's deprecation of step(epoch)
            sched.step(*([epochs[t]] if epochs else []))
        assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
        rows.append([float(v) for g in opt.param_groups
                     for v in (g["lr"], g["betas"][0] if "betas" in g else g["momentum"])])
    return rows


SCHEDULERS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "ConstantLR": st.fixed_dictionaries({}, optional={
        "factor": st.floats(0.01, 1.0), "total_iters": st.integers(0, 12)}),
    "LinearLR": st.fixed_dictionaries({}, optional={
        "start_factor": st.floats(0.01, 1.0), "end_factor": st.floats(0.0, 1.0),
        "total_iters": st.integers(1, 12)}),
    "PolynomialLR": st.fixed_dictionaries({}, optional={
        "total_iters": st.integers(1, 12), "power": st.floats(0.1, 3.0)}),
    "CosineAnnealingWarmRestarts": st.fixed_dictionaries(
        {"T_0": st.integers(1, 6)}, optional={"T_mult": st.integers(1, 3),
                                              "eta_min": st.floats(0.0, 0.01)}),
    "CyclicLR": st.fixed_dictionaries(
        {"base_lr": st.one_of(st.floats(1e-4, 0.01), st.lists(st.floats(1e-4, 0.01),
                                                               min_size=2, max_size=2)),
         "max_lr": st.floats(0.02, 1.0)},
        optional={"step_size_up": st.integers(1, 6), "step_size_down": st.integers(1, 6),
                  "mode": st.sampled_from(["triangular", "triangular2", "exp_range"]),
                  "gamma": st.floats(0.8, 1.0), "cycle_momentum": st.booleans(),
                  "base_momentum": st.floats(0.5, 0.85), "max_momentum": st.floats(0.86, 0.99)}),
    "SequentialLR": st.fixed_dictionaries({
        "start": st.floats(0.05, 1.0), "warmup": st.integers(1, 6), "T_max": st.integers(1, 8),
        "gamma": st.floats(0.5, 0.99),
        "milestones": st.lists(st.integers(1, 20), min_size=2, max_size=2).map(sorted)}),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
@given(data=st.data(), opt_name=st.sampled_from(["SGD", "Adam"]))
def test_schedulers_match_pytorch(name: str, data: st.DataObject, opt_name: str) -> None:
    kwargs = data.draw(SCHEDULERS[name], label="kwargs")
    ours = follow(*schedule(mg, name, kwargs, opt_name), 30)
    theirs = follow(*schedule(torch, name, kwargs, opt_name), 30)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize(("name", "kwargs"), [
    ("ConstantLR", {"factor": 0.5, "total_iters": 3}), ("LinearLR", {"total_iters": 6}),
    ("PolynomialLR", {"total_iters": 8, "power": 2.0}), ("StepLR", {"step_size": 3}),
    ("MultiStepLR", {"milestones": [2, 5, 5]}), ("ExponentialLR", {"gamma": 0.8}),
    ("CosineAnnealingLR", {"T_max": 5}), ("CosineAnnealingWarmRestarts", {"T_0": 3}),
    ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 2, "eta_min": 0.001})])
def test_step_to_an_epoch_uses_the_closed_form_as_pytorch(name: str, kwargs: dict) -> None:
    epochs: list[float] = [1, 3, 2, 6, 7, 0, 4, 9, 9, 12, 3]
    if name == "CosineAnnealingWarmRestarts":
        epochs = [0.5, 1, 1.5, 2.25, 3.75, 6, 9.1, 14, 3, 2, 20]
    ours = follow(*schedule(mg, name, kwargs), len(epochs), epochs)
    theirs = follow(*schedule(torch, name, kwargs), len(epochs), epochs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    if name != "CosineAnnealingWarmRestarts":  # (whose step(epoch) is no deprecated form)
        with pytest.warns(UserWarning, match="epoch parameter"):
            schedule(mg, name, kwargs)[1].step(2)


def test_schedule_formulas_by_hand() -> None:
    """The closed forms, from one group at lr 1."""
    def lrs(name: str, steps: int, **kwargs: Any) -> list[float]:
        p = mg.ones(1, requires_grad=True)
        opt = optim.SGD([p], lr=1.0, momentum=0.9)
        sched = getattr(optim.lr_scheduler, name)(opt, **kwargs)
        out = [opt.param_groups[0]["lr"]]
        for _ in range(steps):
            sched.step()
            out.append(opt.param_groups[0]["lr"])
        return out

    assert lrs("LinearLR", 5, start_factor=0.2, total_iters=4) == pytest.approx(
        [0.2, 0.4, 0.6, 0.8, 1.0, 1.0])
    assert lrs("ConstantLR", 4, factor=0.5, total_iters=2) == pytest.approx(
        [0.5, 0.5, 1.0, 1.0, 1.0])
    assert lrs("PolynomialLR", 5, total_iters=4, power=2.0) == pytest.approx(
        [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0])
    assert lrs("CosineAnnealingWarmRestarts", 5, T_0=2) == pytest.approx(
        [1.0, 0.5, 1.0, 0.5, 1.0, 0.5])
    # up over 2 steps from 0.1 to 1.1, down over 2, the second cycle at half the height
    assert lrs("CyclicLR", 6, base_lr=0.1, max_lr=1.1, step_size_up=2,
               mode="triangular2") == pytest.approx([0.1, 0.6, 1.1, 0.6, 0.1, 0.35, 0.6])


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_state_dict_round_trip_continues_identically(name: str) -> None:
    kwargs = {"ConstantLR": {"factor": 0.5, "total_iters": 7},
              "LinearLR": {"start_factor": 0.1, "total_iters": 9},
              "PolynomialLR": {"total_iters": 12, "power": 1.5},
              "CosineAnnealingWarmRestarts": {"T_0": 2, "T_mult": 2},
              "CyclicLR": {"base_lr": 0.01, "max_lr": 0.5, "step_size_up": 3,
                           "mode": "exp_range", "gamma": 0.95},
              "SequentialLR": {"start": 0.1, "warmup": 3, "T_max": 4, "gamma": 0.9,
                               "milestones": [4, 9]}}[name]
    straight = follow(*schedule(mg, name, kwargs), 14)
    opt1, sched1 = schedule(mg, name, kwargs)
    follow(opt1, sched1, 7)
    buffer = io.BytesIO()
    mg.save({"optimizer": opt1.state_dict(), "scheduler": sched1.state_dict()}, buffer)
    buffer.seek(0)
    saved = mg.load(buffer)
    opt2, sched2 = schedule(mg, name, kwargs)
    opt2.load_state_dict(saved["optimizer"])
    sched2.load_state_dict(saved["scheduler"])
    assert sched2.get_last_lr() == sched1.get_last_lr()
    assert follow(opt2, sched2, 7) == straight[7:]
    _, theirs = schedule(torch, name, kwargs)  # torch's keys, the inner schedulers' too
    assert sorted(sched1.state_dict()) == sorted(theirs.state_dict())
    if name == "SequentialLR":
        assert [sorted(s) for s in sched1.state_dict()["_schedulers"]] == [
            sorted(s) for s in theirs.state_dict()["_schedulers"]]


class Halving:
    """A picklable CyclicLR scale_fn: its attributes travel in the state_dict."""

    def __init__(self, base: float) -> None:
        self.base = base

    def __call__(self, cycle: float) -> float:
        return self.base ** (cycle - 1)


def test_cyclic_state_dict_keeps_a_callable_objects_attributes_only() -> None:
    opt = optim.SGD(one(mg), momentum=0.9)
    sched = optim.lr_scheduler.CyclicLR(opt, 0.1, 1.0, step_size_up=2, scale_fn=Halving(0.5))
    state = sched.state_dict()
    assert state["_scale_fn_custom"] == {"base": 0.5}
    other = optim.lr_scheduler.CyclicLR(opt, 0.1, 1.0, scale_fn=Halving(0.9))
    other.load_state_dict(state)
    assert other._scale_fn_custom.base == 0.5 and state["_scale_fn_custom"] == {"base": 0.5}
    plain = optim.lr_scheduler.CyclicLR(opt, 0.1, 1.0, scale_fn=lambda c: 1.0)
    assert plain.state_dict()["_scale_fn_custom"] is None
