"""Module hooks (forward pre-hooks, forward hooks, full backward hooks and pre-hooks, the
global ones) and the submodule lookups, side by side with torch.nn where it is importable:
every scenario runs on both libraries and must record the same calls, shapes and values."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.nn import hooks as hooks_py
from tests.test_nn_modules import mg_or_torch


def both(scenario: Callable[[Any], list]) -> list:
    """Run ``scenario(nn)`` on minigrad and, where importable, on torch.nn; the records must
    agree (numbers to float tolerance). Returns minigrad's record."""
    ours = scenario(nn)
    try:
        import torch
    except ImportError:
        return ours
    theirs = scenario(torch.nn)
    assert len(ours) == len(theirs), (ours, theirs)
    for a, b in zip(ours, theirs):
        same(a, b)
    return ours


def same(a: Any, b: Any) -> None:
    if isinstance(a, (tuple, list)):
        assert isinstance(b, (tuple, list)) and len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(a, np.ndarray):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    else:
        assert a == b, (a, b)


def arr(t: Any) -> Any:
    """A tensor of either library as a NumPy array (None stays None)."""
    return None if t is None else t.detach().cpu().numpy().copy()


def shapes(ts: Any) -> list:
    return [None if t is None else tuple(t.shape) for t in ts]


def filled(model: Any, lib: Any, seed: int = 0) -> Any:
    """The same weights in either library."""
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(rng.normal(0, 0.5, tuple(p.shape)).astype(np.float32)))
    return model


def small_net(n: Any) -> Any:
    return n.Sequential(n.Conv2d(1, 2, 3), n.Tanh(), n.AvgPool2d(2), n.Flatten(),
                        n.Linear(8, 3))


# ---- forward pre-hooks and forward hooks ---------------------------------------------------
def test_forward_pre_hook_can_replace_the_input() -> None:
    def scenario(n: Any) -> list:
        lib = mg_or_torch(n)
        lin = filled(n.Linear(2, 2), lib)
        log: list = []
        h1 = lin.register_forward_pre_hook(lambda m, args: log.append(("first", len(args))))
        lin.register_forward_pre_hook(lambda m, args: args[0] * 2)  # one value: wrapped
        lin.register_forward_pre_hook(lambda m, args: log.append(("third", arr(args[0]))),
                                      prepend=True)  # runs before the others
        x = lib.ones(1, 2)
        log.append(("out", arr(lin(x))))
        h1.remove()
        h1.remove()  # twice is fine
        log.append(("again", arr(lin(x))))
        return log

    log = both(scenario)
    assert [e[0] for e in log] == ["third", "first", "out", "third", "again"]


def test_forward_pre_hook_with_kwargs_returns_args_and_kwargs() -> None:
    class Scale(nn.Module):
        def forward(self, x: Any, factor: float = 1.0) -> Any:
            return x * factor

    def scenario(n: Any) -> list:
        lib = mg_or_torch(n)
        m = type("Scale", (n.Module,), {"forward": Scale.forward})()
        log: list = []

        def hook(mod: Any, args: tuple, kwargs: dict) -> Any:
            log.append(sorted(kwargs))
            return (args[0] + 1,), {"factor": 3.0}

        with m.register_forward_pre_hook(hook, with_kwargs=True):
            log.append(arr(m(lib.ones(2), factor=2.0)))
        log.append(arr(m(lib.ones(2), factor=2.0)))  # the with block removed the hook
        m.register_forward_pre_hook(lambda mod, a, k: "bad", with_kwargs=True)
        with pytest.raises(RuntimeError, match="must return None or a tuple"):
            m(lib.ones(2))
        return log

    assert len(both(scenario)) == 3


def test_forward_hook_can_replace_the_output_and_sees_kwargs() -> None:
    class Scale(nn.Module):
        def forward(self, x: Any, factor: float = 1.0) -> Any:
            return x * factor

    def scenario(n: Any) -> list:
        lib = mg_or_torch(n)
        m = type("Scale", (n.Module,), {"forward": Scale.forward})()
        log: list = []
        m.register_forward_hook(lambda mod, args, out: out + 10)
        m.register_forward_hook(lambda mod, args, kwargs, out: log.append(
            ("kw", dict(kwargs), arr(out))), with_kwargs=True)
        m.register_forward_hook(lambda mod, args, out: log.append(("first", arr(out))),
                                prepend=True)
        log.append(("result", arr(m(lib.ones(2), factor=2.0))))
        return log

    log = both(scenario)
    assert log[0][0] == "first" and log[1][1] == {"factor": 2.0}
    np.testing.assert_array_equal(log[2][1], [12.0, 12.0])


