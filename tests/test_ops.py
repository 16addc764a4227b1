"""The core op table: one row per op, run by tests/op_table.py on every backend, with the
fast paths on and off: its output against NumPy reference math (float64), its first and second
derivatives (gradcheck, gradgradcheck), and PyTorch where installed.

The table comes first; the input strategies its rows draw from after it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st

import minigrad as mg
from tests import reference as ref
from tests.op_table import Case, table_tests
from tests.strategies import arrays, away_from, broadcastable, dims, distinct_arrays, shapes


def cases() -> list[Case]:
    """The table: one row per op."""
    return [
        # elementwise, unary
        Case("neg", one(), lambda lib, x: -x, lambda x: -x),
        Case("abs", one(avoid=(0,)), lambda lib, x: x.abs(), np.abs),
        Case("exp", one(), lambda lib, x: x.exp(), np.exp),
        Case("log", one(0.2, 3), lambda lib, x: x.log(), np.log),
        Case("sqrt", one(0.2, 3), lambda lib, x: x.sqrt(), np.sqrt),
        Case("sin", one(), lambda lib, x: x.sin(), np.sin),
        Case("cos", one(), lambda lib, x: x.cos(), np.cos),
        Case("sigmoid", one(-6, 6), lambda lib, x: x.sigmoid(), ref.sigmoid),
        Case("tanh", one(), lambda lib, x: x.tanh(), np.tanh),
        Case("relu", one(avoid=(0,)), lambda lib, x: x.relu(), lambda x: np.maximum(x, 0)),
        Case("clamp", one(avoid=(-0.5, 0.7)), lambda lib, x: x.clamp(-0.5, 0.7),
             lambda x: np.clip(x, -0.5, 0.7)),
        Case("clamp_min", one(avoid=(0.3,)), lambda lib, x: lib.clamp(x, min=0.3),
             lambda x: np.maximum(x, 0.3)),
        # elementwise, binary with broadcasting
        Case("add", two(), lambda lib, a, b: a + b, np.add),
        Case("sub", two(), lambda lib, a, b: a - b, np.subtract),
        Case("mul", two(), lambda lib, a, b: a * b, np.multiply),
        Case("div", two(avoid_b=(0,), lo_b=-2, hi_b=2), lambda lib, a, b: a / b, np.divide),
        Case("pow", two(0.3, 2, -2, 2), lambda lib, a, b: a ** b, np.power),
        Case("remainder", two(-3, 3, 0.4, 2), lambda lib, a, b: a % b, np.remainder),
        Case("div_floor", two(-3, 3, 0.4, 2),
             lambda lib, a, b: lib.div(a, b, rounding_mode="floor"), np.floor_divide),
        Case("maximum", apart, lambda lib, a, b: lib.maximum(a, b), np.maximum),
        Case("minimum", apart, lambda lib, a, b: lib.minimum(a, b), np.minimum),
        Case("where", apart, lambda lib, a, b: lib.where(a > b, a, b * 2),
             lambda a, b: np.where(a > b, a, b * 2)),
        # with Python scalars on either side
        Case("add_scalar", one(), lambda lib, x: 2.5 + x, lambda x: 2.5 + x),
        Case("rsub_scalar", one(), lambda lib, x: 3 - x, lambda x: 3 - x),
        Case("mul_scalar", one(), lambda lib, x: x * -1.5, lambda x: x * -1.5),
        Case("rdiv_scalar", one(0.3, 2), lambda lib, x: 2 / x, lambda x: 2 / x),
        Case("pow_int", one(), lambda lib, x: x ** 3, lambda x: x ** 3),
        Case("pow_float", one(0.3, 2), lambda lib, x: x ** -1.5, lambda x: x ** -1.5),
        Case("rpow", one(), lambda lib, x: 2 ** x, lambda x: 2.0 ** x),
        # comparisons (no gradient)
        Case("lt", two(), lambda lib, a, b: a < b, np.less, grad=False),
        Case("ge", two(), lambda lib, a, b: a >= b, np.greater_equal, grad=False),
        Case("eq", two(), lambda lib, a, b: a == a.clamp(0, 1), lambda a, b: a == np.clip(a, 0, 1),
             grad=False),
        # matmul
        Case("matmul", matmul_shapes, lambda lib, a, b: a @ b, np.matmul),
        # reductions
        Case("sum", reduce_input(), lambda lib, x, dim, keepdim: x.sum(dim=dim, keepdim=keepdim),
             lambda x, dim, keepdim: np.sum(x, axis=dim, keepdims=keepdim)),
        Case("mean", reduce_input(), lambda lib, x, dim, keepdim: x.mean(dim=dim, keepdim=keepdim),
             lambda x, dim, keepdim: np.mean(x, axis=dim, keepdims=keepdim)),
        Case("max_all", reduce_input(distinct=True), lambda lib, x, dim, keepdim: x.max(),
             lambda x, dim, keepdim: np.max(x)),
        Case("min_all", reduce_input(distinct=True), lambda lib, x, dim, keepdim: lib.min(x),
             lambda x, dim, keepdim: np.min(x)),
        Case("max_dim", along_dim(distinct=True), lambda lib, x, dim: x.max(dim=dim)[0],
             lambda x, dim: np.max(x, axis=dim)),
        Case("min_dim_keepdim", along_dim(distinct=True),
             lambda lib, x, dim: x.min(dim, keepdim=True).values,
             lambda x, dim: np.min(x, axis=dim, keepdims=True)),
        Case("max_dim_indices", along_dim(distinct=True), lambda lib, x, dim: x.max(dim=dim)[1],
             lambda x, dim: np.argmax(x, axis=dim), grad=False),
        Case("argmax", along_dim(distinct=True), lambda lib, x, dim: x.argmax(dim=dim),
             lambda x, dim: np.argmax(x, axis=dim), grad=False),
        Case("argmin_flat", along_dim(distinct=True), lambda lib, x, dim: x.argmin(),
             lambda x, dim: np.argmin(x), grad=False),
        Case("var", var_input,
             lambda lib, x, dim, keepdim, correction: x.var(dim=dim, keepdim=keepdim,
                                                            correction=correction),
             lambda x, dim, keepdim, correction: np.var(x, axis=dim, keepdims=keepdim,
                                                        ddof=correction)),
        Case("std_biased", along_dim(min_side=2),  # (std is not differentiable at 0)
             lambda lib, x, dim: x.std(dim, unbiased=False),
             lambda x, dim: np.std(x, axis=dim)),
        Case("softmax", along_dim(), lambda lib, x, dim: lib.softmax(x, dim), ref.softmax),
        Case("log_softmax", along_dim(), lambda lib, x, dim: x.log_softmax(dim),
             lambda x, dim: np.log(ref.softmax(x, dim))),
        # movement
        Case("reshape", reshape_input, lambda lib, x, shape: x.reshape(shape),
             lambda x, shape: x.reshape(shape)),
        Case("view", reshape_input, lambda lib, x, shape: x.contiguous().view(*shape),
             lambda x, shape: x.reshape(shape)),
        Case("flatten", flatten_input, lambda lib, x, start, end: x.flatten(start, end),
             lambda x, start, end: x.reshape(x.shape[:start] + (-1,) + x.shape[x.ndim + end + 1:])),
        Case("permute", permute_input, lambda lib, x, dims: x.permute(*dims),
             lambda x, dims: np.transpose(x, dims)),
        Case("transpose", transpose_input, lambda lib, x, a, b: x.transpose(a, b),
             lambda x, a, b: np.swapaxes(x, a, b)),
        Case("t", one(max_dims=2), lambda lib, x: x.t(), lambda x: x.T),
        Case("T_mT", one(min_dims=2, max_dims=2), lambda lib, x: x.T + x.mT, lambda x: 2 * x.T),
        Case("unsqueeze", unsqueeze_input, lambda lib, x, dim: x.unsqueeze(dim),
             lambda x, dim: np.expand_dims(x, dim)),
        Case("squeeze", squeeze_input,
             lambda lib, x, dim: x.squeeze() if dim is None else x.squeeze(dim),
             lambda x, dim: np.squeeze(x) if dim is None
             else (np.squeeze(x, dim) if x.shape[dim] == 1 else x)),
        Case("expand", expand_input,
             lambda lib, x, shape: x.expand(*shape) if shape else x.expand(shape),
             lambda x, shape: np.broadcast_to(x, shape)),
        Case("broadcast_to", expand_input, lambda lib, x, shape: x.broadcast_to(shape),
             lambda x, shape: np.broadcast_to(x, shape)),
        Case("index_basic", basic_index, lambda lib, x, key: x[key], np_index,
             torch_can=positive_steps),
        Case("index_advanced", advanced_index, lambda lib, x, key: x[key], np_index,
             torch_can=positive_steps),
        Case("index_tensor", advanced_index,
             lambda lib, x, key: x[tuple(lib.tensor(k) if isinstance(k, list) else k for k in key)],
             np_index, torch_can=positive_steps),
        Case("gather", gather_input,
             lambda lib, x, dim, index: x.gather(dim, lib.tensor(index)), np_gather),
        Case("cat", cat_input, lambda lib, *xs, dim: lib.cat(list(xs), dim=dim),
             lambda *xs, dim: np.concatenate(xs, axis=dim)),
        Case("stack", stack_input, lambda lib, *xs, dim: lib.stack(list(xs), dim),
             lambda *xs, dim: np.stack(xs, axis=dim)),
        Case("pad", pad_input,
             lambda lib, x, widths, mode, value, ndim: lib.pad(x, widths, mode=mode, value=value),
             lambda x, widths, mode, value, ndim: ref.pad(x, widths, mode, value or 0.0),
             # torch pads k trailing dims in non-constant modes only for inputs of k+1 or k+2 dims
             torch_can=lambda p: p["mode"] == "constant" or p["ndim"] - len(p["widths"]) // 2 < 3),
        Case("unfold", unfold_input,
             lambda lib, x, **g: lib.unfold(x, g["kernel_size"], dilation=g["dilation"],
                                            padding=g["padding"], stride=g["stride"]),
             lambda x, **g: ref.unfold(x, g["kernel_size"], g["dilation"], g["padding"],
                                       g["stride"])),
        Case("fold", fold_input,
             lambda lib, c, output_size, **g: lib.fold(c, output_size, g["kernel_size"],
                                                       dilation=g["dilation"],
                                                       padding=g["padding"], stride=g["stride"]),
             lambda c, output_size, **g: ref.fold(c, output_size, g["kernel_size"], g["dilation"],
                                                  g["padding"], g["stride"])),
    ]


# ---- input strategies --------------------------------------------------------------------
def one(lo: float = -2, hi: float = 2, avoid: tuple[float, ...] = (), min_dims: int = 0,
        max_dims: int = 4) -> Callable:
    def draw(data: Any) -> tuple:
        shape = data.draw(shapes(min_dims, max_dims), label="shape")
        return (away_from(data.draw(arrays(shape, lo, hi)), avoid),), {}
    return draw


def two(lo: float = -2, hi: float = 2, lo_b: float | None = None, hi_b: float | None = None,
        avoid_b: tuple[float, ...] = ()) -> Callable:
    def draw(data: Any) -> tuple:
        sa, sb = data.draw(broadcastable(2), label="shapes")
        a = data.draw(arrays(sa, lo, hi))
        b = data.draw(arrays(sb, lo if lo_b is None else lo_b, hi if hi_b is None else hi_b))
        return (a, away_from(b, avoid_b)), {}
    return draw


def apart(data: Any) -> tuple:
    """Two broadcastable arrays that never tie: a on even, b on odd multiples of 0.1."""
    sa, sb = data.draw(broadcastable(2), label="shapes")
    a = np.round(data.draw(arrays(sa)) / 0.2) * 0.2
    b = np.round((data.draw(arrays(sb)) - 0.1) / 0.2) * 0.2 + 0.1
    return (a, b), {}


def reduce_input(distinct: bool = False) -> Callable:
    def draw(data: Any) -> tuple:
        shape = data.draw(shapes(0, 4), label="shape")
        x = data.draw(distinct_arrays(shape) if distinct else arrays(shape))
        return (x,), {"dim": data.draw(dims(len(shape)), label="dim"),
                      "keepdim": data.draw(st.booleans(), label="keepdim")}
    return draw


def along_dim(distinct: bool = False, min_dims: int = 1, min_side: int = 1) -> Callable:
    def draw(data: Any) -> tuple:
        shape = data.draw(shapes(min_dims, 4, min_side=min_side), label="shape")
        x = data.draw(distinct_arrays(shape) if distinct else arrays(shape))
        return (x,), {"dim": data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")}
    return draw


def var_input(data: Any) -> tuple:
    (x,), p = reduce_input()(data)
    axes = range(x.ndim) if p["dim"] is None else np.atleast_1d(p["dim"])
    count = int(np.prod([x.shape[a] for a in axes])) if x.ndim else 1
    p["correction"] = data.draw(st.integers(0, max(0, min(1, count - 1))), label="correction")
    return (x,), p


def matmul_shapes(data: Any) -> tuple:
    n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
    batch_a, batch_b = data.draw(broadcastable(2, max_dims=2), label="batch")
    kind = data.draw(st.sampled_from(["mm", "batched", "vec@mat", "mat@vec", "dot", "vec@batch"]))
    sa, sb = {
        "mm": ((n, k), (k, m)), "batched": (batch_a + (n, k), batch_b + (k, m)),
        "vec@mat": ((k,), (k, m)), "mat@vec": ((n, k), (k,)), "dot": ((k,), (k,)),
        "vec@batch": ((k,), batch_b + (k, m)),
    }[kind]
    return (data.draw(arrays(sa)), data.draw(arrays(sb))), {}


def reshape_input(data: Any) -> tuple:
    shape = data.draw(shapes(0, 4), label="shape")
    n = int(np.prod(shape))
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    first = data.draw(st.sampled_from(divisors))
    target = data.draw(st.sampled_from([(first, -1), (-1,), (n // first, first), (first, 1, -1)]))
    return (data.draw(arrays(shape)),), {"shape": target}


def permute_input(data: Any) -> tuple:
    shape = data.draw(shapes(1, 4), label="shape")
    order = data.draw(st.permutations(range(len(shape))))
    return (data.draw(arrays(shape)),), {"dims": tuple(order)}


def transpose_input(data: Any) -> tuple:
    shape = data.draw(shapes(1, 4), label="shape")
    a, b = (data.draw(st.integers(-len(shape), len(shape) - 1)) for _ in range(2))
    return (data.draw(arrays(shape)),), {"a": a, "b": b}


def flatten_input(data: Any) -> tuple:
    shape = data.draw(shapes(1, 4), label="shape")
    start = data.draw(st.integers(0, len(shape) - 1))
    end = data.draw(st.integers(start, len(shape) - 1))
    return (data.draw(arrays(shape)),), {"start": start, "end": end - len(shape)}


def squeeze_input(data: Any) -> tuple:
    shape = tuple(data.draw(st.lists(st.sampled_from([1, 1, 2, 3]), min_size=1, max_size=4)))
    dim = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    return (data.draw(arrays(shape)),), {"dim": dim}


def unsqueeze_input(data: Any) -> tuple:
    shape = data.draw(shapes(0, 3), label="shape")
    return (data.draw(arrays(shape)),), {"dim": data.draw(st.integers(-len(shape) - 1,
                                                                      len(shape)))}


def expand_input(data: Any) -> tuple:
    small, big = data.draw(broadcastable(2), label="shapes")
    target = np.broadcast_shapes(small, big)
    return (data.draw(arrays(small)),), {"shape": tuple(target)}


@st.composite
def basic_keys(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple:
    key: list[Any] = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "slice", "all"]))
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            step = draw(st.sampled_from([1, 2, 3, -1, -2]))
            start = draw(st.none() | st.integers(-n, n))
            stop = draw(st.none() | st.integers(-n - 1, n))
            key.append(slice(start, stop, step))
        else:
            key.append(slice(None))
        if draw(st.integers(0, 5)) == 0:
            key.append(None)
    if key and draw(st.booleans()):  # replace a run of trailing ':' by '...'
        cut = draw(st.integers(0, len(key)))
        key = key[:cut] + [Ellipsis]
    return tuple(key)


def basic_index(data: Any) -> tuple:
    shape = data.draw(shapes(1, 4), label="shape")
    key = data.draw(basic_keys(shape), label="key")
    return (data.draw(arrays(shape)),), {"key": key}


def gather_input(data: Any) -> tuple:
    shape = data.draw(shapes(1, 3), label="shape")
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    index_shape = [data.draw(st.integers(1, n)) for n in shape]
    index_shape[dim] = data.draw(st.integers(1, 5))  # repeats: the gradient must add them up
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    index = rng.integers(0, shape[dim], index_shape)
    return (data.draw(arrays(shape)),), {"dim": dim, "index": index}


def np_gather(x: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
    """out[i][j][k] = x[i][index[i][j][k]][k] for dim=1, from the definition."""
    out = np.empty(index.shape)
    for pos in np.ndindex(*index.shape):
        src = list(pos)
        src[dim] = index[pos]
        out[pos] = x[tuple(src)]
    return out


def advanced_index(data: Any) -> tuple:
    shape = data.draw(shapes(1, 4), label="shape")
    positions = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=2,
                                   unique=True), label="advanced dims")
    length = data.draw(st.integers(1, 5))
    key: list[Any] = []
    for d, n in enumerate(shape):
        if d in positions:  # repeated and negative indices included
            key.append(data.draw(st.lists(st.integers(-n, n - 1), min_size=length,
                                          max_size=length)))
        else:
            key.append(data.draw(st.sampled_from([slice(None), slice(None, None, -1), 0])))
    return (data.draw(arrays(shape)),), {"key": tuple(key)}


def cat_input(data: Any) -> tuple:
    shape = data.draw(shapes(1, 4), label="shape")
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    xs = []
    for s in sizes:
        sh = list(shape)
        sh[dim] = s
        xs.append(data.draw(arrays(tuple(sh))))
    return tuple(xs), {"dim": dim}


def stack_input(data: Any) -> tuple:
    shape = data.draw(shapes(0, 3), label="shape")
    count = data.draw(st.integers(1, 3))
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    return tuple(data.draw(arrays(shape)) for _ in range(count)), {"dim": dim}


def pad_input(data: Any) -> tuple:
    mode = data.draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    shape = data.draw(shapes(2, 4, min_side=2, max_side=4), label="shape")
    padded = data.draw(st.integers(1, min(3, len(shape) - 1)))
    widths = []
    for n in reversed(shape[len(shape) - padded:]):  # negative widths crop, in every mode
        hi = n - 1 if mode == "reflect" else (n - 2 if mode == "circular" else 3)
        before = data.draw(st.integers(-1, hi))
        # reflect and replicate need a non-empty output (torch: "input is too small")
        lowest = -1 if mode in ("constant", "circular") else max(-1, 1 - n - before)
        widths += [before, data.draw(st.integers(lowest, hi))]
    value = data.draw(st.sampled_from([0.0, 1.5])) if mode == "constant" else None
    return (data.draw(arrays(shape)),), {"widths": widths, "mode": mode, "value": value,
                                         "ndim": len(shape)}


@st.composite
def conv_geometry(draw: st.DrawFn) -> dict:
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    size = tuple(max(1, d_ * (k_ - 1) + 1 - 2 * p_) + draw(st.integers(0, 4))
                 for k_, d_, p_ in zip(k, d, p))
    return {"kernel_size": k, "dilation": d, "padding": p, "stride": s, "size": size}


def unfold_input(data: Any) -> tuple:
    g = data.draw(conv_geometry(), label="geometry")
    n, c = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3))
    x = data.draw(arrays((n, c) + g.pop("size")))
    return (x,), g


def fold_input(data: Any) -> tuple:
    g = data.draw(conv_geometry(), label="geometry")
    n, c = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3))
    size = g.pop("size")
    oh, ow = (ref.out_size(size[i], g["kernel_size"][i], g["dilation"][i], g["padding"][i],
                           g["stride"][i]) for i in range(2))
    kh, kw = g["kernel_size"]
    cols = data.draw(arrays((n, c * kh * kw, oh * ow)))
    return (cols,), {**g, "output_size": size}


def positive_steps(params: dict) -> bool:
    """torch rejects negative slice steps (minigrad and NumPy take them)."""
    return all((k.step or 1) > 0 for k in params["key"] if isinstance(k, slice))


def np_index(x: np.ndarray, key: tuple) -> np.ndarray:
    """PyTorch's rule on NumPy: with index arrays present, ints select first (NumPy would treat
    them as 0-d index arrays and, in ``x[0, :, [1, 2]]``, move the result dims to the front)."""
    if any(isinstance(k, list) for k in key) and any(isinstance(k, int) for k in key):
        x = x[tuple(k if isinstance(k, int) else slice(None) for k in key)]
        key = tuple(k for k in key if not isinstance(k, int))
    return x[tuple(np.asarray(k) if isinstance(k, list) else k for k in key)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_saturates_quietly_at_the_extremes(cpu_backend: str, dtype: str) -> None:
    """Where e^-x overflows (x below about -88 in float32, -709 in float64) sigmoid is 0 and
    its gradient 0, with no overflow warning; above, the tiny true values survive."""
    import warnings

    x = mg.tensor([-1000.0, -80.0, -20.0, 0.0, 20.0, 1000.0], dtype=getattr(mg, dtype),
                  device=cpu_backend, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x.sigmoid()
        y.sum().backward()
    want = 1 / (1 + np.exp(-np.array([-700.0, -80.0, -20.0, 0.0, 20.0, 700.0])))
    want[0] = 0.0
    got = y.detach().numpy()
    np.testing.assert_allclose(got, want.astype(dtype), rtol=1e-6, atol=0)
    assert got[0] == 0.0 and got[-1] == 1.0 and 0 < got[2] < 3e-9
    # the gradient from the output, as torch's: y (1 - y) (0 where float32 rounds y to 1)
    np.testing.assert_allclose(x.grad.numpy(), got * (1 - got), rtol=1e-6, atol=0)
    assert x.grad.numpy()[1] > 0 and x.grad.numpy()[0] == 0.0


test_forward_matches_reference, test_derivatives, test_matches_torch = table_tests(cases())
