"""Autograd semantics: accumulation, retain_graph, grad modes, hooks, freeing, order, errors."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.testing import assert_close


def test_gradient_accumulates_when_a_tensor_is_reused() -> None:
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x + x  # x used three times: dy/dx = 2x + 1
    y.sum().backward()
    assert_close(x.grad, 2 * x.detach() + 1)
    (x * 3).sum().backward()  # a second backward adds into .grad
    assert_close(x.grad, 2 * x.detach() + 4)


def test_leaf_grads_are_separate_tensors() -> None:
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # Add hands one gradient object to both inputs
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0]


def test_second_backward_needs_retain_graph() -> None:
    x = mg.tensor(2.0, requires_grad=True)
    y = x.exp() * x
    y.backward(retain_graph=True)
    first = x.grad.item()
    y.backward()  # allowed: the graph was retained
    assert x.grad.item() == pytest.approx(2 * first)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_graph_is_freed_after_backward() -> None:
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    node = y.grad_fn.inputs[0].grad_fn  # MulBackward0: it kept x and w for backward
    assert node.inputs == (x, w)
    y.backward()
    # the graph's shape stays (edges, shapes, dtypes), its values go: the inputs are stand-ins
    # holding one element, and a second backward through the node fails, as torch's does
    assert node.released and node.next == [x, w] and node.inputs[0] is not x
    assert [tuple(t.shape) for t in node.inputs] == [(2,), (2,)]
    assert all(t.stride() == (0,) for t in node.inputs)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_nodes_that_kept_nothing_run_again_as_in_torch() -> None:
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 2).sum()  # x + 2 keeps nothing (its derivative is 1); sum keeps nothing
    y.backward()
    y.backward()  # torch allows it: nothing was freed
    assert x.grad.tolist() == [2.0, 2.0]
    m = x.mean()
    m.backward()
    m.backward()
    assert x.grad.tolist() == [3.0, 3.0]
    z = (x * 2).sum()  # x * 2 keeps the 2 (torch saves a Python number as a tensor)
    z.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        z.backward()


def test_backward_of_non_scalar_needs_a_gradient() -> None:
    x = mg.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"only for scalar outputs.*\(2, 3\)"):
        y.backward()
    y.backward(mg.ones(2, 3))
    assert_close(x.grad, mg.full((2, 3), 2.0))
    with pytest.raises(RuntimeError, match=r"Mismatch in shape.*\(3,\).*\(2, 3\)"):
        (x * 2).backward(mg.ones(3))


def test_backward_on_a_tensor_that_does_not_require_grad() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.ones(2).sum().backward()


def test_integer_tensors_cannot_require_grad() -> None:
    with pytest.raises(RuntimeError, match="floating point"):
        mg.tensor([1, 2], requires_grad=True)


def test_in_place_on_a_leaf_that_requires_grad() -> None:
    w = mg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w += 1
    with mg.no_grad():
        w -= 0.5  # the optimizer's update is fine under no_grad
    assert w.tolist() == [0.5, 0.5, 0.5] and w.is_leaf and w.requires_grad


def test_nested_grad_modes() -> None:
    x = mg.ones(2, requires_grad=True)
    with mg.no_grad():
        assert not (x * 2).requires_grad
        with mg.enable_grad():
            assert (x * 2).requires_grad
            with mg.set_grad_enabled(False):
                assert not (x * 2).requires_grad
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad and mg.is_grad_enabled()


def test_grad_modes_as_decorators_and_calls() -> None:
    x = mg.ones(2, requires_grad=True)

    @mg.no_grad()
    def infer(t: mg.Tensor) -> mg.Tensor:
        return t * 2

    @mg.set_grad_enabled(False)
    def infer2(t: mg.Tensor) -> mg.Tensor:
        return t * 2

    assert mg.is_grad_enabled()  # building the decorator switched nothing
    assert not infer(x).requires_grad and not infer2(x).requires_grad
    assert mg.is_grad_enabled()
    mg.set_grad_enabled(False)  # as a plain call, as torch
    try:
        assert not (x * 2).requires_grad
    finally:
        mg.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_grad_mode_restored_after_an_exception() -> None:
    with pytest.raises(ValueError), mg.no_grad():
        raise ValueError
    assert mg.is_grad_enabled()


def test_hooks_see_and_replace_gradients_and_can_be_removed() -> None:
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    y = x * 3
    h1 = y.register_hook(lambda g: seen.append(g.tolist()))
    h2 = x.register_hook(lambda g: g * 10)
    y.sum().backward(retain_graph=True)
    assert seen == [[1.0, 1.0]] and x.grad.tolist() == [30.0, 30.0]
    h1.remove()
    h2.remove()
    h2.remove()  # removing twice is harmless
    x.grad = None
    y.sum().backward()
    assert seen == [[1.0, 1.0]] and x.grad.tolist() == [3.0, 3.0]


def test_retain_grad_keeps_a_non_leaf_gradient() -> None:
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = x * 3
    y.retain_grad()
    (y * z).sum().backward()
    assert y.grad.tolist() == (3 * x.detach()).tolist() and z.grad is None


def test_detach_and_requires_grad_() -> None:
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    y = x * 2
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad
    z = mg.ones(2).requires_grad_()
    assert z.requires_grad and z.is_leaf


def test_data_assignment_is_not_tracked() -> None:
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    w.data = mg.tensor([5.0, 6.0])
    assert w.requires_grad and w.is_leaf and w.tolist() == [5.0, 6.0]
    (w * w).sum().backward()
    assert w.grad.tolist() == [10.0, 12.0]


def test_autograd_grad_higher_order() -> None:
    x = mg.tensor([0.5, -1.0, 2.0], dtype=mg.float64, requires_grad=True)
    y = (x ** 3).sum()
    (g,) = mg.autograd.grad(y, x, create_graph=True)
    assert_close(g, 3 * x.detach() ** 2)
    (gg,) = mg.autograd.grad(g.sum(), x)
    assert_close(gg, 6 * x.detach())
    assert x.grad is None  # autograd.grad does not touch .grad


def test_autograd_grad_allow_unused() -> None:
    x = mg.ones(2, requires_grad=True)
    u = mg.ones(2, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        mg.autograd.grad(y, [x, u], retain_graph=True)
    gx, gu = mg.autograd.grad(y, [x, u], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0] and gu is None


def test_backward_create_graph_gives_second_derivatives() -> None:
    x = mg.tensor(0.3, dtype=mg.float64, requires_grad=True)
    y = x.sin() * x
    y.backward(create_graph=True)
    g = x.grad  # cos(x) x + sin(x), itself differentiable
    x.grad = None
    g.backward()
    xv = 0.3
    assert x.grad.item() == pytest.approx(-np.sin(xv) * xv + 2 * np.cos(xv))


def test_deep_graph_does_not_hit_the_recursion_limit() -> None:
    x = mg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 5000, rel=1e-3)


@given(st.integers(1, 6), st.integers(0, 2**31))
def test_grad_of_shared_subexpressions(n: int, seed: int) -> None:
    """A diamond of n branches: d/dx of sum_i (x * i) is sum_i i, whatever the walk order."""
    x = mg.tensor(np.random.default_rng(seed).uniform(-1, 1, 3), requires_grad=True)
    h = x * 1.0
    total = sum((h * float(i) for i in range(1, n + 1)), start=mg.zeros(3))
    total.sum().backward()
    assert_close(x.grad, mg.full((3,), n * (n + 1) / 2, dtype=mg.float64))


def train_tiny_model(steps: int) -> None:
    """A small training loop: linear layer, sigmoid, squared error, SGD update."""
    mg.manual_seed(0)
    w = mg.randn(4, 1, requires_grad=True)
    b = mg.zeros(1, requires_grad=True)
    x = mg.randn(8, 4)
    t = mg.rand(8, 1)
    for _ in range(steps):
        loss = (((x @ w + b).sigmoid() - t) ** 2).mean()
        loss.backward()
        with mg.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        w.grad = b.grad = None


def test_graph_is_freed_no_growth_over_10000_steps() -> None:
    """With the cycle collector off, only reference counting frees graphs: no memory may grow."""
    train_tiny_model(50)  # warm caches
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        train_tiny_model(2000)  # the allocator's pools settle (a one-time 70 KiB after 500)
        before = tracemalloc.get_traced_memory()[0]
        train_tiny_model(10_000)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        gc.enable()
    assert after - before < 64 * 1024, f"memory grew by {after - before} bytes"


ORDER_SCRIPT = textwrap.dedent("""
    import minigrad as mg
    mg.manual_seed(1)
    xs = [mg.randn(3, requires_grad=True) for _ in range(5)]
    order = []
    y = sum((x * (i + 1.5)).exp() for i, x in enumerate(xs))
    for i, x in enumerate(xs):
        x.register_hook(lambda g, i=i: order.append(i))
    (y.sum() + sum(x.sin().sum() for x in xs[::-1])).backward()
    print(order, [round(v, 6) for x in xs for v in x.grad.tolist()])
