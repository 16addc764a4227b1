"""mg.summary (the layer table: shapes, parameters, MACs, receptive fields, memory kept for
backward) and mg.autograd.saved_bytes, against hand formulas, PyTorch's shapes, and receptive
fields measured with autograd."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
from demos.lenet import lenet
from minigrad.autograd import graph_nodes, memory_of, saved_buffers, saved_bytes

LENET_SHAPES = [[1, 10], [1, 6, 28, 28], [1, 6, 28, 28], [1, 6, 14, 14], [1, 16, 10, 10],
                [1, 16, 10, 10], [1, 16, 5, 5], [1, 400], [1, 120], [1, 120], [1, 84],
                [1, 84], [1, 10]]


# ---- what the graph keeps for backward -----------------------------------------------------
@pytest.mark.parametrize("n", [1, 10, 1000])
def test_mul_keeps_both_factors(n: int) -> None:
    x, w = mg.randn(n, requires_grad=True), mg.randn(n, requires_grad=True)
    y = (x * w).sum()
    assert saved_bytes(y) == 8 * n
    assert saved_bytes(y, by_kind=True) == {"MulBackward0": 8 * n}
    assert saved_bytes((x.double() * w.double()).sum()) == 16 * n
    y.backward()
    assert saved_bytes(y) == 0  # freed by the backward


def test_what_each_op_keeps() -> None:
    n = 100
    x = mg.randn(n, requires_grad=True)
    assert saved_bytes(x.exp().sum(), by_kind=True) == {"ExpBackward0": 4 * n}  # its output
    assert saved_bytes(x.sigmoid().sum(), by_kind=True) == {"SigmoidBackward0": 4 * n}
    assert saved_bytes((x + 1).sum()) == 0  # addition keeps nothing
    assert saved_bytes(x.reshape(10, 10).t().sum()) == 0
    y = x.exp()
    assert saved_bytes((y * y).sum(), by_kind=True) == {"MulBackward0": 4 * n}  # y once
    assert saved_bytes((x[10:20] * x[:10]).sum()) == 4 * n  # views of x: x's memory, once
    assert saved_bytes(x.max()) == n  # a bool mask of the maxima
    c = mg.randn(n)  # no gradient asked for c: only c is read (for x's gradient)
    assert saved_bytes((x * c).sum()) == 4 * n
    assert saved_bytes(x * 2) == 4  # the scalar 2, as a 0-d float32
    assert saved_bytes(mg.randn(3)) == 0 and graph_nodes(mg.randn(3)) == []


# ---- LeNet ---------------------------------------------------------------------------------
def test_lenet_table() -> None:
    mg.manual_seed(0)
    net = lenet()
    s = mg.summary(net, input_size=(1, 1, 28, 28))
    text = str(s)
    assert "Total params: 61,706" in text and "Trainable params: 61,706" in text
    assert "Total mult-adds (M): 0.42" in text
    assert [r.output_shape for r in s.rows] == LENET_SHAPES
    assert [r.kind for r in s.rows[1:]] == [type(m).__name__ for m in net]
    assert [r.name for r in s.rows] == ["", *map(str, range(12))]
    assert [r.depth for r in s.rows] == [0] + [1] * 12
    assert s.total_params == 61706 and sum(r.params for r in s.rows) == 61706
    assert s.params_bytes == 61706 * 4 and s.input_bytes == 28 * 28 * 4
    fields = {r.name: (r.receptive_field, r.jump) for r in s.rows}
    assert fields["0"] == ((5, 5), (1, 1)) and fields["1"] == ((5, 5), (1, 1))
    assert fields["2"] == ((6, 6), (2, 2))
    assert fields["3"] == ((14, 14), (2, 2)) and fields["4"] == ((14, 14), (2, 2))
    assert fields["5"] == ((16, 16), (4, 4))
    assert all(fields[str(i)] == (None, None) for i in range(6, 12))
    lines = text.splitlines()
    assert lines[3].startswith("Sequential") and lines[4].startswith("├─Conv2d: 1-1")
    assert lines[15].startswith("└─Linear: 1-12")
    assert "5     1" in lines[4] and "16     4" in lines[9]


def test_lenet_shapes_are_pytorchs() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch gives the reference shapes")
    theirs = lenet(torch.nn)
    shapes = []
    for m in [theirs, *theirs]:
        m.register_forward_hook(lambda m, a, out: shapes.append(list(out.shape)))
    theirs(torch.zeros(1, 1, 28, 28))
    assert [shapes[-1], *shapes[:-1]] == LENET_SHAPES


def conv_macs(c_in: int, c_out: int, k: int, h_out: int, w_out: int, n: int = 1) -> int:
    """By hand: every output value is a dot product of c_in * k * k weights and inputs."""
    return n * c_out * h_out * w_out * c_in * k * k


def test_macs_by_hand() -> None:
    s = mg.summary(lenet(), input_size=(3, 1, 28, 28))
    macs = [r.macs for r in s.rows]
    assert macs[1] == conv_macs(1, 6, 5, 28, 28, n=3) == 352800
    assert macs[4] == conv_macs(6, 16, 5, 10, 10, n=3)
    assert macs[8] == 3 * 400 * 120 and macs[10] == 3 * 120 * 84 and macs[12] == 3 * 84 * 10
    assert s.total_macs == sum(macs) == 3 * 416520
    grouped = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
    s = mg.summary(grouped, input_size=(2, 4, 9, 9))
    assert s.rows[0].macs == conv_macs(4 // 2, 6, 3, 5, 5, n=2)
    s = mg.summary(nn.Linear(5, 7), input_size=(2, 3, 5))  # a linear layer on (N, *, in)
    assert s.rows[0].macs == 2 * 3 * 5 * 7
    # unbatched inputs, as torch's conv layers take them: no batch axis to multiply by
    assert mg.summary(nn.Conv2d(3, 4, 3), input_size=(3, 8, 8)).rows[0].macs == 4 * 3 * 9 * 36
    assert mg.summary(nn.Conv1d(3, 4, 3), input_size=(3, 8)).rows[0].macs == 4 * 3 * 3 * 6
    up = nn.ConvTranspose2d(4, 6, 3, groups=2)  # each input value meets 6 / 2 kernels of 3x3
    assert mg.summary(up, input_size=(2, 4, 5, 5)).rows[0].macs == 2 * 4 * 25 * 3 * 9


def test_shared_parameters_and_inputs_are_counted_once() -> None:
    """Every column adds up to its total: a weight tied between two layers counts under the
    first; an input a layer keeps for backward is already in the input size."""
    a, b = nn.Linear(4, 4), nn.Linear(4, 4)
    b.weight = a.weight
    s = mg.summary(nn.Sequential(a, b), input_size=(2, 4))
    assert [r.params for r in s.rows] == [0, 20, 4] and s.total_params == 24
    s = mg.summary(nn.Linear(1000, 1), input_size=(1, 1000))
    assert s.input_bytes == 4000 and s.saved_bytes == 0


def test_input_data_may_hold_numbers() -> None:
    class Scale(nn.Module):
        def forward(self, k: Any, x: Any) -> Any:
            return x * k

    s = mg.summary(Scale(), input_data=[3, mg.rand(2, 4)])
    assert s.input_bytes == 8 * 4 and s.rows[0].output_shape == [2, 4]


def test_adaptive_pooling_has_a_field_only_when_its_windows_are_equal() -> None:
    """10 -> 5 is a 2x2 pooling (r 2, j 2 after r 1); 10 -> 4 has windows of 3 and 4 pixels,
    and 5 -> 7 repeats pixels: no single receptive field, so '?'."""
    for n_in, n_out, want in [(10, 5, (2, 2)), (10, 4, None), (5, 7, None)]:
        s = mg.summary(nn.AdaptiveAvgPool2d(n_out), input_size=(1, 1, n_in, n_in))
        got = s.rows[0].receptive_field
        assert (got if got is None else (got[0], s.rows[0].jump[0])) == want


def test_lenet_memory_kept_for_backward() -> None:
    """Each array once, parameters not again: what the graph keeps, by layer."""
    mg.manual_seed(0)
    net, n = lenet(), 4
    x = mg.randn(n, 1, 28, 28)
    s = mg.summary(net, input_data=x)
    kept = {r.name: r.saved_bytes for r in s.rows}
    assert kept["0"] == n * 25 * 28 * 28 * 4  # conv = unfold + matmul: the patches
    assert kept["1"] == n * 6 * 28 * 28 * 4  # a sigmoid keeps its output
    assert kept["7"] == n * 400 * 4  # a linear layer keeps its input (for the weight's grad)
    out = net(x)
    params = {memory_of(p)[0] for p in net.parameters()}
    arrays = {k: b for node in graph_nodes(out) for k, b in saved_buffers(node).items()}
    assert s.saved_bytes == sum(b for k, b in arrays.items() if k not in params)
    assert s.saved_bytes == sum(kept.values())


def test_summary_leaves_the_model_and_the_generator_alone() -> None:
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Dropout(0.5))
    before = [b.clone() for b in net.buffers()]
    mg.manual_seed(3)
    expected = mg.rand(4)
    mg.manual_seed(3)
    mg.summary(net, input_size=(2, 1, 8, 8))
    assert mg.allclose(mg.rand(4), expected)
    assert all(mg.equal(a, b) if hasattr(mg, "equal") else bool((a == b).all())
               for a, b in zip(before, net.buffers()))
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in net.modules())
    assert all(p.grad is None for p in net.parameters())


# ---- nesting, several inputs, layers the geometry does not know -----------------------------
class Block(nn.Module):
    """A residual block: the skip connection joins outside any child module."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x: Any) -> Any:
        return (self.conv2(self.conv1(x).relu()) + x).relu()


