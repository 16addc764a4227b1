"""The small API a first hour with PyTorch touches, each call written once for both libraries.

Every row runs on minigrad against a value written out by hand; where PyTorch is installed the
same row runs on torch too, against the same value, so the hand-written values are torch's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import gradcheck


def plain(value: Any) -> Any:
    """Tensors, tuples of them and dtypes as plain Python values, the same for both libraries."""
    if hasattr(value, "tolist") and hasattr(value, "shape"):
        out = value.tolist()
        return [round(v, 4) if isinstance(v, float) else v for v in out] if isinstance(
            out, list) and out and not isinstance(out[0], list) else (
            round(out, 4) if isinstance(out, float) else out)
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if type(value).__name__ == "dtype":
        return str(value).split(".")[-1]
    if isinstance(value, float):
        return round(value, 4)
    return value


def t(lib: Any, data: Any, **kw: Any) -> Any:
    return lib.tensor(data, **kw)


X = [[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]
ROWS: list[tuple[str, Callable[[Any], Any], Any]] = [
    ("f-string of a 0-d tensor", lambda lib: f"{t(lib, 0.12345):.3f}", "0.123"),
    ("axis= for dim=", lambda lib: t(lib, X).sum(axis=0), [3.0, 6.0, 6.0]),
    ("max along an axis", lambda lib: t(lib, X).max(axis=1).values, [3.0, 5.0]),
    ("keepdim on mean", lambda lib: t(lib, X).mean(dim=1, keepdim=True).shape[1], 1),
    ("keepdim on argmax", lambda lib: t(lib, X).argmax(dim=0, keepdim=True), [[0, 1, 1]]),
    ("any along a dim", lambda lib: (t(lib, X) > 4).any(dim=1), [False, True]),
    ("all along a dim, kept", lambda lib: (t(lib, X) >= 0).all(dim=0, keepdim=True),
     [[True, True, True]]),
    ("dtype aliases", lambda lib: (lib.float, lib.long, lib.int, lib.double, lib.half),
     ("float32", "int64", "int32", "float64", "float16")),
    (".type(dtype)", lambda lib: t(lib, X).type(lib.long)[0], [3, 1, 2]),
    (".type() names the type", lambda lib: t(lib, X).type().split(".")[-1], "FloatTensor"),
    ("is_tensor", lambda lib: (lib.is_tensor(t(lib, 1.0)), lib.is_tensor(1.0)), (True, False)),
    ("new_zeros keeps the dtype", lambda lib: t(lib, [1, 2]).new_zeros(3), [0, 0, 0]),
    ("new_ones", lambda lib: t(lib, X).new_ones((1, 2)), [[1.0, 1.0]]),
    ("new_full", lambda lib: t(lib, [1.0]).new_full((2,), 7), [7.0, 7.0]),
    ("new_tensor", lambda lib: t(lib, [1.0]).new_tensor([2, 3]).dtype, "float32"),
    ("topk", lambda lib: t(lib, X).topk(2), ([[3.0, 2.0], [5.0, 4.0]], [[0, 2], [1, 2]])),
    ("smallest topk", lambda lib: t(lib, X).topk(1, dim=0, largest=False),
     ([[0.0, 1.0, 2.0]], [[1, 0, 0]])),
    ("sort descending", lambda lib: t(lib, [2.0, 3.0, 1.0]).sort(descending=True),
     ([3.0, 2.0, 1.0], [1, 0, 2])),
    ("argsort", lambda lib: t(lib, X).argsort(dim=1), [[1, 2, 0], [0, 2, 1]]),
    ("randperm is a permutation", lambda lib: sorted(lib.randperm(5).tolist()), [0, 1, 2, 3, 4]),
    ("cumsum", lambda lib: t(lib, X).cumsum(dim=1), [[3.0, 4.0, 6.0], [0.0, 5.0, 9.0]]),
    ("cumsum of ints is int64", lambda lib: t(lib, [1, 2], dtype=lib.int32).cumsum(0).dtype,
     "int64"),
    ("isclose", lambda lib: t(lib, [1.0, 2.0]).isclose(t(lib, [1.0, 2.1])), [True, False]),
    ("allclose", lambda lib: lib.allclose(t(lib, [1.0]), t(lib, [1.0 + 1e-7])), True),
    ("norm", lambda lib: t(lib, [3.0, 4.0]).norm(), 5.0),
    ("norm with p and dim", lambda lib: t(lib, X).norm(p=1, dim=1), [6.0, 9.0]),
    ("linalg.norm", lambda lib: lib.linalg.norm(t(lib, [[3.0, 0.0], [0.0, 4.0]])), 5.0),
    ("linalg.norm, ord inf", lambda lib: lib.linalg.norm(t(lib, [1.0, -3.0]), ord=float("inf")),
     3.0),
    ("clamp with tensor bounds", lambda lib: t(lib, [0.0, 5.0, 9.0]).clamp(
        min=t(lib, [1.0, 1.0, 1.0]), max=t(lib, [8.0, 8.0, 8.0])), [1.0, 5.0, 8.0]),
    ("add with a number first", lambda lib: lib.add(2, t(lib, [1.0, 2.0])), [3.0, 4.0]),
    ("add with alpha", lambda lib: lib.add(t(lib, [1.0]), t(lib, [2.0]), alpha=3), [7.0]),
    ("sub with a number first", lambda lib: lib.sub(1, t(lib, [1.0, 3.0])), [0.0, -2.0]),
    ("mul with a number first", lambda lib: lib.mul(2, t(lib, [1.5])), [3.0]),
    ("div with a number first", lambda lib: lib.div(3, t(lib, [2.0])), [1.5]),
    ("pow with a number first", lambda lib: lib.pow(2, t(lib, [3.0])), [8.0]),
    ("div rounding trunc", lambda lib: t(lib, [-7.0, 7.0]).div(2, rounding_mode="trunc"),
     [-3.0, 3.0]),
    ("div rounding floor", lambda lib: t(lib, [-7.0, 7.0]).div(2, rounding_mode="floor"),
     [-4.0, 3.0]),
    ("integer div rounding trunc", lambda lib: lib.div(t(lib, [-7, 7]), 2,
                                                       rounding_mode="trunc"), [-3, 3]),
    ("max of two tensors", lambda lib: lib.max(t(lib, [1.0, 5.0]), t(lib, [3.0, 2.0])),
     [3.0, 5.0]),
    ("min of two tensors", lambda lib: lib.min(t(lib, [1.0, 5.0]), t(lib, [3.0, 2.0])),
     [1.0, 2.0]),
    ("softmax in float64", lambda lib: t(lib, X).softmax(dim=1, dtype=lib.float64).dtype,
     "float64"),
    ("F.softmax dtype", lambda lib: lib.nn.functional.softmax(t(lib, X), dim=1,
                                                              dtype=lib.float64).dtype, "float64"),
    ("var(False): unbiased by position", lambda lib: t(lib, [1.0, 2.0, 3.0, 4.0]).var(False),
     1.25),
    ("std(dim, False)", lambda lib: t(lib, X).std(1, False), [0.8165, 2.1602]),
    ("var with correction", lambda lib: t(lib, [1.0, 2.0, 3.0]).var(correction=0), 0.6667),
    ("squeeze a tuple of dims", lambda lib: t(lib, [[[1.0]], [[2.0]]]).squeeze((1, 2)).shape[0],
     2),
    ("memory_format is accepted", lambda lib: t(lib, X).clone(
        memory_format=lib.contiguous_format).float(memory_format=lib.preserve_format)[0],
     [3.0, 1.0, 2.0]),
    ("contiguous", lambda lib: t(lib, X).t().contiguous().is_contiguous(), True),
    ("inference_mode", lambda lib: _inference(lib), False),
    ("where with the condition alone", lambda lib: lib.where(t(lib, X) > 3),
     ([1, 1], [1, 2])),
    ("rand_like of a 0-d tensor", lambda lib: tuple(lib.rand_like(t(lib, 1.0)).shape), ()),
    ("floor, ceil, round", lambda lib: (t(lib, [1.5, -1.5]).floor(), t(lib, [1.5]).ceil(),
                                        t(lib, [2.5, 3.5]).round()),
     ([1.0, -2.0], [2.0], [2.0, 4.0])),
]


def _inference(lib: Any) -> bool:
    with lib.inference_mode():
        return (lib.ones(1, requires_grad=True) * 2).requires_grad


@pytest.mark.parametrize(("name", "call", "want"), ROWS, ids=[r[0] for r in ROWS])
def test_first_hour_api(name: str, call: Callable, want: Any) -> None:
    assert plain(call(mg)) == want


@pytest.mark.parametrize(("name", "call", "want"), ROWS, ids=[r[0] for r in ROWS])
def test_first_hour_api_is_torchs(name: str, call: Callable, want: Any) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here; .ci/run installs it")
    assert plain(call(torch)) == want


def test_cuda_reports_what_is_here() -> None:
    available = mg.get_backend("cuda").is_available()
    assert mg.cuda.is_available() is available
    assert mg.cuda.device_count() == (mg.cuda.device_count() if available else 0)


def test_utils_data_is_where_torch_code_looks() -> None:
    from minigrad.utils.data import DataLoader, TensorDataset, random_split

    train, test = random_split(TensorDataset(mg.arange(10.0)), [8, 2])
    batches = [b for (b,) in DataLoader(train, batch_size=3)]
    assert [len(b) for b in batches] == [3, 3, 2] and len(test) == 2


def test_no_grad_and_inference_mode_as_bare_decorators() -> None:
    @mg.no_grad
    def inside() -> bool:
        return mg.is_grad_enabled()

    @mg.inference_mode()
    def inside_too() -> bool:
        return mg.is_grad_enabled()

    assert inside() is False and inside_too() is False and mg.is_grad_enabled()


def test_new_gradients_match_the_math() -> None:
    """cumsum, sort/topk values and norm carry gradients to where the values came from."""
    x = mg.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], dtype=mg.float64, requires_grad=True)
    for f in (lambda a: a.cumsum(1), lambda a: a.sort(dim=1).values * mg.arange(3.0),
              lambda a: a.topk(2, dim=0).values, lambda a: a.norm(dim=1),
              lambda a: a.norm(p=3), lambda a: mg.linalg.norm(a, ord=float("inf"))):
        assert gradcheck(f, (x,))
    zero = mg.zeros(3, requires_grad=True)
    zero.norm().backward()  # 0, not 0/0, as torch
    assert np.isfinite(zero.grad.numpy()).all() and not zero.grad.numpy().any()
