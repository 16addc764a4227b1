"""The seam between the textbook and the fast paths: the switch, what it switches, and that
both paths give the same numbers.

The op tables (test_ops.py, test_nn_functional.py) run every op with the fast paths on and
off against the same references; here: a LeNet training step compared step by step in both
modes, proof that nothing fast runs while the switch is off, and the fast paths whose
conditions the tables' small inputs never meet (long thin products, tiling windows, memory
layouts).
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from demos.lenet import lenet, lenet_bn
from minigrad import backends, ops
from minigrad.autograd import Function
from minigrad.backends import fast_paths
from minigrad.fast import compiled, numpy_backend
from minigrad.testing import assert_close
from tests import reference as ref
from tests.test_scripts import run_python

BUILT_IN = [type(b) for b in backends.registered_backends().values()]


# ---- the switch -----------------------------------------------------------------------------
def test_the_switch_is_a_call_a_context_manager_and_a_decorator() -> None:
    assert backends.fast_paths_enabled()
    with fast_paths(False):
        assert not backends.fast_paths_enabled()
        with fast_paths(True):
            assert backends.fast_paths_enabled()
        assert not backends.fast_paths_enabled()
    assert backends.fast_paths_enabled()

    @fast_paths(False)
    def textbook() -> bool:
        return backends.fast_paths_enabled()

    assert backends.fast_paths_enabled()  # making the decorator switched nothing
    assert textbook() is False and backends.fast_paths_enabled()
    try:
        fast_paths(False)  # as a plain call: off until switched on again
        assert not backends.fast_paths_enabled()
        assert mg.get_backend("cpu").faster(ops.Unfold) is None
    finally:
        fast_paths(True)
    assert mg.get_backend("cpu").faster(ops.Unfold) is not None


@pytest.mark.parametrize(("value", "enabled"), [("0", False), ("off", False), ("1", True),
                                                (None, True)])
def test_the_environment_variable_sets_the_switch(value: str | None, enabled: bool,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    if value is None:
        monkeypatch.delenv("MINIGRAD_FAST_PATHS", raising=False)
    else:
        monkeypatch.setenv("MINIGRAD_FAST_PATHS", value)
    out = run_python(code="import minigrad as mg; print(mg.backends.fast_paths_enabled())")
    assert out.strip() == str(enabled)


def test_every_fast_path_stands_in_for_a_textbook_op_of_the_same_signature() -> None:
    """A table maps a textbook Function class to a subclass of it, or a @fast_path function
    to a function taking the same arguments; new backends start with an empty table."""
    assert mg.Backend.fast_table == {}
    for backend in BUILT_IN:
        assert backend.fast_table, f"{backend.__name__} has no fast paths"
        for textbook, faster in backend.fast_table.items():
            if isinstance(textbook, type):
                assert issubclass(textbook, Function) and issubclass(faster, textbook)
                assert faster.__name__ == textbook.__name__  # grad_fn names stay torch's
            else:
                assert hasattr(textbook, "textbook"), f"{textbook} is not marked @fast_path"
                assert parameters(faster) == parameters(textbook.textbook), textbook.__name__


def parameters(fn: Callable) -> list[tuple[str, Any, Any]]:
    """Each parameter's name, kind and default (the annotations may differ)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def test_the_input_may_be_passed_by_keyword(monkeypatch: pytest.MonkeyPatch) -> None:
    """A @fast_path function finds its input tensor by position or by its parameter's name."""
    table = {ops.reduce.argmax: lambda x, dim=None, keepdim=False: "fast argmax",
             F.conv2d: lambda input, weight, *args, **kwargs: "fast conv2d"}
    monkeypatch.setattr(type(mg.get_backend("cpu")), "fast_table", table)
    x, w = mg.randn(1, 1, 4, 4), mg.randn(2, 1, 3, 3)
    assert ops.reduce.argmax(x, dim=1) == ops.reduce.argmax(x=x, dim=1) == "fast argmax"
    assert F.conv2d(input=x, weight=w) == F.conv2d(x, weight=w) == "fast conv2d"
    with fast_paths(False):
        assert F.conv2d(input=x, weight=w).shape == (1, 2, 2, 2)


