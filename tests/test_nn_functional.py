"""The minigrad.nn.functional table: one row per function, run by tests/op_table.py on every
backend, with the fast paths on and off: its output against reference math written from the
definition (loops, tests/reference.py), its first and second derivatives (gradcheck,
gradgradcheck), and PyTorch where installed. The table comes first, its input strategies after.

Geometries (kernel, stride, padding including 'same'/'valid' and the modes, dilation, groups,
ceil_mode, count_include_pad, divisor_override) are drawn by hypothesis. A row's
``fn(lib, *tensors, **params)`` runs on minigrad and torch alike.
"""

from __future__ import annotations

import math
import warnings
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
        # activations
        Case("gelu", one_input(-4, 4, params={"approximate": st.sampled_from(["none", "tanh"])}),
             lambda lib, x, approximate: lib.gelu(x, approximate=approximate), gelu_ref),
        Case("silu", one_input(-5, 5), lambda lib, x: lib.silu(x), lambda x: x / (1 + np.exp(-x))),
        Case("elu", one_input(avoid=(0,), params={"alpha": st.sampled_from([0.5, 1.0, 1.7])}),
             lambda lib, x, alpha: lib.elu(x, alpha),
             lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))),
        Case("hardtanh", hardtanh_input, lambda lib, x, lo, hi: lib.hardtanh(x, lo, hi),
             lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi)),
        Case("relu6", one_input(-3, 9, avoid=(0, 6)), lambda lib, x: lib.relu6(x),
             lambda x: np.minimum(np.maximum(x, 0), 6)),
        Case("softplus", softplus_input,
             lambda lib, x, beta, threshold: lib.softplus(x, beta, threshold),
             lambda x, beta, threshold: np.where(beta * x > threshold, x,
                                                 np.log1p(np.exp(beta * x)) / beta)),
        # normalization
        Case("layer_norm", layer_norm_input, layer_norm_fn, layer_norm_ref),
        Case("group_norm", group_norm_input, group_norm_fn, group_norm_ref,
             # torch 2.13's backward fails ("tensor does not have a device") for a bias alone
             torch_can=lambda p: p["has"] != (False, True)),
        Case("instance_norm", instance_norm_input, instance_norm_fn, instance_norm_ref),
        # losses
        Case("l1_loss", pair_input(-2, 2, -2, 2, weighted=True), l1_fn, l1_ref),
        Case("smooth_l1_loss", pair_input(-2, 2, -2, 2, beta=[0.0, 0.5, 1.0]),
             lambda lib, x, t, reduction, beta: lib.smooth_l1_loss(x, t, reduction=reduction,
                                                                   beta=beta),
             lambda x, t, reduction, beta: reduce_ref(
                 huber(x - t, beta) / beta if beta else np.abs(x - t), reduction)),
        Case("huber_loss", pair_input(-2, 2, -2, 2, weighted=True, delta=[0.5, 1.0, 2.0]),
             huber_fn, huber_ref),
        Case("kl_div", kl_input, kl_fn, kl_ref),
        # one-dimensional layers, resampling
        Case("conv1d", conv1d_input, lambda lib, x, w, b=None, **p: lib.conv1d(x, w, b, **p),
             conv1d_ref),
        Case("max_pool1d", pool1d_input("max"), max_pool1d_fn, max_pool1d_ref),
        Case("avg_pool1d", pool1d_input("avg"), avg_pool1d_fn, avg_pool1d_ref),
        Case("adaptive_max_pool2d", adaptive_input_distinct,
             lambda lib, x, output_size: lib.adaptive_max_pool2d(x, output_size),
             lambda x, output_size: adaptive_max_ref(x, output_size)[0]),
        Case("adaptive_max_pool2d_indices", adaptive_input_distinct,
             lambda lib, x, output_size: lib.adaptive_max_pool2d(x, output_size, True)[1],
             lambda x, output_size: adaptive_max_ref(x, output_size)[1], grad=False),
        Case("interpolate_nearest", resize_input("nearest"), interpolate_fn, nearest_ref),
        Case("interpolate_bilinear", resize_input("bilinear"), interpolate_fn, bilinear_ref),
        Case("interpolate_nearest_exact", resize_input("nearest-exact"), interpolate_fn,
             nearest_ref),
        Case("interpolate_area", resize_input("area"), interpolate_fn, area_ref),
        Case("interpolate_linear", resize_input("linear"), interpolate_fn,
             lambda x, **p: bilinear_ref(x[:, :, None], **{**p, **one_row(p)})[:, :, 0]),
        Case("grid_sample", grid_input,
             lambda lib, x, grid, align_corners, padding_mode: lib.grid_sample(
                 x, grid, padding_mode=padding_mode, align_corners=align_corners),
             grid_sample_ref),
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


