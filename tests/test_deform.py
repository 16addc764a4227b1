"""deform_conv2d and nn.DeformConv2d: against the papers' formula, conv2d, and torchvision.

The reference loops over output pixels and kernel positions with an explicit bilinear
interpolation (Dai et al. 2017, eq. 2-4; Zhu et al. 2019, eq. 1 for the mask). Geometries
(stride, padding, dilation, groups, offset groups, mask, bias) are drawn by hypothesis, with
offsets large enough to read outside the image and between pixels, but never within 0.01 of a
whole pixel, where bilinear interpolation has a kink that finite differences would straddle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.backends import fast_paths
from minigrad.nn.deform import DeformConv2d
from minigrad.ops.deform import deform_conv2d
from minigrad.testing import assert_close, gradcheck, gradgradcheck
from tests.reference import out_size

GAP = 0.01  # how far every sample position stays from a whole pixel


# ---- the reference, from the definition --------------------------------------------------------
def bilinear(image: np.ndarray, y: float, x: float) -> np.ndarray:
    """image (C, H, W) at the fractional (y, x): the four pixels around it, each weighted by
    (1 - |y - row|)(1 - |x - column|); pixels outside the image are 0."""
    _, h, w = image.shape
    value = np.zeros(image.shape[0])
    for row in (math.floor(y), math.floor(y) + 1):
        for col in (math.floor(x), math.floor(x) + 1):
            if 0 <= row < h and 0 <= col < w:
                value += (1 - abs(y - row)) * (1 - abs(x - col)) * image[:, row, col]
    return value


def reference(x: np.ndarray, offset: np.ndarray, w: np.ndarray, b: np.ndarray | None,
              stride: tuple, padding: tuple, dilation: tuple, mask: np.ndarray | None
              ) -> np.ndarray:
    """out[n, o, i, j] = b[o] + sum over the group's channels c and kernel positions (a, e) of
    w[o, c, a, e] * m * x[n, c](i*s - p + a*d + dy, j*s - p + e*d + dx), where (dy, dx) and m
    belong to (a, e), pixel (i, j) and the offset group of c."""
    n, c, h, wd = x.shape
    o_ch, cg, kh, kw = w.shape
    oh, ow = offset.shape[2:]
    groups, offset_groups = c // cg, offset.shape[1] // (2 * kh * kw)
    per_offset_group = c // offset_groups
    out = np.zeros((n, o_ch, oh, ow))
    for k in range(n):
        for i in range(oh):
            for j in range(ow):
                # the columns: every channel read at every kernel position
                cols = np.zeros((c, kh, kw))
                for a in range(kh):
                    for e in range(kw):
                        for g in range(offset_groups):
                            pos = (g * kh + a) * kw + e
                            dy, dx = offset[k, 2 * pos, i, j], offset[k, 2 * pos + 1, i, j]
                            m = 1.0 if mask is None else mask[k, pos, i, j]
                            chans = slice(g * per_offset_group, (g + 1) * per_offset_group)
                            cols[chans, a, e] = m * bilinear(
                                x[k, chans], i * stride[0] - padding[0] + a * dilation[0] + dy,
                                j * stride[1] - padding[1] + e * dilation[1] + dx)
                for o in range(o_ch):
                    g = o // (o_ch // groups)
                    out[k, o, i, j] = np.sum(w[o] * cols[g * cg:(g + 1) * cg])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


# ---- drawn geometries --------------------------------------------------------------------------
@dataclass
class Geometry:
    arrays: dict[str, np.ndarray | None]  # input, offset, weight, bias, mask
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]

    def tensors(self, device: str, requires_grad: bool = False) -> dict[str, Any]:
        return {k: None if a is None else mg.tensor(a, dtype=mg.float64, device=device,
                                                    requires_grad=requires_grad)
                for k, a in self.arrays.items()}

    def call(self, lib: Any, t: dict[str, Any]) -> Any:
        return lib(t["input"], t["offset"], t["weight"], t["bias"], stride=self.stride,
                   padding=self.padding, dilation=self.dilation, mask=t["mask"])


def away_from_pixels(offset: np.ndarray, kernel: tuple, stride: tuple, padding: tuple,
                     dilation: tuple) -> np.ndarray:
    """Offsets moved so that no sample position lies within GAP of a whole pixel."""
    n, channels, oh, ow = offset.shape
    kh, kw = kernel
    a = np.arange(kh).reshape(kh, 1, 1, 1)
    e = np.arange(kw).reshape(1, kw, 1, 1)
    i = np.arange(oh).reshape(1, 1, oh, 1)
    j = np.arange(ow).reshape(1, 1, 1, ow)
    grid = np.stack(np.broadcast_arrays(i * stride[0] - padding[0] + a * dilation[0],
                                        j * stride[1] - padding[1] + e * dilation[1]), axis=2)
    shifts = offset.reshape(n, -1, kh, kw, 2, oh, ow)       # (N, G, kh, kw, (dy, dx), oh, ow)
    frac = shifts + grid - np.round(shifts + grid)
    near = np.abs(frac) < GAP
    shifts = shifts + near * np.where(frac >= 0, 2 * GAP, -2 * GAP)
    return shifts.reshape(n, channels, oh, ow)


@st.composite
def geometries(draw: st.DrawFn, with_mask: bool | None = None, integer_offsets: bool = False,
               zero_offsets: bool = False, max_channels: int = 2) -> Geometry:
    """A random deformable convolution: geometry, groups, offset groups, mask and bias."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    groups, offset_groups = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    c = math.lcm(groups, offset_groups) * draw(st.integers(1, max_channels))
    out_ch = groups * draw(st.integers(1, 2))
    size = [max(1, d * (k - 1) + 1 - 2 * p + draw(st.integers(0, 3)))
            for k, p, d in zip((kh, kw), padding, dilation)]
    oh, ow = (out_size(n, k, d, p, s) for n, k, d, p, s in
              zip(size, (kh, kw), dilation, padding, stride))
    n = draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (n, 2 * offset_groups * kh * kw, oh, ow)
    if zero_offsets:
        offset = np.zeros(shape)
    elif integer_offsets:  # one whole-pixel shift (dy, dx) for every read
        offset = np.zeros(shape)
        offset[:, 0::2], offset[:, 1::2] = rng.integers(-2, 3, 2)
    else:
        offset = away_from_pixels(rng.uniform(-2.5, 2.5, shape), (kh, kw), stride, padding,
                                  dilation)
    use_mask = draw(st.booleans()) if with_mask is None else with_mask
    arrays = {
        "input": rng.standard_normal((n, c, *size)),
        "offset": offset,
        "weight": rng.standard_normal((out_ch, c // groups, kh, kw)),
        "bias": rng.standard_normal(out_ch) if draw(st.booleans()) else None,
        "mask": rng.uniform(0, 1, (n, offset_groups * kh * kw, oh, ow)) if use_mask else None,
    }
    return Geometry(arrays, stride, padding, dilation)


# ---- deform_conv2d against the formula, and its derivatives ------------------------------------
@given(geometry=geometries())
def test_matches_the_formula(backend: str, fast: bool, geometry: Geometry) -> None:
    with fast_paths(fast):
        out = geometry.call(deform_conv2d, geometry.tensors(backend))
    expected = geometry.call(reference, geometry.arrays)
    assert out.device.type == backend
    assert tuple(out.shape) == expected.shape
    assert_close(out.cpu(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck], ids=["first", "second"])
@given(geometry=geometries(with_mask=True, max_channels=1), seed=st.integers(0, 99))
def test_derivatives(check: Any, backend: str, geometry: Geometry, seed: int) -> None:
    """With respect to the input, offset, mask and weight (and bias, when there is one)."""
    t = geometry.tensors(backend, requires_grad=True)
    names = [k for k, v in t.items() if v is not None]

    def f(*xs: Any) -> Any:
        return geometry.call(deform_conv2d, dict(t, **dict(zip(names, xs))))

    assert check(f, tuple(t[k] for k in names), fast_mode=True, seed=seed)


@given(geometry=geometries(zero_offsets=True))
def test_zero_offsets_are_conv2d(backend: str, geometry: Geometry) -> None:
    """With no offsets (and a mask of ones) the reads are conv2d's own."""
    t = geometry.tensors(backend)
    if t["mask"] is not None:
        t["mask"] = mg.ones(*t["mask"].shape, dtype=mg.float64, device=backend)
    out = geometry.call(deform_conv2d, t)
    expected = F.conv2d(t["input"], t["weight"], t["bias"], geometry.stride, geometry.padding,
                        geometry.dilation, groups=t["input"].shape[1] // t["weight"].shape[1])
    assert_close(out.cpu(), expected.cpu(), rtol=0, atol=1e-12)


@given(geometry=geometries(integer_offsets=True, with_mask=False))
def test_whole_pixel_offsets_are_conv2d_of_a_shifted_input(backend: str, geometry: Geometry
                                                           ) -> None:
    """Moving every read by (dy, dx) pixels is conv2d of the input moved by (-dy, -dx): the
    zero-padded input, cut out (dy, dx) further on, convolved without padding."""
    t = geometry.tensors(backend)
    dy, dx = (int(v) for v in geometry.arrays["offset"][0, :2, 0, 0])
    (ph, pw), (h, w), m = geometry.padding, t["input"].shape[2:], 2  # m: the largest shift
    padded = F.pad(t["input"], (pw + m, pw + m, ph + m, ph + m))
    shifted = padded[:, :, m + dy:m + dy + h + 2 * ph, m + dx:m + dx + w + 2 * pw]
    out = geometry.call(deform_conv2d, t)
    expected = F.conv2d(shifted, t["weight"], t["bias"], geometry.stride, 0, geometry.dilation,
                        groups=t["input"].shape[1] // t["weight"].shape[1])
    assert_close(out.cpu(), expected.cpu(), rtol=0, atol=1e-12)


def test_float32_and_the_offsets_gradient_at_the_border() -> None:
    """float32 in, float32 out; a read half a pixel outside the image gets half the edge
    pixel, and its offset's gradient points back into the image."""
    x = mg.ones(1, 1, 2, 2)
    w = mg.ones(1, 1, 1, 1)
    offset = mg.tensor([[[[-0.5, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]]],
                       requires_grad=True)
    out = deform_conv2d(x, offset, w)
    assert out.dtype is mg.float32
    assert_close(out, [[[[0.5, 1.0], [1.0, 1.0]]]])
    out.sum().backward()
    assert offset.grad[0, 0, 0, 0].item() == pytest.approx(1.0)


# ---- nn.DeformConv2d ---------------------------------------------------------------------------
def test_layer_parameters_init_and_repr() -> None:
    mg.manual_seed(0)
    layer = DeformConv2d(4, 6, 3, stride=2, padding=1, dilation=(1, 2), groups=2)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert tuple(layer.weight.shape) == (6, 2, 3, 3) and tuple(layer.bias.shape) == (6,)
    bound = 1 / math.sqrt(2 * 3 * 3)  # kaiming_uniform(a=sqrt(5)) and the bias: 1/sqrt(fan_in)
    for p in layer.parameters():
        assert p.requires_grad and float(p.abs().max()) <= bound
    assert float(layer.weight.abs().max()) > bound / 2
    assert repr(layer) == ("DeformConv2d(4, 6, kernel_size=(3, 3), stride=(2, 2), "
                           "padding=(1, 1), dilation=(1, 2), groups=2)")
    plain = DeformConv2d(3, 5, (1, 2), bias=False)
    assert plain.bias is None and [n for n, _ in plain.named_parameters()] == ["weight"]
    assert repr(plain) == "DeformConv2d(3, 5, kernel_size=(1, 2), stride=(1, 1), bias=False)"
    for args in ((4, 6, 3, 1, 0, 1, 3), (4, 6, 3, 1, 0, 1, 4), (4, 6, 3, 1, 0, 1, 0)):
        with pytest.raises(ValueError, match="divisible by groups|positive integer"):
            DeformConv2d(*args)


def test_layer_forward_and_backward() -> None:
    """The layer's offsets come from an ordinary conv, as in the paper; everything learns."""
    mg.manual_seed(0)
    layer = DeformConv2d(2, 3, 3, padding=1)
    offsets = mg.nn.Conv2d(2, 2 * 9, 3, padding=1)
    masks = mg.nn.Conv2d(2, 9, 3, padding=1)
    x = mg.randn(2, 2, 5, 4, requires_grad=True)
    out = layer(x, offsets(x), masks(x).sigmoid())
    assert tuple(out.shape) == (2, 3, 5, 4)
    (out * out).sum().backward()
    for p in (x, layer.weight, layer.bias, offsets.weight, masks.weight):
        assert p.grad is not None and tuple(p.grad.shape) == tuple(p.shape)
        assert float(p.grad.abs().sum()) > 0
    # no offsets and no mask: the layer is a Conv2d with its weights
    x = mg.randn(1, 2, 4, 4)
    still = layer(x, mg.zeros(1, 18, 4, 4))
    assert_close(still, F.conv2d(x, layer.weight, layer.bias, padding=1), rtol=1e-6, atol=1e-6)


# ---- errors ------------------------------------------------------------------------------------
def test_mismatched_shapes_are_errors() -> None:
    x, w = mg.zeros(1, 4, 5, 5), mg.zeros(6, 2, 3, 3)
    offset, mask = mg.zeros(1, 36, 3, 3), mg.zeros(1, 18, 3, 3)   # two offset groups
    assert tuple(deform_conv2d(x, offset, w, mask=mask).shape) == (1, 6, 3, 3)
    cases = [
        ((mg.zeros(4, 5, 5), offset, w), "4-D input, got input of size \\[4, 5, 5\\]"),
        ((x, mg.zeros(1, 17, 3, 3), w), "offset.shape\\[1\\]=17, while 2 \\* weight.size\\[2\\]"),
        ((x, mg.zeros(1, 30, 3, 3), w), "offset.shape\\[1\\]=30"),
        ((x, offset, mg.zeros(6, 3, 3, 3)), "weight of size \\[6, 3, 3, 3\\], expected input"),
        ((x, offset, mg.zeros(5, 2, 3, 3)), "divides the 5 output channels"),
        ((x, mg.zeros(1, 84, 3, 3), mg.zeros(6, 2, 7, 3)), "output size too small - out_h: -1"),
        ((x, mg.zeros(1, 36, 3, 2), w), "Expected offset of size \\[1, 36, 3, 3\\] .* got "
                                        "\\[1, 36, 3, 2\\]"),
        ((x, mg.zeros(2, 36, 3, 3), w), "Expected offset of size \\[1, 36, 3, 3\\]"),
        ((mg.zeros(1, 3, 5, 5), mg.zeros(1, 36, 3, 3), mg.zeros(6, 3, 3, 3)),
         "3 channels are not divisible by the 2 offset groups"),
    ]
    for args, message in cases:
        with pytest.raises(RuntimeError, match=message):
            deform_conv2d(*args)
    with pytest.raises(RuntimeError, match="Expected mask of size \\[1, 18, 3, 3\\] "
                                           "\\(offset_groups=2\\), but got \\[1, 9, 3, 3\\]"):
        deform_conv2d(x, offset, w, mask=mg.zeros(1, 9, 3, 3))
    with pytest.raises(RuntimeError, match="bias to be 1-dimensional with 6 elements"):
        deform_conv2d(x, offset, w, mg.zeros(5))
    with pytest.raises(RuntimeError, match="offset must have the input's dtype float32"):
        deform_conv2d(x, offset.double(), w)
    with pytest.raises(RuntimeError, match="stride should be greater than zero"):  # torchvision's
        deform_conv2d(x, offset, w, stride=0)                                     # type, too


# ---- torchvision, where it is importable -------------------------------------------------------
def test_matches_torchvision() -> None:
    torch = pytest.importorskip("torch", reason="torchvision's deform_conv2d is the oracle")
    ops = pytest.importorskip("torchvision.ops", reason="torchvision's deform_conv2d is the "
                              "oracle; it is not a dependency of minigrad")

    @given(geometry=geometries())
    def outputs_and_gradients_match(geometry: Geometry) -> None:
        ours = geometry.tensors("cpu", requires_grad=True)
        theirs = {k: None if a is None else torch.tensor(np.array(a), requires_grad=True)
                  for k, a in geometry.arrays.items()}
        out, t_out = geometry.call(deform_conv2d, ours), geometry.call(ops.deform_conv2d, theirs)
        assert_close(out.detach(), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
        upstream = np.random.default_rng(0).standard_normal(tuple(t_out.shape))
        out.backward(mg.tensor(upstream, dtype=mg.float64))
        t_out.backward(torch.tensor(upstream))
        for name, x in ours.items():
            if x is not None:
                assert_close(x.grad.numpy(), theirs[name].grad.numpy(), rtol=1e-9, atol=1e-11,
                             msg=f"gradient of {name}")

    outputs_and_gradients_match()