# ---- LeNet, step by step in both modes -------------------------------------------------------
def train(model_fn: Callable, fast: bool, steps: int = 3) -> Iterator[dict[str, np.ndarray]]:
    """A few SGD steps of a LeNet from seed 0; after each, the loss, every gradient and every
    buffer (BatchNorm's running statistics). (The switch is one setting for the process: run
    one generator to its end before starting another.)"""
    with fast_paths(fast):
        mg.manual_seed(0)
        model = model_fn(nn)
        x, y = mg.randn(32, 1, 28, 28), mg.randint(0, 10, (32,))
        for _ in range(steps):
            model.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            seen = {"loss": loss.detach().numpy().copy()}
            seen.update({f"grad {k}": p.grad.numpy().copy()
                         for k, p in model.named_parameters()})
            seen.update({f"buffer {k}": b.numpy().copy() for k, b in model.named_buffers()})
            yield seen
            with mg.no_grad():
                for p in model.parameters():
                    p -= 0.5 * p.grad


@pytest.mark.parametrize("model_fn", [lenet, lenet_bn], ids=["lenet", "lenet-bn"])
def test_lenet_trains_step_for_step_the_same_on_the_textbook_path(model_fn: Callable) -> None:
    """The loss, every gradient and every BatchNorm buffer, within float32 rounding. (The
    absolute tolerance follows the largest value of its kind: a bias before BatchNorm has a
    gradient of exactly 0 in theory, so both paths return rounding noise there.)"""
    fast_run, textbook_run = list(train(model_fn, True)), list(train(model_fn, False))
    assert len(fast_run) == 3
    for step, (fast, textbook) in enumerate(zip(fast_run, textbook_run)):
        assert fast.keys() == textbook.keys()
        for name, value in fast.items():
            kind = name.split()[0]
            scale = max(np.abs(v).max() for k, v in textbook.items() if k.startswith(kind))
            assert_close(value, textbook[name], rtol=1e-4, atol=1e-5 * scale,
                         msg=f"step {step}: {name}")


# ---- nothing fast runs while the switch is off ------------------------------------------------
def refuse(what: Any) -> Any:
    """A stand-in for a fast path that fails if it is ever used."""
    if isinstance(what, type):
        def forward(self: Any, *args: Any, **kwargs: Any) -> Any:
            raise AssertionError(f"the fast {what.__name__} ran")
        return type(what.__name__, (what,), {"forward": forward})

    def function(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"the fast {what.__name__} ran")
    return function


def a_bit_of_everything() -> None:
    """A LeNet step, and every op with a fast path besides."""
    next(train(lenet, fast=backends.fast_paths_enabled(), steps=1))
    x = mg.randn(2, 3, 9, 9, requires_grad=True)
    y = F.max_pool2d(x, 3, 2, 1) + F.avg_pool2d(x, 3, 2, 1, ceil_mode=True)
    y = F.adaptive_avg_pool2d(y, 3) + F.conv_transpose2d(y, mg.randn(3, 3, 2, 2))[..., :3, :3]
    (y.max(dim=1)[0].sum() + x.argmin(dim=2).sum() * 0).backward()


def test_with_the_switch_off_no_fast_path_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    for backend in BUILT_IN:
        monkeypatch.setattr(backend, "fast_table",
                            {k: refuse(k) for k in backend.fast_table})
    with fast_paths(False):
        a_bit_of_everything()
    with pytest.raises(AssertionError, match="the fast .* ran"):  # the stand-ins are reached
        a_bit_of_everything()