def pair_input(lo: float, hi: float, t_lo: float, t_hi: float, extra: bool = False,
               weighted: bool = False, **choices: list) -> Callable:
    """Input and target of one shape; the reduction, and: a pos_weight (``extra``), a weight
    of the input's shape or None (``weighted``), a value for each named list of ``choices``."""
    def draw(data: Any) -> tuple:
        shape = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
        r = rng_of(data)
        params = {"reduction": data.draw(st.sampled_from(["mean", "sum", "none"]))}
        arrays_ = (r.uniform(lo, hi, shape), r.uniform(t_lo, t_hi, shape))
        if extra:
            params["pos_weight"] = r.uniform(0.5, 2, shape[-1]) if data.draw(
                st.booleans()) else None
        if weighted:
            params["weight"] = r.uniform(0.1, 2, shape) if data.draw(st.booleans()) else None
        for name, values in choices.items():
            params[name] = data.draw(st.sampled_from(values))
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


def one_input(lo: float = -2, hi: float = 2, avoid: tuple[float, ...] = (),
              params: dict[str, st.SearchStrategy] | None = None) -> Callable:
    """One array in [lo, hi), away from the kinks in ``avoid``; ``params`` drawn by name."""
    def draw(data: Any) -> tuple:
        shape = tuple(data.draw(st.lists(st.integers(1, 4), max_size=3)))
        drawn = {name: data.draw(s) for name, s in (params or {}).items()}
        return (away_from(data.draw(arrays(shape, lo, hi)), avoid),), drawn
    return draw


# ---- activations -----------------------------------------------------------------------------
def gelu_ref(x: Any, approximate: str) -> np.ndarray:
    """x Phi(x) with Phi from math.erf; or its tanh form."""
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    return x * 0.5 * (1 + np.vectorize(math.erf, otypes=[float])(x / np.sqrt(2)))


def hardtanh_input(data: Any) -> tuple:
    lo = data.draw(st.sampled_from([-1.0, -0.5, 0.0]))
    hi = lo + data.draw(st.sampled_from([0.5, 1.0, 2.0]))
    (x,), _ = one_input(-2, 2, avoid=(lo, hi))(data)
    return (x,), {"lo": lo, "hi": hi}


def softplus_input(data: Any) -> tuple:
    beta, threshold = data.draw(st.sampled_from([0.5, 1.0, 2.0])), data.draw(
        st.sampled_from([1.0, 20.0]))
    (x,), _ = one_input(-3, 3, avoid=(threshold / beta,))(data)  # torch's jump at the threshold
    return (x,), {"beta": beta, "threshold": threshold}


# ---- normalization -----------------------------------------------------------------------------
def affine_arrays(data: Any, x: np.ndarray, shape: tuple) -> tuple:
    """x, then a weight and a bias of ``shape`` (each present or not: None in the params)."""
    r = rng_of(data)
    w = r.uniform(0.5, 2, shape) if data.draw(st.booleans()) else None
    b = r.uniform(-1, 1, shape) if data.draw(st.booleans()) else None
    return (x, *[a for a in (w, b) if a is not None]), {"has": (w is not None, b is not None)}


def split_affine(arrays_: tuple, has: tuple) -> tuple:
    """(x, weight or None, bias or None) from affine_arrays' arrays."""
    rest = iter(arrays_[1:])
    return (arrays_[0], *[next(rest) if h else None for h in has])


def layer_norm_input(data: Any) -> tuple:
    lead = tuple(data.draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    norm = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    assume(np.prod(norm) > 1)
    x = data.draw(arrays(lead + norm))
    arrays_, params = affine_arrays(data, x, norm)
    return arrays_, {**params, "eps": data.draw(st.sampled_from([1e-5, 0.1]))}


def layer_norm_fn(lib: Any, *arrays_: Any, has: tuple, eps: float) -> Any:
    x, w, b = split_affine(arrays_, has)
    norm = x.shape[x.ndim - (w.ndim if w is not None else b.ndim if b is not None else 1):]
    return lib.layer_norm(x, list(norm), w, b, eps)


def layer_norm_ref(*arrays_: Any, has: tuple, eps: float) -> np.ndarray:
    """Over the last dims (those of weight/bias; one dim without them)."""
    x, w, b = split_affine(arrays_, has)
    k = w.ndim if w is not None else b.ndim if b is not None else 1
    axes = tuple(range(x.ndim - k, x.ndim))
    out = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return out * (1 if w is None else w) + (0 if b is None else b)


def group_norm_input(data: Any) -> tuple:
    groups, per_group = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2))
    spatial = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    shape = (data.draw(st.integers(1, 2)), groups * per_group) + spatial
    assume(per_group * np.prod(spatial) > 1)
    arrays_, params = affine_arrays(data, data.draw(arrays(shape)), (shape[1],))
    return arrays_, {**params, "groups": groups, "eps": data.draw(st.sampled_from([1e-5, 0.1]))}


