"""The functional ops and layers added for the CNN course's PyTorch code (embedding, distance,
vision, more activations, padding, parameter containers): against reference math written
from the definitions (NumPy loops), float64 finite differences, and torch.nn where importable.
"""

from __future__ import annotations

import contextlib
import math
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.testing import assert_close, gradcheck
from tests import reference as ref
from tests.strategies import arrays, away_from

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def t64(a: np.ndarray, grad: bool = True) -> mg.Tensor:
    return mg.tensor(np.array(a, dtype=np.float64), requires_grad=grad)


# ---- reference math: NumPy loops following the definitions ---------------------------------------
def ref_one_hot(index: np.ndarray, classes: int) -> np.ndarray:
    out = np.zeros(index.shape + (classes,), dtype=np.int64)
    for pos in np.ndindex(index.shape):
        out[pos + (index[pos],)] = 1
    return out


def ref_pixel_shuffle(x: np.ndarray, r: int) -> np.ndarray:
    """Channel c*r*r + i*r + j of pixel (y, x) goes to channel c, pixel (y*r + i, x*r + j)."""
    *batch, c, h, w = x.shape
    out = np.zeros((*batch, c // (r * r), h * r, w * r))
    for b in np.ndindex(*batch):
        for ch in range(c):
            for y in range(h):
                for xx in range(w):
                    o, rest = divmod(ch, r * r)
                    i, j = divmod(rest, r)
                    out[b + (o, y * r + i, xx * r + j)] = x[b + (ch, y, xx)]
    return out


def ref_normalize(x: np.ndarray, p: float, dim: int, eps: float) -> np.ndarray:
    moved = np.moveaxis(x, dim, -1)
    out = np.zeros_like(moved)
    for pos in np.ndindex(moved.shape[:-1]):
        v = moved[pos]
        norm = (np.abs(v) ** p).sum() ** (1 / p)
        out[pos] = v / max(norm, eps)
    return np.moveaxis(out, -1, dim)


def ref_cosine(a: np.ndarray, b: np.ndarray, dim: int, eps: float) -> np.ndarray:
    a, b = np.broadcast_arrays(a, b)
    a, b = np.moveaxis(a, dim, -1), np.moveaxis(b, dim, -1)
    out = np.zeros(a.shape[:-1])
    for pos in np.ndindex(out.shape):
        u, v = a[pos], b[pos]
        out[pos] = sum(u * v) / (max(math.sqrt(sum(u * u)), eps) * max(math.sqrt(sum(v * v)),
                                                                         eps))
    return out


def ref_lrn(x: np.ndarray, size: int, alpha: float, beta: float, k: float) -> np.ndarray:
    """Channel c divided by (k + alpha/size * sum of squares of channels c - size//2 ..
    c + (size-1)//2 that exist)^beta."""
    out = np.zeros_like(x)
    c = x.shape[1]
    for ch in range(c):
        lo, hi = max(ch - size // 2, 0), min(ch + (size - 1) // 2, c - 1)
        s = sum(x[:, j] ** 2 for j in range(lo, hi + 1))
        out[:, ch] = x[:, ch] / (k + alpha / size * s) ** beta
    return out


def ref_affine_grid(theta: np.ndarray, size: tuple, align_corners: bool) -> np.ndarray:
    """grid[n, y, x] = theta[n] @ (x', y', 1), x' the normalized centre of column x."""
    n, _, h, w = size

    def coordinate(i: int, m: int) -> float:
        if m == 1:
            return 0.0
        return -1 + 2 * i / (m - 1) if align_corners else (2 * i + 1) / m - 1

    out = np.zeros((n, h, w, 2))
    for b in range(n):
        for y in range(h):
            for xx in range(w):
                out[b, y, xx] = theta[b] @ np.array([coordinate(xx, w), coordinate(y, h), 1.0])
    return out


def ref_adaptive_avg1d(x: np.ndarray, out: int) -> np.ndarray:
    length = x.shape[-1]
    result = np.zeros(x.shape[:-1] + (out,))
    for i in range(out):
        lo, hi = (i * length) // out, -(-((i + 1) * length) // out)
        result[..., i] = x[..., lo:hi].mean(axis=-1)
    return result


ACTIVATIONS = {  # name: (minigrad's call, the definition in NumPy, kinks to keep away from)
    "hardswish": (F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6, (-3.0, 3.0)),
    "hardsigmoid": (F.hardsigmoid, lambda x: np.clip(x + 3, 0, 6) / 6, (-3.0, 3.0)),
    "mish": (F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), ()),
    "selu": (F.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1)),
             (0.0,)),
    "celu": (lambda x: F.celu(x, 0.7),
             lambda x: np.where(x > 0, x, 0.7 * (np.exp(x / 0.7) - 1)), (0.0,)),
    "prelu": (lambda x: F.prelu(x, mg.tensor([0.3], dtype=x.dtype)),
              lambda x: np.where(x > 0, x, 0.3 * x), (0.0,)),
    "softmin": (lambda x: F.softmin(x, -1), lambda x: ref.softmax(-x, -1), ()),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@given(data=st.data())
def test_activations_follow_their_definitions_and_gradients(name: str, data: Any) -> None:
    ours, definition, kinks = ACTIVATIONS[name]
    x = away_from(data.draw(arrays((3, 5), lo=-5.0, hi=5.0)), kinks)
    assert_close(ours(mg.tensor(x)), definition(x), rtol=1e-12, atol=1e-12)
    assert gradcheck(ours, (t64(x),))


def test_activations_at_their_kinks_take_torchs_branch() -> None:
    """hardswish's derivative (2x + 3) / 6 holds at -3 and 3 (both ends); hardsigmoid's 1/6
    only strictly inside, and 0 at NaN; prelu's slope at 0 is the weight's."""
    x = t64([-3.0, 3.0, float("nan")])
    F.hardswish(x).sum().backward()
    assert_close(x.grad[:2], np.array([-0.5, 1.5]))
    x = t64([-3.0, 3.0, float("nan"), 0.0])
    out = F.hardsigmoid(x)
    out.sum().backward()
    assert np.isnan(out.detach().numpy()[2])
    assert_close(x.grad, np.array([0.0, 0.0, 0.0, 1 / 6]))
    x, w = t64([0.0, -1.0]), t64([0.25])
    F.prelu(x, w).sum().backward()
    assert_close(x.grad, np.array([0.25, 0.25]))
    assert_close(w.grad, np.array([-1.0]))


def test_prelu_has_one_slope_per_channel() -> None:
    x = np.random.default_rng(0).uniform(-2, 2, (2, 3, 4))
    w = np.array([0.1, 0.2, 0.3])
    want = np.where(x > 0, x, w[None, :, None] * x)
    assert_close(F.prelu(mg.tensor(x), mg.tensor(w)), want, rtol=1e-14, atol=0)
    assert gradcheck(F.prelu, (t64(away_from(x, (0.0,))), t64(w)))


# ---- one_hot and embedding -----------------------------------------------------------------------
@given(st.lists(st.integers(0, 6), min_size=0, max_size=12), st.integers(0, 3))
def test_one_hot_is_an_indicator(values: list[int], extra: int) -> None:
    index = np.array(values, dtype=np.int64).reshape(-1)
    classes = (index.max() + 1 if index.size else 1) + extra
    out = F.one_hot(mg.tensor(index), int(classes))
    assert out.dtype is mg.int64
    np.testing.assert_array_equal(out.numpy(), ref_one_hot(index, int(classes)))
    if index.size:  # -1: the largest index + 1 classes
        np.testing.assert_array_equal(F.one_hot(mg.tensor(index)).numpy(),
                                      ref_one_hot(index, int(index.max()) + 1))
    assert F.one_hot(mg.tensor(2), 4).tolist() == [0, 0, 1, 0]


@given(st.integers(0, 2**16), st.sampled_from([None, 0, 3, -1]))
def test_embedding_picks_rows_and_padding_rows_get_no_gradient(seed: int, padding: Any) -> None:
    r = np.random.default_rng(seed)
    weight, index = r.standard_normal((5, 3)), r.integers(0, 5, (2, 4))
    w = t64(weight)
    out = F.embedding(mg.tensor(index), w, padding_idx=padding)
    want = np.zeros((2, 4, 3))
    for pos in np.ndindex(index.shape):
        want[pos] = weight[index[pos]]
    assert_close(out, want, rtol=0, atol=0)
    up = r.standard_normal((2, 4, 3))
    out.backward(mg.tensor(up))
    grad = np.zeros((5, 3))
    for pos in np.ndindex(index.shape):
        if padding is None or index[pos] != padding % 5:
            grad[index[pos]] += up[pos]
    assert_close(w.grad, grad, rtol=1e-14, atol=1e-14)
    if padding is None:  # (with padding the gradient is 0 on purpose, not the derivative)
        assert gradcheck(lambda t: F.embedding(mg.tensor(index), t), (t64(weight),))


def test_embedding_scale_grad_by_freq_and_max_norm() -> None:
    weight, index = np.arange(12.0).reshape(4, 3) / 4, np.array([0, 2, 2, 2, 3])
    w = t64(weight)
    F.embedding(mg.tensor(index), w, scale_grad_by_freq=True).sum().backward()
    assert_close(w.grad, np.array([[1.0] * 3, [0.0] * 3, [1.0] * 3, [1.0] * 3]))  # 3 x 1/3
    w = t64(weight, grad=False)
    out = F.embedding(mg.tensor(index), w, max_norm=1.0)
    for row in range(4):  # rows looked up are rescaled in place to norm 1 (+ torch's 1e-7)
        norm = np.linalg.norm(weight[row])
        want = weight[row] * (1.0 / (norm + 1e-7)) if row in index and norm > 1 else weight[row]
        assert_close(w[row], want, rtol=1e-14, atol=0)
    assert_close(out, w.numpy()[index], rtol=0, atol=0)


def test_embedding_module_init_padding_and_from_pretrained() -> None:
    mg.manual_seed(0)
    layer = nn.Embedding(10, 4, padding_idx=-2)
    assert layer.padding_idx == 8 and layer.weight.shape == (10, 4)
    table = layer.weight.detach().numpy()
    assert (table[8] == 0).all() and table.std() > 0.3
    table = mg.randn(3, 2)
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad and frozen.weight.data is not None
    assert_close(frozen(mg.tensor([2, 0])), table.numpy()[[2, 0]], rtol=0, atol=0)
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


# ---- distance ------------------------------------------------------------------------------------
@given(arrays((3, 4, 2)), st.sampled_from([1.0, 2.0, 3.0, 0.5]), st.integers(-3, 2))
def test_normalize_divides_by_the_clamped_p_norm(x: np.ndarray, p: float, dim: int) -> None:
    assert_close(F.normalize(mg.tensor(x), p, dim), ref_normalize(x, p, dim, 1e-12),
                 rtol=1e-12, atol=1e-14)
    assert gradcheck(lambda t: F.normalize(t, p, dim), (t64(x),))


@given(arrays((3, 4)), arrays((1, 4)), st.sampled_from([0, 1, -1]))
def test_cosine_similarity_follows_its_definition(a: np.ndarray, b: np.ndarray, dim: int
                                                  ) -> None:
    got = F.cosine_similarity(mg.tensor(a), mg.tensor(b), dim)
    assert_close(got, ref_cosine(a, b, dim, 1e-8), rtol=1e-12, atol=1e-14)
    assert np.abs(got.numpy()).max() <= 1.0 + 4 * np.finfo(np.float64).eps  # (a rounding)
    assert gradcheck(lambda u, v: F.cosine_similarity(u, v, dim), (t64(a), t64(b)))
    module = nn.CosineSimilarity(dim)
    assert_close(module(mg.tensor(a), mg.tensor(b)), got.numpy(), rtol=0, atol=0)


def test_cosine_similarity_of_a_short_vector_clamps_its_norm() -> None:
    """A norm below eps counts as eps; the gradient still flows through the norm, as
    torch's in-place clamp under no_grad."""
    a, b = np.array([[3e-9, 4e-9]]), np.array([[1.0, 0.0]])
    assert_close(F.cosine_similarity(mg.tensor(a), mg.tensor(b)), np.array([3e-9 / 1e-8]))
    torch = pytest.importorskip("torch", reason="torch's gradient is the reference")
    xm, xt = t64(a), torch.tensor(a, requires_grad=True)
    F.cosine_similarity(xm, mg.tensor(b)).sum().backward()
    torch.nn.functional.cosine_similarity(xt, torch.tensor(b)).sum().backward()
    assert_close(xm.grad, xt.grad.numpy(), rtol=1e-12, atol=0)


# ---- vision --------------------------------------------------------------------------------------
@given(st.integers(1, 3), st.integers(1, 2), st.integers(1, 3), st.integers(1, 3),
       st.integers(0, 2**16))
def test_pixel_shuffle_and_unshuffle_are_inverse_rearrangements(r: int, c: int, h: int, w: int,
                                                                  seed: int) -> None:
    x = np.random.default_rng(seed).standard_normal((2, c * r * r, h, w))
    out = F.pixel_shuffle(mg.tensor(x), r)
    assert_close(out, ref_pixel_shuffle(x, r), rtol=0, atol=0)
    assert_close(F.pixel_unshuffle(out, r), x, rtol=0, atol=0)
    assert_close(nn.PixelUnshuffle(r)(nn.PixelShuffle(r)(mg.tensor(x))), x, rtol=0, atol=0)
    assert gradcheck(lambda t: F.pixel_shuffle(t, r), (t64(x),))
    unbatched = x[0]  # (C*r*r, H, W): any number of leading dims
    assert_close(F.pixel_shuffle(mg.tensor(unbatched), r), ref_pixel_shuffle(unbatched, r),
                 rtol=0, atol=0)


@given(arrays((2, 5, 3)), st.integers(1, 6), st.sampled_from([(1e-4, 0.75, 1.0),
                                                               (0.5, 0.5, 2.0)]))
def test_local_response_norm_follows_its_definition(x: np.ndarray, size: int,
                                                    settings_: tuple) -> None:
    alpha, beta, k = settings_
    assert_close(F.local_response_norm(mg.tensor(x), size, alpha, beta, k),
                 ref_lrn(x, size, alpha, beta, k), rtol=1e-12, atol=1e-14)
    x4 = np.stack([x, 2 * x], axis=-1)  # (N, C, H, W): the same over the trailing dims
    assert_close(nn.LocalResponseNorm(size, alpha, beta, k)(mg.tensor(x4)),
                 ref_lrn(x4, size, alpha, beta, k), rtol=1e-12, atol=1e-14)
    assert gradcheck(lambda t: F.local_response_norm(t, size, alpha, beta, k), (t64(x),))


@given(st.integers(0, 2**16), st.integers(1, 4), st.integers(1, 4), st.booleans())
def test_affine_grid_maps_normalized_pixel_centres(seed: int, h: int, w: int,
                                                   align_corners: bool) -> None:
    theta = np.random.default_rng(seed).standard_normal((2, 2, 3))
    size = (2, 3, h, w)
    unit = align_corners and min(h, w) == 1  # torch warns of its changed unit-size grids
    with pytest.warns(UserWarning, match="unit-size") if unit else contextlib.nullcontext():
        got = F.affine_grid(mg.tensor(theta), size, align_corners=align_corners)
        assert gradcheck(lambda t: F.affine_grid(t, size, align_corners), (t64(theta),))
    assert_close(got, ref_affine_grid(theta, size, align_corners), rtol=1e-12, atol=1e-14)


def test_affine_grid_identity_then_grid_sample_gives_the_image_back() -> None:
    x = mg.tensor(np.random.default_rng(0).standard_normal((1, 2, 3, 5)))
    theta = mg.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], dtype=mg.float64)
    for corners in (True, False):
        grid = F.affine_grid(theta, (1, 2, 3, 5), align_corners=corners)
        assert_close(F.grid_sample(x, grid, align_corners=corners), x.numpy(), atol=1e-12)
    volume = F.affine_grid(mg.tensor(np.eye(3, 4)[None]), (1, 1, 2, 3, 4), align_corners=True)
    assert volume.shape == (1, 2, 3, 4, 3)
    assert_close(volume[0, 1, 2, 3], np.array([1.0, 1.0, 1.0]))


