"""Backends: the registry, a third backend in a few lines, the generic Array API hooks.

(The fast paths each backend chooses are tested in test_fast_paths.py.)
"""

from __future__ import annotations

import math
import sys
import types
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


def test_malloc_tuning_is_applied_on_glibc_and_can_be_switched_off(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from minigrad.backends import numpy_backend

    if not sys.platform.startswith("linux"):
        pytest.skip("glibc's mallopt exists on Linux only")
    assert numpy_backend.keep_freed_memory() is True
    assert mg.get_backend("cpu").malloc_tuned is True
    monkeypatch.setenv("MINIGRAD_MALLOC_TUNING", "0")
    assert numpy_backend.keep_freed_memory() is False


# ---- the CuPy backend's own logic, on a NumPy stand-in for CuPy -----------------------------
# No GPU is needed: a module named "cupy", made of NumPy, loads the real CupyBackend. It acts as
# CuPy does where minigrad relies on it: add.at takes only the dtypes CUDA has atomic adds for,
# argsort is stable, floor_divide and remainder of floats are floor(a / b) and
# a - floor(a / b) * b (CuPy's), and the GPUs are counted as asked.
ATOMIC_DTYPES = ("float16", "float32", "float64", "int32", "uint32", "uint64")


class AtomicAdd:
    """``cupy.add``: NumPy's add, whose ``at`` refuses what CUDA's atomicAdd cannot add."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return np.add(*args, **kwargs)

    def at(self, a: np.ndarray, key: Any, b: Any) -> None:
        if a.dtype.name not in ATOMIC_DTYPES:
            raise TypeError(f"no atomic add for {a.dtype} (as CuPy's add.at)")
        np.add.at(a, key, b)


def cupy_floor_divide(a: Any, b: Any) -> Any:
    """CuPy's floor_divide: floor(a / b) for floats."""
    a, b = np.asarray(a), np.asarray(b)
    return np.floor(a / b) if a.dtype.kind == "f" else np.floor_divide(a, b)


def cupy_remainder(a: Any, b: Any) -> Any:
    """CuPy's remainder: a - floor(a / b) * b for floats."""
    a, b = np.asarray(a), np.asarray(b)
    return a - np.floor(a / b) * b if a.dtype.kind == "f" else np.remainder(a, b)


def fake_cupy(version: str = "14.2.0", devices: int = 1) -> types.ModuleType:
    """A module that stands in for CuPy: NumPy's names, with CuPy's ways where they differ."""
    module = types.ModuleType("cupy")
    for name in dir(np):
        if not name.startswith("_"):
            setattr(module, name, getattr(np, name))
    module.__version__ = version
    module.ndarray = (np.ndarray, np.generic)  # on the "device": NumPy's arrays and scalars
    module.asnumpy = lambda a: np.array(a, copy=True)
    module.add = AtomicAdd()
    module.argsort = lambda a, axis=-1: np.argsort(a, axis=axis, kind="stable")
    module.floor_divide, module.remainder = cupy_floor_divide, cupy_remainder
    module.from_dlpack = lambda x: x.array if hasattr(x, "array") else np.from_dlpack(x)
    module.cuda = types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=lambda: devices),
        get_current_stream=lambda: types.SimpleNamespace(synchronize=lambda: None))
    return module


def use_fake_cupy(monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> Any:
    """The real CupyBackend, registered as "cuda" in a private registry, on ``fake_cupy``."""
    from minigrad.backends.cupy_backend import CupyBackend

    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(**kwargs))
    monkeypatch.setattr(backends, "_REGISTRY", dict(backends._REGISTRY))
    monkeypatch.setattr(backends, "_DEVICES", {})
    return mg.register_backend(CupyBackend())


def test_the_cupy_backend_loads_on_the_stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    cuda = use_fake_cupy(monkeypatch)
    assert cuda.is_available(), cuda.reason
    t = mg.tensor([1.0, 2.0], device="cuda")
    assert t.device == "cuda:0" and (t * 3).cpu().tolist() == [3.0, 6.0]


@pytest.mark.parametrize("version", ["13.6.0", "12.3.0"])
def test_cupy_before_14_is_refused_naming_both_extras(monkeypatch: pytest.MonkeyPatch,
                                                      version: str) -> None:
    """CuPy 13 lacks astype, permute_dims, concat, isdtype... that minigrad calls."""
    cuda = use_fake_cupy(monkeypatch, version=version)
    assert not cuda.is_available()
    assert f"CuPy {version} is too old" in cuda.reason
    for extra in ("minigrad[cuda]", "cupy-cuda12x", "minigrad[cuda13]", "cupy-cuda13x"):
        assert extra in cuda.reason
    with pytest.raises(RuntimeError, match="too old"):
        mg.ones(2).cuda()