def test_always_call_hooks_run_when_forward_fails() -> None:
    class Fails(nn.Module):
        def forward(self, x: Any) -> Any:
            raise ValueError("boom")

    def scenario(n: Any) -> list:
        lib = mg_or_torch(n)
        m = type("Fails", (n.Module,), {"forward": Fails.forward})()
        log: list = []
        m.register_forward_hook(lambda mod, args, out: log.append("plain"))
        m.register_forward_hook(lambda mod, args, out: log.append(("always", out)),
                                always_call=True)
        with pytest.raises(ValueError, match="boom"):
            m(lib.ones(1))
        return log

    assert both(scenario) == [("always", None)]


def test_global_hooks_run_before_the_modules_own() -> None:
    def scenario(n: Any) -> list:
        lib = mg_or_torch(n)
        where = sys.modules[n.Module.__module__]  # torch.nn.modules.module or ours
        log: list = []
        net = n.Sequential(n.Identity())
        net[0].register_forward_hook(lambda m, a, o: log.append("own"))
        handles = [where.register_module_forward_pre_hook(
                       lambda m, a: log.append(("pre", type(m).__name__))),
                   where.register_module_forward_hook(
                       lambda m, a, o: log.append(("post", type(m).__name__)))]
        try:
            net(lib.ones(1))
        finally:
            for h in handles:
                h.remove()
        net(lib.ones(1))
        return log

    assert both(scenario) == [("pre", "Sequential"), ("pre", "Identity"), ("post", "Identity"),
                              "own", ("post", "Sequential"), "own"]


def test_no_hooks_left_after_removal() -> None:
    lin = nn.Linear(2, 2)
    handles = [lin.register_forward_pre_hook(lambda m, a: None, with_kwargs=True),
               lin.register_forward_hook(lambda m, a, o: None, with_kwargs=True,
                                         always_call=True),
               lin.register_full_backward_hook(lambda m, gi, go: None),
               lin.register_full_backward_pre_hook(lambda m, go: None)]
    for h in handles:
        h.remove()
    for name in ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks",
                 "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                 "_backward_hooks", "_backward_pre_hooks"):
        assert not getattr(lin, name), name
    assert not (hooks_py.global_forward_hooks or hooks_py.global_forward_pre_hooks)


# ---- full backward hooks -------------------------------------------------------------------
def test_full_backward_hooks_see_the_same_gradients_as_torch() -> None:
    def scenario(n: Any) -> list:
        lib = mg_or_torch(n)
        net = filled(small_net(n), lib)
        log: list = []
        for name, m in net.named_children():
            m.register_full_backward_pre_hook(
                lambda m, go, name=name: log.append(("pre", name, [arr(g) for g in go])))
            m.register_full_backward_hook(
                lambda m, gi, go, name=name: log.append(("hook", name, [arr(g) for g in gi],
                                                         [arr(g) for g in go])))
        x = lib.tensor(np.linspace(-1, 1, 2 * 36, dtype=np.float32).reshape(2, 1, 6, 6),
                       requires_grad=True)
        (net(x) ** 2).sum().backward()
        log.append(("x.grad", arr(x.grad)))
        log.append(("w.grad", arr(net[0].weight.grad)))
        return log

    log = both(scenario)
    order = [(e[0], e[1]) for e in log[:-2]]
    assert order == [(kind, name) for name in "43210" for kind in ("pre", "hook")]


def test_backward_hooks_may_replace_gradients() -> None:
    def scenario(n: Any) -> list:
        lib = mg_or_torch(n)
        net = filled(small_net(n), lib)
        net[1].register_full_backward_hook(lambda m, gi, go: (gi[0] * 3,))
        net[4].register_full_backward_pre_hook(lambda m, go: (go[0] * 0.5,))
        x = lib.ones(1, 1, 6, 6, requires_grad=True)
        net(x).sum().backward()
        return [arr(x.grad), arr(net[0].weight.grad), arr(net[4].weight.grad)]

    both(scenario)


