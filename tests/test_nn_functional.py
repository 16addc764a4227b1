"""The minigrad.nn.functional table: one row per function, run by tests/op_table.py on every
backend, with the fast paths on and off: its output against reference math written from the
definition (loops, tests/reference.py), its first and second derivatives (gradcheck,
gradgradcheck), and PyTorch where installed. The table comes first, its input strategies after.

Geometries (kernel, stride, padding including 'same'/'valid' and the modes, dilation, groups,
ceil_mode, count_include_pad, divisor_override) are drawn by hypothesis. A row's
``fn(lib, *tensors, **params)`` runs on minigrad and torch alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.testing import assert_close, gradcheck, gradgradcheck
from tests import reference as ref
from tests.op_table import Case, Tolerance, table_tests
from tests.strategies import arrays, away_from, distinct_arrays


def cases() -> list[Case]:
    """The table: one row per function."""
    return [
        Case("conv2d", conv_input(), conv2d_fn, conv2d_ref),
        Case("conv2d_padding_modes", conv_input(modes=True), conv2d_fn, conv2d_ref),
        Case("conv_transpose2d", conv_transpose_input,
             lambda lib, x, w, b=None, **p: lib.conv_transpose2d(x, w, b, **p),
             lambda x, w, b=None, **p: ref.conv_transpose2d(
                 x, w, b, p["stride"], p["padding"], p["output_padding"], p["groups"],
                 p["dilation"])),
        Case("max_pool2d", pool_input("max"), max_pool_fn,
             lambda x, s, **p: ref.max_pool2d(x, p["kernel_size"], s, p["padding"], p["dilation"],
                                              p["ceil_mode"])),
        Case("max_pool2d_indices", pool_input("max"), max_pool_indices_fn, max_pool_indices_ref,
             grad=False),
        Case("avg_pool2d", pool_input("avg"), avg_pool_fn,
             lambda x, s, **p: ref.avg_pool2d(x, p["kernel_size"], s, p["padding"], p["ceil_mode"],
                                              p["count_include_pad"], p["divisor_override"])),
        Case("adaptive_avg_pool2d", adaptive_input,
             lambda lib, x, output_size: lib.adaptive_avg_pool2d(x, output_size),
             lambda x, output_size: ref.adaptive_avg_pool2d(
                 x, output_size[0], x.shape[3] if output_size[1] is None else output_size[1])),
        Case("batch_norm_train", batch_norm_input, bn_train_fn,
             lambda x, w, b, eps, running: ref.batch_norm_train(x, w, b, eps)),
        Case("batch_norm_eval", batch_norm_input, bn_eval_fn, bn_eval_ref),
        Case("linear", linear_input, lambda lib, x, w, b=None: lib.linear(x, w, b),
             lambda x, w, b=None: x @ w.T + (0 if b is None else b)),
        Case("cross_entropy", class_input, cross_entropy_fn, cross_entropy_ref),
        Case("cross_entropy_probs", prob_input,
             lambda lib, x, t, **p: lib.cross_entropy(x, t, **p), prob_ref),
        Case("nll_loss", class_input, nll_fn, nll_ref),
        Case("mse_loss", pair_input(-2, 2, -2, 2), lambda lib, x, t, reduction:
             lib.mse_loss(x, t, reduction=reduction),
             lambda x, t, reduction: reduce_ref((x - t) ** 2, reduction)),
        Case("binary_cross_entropy", pair_input(0.05, 0.95, 0, 1), lambda lib, x, t, reduction:
             lib.binary_cross_entropy(x, t, reduction=reduction),
             lambda x, t, reduction: reduce_ref(-(t * np.log(x) + (1 - t) * np.log(1 - x)),
                                                reduction)),
        Case("bce_with_logits", pair_input(-4, 4, 0, 1, extra=True), bce_logits_fn, bce_logits_ref),
        Case("leaky_relu", one_input(avoid=(0,)), lambda lib, x: lib.leaky_relu(x, 0.1),
             lambda x: np.where(x > 0, x, 0.1 * x)),
        Case("logsigmoid", one_input(-30, 30), lambda lib, x: lib.logsigmoid(x),
             lambda x: -np.logaddexp(0, -x)),
    ]


# ---- input strategies ------------------------------------------------------------------------
def rng_of(data: Any) -> np.random.Generator:
    return np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))


# ---- geometries ------------------------------------------------------------------------------
def conv_input(modes: bool = False) -> Callable:
    def draw(data: Any) -> tuple:
        groups = data.draw(st.integers(1, 2), label="groups")
        cg, og = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
        k = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
        d = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
        s = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
        kind = "int" if modes else data.draw(st.sampled_from(["int", "int", "same", "valid"]))
        p = (data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)))
        if kind == "same":
            s = (1, 1)
            total = [di * (ki - 1) for ki, di in zip(k, d)]
            pads = (total[0] // 2, total[0] - total[0] // 2, total[1] // 2,
                    total[1] - total[1] // 2)
            padding: Any = "same"
        elif kind == "valid":
            pads, padding = (0, 0, 0, 0), "valid"
        else:
            pads, padding = (p[0], p[0], p[1], p[1]), p
        eff = [di * (ki - 1) + 1 for ki, di in zip(k, d)]
        lo = [max(1, eff[0] - pads[0] - pads[1]), max(1, eff[1] - pads[2] - pads[3])]
        mode = data.draw(st.sampled_from(["reflect", "replicate", "circular"])) if modes else (
            "zeros")
        if modes:  # reflect and circular need the pad smaller than the input
            lo = [max(low, pi + 1) for low, pi in zip(lo, p)]
        h, w = data.draw(st.integers(lo[0], lo[0] + 3)), data.draw(st.integers(lo[1], lo[1] + 3))
        n = data.draw(st.integers(1, 2))
        r = rng_of(data)
        x = r.uniform(-1, 1, (n, groups * cg, h, w))
        weight = r.uniform(-1, 1, (groups * og, cg, *k))
        bias = r.uniform(-1, 1, (groups * og,))
        params = {"stride": s, "padding": padding, "dilation": d, "groups": groups,
                  "pads": pads, "mode": mode}
        return ((x, weight, bias) if data.draw(st.booleans()) else (x, weight)), params
    return draw


def conv2d_fn(lib: Any, x: Any, w: Any, b: Any = None, *, stride: Any, padding: Any,
              dilation: Any, groups: int, pads: tuple, mode: str) -> Any:
    if mode != "zeros":  # what Conv2d does for padding_mode: pad, then convolve unpadded
        x = lib.pad(x, (pads[2], pads[3], pads[0], pads[1]), mode=mode)
        padding = 0
    return lib.conv2d(x, w, b, stride, padding, dilation, groups)


def conv2d_ref(x: Any, w: Any, b: Any = None, *, stride: Any, padding: Any, dilation: Any,
               groups: int, pads: tuple, mode: str) -> np.ndarray:
    return ref.conv2d(x, w, b, stride, pads, dilation, groups, mode)


def conv_transpose_input(data: Any) -> tuple:
    groups = data.draw(st.integers(1, 2), label="groups")
    cg, og = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    k = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    s = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    d = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    op = tuple(data.draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d))
    h, w = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    # padding that leaves an output of at least one pixel
    p = tuple(data.draw(st.integers(0, max(0, ((n - 1) * si + di * (ki - 1)) // 2)))
              for n, si, di, ki in zip((h, w), s, d, k))
    r = rng_of(data)
    x = r.uniform(-1, 1, (data.draw(st.integers(1, 2)), groups * cg, h, w))
    weight = r.uniform(-1, 1, (groups * cg, og, *k))
    bias = r.uniform(-1, 1, (groups * og,))
    params = {"stride": s, "padding": p, "output_padding": op, "groups": groups, "dilation": d}
    return ((x, weight, bias) if data.draw(st.booleans()) else (x, weight)), params


def pool_input(kind: str) -> Callable:
    def draw(data: Any) -> tuple:
        k = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
        d = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))) if kind == "max" else (
            1, 1)
        stride = data.draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)))
        s = k if stride is None else stride
        p = tuple(data.draw(st.integers(0, ki // 2)) for ki in k)
        ceil_mode = data.draw(st.booleans())
        eff = [di * (ki - 1) + 1 for ki, di in zip(k, d)]
        h = data.draw(st.integers(max(1, eff[0] - 2 * p[0]), eff[0] + 4))
        w = data.draw(st.integers(max(1, eff[1] - 2 * p[1]), eff[1] + 4))
        shape = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)), h, w)
        x = data.draw(distinct_arrays(shape)) if kind == "max" else data.draw(arrays(shape))
        params: dict[str, Any] = {"kernel_size": k, "stride": stride, "padding": p,
                                  "ceil_mode": ceil_mode, "s": s}
        if kind == "max":
            params["dilation"] = d
            # a dilated window may skip every real pixel: torch returns -inf and an arbitrary
            # index there, so such degenerate geometries are left out
            assume(np.isfinite(ref.max_pool2d(x, k, s, p, d, ceil_mode)).all())
        else:
            params["count_include_pad"] = data.draw(st.booleans())
            params["divisor_override"] = data.draw(st.none() | st.integers(1, 5))
        return (x,), params
    return draw


def max_pool_fn(lib: Any, x: Any, *, s: Any, **p: Any) -> Any:
    return lib.max_pool2d(x, p["kernel_size"], p["stride"], p["padding"], p["dilation"],
                          ceil_mode=p["ceil_mode"])


def max_pool_indices_fn(lib: Any, x: Any, *, s: Any, **p: Any) -> Any:
    return lib.max_pool2d(x, p["kernel_size"], p["stride"], p["padding"], p["dilation"],
                          ceil_mode=p["ceil_mode"], return_indices=True)[1]


def max_pool_indices_ref(x: np.ndarray, *, s: Any, **p: Any) -> np.ndarray:
    """The flat index (row * W + col) of each window's max, by searching the window."""
    k, pad, d = p["kernel_size"], p["padding"], p["dilation"]
    values = ref.max_pool2d(x, k, s, pad, d, p["ceil_mode"])
    n, c, h, w = x.shape
    out = np.zeros(values.shape, dtype=np.int64)
    for idx in np.ndindex(*values.shape):
        b, ch, i, j = idx
        for a in range(k[0]):
            for e in range(k[1]):
                y, xx = i * s[0] - pad[0] + a * d[0], j * s[1] - pad[1] + e * d[1]
                if 0 <= y < h and 0 <= xx < w and x[b, ch, y, xx] == values[idx]:
                    out[idx] = y * w + xx
    return out


