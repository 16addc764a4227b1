"""minigrad.nn's module system and layers, against torch.nn where PyTorch is importable.

Models are built by one function from the ``nn`` namespace of either library, so the same
code runs on both: a test of the claim that torch.nn code runs after changing the import.
"""

from __future__ import annotations

import copy
import math
import os
import subprocess
import sys
import textwrap
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from demos.lenet import lenet
from demos.lenet import lenet_bn as bn_lenet
from minigrad.testing import assert_close, gradcheck


class Small:
    """A model written as a Module subclass, as a course would (attributes, forward)."""

    @staticmethod
    def build(nn: Any) -> Any:
        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())
                self.bn = nn.BatchNorm2d(4)
                self.heads = nn.ModuleList([nn.Linear(4, 2), nn.Linear(4, 2)])
                self.register_buffer("scale", mg_or_torch(nn).ones(1) * 2)
                self.register_buffer("cache", mg_or_torch(nn).zeros(1), persistent=False)

            def forward(self, x: Any) -> Any:
                h = self.bn(self.features(x)).mean(dim=(2, 3))
                return self.heads[0](h) * self.scale + self.heads[1](h)

        return Net()


def mg_or_torch(nn_module: Any) -> Any:
    return mg if nn_module is nn else sys.modules["torch"]


def copy_weights(dst: Any, src: Any) -> None:
    """Load ``src``'s state_dict into ``dst`` through NumPy (works both ways)."""
    dst.load_state_dict({k: np.array(v.detach().cpu().numpy()) for k, v in
                         src.state_dict().items()})


# ---- registration, order, names ------------------------------------------------------------
def test_parameters_buffers_and_children_in_registration_order() -> None:
    model = Small.build(nn)
    assert [n for n, _ in model.named_parameters()] == [
        "features.0.weight", "features.0.bias", "bn.weight", "bn.bias", "heads.0.weight",
        "heads.0.bias", "heads.1.weight", "heads.1.bias"]
    assert [n for n, _ in model.named_buffers()] == [
        "scale", "cache", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert [n for n, _ in model.named_children()] == ["features", "bn", "heads"]
    assert [n for n, _ in model.named_modules()] == [
        "", "features", "features.0", "features.1", "bn", "heads", "heads.0", "heads.1"]
    assert list(model.state_dict()) == [
        "scale", "features.0.weight", "features.0.bias", "bn.weight", "bn.bias",
        "bn.running_mean", "bn.running_var", "bn.num_batches_tracked", "heads.0.weight",
        "heads.0.bias", "heads.1.weight", "heads.1.bias"]  # no "cache": not persistent
    assert len(list(model.parameters())) == 8 and len(list(model.modules())) == 8


def test_names_and_keys_match_torch() -> None:
    torch = pytest.importorskip("torch", reason="torch.nn is the reference for names")
    for build in (lenet, bn_lenet, Small.build):
        ours, theirs = build(nn), build(torch.nn)
        assert [n for n, _ in ours.named_parameters()] == [
            n for n, _ in theirs.named_parameters()]
        assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
        shapes = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
        assert shapes == {k: tuple(v.shape) for k, v in theirs.state_dict().items()}


def test_repr_matches_torch() -> None:
    torch = pytest.importorskip("torch", reason="torch.nn is the reference for reprs")

    def zoo(nn: Any) -> Any:
        return nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(2, 4, (3, 1), stride=2, padding=1, dilation=(1, 2), groups=2,
                               bias=False, padding_mode="circular")),
            ("same", nn.Conv2d(2, 2, 4, padding="same")),
            ("up", nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1)),
            ("bn", nn.BatchNorm2d(2, momentum=None, affine=False)),
            ("bn1", nn.BatchNorm1d(3, track_running_stats=False)),
            ("mp", nn.MaxPool2d(3, 1, 1, ceil_mode=True)), ("ap", nn.AvgPool2d((2, 1))),
            ("aap", nn.AdaptiveAvgPool2d(1)), ("flat", nn.Flatten(0)),
            ("unflat", nn.Unflatten(1, (2, 2))), ("lin", nn.Linear(4, 3)),
            ("acts", nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh(), nn.LeakyReLU(0.2)])),
            ("soft", nn.ModuleDict({"a": nn.Softmax(dim=1), "b": nn.LogSoftmax(dim=0)})),
            ("drop", nn.Dropout(0.2)), ("id", nn.Identity()), ("ce", nn.CrossEntropyLoss()),
            ("bce", nn.BCEWithLogitsLoss()), ("mse", nn.MSELoss()), ("nll", nn.NLLLoss()),
        ]))

    assert repr(zoo(nn)) == repr(zoo(torch.nn))
    assert repr(new_zoo(nn)) == repr(new_zoo(torch.nn))
    assert repr(lenet(nn)) == repr(lenet(torch.nn))
    assert repr(nn.Parameter(mg.ones(2))) == repr(torch.nn.Parameter(torch.ones(2)))