def test_a_gpu_index_other_than_0_is_refused_where_a_tensor_would_land(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The backend places every array on one GPU: cuda:1 is refused (not quietly GPU 0), an
    index past the count with torch's "invalid device ordinal"; naming one is fine."""
    use_fake_cupy(monkeypatch, devices=2)
    assert mg.device("cuda:7").index == 7  # a name, as torch.device
    assert mg.zeros(2, device="cuda:0").device == "cuda:0"
    with pytest.raises(RuntimeError, match=r"cuda:1: minigrad's CuPy backend runs on one GPU.*"
                                           r"CUDA_VISIBLE_DEVICES=1"):
        mg.zeros(2, device="cuda:1")
    with pytest.raises(RuntimeError, match=r"invalid device ordinal: cuda:2 .* 2 devices "
                                           r"\(cuda:0 to cuda:1\)"):
        mg.ones(2).to("cuda:2")
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        mg.tensor([1.0], device=mg.device("cuda", 5))


def test_the_other_backends_take_any_index() -> None:
    assert mg.zeros(1, device="cpu:1").device.type == "cpu"


@given(st.data())
def test_cupy_index_add_is_a_scatter_add(data: st.DataObject) -> None:
    """CuPy's index_add adds with add.at (int64 through uint64, bool the generic way): equal to
    np.add.at on any key, and one inf stays in its place (the one-hot product of the generic
    path would spread inf * 0 = NaN over every element)."""
    from minigrad.backends.cupy_backend import CupyBackend

    shape = data.draw(shapes(1, 3), label="shape")
    key = data.draw(index_keys(shape), label="key")
    arrays_in_key = [k for k in key if isinstance(k, np.ndarray)]
    if len(arrays_in_key) > 1:
        n = min(len(k) for k in arrays_in_key)
        key = tuple(k[:n] if isinstance(k, np.ndarray) else k for k in key)
    dtype = data.draw(st.sampled_from(["float32", "float64", "int64", "int32"]), label="dtype")
    picked = np.zeros(shape)[key].shape
    values = np.arange(1, math.prod(picked) + 1).reshape(picked).astype(dtype)
    backend = CupyBackend()
    backend.__dict__["xp"] = fake_cupy()  # (its namespace set: the loader is not asked)
    want = np.zeros(shape, dtype=dtype)
    if arrays_in_key:
        np.add.at(want, key, values)
    else:
        want[tuple(k for k in key if k is not None)] += values.reshape(
            want[tuple(k for k in key if k is not None)].shape)
    got = backend.index_add(shape, key, values)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    if dtype.startswith("float") and values.size:
        spiked = values.copy()
        spiked.reshape(-1)[0] = np.inf
        out = backend.index_add(shape, key, spiked)
        assert not np.isnan(out).any() and np.isinf(out).sum() == 1


def test_indexing_gradients_on_cupy_keep_an_inf_in_its_place(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """x[idx] backward on the stand-in: the gradient of a repeated index adds up, and an inf
    upstream stays where it was (it became NaN everywhere through the one-hot product)."""
    use_fake_cupy(monkeypatch)
    x = mg.zeros(5, device="cuda", requires_grad=True)
    index = mg.tensor([1, 3, 1], device="cuda")
    x[index].backward(mg.tensor([1.0, float("inf"), 2.0], device="cuda"))
    assert x.grad.cpu().tolist() == [0.0, 3.0, 0.0, float("inf"), 0.0]


class ScrambledArray(np.ndarray):
    """A device array whose integer-array writes land in reverse order, as a GPU may write
    repeated positions in any order: of repeated indices the first write wins here."""

    def __setitem__(self, key: Any, value: Any) -> None:
        rows = key[0] if isinstance(key, tuple) and len(key) == 1 else key
        if isinstance(rows, np.ndarray) and rows.dtype.kind in "iu" and rows.ndim == 1:
            value = np.broadcast_to(np.asarray(value), rows.shape + self.shape[1:])
            key, value = rows[::-1], value[::-1]
        super().__setitem__(key, value)


@given(st.data())
def test_cupy_index_put_keeps_the_last_write_whatever_order_the_device_writes(
        data: st.DataObject) -> None:
    from minigrad.backends.cupy_backend import CupyBackend

    shape = data.draw(shapes(1, 3), label="shape")
    n = shape[0]
    rows = data.draw(st.lists(st.integers(-n, n - 1), min_size=0, max_size=6), label="rows")
    key = (np.array(rows, dtype=np.int64),)
    values = np.arange(1.0, len(rows) * math.prod(shape[1:]) + 1).reshape(
        (len(rows),) + shape[1:])
    x = np.full(shape, -1.0).view(ScrambledArray)
    scrambled = x.copy().reshape(-1)
    scrambled[np.array([0, 0])] = np.array([1.0, 2.0])
    assert scrambled[0] == 1.0  # the stand-in does scramble: the first write won
    backend = CupyBackend()
    backend.__dict__["xp"] = fake_cupy()  # (its namespace set: the loader is not asked)
    want = np.full(shape, -1.0)
    for i, r in enumerate(rows):  # one write after the other: the last one stays
        want[r] = values[i]
    np.testing.assert_array_equal(backend.index_put(x, key, values), want)
    np.testing.assert_array_equal(x, np.full(shape, -1.0))  # on a copy


# ---- floor division and remainder: one rule, torch's ----------------------------------------
def torch_floor_division_cases(dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of every special value with each other, and random ones over many scales."""
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.1, -0.3, 0.3, 1e-30,
                        3.0, 7.5, -2.0, 2.0**60, 5e-324])
    rng = np.random.default_rng(0)
    scale = 10.0 ** rng.integers(-4, 5, (2, 3000))
    a = np.concatenate([np.repeat(special, len(special)), rng.standard_normal(3000) * scale[0],
                        rng.integers(-50, 50, 3000) * 1.0])
    b = np.concatenate([np.tile(special, len(special)), rng.standard_normal(3000) * scale[1],
                        rng.integers(-5, 5, 3000) * 0.1])
    with np.errstate(over="ignore"):  # (float16's range: some become inf)
        return a.astype(dtype), b.astype(dtype)


def same_floats(ours: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Where two arrays agree bit for bit in meaning: equal with the same sign (so 0.0 and
    -0.0 differ), or both NaN."""
    return ((ours == want) & (np.signbit(ours) == np.signbit(want))) | (
        np.isnan(ours) & np.isnan(want))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_floor_division_follows_torch_on_every_backend(monkeypatch: pytest.MonkeyPatch,
                                                       dtype: str) -> None:
    """``//``, ``%``, div(rounding_mode='floor') and remainder on the CPU and on the CuPy
    stand-in (whose own floor_divide is floor(a / b)) equal torch's, signed zeros too:
    1.0 // 0.1 is 9, as torch and Python say. (Where a / b overflows, torch's vectorized CPU
    fmod gives NaN and its CUDA kernel the exact remainder; those pairs are left out.)"""
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle for // and %")
    a, b = torch_floor_division_cases(dtype)
    with np.errstate(all="ignore"):
        keep = ~(np.isinf(a / b) & np.isfinite(a) & np.isfinite(b) & (b != 0))
    a, b = a[keep], b[keep]
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    want = {"//": (ta // tb).numpy(), "%": (ta % tb).numpy()}
    use_fake_cupy(monkeypatch)
    for device in ("cpu", "cuda"):
        x, y = mg.tensor(a, device=device), mg.tensor(b, device=device)
        got = {"//": x // y, "%": x % y, "div floor": mg.div(x, y, rounding_mode="floor"),
               "remainder": mg.remainder(x, y)}
        for name, t in got.items():
            ours = t.cpu().numpy()
            target = want["%" if name in ("%", "remainder") else "//"]
            wrong = ~same_floats(ours, target)
            assert not wrong.any(), (device, name, a[wrong][:4], b[wrong][:4], ours[wrong][:4],
                                     target[wrong][:4])
    assert (mg.tensor(1.0) // 0.1).item() == 9.0 == torch.tensor(1.0) // 0.1


def test_the_cupy_stand_in_rounds_as_cupy_does() -> None:
    """(The stand-in's own functions are CuPy's: the rule above is what changes them.)"""
    assert cupy_floor_divide(np.float64(1.0), np.float64(0.1)) == 10.0
    assert cupy_remainder(np.float64(1.0), np.float64(0.1)) == 0.0
