"""The graders: each runs a student's piece, installed in the engine, against references that
follow the definition (naive loops, PyTorch's formulas written out, finite differences in
float64), on inputs hypothesis draws. A failure is an AssertionError saying what is wrong:
which op, which input, expected and got.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any, cast

import numpy as np

import minigrad as mg

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError as e:  # (the graders need it; the library does not)
    raise ImportError("the exercises' grader needs hypothesis: pip install "
                      "'minigrad[exercises]' (or pip install hypothesis)") from e


def run(prop: Callable[..., None], *strategies: Any, examples: int = 25) -> None:
    """Check ``prop`` on drawn inputs (the same draws every run); on a failure hypothesis
    shrinks to the smallest failing case and raises its error."""
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), print_blob=False,
              report_multiple_bugs=False)
    @given(st.tuples(*strategies))
    def case(args: tuple) -> None:
        prop(*args)

    case()


def close(got: Any, expected: np.ndarray, what: str, rtol: float = 1e-6, atol: float = 1e-8
          ) -> None:
    """``got`` (a tensor or array) equals ``expected``: same shape, values within rtol/atol."""
    got = got.detach().numpy() if isinstance(got, mg.Tensor) else np.asarray(got)
    if got.shape != expected.shape:
        raise AssertionError(f"{what}: expected shape {list(expected.shape)}, got "
                             f"{list(got.shape)}")
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    if bad.any():
        i = tuple(int(j) for j in np.argwhere(bad)[0])
        raise AssertionError(f"{what}: at index {list(i)} expected {expected[i]:.6g}, got "
                             f"{got[i]:.6g} ({int(bad.sum())} of {got.size} values wrong)")


def torch_agrees(got: Any, op: str, *arrays: Any, what: str, **kwargs: Any) -> None:
    """Where PyTorch is installed, ``got`` also equals ``torch.nn.functional.<op>`` on the same
    float64 values (the oracle the library's own tests use); nothing where it is not."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return
    import torch

    def as_torch(a: Any) -> Any:
        return None if a is None else torch.from_numpy(np.array(
            a.detach().numpy() if isinstance(a, mg.Tensor) else a, dtype=np.float64))
    expected = getattr(torch.nn.functional, op)(*map(as_torch, arrays), **kwargs)
    close(got, expected.numpy(), f"{what}, against PyTorch's {op}")


def check_nodes(fn: Callable[..., Any], *inputs: mg.Tensor) -> None:
    """Every node of ``fn``'s graph against finite differences (names the wrong one)."""
    mg.testing.check_graph(fn, *inputs)


def gradients_close(fn: Callable[..., mg.Tensor], *inputs: mg.Tensor, what: str) -> None:
    """The gradients backward gives ``inputs`` (float64) match finite differences of ``fn``.
    (Not mg.testing.gradcheck: that differentiates with autograd.grad, whose walk is the
    extras' own, and the topological_order and sum_to exercises must be graded through the
    plain walk of ``.backward()`` they were put into.)"""
    eps = 1e-6
    for x in inputs:
        x.grad = None
    fn(*inputs).sum().backward()
    for k, x in enumerate(inputs):
        if not x.requires_grad:
            continue
        values = x.detach().numpy().copy()
        numeric = np.zeros_like(values)
        for i in np.ndindex(values.shape):
            sides = []
            for sign in (1, -1):
                moved = values.copy()
                moved[i] += sign * eps
                args = [mg.tensor(moved) if j == k else a.detach() for j, a in enumerate(inputs)]
                with mg.no_grad():
                    sides.append(float(fn(*args).sum().item()))
            numeric[i] = (sides[0] - sides[1]) / (2 * eps)
        if x.grad is None:
            if np.allclose(numeric, 0, atol=1e-6):
                continue  # (an input the result does not depend on)
            raise AssertionError(f"{what}: no gradient reached input {k} (was the graph cut, "
                                 "e.g. by computing on arrays instead of tensors?)")
        close(x.grad, numeric, f"{what}: the gradient of input {k}", rtol=1e-4, atol=1e-6)


def f64(shape: tuple[int, ...], seed: int, grad: bool = True) -> mg.Tensor:
    rng = np.random.default_rng(seed)
    return mg.tensor(rng.standard_normal(shape), requires_grad=grad)


# ---- 1. sigmoid's backward ------------------------------------------------------------------
def sigmoid(backward: Any) -> None:
    def prop(shape: tuple[int, ...], seed: int) -> None:
        x = f64(shape, seed)
        check_nodes(lambda x: (x * 2).sigmoid() * 3, x)

    run(prop, st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple),
        st.integers(0, 2**16))