def test_parameter_order_is_the_same_in_every_process() -> None:
    script = textwrap.dedent("""
        import minigrad.nn as nn
        from demos.lenet import lenet_bn as bn_lenet
        from tests.test_nn_modules import Small
        print([n for n, _ in Small.build(nn).named_parameters()],
              list(bn_lenet(nn).state_dict()))
    """)
    outs = set()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for seed in ("0", "7", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=root)
        outs.add(subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=root,
                                capture_output=True, text=True).stdout)
    assert len(outs) == 1


def test_setattr_routing_and_errors() -> None:
    lin = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        lin.weight = mg.ones(3, 2)
    with pytest.raises(KeyError, match="contain"):
        lin.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        lin.register_buffer("weight", None)
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'foo'"):
        _ = lin.foo
    lin.weight = nn.Parameter(mg.zeros(3, 2))  # replacing a parameter keeps its place
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    lin.bias = None
    assert [n for n, _ in lin.named_parameters()] == ["weight"] and lin.bias is None
    lin.extra = nn.ReLU()
    assert list(dict(lin.named_children())) == ["extra"]
    del lin.extra
    assert list(lin.children()) == []


def test_weight_data_assignment_as_in_pytorch() -> None:
    lin = nn.Linear(2, 2)
    param = lin.weight
    lin.weight.data = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert lin.weight is param and lin.weight.requires_grad
    out = lin(mg.tensor([[1.0, 1.0]]))
    assert_close(out - lin.bias, mg.tensor([[3.0, 7.0]]))


def test_shared_parameters_are_listed_once() -> None:
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