# ---- the fast paths the op tables' small inputs never reach ------------------------------------
def both(fn: Callable, *arrays: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """fn's output and its inputs' gradients (for an upstream gradient of ones), with fast
    paths on and off."""
    results = []
    for fast in (True, False):
        with fast_paths(fast):
            xs = [mg.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
            out = fn(*xs)
            out.backward(mg.ones_like(out))
            results.append([out.detach().numpy()] + [x.grad.numpy() for x in xs])
    return results[0], results[1]


@st.composite
def window_geometry(draw: st.DrawFn) -> tuple:
    """Input shape and (kernel, dilation, padding, stride), tiling ones (stride = kernel) too."""
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    s = k if draw(st.booleans()) else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    size = tuple(draw(st.integers(max(1, di * (ki - 1) + 1 - 2 * pi), 8))
                 for ki, di, pi in zip(k, d, p))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *size)
    return shape, (k, d, p, s)


def batch_innermost(a: np.ndarray) -> np.ndarray:
    """The same values with the first axis innermost in memory (as convolutions leave them)."""
    order = (*range(1, a.ndim), 0)
    return np.ascontiguousarray(a.transpose(order)).transpose(np.argsort(order))


@given(window_geometry(), st.integers(0, 2**16), st.booleans())
def test_fold_and_unfold_agree_in_every_memory_layout(geometry: tuple, seed: int,
                                                      inner: bool) -> None:
    """The NumPy fold (in-place adds, the tiling shortcut) and unfold (reading a
    batch-innermost image in place) against the textbook im2col/col2im, on inputs laid out
    NCHW or batch innermost."""
    shape, (k, d, p, s) = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    cols = ref.unfold(x, k, d, p, s)
    g = rng.standard_normal(cols.shape)
    if inner:
        x, g = batch_innermost(x), batch_innermost(g)
    fast, textbook = both(lambda t: F.unfold(t, k, d, p, s), x)
    for a, b in zip(fast, textbook):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    fast, textbook = both(lambda t: F.fold(t, shape[2:], k, d, p, s), g)
    for a, b in zip(fast, textbook):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4),
       st.sampled_from([None, 1, 3]), st.booleans(), st.booleans(), st.integers(0, 2**16))
def test_avg_pool_over_tiling_windows_agrees_with_the_textbook(
        kh: int, kw: int, mh: int, mw: int, divisor: int | None, ceil_mode: bool,
        inner: bool, seed: int) -> None:
    """Windows that tile the image (LeNet's pooling) are a block sum on the fast path; values
    and gradients equal the textbook's, for inputs laid out NCHW or batch innermost."""
    x = np.random.default_rng(seed).standard_normal((2, 3, kh * mh, kw * mw))
    fast, textbook = both(lambda t: F.avg_pool2d(t, (kh, kw), ceil_mode=ceil_mode,
                                                 divisor_override=divisor),
                          batch_innermost(x) if inner else x)
    assert fast[0].shape == (2, 3, mh, mw)
    for a, b in zip(fast, textbook):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@st.composite