# ---- pooling, folding, padding -------------------------------------------------------------------
@given(arrays((2, 3, 7)), st.integers(1, 7))
def test_adaptive_pools_1d_average_and_max_over_their_windows(x: np.ndarray, out: int) -> None:
    assert_close(F.adaptive_avg_pool1d(mg.tensor(x), out), ref_adaptive_avg1d(x, out),
                 rtol=1e-12, atol=1e-14)
    assert_close(nn.AdaptiveAvgPool1d(out)(mg.tensor(x[0])), ref_adaptive_avg1d(x[0], out),
                 rtol=1e-12, atol=1e-14)
    values, index = nn.AdaptiveMaxPool1d(out, return_indices=True)(mg.tensor(x))
    for i in range(out):
        lo, hi = (i * 7) // out, -(-((i + 1) * 7) // out)
        assert_close(values[..., i], x[..., lo:hi].max(axis=-1), rtol=0, atol=0)
        np.testing.assert_array_equal(index.numpy()[..., i], lo + x[..., lo:hi].argmax(-1))
    assert gradcheck(lambda t: F.adaptive_avg_pool1d(t, out), (t64(x),))


def test_unfold_and_fold_modules_are_im2col_and_col2im() -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 6))
    window = ((2, 3), (1, 2), (1, 0), (2, 1))  # kernel, dilation, padding, stride
    cols = nn.Unfold(*window)(mg.tensor(x))
    assert_close(cols, ref.unfold(x, *window), rtol=0, atol=0)
    assert_close(nn.Fold((5, 6), *window)(cols), ref.fold(cols.numpy(), (5, 6), *window),
                 rtol=1e-14, atol=1e-14)


