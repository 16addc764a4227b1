"""minigrad.ops.special: the error function, against Python's math.erf and PyTorch.

A one-row op table (reference, gradcheck, gradgradcheck and torch on every backend, with the
fast paths on and off), then the accuracy over the whole real line in float64 and float32.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.ops import special
from tests.op_table import Case, table_tests
from tests.test_nn_functional import one_input

erf_ref = np.vectorize(math.erf, otypes=[float])

test_forward_matches_reference, test_derivatives, test_matches_torch = table_tests(
    [Case("erf", one_input(-5, 5), lambda lib, x: lib.erf(x), erf_ref)], functional=special)


def test_erf_is_accurate_to_a_few_ulps_in_float64(cpu_backend: str) -> None:
    """Every range of Cody's approximation, its borders, tiny and huge values, infinities."""
    x = np.concatenate([np.linspace(-7, 7, 20001), np.geomspace(1e-300, 1e-2, 200),
                        -np.geomspace(1e-300, 1e-2, 50), [0.0, 0.46875, 4.0, 6.0, 27.0, 1e300],
                        np.nextafter([0.46875, 4.0], 10), [np.inf, -np.inf]])
    got = special.erf(mg.tensor(x, dtype=mg.float64, device=cpu_backend)).cpu().numpy()
    want = erf_ref(x)
    ulps = np.abs(got - want) / np.spacing(np.maximum(np.abs(want), 1e-300))
    assert ulps.max() <= 8, f"{ulps.max()} ulps at x = {x[ulps.argmax()]}"
    assert (np.abs(got - want) <= 1e-15 * np.abs(want)).all()  # relative, everywhere
    assert np.isnan(special.erf(mg.tensor([np.nan], dtype=mg.float64)).item())


def test_erf_float32_and_integers() -> None:
    x = np.linspace(-5, 5, 2001, dtype=np.float32)
    got = special.erf(mg.tensor(x))
    assert got.dtype is mg.float32
    np.testing.assert_allclose(got.numpy(), erf_ref(x.astype(np.float64)), rtol=1e-6, atol=2e-7)
    assert special.erf(mg.tensor([0, 1])).dtype is mg.float32  # as torch.erf: the default float
    assert special.erf(mg.tensor([0, 1])).tolist() == pytest.approx([0.0, math.erf(1)])


def test_erf_derivative_is_the_gaussian() -> None:
    x = mg.tensor(np.linspace(-3, 3, 13), dtype=mg.float64, requires_grad=True)
    special.erf(x).sum().backward()
    expected = 2 / math.sqrt(math.pi) * np.exp(-np.linspace(-3, 3, 13) ** 2)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-15, atol=0)
