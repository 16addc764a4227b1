"""The CuPy fast paths (minigrad/fast/cupy_backend.py): im2col and col2im as one kernel each,
equal bit for bit to the generic batch-innermost Unfold and Fold they replace.

Three ways, so that most of it is proven before any GPU is at hand:

* the kernels' index arithmetic, written a second time in NumPy (``im2col_index``,
  ``col2im_index``), against the textbook im2col/col2im: everywhere;
* the kernels' own source, compiled by the host's C++ compiler behind a stand-in for
  ``cupy.ElementwiseKernel`` (device ``"cxx"``: NumPy arrays, CuPy's fast table), run through
  the very Functions the GPU runs, against the generic ones: wherever g++ is installed;
* the same tests on device ``"cuda"``: on a GPU (``benchmarks/gpu_check.sh`` runs them with
  MINIGRAD_REQUIRE_GPU=1, which turns their skips into failures).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from demos.lenet import lenet
from minigrad import backends, ops
from minigrad.backends.cupy_backend import CupyBackend
from minigrad.backends.numpy_backend import NumpyBackend
from minigrad.fast import cupy_backend, generic
from minigrad.fast.cupy_backend import col2im_index, im2col_index
from minigrad.ops.unfold import Window, col2im, im2col, output_size
from minigrad.testing import assert_close
from tests.conftest import require_device

CXX = shutil.which("g++") or shutil.which("c++")


# ---- geometries and memory layouts ---------------------------------------------------------
@st.composite
def geometries(draw: st.DrawFn) -> tuple[tuple[int, int, int, int], Window]:
    """An (N, C, H, W) shape and a window that fits it: kernels, dilations, paddings (wider
    than the kernel too) and strides of their own per axis."""
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    smallest = (max(1, di * (ki - 1) + 1 - 2 * pi) for ki, di, pi in zip(k, d, p))
    size = tuple(draw(st.integers(lo, lo + 6)) for lo in smallest)
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), *size)
    return shape, Window(k, d, p, s)  # type: ignore[return-value]


LAYOUTS = ["contiguous", "batch innermost", "strided", "flipped"]


def lay_out(xp: Any, a: Any, layout: str) -> Any:
    """The values of ``a`` in another memory layout: batch innermost (as convolutions leave
    activations), every other element of a wider array, or with a negative stride."""
    if layout == "batch innermost":
        order = (*range(1, a.ndim), 0)
        inverse = tuple(int(i) for i in np.argsort(order))
        return xp.permute_dims(xp.ascontiguousarray(xp.permute_dims(a, order)), inverse)
    if layout == "strided":
        wide = xp.zeros((*a.shape[:-1], 2 * a.shape[-1]), dtype=a.dtype)
        wide[..., ::2] = a
        return wide[..., ::2]
    if layout == "flipped":
        return xp.flip(xp.ascontiguousarray(xp.flip(a, axis=-2)), axis=-2)
    return a


def random_array(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """Values of ``dtype`` with no ties to hide a wrong index (integers over a wide range)."""
    if dtype == "int64":
        return rng.integers(-10**6, 10**6, shape)
    return rng.standard_normal(shape).astype(dtype)


# ---- the index arithmetic, in NumPy, everywhere -------------------------------------------
@given(geometries(), st.integers(0, 2**16))
def test_im2col_index_is_what_the_textbook_copies(geometry: tuple, seed: int) -> None:
    """Gathering the image at IM2COL's source indices (0 at -1) gives the textbook columns."""
    shape, window = geometry
    n, c, h, w = shape
    (kh, kw), (oh, ow) = window.kernel_size, output_size((h, w), *window)
    x = np.random.default_rng(seed).standard_normal(shape)
    source = im2col_index(shape, window)
    assert source.shape == (c * kh * kw * oh * ow * n,) and source.max() < x.size
    copied = np.where(source >= 0, x.reshape(-1)[source], 0.0)
    cols = copied.reshape(c * kh * kw, oh * ow, n).transpose(2, 0, 1)
    np.testing.assert_array_equal(cols, im2col(np, x, *window))