def products(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Shapes of a @ b, among them the long thin products the NumPy fast path reorders: a tiny
    (m, n) result over k >= 16384 terms (with or without a remainder past the last chunk), and
    results wider than tall over a long k; batched, broadcast, or empty."""
    m, n = draw(st.sampled_from([(1, 1), (3, 5), (6, 25), (16, 16), (2, 40), (17, 16), (0, 5)]))
    k = draw(st.sampled_from([7, 300, 16384, 16384 + 4096 * 3, 20000, 40000]))
    a_batch, b_batch = draw(st.sampled_from(
        [((), ()), ((1,), (1,)), ((2,), (2,)), ((2, 1), (3,)), ((), (2,)), ((0,), (0,))]))
    return (*a_batch, m, k), (*b_batch, k, n)


@given(products(), st.booleans(), st.booleans())
def test_reordered_products_keep_the_values(shapes: tuple, a_t: bool, b_t: bool) -> None:
    """The NumPy matmul (chunked long thin products, transposed wide results) gives
    np.matmul's values and shape, for operands in either memory order."""
    a_shape, b_shape = shapes
    rng = np.random.default_rng(sum(a_shape) + sum(b_shape))
    a = rng.standard_normal(a_shape).astype(np.float32)
    b = rng.standard_normal(b_shape).astype(np.float32)
    if a_t:
        a = np.ascontiguousarray(a.swapaxes(-1, -2)).swapaxes(-1, -2)
    if b_t:
        b = np.ascontiguousarray(b.swapaxes(-1, -2)).swapaxes(-1, -2)
    got = (mg.from_numpy(a) @ mg.from_numpy(b)).numpy()
    want = np.matmul(a.astype(np.float64), b.astype(np.float64))
    assert got.shape == want.shape and got.dtype == np.float32
    scale = np.sqrt(a_shape[-1])  # the size of a sum of k unit terms
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-5 * scale * 10)


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.bool_])
def test_integer_products_keep_their_dtype(dtype: type) -> None:
    """Only floating products are reordered: an integer or boolean long thin product keeps
    np.matmul's dtype and exact values."""
    a = np.ones((2, 20000), dtype=dtype)
    b = np.ones((20000, 3), dtype=dtype)
    got = (mg.from_numpy(a) @ mg.from_numpy(b)).numpy()
    want = np.matmul(a, b)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_convolution_and_pooling_keep_the_batch_innermost_on_numpy() -> None:
    """On NumPy's fast path, conv2d, its bias, sigmoid and avg/max pooling hand each other
    activations and gradients laid out (C, H, W, N) behind NCHW views: no transposing copy in
    between (the speed of a LeNet step rests on it). The textbook path keeps NCHW."""
    for fast in (True, False):
        with fast_paths(fast):
            x = mg.randn(8, 1, 12, 12)
            w1 = mg.randn(4, 1, 3, 3, requires_grad=True)
            w2 = mg.randn(5, 4, 3, 3, requires_grad=True)
            b1 = mg.randn(4, requires_grad=True)
            h1 = F.conv2d(x, w1, b1, padding=1).sigmoid()
            p1 = F.avg_pool2d(h1, 2)
            h2 = F.conv2d(p1, w2).sigmoid()
            p2 = F.max_pool2d(h2, 2)
            seen = {"h1": h1, "p1": p1, "h2": h2, "p2": p2}
            flowing = {}  # the gradients as backward hands them on (a retained .grad is a
            for key, t in seen.items():  # row-major copy, as torch's)
                t.register_hook(lambda g, key=key, into=flowing: into.__setitem__(key, g))
            (p2 * p2).sum().backward()
        for name, t in seen.items():
            for what, a in ((name, t.detach().numpy()), (name + " grad", flowing[name].numpy())):
                inner = a.strides[0] == a.itemsize
                assert inner == fast, f"{what}: strides {a.strides} (fast paths {fast})"