PADS = {  # module from an nn namespace, F.pad mode and widths for the reference, input shape
    "ReflectionPad1d": (lambda nn: nn.ReflectionPad1d((2, 1)), "reflect", (2, 1), (2, 3, 4)),
    "ReflectionPad2d": (lambda nn: nn.ReflectionPad2d(2), "reflect", (2,) * 4, (2, 3, 4)),
    "ReflectionPad3d": (lambda nn: nn.ReflectionPad3d((1, 0, 1, 2, 0, 1)), "reflect",
                        (1, 0, 1, 2, 0, 1), (1, 2, 3, 3, 4)),
    "ReplicationPad1d": (lambda nn: nn.ReplicationPad1d(3), "replicate", (3, 3), (3, 2)),
    "ReplicationPad2d": (lambda nn: nn.ReplicationPad2d((0, 1, 4, 2)), "replicate",
                         (0, 1, 4, 2), (1, 2, 3, 2)),
    "ReplicationPad3d": (lambda nn: nn.ReplicationPad3d(1), "replicate", (1,) * 6,
                         (2, 2, 2, 3)),
    "ConstantPad1d": (lambda nn: nn.ConstantPad1d((1, -1), 2.5), "constant", (1, -1),
                      (2, 4)),
    "ConstantPad2d": (lambda nn: nn.ConstantPad2d(1, -1.0), "constant", (1,) * 4, (2, 2, 3)),
    "ConstantPad3d": (lambda nn: nn.ConstantPad3d((1, 2, 0, 0, 2, 1), 3.0), "constant",
                      (1, 2, 0, 0, 2, 1), (1, 2, 2, 2)),
    "ZeroPad1d": (lambda nn: nn.ZeroPad1d(2), "constant", (2, 2), (3, 4)),
    "ZeroPad3d": (lambda nn: nn.ZeroPad3d((0, 1, 1, 0, 1, 1)), "constant", (0, 1, 1, 0, 1, 1),
                  (1, 1, 2, 2, 2)),
}


