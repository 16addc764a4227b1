"""Lazy modules as torch's: sizes inferred from the first input, torch's default
initialization then (the same draws as the plain class), the plain class afterwards, the same
parameter objects throughout, state_dict and load_state_dict before and after, summaries and
hooks through them, and torch's errors for an uninitialized parameter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn

# (the lazy module, the plain one given the inferred size, an input's shape)
CASES: dict[str, tuple[Callable, Callable, tuple[int, ...]]] = {
    "LazyLinear": (lambda: nn.LazyLinear(5), lambda c: nn.Linear(c, 5), (3, 7)),
    "LazyConv1d": (lambda: nn.LazyConv1d(4, 3, padding=1),
                   lambda c: nn.Conv1d(c, 4, 3, padding=1), (2, 3, 9)),
    "LazyConv2d": (lambda: nn.LazyConv2d(6, 5, padding=2),
                   lambda c: nn.Conv2d(c, 6, 5, padding=2), (2, 3, 8, 8)),
    "LazyConv2d groups": (lambda: nn.LazyConv2d(4, 3, groups=2, bias=False),
                          lambda c: nn.Conv2d(c, 4, 3, groups=2, bias=False), (1, 6, 5, 5)),
    "LazyConvTranspose2d": (lambda: nn.LazyConvTranspose2d(4, 3, stride=2),
                            lambda c: nn.ConvTranspose2d(c, 4, 3, stride=2), (1, 2, 5, 5)),
    "LazyBatchNorm1d": (lambda: nn.LazyBatchNorm1d(), lambda c: nn.BatchNorm1d(c), (4, 3)),
    "LazyBatchNorm2d": (lambda: nn.LazyBatchNorm2d(momentum=0.2),
                        lambda c: nn.BatchNorm2d(c, momentum=0.2), (4, 3, 2, 2)),
}


def _channels(name: str, shape: tuple[int, ...]) -> int:
    return shape[-1] if name == "LazyLinear" else shape[1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_first_forward_draws_what_the_plain_class_draws(name: str) -> None:
    """Same seed, same values: the lazy module's initialization is the plain class's (torch's
    default), drawn at the first forward; afterwards it is that class, same parameters."""
    lazy_f, plain_f, shape = CASES[name]
    mg.manual_seed(1)
    lazy = lazy_f()
    params_before = list(lazy.parameters())
    x = mg.randn(*shape)
    out = lazy(x)
    mg.manual_seed(1)
    mg.randn(*shape)  # (the input's draws, as above, then the weights')
    plain = plain_f(_channels(name, shape))
    out_plain = plain(x)
    assert type(lazy) is type(plain)
    assert repr(lazy) == repr(plain)
    assert list(lazy.parameters()) == params_before  # the same objects, now materialized
    assert all(type(p) is nn.Parameter for p in lazy.parameters())
    own, theirs = lazy.state_dict(), plain.state_dict()
    assert list(own) == list(theirs)
    for key in own:
        np.testing.assert_array_equal(own[key].numpy(), theirs[key].numpy(), err_msg=key)
    np.testing.assert_allclose(out.detach().numpy(), out_plain.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_lazy_modules_match_torchs(name: str) -> None:
    """torch's repr before and after, state_dict keys, and the same outputs and gradients
    from the same weights."""
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    lazy_f, _, shape = CASES[name]
    ours = lazy_f()
    theirs = _torch_twin(torch, ours)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    tx, mx = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    theirs(tx)  # materialize, then give both the same weights
    ours(mx)
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    tx.grad = None
    (theirs(tx) ** 2).sum().backward()
    (ours(mx) ** 2).sum().backward()
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    for (k, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=k)


def _torch_twin(torch: Any, ours: nn.Module) -> Any:
    """The torch Lazy module built with the same arguments as ``ours`` (from its repr)."""
    kinds = {"LazyLinear": lambda m: torch.nn.LazyLinear(m.out_features, m.bias is not None),
             "LazyConv1d": lambda m: torch.nn.LazyConv1d(
                 m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups,
                 m.bias is not None),
             "LazyConv2d": lambda m: torch.nn.LazyConv2d(
                 m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups,
                 m.bias is not None),
             "LazyConvTranspose2d": lambda m: torch.nn.LazyConvTranspose2d(
                 m.out_channels, m.kernel_size, m.stride, m.padding, m.output_padding,
                 m.groups, m.bias is not None, m.dilation),
             "LazyBatchNorm1d": lambda m: torch.nn.LazyBatchNorm1d(m.eps, m.momentum),
             "LazyBatchNorm2d": lambda m: torch.nn.LazyBatchNorm2d(m.eps, m.momentum)}
    return kinds[type(ours).__name__](ours)


def test_an_optimizer_made_before_the_first_forward_trains_the_materialized_weights() -> None:
    """As d2l builds a model and its optimizer before any data: the parameters it holds are
    the ones the first forward gives shapes to."""
    net = nn.Sequential(nn.LazyConv2d(4, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2))
    opt = mg.optim.SGD(net.parameters(), lr=0.1)
    opt.step()  # nothing has a gradient yet: nothing happens, as torch's
    x = mg.randn(3, 1, 6, 6)
    net(x)  # the first forward gives the parameters their shapes
    before = [p.detach().clone() for p in net.parameters()]
    (net(x) ** 2).sum().backward()
    opt.step()
    for p, old in zip(net.parameters(), before):
        assert p.shape == old.shape
        assert not np.allclose(p.detach().numpy(), old.numpy())
    assert [type(m) for m in net] == [nn.Conv2d, nn.ReLU, nn.Flatten, nn.Linear]


def test_state_dicts_before_and_after() -> None:
    lazy = nn.LazyLinear(3)
    sd = lazy.state_dict()
    assert list(sd) == ["weight", "bias"]
    assert all(type(v).__name__ == "UninitializedParameter" for v in sd.values())
    other = nn.LazyLinear(3)
    other.load_state_dict(sd)  # both uninitialized: nothing to copy, as torch's
    assert other.has_uninitialized_params()
    plain = nn.Linear(4, 3)
    lazy.load_state_dict(plain.state_dict())  # takes the loaded shapes and values
    assert not lazy.has_uninitialized_params()
    np.testing.assert_array_equal(lazy.weight.detach().numpy(), plain.weight.detach().numpy())
    out = lazy(mg.randn(2, 4))
    assert type(lazy) is nn.Linear and out.shape == (2, 3)
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        nn.Linear(4, 3).load_state_dict(nn.LazyLinear(3).state_dict())


def test_summary_and_hooks_run_through_a_lazy_model() -> None:
    net = nn.Sequential(nn.LazyConv2d(6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2),
                        nn.Flatten(), nn.LazyLinear(10))
    seen: list[tuple[str, tuple]] = []
    net[0].register_forward_hook(lambda m, a, out: seen.append((type(m).__name__, out.shape)))
    net[4].register_full_backward_hook(lambda m, gi, go: seen.append(("backward", go[0].shape)))
    table = str(mg.summary(net, (1, 1, 28, 28)))
    assert "Conv2d" in table and "Linear" in table
    assert sum(p.numel() for p in net.parameters()) == 6 * 25 + 6 + 10 * 6 * 14 * 14 + 10
    net(mg.randn(2, 1, 28, 28)).sum().backward()
    assert ("Conv2d", (2, 6, 28, 28)) in seen and ("backward", (2, 10)) in seen


def test_an_uninitialized_parameter_refuses_as_torchs() -> None:
    p = nn.LazyLinear(3).weight
    assert repr(p) == "<UninitializedParameter>" and p.dtype == mg.float32
    with pytest.raises(RuntimeError, match="Can't access the shape"):
        p.shape  # noqa: B018
    for use in (lambda: p + 1, lambda: p.numel(), lambda: p.sum(), lambda: mg.save(p, "x")):
        with pytest.raises(ValueError, match="uninitialized parameter"):
            use()
    with pytest.raises(ValueError, match=r"Expected 3D \(unbatched\) or 4D"):
        nn.LazyConv2d(2, 3)(mg.randn(5, 5))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(mg.randn(1, 3, 5, 5))
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.LazyConv2d(3, 3, groups=2)
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.LazyBatchNorm2d()(mg.randn(2, 3))


@given(st.integers(1, 6), st.integers(1, 4), st.booleans())
def test_the_inferred_size_is_the_inputs(features: int, batch: int, bias: bool) -> None:
    m = nn.LazyLinear(2, bias=bias)
    m(mg.randn(batch, features))
    assert m.in_features == features and m.weight.shape == (2, features)
    assert (m.bias is not None) == bias
    bound = 1 / features ** 0.5  # torch's default: U(-1/sqrt(in), 1/sqrt(in))
    assert np.abs(m.weight.detach().numpy()).max() <= bound + 1e-7


def test_a_lazy_module_moves_and_casts_before_its_first_forward() -> None:
    """torch's m.double() / m.to(dtype) before the first batch: the uninitialized tensors
    take the dtype, and the first forward draws in it."""
    bn = nn.LazyBatchNorm2d().double()
    assert bn.weight.dtype == mg.float64 and bn.running_mean.dtype == mg.float64
    conv = nn.LazyConv2d(2, 3).to(mg.float64)
    out = conv(mg.randn(1, 3, 5, 5, dtype=mg.float64))
    assert conv.weight.dtype == mg.float64 and out.dtype == mg.float64
    bn(mg.randn(2, 3, 4, 4, dtype=mg.float64))
    assert type(bn) is nn.BatchNorm2d and bn.running_var.dtype == mg.float64
