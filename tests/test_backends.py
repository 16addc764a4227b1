"""Backends: the registry, a third backend in a few lines, the generic Array API hooks."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import backends
from minigrad.testing import assert_close, gradcheck
from tests.strategies import arrays, shapes


class HostArrayAPI(mg.Backend):
    """A third backend: NumPy through its Array API only (no NumPy fast paths)."""

    name = "host"

    def _load(self) -> Any:
        import numpy

        return numpy


class Broken(mg.Backend):
    """A backend whose library cannot load here."""

    name = "broken"

    def _load(self) -> Any:
        raise OSError("libfoo.so: cannot open shared object file")


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A private copy of the registry, so test backends do not leak into other tests."""
    monkeypatch.setattr(backends, "_REGISTRY", dict(backends._REGISTRY))
    monkeypatch.setattr(backends, "_DEVICES", {})


def test_builtin_backends_are_registered() -> None:
    names = mg.backends.registered_backends()
    assert {"cpu", "cuda", "strict"} <= set(names)
    assert mg.get_backend("cpu").is_available() and mg.get_backend("cpu").xp is np
    with pytest.raises(RuntimeError, match="unknown device type 'tpu'"):
        mg.get_backend("tpu")


def test_a_third_backend_registers_in_a_few_lines(registry: None) -> None:
    mg.register_backend(HostArrayAPI())
    mg.manual_seed(0)
    x = mg.randn(3, 4, dtype=mg.float64, device="host", requires_grad=True)
    assert x.device == "host:0" and str(x.device) == "host:0"
    y = (x.exp() @ x.T).softmax(dim=1)[mg.tensor([0, 0, 2], device="host")].sum()
    y.backward()
    xc = x.detach().cpu().requires_grad_()
    yc = (xc.exp() @ xc.T).softmax(dim=1)[mg.tensor([0, 0, 2])].sum()
    yc.backward()
    assert_close(y.cpu(), yc.detach())
    assert_close(x.grad.cpu(), xc.grad)
    assert gradcheck(lambda t: mg.unfold(t, 2, padding=1).tanh(),
                     (mg.randn(1, 2, 3, 3, dtype=mg.float64, device="host",
                               requires_grad=True),))


def test_registering_needs_a_name(registry: None) -> None:
    class Nameless(mg.Backend):
        pass

    with pytest.raises(ValueError, match="device-type name"):
        mg.register_backend(Nameless())


def test_an_unavailable_backend_says_why_and_never_raises_on_check(registry: None) -> None:
    b = mg.register_backend(Broken())
    assert b.is_available() is False and b.is_available() is False  # cached, no exception
    assert "libfoo.so" in b.reason
    with pytest.raises(RuntimeError, match=r"'broken' device is not available.*libfoo\.so"):
        mg.ones(2).to("broken")
    with pytest.raises(RuntimeError, match="libfoo"):
        mg.zeros(2, device="broken")