@pytest.mark.parametrize("name", list(PADS))
def test_padding_modules_pad_as_np_pad(name: str) -> None:
    build, mode, widths, shape = PADS[name]
    layer = build(nn)
    x = np.random.default_rng(1).standard_normal(shape)
    value = getattr(layer, "value", 0.0)
    assert_close(layer(mg.tensor(x)), ref.pad(x, list(widths), mode, value), rtol=0, atol=0)
    assert gradcheck(layer, (t64(x),))


# ---- parameter containers ------------------------------------------------------------------------
def test_parameter_list_registers_what_it_holds() -> None:
    holder = nn.ParameterList([mg.zeros(2), nn.Parameter(mg.ones(3)), "not a tensor"])
    holder.append(mg.ones(1))
    holder += [mg.zeros(4)]
    assert len(holder) == 5 and isinstance(holder[0], nn.Parameter) and holder[2] == "not a tensor"
    assert [n for n, _ in holder.named_parameters()] == ["0", "1", "3", "4"]
    assert list(holder.state_dict()) == ["0", "1", "3", "4"]
    assert holder[-1].shape == (4,) and len(holder[1:4]) == 3
    holder[0] = mg.full((2,), 7.0)
    assert isinstance(holder[0], nn.Parameter) and holder[0].tolist() == [7.0, 7.0]
    with pytest.raises(IndexError, match="index 5 is out of range"):
        holder[5]
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        holder(mg.zeros(1))
    model = nn.Linear(2, 2)
    model.extra = nn.ParameterList([mg.zeros(1)])
    assert "extra.0" in model.state_dict() and len(list(model.parameters())) == 3