def avg_pool_fn(lib: Any, x: Any, *, s: Any, **p: Any) -> Any:
    return lib.avg_pool2d(x, p["kernel_size"], p["stride"], p["padding"], p["ceil_mode"],
                          p["count_include_pad"], p["divisor_override"])


def adaptive_input(data: Any) -> tuple:
    shape = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)),
             data.draw(st.integers(1, 7)), data.draw(st.integers(1, 7)))
    out = (data.draw(st.integers(1, 4)), data.draw(st.none() | st.integers(1, 4)))
    return (data.draw(arrays(shape)),), {"output_size": out}


def batch_norm_input(data: Any) -> tuple:
    ndim = data.draw(st.sampled_from([2, 3, 4]), label="ndim")
    c = data.draw(st.integers(1, 3))
    shape = (data.draw(st.integers(2, 4)), c) + tuple(
        data.draw(st.integers(1, 3)) for _ in range(ndim - 2))
    r = rng_of(data)
    x = r.uniform(-2, 2, shape) + r.uniform(-1, 1, (1, c) + (1,) * (ndim - 2))
    params = {"eps": data.draw(st.sampled_from([1e-5, 1e-3, 0.1])),
              "running": (r.uniform(-1, 1, c), r.uniform(0.5, 2, c))}
    return (x, r.uniform(0.5, 2, c), r.uniform(-1, 1, c)), params