def test_backward_hook_of_a_first_layer_fires_at_its_outputs_and_warns() -> None:
    def scenario(n: Any) -> list:
        lib = mg_or_torch(n)
        net = filled(small_net(n), lib)
        log: list = []
        net[0].register_full_backward_hook(
            lambda m, gi, go: log.append((list(gi), shapes(go))))
        with pytest.warns(UserWarning, match="no inputs require gradients"):
            net(lib.ones(1, 1, 6, 6)).sum().backward()
        net[0].register_full_backward_hook(lambda m, gi, go: (lib.ones(1),))
        with pytest.raises(RuntimeError, match="should always return None"), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net(lib.ones(1, 1, 6, 6)).sum().backward()
        return log

    log = both(scenario)
    assert log[0] == ([None], [(1, 2, 4, 4)])


def test_backward_hooks_with_several_inputs_and_outputs() -> None:
    """Non-tensor arguments get None; an output unused by the loss gets None in grad_output;
    an input whose gradient did not arrive gets zeros, as torch's."""
    class Two(nn.Module):
        def forward(self, a: Any, k: float, b: Any) -> Any:
            return a * k, (b * 2).sum(1)

    def scenario(n: Any) -> list:
        lib = mg_or_torch(n)
        m = type("Two", (n.Module,), {"forward": Two.forward})()
        log: list = []
        m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", shapes(go))))
        m.register_full_backward_hook(lambda mod, gi, go: log.append(
            ("hook", [arr(g) for g in gi], shapes(go))))
        a = lib.ones(2, 3, requires_grad=True)
        b = lib.ones(2, 4, requires_grad=True)
        y1, _ = m(a, 3.0, b)
        y1.sum().backward()
        log.append(("grads", arr(a.grad), arr(b.grad)))
        return log

    log = both(scenario)
    assert log[0] == ("pre", [(2, 3), None])
    assert log[1][1][1] is None and not log[1][1][2].any()


def test_backward_hook_return_is_checked() -> None:
    def scenario(n: Any) -> list:
        lib = mg_or_torch(n)
        lin = n.Linear(3, 2)
        lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
        with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but "
                                               "expected 1"):
            lin(lib.ones(1, 3, requires_grad=True)).sum().backward()
        lin = n.Linear(3, 2)
        lin.register_full_backward_pre_hook(lambda m, go: ())
        with pytest.raises(RuntimeError, match="invalid number of grad_output, got 0, but "
                                               "expected 1"):
            lin(lib.ones(1, 3, requires_grad=True)).sum().backward()
        lin = n.Linear(3, 2)
        lin.register_full_backward_hook(lambda m, gi, go: (lib.ones(3),))
        with pytest.raises(RuntimeError, match="hook 'hook' has changed the size of value"):
            lin(lib.ones(1, 3, requires_grad=True)).sum().backward()
        lin = n.Linear(3, 2)
        lin.register_full_backward_hook(lambda m, gi, go: (gi[0].double(),))
        with pytest.raises(RuntimeError, match="changed the type of value \\(was "):
            lin(lib.ones(1, 3, requires_grad=True)).sum().backward()
        lin = n.Linear(3, 2)
        lin.register_full_backward_hook(lambda m, gi, go: (3.0,))
        with pytest.raises(TypeError, match="expected Variable, but hook returned 'float'"):
            lin(lib.ones(1, 3, requires_grad=True)).sum().backward()
        return []

    both(scenario)


def test_backward_hooks_fire_on_every_backward_and_not_without_grad() -> None:
    def scenario(n: Any) -> list:
        lib = mg_or_torch(n)
        lin = filled(n.Linear(3, 2), lib)
        log: list = []
        lin.register_full_backward_hook(lambda m, gi, go: log.append(arr(gi[0])))
        x = lib.ones(1, 3, requires_grad=True)
        y = lin(x).sum()
        y.backward(retain_graph=True)
        y.backward()
        with lib.no_grad():
            lin(x)
        lin(lib.ones(1, 3))  # nothing requires grad but the weights: fires at the outputs
        return log

    assert len(both(scenario)) == 2