def test_parameter_dict_registers_what_it_holds() -> None:
    holder = nn.ParameterDict({"b": mg.zeros(2), "a": nn.Parameter(mg.ones(1))})
    assert list(holder) == ["a", "b"]  # a plain dict is taken in sorted key order, as torch's
    holder["c"] = mg.ones(3)
    holder.update([("d", mg.zeros(1))])
    assert list(holder.state_dict()) == ["a", "b", "c", "d"]
    assert isinstance(holder["c"], nn.Parameter) and "c" in holder and len(holder) == 4
    assert holder.pop("b").shape == (2,) and list(holder.keys()) == ["a", "c", "d"]
    assert holder.popitem()[0] == "d" and holder.get("zz", 5) == 5
    assert list(holder.setdefault("e", mg.ones(2)).shape) == [2]
    ordered = nn.ParameterDict(OrderedDict([("z", mg.zeros(1)), ("y", mg.zeros(1))]))
    assert list(ordered) == ["z", "y"] and list((holder | ordered).keys())[-2:] == ["z", "y"]
    with pytest.raises(TypeError, match="not a string"):
        holder[1]
    with pytest.raises(ValueError, match="has length 3; 2 is required"):
        holder.update([("a", 1, 2)])
    holder.clear()
    assert len(holder) == 0 and not list(holder.parameters())