def test_nested_modules_and_a_residual_block() -> None:
    net = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), nn.Sequential(Block(4), Block(4)),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    s = mg.summary(net, input_size=(1, 3, 33, 33))
    by_name = {r.name: r for r in s.rows}
    assert by_name["1.0.conv2"].depth == 3 and by_name["1.0.conv2"].index == 2
    assert by_name["1.0"].receptive_field == (11, 11)  # 3, then two 3x3 convs at jump 2
    assert by_name["1"].receptive_field == (19, 19)
    assert by_name["2"].receptive_field == (19 + 15 * 2,) * 2 and by_name["2"].jump == (32, 32)
    assert by_name["1.0"].saved_bytes > 0  # the relus of the block's own forward
    assert sum(r.params for r in s.rows) == s.total_params == sum(
        p.numel() for p in net.parameters())
    text = str(s).splitlines()
    assert any(line.startswith("│    └─Block: 2-2") for line in text)
    assert any(line.startswith("│         └─Conv2d: 3-2") for line in text)


def test_unknown_geometry_and_several_inputs() -> None:
    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.up = nn.Upsample(scale_factor=2)
            self.conv = nn.Conv2d(1, 1, 3)

        def forward(self, a: Any, b: Any) -> Any:
            return self.conv(self.up(a)) + b.sum()

    s = mg.summary(Two(), input_size=[(1, 1, 4, 4), (3,)])
    rows = {r.name: r for r in s.rows}
    assert rows["up"].receptive_field is None and rows["up"].spatial
    assert "?" in str(s)
    assert s.input_bytes == (16 + 3) * 4
    s = mg.summary(nn.Linear(3, 2).double(), input_size=(2, 3), dtypes=[mg.float64])
    assert s.input_bytes == 6 * 8 and s.rows[0].receptive_field is None