# ---- 2. sum_to -------------------------------------------------------------------------------
def _broadcast_pair() -> Any:
    """(a shape, a shape it broadcasts to)."""
    def widen(shape: tuple[int, ...], lead: list[int], grow: list[bool]) -> tuple:
        return tuple(lead) + tuple(3 if g and n == 1 else n for n, g in zip(shape, grow))
    return st.lists(st.integers(1, 3), max_size=3).map(tuple).flatmap(
        lambda s: st.tuples(st.just(s), st.builds(
            widen, st.just(s), st.lists(st.integers(1, 3), max_size=2),
            st.lists(st.booleans(), min_size=len(s), max_size=len(s)))))


def sum_to(fn: Any) -> None:
    def prop(pair: tuple, seed: int) -> None:
        shape, big = pair
        g = np.random.default_rng(seed).standard_normal(big)
        lead = len(big) - len(shape)
        expected = g.sum(axis=tuple(range(lead))) if lead else g
        expected = expected.sum(axis=tuple(i for i, n in enumerate(shape)
                                           if n == 1 and expected.shape[i] != 1), keepdims=True)
        got = fn(mg.tensor(g), shape)
        close(got, expected.reshape(shape), f"sum_to(grad of shape {list(big)}, "
              f"{tuple(shape)})")
        a, b = f64(shape, seed), f64(big, seed + 1)   # and in the engine: a broadcast add
        gradients_close(lambda a, b: a * b + a, a, b, what=f"a * b + a with a {list(shape)}, "
                        f"b {list(big)}")

    run(prop, _broadcast_pair(), st.integers(0, 2**16), examples=20)


# ---- 3. topological order --------------------------------------------------------------------
def _program() -> Any:
    """A small random graph: leaves, then ops each on earlier values."""
    op = st.tuples(st.sampled_from(["add", "mul", "sigmoid", "times_mean"]),
                   st.integers(0, 100), st.integers(0, 100))
    return st.tuples(st.integers(1, 3), st.lists(op, min_size=1, max_size=7))


def _build(leaves: list[mg.Tensor], ops: list[tuple]) -> mg.Tensor:
    values = list(leaves)
    for name, i, j in ops:
        a, b = values[i % len(values)], values[j % len(values)]
        values.append(a + b if name == "add" else a * b if name == "mul" else a.sigmoid()
                      if name == "sigmoid" else a * a.sigmoid().mean())
    return sum(v.sum() for v in values[len(leaves):])


def topological_order(fn: Any) -> None:
    from minigrad import autograd

    def prop(program: tuple, seed: int) -> None:
        n, ops = program
        leaves = [f64((2,), seed + k) for k in range(n)]
        loss = _build(leaves, ops)
        order = fn([loss.grad_fn])
        nodes = [e for e in order if isinstance(e, autograd.Function)]
        reachable, stack = set(), [cast(autograd.Function, loss.grad_fn)]  # (loss has one)
        while stack:
            node = stack.pop()
            if id(node) not in reachable:
                reachable.add(id(node))
                stack += [e for e in node.next if isinstance(e, autograd.Function)]
        if len(nodes) != len(reachable) or {id(x) for x in nodes} != reachable:
            raise AssertionError(f"the order holds {len(nodes)} nodes; {len(reachable)} "
                                 "different nodes are reachable (each must come once)")
        place = {id(x): k for k, x in enumerate(order)}
        for node in nodes:
            for edge in node.next:
                if edge is not None and place.get(id(edge), -1) < place[id(node)]:
                    raise AssertionError(
                        f"{edge.name() if isinstance(edge, autograd.Function) else 'a leaf'} "
                        f"comes before (or without) {node.name()}, which uses its output: "
                        "its gradient would not be complete when it runs")
        gradients_close(lambda *xs: _build(list(xs), ops), *leaves,
                        what=f"backward through {len(nodes)} nodes")

    run(prop, _program(), st.integers(0, 2**16), examples=30)