# ---- PyTorch as the oracle: the modules' state_dict keys, reprs, values and gradients ------------
def zoo(nn: Any) -> Any:
    """One of each new module, with settings that show in the repr."""
    return nn.Sequential(OrderedDict([
        ("emb", nn.Embedding(7, 3)), ("emb2", nn.Embedding(7, 3, padding_idx=2, max_norm=1.5,
                                                           norm_type=1.0)),
        ("prelu", nn.PReLU()), ("prelu3", nn.PReLU(3, 0.1)), ("hs", nn.Hardswish()),
        ("hsig", nn.Hardsigmoid(True)), ("mish", nn.Mish(True)), ("selu", nn.SELU()),
        ("celu", nn.CELU(0.5, True)), ("smin", nn.Softmin(1)), ("ps", nn.PixelShuffle(2)),
        ("pu", nn.PixelUnshuffle(3)), ("cos", nn.CosineSimilarity(0, 1e-3)),
        ("lrn", nn.LocalResponseNorm(3, 1e-3, 0.5, 2.0)), ("aap", nn.AdaptiveAvgPool1d(3)),
        ("amp", nn.AdaptiveMaxPool1d(2, True)), ("unf", nn.Unfold((2, 3), 2, 1, 2)),
        ("fold", nn.Fold((4, 5), 2)), ("rp", nn.ReflectionPad2d((1, 2, 3, 4))),
        ("rp1", nn.ReflectionPad1d(2)), ("rep", nn.ReplicationPad3d(1)),
        ("cp", nn.ConstantPad2d(1, 3.5)), ("zp1", nn.ZeroPad1d((1, 2))),
        ("plist", nn.ParameterList([nn.Parameter(nn.init.zeros_(nn.Linear(2, 2).weight))])),
    ]))