@given(geometries(), st.integers(0, 2**16))
def test_col2im_index_gathers_what_the_textbook_adds(geometry: tuple, seed: int) -> None:
    """Each column entry that im2col copies from a pixel is gathered back by that pixel alone,
    and none other is (fold is im2col's adjoint); adding them in COL2IM's order gives the
    textbook fold bit for bit, in float32."""
    shape, window = geometry
    n, c, h, w = shape
    (kh, kw), (oh, ow) = window.kernel_size, output_size((h, w), *window)
    cols = np.random.default_rng(seed).standard_normal((n, c * kh * kw, oh * ow))
    cols = cols.astype(np.float32)
    index = col2im_index(shape, window)
    assert index.shape == (c * h * w * n, kh * kw)
    copied = im2col_index(shape, window).reshape(c * kh * kw, oh * ow, n) >= 0
    np.testing.assert_array_equal(np.sort(index[index >= 0]),
                                  np.flatnonzero(copied.transpose(2, 0, 1)))
    pixel = np.repeat(np.arange(len(index)), kh * kw).reshape(index.shape)
    source = im2col_index(shape, window).reshape(c * kh * kw, oh * ow, n).transpose(2, 0, 1)
    image_index = np.arange(n * c * h * w).reshape(n, c, h, w).transpose(1, 2, 3, 0).reshape(-1)
    gathered = index >= 0  # the pixel that gathers an entry is the one it was copied from
    np.testing.assert_array_equal(source.reshape(-1)[index[gathered]],
                                  image_index[pixel[gathered]])
    summed = np.zeros(len(index), dtype=np.float32)
    for offset in range(kh * kw):  # the kernel's loop: offsets in order, skipping the others
        entry = index[:, offset]
        summed = np.where(entry >= 0, summed + cols.reshape(-1)[entry], summed)
    image = summed.reshape(c, h, w, n).transpose(3, 0, 1, 2)
    np.testing.assert_array_equal(image, col2im(np, cols, (h, w), *window))


# ---- a C++ stand-in for cupy.ElementwiseKernel --------------------------------------------
PRELUDE = """
#include <cstddef>
// CuPy's CArray as a kernel sees a raw array: data, shape and strides in bytes
template <typename T, int ndim> struct CArray {
    T* data_; const ptrdiff_t* shape_; const ptrdiff_t* strides_;
    template <typename Int> const T& operator[](const Int (&idx)[ndim]) const {
        ptrdiff_t diff = 0;
        for (int d = 0; d < ndim; ++d) diff += strides_[d] * static_cast<ptrdiff_t>(idx[d]);
        return *reinterpret_cast<const T*>(reinterpret_cast<const char*>(data_) + diff);
    }
};
"""
C_TYPES = {"float16": "_Float16", "float32": "float", "float64": "double", "int64": "long long"}