# ---- 4. matmul's backward --------------------------------------------------------------------
def matmul(backward: Any) -> None:
    cases = [((3, 4), (4, 2)), ((3, 3), (3, 3)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
             ((2, 3, 4), (4, 2)), ((2, 3, 3), (2, 3, 3)), ((1, 3, 4), (2, 4, 2))]

    def prop(case: int, seed: int) -> None:
        a, b = cases[case]
        check_nodes(lambda x, y: x @ y, f64(a, seed), f64(b, seed + 1))

    run(prop, st.integers(0, len(cases) - 1), st.integers(0, 2**16), examples=20)


# ---- 5, 6. im2col and col2im -----------------------------------------------------------------
def _window() -> Any:
    """(N, C, H, W), kernel, dilation, padding, stride: a geometry with at least one window."""
    def ok(g: tuple) -> bool:
        (n, c, h, w), k, d, p, s = g
        return all(size + 2 * pp - dd * (kk - 1) - 1 >= 0
                   for size, kk, dd, pp in zip((h, w), k, d, p)) and \
            all(pp <= kk // 2 for kk, pp in zip(k, p))
    pair = st.tuples(st.integers(1, 3), st.integers(1, 3))
    return st.tuples(st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 6),
                               st.integers(1, 6)), pair, st.tuples(st.integers(1, 2),
                     st.integers(1, 2)), st.tuples(st.integers(0, 1), st.integers(0, 1)),
                     pair).filter(ok)