def test_cuda_backend_reason_when_cupy_is_missing(monkeypatch: pytest.MonkeyPatch,
                                                  registry: None) -> None:
    """Without CuPy (simulated here even on a GPU machine) the reason names the fix."""
    import builtins

    real_import = builtins.__import__

    def no_cupy(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "cupy" or name.startswith("cupy."):
            raise ImportError("No module named 'cupy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cupy)
    cuda = mg.register_backend(type(mg.get_backend("cuda"))())
    assert not cuda.is_available()
    assert "CuPy is not installed" in cuda.reason and "pip install" in cuda.reason
    with pytest.raises(RuntimeError, match="CuPy is not installed"):
        mg.ones(2).cuda()


# ---- the generic hooks against NumPy's own indexing -------------------------------------------
@st.composite
def index_keys(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple:
    """Keys of ints, slices (negative steps too), None, ... and integer arrays (not mixed with
    ints, whose order rule ops.getitem handles before the backend sees the key)."""
    with_arrays = draw(st.booleans())
    key: list[Any] = []
    dims = list(shape)
    use_ellipsis = draw(st.booleans()) and len(dims) > 0
    cut = draw(st.integers(0, len(dims))) if use_ellipsis else len(dims)
    for n in dims[:cut]:
        if draw(st.booleans()) and draw(st.booleans()):
            key.append(None)  # a new axis, before this dim's own index
        kind = draw(st.sampled_from(["slice", "array"] if with_arrays else ["int", "slice"]))
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif kind == "array":
            idx = draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4))
            key.append(np.array(idx))
        else:
            start = draw(st.none() | st.integers(-n, n))
            stop = draw(st.none() | st.integers(-n, n))
            step = draw(st.sampled_from([None, 1, 2, -1, -2]))
            key.append(slice(start, stop, step))
    if use_ellipsis:
        key.append(Ellipsis)
    return tuple(key)


@given(st.data())
def test_generic_getitem_and_index_add_match_numpy(data: st.DataObject) -> None:
    shape = data.draw(shapes(1, 3), label="shape")
    x = data.draw(arrays(shape))
    key = data.draw(index_keys(shape), label="key")
    arrays_in_key = [k for k in key if isinstance(k, np.ndarray)]
    if len(arrays_in_key) > 1:  # arrays must broadcast together
        n = min(len(k) for k in arrays_in_key)
        key = tuple(k[:n] if isinstance(k, np.ndarray) else k for k in key)
    generic = HostArrayAPI()
    expected = x[key]
    got = generic.getitem(x, key)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    values = np.arange(1.0, expected.size + 1).reshape(expected.shape)
    want = np.zeros(shape)
    if arrays_in_key:
        np.add.at(want, key, values)  # repeated indices accumulate
    else:
        basic = tuple(k for k in key if k is not None)
        want[basic] += values.reshape(want[basic].shape)
    np.testing.assert_array_equal(generic.index_add(shape, key, values), want)


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


@given(window_geometry(), st.integers(0, 2**16), st.booleans())
def test_numpy_fast_col2im_matches_the_generic_one(geometry: tuple, seed: int,
                                                   contiguous: bool) -> None:
    """The NumPy backend's col2im (in-place adds, the tiling shortcut) against the generic
    Array API loop that array-api-strict and CuPy use, on columns laid out batch innermost
    as im2col makes them, or C-contiguous."""
    shape, args = geometry
    fast, generic = mg.get_backend("cpu"), HostArrayAPI()
    x = np.random.default_rng(seed).standard_normal(shape)
    cols = generic.im2col(x, *args)
    g = np.random.default_rng(seed + 1).standard_normal(cols.shape)
    if not contiguous:
        g = np.ascontiguousarray(g.transpose(1, 2, 0)).transpose(2, 0, 1)  # as im2col's
    np.testing.assert_allclose(fast.col2im(g, shape[2:], *args),
                               generic.col2im(g, shape[2:], *args), rtol=1e-12, atol=1e-12)


@given(st.integers(0, 2), st.integers(0, 2), st.booleans())
def test_numpy_batch_innermost_is_a_view_only_when_it_can_be(ph: int, pw: int,
                                                            inner: bool) -> None:
    """im2col's first step on NumPy: a free view of an activation that already lies
    (C, H, W, N) and needs no padding, else the generic zero-padded copy; same values."""
    x = np.random.default_rng(ph * 3 + pw).standard_normal((3, 2, 4, 5))
    if inner:
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    got = mg.get_backend("cpu").batch_innermost(x, (ph, pw))
    want = HostArrayAPI().batch_innermost(x, (ph, pw))
    np.testing.assert_array_equal(got, want)
    assert got.flags.c_contiguous
    assert np.shares_memory(got, x) == (inner and (ph, pw) == (0, 0))


@st.composite
def products(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Shapes of a @ b, among them the long thin products the NumPy backend reorders: a tiny
    (m, n) result over k >= 16384 terms (with or without a remainder past the last chunk), and
    results wider than tall over a long k; batched, broadcast, or empty."""
    m, n = draw(st.sampled_from([(1, 1), (3, 5), (6, 25), (16, 16), (2, 40), (17, 16), (0, 5)]))
    k = draw(st.sampled_from([7, 300, 16384, 16384 + 4096 * 3, 20000, 40000]))
    a_batch, b_batch = draw(st.sampled_from(
        [((), ()), ((1,), (1,)), ((2,), (2,)), ((2, 1), (3,)), ((), (2,)), ((0,), (0,))]))
    return (*a_batch, m, k), (*b_batch, k, n)


@given(products(), st.booleans(), st.booleans())
def test_numpy_matmul_reordering_keeps_the_values(shapes: tuple, a_t: bool, b_t: bool) -> None:
    """The NumPy backend's matmul (chunked long thin products, transposed wide results) gives
    np.matmul's values and shape, for operands in either memory order."""
    a_shape, b_shape = shapes
    rng = np.random.default_rng(sum(a_shape) + sum(b_shape))
    a = rng.standard_normal(a_shape).astype(np.float32)
    b = rng.standard_normal(b_shape).astype(np.float32)
    if a_t:
        a = np.ascontiguousarray(a.swapaxes(-1, -2)).swapaxes(-1, -2)
    if b_t:
        b = np.ascontiguousarray(b.swapaxes(-1, -2)).swapaxes(-1, -2)
    got = mg.get_backend("cpu").matmul(a, b)
    want = np.matmul(a.astype(np.float64), b.astype(np.float64))
    assert got.shape == want.shape and got.dtype == np.float32
    scale = np.sqrt(a_shape[-1])  # the size of a sum of k unit terms
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-5 * scale * 10)


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.bool_])
def test_numpy_matmul_of_integers_keeps_their_dtype(dtype: type) -> None:
    """Only floating products are reordered: an integer or boolean long thin product keeps
    np.matmul's dtype and exact values."""
    a = np.ones((2, 20000), dtype=dtype)
    b = np.ones((20000, 3), dtype=dtype)
    got = mg.get_backend("cpu").matmul(a, b)
    want = np.matmul(a, b)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_malloc_tuning_is_applied_on_glibc_and_can_be_switched_off(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from minigrad.backends import numpy_backend

    if not sys.platform.startswith("linux"):
        pytest.skip("glibc's mallopt exists on Linux only")
    assert numpy_backend.keep_freed_memory() is True
    assert mg.get_backend("cpu").malloc_tuned is True
    monkeypatch.setenv("MINIGRAD_MALLOC_TUNING", "0")
    assert numpy_backend.keep_freed_memory() is False