# ---- modes, conversions, gradients ------------------------------------------------------------
def test_train_eval_zero_grad_apply_requires_grad() -> None:
    model = bn_lenet(nn)
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model and not any(m.training for m in model.modules())
    model.train()
    model(mg.randn(4, 1, 28, 28)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all((p.grad == 0).all().item() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Sequential" and seen[0] == "Conv2d"
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_to_dtype_and_device_keep_parameter_identity() -> None:
    model = bn_lenet(nn)
    params = list(model.parameters())
    model.double()
    assert all(a is b for a, b in zip(params, model.parameters()))
    assert all(p.dtype is mg.float64 for p in model.parameters())
    assert model[1].num_batches_tracked.dtype is mg.int64  # integer buffers keep their dtype
    assert model[1].running_mean.dtype is mg.float64
    model.to("strict")
    assert all(p.device == "strict:0" for p in model.parameters())
    assert all(b.device == "strict:0" for b in model.buffers())
    out = model.float()(mg.randn(2, 1, 28, 28, device="strict"))
    assert out.device == "strict:0" and out.dtype is mg.float32
    model.cpu()
    assert all(p.device == "cpu" for p in model.parameters())
    with pytest.raises(TypeError, match="floating point"):
        model.to(mg.int64)


# ---- state_dict ------------------------------------------------------------------------------
def test_state_dict_round_trip_and_numpy_values() -> None:
    a, b = bn_lenet(nn), bn_lenet(nn)
    a.train()
    a(mg.randn(8, 1, 28, 28))  # move the running statistics
    result = b.load_state_dict({k: v.numpy() for k, v in a.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        assert_close(va, vb, msg=k)
    a.eval()
    b.eval()
    x = mg.randn(3, 1, 28, 28)
    assert_close(a(x), b(x))


def test_load_state_dict_errors_name_keys_and_shapes() -> None:
    model = nn.Sequential(nn.Linear(3, 4))
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict({"0.weight": mg.ones(4, 2), "0.bias": mg.ones(4),
                               "x": mg.ones(1)})
    text = str(info.value)
    assert 'Unexpected key(s) in state_dict: "x"' in text
    assert "size mismatch for 0.weight: copying a param with shape (4, 2) from checkpoint, " \
           "the shape in current model is (4, 3)" in text
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "0.bias"'):
        model.load_state_dict({"0.weight": mg.ones(4, 3)})
    keys = model.load_state_dict({"0.weight": mg.ones(4, 3), "x": mg.ones(1)}, strict=False)
    assert keys.missing_keys == ["0.bias"] and keys.unexpected_keys == ["x"]
    assert (model[0].weight == 1).all().item()


def test_load_state_dict_from_torch_gives_the_same_outputs() -> None:
    torch = pytest.importorskip("torch", reason="loads a torch.nn model's weights")
    theirs = bn_lenet(torch.nn).eval()
    ours = bn_lenet(nn).eval()
    copy_weights(ours, theirs)
    x = np.random.default_rng(0).standard_normal((5, 1, 28, 28)).astype(np.float32)
    assert_close(ours(mg.tensor(x)), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-4,
                 atol=1e-5)


# ---- containers ------------------------------------------------------------------------------
def test_sequential_indexing_slicing_len_iteration_append() -> None:
    model = lenet(nn)
    assert len(model) == 12 and isinstance(model[0], nn.Conv2d) and model[-1] is model[11]
    head = model[:3]
    assert isinstance(head, nn.Sequential) and len(head) == 3 and head[0] is model[0]
    assert list(model[7:].state_dict())[0] == "7.weight"  # slices keep the names
    assert [type(m).__name__ for m in model][:2] == ["Conv2d", "Sigmoid"]
    model.append(nn.Softmax(dim=1))
    assert len(model) == 13
    assert_close(model(mg.randn(2, 1, 28, 28)).sum(dim=1), mg.ones(2))
    del model[12]
    assert len(model) == 12
    model[11] = nn.Linear(84, 3)
    assert model(mg.randn(2, 1, 28, 28)).shape == (2, 3)
    with pytest.raises(IndexError):
        model[12]


def test_module_list_and_dict() -> None:
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers.insert(0, nn.Tanh())
    assert [type(m).__name__ for m in layers] == ["Tanh", "Linear", "Linear", "Linear", "ReLU"]
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    d = nn.ModuleDict({"a": nn.Linear(2, 2)})
    d["b"] = nn.ReLU()
    assert list(d) == ["a", "b"] and "a" in d and len(d) == 2
    assert [n for n, _ in d.named_parameters()] == ["a.weight", "a.bias"]
    assert isinstance(d.pop("b"), nn.ReLU) and list(d.keys()) == ["a"]
    assert nn.Identity(3, foo=1)(x := mg.ones(2)) is x


# ---- initialization --------------------------------------------------------------------------
def test_default_init_follows_pytorch_bounds() -> None:
    mg.manual_seed(0)
    for layer, fan_in in ((nn.Linear(400, 120), 400), (nn.Conv2d(6, 16, 5), 150),
                          (nn.Conv2d(8, 16, 3, groups=4), 18),
                          (nn.ConvTranspose2d(4, 6, 3, groups=2), 27)):
        bound = 1 / math.sqrt(fan_in)  # kaiming-uniform with a = sqrt(5)
        w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
        assert np.abs(b).max() <= bound
        assert abs(w.std() - bound / math.sqrt(3)) < 0.15 * bound
    bn = nn.BatchNorm2d(3)
    assert bn.weight.tolist() == [1.0] * 3 and bn.bias.tolist() == [0.0] * 3


def test_init_functions_and_gains_match_torch() -> None:
    torch = pytest.importorskip("torch", reason="compares gains and fans with torch.nn.init")
    for args in (("linear",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
                 ("leaky_relu", 0.2), ("selu",), ("conv2d",)):
        assert nn.init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))
    for shape in ((30, 20), (16, 6, 5, 5), (6, 3, 3, 2)):
        ours = nn.init._calculate_fan_in_and_fan_out(mg.empty(*shape))
        assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    mg.manual_seed(1)
    w = mg.empty(200, 300)
    bound = math.sqrt(6 / 500)
    assert np.abs(nn.init.xavier_uniform_(w).numpy()).max() <= bound
    assert nn.init.xavier_normal_(w).numpy().std() == pytest.approx(math.sqrt(2 / 500), rel=0.05)
    assert nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu").numpy().std() == \
        pytest.approx(math.sqrt(2 / 200), rel=0.05)
    assert np.abs(nn.init.kaiming_uniform_(w).numpy()).max() <= math.sqrt(6 / 300)
    assert nn.init.constant_(w, 0.5).numpy().min() == 0.5
    assert nn.init.normal_(w, 2.0, 0.1).numpy().mean() == pytest.approx(2.0, abs=0.01)
    assert nn.init.zeros_(w).numpy().max() == 0 and nn.init.ones_(w).numpy().min() == 1
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.kaiming_uniform_(mg.empty(3))
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        nn.init.calculate_gain("swish")


def test_same_seed_same_weights_on_every_backend() -> None:
    mg.manual_seed(5)
    a = lenet(nn)
    mg.manual_seed(5)
    b = lenet(nn).to("strict")
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        assert va.tolist() == vb.tolist(), k


# ---- BatchNorm ---------------------------------------------------------------------------------
def test_batch_norm_running_statistics() -> None:
    mg.manual_seed(0)
    bn = nn.BatchNorm2d(3, momentum=0.3)
    x = mg.randn(4, 3, 5, 5) * 2 + 1
    bn(x)
    axes = (0, 2, 3)
    mean = x.mean(dim=axes)
    unbiased = x.var(dim=axes)  # the running estimate uses the unbiased variance
    assert_close(bn.running_mean, 0.3 * mean)
    assert_close(bn.running_var, 0.7 + 0.3 * unbiased)
    assert bn.num_batches_tracked.item() == 1
    cumulative = nn.BatchNorm1d(2, momentum=None)  # a plain average over the batches seen
    batches = [mg.randn(5, 2) + i for i in range(3)]
    for b in batches:
        cumulative(b)
    assert_close(cumulative.running_mean, mg.stack([b.mean(dim=0) for b in batches]).mean(0),
                 rtol=1e-5, atol=1e-6)
    assert cumulative.num_batches_tracked.item() == 3
    bn.eval()
    y = bn(x)
    expected = (x - bn.running_mean.reshape(1, 3, 1, 1)) / (
        bn.running_var.reshape(1, 3, 1, 1) + bn.eps).sqrt()
    assert_close(y, expected)


def test_batch_norm_without_running_stats_or_affine() -> None:
    bn = nn.BatchNorm2d(2, affine=False, track_running_stats=False).eval()
    assert bn.weight is None and bn.running_mean is None and list(bn.parameters()) == []
    x = mg.randn(3, 2, 4, 4)
    y = bn(x)  # no running statistics: batch statistics even in eval
    assert_close(y.mean(dim=(0, 2, 3)), mg.zeros(2), atol=1e-6, rtol=0)


def test_batch_norm_backward_in_eval_mode(cpu_backend: str) -> None:
    bn = nn.BatchNorm2d(3).double().to(cpu_backend)
    bn.train()
    bn(mg.randn(4, 3, 2, 2, dtype=mg.float64, device=cpu_backend) * 3)  # non-trivial stats
    bn.eval()
    x = mg.randn(2, 3, 2, 2, dtype=mg.float64, device=cpu_backend, requires_grad=True)
    assert gradcheck(lambda t: bn(t), (x,))
    assert gradcheck(lambda w, b: F.batch_norm(x.detach(), bn.running_mean, bn.running_var,
                                               w, b), (bn.weight, bn.bias))
    bn.train()
    assert gradcheck(lambda t: bn(t), (x,), fast_mode=True)


def test_module_errors() -> None:
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(4, 6, 3, groups=3)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=3)
    with pytest.raises(ValueError, match="Invalid padding string 'foo'"):
        nn.Conv2d(3, 6, 3, padding="foo")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 6, 3, padding_mode="foo")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(3, 6, 3, padding="same", stride=2)
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose2d(3, 6, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="expected 4D input \\(got 3D input\\)"):
        nn.BatchNorm2d(3)(mg.randn(3, 8, 8))
    with pytest.raises(ValueError, match="expected 2D or 3D input \\(got 4D input\\)"):
        nn.BatchNorm1d(3)(mg.randn(2, 3, 4, 5))
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


# ---- the layers, activations and losses added for "PyTorch code runs unchanged" ----------------
def new_zoo(nn: Any) -> Any:
    """One of each new module, with non-default settings where they show in the repr."""
    return nn.Sequential(OrderedDict([
        ("c1", nn.Conv1d(2, 4, 3)),
        ("c1b", nn.Conv1d(2, 4, (3,), stride=2, padding=1, dilation=2, groups=2, bias=False,
                          padding_mode="reflect")),
        ("c1s", nn.Conv1d(2, 2, 4, padding="same")),
        ("mp1", nn.MaxPool1d(3)), ("mp1b", nn.MaxPool1d(3, 2, 1, ceil_mode=True)),
        ("ap1", nn.AvgPool1d(3)), ("ap1b", nn.AvgPool1d(4, 2, 1, True, False)),
        ("amp", nn.AdaptiveMaxPool2d((2, None))), ("amp2", nn.AdaptiveMaxPool2d(3, True)),
        ("zp", nn.ZeroPad2d(1)), ("zp2", nn.ZeroPad2d((1, 0, 2, -1))),
        ("up", nn.Upsample(scale_factor=2)), ("up2", nn.Upsample(size=(4, 5), mode="bilinear",
                                                                  align_corners=True)),
        ("up3", nn.Upsample(scale_factor=(2, 1.5), mode="bilinear")),
        ("ln", nn.LayerNorm(4)), ("ln2", nn.LayerNorm((2, 3), eps=1e-3,
                                                      elementwise_affine=False)),
        ("ln3", nn.LayerNorm([3], bias=False)), ("gn", nn.GroupNorm(2, 4)),
        ("gn2", nn.GroupNorm(1, 3, affine=False)), ("in", nn.InstanceNorm2d(3)),
        ("in2", nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=None)),
        ("gelu", nn.GELU()), ("gelu2", nn.GELU("tanh")), ("silu", nn.SiLU()),
        ("silu2", nn.SiLU(inplace=True)), ("elu", nn.ELU()), ("elu2", nn.ELU(0.5, True)),
        ("r6", nn.ReLU6()), ("r62", nn.ReLU6(True)), ("ht", nn.Hardtanh()),
        ("ht2", nn.Hardtanh(0, 2)), ("sp", nn.Softplus()), ("sp2", nn.Softplus(2, 10)),
        ("d2", nn.Dropout2d()), ("d22", nn.Dropout2d(0.3, True)), ("l1", nn.L1Loss()),
        ("sl1", nn.SmoothL1Loss(beta=0.5)), ("hub", nn.HuberLoss(delta=2.0)),
        ("kl", nn.KLDivLoss(reduction="batchmean", log_target=True)),
    ]))