def _out(size: int, k: int, d: int, p: int, s: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def im2col_reference(x: np.ndarray, k: tuple, d: tuple, p: tuple, s: tuple) -> np.ndarray:
    """By the definition: column (i, j) holds the window at output position (i, j), its rows
    channel by channel, kernel row by kernel row (zeros outside the image)."""
    n, c, h, w = x.shape
    oh, ow = _out(h, k[0], d[0], p[0], s[0]), _out(w, k[1], d[1], p[1], s[1])
    cols = np.zeros((n, c * k[0] * k[1], oh * ow))
    for b, ch, a, e, i, j in itertools.product(range(n), range(c), range(k[0]), range(k[1]),
                                               range(oh), range(ow)):
        r, q = i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + e * d[1]
        if 0 <= r < h and 0 <= q < w:
            cols[b, (ch * k[0] + a) * k[1] + e, i * ow + j] = x[b, ch, r, q]
    return cols


def im2col(fn: Any) -> None:
    def prop(geometry: tuple, seed: int) -> None:
        shape, k, d, p, s = geometry
        x = np.random.default_rng(seed).standard_normal(shape)
        close(fn(np, x, k, d, p, s), im2col_reference(x, k, d, p, s),
              f"im2col of an image {list(shape)}, kernel {k}, dilation {d}, padding {p}, "
              f"stride {s}")

    run(prop, _window(), st.integers(0, 2**16), examples=40)


def col2im(fn: Any) -> None:
    def prop(geometry: tuple, seed: int) -> None:
        shape, k, d, p, s = geometry
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(shape)
        cols = rng.standard_normal(im2col_reference(x, k, d, p, s).shape)
        expected = np.zeros(shape)   # the adjoint by its definition: each entry back to its pixel
        n, c, h, w = shape
        oh, ow = _out(h, k[0], d[0], p[0], s[0]), _out(w, k[1], d[1], p[1], s[1])
        for b, ch, a, e, i, j in itertools.product(range(n), range(c), range(k[0]),
                                                   range(k[1]), range(oh), range(ow)):
            r, q = i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + e * d[1]
            if 0 <= r < h and 0 <= q < w:
                expected[b, ch, r, q] += cols[b, (ch * k[0] + a) * k[1] + e, i * ow + j]
        close(fn(np, cols, (h, w), k, d, p, s), expected,
              f"col2im onto an image {list(shape)}, kernel {k}, dilation {d}, padding {p}, "
              f"stride {s}")

    run(prop, _window(), st.integers(0, 2**16), examples=40)


# ---- 7. conv2d ---------------------------------------------------------------------------------
def conv2d_reference(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, s: tuple, p: tuple,
                     d: tuple) -> np.ndarray:
    """Cross-correlation by loops: out[n, o, i, j] = b[o] + sum over c, a, e of
    w[o, c, a, e] * x[n, c, i*s - p + a*d, j*s - p + e*d] (zero outside the image)."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = _out(h, kh, d[0], p[0], s[0]), _out(wd, kw, d[1], p[1], s[1])
    out = np.zeros((n, o, oh, ow)) + (0 if b is None else b.reshape(1, o, 1, 1))
    for bb, oo, i, j, cc, a, e in itertools.product(range(n), range(o), range(oh), range(ow),
                                                    range(c), range(kh), range(kw)):
        r, q = i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + e * d[1]
        if 0 <= r < h and 0 <= q < wd:
            out[bb, oo, i, j] += w[oo, cc, a, e] * x[bb, cc, r, q]
    return out


def conv2d(fn: Any) -> None:
    def prop(geometry: tuple, out_channels: int, bias: bool, seed: int) -> None:
        shape, k, d, p, s = geometry
        x, w = f64(shape, seed), f64((out_channels, shape[1], *k), seed + 1)
        b = f64((out_channels,), seed + 2) if bias else None
        what = (f"conv2d of {list(shape)} with a kernel {list(w.shape)}"
                f"{' and a bias' if bias else ''}, stride {s}, padding {p}, dilation {d}")
        got = fn(x, w, b, s, p, d)
        close(got, conv2d_reference(
            x.detach().numpy(), w.detach().numpy(), None if b is None else b.detach().numpy(),
            s, p, d), what)
        torch_agrees(got, "conv2d", x, w, b, what=what, stride=s, padding=p, dilation=d)
        if math.prod(shape) <= 24:
            gradients_close(lambda x, w: fn(x, w, None, s, p, d), x, w, what=what)

    run(prop, _window(), st.integers(1, 3), st.booleans(), st.integers(0, 2**16), examples=25)


# ---- 8, 9. pooling -----------------------------------------------------------------------------
def _pool() -> Any:
    """(N, C, H, W), kernel, stride, padding (at most half the kernel), ceil mode."""
    def ok(g: tuple) -> bool:
        (n, c, h, w), k, s, p, _ = g
        return all(pp <= kk // 2 and size + 2 * pp >= kk
                   for size, kk, pp in zip((h, w), k, p))
    pair = st.tuples(st.integers(1, 3), st.integers(1, 3))
    return st.tuples(st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 6),
                               st.integers(1, 6)), pair, pair,
                     st.tuples(st.integers(0, 1), st.integers(0, 1)), st.booleans()).filter(ok)


def _pool_out(size: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    """PyTorch's output size; in ceil mode the last window must start inside the input or the
    left padding."""
    o = -(-(size + 2 * p - k) // s) + 1 if ceil_mode else (size + 2 * p - k) // s + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1
    return o


def max_pool_reference(x: np.ndarray, k: tuple, s: tuple, p: tuple, ceil_mode: bool
                       ) -> np.ndarray:
    """The largest value of each window; padding never wins (it is -inf, not 0)."""
    n, c, h, w = x.shape
    oh, ow = (_pool_out(sz, kk, ss, pp, ceil_mode) for sz, kk, ss, pp in zip((h, w), k, s, p))
    out = np.full((n, c, oh, ow), -np.inf)
    for i, j in itertools.product(range(oh), range(ow)):
        r0, q0 = i * s[0] - p[0], j * s[1] - p[1]
        rows = slice(max(r0, 0), min(r0 + k[0], h))
        cols = slice(max(q0, 0), min(q0 + k[1], w))
        out[:, :, i, j] = x[:, :, rows, cols].max(axis=(2, 3))
    return out


def max_pool2d(fn: Any) -> None:
    def prop(geometry: tuple, seed: int) -> None:
        shape, k, s, p, ceil_mode = geometry
        x = f64(shape, seed)   # (standard normal: many windows hold only negative values)
        what = (f"max_pool2d of {list(shape)}, kernel {k}, stride {s}, padding {p}"
                f"{', ceil_mode' if ceil_mode else ''}")
        got = fn(x, k, s, p, 1, ceil_mode)
        close(got, max_pool_reference(x.detach().numpy(), k, s, p, ceil_mode), what)
        torch_agrees(got, "max_pool2d", x, what=what, kernel_size=k, stride=s, padding=p,
                     ceil_mode=ceil_mode)
        if math.prod(shape) <= 24:
            gradients_close(lambda x: fn(x, k, s, p, 1, ceil_mode), x, what=what)

    run(prop, _pool(), st.integers(0, 2**16), examples=40)


def avg_pool_reference(x: np.ndarray, k: tuple, s: tuple, p: tuple, ceil_mode: bool,
                       count_include_pad: bool) -> np.ndarray:
    """PyTorch's divisor, as its kernel computes it: the window clipped to the padded input
    (count_include_pad), or to the input itself."""
    n, c, h, w = x.shape
    oh, ow = (_pool_out(sz, kk, ss, pp, ceil_mode) for sz, kk, ss, pp in zip((h, w), k, s, p))
    out = np.zeros((n, c, oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        r0, q0 = i * s[0] - p[0], j * s[1] - p[1]
        r1, q1 = min(r0 + k[0], h + p[0]), min(q0 + k[1], w + p[1])
        padded_size = (r1 - r0) * (q1 - q0)
        r0, q0, r1, q1 = max(r0, 0), max(q0, 0), min(r1, h), min(q1, w)
        total = x[:, :, r0:r1, q0:q1].sum(axis=(2, 3))
        out[:, :, i, j] = total / (padded_size if count_include_pad else (r1 - r0) * (q1 - q0))
    return out


def avg_pool2d(fn: Any) -> None:
    def prop(geometry: tuple, count_include_pad: bool, seed: int) -> None:
        shape, k, s, p, ceil_mode = geometry
        x = f64(shape, seed)
        what = (f"avg_pool2d of {list(shape)}, kernel {k}, stride {s}, padding {p}"
                f"{', ceil_mode' if ceil_mode else ''}, count_include_pad={count_include_pad}")
        got = fn(x, k, s, p, ceil_mode, count_include_pad)
        close(got, avg_pool_reference(x.detach().numpy(), k, s, p, ceil_mode,
                                      count_include_pad), what)
        torch_agrees(got, "avg_pool2d", x, what=what, kernel_size=k, stride=s, padding=p,
                     ceil_mode=ceil_mode, count_include_pad=count_include_pad)
        if math.prod(shape) <= 24:
            gradients_close(lambda x: fn(x, k, s, p, ceil_mode, count_include_pad), x,
                            what=what)

    run(prop, _pool(), st.booleans(), st.integers(0, 2**16), examples=50)


# ---- 10. batch norm ----------------------------------------------------------------------------
def batch_norm(fn: Any) -> None:
    def prop(shape: tuple, training: bool, affine: bool, seed: int) -> None:
        rng = np.random.default_rng(seed)
        x = f64(shape, seed)
        c = shape[1]
        mean0, var0 = rng.standard_normal(c), rng.uniform(0.5, 2, c)
        rm, rv = mg.tensor(mean0.copy()), mg.tensor(var0.copy())
        weight, bias = (f64((c,), seed + 1), f64((c,), seed + 2)) if affine else (None, None)
        momentum, eps = 0.1, 1e-5
        xs = x.detach().numpy()
        axes = (0, *range(2, len(shape)))
        per_channel = (1, c) + (1,) * (len(shape) - 2)
        mean, var = (xs.mean(axis=axes), xs.var(axis=axes)) if training else (mean0, var0)
        expected = (xs - mean.reshape(per_channel)) / np.sqrt(var.reshape(per_channel) + eps)
        if weight is not None and bias is not None:  # (affine)
            expected = expected * weight.detach().numpy().reshape(per_channel) + \
                bias.detach().numpy().reshape(per_channel)
        what = (f"batch_norm of {list(shape)} in {'training' if training else 'evaluation'}"
                f"{' with weight and bias' if affine else ''}")
        got = fn(x, rm, rv, weight, bias, training, momentum, eps)
        close(got, expected, what)
        torch_agrees(got, "batch_norm", x, mean0, var0, weight, bias, what=what,
                     training=training, momentum=momentum, eps=eps)
        count = xs.size // c
        close(rm, (1 - momentum) * mean0 + momentum * mean if training else mean0,
              f"{what}: the running mean after it")
        close(rv, (1 - momentum) * var0 + momentum * var * count / (count - 1) if training
              else var0, f"{what}: the running variance after it (unbiased, with momentum)")
        if xs.size <= 16:
            gradients_close(lambda x: fn(x, None, None, None, None, True, momentum, eps) * x,
                            x, what=what)

    shapes = st.one_of(st.tuples(st.integers(2, 4), st.integers(1, 3)),
                       st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
                                 st.integers(2, 3)))
    run(prop, shapes, st.booleans(), st.booleans(), st.integers(0, 2**16), examples=40)


# ---- 11. SGD with momentum ---------------------------------------------------------------------
def sgd(update: Any) -> None:
    def prop(lr: float, momentum: float, dampening: float, weight_decay: float, nesterov: bool,
             maximize: bool, seed: int) -> None:
        if nesterov and (momentum == 0 or dampening != 0):
            nesterov = False
        rng = np.random.default_rng(seed)
        p0 = rng.standard_normal(3)
        grads = [rng.standard_normal(3) for _ in range(3)]
        p = mg.tensor(p0.copy(), requires_grad=True)
        opt = mg.optim.SGD([p], lr=lr, momentum=momentum, dampening=dampening,
                           weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        expected, buf = p0.copy(), None   # PyTorch's SGD, step by step
        for step, g in enumerate(grads, 1):
            p.grad = mg.tensor(g)
            opt.step()
            d = -g if maximize else g.copy()
            d = d + weight_decay * expected
            if momentum:
                buf = d.copy() if buf is None else momentum * buf + (1 - dampening) * d
                d = d + momentum * buf if nesterov else buf
            expected = expected - lr * d
            close(p, expected, f"SGD(lr={lr}, momentum={momentum}, dampening={dampening}, "
                  f"weight_decay={weight_decay}, nesterov={nesterov}, maximize={maximize}): "
                  f"the parameter after step {step}")

    num = st.sampled_from([0.0, 0.1, 0.5, 0.9])
    run(prop, st.sampled_from([0.01, 0.1, 1.0]), num, num, num, st.booleans(), st.booleans(),
        st.integers(0, 2**16), examples=40)


# ---- 12. LeNet -----------------------------------------------------------------------------
LENET_EPOCHS, LENET_ACCURACY = 6, 0.95  # the lecture: about 0.97 after 6 epochs (section 10)


def lenet(train: Any) -> None:
    from minigrad import data, nn

    try:
        train_set, test_set = data.Digits(), data.Digits(train=False)
    except ImportError as e:
        raise AssertionError(f"needs scikit-learn's digits: {e}") from e
    mg.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(2, stride=2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
    accuracies = train(model, train_set, test_set, epochs=LENET_EPOCHS)
    if not accuracies or not accuracies[-1] >= LENET_ACCURACY:
        raise AssertionError(f"LeNet with your pieces reached test accuracies "
                             f"{[round(a, 3) for a in accuracies]} in {LENET_EPOCHS} epochs; "
                             f"the lecture's LeNet reaches {LENET_ACCURACY} or more")