class CxxElementwiseKernel:
    """``cupy.ElementwiseKernel(in_params, out_params, operation, name)`` on NumPy arrays: the
    operation, as written for CuPy, in a loop over the output, compiled by g++ once per dtype.
    Takes what minigrad's kernels use: ``raw T`` arrays, ``int64`` scalars, one ``T`` output
    (C-contiguous, as minigrad allocates it)."""

    def __init__(self, in_params: str, out_params: str, operation: str, name: str) -> None:
        self.params = [p.split() for p in f"{in_params}, {out_params}".split(",")]
        self.operation, self.name = operation, name

    def __call__(self, *args: Any) -> None:
        assert len(args) == len(self.params), (len(args), self.params)
        out = args[-1]
        assert out.flags.c_contiguous
        ndims = tuple(a.ndim for a, p in zip(args, self.params) if p[0] == "raw")
        run = self.compiled(out.dtype.name, ndims)
        c_args: list[Any] = []
        keep = []  # the shape and stride arrays live until the call returns
        for p, a in zip(self.params, args):
            if p[0] == "raw":
                assert a.dtype == out.dtype
                geometry = [np.array(a.shape, np.intp), np.array(a.strides, np.intp)]
                keep += geometry
                c_args += [ctypes.c_void_p(a.ctypes.data)] + [
                    ctypes.c_void_p(g.ctypes.data) for g in geometry]
            elif p[0] == "int64":
                c_args.append(ctypes.c_longlong(int(a)))
            else:
                c_args.append(ctypes.c_void_p(a.ctypes.data))
        run(*c_args, ctypes.c_longlong(out.size))

    def source(self, dtype: str, ndims: tuple[int, ...]) -> str:
        """The C++ source: the operation in a loop, as CuPy's generated kernel runs it."""
        decls, setup, raw_ndims = [], [], iter(ndims)
        for p in self.params:
            if p[0] == "raw":
                name = p[2]
                decls.append(f"void* {name}_data, const ptrdiff_t* {name}_shape, "
                             f"const ptrdiff_t* {name}_strides")
                setup.append(f"const CArray<T, {next(raw_ndims)}> {name} = "
                             f"{{(T*){name}_data, {name}_shape, {name}_strides}};")
            elif p[0] == "int64":
                decls.append(f"const long long {p[1]}")
            else:
                decls.append(f"void* {p[1]}_data")
        out = self.params[-1][1]
        return (f"{PRELUDE}typedef {C_TYPES[dtype]} T;\n"
                f'extern "C" void {self.name}({", ".join(decls)}, long long size) {{\n'
                + "\n".join(setup) + "\n"
                f"for (ptrdiff_t i = 0; i < size; ++i) {{\n"
                f"T& {out} = reinterpret_cast<T*>({out}_data)[i];\n"
                f"{self.operation}\n}}\n}}\n")

    def compiled(self, dtype: str, ndims: tuple[int, ...]) -> Any:
        """The compiled kernel, from a library built once per source."""
        return getattr(compile_cxx(self.source(dtype, ndims)), self.name)


@functools.cache
def compile_cxx(source: str) -> ctypes.CDLL:
    """g++ -O1 -shared: a library with the source's functions (its errors in the exception),
    built once per source and compiler and kept in the temporary folder, so that the
    processes of a pytest-xdist run (the GPU check's) share it."""
    command = [CXX or "g++", "-O1", "-shared", "-fPIC", "-std=c++14"]
    digest = hashlib.sha1("\n".join([*command, source]).encode()).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"minigrad-cxx-{os.getuid()}"
    cache.mkdir(exist_ok=True)
    library = cache / f"{digest}.so"
    if not library.exists():
        folder = Path(tempfile.mkdtemp(prefix="minigrad-cxx-"))
        (folder / "kernel.cpp").write_text(source)
        done = subprocess.run([*command, "-o", str(folder / "kernel.so"),
                               str(folder / "kernel.cpp")], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"the kernel does not compile:\n{done.stderr}\n{source}")
        os.replace(folder / "kernel.so", library)  # (atomic: another process may race)
    return ctypes.CDLL(str(library))


class CxxNamespace:
    """NumPy with a C++ ``ElementwiseKernel``: the stand-in device's ``xp``. It notes every
    NumPy name it hands out, so a test can see what an op asked of the library."""

    ElementwiseKernel = CxxElementwiseKernel

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.used.add(name)
        return getattr(np, name)