def bn_train_fn(lib: Any, x: Any, w: Any, b: Any, *, eps: float, running: Any) -> Any:
    return lib.batch_norm(x, None, None, w, b, training=True, eps=eps)


def bn_eval_fn(lib: Any, x: Any, w: Any, b: Any, *, eps: float, running: Any) -> Any:
    mean, var = (lib.tensor(a) for a in running)
    return lib.batch_norm(x, mean, var, w, b, training=False, eps=eps)


def bn_eval_ref(x: Any, w: Any, b: Any, *, eps: float, running: Any) -> np.ndarray:
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = (a.reshape(shape) for a in running)
    return (x - mean) / np.sqrt(var + eps) * w.reshape(shape) + b.reshape(shape)


def linear_input(data: Any) -> tuple:
    lead = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    fan_in, fan_out = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    r = rng_of(data)
    arrays_ = (r.uniform(-1, 1, lead + (fan_in,)), r.uniform(-1, 1, (fan_out, fan_in)),
               r.uniform(-1, 1, fan_out))
    return (arrays_ if data.draw(st.booleans()) else arrays_[:2]), {}


def class_input(data: Any) -> tuple:
    """Logits (N, C) or (N, C, d) and class targets, some ignored; reduction, weights, smoothing."""
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 4))
    extra = tuple(data.draw(st.lists(st.integers(1, 3), max_size=1)))
    r = rng_of(data)
    target = r.integers(0, c, (n,) + extra)
    ignore = data.draw(st.sampled_from([-100, 0]))
    if ignore == 0 and (target == 0).all():
        target.flat[0] = 1  # keep at least one target, or the mean is 0/0
    params = {"target": target, "ignore_index": ignore,
              "reduction": data.draw(st.sampled_from(["mean", "sum", "none"])),
              "label_smoothing": data.draw(st.sampled_from([0.0, 0.0, 0.2])),
              "weight": r.uniform(0.5, 2, c) if data.draw(st.booleans()) else None}
    return (r.uniform(-3, 3, (n, c) + extra),), params