def test_summary_needs_a_size_or_data() -> None:
    with pytest.raises(ValueError, match="input_size"):
        mg.summary(nn.Linear(2, 2))


# ---- the receptive field, measured ---------------------------------------------------------
def measured_field(model: nn.Module, size: int, padded: bool = True) -> tuple[int, int]:
    """Backpropagate the centre output of channel 0 to the input; the extent (first to last)
    of the pixels that get a gradient, along H and W. All weights are positive, so nothing
    cancels; float64, so nothing underflows. Where layers pad, the field must stay clear of
    the border (else padding would clip what is measured)."""
    x = mg.zeros(1, 1, size, size, dtype=mg.float64, requires_grad=True)
    out = model(x)
    h, w = out.shape[2], out.shape[3]
    out[0, 0, h // 2, w // 2].backward()
    grad = x.grad[0, 0].numpy()
    rows, cols = np.nonzero(grad)
    assert rows.size, "no pixel has a gradient"
    assert not padded or (rows.min() > 0 and cols.min() > 0 and rows.max() < size - 1
                          and cols.max() < size - 1), "the field touches the border"
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


def positive(model: nn.Module, value: float = 1.0) -> nn.Module:
    with mg.no_grad():
        for name, p in model.named_parameters():
            p.fill_(value if name.endswith("weight") else 0.0)
    return model.double()


def test_lenet_fields_measured() -> None:
    net = positive(lenet(), 0.01)  # small: the sigmoids stay far from saturation
    s = mg.summary(net, input_size=(1, 1, 28, 28), dtypes=[mg.float64])
    fields = {r.name: r.receptive_field for r in s.rows}
    for end in range(6):  # conv1 ... pool2: the network up to that layer
        assert measured_field(net[:end + 1], 28) == fields[str(end)]
    assert [fields[str(i)][0] for i in (0, 2, 3, 5)] == [5, 6, 14, 16]


layer = st.one_of(
    st.tuples(st.just("conv"), st.integers(1, 5), st.integers(1, 2), st.integers(1, 2)),
    st.tuples(st.just("avg"), st.integers(1, 3), st.integers(1, 3), st.just(1)),
    st.tuples(st.just("max"), st.integers(2, 3), st.integers(1, 2), st.integers(1, 2)))


def build(spec: list[tuple], measure: bool) -> nn.Sequential:
    """The stack (no padding: every output sees a whole field); for measuring, a max pool
    becomes a conv of the same kernel, stride and dilation (a max sends its gradient to one
    pixel of the window, but its field is the window's)."""
    layers = []
    for kind, k, s, d in spec:
        if kind == "conv" or (kind == "max" and measure):
            layers.append(nn.Conv2d(1, 1, k, stride=s, dilation=d))
        elif kind == "avg":
            layers.append(nn.AvgPool2d(k, stride=s))
        else:
            layers.append(nn.MaxPool2d(k, stride=s, dilation=d))
        layers.append(nn.Sigmoid() if kind == "conv" else nn.Identity())
    return positive(nn.Sequential(*layers), 0.1)


@given(st.lists(layer, min_size=1, max_size=4))
def test_field_formula_matches_autograd(spec: list[tuple]) -> None:
    size = n = 64
    for _, k, s, d in spec:
        n = (n - d * (k - 1) - 1) // s + 1
        assume(n >= 1)
    s = mg.summary(build(spec, measure=False), input_size=(1, 1, size, size),
                   dtypes=[mg.float64])
    field = s.rows[-1].receptive_field
    assert field is not None and s.rows[0].receptive_field == field  # the Sequential's too
    jump = math.prod(stride for _, _, stride, _ in spec)
    assert s.rows[-1].jump == (jump, jump)
    assert measured_field(build(spec, measure=True), size, padded=False) == field