class CxxBackend(NumpyBackend):
    """Device ``"cxx"``: NumPy arrays, CuPy's fast table, its kernels compiled by g++. Arrays
    are copied on the way in and out, as to a GPU."""

    name = "cxx"
    fast_table = cupy_backend.TABLE

    def _load(self) -> Any:
        return CxxNamespace()

    def from_numpy(self, a: np.ndarray) -> np.ndarray:
        """A copy (as a GPU's): the stand-in never shares memory with the host."""
        return np.array(a, copy=True)

    def to_numpy(self, a: np.ndarray) -> np.ndarray:
        """A copy."""
        return np.array(a, copy=True)


@functools.cache
def cxx_has_float16() -> bool:
    """Whether the host compiler knows _Float16 (g++ 12 and later on x86-64 and Arm)."""
    try:
        compile_cxx("typedef _Float16 T;\nextern \"C\" float f(float x) { return T(x) + T(1); }\n")
    except RuntimeError:
        return False
    return True


@pytest.fixture(scope="module")
def cxx() -> Iterator[str]:
    """The stand-in device, registered for this module's tests."""
    if CXX is None:
        pytest.skip("no C++ compiler (g++) here to run the kernels' source; a GPU run "
                    "(benchmarks/gpu_check.sh) runs them on the device")
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(backends._REGISTRY, "cxx", CxxBackend())
        yield "cxx"


@pytest.fixture(params=["cxx", "cuda"], scope="module")
def device(request: pytest.FixtureRequest) -> str:
    """Where the kernels run: the C++ stand-in, then the GPU (skipped without one, failing
    under MINIGRAD_REQUIRE_GPU=1)."""
    if request.param == "cuda":
        require_device("cuda")
        return "cuda"
    return request.getfixturevalue("cxx")


def dtypes_on(device: str) -> list[str]:
    """The dtypes the kernels are checked in on ``device``."""
    half = device == "cuda" or cxx_has_float16()
    return ["float32", "float64", "int64"] + (["float16"] if half else [])


def forward(cls: type, xp: Any, *args: Any, **params: Any) -> Any:
    """``cls().forward(*args, **params)`` on arrays of ``xp``, outside autograd."""
    fn = cls()
    fn.xp = xp
    return fn.forward(*args, **params)


# ---- the kernels against the generic paths, on the stand-in and on the GPU -------------------
def test_the_cupy_table_is_installed_and_keeps_every_generic_fast_path() -> None:
    table = CupyBackend.fast_table
    assert table is cupy_backend.TABLE
    assert table[ops.Unfold] is cupy_backend.Unfold and table[ops.Fold] is cupy_backend.Fold
    assert {k: v for k, v in table.items() if k not in (ops.Unfold, ops.Fold)} == {
        k: v for k, v in generic.TABLE.items() if k not in (ops.Unfold, ops.Fold)}
    assert issubclass(cupy_backend.Unfold, generic.Unfold)
    assert issubclass(cupy_backend.Fold, generic.Fold)


@given(geometries(), st.sampled_from(LAYOUTS), st.data())
def test_unfold_kernel_equals_the_generic_unfold(device: str, geometry: tuple, layout: str,
                                                 data: st.DataObject) -> None:
    """The columns, bit for bit, batch innermost, from an image in any memory layout."""
    shape, window = geometry
    dtype = data.draw(st.sampled_from(dtypes_on(device)), label="dtype")
    backend = mg.get_backend(device)
    xp = backend.xp
    host = random_array(np.random.default_rng(data.draw(st.integers(0, 2**16))), shape, dtype)
    x = lay_out(xp, backend.from_numpy(host), layout)
    fast = forward(cupy_backend.Unfold, xp, x, **window._asdict())
    slow = forward(generic.Unfold, xp, x, **window._asdict())
    assert fast.shape == slow.shape and fast.dtype == slow.dtype
    assert fast.strides[0] == fast.itemsize or fast.shape[0] == 1  # batch innermost
    np.testing.assert_array_equal(backend.to_numpy(fast), backend.to_numpy(slow))
    np.testing.assert_array_equal(backend.to_numpy(fast), im2col(np, host, *window))