def cross_entropy_fn(lib: Any, x: Any, *, target: Any, weight: Any, **p: Any) -> Any:
    w = None if weight is None else lib.tensor(weight)
    return lib.cross_entropy(x, lib.tensor(target), w, **p)


def cross_entropy_ref(x: Any, *, target: Any, weight: Any, **p: Any) -> np.ndarray:
    return ref.cross_entropy(x, target, weight, p["ignore_index"], p["reduction"],
                             p["label_smoothing"])


def nll_fn(lib: Any, x: Any, *, target: Any, weight: Any, label_smoothing: float, **p: Any
           ) -> Any:
    w = None if weight is None else lib.tensor(weight)
    return lib.nll_loss(x, lib.tensor(target), w, **p)


def nll_ref(x: Any, *, target: Any, weight: Any, label_smoothing: float, **p: Any
            ) -> np.ndarray:
    """-x[n, t_n] * w[t_n]; the mean divides by the summed weights of kept targets."""
    ignore, reduction = p["ignore_index"], p["reduction"]
    w = np.ones(x.shape[1]) if weight is None else weight
    loss, total = np.zeros(target.shape), 0.0
    for idx in np.ndindex(*target.shape):
        t = target[idx]
        if t != ignore:
            loss[idx] = -x[(idx[0], t, *idx[1:])] * w[t]
            total += w[t]
    if reduction == "none":
        return loss
    return np.array(loss.sum() if reduction == "sum" else loss.sum() / total)


def prob_input(data: Any) -> tuple:
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 4))
    r = rng_of(data)
    probs = r.uniform(0.1, 1, (n, c))
    probs /= probs.sum(axis=1, keepdims=True)
    params = {"reduction": data.draw(st.sampled_from(["mean", "sum", "none"])),
              "label_smoothing": data.draw(st.sampled_from([0.0, 0.1]))}
    return (r.uniform(-3, 3, (n, c)), probs), params