def test_new_layers_keys_shapes_and_initial_values_match_torch() -> None:
    torch = pytest.importorskip("torch", reason="torch.nn is the reference for names")
    ours, theirs = new_zoo(nn), new_zoo(torch.nn)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "in2.running_mean" in ours.state_dict() and "in.running_mean" not in ours.state_dict()
    for key, value in theirs.state_dict().items():
        mine = ours.state_dict()[key]
        assert tuple(mine.shape) == tuple(value.shape), key
        if not key.startswith("c1"):  # the norms start from ones, zeros and no batches seen
            np.testing.assert_array_equal(mine.numpy(), value.numpy(), err_msg=key)
    mg.manual_seed(0)
    conv = nn.Conv1d(6, 16, 5, groups=2)  # kaiming-uniform with a = sqrt(5): 1/sqrt(fan_in)
    bound = 1 / math.sqrt(3 * 5)
    assert bound * 0.9 < np.abs(conv.weight.detach().numpy()).max() <= bound
    assert np.abs(conv.bias.detach().numpy()).max() <= bound


def distinct(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Values 0.1 apart in random order: no ties for the max pools."""
    n = math.prod(shape)
    return ((np.random.default_rng(seed).permutation(n) - n / 2) * 0.1).reshape(shape)


NEW_MODULES = {  # name: (build from an nn namespace, input shape)
    "GELU": (lambda nn: nn.GELU(), (2, 3, 4)),
    "GELU-tanh": (lambda nn: nn.GELU("tanh"), (2, 3, 4)),
    "SiLU": (lambda nn: nn.SiLU(), (2, 3, 4)),
    "ELU": (lambda nn: nn.ELU(0.5), (2, 3, 4)),
    "ReLU6": (lambda nn: nn.ReLU6(), (2, 3, 4)),
    "Hardtanh": (lambda nn: nn.Hardtanh(-0.5, 0.7), (2, 3, 4)),
    "Softplus": (lambda nn: nn.Softplus(2.0, 3.0), (2, 3, 4)),
    "Dropout2d": (lambda nn: nn.Dropout2d(0.0), (2, 3, 2, 2)),
    "LayerNorm": (lambda nn: nn.LayerNorm((3, 4)), (2, 3, 4)),
    "LayerNorm-no-bias": (lambda nn: nn.LayerNorm(4, bias=False), (2, 3, 4)),
    "GroupNorm": (lambda nn: nn.GroupNorm(2, 4), (2, 4, 3, 3)),
    "GroupNorm-plain": (lambda nn: nn.GroupNorm(1, 4, affine=False), (2, 4, 3)),
    "InstanceNorm2d": (lambda nn: nn.InstanceNorm2d(3), (2, 3, 4, 4)),
    "InstanceNorm2d-tracked": (
        lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True), (2, 3, 3, 4)),
    "InstanceNorm2d-unbatched": (lambda nn: nn.InstanceNorm2d(3, track_running_stats=True,
                                                              momentum=None), (3, 4, 4)),
    "Conv1d": (lambda nn: nn.Conv1d(2, 4, 3, stride=2, padding=1), (2, 2, 9)),
    "Conv1d-same-reflect": (lambda nn: nn.Conv1d(2, 4, 4, padding="same", groups=2,
                                                 padding_mode="reflect"), (2, 2, 7)),
    "Conv1d-circular": (lambda nn: nn.Conv1d(3, 2, 3, padding=2, dilation=2,
                                             padding_mode="circular"), (3, 8)),
    "MaxPool1d": (lambda nn: nn.MaxPool1d(3, 2, 1, ceil_mode=True), (2, 3, 8)),
    "MaxPool1d-indices": (lambda nn: nn.MaxPool1d(2, return_indices=True), (2, 3, 7)),
    "AvgPool1d": (lambda nn: nn.AvgPool1d(3, 2, 1, count_include_pad=False), (2, 3, 8)),
    "AdaptiveMaxPool2d": (lambda nn: nn.AdaptiveMaxPool2d((2, 3)), (2, 2, 5, 7)),
    "AdaptiveMaxPool2d-indices": (lambda nn: nn.AdaptiveMaxPool2d((3, None), True), (2, 4, 5)),
    "ZeroPad2d": (lambda nn: nn.ZeroPad2d((1, 2, 0, -1)), (2, 2, 3, 4)),
    "Upsample-nearest": (lambda nn: nn.Upsample(scale_factor=2.5), (1, 2, 3, 4)),
    "Upsample-bilinear": (lambda nn: nn.Upsample(size=(5, 7), mode="bilinear"), (1, 2, 3, 4)),
    "Upsample-corners": (lambda nn: nn.Upsample(scale_factor=1.5, mode="bilinear",
                                                align_corners=True), (1, 2, 3, 4)),
}


@pytest.mark.parametrize("name", list(NEW_MODULES))
def test_new_modules_forward_backward_and_buffers_match_torch(name: str) -> None:
    """float64, random parameters: outputs, input and parameter gradients and buffers over two
    training steps, then the output in eval mode."""
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    build, shape = NEW_MODULES[name]
    theirs, ours = build(torch.nn).double(), build(nn).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(0.5, 1.5)
    copy_weights(ours, theirs)
    r = np.random.default_rng(1)
    for step in range(3):
        if step == 2:
            ours.eval()
            theirs.eval()
        x = distinct(shape, step)
        xm, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out_m, out_t = ours(xm), theirs(xt)
        if isinstance(out_t, tuple):  # (values, indices)
            assert out_m[1].tolist() == out_t[1].tolist()
            out_m, out_t = out_m[0], out_t[0]
        assert tuple(out_m.shape) == tuple(out_t.shape)
        assert_close(out_m.detach(), out_t.detach().numpy(), rtol=1e-12, atol=1e-12)
        up = r.standard_normal(tuple(out_t.shape))
        out_m.backward(mg.tensor(up))
        out_t.backward(torch.tensor(up))
        assert_close(xm.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12, msg=f"input {step}")
        for (key, pm), pt in zip(ours.named_parameters(), theirs.parameters()):
            assert_close(pm.grad, pt.grad.numpy(), rtol=1e-10, atol=1e-12, msg=key)
        for (key, bm), bt in zip(ours.named_buffers(), theirs.buffers()):
            assert_close(bm, bt.numpy(), rtol=1e-12, atol=1e-12, check_dtype=False, msg=key)
        ours.zero_grad()
        theirs.zero_grad()


NEW_LOSSES = {  # name: build from an nn namespace, with the target's kind
    "L1Loss": (lambda nn: nn.L1Loss(), "values"),
    "L1Loss-sum": (lambda nn: nn.L1Loss(reduction="sum"), "values"),
    "SmoothL1Loss": (lambda nn: nn.SmoothL1Loss(beta=0.5), "values"),
    "HuberLoss": (lambda nn: nn.HuberLoss(reduction="none", delta=0.7), "values"),
    "KLDivLoss": (lambda nn: nn.KLDivLoss(reduction="batchmean"), "probabilities"),
    "KLDivLoss-log": (lambda nn: nn.KLDivLoss(reduction="sum", log_target=True), "log"),
}


@pytest.mark.parametrize("name", list(NEW_LOSSES))
def test_new_losses_match_torch(name: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    build, kind = NEW_LOSSES[name]
    r = np.random.default_rng(2)
    x = r.uniform(-2, 0, (3, 4))
    target = {"values": r.uniform(-2, 0, (3, 4)), "probabilities": r.dirichlet(np.ones(4), 3),
              "log": np.log(r.dirichlet(np.ones(4), 3))}[kind]
    xm, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_m, out_t = build(nn)(xm, mg.tensor(target)), build(torch.nn)(xt, torch.tensor(target))
    assert_close(out_m.detach(), out_t.detach().numpy(), rtol=1e-12, atol=1e-14)
    out_m.sum().backward()
    out_t.sum().backward()
    assert_close(xm.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_dropout2d_module_drops_channels_in_training_only() -> None:
    layer = nn.Dropout2d(0.5)
    x = mg.ones(8, 16, 3, 3)
    planes = layer(x).numpy().reshape(8, 16, 9)
    assert (planes == planes[:, :, :1]).all() and 0 < (planes == 0).mean() < 1
    assert layer.eval()(x) is x


NEW_BAD_MODULES = {  # each fails in torch.nn and ours with the same type and message
    "GroupNorm": lambda nn, t: nn.GroupNorm(2, 5),
    "InstanceNorm2d-dims": lambda nn, t: nn.InstanceNorm2d(3)(t(3, 4)),
    "InstanceNorm2d-features": lambda nn, t: nn.InstanceNorm2d(3, affine=True)(t(2, 4, 3, 3)),
    "Hardtanh": lambda nn, t: nn.Hardtanh(2.0, 1.0),
    "HuberLoss": lambda nn, t: nn.HuberLoss(delta="a"),
    "Dropout2d": lambda nn, t: nn.Dropout2d(1.5),
    "Conv1d-groups": lambda nn, t: nn.Conv1d(4, 6, 3, groups=3),
    "Conv1d-same": lambda nn, t: nn.Conv1d(2, 2, 3, stride=2, padding="same"),
    "LayerNorm": lambda nn, t: nn.LayerNorm(3)(t(2, 4)),
}


@pytest.mark.parametrize("name", list(NEW_BAD_MODULES))
def test_new_module_errors_match_torch(name: str) -> None:
    torch = pytest.importorskip("torch", reason="torch.nn's messages are the reference")
    with pytest.raises(Exception) as theirs:  # noqa: B017  (whatever torch raises)
        NEW_BAD_MODULES[name](torch.nn, lambda *shape: torch.zeros(*shape))
    with pytest.raises(type(theirs.value)) as ours:
        NEW_BAD_MODULES[name](nn, lambda *shape: mg.zeros(*shape))
    assert str(ours.value) == str(theirs.value)


def test_instance_norm_without_affine_only_warns_about_the_channels() -> None:
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        out = nn.InstanceNorm2d(3)(mg.randn(2, 4, 3, 3))
    assert out.shape == (2, 4, 3, 3)


# ---- PyTorch as the oracle: whole models, several training steps --------------------------------
def sgd_steps(model: Any, lib: Any, x: np.ndarray, y: np.ndarray, steps: int, lr: float
              ) -> list[dict[str, Any]]:
    """Cross-entropy SGD steps; records the loss, the gradients and the state after each."""
    loss_fn = (nn if lib is mg else lib.nn).CrossEntropyLoss()
    xt, yt = lib.tensor(x), lib.tensor(y)
    history = []
    for _ in range(steps):
        model.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        grads = {n: p.grad.detach().numpy().copy() for n, p in model.named_parameters()}
        with lib.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
        history.append({"loss": loss.item(), "grads": grads, "state": state})
    return history


def compare_training(build: Any, x: np.ndarray, y: np.ndarray, steps: int = 4,
                     lr: float = 0.5) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    theirs, ours = build(torch.nn), build(nn)
    copy_weights(ours, theirs)
    ours_h = sgd_steps(ours, mg, x, y, steps, lr)
    theirs_h = sgd_steps(theirs, torch, x, y, steps, lr)
    for step, (a, b) in enumerate(zip(ours_h, theirs_h)):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-4, abs=1e-5), f"loss at step {step}"
        for name in b["grads"]:
            # (a bias before BatchNorm has a gradient of 0 up to rounding noise)
            scale = max(1e-2, float(np.abs(b["grads"][name]).max()))
            assert_close(a["grads"][name], b["grads"][name], rtol=1e-3, atol=1e-4 * scale,
                         msg=f"grad of {name} at step {step}")
        for name in b["state"]:
            assert_close(a["state"][name], b["state"][name], rtol=1e-3, atol=1e-5,
                         check_dtype=False, msg=f"{name} after step {step}")
    ours.eval()
    theirs.eval()
    assert_close(ours(mg.tensor(x)).detach(), theirs(torch.tensor(x)).detach().numpy(),
                 rtol=1e-3, atol=1e-4)


def digits_like(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    r = np.random.default_rng(seed)
    return r.standard_normal((n, 1, 28, 28)).astype(np.float32), r.integers(0, 10, n)


def test_lenet_trains_step_by_step_as_pytorch() -> None:
    compare_training(lenet, *digits_like(16, 0), steps=5, lr=0.9)


def test_batch_norm_lenet_trains_step_by_step_as_pytorch() -> None:
    compare_training(bn_lenet, *digits_like(16, 1), steps=5, lr=0.1)


@st.composite
def random_models(draw: st.DrawFn) -> tuple[Any, tuple[int, ...]]:
    """A random conv net spec: conv (any geometry/mode) -> norm -> activation -> pool -> head."""
    c_in = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([g for g in (1, 2, 3) if c_in % g == 0]))
    c_out = groups * draw(st.integers(1, 3))
    k = draw(st.integers(1, 4))
    padding = draw(st.sampled_from([0, 1, "same", "valid"]))
    stride = 1 if padding == "same" else draw(st.integers(1, 2))
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    dilation = draw(st.integers(1, 2))
    pool = draw(st.sampled_from(["max", "avg", "adaptive", "none"]))
    act = draw(st.sampled_from(["ReLU", "Sigmoid", "Tanh", "LeakyReLU"]))
    bn = draw(st.booleans())
    momentum = draw(st.sampled_from([0.1, None]))
    size = draw(st.integers(6, 9))
    up = draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 2), st.integers(0, 1)))
    spec = (c_in, c_out, k, stride, padding, dilation, groups, mode, pool, act, bn, momentum, up)
    return spec, (3, c_in, size, size)


def build_random(spec: tuple, nn_: Any) -> Any:
    c_in, c_out, k, stride, padding, dilation, groups, mode, pool, act, bn, momentum, up = spec
    layers = [nn_.Conv2d(c_in, c_out, k, stride=stride, padding=padding, dilation=dilation,
                         groups=groups, padding_mode=mode)]
    if bn:
        layers.append(nn_.BatchNorm2d(c_out, momentum=momentum))
    layers.append(getattr(nn_, act)())
    layers.append({"max": nn_.MaxPool2d(2, ceil_mode=True), "avg": nn_.AvgPool2d(2, 1, 1),
                   "adaptive": nn_.AdaptiveAvgPool2d((2, 3)), "none": nn_.Identity()}[pool])
    if up is not None:  # upsample again: a transposed convolution
        kernel, step, extra = up
        layers.append(nn_.ConvTranspose2d(c_out, 2, kernel, stride=step, padding=extra,
                                          output_padding=min(extra, step - 1)))
    layers.append(nn_.Flatten())
    return nn_.Sequential(*layers)


def far(float32: Any, float64: Any) -> float:
    """The largest distance of a torch float32 result from its float64 twin (0 without one)."""
    if float64 is None or not float32.numel():
        return 0.0
    return float((float32.detach().double() - float64.detach()).abs().max().item())


@settings(max_examples=20)
@given(random_models(), st.integers(0, 2**16))
def test_random_models_match_pytorch(model: tuple, seed: int) -> None:
    """Outputs, input gradients, parameter gradients and BatchNorm buffers over training steps
    and in eval, for random configurations loaded with the same state_dict."""
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    spec, shape = model
    torch.manual_seed(seed)  # the initial weights too must replay exactly
    try:
        theirs = build_random(spec, torch.nn)
    except (ValueError, RuntimeError) as e:  # a geometry torch refuses: we must refuse it too
        with pytest.raises(type(e)):
            build_random(spec, nn)
        event("torch refuses the layer")
        return
    ours = build_random(spec, nn)
    copy_weights(ours, theirs)
    exact = copy.deepcopy(theirs).double()  # float64: how far float32 may be from the truth
    r = np.random.default_rng(seed)
    for step in range(3):
        x = r.standard_normal(shape).astype(np.float32)
        xt, xm = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
        try:
            out_t = theirs(xt)
        except RuntimeError as e:  # e.g. the input is too small for this geometry: ours
            # must refuse it too (torch's own messages vary by backend, so only the type)
            with pytest.raises(RuntimeError):
                ours(xm)
            event(f"both refuse the input ({type(e).__name__})")
            return
        out_m = ours(xm)
        assert tuple(out_m.shape) == tuple(out_t.shape)
        # A BatchNorm after a tiny-weight conv amplifies float32 rounding (x * w + b, then
        # divided by a small std): ours may be as far from the float64 answer as torch's is.
        # (an empty output has no float64 twin: torch's float64 path refuses what its float32
        # path, and ours, give as empty, e.g. a transposed conv's output size 0)
        out_x = exact(xt.detach().double()) if out_t.numel() else None
        assert_close(out_m.detach(), out_t.detach().numpy(), rtol=1e-4,
                     atol=1e-5 + 2 * far(out_t, out_x))
        up = r.standard_normal(tuple(out_t.shape)).astype(np.float32)
        out_t.backward(torch.tensor(up))
        out_m.backward(mg.tensor(up))
        if out_x is not None:
            out_x.backward(torch.tensor(up).double())
        assert_close(xm.grad, xt.grad.numpy(), rtol=1e-3, atol=1e-4, msg=f"input grad {step}")
        # Before a BatchNorm the conv's bias gradient is 0 in exact arithmetic (and a 1x1
        # single-channel weight's too): both libraries return float32 rounding noise there,
        # so the absolute tolerance follows the gradients' scale, and torch's own distance
        # from the float64 gradient.
        scale = max(1.0, float(np.abs(xt.grad.numpy()).max()))
        atol = (2e-3 if spec[10] else 1e-4) * scale
        for (name, pm), pt, px in zip(ours.named_parameters(), theirs.parameters(),
                                      exact.parameters()):
            assert_close(pm.grad, pt.grad.numpy(), rtol=1e-3, atol=atol + 2 * far(pt.grad, px.grad),
                         msg=f"{name} {step}")
        for (name, bm), bt in zip(ours.named_buffers(), theirs.buffers()):
            assert_close(bm, bt.numpy(), rtol=1e-4, atol=1e-5, check_dtype=False, msg=name)
        ours.zero_grad()
        theirs.zero_grad()
        exact.zero_grad()
    event("compared over 3 steps and eval")
    ours.eval()
    theirs.eval()
    x = r.standard_normal(shape).astype(np.float32)
    assert_close(ours(mg.tensor(x)), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-4,
                 atol=1e-5)


@pytest.mark.parametrize("build", [lenet, bn_lenet])
def test_models_run_the_same_on_both_cpu_backends(build: Any) -> None:
    mg.manual_seed(3)
    a = build(nn)
    b = build(nn)
    b.load_state_dict(a.state_dict())
    b.to("strict")
    x = mg.randn(4, 1, 28, 28)
    y = mg.tensor([1, 2, 3, 4])
    losses = []
    for model, dev in ((a, "cpu"), (b, "strict")):
        loss = nn.CrossEntropyLoss()(model(x.to(dev)), y.to(dev))
        loss.backward()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    for (name, pa), pb in zip(a.named_parameters(), b.parameters()):
        assert_close(pa.grad, pb.grad.cpu(), rtol=1e-4, atol=1e-6, msg=name)


def test_deepcopy_of_a_model() -> None:
    import copy

    model = bn_lenet(nn)
    model(mg.randn(4, 1, 28, 28)).sum().backward()
    clone = copy.deepcopy(model)
    for (name, a), b in zip(model.named_parameters(), clone.parameters()):
        assert isinstance(b, nn.Parameter) and b is not a and b.requires_grad, name
        assert_close(a, b)
        assert_close(a.grad, b.grad)
    with mg.no_grad():
        clone[0].weight.fill_(0.0)  # the copy has its own memory
    assert model[0].weight.abs().sum().item() > 0
    shared = nn.Linear(2, 2)
    tied = copy.deepcopy(nn.Sequential(shared, shared))
    assert tied[0] is tied[1] and len(list(tied.parameters())) == 2
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(model[0].weight * 2)


def test_container_and_module_details_as_torch() -> None:
    class Frozen(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bn = nn.BatchNorm2d(3)

        def train(self, mode: bool = True) -> nn.Module:
            super().train(mode)
            self.bn.eval()  # the "freeze BatchNorm" pattern
            return self

    net = nn.Sequential(Frozen(), nn.ReLU())
    net.train()
    assert net.training and net[0].training and not net[0].bn.training
    d = nn.ModuleDict({"a": nn.ReLU()})
    copy_ = nn.ModuleDict(d)
    copy_.update(nn.ModuleDict({"b": nn.Tanh()}))
    assert list(copy_) == ["a", "b"]
    copy_.clear()
    assert len(copy_) == 0
    seq = nn.Sequential(nn.ReLU(), nn.Tanh())
    seq.insert(1, nn.Sigmoid())
    assert [type(m).__name__ for m in seq] == ["ReLU", "Sigmoid", "Tanh"]
    assert isinstance(seq.pop(0), nn.ReLU) and list(seq.state_dict()) == []
    assert len(seq + nn.Sequential(nn.ReLU())) == 3
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh()]) + nn.ModuleList([nn.Sigmoid()])
    assert len(ml) == 3 and isinstance(ml.pop(), nn.Sigmoid) and len(ml) == 2
    shared = nn.Linear(2, 2)
    tied = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in tied.named_parameters(remove_duplicate=False)] == [
        "0.weight", "0.bias", "2.weight", "2.bias"]
    assert tied.to(device="cpu", non_blocking=True) is tied