def test_an_image_already_batch_innermost_is_read_in_place() -> None:
    """The NumPy unfold's first step: a free view of an activation that already lies
    (C, H, W, N) and needs no padding, else the generic zero-padded copy; same values."""
    from minigrad.fast import generic, numpy_backend

    def layout(fn: type, x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
        unfold = fn()
        unfold.xp = np
        return unfold.batch_innermost(x, padding)

    for padding in ((0, 0), (1, 0), (0, 2)):
        for inner in (True, False):
            x = np.random.default_rng(3).standard_normal((3, 2, 4, 5))
            x = batch_innermost(x) if inner else x
            got = layout(numpy_backend.Unfold, x, padding)
            np.testing.assert_array_equal(got, layout(generic.Unfold, x, padding))
            assert got.flags.c_contiguous
            assert np.shares_memory(got, x) == (inner and padding == (0, 0))


def test_fold_never_returns_a_view_of_its_columns() -> None:
    """A 1x1 kernel at stride 1 tiles the image: the fold's reshape would be free, but the
    image is a new array, as torch's (writing into it leaves the columns alone)."""
    cols = mg.from_numpy(batch_innermost(np.ones((4, 3, 6))))
    image = F.fold(cols, (2, 3), 1)
    image.mul_(0)
    assert (cols == 1).all().item() and (image == 0).all().item()


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "textbook"])
def test_max_along_a_dim_with_nan_picks_the_first_nan_as_torch(fast: bool) -> None:
    with fast_paths(fast):
        v = mg.tensor([[1.0, float("nan"), 3.0, float("nan")], [2.0, 1.0, 2.0, 0.0]],
                      requires_grad=True)
        values, index = v.max(dim=1)
        values.sum().backward()
        _, pool_index = F.max_pool2d(v.detach().reshape(1, 1, 2, 4), 2, return_indices=True)
    assert index.tolist() == [1, 0] and np.isnan(values[0].item())
    assert v.grad.tolist() == [[0, 1, 0, 0], [1, 0, 0, 0]]
    assert pool_index.tolist() == [[[[1, 3]]]]


# ---- ReLU's and max pooling's gradients without `where`, batch norm as one op ------------------
KERNELS = ["compiled", "numpy"]  # numba's one-pass kernels, or the NumPy twin alone


@contextlib.contextmanager
def mask_kernels(kind: str) -> Iterator[list[str]]:
    """Run the fast twins with numba's compiled kernels ("compiled"; skipped, saying why, where
    numba is missing) or without them ("numpy"); yields the names of the kernels that ran."""
    ran: list[str] = []
    if kind == "compiled" and importlib.util.find_spec("numba") is None:
        pytest.skip("numba is not installed (pip install -e '.[fast]'): no compiled kernels")
    with pytest.MonkeyPatch.context() as patch:
        if kind == "compiled":
            patch.setattr(numpy_backend, "COMPILED_FROM", 0)  # (the test's arrays are small)
            kernel = compiled.kernel
            patch.setattr(compiled, "kernel", lambda f, parallel=True: ran.append(f.__name__)
                          or kernel(f, parallel))
        else:
            patch.setattr(compiled, "AVAILABLE", False)
        yield ran


@pytest.mark.parametrize("kind", KERNELS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_relu_gradient_keeps_torchs_values_bit_for_bit(dtype: type, kind: str) -> None:
    """g where y > 0 (or NaN), else +0, even for an infinite or NaN g where y <= 0 (a product
    with a 0/1 mask would give NaN there) and for signed zeros; g and y laid out alike (one
    pass) or not (the NumPy twin's AND)."""
    inf, nan = float("inf"), float("nan")
    x = np.array([-1.0, 0.0, -0.0, 2.0, nan, 3.0, -4.0, 5.0], dtype=dtype).reshape(2, 2, 2)
    g = np.array([inf, nan, -2.0, -0.0, 7.0, nan, -inf, inf], dtype=dtype).reshape(2, 2, 2)
    for g_layout in (g, np.asfortranarray(g)):
        grads = []
        for fast in (True, False):
            with fast_paths(fast), mask_kernels(kind) as ran:
                t = mg.tensor(x, requires_grad=True)
                t.relu().backward(mg.tensor(g_layout))
                grads.append(t.grad.numpy())
            compiled_ran = fast and kind == "compiled" and dtype != np.float16 and (
                g_layout.flags.c_contiguous)
            assert ran == (["relu_gradient"] if compiled_ran else []), (fast, g_layout.flags)
        assert grads[0].tobytes() == grads[1].tobytes()
        assert grads[0].tobytes() == np.where(~(x <= 0), g, dtype(0)).tobytes()


def test_small_gradients_stay_with_numpy_and_large_ones_compile() -> None:
    """Below COMPILED_FROM elements ReLU's gradient is NumPy's AND (a numba call bought nothing
    there); from it on, the compiled pass."""
    if importlib.util.find_spec("numba") is None:
        pytest.skip("numba is not installed (pip install -e '.[fast]'): no compiled kernels")
    ran: list[str] = []
    kernel = compiled.kernel

    def spy(f: Callable, parallel: bool = True) -> Callable:
        ran.append(f.__name__)
        return kernel(f, parallel)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compiled, "kernel", spy)
        for size in (16, numpy_backend.COMPILED_FROM):
            x = mg.randn(size, requires_grad=True)
            g = mg.randn(size)
            x.relu().backward(g)
            assert_close(x.grad, g * (x.detach() > 0).float())
            assert ran == ([] if size == 16 else ["relu_gradient"]), size