def test_changing_a_hooked_output_in_place_fails_as_in_torch() -> None:
    def scenario(n: Any) -> list:
        lib = mg_or_torch(n)
        net = n.Sequential(n.Linear(3, 2), n.ReLU(inplace=True))
        net[0].register_full_backward_hook(lambda m, gi, go: None)
        with pytest.raises(RuntimeError, match="Output 0 of BackwardHookFunction is a view and is "
                                               "being modified inplace"):
            net(lib.ones(1, 3, requires_grad=True))
        return []

    both(scenario)


def test_the_global_backward_hooks() -> None:
    def scenario(n: Any) -> list:
        lib = mg_or_torch(n)
        where = sys.modules[n.Module.__module__]
        log: list = []
        lin = filled(n.Linear(3, 2), lib)
        lin.register_full_backward_hook(lambda m, gi, go: log.append("own"))
        handles = [where.register_module_full_backward_pre_hook(
                       lambda m, go: log.append(("pre", shapes(go)))),
                   where.register_module_full_backward_hook(
                       lambda m, gi, go: log.append(("hook", shapes(gi))))]
        try:
            lin(lib.ones(1, 3, requires_grad=True)).sum().backward()
        finally:
            for h in handles:
                h.remove()
        return log

    assert both(scenario) == [("pre", [(1, 2)]), ("hook", [(1, 3)]), "own"]


# ---- looking modules up by name ------------------------------------------------------------
def test_get_submodule_parameter_and_buffer() -> None:
    def scenario(n: Any) -> list:
        net = n.Sequential(n.Conv2d(1, 2, 3), n.Sequential(n.BatchNorm2d(2), n.ReLU()))
        log = [type(net.get_submodule("1.0")).__name__, net.get_submodule("") is net,
               tuple(net.get_parameter("0.weight").shape),
               tuple(net.get_buffer("1.0.running_mean").shape),
               [name for name, _ in net.named_modules()], len(list(net.modules()))]
        for call, target in [(net.get_submodule, "2"), (net.get_submodule, "0.weight"),
                             (net.get_parameter, "1.0.running_var"),
                             (net.get_buffer, "1.0.weight"), (net.get_parameter, "0.nope")]:
            with pytest.raises(AttributeError) as info:
                call(target)
            log.append(str(info.value))
        return log

    log = both(scenario)
    assert log[-5:] == ["Sequential has no attribute `2`", "`weight` is not an nn.Module",
                        "`running_var` is not an nn.Parameter", "`weight` is not a buffer",
                        "Conv2d has no attribute `nope`"]


def test_backward_hooks_keep_a_namedtuple_output_and_stay_out_of_a_partial_grad() -> None:
    """A module returning a namedtuple still does with a full backward hook (torch rebuilds
    it), and autograd.grad up to its output never reaches the module's hook."""
    from collections import namedtuple

    pair = namedtuple("pair", "a b")

    class Two(nn.Module):
        def forward(self, x: mg.Tensor) -> tuple:
            return pair(x * 2, x * 3)

    calls: list[int] = []
    m = Two()
    m.register_full_backward_hook(lambda mod, gi, go: calls.append(len(gi)))
    out = m(mg.randn(2, requires_grad=True))
    assert type(out) is pair and out.b.shape == (2,)
    mg.autograd.grad(out.a.sum(), [out.a], retain_graph=True)
    assert calls == []
    (out.a.sum() + out.b.sum()).backward()
    assert calls == [1]


def test_a_global_always_called_hook_with_kwargs_gets_them_when_forward_fails() -> None:
    """As torch: a global forward hook registered with_kwargs and always_call is called as
    hook(module, args, kwargs, output) on the way out of a failing forward too."""
    from minigrad.nn.module import register_module_forward_hook

    class Fails(nn.Module):
        def forward(self, x: mg.Tensor, *, scale: float = 1.0) -> mg.Tensor:
            raise ValueError("broken forward")

    seen: list[tuple] = []
    handle = register_module_forward_hook(
        lambda m, args, kwargs, out: seen.append((type(m).__name__, kwargs)),
        with_kwargs=True, always_call=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a hook called wrongly would warn instead
            with pytest.raises(ValueError, match="broken forward"):
                Fails()(mg.ones(2), scale=2.0)
    finally:
        handle.remove()
    assert seen == [("Fails", {"scale": 2.0})]