def prob_ref(x: Any, t: Any, *, reduction: str, label_smoothing: float) -> np.ndarray:
    q = t * (1 - label_smoothing) + label_smoothing / x.shape[1]
    loss = -(q * np.log(ref.softmax(x, 1))).sum(axis=1)
    return {"none": loss, "sum": np.array(loss.sum()), "mean": np.array(loss.mean())}[reduction]


def pair_input(lo: float, hi: float, t_lo: float, t_hi: float, extra: bool = False) -> Callable:
    def draw(data: Any) -> tuple:
        shape = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
        r = rng_of(data)
        params = {"reduction": data.draw(st.sampled_from(["mean", "sum", "none"]))}
        arrays_ = (r.uniform(lo, hi, shape), r.uniform(t_lo, t_hi, shape))
        if extra:
            params["pos_weight"] = r.uniform(0.5, 2, shape[-1]) if data.draw(
                st.booleans()) else None
        return arrays_, params
    return draw


def reduce_ref(loss: np.ndarray, reduction: str) -> np.ndarray:
    return {"none": loss, "sum": np.array(loss.sum()), "mean": np.array(loss.mean())}[reduction]


def bce_logits_fn(lib: Any, x: Any, t: Any, *, reduction: str, pos_weight: Any) -> Any:
    pw = None if pos_weight is None else lib.tensor(pos_weight)
    return lib.binary_cross_entropy_with_logits(x, t, reduction=reduction, pos_weight=pw)


def bce_logits_ref(x: Any, t: Any, *, reduction: str, pos_weight: Any) -> np.ndarray:
    p = 1 / (1 + np.exp(-x))
    pw = 1.0 if pos_weight is None else pos_weight
    return reduce_ref(-(pw * t * np.log(p) + (1 - t) * np.log(1 - p)), reduction)


def one_input(lo: float = -2, hi: float = 2, avoid: tuple[float, ...] = ()) -> Callable:
    def draw(data: Any) -> tuple:
        shape = tuple(data.draw(st.lists(st.integers(1, 4), max_size=3)))
        return (away_from(data.draw(arrays(shape, lo, hi)), avoid),), {}
    return draw


# ---- properties ------------------------------------------------------------------------------
@given(data=st.data())
def test_conv_output_size_formula_and_linearity_in_the_weight(data: Any) -> None:
    (x, w, *_), p = conv_input()(data)
    xt = mg.tensor(x)
    out = conv2d_fn(F, xt, mg.tensor(w), **p)
    top, bottom, left, right = p["pads"]
    for axis, (n, k, d, s, lo, hi) in enumerate(zip(x.shape[2:], w.shape[2:], p["dilation"],
                                                    p["stride"], (top, left), (bottom, right))):
        assert out.shape[2 + axis] == (n + lo + hi - d * (k - 1) - 1) // s + 1
    w2 = np.random.default_rng(1).uniform(-1, 1, w.shape)
    combo = conv2d_fn(F, xt, mg.tensor(2 * w - 3 * w2), **p)
    parts = 2 * out - 3 * conv2d_fn(F, xt, mg.tensor(w2), **p)
    assert_close(combo, parts, rtol=1e-10, atol=1e-12)


@given(data=st.data())
def test_conv_is_translation_equivariant_away_from_borders(data: Any) -> None:
    k = data.draw(st.integers(1, 3))
    shift = data.draw(st.integers(1, 3))
    r = rng_of(data)
    x = np.zeros((1, 2, 12, 12))
    x[:, :, 3:7, 3:7] = r.uniform(-1, 1, (1, 2, 4, 4))  # an object far from every border
    w = mg.tensor(r.uniform(-1, 1, (3, 2, k, k)))
    out = F.conv2d(mg.tensor(x), w).numpy()
    moved = F.conv2d(mg.tensor(np.roll(x, (shift, shift), axis=(2, 3))), w).numpy()
    np.testing.assert_allclose(np.roll(out, (shift, shift), axis=(2, 3)), moved, atol=1e-12)