def test_flat_views_pair_entries_only_for_one_memory_order() -> None:
    """The compiled ReLU gradient reads g and y as flat arrays: only when both lie in one
    dense order (row-major, batch innermost, any), never for broadcast or strided views."""
    from minigrad.fast.numpy_backend import flat

    a = np.arange(24.0).reshape(2, 3, 4)
    inner = np.ascontiguousarray(a.transpose(1, 2, 0)).transpose(2, 0, 1)  # (batch innermost)
    views = flat(inner, inner.copy(order="K"))
    assert views is not None and all(v.base is not None for v in views)
    assert np.array_equal(views[0], inner.transpose(1, 2, 0).reshape(-1))
    assert flat(a, a + 1) is not None
    assert flat(a, inner) is None and flat(inner, a) is None
    assert flat(np.broadcast_to(a[:1], a.shape), a) is None
    assert flat(a[:, :, ::2], a[:, :, ::2]) is None


@st.composite
def batch_norm_cases(draw: st.DrawFn) -> tuple:
    """A shape (N, C, *), training or not, which of weight and bias, a layout, a dtype."""
    shape = (draw(st.integers(2, 4)), draw(st.integers(1, 3)),
             *draw(st.lists(st.integers(1, 4), max_size=3)))
    return (shape, draw(st.booleans()), draw(st.booleans()), draw(st.booleans()),
            draw(st.booleans()), draw(st.sampled_from([np.float32, np.float64])))


@given(batch_norm_cases(), st.integers(0, 2**16))
def test_batch_norm_as_one_op_agrees_with_the_formula(case: tuple, seed: int) -> None:
    """Output, the gradients of input, weight and bias, and the running statistics, for
    inputs laid out NCHW or batch innermost, in training and in evaluation."""
    shape, training, has_weight, has_bias, inner, dtype = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype) * 3 + 1
    g = rng.standard_normal(shape).astype(dtype)
    c = shape[1]
    weight, bias = rng.uniform(0.5, 2, c).astype(dtype), rng.standard_normal(c).astype(dtype)
    seen = []
    for fast in (True, False):
        with fast_paths(fast):
            t = mg.tensor(batch_innermost(x) if inner else x, requires_grad=True)
            w, b = mg.tensor(weight, requires_grad=True), mg.tensor(bias, requires_grad=True)
            mean, var = mg.tensor(np.full(c, 0.5, dtype)), mg.tensor(np.full(c, 2.0, dtype))
            out = F.batch_norm(t, mean, var, w if has_weight else None,
                               b if has_bias else None, training=training, momentum=0.3)
            out.backward(mg.tensor(g))
            seen.append([out.detach().numpy(), t.grad.numpy(), w.grad, b.grad,
                         mean.numpy(), var.numpy()])
            assert (type(out.grad_fn).__name__ == "BatchNorm") == fast
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for name, a, b in zip(["output", "input grad", "weight grad", "bias grad", "running mean",
                           "running var"], *seen):
        if a is None or b is None:
            assert a is b, name  # (a parameter left out gets no gradient on either path)
            continue
        a, b = (v.numpy() if isinstance(v, mg.Tensor) else v for v in (a, b))
        assert_close(a, b, rtol=tol, atol=tol * max(1.0, float(np.abs(b).max())), msg=name)