def group_norm_fn(lib: Any, *arrays_: Any, has: tuple, groups: int, eps: float) -> Any:
    x, w, b = split_affine(arrays_, has)
    return lib.group_norm(x, groups, w, b, eps)


def group_norm_ref(*arrays_: Any, has: tuple, groups: int, eps: float) -> np.ndarray:
    """Each sample's group of C/G channels normalized over its channels and positions."""
    x, w, b = split_affine(arrays_, has)
    out = np.empty_like(x)
    per = x.shape[1] // groups
    for n in range(x.shape[0]):
        for g in range(groups):
            part = x[n, g * per:(g + 1) * per]
            out[n, g * per:(g + 1) * per] = (part - part.mean()) / np.sqrt(part.var() + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return out * (1 if w is None else w.reshape(shape)) + (0 if b is None else b.reshape(shape))


def instance_norm_input(data: Any) -> tuple:
    spatial = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    assume(np.prod(spatial) > 1)
    c = data.draw(st.integers(1, 3))
    x = data.draw(arrays((data.draw(st.integers(1, 2)), c) + spatial))
    arrays_, params = affine_arrays(data, x, (c,))
    r = rng_of(data)
    running = (r.uniform(-1, 1, c), r.uniform(0.5, 2, c)) if data.draw(st.booleans()) else None
    return arrays_, {**params, "running": running, "eps": data.draw(st.sampled_from([1e-5, 0.1]))}


def instance_norm_fn(lib: Any, *arrays_: Any, has: tuple, running: Any, eps: float) -> Any:
    """With running statistics: evaluation (they normalize); without: the input's own."""
    x, w, b = split_affine(arrays_, has)
    mean, var = (None, None) if running is None else (lib.tensor(a) for a in running)
    return lib.instance_norm(x, mean, var, w, b, use_input_stats=running is None, eps=eps)


def instance_norm_ref(*arrays_: Any, has: tuple, running: Any, eps: float) -> np.ndarray:
    """Each (sample, channel) plane normalized over its positions (or by the running stats)."""
    x, w, b = split_affine(arrays_, has)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if running is None:
        axes = tuple(range(2, x.ndim))
        out = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(
            x.var(axis=axes, keepdims=True) + eps)
    else:
        mean, var = (a.reshape(shape) for a in running)
        out = (x - mean) / np.sqrt(var + eps)
    return out * (1 if w is None else w.reshape(shape)) + (0 if b is None else b.reshape(shape))


# ---- losses ------------------------------------------------------------------------------------
def huber(d: np.ndarray, delta: float) -> np.ndarray:
    """0.5 d^2 inside |d| < delta, delta (|d| - delta / 2) outside."""
    return np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


def l1_fn(lib: Any, x: Any, t: Any, *, reduction: str, weight: Any) -> Any:
    return lib.l1_loss(x, t, reduction=reduction,
                       weight=None if weight is None else lib.tensor(weight))


def l1_ref(x: Any, t: Any, *, reduction: str, weight: Any) -> np.ndarray:
    """|x - t| (times the weight; the weighted mean divides by the summed weights)."""
    if weight is None:
        return reduce_ref(np.abs(x - t), reduction)
    loss = np.abs(x - t) * weight
    return np.array(loss.sum() / weight.sum()) if reduction == "mean" else reduce_ref(
        loss, reduction)


def huber_fn(lib: Any, x: Any, t: Any, *, reduction: str, weight: Any, delta: float) -> Any:
    w = None if weight is None else lib.tensor(weight)
    return lib.huber_loss(x, t, reduction=reduction, delta=delta, weight=w)


def huber_ref(x: Any, t: Any, *, reduction: str, weight: Any, delta: float) -> np.ndarray:
    return reduce_ref(huber(x - t, delta) * (1 if weight is None else weight), reduction)


def kl_input(data: Any) -> tuple:
    """Log-probabilities q and a target distribution p (or log p)."""
    shape = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 4)))
    r = rng_of(data)
    p = r.uniform(0.05, 1, shape)
    log_target = data.draw(st.booleans())
    params = {"reduction": data.draw(st.sampled_from(["mean", "sum", "none", "batchmean"])),
              "log_target": log_target}
    return (r.uniform(-3, 0, shape), np.log(p) if log_target else p), params


def kl_fn(lib: Any, x: Any, t: Any, *, reduction: str, log_target: bool) -> Any:
    with warnings.catch_warnings():  # torch's (and our) note on 'mean' vs 'batchmean'
        warnings.simplefilter("ignore")
        return lib.kl_div(x, t, reduction=reduction, log_target=log_target)


def kl_ref(x: Any, t: Any, *, reduction: str, log_target: bool) -> np.ndarray:
    """p (log p - log q) per element, with 0 log 0 = 0."""
    p = np.exp(t) if log_target else t
    logp = t if log_target else np.log(np.where(p > 0, p, 1.0))
    loss = np.where(p > 0, p * (logp - x), 0.0)
    if reduction == "batchmean":
        return np.array(loss.sum() / x.shape[0])
    return reduce_ref(loss, reduction)


