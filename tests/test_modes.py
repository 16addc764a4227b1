"""Modes that belong to a thread (grad mode, fast paths), anomaly detection, and tensor hooks
that must keep the gradient's shape."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.backends import fast_paths, fast_paths_enabled


def in_thread(fn) -> object:
    """fn's result, run in a fresh thread."""
    out: dict = {}
    thread = threading.Thread(target=lambda: out.setdefault("value", fn()))
    thread.start()
    thread.join()
    return out["value"]


def test_grad_mode_and_fast_paths_belong_to_the_thread() -> None:
    try:
        mg.set_grad_enabled(False)
        fast_paths(False)
        assert in_thread(mg.is_grad_enabled) is True  # a new thread starts recording
        assert in_thread(fast_paths_enabled) is True
        assert not mg.is_grad_enabled() and not fast_paths_enabled()
    finally:
        mg.set_grad_enabled(True)
        fast_paths(True)


def test_two_threads_train_at_once() -> None:
    """Two threads train two models, switching grad mode off around every update: neither's
    graph is lost, and each ends exactly where it ends trained alone."""
    import copy

    def model_and_data(seed: int) -> tuple:
        mg.manual_seed(seed)  # (the generator is shared: draw before the threads start)
        model = nn.Sequential(nn.Linear(4, 8), nn.Sigmoid(), nn.Linear(8, 1))
        x = mg.tensor(np.random.default_rng(seed).standard_normal((32, 4)), dtype=mg.float32)
        return model, x, x.sum(dim=1, keepdim=True).sigmoid()

    def train(model: nn.Module, x: mg.Tensor, y: mg.Tensor, barrier: threading.Barrier,
              losses: list) -> None:
        opt = mg.optim.SGD(model.parameters(), lr=0.5)
        barrier.wait()
        for _ in range(60):
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()  # fails if the other thread's no_grad switched this one off
            with mg.no_grad():
                opt.step()
            losses.append(loss.item())

    jobs = [model_and_data(seed) for seed in (0, 1)]
    twins = [copy.deepcopy(job) for job in jobs]
    results: dict[int, list] = {0: [], 1: []}
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=train, args=(*jobs[i], barrier, results[i]))
               for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in (0, 1):
        alone: list = []
        train(*twins[i], threading.Barrier(1), alone)
        assert len(results[i]) == 60 and results[i] == alone
        assert results[i][-1] < results[i][0]
    assert mg.is_grad_enabled()


def test_decorated_functions_restore_the_callers_mode() -> None:
    @mg.set_grad_enabled(False)
    def off() -> bool:
        return mg.is_grad_enabled()

    with mg.no_grad():
        assert off() is False and not mg.is_grad_enabled()
    assert off() is False and mg.is_grad_enabled()


def test_anomaly_mode_names_the_backward_function_that_made_a_nan() -> None:
    x = mg.tensor([0.0, 1.0], requires_grad=True)
    with mg.autograd.detect_anomaly():
        y = (x * 0).sqrt()  # sqrt's gradient at 0 is inf; times 0 it is NaN, in MulBackward0
        with pytest.raises(RuntimeError, match=r"(?s)Function .MulBackward0. returned nan values "
                                               r"in its 0th output\.\nTraceback of forward "
                                               r"call that caused the error:\n.*test_modes"):
            y.sum().backward()
    assert not mg.autograd.is_anomaly_enabled()
    y = (x * 0).sqrt()
    y.sum().backward()  # off: the NaN passes silently, as in torch
    assert np.isnan(x.grad.numpy()).any()


def test_anomaly_mode_names_the_forward_op_that_turned_finite_into_nan() -> None:
    mg.autograd.set_detect_anomaly(True)
    try:
        x = mg.tensor([1.0, -1.0])
        with pytest.raises(RuntimeError, match=r"Function 'Sqrt' made nan values from finite "
                                               r"inputs .*test_modes\.py"):
            x.sqrt()
        inf = mg.tensor([float("inf")])
        assert (inf * 2).item() == float("inf")  # not finite in, not finite out: allowed
    finally:
        mg.autograd.set_detect_anomaly(False)
    with np.errstate(invalid="ignore"):
        assert np.isnan(x.sqrt().numpy()).any()  # off: no check


def test_anomaly_mode_in_another_thread_is_off() -> None:
    with mg.autograd.detect_anomaly():
        assert mg.autograd.is_anomaly_enabled()
        assert in_thread(mg.autograd.is_anomaly_enabled) is False


def test_a_hook_may_not_change_the_gradients_shape() -> None:
    x = mg.ones(3, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match=r"has changed the size of value: the gradient is "
                                           r"\[3\], the hook returned \[\]"):
        y.sum().backward()