def test_batch_norm_as_one_op_gives_the_formulas_higher_orders() -> None:
    """A second derivative (create_graph) goes through the formula's graph: the same numbers,
    and gradgradcheck passes on the fast path."""
    x = mg.randn(4, 3, 5, 5, dtype=mg.float64, requires_grad=True)
    w = mg.randn(3, dtype=mg.float64, requires_grad=True)

    def fn(x: mg.Tensor, w: mg.Tensor) -> mg.Tensor:
        return F.batch_norm(x, None, None, w, None, training=True)

    second = []
    for fast in (True, False):
        with fast_paths(fast):
            gx, = mg.autograd.grad((fn(x, w) ** 3).sum(), [x], create_graph=True)
            second.append(mg.autograd.grad((gx * gx).sum(), [x, w]))
    for a, b in zip(*second):
        assert_close(a, b, rtol=1e-10, atol=1e-10)
    assert mg.testing.gradgradcheck(fn, (x, w))


def test_batch_norm_as_one_op_updates_the_statistics_without_a_graph() -> None:
    """In training under no_grad (no node records the batch's statistics) the running
    estimates still move as the formula's."""
    x = mg.randn(8, 2, 3, 3) * 2 + 1
    stats = []
    for fast in (True, False):
        with fast_paths(fast), mg.no_grad():
            bn = nn.BatchNorm2d(2)
            bn(x)
            stats.append((bn.running_mean.numpy(), bn.running_var.numpy()))
    for a, b in zip(*stats):
        assert_close(a, b, rtol=1e-6, atol=1e-7)
    assert not np.allclose(stats[0][0], 0)


@pytest.mark.parametrize("kind", KERNELS)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.booleans(), st.booleans(), st.sampled_from([np.float32, np.float64]),
       st.integers(0, 2**16))
def test_max_pool_over_tiles_agrees_with_the_textbook(kind: str, kh: int, kw: int, mh: int,
                                                       mw: int, inner: bool, ceil_mode: bool,
                                                       dtype: type, seed: int) -> None:
    """Values and gradient bit for bit, with ties, NaN and infinite gradients in the tiles,
    for inputs laid out NCHW or batch innermost, batched or not; the gradient by the compiled
    kernel and by the NumPy twin."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, (2, 3, kh * mh, kw * mw)).astype(dtype)  # (small integers: ties)
    x[rng.random(x.shape) < 0.1] = np.nan
    out_shape = (2, 3, mh, mw)
    g = rng.standard_normal(out_shape).astype(dtype)
    g[rng.random(out_shape) < 0.2] = np.inf
    unbatched = bool(seed % 2)
    seen = []
    for fast in (True, False):
        with fast_paths(fast), mask_kernels(kind) as ran:
            t = mg.tensor(batch_innermost(x) if inner else x, requires_grad=True)
            source = t[0] if unbatched else t
            out = F.max_pool2d(source, (kh, kw), ceil_mode=ceil_mode)
            out.backward(mg.tensor(g[0] if unbatched else g))
            seen.append((out.detach().numpy(), t.grad.numpy()))
            if not unbatched:  # (else the node is the squeeze after it)
                assert (type(out.grad_fn).__name__ == "MaxPoolTiles") == fast
            assert ("tile_max_gradient" in ran) == (fast and kind == "compiled")
    for a, b in zip(*seen):
        assert np.array_equal(a, b, equal_nan=True)
        assert np.array_equal(np.signbit(a), np.signbit(b))  # (+0 where no gradient goes)


def test_max_pool_over_tiles_gives_the_textbooks_higher_orders() -> None:
    x = mg.randn(2, 2, 4, 6, dtype=mg.float64, requires_grad=True)
    second = []
    for fast in (True, False):
        with fast_paths(fast):
            gx, = mg.autograd.grad((F.max_pool2d(x, 2) ** 3).sum(), [x], create_graph=True)
            second.append(mg.autograd.grad((gx * gx).sum(), [x])[0].numpy())
    assert_close(second[0], second[1], rtol=1e-12, atol=1e-12)
    assert mg.testing.gradgradcheck(lambda t: F.max_pool2d(t, 2), (x,))
    one = mg.randn(1, 1, 2, 2, requires_grad=True)
    pooled = F.max_pool2d(one, 1)
    pooled.detach().mul_(0)  # (1x1 tiles: the output is a copy, never a view of the input)
    assert (one != 0).all().item()


@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 3), st.integers(0, 3),
       st.integers(16, 18), st.integers(1, 3), st.booleans(), st.integers(0, 2**16))
def test_stride_one_convolution_takes_its_input_gradient_as_a_convolution(
        kh: int, kw: int, ph: int, pw: int, c_in: int, c_out: int, inner: bool,
        seed: int) -> None:
    """conv2d at stride 1 (padding below the kernel's size, 16 input channels or more) is one
    node whose input gradient is the full correlation with the flipped kernel: values and
    gradients equal the textbook's (unfold, product, col2im)."""
    ph, pw = min(ph, kh - 1), min(pw, kw - 1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, c_in, kh + 3, kw + 2))
    w, b = rng.standard_normal((c_out, c_in, kh, kw)), rng.standard_normal(c_out)
    fast, textbook = both(lambda t, u, v: F.conv2d(t, u, v, padding=(ph, pw)),
                          batch_innermost(x) if inner else x, w, b)
    for a, e in zip(fast, textbook):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)
    with fast_paths(True):
        out = F.conv2d(mg.tensor(x, requires_grad=True), mg.tensor(w), padding=(ph, pw))
        assert type(out.grad_fn).__name__ == "Conv2dStride1"