""")


def test_backward_order_is_deterministic_across_hash_seeds() -> None:
    outs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        res = subprocess.run([sys.executable, "-c", ORDER_SCRIPT], env=env, check=True,
                             capture_output=True, text=True)
        outs.add(res.stdout)
    assert len(outs) == 1, outs


def test_grad_fn_names_match_torch() -> None:
    x = mg.ones(2, requires_grad=True)
    assert (x * 2).grad_fn.name() == "MulBackward0"
    assert (x + x).grad_fn.name() == "AddBackward0"
    assert x.sum().grad_fn.name() == "SumBackward0"
    assert x.grad_fn is None


def test_a_gradient_of_another_dtype_is_cast_to_the_output_dtype(cpu_backend: str) -> None:
    """As torch: backward(gradient) with a float64 gradient on a float32 output gives float32
    gradients (each op's backward then sees its own dtype)."""
    x = mg.tensor([-1.0, 0.5, 2.0], device=cpu_backend, requires_grad=True)
    (x.sigmoid() * 3).backward(mg.ones(3, dtype=mg.float64, device=cpu_backend))
    assert x.grad.dtype is mg.float32
    y = x.detach().sigmoid().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 3 * y * (1 - y), rtol=1e-6)
    (g,) = mg.autograd.grad(x.tanh(), x, mg.ones(3, dtype=mg.float64, device=cpu_backend))
    assert g.dtype is mg.float32


def test_mean_over_an_empty_dim_backpropagates_without_a_warning() -> None:
    import warnings

    x = mg.zeros(3, 0, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the forward's "Mean of empty slice", as NumPy's
        out = x.mean(dim=1).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out.backward()
    assert x.grad.shape == (3, 0)


def test_grad_runs_only_the_nodes_that_lead_to_what_it_asks_for() -> None:
    """As torch: autograd.grad(out, [h]) stops at h; hooks further back never fire, and a
    gradient penalty's inner grad leaves .grad alone."""
    x = mg.randn(3, requires_grad=True)
    fired: list[str] = []
    x.register_hook(lambda g: fired.append("x"))
    h = x * 2
    h.register_hook(lambda g: fired.append("h"))
    (gh,) = mg.autograd.grad((h ** 2).sum(), [h])
    assert fired == ["h"]
    mg.testing.assert_close(gh, 2 * h.detach())
    assert x.grad is None