@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 1), st.booleans(),
       st.floats(-5, 5))
def test_pooling_a_constant_gives_the_constant(k: int, s: int, p: int, ceil_mode: bool,
                                               value: float) -> None:
    p = min(p, k // 2)
    x = mg.full((1, 2, 6, 5), value, dtype=mg.float64)
    assert_close(F.max_pool2d(x, k, s, p, ceil_mode=ceil_mode),
                 mg.full(F.max_pool2d(x, k, s, p, ceil_mode=ceil_mode).shape, value,
                         dtype=mg.float64))
    avg = F.avg_pool2d(x, k, s, p, ceil_mode=ceil_mode, count_include_pad=False)
    assert_close(avg, mg.full(avg.shape, value, dtype=mg.float64), rtol=1e-12, atol=1e-12)


@given(data=st.data())
def test_batch_norm_training_output_is_normalized_per_channel(data: Any) -> None:
    (x, _, _), _ = batch_norm_input(data)
    c = x.shape[1]
    y = F.batch_norm(mg.tensor(x), None, None, training=True, eps=0.0).numpy()
    axes = (0, *range(2, x.ndim))
    spread = x.std(axis=axes) > 1e-3
    np.testing.assert_allclose(y.mean(axis=axes), np.zeros(c), atol=1e-9)
    np.testing.assert_allclose(y.var(axis=axes)[spread], np.ones(c)[spread], rtol=1e-6)


def test_dropout_masks_and_scales_in_training_only() -> None:
    mg.manual_seed(0)
    x = mg.ones(20000)
    y = F.dropout(x, 0.3)
    kept = (y != 0).float().mean().item()
    assert abs(kept - 0.7) < 0.02
    values = np.unique(y.numpy())
    assert len(values) == 2 and values[0] == 0 and values[1] == pytest.approx(1 / 0.7, rel=1e-6)
    assert F.dropout(x, 0.3, training=False) is x
    assert (F.dropout(x, 1.0) == 0).all().item()
    mg.manual_seed(0)
    assert (F.dropout(x, 0.3) == y).all().item()  # the seed reproduces the mask
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)


def test_dropout_gradients(cpu_backend: str) -> None:
    def seeded(t: mg.Tensor) -> mg.Tensor:  # the same mask on every call
        mg.manual_seed(11)
        return F.dropout(t, 0.4)

    x = mg.randn(3, 5, dtype=mg.float64, device=cpu_backend, requires_grad=True)
    assert gradcheck(seeded, (x,)) and gradgradcheck(seeded, (x,))


# ---- regressions small engines got wrong -------------------------------------------------------
def test_max_pool_of_negative_input_with_padding_returns_input_values() -> None:
    x = -mg.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    out = F.max_pool2d(x, 3, stride=1, padding=1)
    assert (out < 0).all().item()  # zero padding would have won every border window
    assert out[0, 0, 0, 0].item() == -1.0 and out[0, 0, 3, 3].item() == -11.0


def test_pooling_stride_defaults_to_the_kernel() -> None:
    x = mg.arange(36.0).reshape(1, 1, 6, 6)
    assert F.max_pool2d(x, 2).shape == (1, 1, 3, 3)
    assert F.avg_pool2d(x, 3).shape == (1, 1, 2, 2)


def test_non_square_kernels_forward_and_backward() -> None:
    x = mg.randn(2, 3, 7, 6, dtype=mg.float64, requires_grad=True)
    w = mg.randn(4, 3, 3, 1, dtype=mg.float64, requires_grad=True)
    out = F.conv2d(x, w, stride=(2, 1), padding=(1, 0))
    assert out.shape == (2, 4, 4, 6)
    expected = ref.conv2d(x.detach().numpy(), w.detach().numpy(), None, (2, 1), (1, 1, 0, 0),
                          (1, 1), 1)
    assert_close(out.detach(), expected)
    assert gradcheck(lambda a, b: F.conv2d(a, b, stride=(2, 1), padding=(1, 0)), (x, w),
                     fast_mode=True)
    assert gradcheck(lambda a: F.max_pool2d(a, (3, 1), (1, 2)), (x,), fast_mode=True)