def test_stride_one_convolution_gives_the_textbooks_higher_orders() -> None:
    x = mg.randn(2, 16, 5, 4, dtype=mg.float64, requires_grad=True)
    w = mg.randn(3, 16, 3, 2, dtype=mg.float64, requires_grad=True)
    second = []
    for fast in (True, False):
        with fast_paths(fast):
            gx, gw = mg.autograd.grad((F.conv2d(x, w, padding=1) ** 2).sum(), [x, w],
                                      create_graph=True)
            second.append(mg.autograd.grad((gx * gx).sum() + (gw * gw).sum(), [x, w]))
    for a, b in zip(*second):
        assert_close(a, b, rtol=1e-10, atol=1e-10)
    assert mg.testing.gradgradcheck(lambda t, u: F.conv2d(t, u, padding=(1, 0)), (x, w))


def test_the_portable_twins_run_on_array_api_strict_as_the_textbook() -> None:
    """Batch norm as one op, max pooling over tiles and the stride-1 convolution (16 channels:
    more than the op tables draw) on array-api-strict, the generic twins' portability proof."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in ((2, 16, 6, 6), (5, 16, 3, 3), (16,), (16,))]
    seen = {}
    for fast in (True, False):
        with fast_paths(fast):
            x, w, g, b = (mg.tensor(a, device="strict", requires_grad=True) for a in arrays)
            outs = (F.conv2d(x, w, padding=1), F.batch_norm(x, None, None, g, b, training=True),
                    F.max_pool2d(x, 2))
            if fast:
                assert [type(o.grad_fn).__name__ for o in outs] == [
                    "Conv2dStride1", "BatchNorm", "MaxPoolTiles"]
            ((outs[0] ** 2).sum() + (outs[1] ** 3).sum() + (outs[2] ** 2).sum()).backward()
            seen[fast] = [t.detach().cpu().numpy() for t in (*outs, x.grad, w.grad, g.grad, b.grad)]
    for a, e in zip(seen[True], seen[False]):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-10)