def test_keys_and_reprs_match_torch() -> None:
    torch = pytest.importorskip("torch", reason="torch.nn is the reference for names")
    ours, theirs = zoo(nn), zoo(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for key, value in theirs.state_dict().items():
        assert tuple(ours.state_dict()[key].shape) == tuple(value.shape), key
    assert repr(ours).replace("minigrad.", "torch.") == repr(theirs)
    assert_close(ours.prelu3.weight, np.full(3, 0.1, np.float32))
    assert (ours.emb2.weight[2].detach().numpy() == 0).all()


MODULES = {  # name: (build from an nn namespace, input shapes; float64, random parameters)
    "Embedding": (lambda nn: nn.Embedding(6, 3, padding_idx=1), "index"),
    "Embedding-freq": (lambda nn: nn.Embedding(6, 2, scale_grad_by_freq=True), "index"),
    "PReLU": (lambda nn: nn.PReLU(), [(2, 3, 4)]),
    "PReLU-channels": (lambda nn: nn.PReLU(3), [(2, 3, 2, 2)]),
    "Hardswish": (lambda nn: nn.Hardswish(), [(2, 3, 5)]),
    "Hardsigmoid": (lambda nn: nn.Hardsigmoid(), [(2, 3, 5)]),
    "Mish": (lambda nn: nn.Mish(), [(2, 3, 5)]),
    "SELU": (lambda nn: nn.SELU(), [(2, 3, 5)]),
    "CELU": (lambda nn: nn.CELU(1.5), [(2, 3, 5)]),
    "Softmin": (lambda nn: nn.Softmin(dim=1), [(2, 3, 5)]),
    "PixelShuffle": (lambda nn: nn.PixelShuffle(2), [(2, 8, 2, 3)]),
    "PixelUnshuffle": (lambda nn: nn.PixelUnshuffle(2), [(2, 1, 4, 6)]),
    "CosineSimilarity": (lambda nn: nn.CosineSimilarity(dim=-1), [(3, 4), (1, 4)]),
    "LocalResponseNorm": (lambda nn: nn.LocalResponseNorm(2, 0.1, 0.8, 1.5), [(2, 5, 2, 3)]),
    "AdaptiveAvgPool1d": (lambda nn: nn.AdaptiveAvgPool1d(4), [(2, 3, 7)]),
    "AdaptiveMaxPool1d": (lambda nn: nn.AdaptiveMaxPool1d(3), [(2, 3, 7)]),
    "Unfold": (lambda nn: nn.Unfold(2, padding=1, stride=2), [(2, 3, 4, 5)]),
    "Fold": (lambda nn: nn.Fold((3, 4), 2), [(2, 8, 6)]),
    "ReflectionPad2d": (lambda nn: nn.ReflectionPad2d((1, 0, 2, 1)), [(2, 2, 3, 4)]),
    "ReplicationPad1d": (lambda nn: nn.ReplicationPad1d(3), [(2, 2, 3)]),
    "ConstantPad3d": (lambda nn: nn.ConstantPad3d(1, 0.5), [(1, 2, 2, 3)]),
}


@pytest.mark.parametrize("name", list(MODULES))
def test_modules_forward_and_backward_match_torch(name: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    build, shapes = MODULES[name]
    theirs, ours = build(torch.nn).double(), build(nn).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(-1.0, 1.0)
    ours.load_state_dict({k: v.numpy().copy() for k, v in theirs.state_dict().items()})
    r = np.random.default_rng(3)
    if shapes == "index":
        index = r.integers(0, 6, (3, 4))
        inputs_m, inputs_t = [mg.tensor(index)], [torch.tensor(index)]
    else:
        xs = [r.uniform(-4, 4, s) for s in shapes]
        inputs_m = [mg.tensor(x, requires_grad=True) for x in xs]
        inputs_t = [torch.tensor(x, requires_grad=True) for x in xs]
    out_m, out_t = ours(*inputs_m), theirs(*inputs_t)
    assert_close(out_m.detach(), out_t.detach().numpy(), rtol=1e-12, atol=1e-13)
    up = r.standard_normal(tuple(out_t.shape))
    out_m.backward(mg.tensor(up))
    out_t.backward(torch.tensor(up))
    # torch's hardsigmoid backward multiplies by 1.0f / 6.0f, a float32 sixth, in float64 too
    rtol = 1e-7 if name == "Hardsigmoid" else 1e-10
    for xm, xt in zip(inputs_m, inputs_t):
        if xt.requires_grad:
            assert_close(xm.grad, xt.grad.numpy(), rtol=rtol, atol=1e-12)
    for (key, pm), pt in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(pm.grad, pt.grad.numpy(), rtol=1e-10, atol=1e-12, msg=key)


def test_one_hot_and_affine_grid_match_torch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    index = np.array([[0, 4, 2], [1, 1, 3]])
    for classes in (-1, 6):
        np.testing.assert_array_equal(
            F.one_hot(mg.tensor(index), classes).numpy(),
            torch.nn.functional.one_hot(torch.tensor(index), classes).numpy())
    theta = np.random.default_rng(0).standard_normal((2, 3, 4))
    for corners in (True, False):
        tm, tt = t64(theta), torch.tensor(theta, requires_grad=True)
        with pytest.warns(UserWarning) if corners else contextlib.nullcontext():  # unit size
            gm = F.affine_grid(tm, (2, 1, 2, 1, 3), align_corners=corners)
            gt = torch.nn.functional.affine_grid(tt, (2, 1, 2, 1, 3), align_corners=corners)
        assert_close(gm.detach(), gt.detach().numpy(), rtol=1e-12, atol=1e-14)
        up = np.random.default_rng(1).standard_normal(tuple(gt.shape))
        gm.backward(mg.tensor(up))
        gt.backward(torch.tensor(up))
        assert_close(tm.grad, tt.grad.numpy(), rtol=1e-12, atol=1e-13)


# ---- errors: torch's type, and its message where it names no library type ------------------------
def ones(lib: Any, *shape: int, dtype: str = "float32") -> Any:
    return lib.ones(*shape, dtype=getattr(lib, dtype))


BAD = {  # name: a call that fails in torch and in minigrad, from (functional, nn, lib)
    "one_hot-float": lambda f, nn, lib: f.one_hot(ones(lib, 3), 3),
    "one_hot-negative": lambda f, nn, lib: f.one_hot(-ones(lib, 2, dtype="int64")),
    "one_hot-too-few": lambda f, nn, lib: f.one_hot(ones(lib, 2, dtype="int64") * 3, 3),
    "one_hot-empty": lambda f, nn, lib: f.one_hot(ones(lib, 0, dtype="int64")),
    "one_hot-classes": lambda f, nn, lib: f.one_hot(ones(lib, 2, dtype="int64"), 3.0),
    "embedding-float-index": lambda f, nn, lib: f.embedding(ones(lib, 2), ones(lib, 3, 2)),
    "embedding-1d-weight": lambda f, nn, lib: f.embedding(ones(lib, 2, dtype="int64"),
                                                          ones(lib, 3)),
    "embedding-padding": lambda f, nn, lib: f.embedding(ones(lib, 2, dtype="int64"),
                                                        ones(lib, 3, 2), padding_idx=3),
    "embedding-range": lambda f, nn, lib: f.embedding(ones(lib, 2, dtype="int64") * 3,
                                                      ones(lib, 3, 2)),
    "Embedding-padding": lambda f, nn, lib: nn.Embedding(3, 2, padding_idx=-4),
    "normalize-int": lambda f, nn, lib: f.normalize(ones(lib, 2, 2, dtype="int64")),
    "cosine-int": lambda f, nn, lib: f.cosine_similarity(ones(lib, 2, 2, dtype="int64"),
                                                         ones(lib, 2, 2, dtype="int64")),
    "pixel_shuffle-dims": lambda f, nn, lib: f.pixel_shuffle(ones(lib, 4, 2), 2),
    "pixel_shuffle-channels": lambda f, nn, lib: f.pixel_shuffle(ones(lib, 5, 2, 2), 2),
    "pixel_shuffle-factor": lambda f, nn, lib: f.pixel_shuffle(ones(lib, 4, 2, 2), 0),
    "pixel_shuffle-float": lambda f, nn, lib: nn.PixelShuffle(2.0)(ones(lib, 4, 2, 2)),
    "pixel_unshuffle-height": lambda f, nn, lib: f.pixel_unshuffle(ones(lib, 1, 3, 2), 2),
    "pixel_unshuffle-width": lambda f, nn, lib: f.pixel_unshuffle(ones(lib, 1, 2, 3), 2),
    "hardswish-int": lambda f, nn, lib: f.hardswish(ones(lib, 2, dtype="int64")),
    "hardsigmoid-int": lambda f, nn, lib: nn.Hardsigmoid()(ones(lib, 2, dtype="int64")),
    "mish-int": lambda f, nn, lib: f.mish(ones(lib, 2, dtype="int64")),
    "selu-int": lambda f, nn, lib: nn.SELU()(ones(lib, 2, dtype="int64")),
    "celu-zero": lambda f, nn, lib: f.celu(ones(lib, 2), alpha=0.0),
    "prelu-channels": lambda f, nn, lib: nn.PReLU(3)(ones(lib, 2, 4)),
    "prelu-2d-weight": lambda f, nn, lib: f.prelu(ones(lib, 2, 4), ones(lib, 4, 1)),
    "prelu-0d-input": lambda f, nn, lib: f.prelu(ones(lib), ones(lib, 2)),
    "adaptive_avg_pool1d-dims": lambda f, nn, lib: nn.AdaptiveAvgPool1d(2)(ones(lib, 4)),
    "adaptive_avg_pool1d-size": lambda f, nn, lib: f.adaptive_avg_pool1d(ones(lib, 1, 4),
                                                                         (2, 2)),
    "adaptive_max_pool1d-dims": lambda f, nn, lib: f.adaptive_max_pool1d(
        ones(lib, 1, 3, 4, 4), 2),
    "adaptive_max_pool1d-int": lambda f, nn, lib: f.adaptive_max_pool1d(
        ones(lib, 1, 3, dtype="int64"), 1),
    "lrn-dims": lambda f, nn, lib: nn.LocalResponseNorm(2)(ones(lib, 3, 4)),
    "affine_grid-dims": lambda f, nn, lib: f.affine_grid(ones(lib, 1, 2, 3), (1, 2, 2),
                                                         align_corners=False),
    "affine_grid-size": lambda f, nn, lib: f.affine_grid(ones(lib, 1, 2, 3), (1, 1, 0, 2),
                                                         align_corners=False),
    "affine_grid-batch": lambda f, nn, lib: f.affine_grid(ones(lib, 2, 2, 3), (1, 1, 2, 2),
                                                          align_corners=False),
    "affine_grid-theta": lambda f, nn, lib: f.affine_grid(ones(lib, 1, 3, 3), (1, 1, 2, 2),
                                                          align_corners=False),
    "ParameterList-call": lambda f, nn, lib: nn.ParameterList()(ones(lib, 1)),
    "ParameterDict-key": lambda f, nn, lib: nn.ParameterDict()[0],
}
MESSAGE_NAMES_A_TYPE = {"embedding-range", "affine_grid-theta"}  # torch.Size, or our detail


@pytest.mark.parametrize("name", list(BAD))
def test_errors_match_torch(name: str) -> None:
    torch = pytest.importorskip("torch", reason="torch's errors are the reference")
    with pytest.raises(Exception) as theirs:  # noqa: B017  (whatever torch raises)
        BAD[name](torch.nn.functional, torch.nn, torch)
    with pytest.raises(type(theirs.value)) as ours:
        BAD[name](F, nn, mg)
    if name in MESSAGE_NAMES_A_TYPE:
        assert str(ours.value).split(" (")[0].split("Got")[0] == \
            str(theirs.value).split(" (")[0].split("Got")[0]
    else:
        assert str(ours.value) == str(theirs.value)


def test_implicit_dimensions_and_align_corners_warn_as_torch() -> None:
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        out = F.softmin(mg.tensor([[1.0, 2.0]]))
    assert_close(out, ref.softmax(-np.array([[1.0, 2.0]]), 1))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.affine_grid(mg.zeros(1, 2, 3), (1, 1, 2, 2))
    with pytest.raises(NotImplementedError, match="sparse"):
        F.embedding(mg.tensor([0]), mg.ones(2, 2), sparse=True)