def test_float32_stays_float32_through_layers_and_losses() -> None:
    x = mg.randn(2, 1, 8, 8)
    w = mg.randn(3, 1, 3, 3)
    y = F.max_pool2d(F.conv2d(x, w, padding=1).sigmoid(), 2)
    y = F.batch_norm(F.avg_pool2d(y, 2), None, None, training=True)
    logits = F.linear(y.flatten(1), mg.randn(5, 12))
    for out in (y, logits, F.cross_entropy(logits, mg.tensor([1, 4])),
                F.mse_loss(logits, mg.zeros(2, 5)),
                F.binary_cross_entropy_with_logits(logits, mg.ones(2, 5)),
                F.binary_cross_entropy(logits.sigmoid(), mg.ones(2, 5))):
        assert out.dtype is mg.float32


def test_bce_gradient_is_finite_at_saturated_probabilities() -> None:
    p = mg.tensor([0.0, 1.0, 0.5], requires_grad=True)
    t = mg.tensor([1.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, t, reduction="sum")
    assert loss.item() == pytest.approx(200 + np.log(2), rel=1e-6)  # each log clamped at -100
    loss.backward()
    assert np.isfinite(p.grad.numpy()).all()


def test_bce_with_logits_gradient_at_zero_logit() -> None:
    x = mg.zeros(3, requires_grad=True)  # a zero-initialized last layer gives exactly 0
    F.binary_cross_entropy_with_logits(x, mg.tensor([0.0, 1.0, 0.3]), reduction="sum").backward()
    assert_close(x.grad, mg.tensor([0.5, -0.5, 0.2]))  # sigmoid(0) - t


# ---- errors name what is wrong --------------------------------------------------------------
def test_errors_are_pytorch_like() -> None:
    x = mg.randn(2, 3, 8, 8)
    with pytest.raises(RuntimeError, match=r"weight of size \[6, 1, 5, 5\], expected input\[2, 3"
                                           r", 8, 8\] to have 1 channels, but got 3"):
        F.conv2d(x, mg.randn(6, 1, 5, 5))
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D"):
        F.conv2d(mg.randn(3, 3), mg.randn(5, 1, 3, 3))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        F.conv2d(x, mg.randn(6, 3, 9, 9))
    with pytest.raises(RuntimeError, match="divisible by 3 at dimension 0"):
        F.conv2d(x, mg.randn(5, 1, 3, 3), groups=3)
    with pytest.raises(RuntimeError, match="pad should be smaller than or equal to half of "
                                           "kernel size, but got padW = 2, padH = 2, kW = 3"):
        F.max_pool2d(x, 3, 1, 2)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(2x5 and 3x4\)"):
        F.linear(mg.randn(2, 5), mg.randn(4, 3))
    with pytest.raises(RuntimeError, match="same dtype"):
        F.linear(mg.randn(2, 3, dtype=mg.float64), mg.randn(4, 3))
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        F.cross_entropy(mg.randn(3, 5), mg.tensor([0, 1, 7]))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.mse_loss(mg.ones(2), mg.ones(2), reduction="foo")
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(mg.tensor([1.5]), mg.tensor([1.0]))
    with pytest.raises(ValueError, match="different to the input size"):
        F.binary_cross_entropy(mg.rand(3, 1), mg.rand(3))
    with pytest.raises(RuntimeError, match=r"running_mean should contain 4 elements not 3 "
                                           r"\(input of shape \(2, 4, 5, 5\)\)"):
        mg.nn.BatchNorm2d(3).eval()(mg.randn(2, 4, 5, 5))
    with pytest.raises(RuntimeError, match="weight should contain 4 elements not 3"):
        F.batch_norm(mg.randn(2, 4), None, None, mg.ones(3), training=True)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        F.batch_norm(mg.randn(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        F.conv_transpose2d(x, mg.randn(3, 2, 3, 3), stride=2, output_padding=2)


def test_max_pool_and_max_dim_route_ties_to_the_first_index_as_torch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle for ties")
    x = np.zeros((1, 2, 4, 4))
    x[0, 1, :2, :2] = 1.0  # a window whose max is tied (all four are 1)
    xm, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_m, idx_m = F.max_pool2d(xm, 2, return_indices=True)
    out_t, idx_t = torch.nn.functional.max_pool2d(xt, 2, return_indices=True)
    assert idx_m.tolist() == idx_t.tolist()
    out_m.sum().backward()
    out_t.sum().backward()
    np.testing.assert_array_equal(xm.grad.numpy(), xt.grad.numpy())
    v = mg.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    values, index = v.max(dim=1)
    assert index.tolist() == [1, 0]
    values.sum().backward()
    assert v.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


test_forward_matches_reference, test_derivatives, test_matches_torch = table_tests(
    cases(), functional=F,
    tol=Tolerance(forward=(1e-9, 1e-11), torch_values=(1e-9, 1e-11), torch_grads=(1e-8, 1e-10)))


POOLS = {
    "max_pool2d": lambda lib, x: lib.max_pool2d(x, 3, 2, 1),
    "avg_pool2d": lambda lib, x: lib.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
    "adaptive_avg_pool2d": lambda lib, x: lib.adaptive_avg_pool2d(x, 3),
}
REFUSED = {"max_pool2d": {"bool"}, "avg_pool2d": {"bool", "uint8", "int32"},
           "adaptive_avg_pool2d": {"bool", "uint8", "int32", "int64"}}


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "textbook"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("name", list(POOLS))
def test_pooling_integers_as_torch_does(name: str, dtype: str, fast: bool) -> None:
    """Integer pooling keeps the dtype (averages truncated toward zero); the dtypes PyTorch's
    kernels lack are refused with its message, on both paths."""
    x = np.arange(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) % 251
    with mg.backends.fast_paths(fast):
        if dtype in REFUSED[name]:
            torch_name = {"bool": "Bool", "uint8": "Byte", "int32": "Int", "int64": "Long"}
            with pytest.raises(NotImplementedError,
                               match=f'"{name}" not implemented for \'{torch_name[dtype]}\''):
                POOLS[name](F, mg.tensor(x.astype(dtype)))
            return
        got = POOLS[name](F, mg.tensor(x.astype(dtype)))
        exact = POOLS[name](F, mg.tensor(x.astype(np.float64))).numpy()
    assert got.dtype.name == dtype
    np.testing.assert_array_equal(got.numpy(), np.trunc(np.round(exact, 9)).astype(dtype))


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "float16"])
@pytest.mark.parametrize("name", list(POOLS))
def test_pooling_other_dtypes_matches_torch(name: str, dtype: str, fast: bool) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here; .ci/run installs it")
    x = (np.arange(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) % 251).astype(dtype)
    try:
        want = POOLS[name](torch.nn.functional, torch.tensor(x)).numpy()
    except NotImplementedError as e:
        with mg.backends.fast_paths(fast), pytest.raises(NotImplementedError, match=str(e)):
            POOLS[name](F, mg.tensor(x))
        return
    with mg.backends.fast_paths(fast):
        got = POOLS[name](F, mg.tensor(x)).numpy()
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=2e-3)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "textbook"])
def test_empty_batches_and_empty_reductions(fast: bool) -> None:
    with mg.backends.fast_paths(fast):
        for pool in POOLS.values():
            assert pool(F, mg.zeros(0, 3, 7, 6)).shape[:2] == (0, 3)
        assert F.conv2d(mg.zeros(0, 3, 7, 6), mg.randn(4, 3, 3, 3)).shape == (0, 4, 5, 4)
        assert mg.zeros(0, 3).max(dim=1).values.shape == (0,)
        with pytest.raises(IndexError, match="Expected reduction dim 1 to have non-zero size"):
            mg.zeros(2, 0).max(dim=1)
