"""The lines today's PyTorch tutorials start with, and graph walking as torch's: the device
line (``torch.accelerator``, ``backends.cudnn``/``mps``), ``load(..., weights_only=True)``,
and ``grad_fn.next_functions`` / ``name()`` / ``metadata``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad.surface.serialization import CheckpointError

# ---- the device line ----------------------------------------------------------------------


def test_the_quickstart_device_line_picks_the_gpu_exactly_when_there_is_one() -> None:
    device = (mg.accelerator.current_accelerator().type if mg.accelerator.is_available()
              else "cpu")
    assert device == ("cuda" if mg.cuda.is_available() else "cpu")
    assert mg.accelerator.device_count() == mg.cuda.device_count()
    assert mg.zeros(2, device=device).device.type == device
    if not mg.accelerator.is_available():
        assert mg.accelerator.current_accelerator() is None
        with pytest.raises(RuntimeError, match="none is available"):
            mg.accelerator.current_device_index()


def test_the_accelerator_api_is_torchs() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    for name in ("is_available", "current_accelerator", "device_count",
                 "current_device_index", "set_device_index", "synchronize"):
        assert callable(getattr(mg.accelerator, name)), name
        assert hasattr(torch.accelerator, name), name
    assert mg.accelerator.is_available() == torch.accelerator.is_available() or \
        mg.cuda.is_available() != torch.cuda.is_available()


def test_cudnn_and_mps_switches_are_kept_and_answered() -> None:
    was = mg.backends.cudnn.benchmark
    try:
        mg.backends.cudnn.benchmark = True
        mg.backends.cudnn.deterministic = True
        assert mg.backends.cudnn.benchmark is True and mg.backends.cudnn.deterministic is True
    finally:
        mg.backends.cudnn.benchmark, mg.backends.cudnn.deterministic = was, False
    assert mg.backends.cudnn.is_available() is False and mg.backends.cudnn.version() is None
    assert mg.backends.mps.is_available() is False and mg.backends.mps.is_built() is False
    device = "mps" if mg.backends.mps.is_available() else "cpu"  # the tutorials' fallback
    assert mg.ones(1, device=device).device.type == "cpu"


def test_cudnn_has_the_flags_torch_scripts_set() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32", "benchmark_limit"):
        assert getattr(mg.backends.cudnn, name) == getattr(torch.backends.cudnn, name) or \
            name == "benchmark_limit", name


# ---- loading as today's tutorials do -------------------------------------------------------


def test_load_takes_torchs_arguments(tmp_path: Path) -> None:
    model = mg.nn.Linear(3, 2)
    path = tmp_path / "model.pth"
    mg.save(model.state_dict(), path)
    for kwargs in ({"weights_only": True}, {"weights_only": False}, {"weights_only": None},
                   {"map_location": "cpu", "weights_only": True},
                   {"map_location": mg.device("cpu")}, {"map_location": {"cuda:0": "cpu"}},
                   {"map_location": lambda storage, loc: storage}):
        again = mg.nn.Linear(3, 2)
        again.load_state_dict(mg.load(path, **kwargs))
        np.testing.assert_array_equal(again.weight.detach().numpy(),
                                      model.weight.detach().numpy())
    moved = mg.load(path, map_location=lambda storage, loc: storage * 2)
    np.testing.assert_allclose(moved["bias"].numpy(), 2 * model.bias.detach().numpy())


def test_load_refuses_what_it_cannot_honour(tmp_path: Path) -> None:
    path = tmp_path / "m.pth"
    mg.save({"a": mg.ones(2)}, path)
    import pickle
    with pytest.raises(TypeError, match="never unpickles"):
        mg.load(path, pickle_module=pickle)
    with pytest.raises(TypeError, match="weights_only"):
        mg.load(path, weights_only="yes")
    with pytest.raises(ValueError, match="mmap"):
        mg.load(path, mmap=True)
    with pytest.raises(TypeError, match="not a tensor"):
        mg.load(path, map_location=lambda storage, loc: 1)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this system")
def test_load_refuses_a_path_that_is_not_a_regular_file(tmp_path: Path) -> None:
    """/dev/zero would be read until memory runs out; a directory is torch's
    IsADirectoryError."""
    with pytest.raises(CheckpointError, match="not a regular file"):
        mg.load("/dev/zero")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        mg.load(tmp_path)


# ---- graph walking ------------------------------------------------------------------------


def _names(fn: object) -> list[str]:
    """Every node reachable from ``fn`` through next_functions, by name (a multiset)."""
    seen, names, stack = set(), [], [fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.append(node.name())
        stack += [n for n, _ in node.next_functions]
    return sorted(names)


GRAPHS = {  # programs whose graphs torch and minigrad build node for node
    "readme": lambda lib, x, w: (((x @ w).sigmoid() - 1.0) ** 2).mean(),
    "mm": lambda lib, x, w: (x @ x).relu().sum(),
    "dot": lambda lib, x, w: w @ w,
    "sum over a dim": lambda lib, x, w: x.sum(dim=1).sum(),
    "mean over a dim": lambda lib, x, w: x.mean(0).exp().sum(),
    "max": lambda lib, x, w: x.max() * x.tanh().log().sum(),
    "view": lambda lib, x, w: x.view(4).sum() + x.reshape(4).sum(),
    "arithmetic": lambda lib, x, w: (x / 2 + x / x - 2 * x + (-x).abs().sqrt()).sum(),
    "cat": lambda lib, x, w: lib.cat([x, x * 2]).sum(),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_next_functions_walk_the_same_graph_as_torchs(name: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    x, w = np.array([[1.0, 2.0], [3.0, 0.5]]), np.array([0.5, -1.0])
    graphs = []
    for lib in (torch, mg):
        a, b = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        graphs.append(_names(GRAPHS[name](lib, a, b).grad_fn))
    assert graphs[1] == graphs[0]


def test_next_functions_are_pairs_with_leaves_as_accumulate_grad() -> None:
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    c = mg.tensor([3.0, 4.0])  # requires no grad: no edge
    y = x * c
    (node, index), (none, zero) = y.grad_fn.next_functions
    assert type(node).__name__ == "AccumulateGrad" and node.variable is x and index == 0
    assert none is None and zero == 0
    assert node.next_functions == () and node.name() == "torch::autograd::AccumulateGrad"
    assert (x * 2).grad_fn.next_functions[0][0] is node  # one accumulator per leaf, as torch
    z = (y + 1).sum()
    assert z.grad_fn.next_functions[0][0].next_functions[0][0] is y.grad_fn


def test_metadata_is_the_nodes_own_and_outlives_backward() -> None:
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.grad_fn.metadata["step"] = 3
    assert y.grad_fn.metadata == {"step": 3}
    assert (x * 2).grad_fn.metadata == {}
    y.backward()
    assert y.grad_fn.metadata == {"step": 3}
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        y.grad_fn.nope  # noqa: B018


@pytest.mark.parametrize("shapes,name", [(((3,), (3,)), "DotBackward0"),
                                         (((2, 3), (3,)), "MvBackward0"),
                                         (((2, 3), (3, 4)), "MmBackward0")])
def test_a_product_is_named_as_torch_names_it(shapes: tuple, name: str) -> None:
    a, b = (mg.ones(*s, requires_grad=True) for s in shapes)
    assert (a @ b).grad_fn.name() == name
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    ta, tb = (torch.ones(*s, requires_grad=True) for s in shapes)
    assert (ta @ tb).grad_fn.name() == name


# ---- what torch refuses ----------------------------------------------------------------------
F = mg.nn.functional
REFUSED = {  # name: (minigrad's call, torch's call given torch, the exception type, a match)
    "conv2d float64 bias": (
        lambda: F.conv2d(mg.randn(1, 1, 4, 4), mg.randn(1, 1, 3, 3),
                         mg.randn(1, dtype=mg.float64)),
        lambda t: t.nn.functional.conv2d(t.randn(1, 1, 4, 4), t.randn(1, 1, 3, 3),
                                         t.randn(1, dtype=t.float64)),
        RuntimeError, r"Input type \(float32\) and bias type \(float64\)"),
    "batch_norm float64 statistics": (
        lambda: F.batch_norm(mg.randn(2, 3), mg.zeros(3, dtype=mg.float64),
                             mg.ones(3, dtype=mg.float64)),
        lambda t: t.nn.functional.batch_norm(t.randn(2, 3), t.zeros(3, dtype=t.float64),
                                             t.ones(3, dtype=t.float64)),
        RuntimeError, "mixed dtype"),
    "batch_norm float64 weight": (
        lambda: F.batch_norm(mg.randn(2, 3), None, None, mg.ones(3, dtype=mg.float64),
                             training=True),
        lambda t: t.nn.functional.batch_norm(t.randn(2, 3), None, None,
                                             t.ones(3, dtype=t.float64), training=True),
        RuntimeError, "mixed dtype"),
    "batch_norm 2-D statistics": (
        lambda: F.batch_norm(mg.randn(2, 3), mg.zeros(1, 3), mg.ones(1, 3)),
        lambda t: t.nn.functional.batch_norm(t.randn(2, 3), t.zeros(1, 3), t.ones(1, 3)),
        RuntimeError, r"running_mean should be 1-D with 3 elements, got shape \(1, 3\)"),
    "BatchNorm2d momentum a string": (
        lambda: mg.nn.BatchNorm2d(3, momentum="x")(mg.randn(2, 3, 2, 2)),
        lambda t: t.nn.BatchNorm2d(3, momentum="x")(t.randn(2, 3, 2, 2)),
        TypeError, "argument 'momentum' .* must be float, not str"),
    "tensor with a string dtype": (
        lambda: mg.tensor([1.0], dtype="float32"), lambda t: t.tensor([1.0], dtype="float32"),
        TypeError, "must be minigrad.dtype, not str"),
    "DataLoader drop_last a string": (
        lambda: mg.utils.data.DataLoader([1, 2, 3], drop_last="yes"),
        lambda t: t.utils.data.DataLoader([1, 2, 3], drop_last="yes"),
        ValueError, "drop_last should be a boolean value"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_what_torch_refuses_is_refused_with_its_exception_type(name: str) -> None:
    ours, theirs, kind, match = REFUSED[name]
    with pytest.raises(kind, match=match):
        ours()
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    with pytest.raises(kind):
        theirs(torch)


# ---- names course code calls: nn.utils, DataParallel, legacy types, distributions, ... -----


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0])
@pytest.mark.parametrize("max_norm", [0.1, 100.0])
def test_clip_grad_norm_as_torchs(norm_type: float, max_norm: float) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (4,), (2, 2, 2))]
    ours = [mg.zeros(*g.shape, requires_grad=True) for g in grads]
    theirs = [torch.zeros(*g.shape, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = mg.tensor(g), torch.tensor(g)
    total = mg.nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-5)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-7)
    mg.nn.utils.clip_grad_value_(ours, 0.01)
    torch.nn.utils.clip_grad_value_(theirs, 0.01)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)


def test_clip_grad_norm_refuses_a_non_finite_norm_when_asked() -> None:
    p = mg.zeros(2, requires_grad=True)
    p.grad = mg.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        mg.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert mg.nn.utils.clip_grad_norm_([mg.zeros(2, requires_grad=True)], 1.0).item() == 0.0


def test_parameters_as_one_vector_and_back() -> None:
    m = mg.nn.Linear(3, 2)
    vec = mg.nn.utils.parameters_to_vector(m.parameters())
    assert vec.shape == (8,)
    np.testing.assert_array_equal(vec[:6].detach().numpy(), m.weight.detach().numpy().ravel())
    mg.nn.utils.vector_to_parameters(mg.arange(8.0), m.parameters())
    np.testing.assert_array_equal(m.bias.detach().numpy(), [6.0, 7.0])


def test_data_parallel_on_one_device_is_the_module_with_torchs_keys() -> None:
    net = mg.nn.Sequential(mg.nn.Linear(3, 2))
    wrapped = mg.nn.DataParallel(net, device_ids=[0])
    x = mg.randn(4, 3)
    np.testing.assert_array_equal(wrapped(x).detach().numpy(), net(x).detach().numpy())
    assert list(wrapped.state_dict()) == ["module.0.weight", "module.0.bias"]
    assert wrapped.module is net
    with pytest.raises(RuntimeError, match="one device"):
        mg.nn.DataParallel(net, device_ids=[0, 1])
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    assert list(torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(3, 2))
                                      ).state_dict()) == list(wrapped.state_dict())


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor",
                                  "BoolTensor", "ByteTensor", "HalfTensor"])
def test_legacy_tensor_types_make_torchs_dtypes(name: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    ours, theirs = getattr(mg, name)([1, 0, 2]), getattr(torch, name)([1, 0, 2])
    assert ours.dtype.name == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert getattr(mg, name)(2, 3).shape == (2, 3)
    with pytest.raises(TypeError, match="expected data or sizes"):
        getattr(mg, name)(2, "3")


def test_multinomial_rolls_dice_as_d2ls_probability_chapter() -> None:
    from minigrad.distributions import Categorical, Multinomial
    mg.manual_seed(0)
    fair_probs = mg.ones(6) / 6
    one = Multinomial(1, fair_probs).sample()
    assert one.shape == (6,) and one.sum().item() == 1 and one.dtype == mg.float32
    counts = Multinomial(10, fair_probs).sample((1000,))
    assert counts.shape == (1000, 6) and bool((counts.sum(1) == 10).all())
    freq = counts.sum(0) / 10000  # each face 1/6, within 5 standard deviations
    assert np.all(np.abs(freq.numpy() - 1 / 6) < 5 * np.sqrt(1 / 6 * 5 / 6 / 10000))
    draws = Categorical(mg.tensor([0.0, 0.25, 0.75])).sample((4000,))
    assert set(np.unique(draws.numpy())) <= {1, 2}
    assert abs(draws.float().mean().item() - 1.75) < 0.05
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    value = [2.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(
        Multinomial(3, fair_probs).log_prob(mg.tensor(value)).item(),
        torch.distributions.Multinomial(3, torch.ones(6) / 6).log_prob(
            torch.tensor(value)).item(), rtol=1e-5)


def test_jacobian_and_vjp_as_torchs() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    import minigrad.autograd.functional as mgf
    x = np.random.default_rng(1).random((3, 2))

    def f(a: Any, b: Any) -> Any:
        return (a * b).sum(0), (a ** 2).exp()

    ours = mgf.jacobian(f, (mg.tensor(x), mg.tensor(x + 1)))
    theirs = torch.autograd.functional.jacobian(f, (torch.tensor(x), torch.tensor(x + 1)))
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(ours[i][j].numpy(), theirs[i][j].numpy(), rtol=1e-10)
    single = mgf.jacobian(lambda a: a.sin(), mg.tensor(x))
    assert single.shape == (3, 2, 3, 2)
    _, ours_v = mgf.vjp(lambda a: a.sin().sum(), mg.tensor(x))
    _, theirs_v = torch.autograd.functional.vjp(lambda a: a.sin().sum(), torch.tensor(x))
    np.testing.assert_allclose(ours_v.numpy(), theirs_v.numpy(), rtol=1e-12)
    assert mg.autograd.functional is mgf


# ---- in-place and random surface the tutorials call ------------------------------------------
INPLACE = {  # name: fn(lib, x) on a (3, 4) float tensor x, in place
    "scatter_": lambda lib, x: x.scatter_(1, lib.tensor([[0], [2], [3]]),
                                          lib.ones(3, 1, dtype=lib.float64) * 5),
    "scatter_ value": lambda lib, x: x.scatter_(0, lib.tensor([[2, 0, 1, 2]]), value=-1.0),
    "scatter_add_": lambda lib, x: x.scatter_add_(1, lib.tensor([[0, 0], [1, 3], [2, 2]]),
                                                  lib.ones(3, 2, dtype=lib.float64)),
    "index_add_": lambda lib, x: x.index_add_(0, lib.tensor([2, 0, 2]),
                                              lib.ones(3, 4, dtype=lib.float64), alpha=3),
    "index_fill_": lambda lib, x: x.index_fill_(1, lib.tensor([1, 3]), 7.0),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_in_place_indexing_as_torchs_with_gradients(name: str) -> None:
    """The values, a version bump, and the gradient to a tensor the written one came from."""
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    start = np.arange(12.0).reshape(3, 4) / 7
    results = []
    for lib in (mg, torch):
        leaf = lib.tensor(start, requires_grad=True)
        x = leaf * 1.0
        version = x._version
        out = INPLACE[name](lib, x)
        assert out is x and x._version > version
        (x * lib.tensor(start + 1)).sum().backward()
        results.append((x.detach().numpy(), leaf.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_random_fills_in_range_and_squeeze_in_place() -> None:
    mg.manual_seed(0)
    ints = mg.zeros(1000, dtype=mg.int64).random_(3, 7)
    assert set(np.unique(ints.numpy())) == {3, 4, 5, 6}
    assert set(np.unique(mg.zeros(500).random_(2).numpy())) == {0.0, 1.0}
    big = mg.zeros(1000).random_()
    assert big.numpy().min() >= 0 and big.numpy().max() <= 2 ** 24
    assert np.all(big.numpy() == np.round(big.numpy()))
    with pytest.raises(RuntimeError, match="from=5 >= to=5"):
        mg.zeros(2).random_(5, 5)
    x = mg.zeros(1, 3, 1)
    assert x.squeeze_() is x and x.shape == (3,)
    assert x.unsqueeze_(1).shape == (3, 1)
    with pytest.raises(RuntimeError, match="requires no grad"):
        mg.zeros(1, 2, requires_grad=True).squeeze_()


def test_normal_takes_torchs_four_forms() -> None:
    mg.manual_seed(0)
    w = mg.normal(0, 0.01, size=(200, 50))  # d2l's weight init
    assert w.shape == (200, 50) and abs(w.std().item() - 0.01) < 0.001
    assert abs(w.mean().item()) < 0.001
    assert mg.normal(mg.zeros(3), 2.0).shape == (3,)
    assert mg.normal(1.0, mg.ones(2, 1)).shape == (2, 1)
    sample = mg.normal(mg.full((4000,), 3.0), mg.full((4000,), 0.5))
    assert abs(sample.mean().item() - 3) < 0.05 and abs(sample.std().item() - 0.5) < 0.05
    assert mg.normal(0.0, 1.0, size=()).shape == ()
    with pytest.raises(RuntimeError, match="std >= 0"):
        mg.normal(0.0, -1.0, size=(2,))


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge", "logical_and",
                                  "logical_or", "logical_xor"])
def test_comparisons_and_logic_as_functions(name: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    a, b = np.array([0.0, 1.0, 2.0, -1.0]), np.array([0.0, 2.0, 2.0, 0.0])
    ours = getattr(mg, name)(mg.tensor(a), mg.tensor(b))
    theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    assert ours.dtype == mg.bool
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(mg.logical_not(mg.tensor(a)).numpy(),
                                  torch.logical_not(torch.tensor(a)).numpy())


@pytest.mark.parametrize("name,args", [("matmul", ((2, 3), (3, 2))), ("add", ((2, 2), (2, 2))),
                                       ("mul", ((2, 2), (2,))), ("sub", ((3,), (3,))),
                                       ("div", ((2, 2), (2, 2))), ("exp", ((2, 3),)),
                                       ("neg", ((2, 3),))])
def test_out_writes_into_the_given_tensor_as_torchs(name: str, args: tuple) -> None:
    """tensorqs_tutorial writes torch.matmul(a, b, out=y): same values, the same object."""
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    arrays = [np.arange(np.prod(s), dtype=np.float32).reshape(s) + 1 for s in args]
    results = []
    for lib in (mg, torch):
        expected = getattr(lib, name)(*[lib.tensor(a) for a in arrays])
        out = lib.empty(tuple(expected.shape))
        got = getattr(lib, name)(*[lib.tensor(a) for a in arrays], out=out)
        assert got is out
        results.append(out.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        mg.matmul(mg.ones(2, 2, requires_grad=True), mg.ones(2, 2), out=mg.empty(2, 2))
    resized = mg.empty(5)
    assert mg.add(mg.ones(2, 2), 1, out=resized).shape == (2, 2)  # resized, as torch's


def test_saving_a_whole_model_says_to_save_its_state_dict(tmp_path: Path) -> None:
    """saveloadrun_tutorial's torch.save(model, ...) would need pickle: refused, with the
    way that works."""
    with pytest.raises(TypeError, match=r"save model.state_dict\(\)"):
        mg.save(mg.nn.Linear(2, 2), tmp_path / "model.pth")
    assert not (tmp_path / "model.pth").exists()