# ---- one-dimensional layers --------------------------------------------------------------------
def conv1d_input(data: Any) -> tuple:
    groups, cg, og = (data.draw(st.integers(1, 2)) for _ in range(3))
    k, d, s, p = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2)),
                  data.draw(st.integers(1, 2)), data.draw(st.integers(0, 2)))
    padding: Any = data.draw(st.sampled_from([p, p, (p,), "same", "valid"]))
    if padding == "same":
        s = 1
    total = {"same": d * (k - 1), "valid": 0}.get(padding, 2 * p)
    length = data.draw(st.integers(max(1, d * (k - 1) + 1 - total), d * (k - 1) + 4))
    r = rng_of(data)
    x = r.uniform(-1, 1, (data.draw(st.integers(1, 2)), groups * cg, length))
    if data.draw(st.booleans()):
        x = x[0]  # unbatched (C, L)
    w, b = r.uniform(-1, 1, (groups * og, cg, k)), r.uniform(-1, 1, groups * og)
    params = {"stride": s, "padding": padding, "dilation": d, "groups": groups}
    return ((x, w, b) if data.draw(st.booleans()) else (x, w)), params


def conv1d_ref(x: Any, w: Any, b: Any = None, *, stride: int, padding: Any, dilation: int,
               groups: int) -> np.ndarray:
    """out[n, o, i] = b[o] + sum over the group's channels c and offsets j of
    w[o, c, j] * xpad[n, c, i*stride + j*dilation]; 'same' pads the odd one on the right."""
    unbatched = x.ndim == 2
    x = x[None] if unbatched else x
    o_ch, cg, k = w.shape
    if padding == "same":
        total = dilation * (k - 1)
        left, right = total // 2, total - total // 2
    else:
        left = right = 0 if padding == "valid" else int(np.ravel(padding)[0])
    xp = np.pad(x, ((0, 0), (0, 0), (left, right)))
    length = (xp.shape[2] - dilation * (k - 1) - 1) // stride + 1
    out = np.zeros((x.shape[0], o_ch, length))
    for o in range(o_ch):
        g = o // (o_ch // groups)
        for i in range(length):
            for j in range(k):
                column = xp[:, g * cg:(g + 1) * cg, i * stride + j * dilation]
                out[:, o, i] += (column * w[o, :, j]).sum(axis=1)
        out[:, o] += 0 if b is None else b[o]
    return out[0] if unbatched else out


def pool1d_input(kind: str) -> Callable:
    def draw(data: Any) -> tuple:
        k = data.draw(st.integers(1, 4))
        d = data.draw(st.integers(1, 2)) if kind == "max" else 1
        s = data.draw(st.none() | st.integers(1, 3))
        p = data.draw(st.integers(0, k // 2))
        length = data.draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), d * (k - 1) + 5))
        shape = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)), length)
        x = data.draw(distinct_arrays(shape) if kind == "max" else arrays(shape))
        if data.draw(st.booleans()):
            x = x[0]  # unbatched (C, L)
        params = {"kernel_size": data.draw(st.sampled_from([k, (k,)])), "stride": s,
                  "padding": p, "ceil_mode": data.draw(st.booleans())}
        if kind == "max":
            params["dilation"] = d
            assume(np.isfinite(max_pool1d_ref(x, **params)).all())  # no window of padding alone
        else:
            params["count_include_pad"] = data.draw(st.booleans())
        return (x,), params
    return draw


def max_pool1d_fn(lib: Any, x: Any, **p: Any) -> Any:
    return lib.max_pool1d(x, p["kernel_size"], p["stride"], p["padding"], p["dilation"],
                          p["ceil_mode"])


def max_pool1d_ref(x: Any, **p: Any) -> np.ndarray:
    """The 2-D reference on a height-1 image (its loops are the definition)."""
    k = int(np.ravel(p["kernel_size"])[0])
    s = k if p["stride"] is None else p["stride"]
    image = x[..., None, :]
    out = ref.max_pool2d(image if x.ndim == 3 else image[None], (1, k), (1, s),
                         (0, p["padding"]), (1, p["dilation"]), p["ceil_mode"])
    return out[..., 0, :] if x.ndim == 3 else out[0, :, 0]


def avg_pool1d_fn(lib: Any, x: Any, **p: Any) -> Any:
    return lib.avg_pool1d(x, p["kernel_size"], p["stride"], p["padding"], p["ceil_mode"],
                          p["count_include_pad"])