@given(geometries(), st.sampled_from(LAYOUTS), st.data())
def test_fold_kernel_equals_the_generic_fold(device: str, geometry: tuple, layout: str,
                                             data: st.DataObject) -> None:
    """The image, bit for bit (the same sums in the same order), from columns in any
    layout: no atomics, so two runs agree too."""
    shape, window = geometry
    n, c, h, w = shape
    (kh, kw), (oh, ow) = window.kernel_size, output_size((h, w), *window)
    dtype = data.draw(st.sampled_from(dtypes_on(device)), label="dtype")
    backend = mg.get_backend(device)
    xp = backend.xp
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    host = random_array(rng, (n, c * kh * kw, oh * ow), dtype)
    cols = lay_out(xp, backend.from_numpy(host), layout)
    params = {"output_size": (h, w), **window._asdict()}
    fast = forward(cupy_backend.Fold, xp, cols, **params)
    slow = forward(generic.Fold, xp, cols, **params)
    assert fast.shape == slow.shape == shape and fast.dtype == slow.dtype
    np.testing.assert_array_equal(backend.to_numpy(fast), backend.to_numpy(slow))
    np.testing.assert_array_equal(backend.to_numpy(fast),
                                  backend.to_numpy(forward(cupy_backend.Fold, xp, cols, **params)))
    np.testing.assert_array_equal(backend.to_numpy(fast), col2im(np, host, (h, w), *window))


@given(geometries(), st.integers(0, 2**16))
def test_unfold_and_fold_with_gradients_equal_the_textbook(device: str, geometry: tuple,
                                                           seed: int) -> None:
    """Through autograd (the fast Unfold's backward is the fast Fold and the other way
    round): values and gradients with the fast paths on equal the textbook's exactly."""
    shape, window = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    results = []
    for fast in (True, False):
        with backends.fast_paths(fast):
            t = mg.tensor(x, device=device, requires_grad=True)
            cols = F.unfold(t, *window)
            image = F.fold(cols * cols, shape[2:], *window)
            image.backward(mg.ones_like(image))
            results.append([cols.detach().cpu().numpy(), image.detach().cpu().numpy(),
                            t.grad.cpu().numpy()])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_the_kernels_ask_the_library_for_nothing_but_memory() -> None:
    """No host round trip: besides the kernel, the ops ask ``xp`` for an empty array and a
    transposed view, and pass the geometry as kernel arguments (Python ints)."""
    if CXX is None:
        pytest.skip("no C++ compiler (g++) here to run the kernels' source")
    xp = CxxNamespace()
    window = Window((3, 2), (2, 1), (1, 2), (2, 1))
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6)).astype(np.float32)
    cols = forward(cupy_backend.Unfold, xp, x, **window._asdict())
    forward(cupy_backend.Fold, xp, cols, output_size=(7, 6), **window._asdict())
    assert xp.used == {"empty", "permute_dims"}


def test_lenet_trains_on_the_kernels_as_on_numpy(device: str) -> None:
    """Three SGD steps of LeNet from one seed on the kernels' device and on the CPU: the
    loss and every gradient within float32 rounding."""
    runs = []
    for where in (device, "cpu"):
        mg.manual_seed(0)
        model = lenet(nn).to(where)
        x, y = mg.randn(16, 1, 28, 28, device=where), mg.randint(0, 10, (16,), device=where)
        seen = []
        for _ in range(3):
            model.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            seen.append([loss.item()] + [p.grad.cpu().numpy() for p in model.parameters()])
            with mg.no_grad():
                for p in model.parameters():
                    p -= 0.5 * p.grad
        runs.append(seen)
    for step, (ours, cpu) in enumerate(zip(*runs)):
        for i, (a, b) in enumerate(zip(ours, cpu)):
            scale = float(np.abs(b).max()) or 1.0
            assert_close(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5 * scale,
                         msg=f"step {step}, {'loss' if i == 0 else f'gradient {i}'}")
