"""Backends: the registry, a third backend in a few lines, the generic Array API hooks.

(The fast paths each backend chooses are tested in test_fast_paths.py.)
"""

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


def test_malloc_tuning_is_applied_on_glibc_and_can_be_switched_off(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from minigrad.backends import numpy_backend

    if not sys.platform.startswith("linux"):
        pytest.skip("glibc's mallopt exists on Linux only")
    assert numpy_backend.keep_freed_memory() is True
    assert mg.get_backend("cpu").malloc_tuned is True
    monkeypatch.setenv("MINIGRAD_MALLOC_TUNING", "0")
    assert numpy_backend.keep_freed_memory() is False