def avg_pool1d_ref(x: Any, **p: Any) -> np.ndarray:
    k = int(np.ravel(p["kernel_size"])[0])
    s = k if p["stride"] is None else p["stride"]
    image = x[..., None, :]
    out = ref.avg_pool2d(image if x.ndim == 3 else image[None], (1, k), (1, s),
                         (0, p["padding"]), p["ceil_mode"], p["count_include_pad"], None)
    return out[..., 0, :] if x.ndim == 3 else out[0, :, 0]


def adaptive_input_distinct(data: Any) -> tuple:
    shape = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)),
             data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6)))
    out = (data.draw(st.integers(1, 4)), data.draw(st.none() | st.integers(1, 4)))
    return (data.draw(distinct_arrays(shape)),), {"output_size": out}


def adaptive_max_ref(x: np.ndarray, output_size: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Window (i, j): rows [floor(i*H/oh), ceil((i+1)*H/oh)), columns likewise; its max and
    the max's flat index y * W + x."""
    n, c, h, w = x.shape
    oh, ow = output_size[0], w if output_size[1] is None else output_size[1]
    values, index = np.zeros((n, c, oh, ow)), np.zeros((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            y0, y1 = (i * h) // oh, -(-((i + 1) * h) // oh)
            x0, x1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            for b, ch in np.ndindex(n, c):
                window = x[b, ch, y0:y1, x0:x1]
                y, xx = np.unravel_index(np.argmax(window), window.shape)
                values[b, ch, i, j], index[b, ch, i, j] = window[y, xx], (y0 + y) * w + x0 + xx
    return values, index


# ---- resampling ------------------------------------------------------------------------------
def resize_input(mode: str) -> Callable:
    def draw(data: Any) -> tuple:
        dims = {"bilinear": 2, "linear": 1}.get(mode) or data.draw(st.integers(1, 2))
        spatial = tuple(data.draw(st.integers(1, 4)) for _ in range(dims))
        x = data.draw(arrays((data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
                             + spatial))
        params: dict[str, Any] = {"size": None, "scale_factor": None, "recompute": None,
                                  "mode": mode, "align_corners": None}
        if data.draw(st.booleans()):
            sizes = tuple(data.draw(st.integers(1, 7)) for _ in range(dims))
            params["size"] = sizes if data.draw(st.booleans()) or dims == 2 else sizes[0]
        else:
            factors = tuple(data.draw(st.sampled_from([0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0]))
                            for _ in range(dims))
            assume(all(n * f >= 1 for n, f in zip(spatial, factors)))
            params["scale_factor"] = factors
            params["recompute"] = data.draw(st.sampled_from([None, True]))
        if mode in ("bilinear", "linear"):
            params["align_corners"] = data.draw(st.booleans())
        return (x,), params
    return draw


def one_row(params: dict) -> dict:
    """A 1-D resize's parameters for the same resize of a one-row image."""
    size, factor = params["size"], params["scale_factor"]
    return {"size": None if size is None else (1, size if isinstance(size, int) else size[0]),
            "scale_factor": None if factor is None else (1.0, factor[0])}


def area_ref(x: Any, *, size: Any, scale_factor: Any, recompute: Any, mode: str,
             align_corners: Any) -> np.ndarray:
    """Each output pixel the mean of its window: adaptive average pooling to the new size."""
    out, _ = resize_geometry(x, size, scale_factor, recompute)
    if x.ndim == 3:
        return ref.adaptive_avg_pool2d(x[:, :, None], 1, out[0])[:, :, 0]
    return ref.adaptive_avg_pool2d(x, *out)


def interpolate_fn(lib: Any, x: Any, *, size: Any, scale_factor: Any, recompute: Any,
                   mode: str, align_corners: Any) -> Any:
    return lib.interpolate(x, size, scale_factor, mode, align_corners,
                           recompute_scale_factor=recompute)


def resize_geometry(x: np.ndarray, size: Any, scale_factor: Any, recompute: Any
                    ) -> tuple[list[int], list[float | None]]:
    """The output sizes, and the scale factor of each axis that sets the source coordinates
    (None: the ratio of the sizes)."""
    spatial = x.shape[2:]
    if size is not None:
        out = list(size) if isinstance(size, tuple) else [size] * len(spatial)
        return out, [None] * len(spatial)
    out = [int(np.floor(n * f)) for n, f in zip(spatial, scale_factor)]
    return out, [None] * len(spatial) if recompute else list(scale_factor)


def nearest_ref(x: Any, *, size: Any, scale_factor: Any, recompute: Any, mode: str,
                align_corners: Any) -> np.ndarray:
    """Output index i copies input index min(floor(i * scale), n - 1) ('nearest-exact':
    floor((i + 0.5) * scale)), the scale in float32: 1 / scale_factor, or n / out."""
    out, factors = resize_geometry(x, size, scale_factor, recompute)
    index = []
    shift = np.float32(0.5 if mode == "nearest-exact" else 0.0)
    for n, o, f in zip(x.shape[2:], out, factors):
        scale = np.float32(1 / f) if f else np.float32(n) / np.float32(o)
        index.append(np.minimum(np.floor((np.arange(o, dtype=np.float32) + shift) * scale),
                                n - 1).astype(np.int64))
    return x[:, :, index[0]] if x.ndim == 3 else x[:, :, index[0][:, None], index[1]]


def bilinear_ref(x: Any, *, size: Any, scale_factor: Any, recompute: Any, mode: str,
                 align_corners: Any) -> np.ndarray:
    """Each output pixel at source (y, x): the four pixels around it, by their distances."""
    (oh, ow), factors = resize_geometry(x, size, scale_factor, recompute)
    h, w = x.shape[2:]

    def source(i: int, n: int, o: int, factor: float | None) -> tuple[int, int, float]:
        if align_corners:
            c = i * (n - 1) / (o - 1) if o > 1 else 0.0
        else:
            c = max((i + 0.5) * (1 / factor if factor else n / o) - 0.5, 0.0)
        first = min(int(np.floor(c)), n - 1)
        return first, min(first + 1, n - 1), c - first

    out = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        y0, y1, dy = source(i, h, oh, factors[0])
        for j in range(ow):
            x0, x1, dx = source(j, w, ow, factors[1])
            out[:, :, i, j] = ((1 - dy) * (1 - dx) * x[:, :, y0, x0] + (1 - dy) * dx
                               * x[:, :, y0, x1] + dy * (1 - dx) * x[:, :, y1, x0]
                               + dy * dx * x[:, :, y1, x1])
    return out


def grid_input(data: Any) -> tuple:
    n, c = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    h, w = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    oh, ow = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    r = rng_of(data)
    return ((data.draw(arrays((n, c, h, w))), r.uniform(-1.3, 1.3, (n, oh, ow, 2))),
            {"align_corners": data.draw(st.booleans()),
             "padding_mode": data.draw(st.sampled_from(["zeros", "border", "reflection"]))})


def grid_sample_ref(x: Any, grid: Any, *, align_corners: bool, padding_mode: str = "zeros"
                    ) -> np.ndarray:
    """Each grid point (x, y) in [-1, 1] in pixels, then the four pixels around it by their
    distances, 0 outside the image; with 'border' the point first moves to the nearest edge,
    with 'reflection' it is mirrored at the edges (the corner pixels' centres, or their outer
    edges) until inside."""
    n, c, h, w = x.shape
    out = np.zeros((n, c) + grid.shape[1:3])

    def reflect(p: float, size: int) -> float:
        low, high = (0.0, size - 1.0) if align_corners else (-0.5, size - 0.5)
        if high <= low:
            return 0.0
        while not low <= p <= high:
            p = 2 * low - p if p < low else 2 * high - p
        return p

    for b, i, j in np.ndindex(n, *grid.shape[1:3]):
        gx, gy = grid[b, i, j]
        if align_corners:
            px, py = (gx + 1) / 2 * (w - 1), (gy + 1) / 2 * (h - 1)
        else:
            px, py = ((gx + 1) * w - 1) / 2, ((gy + 1) * h - 1) / 2
        if padding_mode == "reflection":
            px, py = reflect(px, w), reflect(py, h)
        if padding_mode != "zeros":
            px, py = min(max(px, 0), w - 1), min(max(py, 0), h - 1)
        x0, y0 = int(np.floor(px)), int(np.floor(py))
        for yy, xx in ((y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1)):
            if 0 <= yy < h and 0 <= xx < w:
                out[b, :, i, j] += (1 - abs(px - xx)) * (1 - abs(py - yy)) * x[b, :, yy, xx]
    return out


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
    # (eps must be positive in training, as torch's; this one is far below the tolerance)
    y = F.batch_norm(mg.tensor(x), None, None, training=True, eps=1e-15).numpy()
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


# ---- the new layers' semantics -------------------------------------------------------------------
def test_dropout2d_zeroes_whole_channels_in_training_only() -> None:
    mg.manual_seed(0)
    x = mg.ones(200, 50, 2, 3)
    y = F.dropout2d(x, 0.3)
    planes = y.numpy().reshape(200, 50, 6)
    assert (planes == planes[:, :, :1]).all()  # each channel all kept or all dropped
    kept = (planes[:, :, 0] != 0).mean()
    assert abs(kept - 0.7) < 0.02 and np.unique(planes)[1] == pytest.approx(1 / 0.7, rel=1e-6)
    mg.manual_seed(0)
    assert (F.dropout2d(x, 0.3) == y).all().item()  # the seed reproduces the mask
    assert F.dropout2d(x, 0.3, training=False) is x and (F.dropout2d(x, 1.0) == 0).all().item()
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        signal = F.dropout2d(mg.ones(40, 30, 5), 0.5)  # as torch: channels of (N, C, L)
    assert (signal.numpy() == signal.numpy()[:, :, :1]).all()
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        F.dropout2d(x, 1.5)


def test_dropout2d_gradients(cpu_backend: str) -> None:
    def seeded(t: mg.Tensor) -> mg.Tensor:  # the same mask on every call
        mg.manual_seed(5)
        return F.dropout2d(t, 0.4)

    x = mg.randn(3, 4, 2, 2, dtype=mg.float64, device=cpu_backend, requires_grad=True)
    assert gradcheck(seeded, (x,)) and gradgradcheck(seeded, (x,))


@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_of_the_identity_grid_is_the_input(align_corners: bool, cpu_backend: str
                                                       ) -> None:
    x = mg.randn(2, 3, 4, 5, dtype=mg.float64, device=cpu_backend)
    h, w = x.shape[2:]
    if align_corners:  # -1 and 1 at the corner pixels' centres
        ys, xs = np.linspace(-1, 1, h), np.linspace(-1, 1, w)
    else:  # -1 and 1 at the image's outer edges: pixel centres at (2i + 1) / n - 1
        ys, xs = (2 * np.arange(h) + 1) / h - 1, (2 * np.arange(w) + 1) / w - 1
    grid = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None]), axis=-1)
    grid = mg.tensor(np.broadcast_to(grid, (2, h, w, 2)).copy(), device=cpu_backend)
    assert_close(F.grid_sample(x, grid, align_corners=align_corners), x, rtol=1e-12,
                 atol=1e-12)
    shifted = grid.numpy() - np.array([3.0, 0.0])  # 1.5 image widths to the left: all 0
    out = F.grid_sample(x, mg.tensor(shifted, device=cpu_backend), align_corners=align_corners)
    assert (out == 0).all().item()


def test_interpolate_by_whole_factors_and_to_the_same_size() -> None:
    x = mg.randn(1, 2, 3, 4, dtype=mg.float64)
    twice = F.interpolate(x, scale_factor=2).numpy()
    np.testing.assert_array_equal(twice, x.numpy().repeat(2, axis=2).repeat(2, axis=3))
    for mode, corners in (("nearest", None), ("bilinear", False), ("bilinear", True)):
        assert_close(F.interpolate(x, size=(3, 4), mode=mode, align_corners=corners), x)
    big = F.interpolate(x, size=(7, 10), mode="bilinear", align_corners=True).numpy()
    np.testing.assert_allclose(big[..., ::3, ::3], x.numpy(), rtol=1e-12)  # the grid points
    assert F.interpolate(mg.randn(1, 1, 5), scale_factor=1.5).shape == (1, 1, 7)  # floor(7.5)


def test_kl_div_counts_zero_target_probabilities_as_zero() -> None:
    q = mg.tensor([[-1.0, -2.0, -0.5]], requires_grad=True)
    loss = F.kl_div(q, mg.tensor([[0.0, 0.25, 0.75]]), reduction="batchmean")
    expected = 0.25 * (math.log(0.25) + 2.0) + 0.75 * (math.log(0.75) + 0.5)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    loss.backward()
    assert q.grad.tolist()[0] == pytest.approx([0.0, -0.25, -0.75])


def test_one_dimensional_max_pool_indices_match_torch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle for indices")
    x = np.random.default_rng(0).permutation(24).reshape(2, 2, 6).astype(np.float64)
    for args in ((2,), (3, 1, 1), (3, 2, 1, 2, True)):
        _, ours = F.max_pool1d(mg.tensor(x), *args, return_indices=True)
        _, theirs = torch.nn.functional.max_pool1d(torch.tensor(x), *args, return_indices=True)
        assert ours.tolist() == theirs.tolist(), args


BAD_CALLS = {  # each fails in torch.nn.functional and ours with the same type and message
    "gelu": lambda f, t: f.gelu(t(2, 3), approximate="foo"),
    "hardtanh": lambda f, t: f.hardtanh(t(2), 2.0, 1.0),
    "layer_norm_shape": lambda f, t: f.layer_norm(t(2, 4), [3]),
    "layer_norm_weight": lambda f, t: f.layer_norm(t(2, 3), [3], t(4)),
    "group_norm_groups": lambda f, t: f.group_norm(t(2, 5, 3), 2),
    "group_norm_weight": lambda f, t: f.group_norm(t(2, 4, 3), 2, t(3)),
    "group_norm_one_value": lambda f, t: f.group_norm(t(1, 4), 4),
    "group_norm_dims": lambda f, t: f.group_norm(t(2), 1),
    "instance_norm_one_pixel": lambda f, t: f.instance_norm(t(2, 3, 1, 1)),
    "instance_norm_no_stats": lambda f, t: f.instance_norm(t(2, 3, 4), use_input_stats=False),
    "smooth_l1_beta": lambda f, t: f.smooth_l1_loss(t(3), t(3), beta=-1.0),
    "huber_delta": lambda f, t: f.huber_loss(t(3), t(3), delta=0.0),
    "kl_div_reduction": lambda f, t: f.kl_div(t(3), t(3), reduction="foo"),
    "l1_weight": lambda f, t: f.l1_loss(t(3), t(3), weight=t(2)),
    "grid_mode": lambda f, t: f.grid_sample(t(1, 1, 2, 2), t(1, 2, 2, 2), mode="foo"),
    "grid_padding": lambda f, t: f.grid_sample(t(1, 1, 2, 2), t(1, 2, 2, 2), padding_mode="x"),
    "grid_last_dim": lambda f, t: f.grid_sample(t(1, 1, 2, 2), t(1, 2, 2, 3),
                                                align_corners=False),
    "grid_batch": lambda f, t: f.grid_sample(t(1, 1, 2, 2), t(2, 2, 2, 2), align_corners=False),
    "grid_dims": lambda f, t: f.grid_sample(t(1, 1, 2, 2), t(1, 2, 2, 2, 2),
                                            align_corners=False),
    "adaptive_max_dims": lambda f, t: f.adaptive_max_pool2d(t(2, 3), 2),
    "adaptive_max_long": lambda f, t: f.adaptive_max_pool2d(t(1, 1, 4, 4).long(), 2),
    "max_pool1d_padding": lambda f, t: f.max_pool1d(t(1, 2, 5), 3, 1, 2),
    "max_pool1d_dims": lambda f, t: f.max_pool1d(t(2, 2, 1, 5), 3),
    "max_pool1d_size": lambda f, t: f.max_pool1d(t(1, 2, 2), 3),
    "avg_pool1d_padding": lambda f, t: f.avg_pool1d(t(1, 2, 5), 3, 1, 2),
    "avg_pool1d_dims": lambda f, t: f.avg_pool1d(t(2, 2, 1, 5), 3),
    "avg_pool1d_size": lambda f, t: f.avg_pool1d(t(1, 2, 2), 3),
    "conv1d_channels": lambda f, t: f.conv1d(t(1, 2, 5), t(3, 1, 3)),
    "conv1d_dims": lambda f, t: f.conv1d(t(1, 1, 2, 5), t(3, 1, 3)),
    "conv1d_weight": lambda f, t: f.conv1d(t(1, 2, 5), t(3, 2, 3, 3)),
    "dropout2d_p": lambda f, t: f.dropout2d(t(2, 3), 2.0),
    "dropout2d_dims": lambda f, t: f.dropout2d(t(5), 0.5),
    "interpolate_both": lambda f, t: f.interpolate(t(1, 1, 4), size=3, scale_factor=2.0),
    "interpolate_neither": lambda f, t: f.interpolate(t(1, 1, 4)),
    "interpolate_corners": lambda f, t: f.interpolate(t(1, 1, 4), size=3, align_corners=True),
    "interpolate_3d_bilinear": lambda f, t: f.interpolate(t(1, 1, 4), size=3, mode="bilinear"),
    "interpolate_size_length": lambda f, t: f.interpolate(t(1, 1, 2, 4), size=(3,)),
    "interpolate_scale_length": lambda f, t: f.interpolate(t(1, 1, 4), scale_factor=(2.0, 2.0)),
    "interpolate_recompute": lambda f, t: f.interpolate(t(1, 1, 4), size=3,
                                                        recompute_scale_factor=True),
    "interpolate_size_type": lambda f, t: f.interpolate(t(1, 1, 4), size=(2.5,)),
    "interpolate_empty_1d": lambda f, t: f.interpolate(t(1, 1, 4), size=0),
    "interpolate_empty_2d": lambda f, t: f.interpolate(t(1, 1, 1, 4), scale_factor=0.1),
}


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_new_functions_fail_as_torch_does(name: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch's messages are the reference")
    with warnings.catch_warnings():  # (the warnings some of them give first)
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:  # noqa: B017  (whatever torch raises)
            BAD_CALLS[name](torch.nn.functional, lambda *shape: torch.zeros(*shape))
        with pytest.raises(type(theirs.value)) as ours:
            BAD_CALLS[name](F, lambda *shape: mg.zeros(*shape))
    assert str(ours.value).replace("minigrad.", "torch.") == str(theirs.value)


def test_what_minigrad_leaves_out_says_so() -> None:
    x = mg.zeros(1, 1, 4, 4)
    for call in (lambda: F.interpolate(x, size=3, mode="bicubic"),
                 lambda: F.interpolate(x, size=3, mode="bilinear", antialias=True),
                 lambda: F.interpolate(x[None], size=3, mode="nearest"),
                 lambda: F.grid_sample(x, mg.zeros(1, 2, 2, 2), mode="bicubic",
                                       align_corners=False)):
        with pytest.raises(NotImplementedError, match="minigrad's"):
            call()


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
