"""The one runner behind the op tables (tests/test_ops.py, tests/test_nn_functional.py).

A table is a list of ``Case`` rows. Each row draws inputs with hypothesis and names a function
``fn(lib, *tensors, **params)`` written once for minigrad and torch alike (itself a test that
the APIs match) and a NumPy reference written from the definition. ``table_tests`` turns a
table into three tests, each run on every backend and with the fast paths on and off:

* the output against the reference (float64),
* the gradient with ``gradcheck`` and the second derivative with ``gradgradcheck``,
* and, where PyTorch is importable, the output and the input gradients against PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.backends import fast_paths
from minigrad.testing import assert_close, gradcheck, gradgradcheck


@dataclass
class Case:
    name: str
    draw: Callable[[Any], tuple[tuple[np.ndarray, ...], dict]]  # st.data() -> arrays, params
    fn: Callable[..., Any]  # fn(lib, *tensors, **params), for minigrad and torch alike
    ref: Callable[..., np.ndarray]  # ref(*arrays, **params)
    grad: bool = True  # differentiable (False: comparisons, argmax, indices...)
    torch_can: Callable[[dict], bool] = lambda params: True  # what torch supports too


class Lib:
    """minigrad or torch, with factories that put tensors on the device under test; with a
    ``functional`` module, its names come first (F.pad, F.unfold, ...)."""

    def __init__(self, module: Any, device: str, functional: Any = None) -> None:
        self.module, self.device, self.functional = module, device, functional

    def tensor(self, data: Any) -> Any:
        return self.module.tensor(data, device=self.device)

    def __getattr__(self, name: str) -> Any:
        if self.functional is not None and hasattr(self.functional, name):
            return getattr(self.functional, name)
        return getattr(self.module, name)


@dataclass
class Tolerance:
    forward: tuple[float, float]  # rtol, atol against the reference
    torch_values: tuple[float, float]
    torch_grads: tuple[float, float]


CORE = Tolerance(forward=(1e-10, 1e-12), torch_values=(1e-10, 1e-12), torch_grads=(1e-9, 1e-11))


def table_tests(cases: list[Case], functional: Any = None, tol: Tolerance = CORE
                ) -> tuple[Callable, ...]:
    """The three tests of a table: assign them to module-level ``test_`` names."""
    ids = [c.name for c in cases]
    differentiable = [c for c in cases if c.grad]

    def inputs(arrays_: tuple, device: str, requires_grad: bool) -> list[mg.Tensor]:
        return [mg.tensor(a, dtype=mg.float64, device=device, requires_grad=requires_grad)
                for a in arrays_]

    @pytest.mark.parametrize("case", cases, ids=ids)
    @given(data=st.data())
    def test_forward_matches_reference(case: Case, backend: str, fast: bool, data: Any) -> None:
        arrays_, params = case.draw(data)
        with fast_paths(fast):
            out = case.fn(Lib(mg, backend, functional), *inputs(arrays_, backend, False),
                          **params)
        expected = np.asarray(case.ref(*arrays_, **params))
        assert out.device.type == backend
        assert tuple(out.shape) == expected.shape
        assert_close(out.cpu(), expected.astype(out.numpy().dtype), rtol=tol.forward[0],
                     atol=tol.forward[1])

    @pytest.mark.parametrize("check", [gradcheck, gradgradcheck], ids=["first", "second"])
    @pytest.mark.parametrize("case", differentiable, ids=[c.name for c in differentiable])
    @given(data=st.data())
    def test_derivatives(case: Case, check: Callable, backend: str, fast: bool, data: Any
                         ) -> None:
        """The gradient with gradcheck, the second derivative with gradgradcheck."""
        arrays_, params = case.draw(data)
        lib = Lib(mg, backend, functional)
        seed = data.draw(st.integers(0, 99))
        with fast_paths(fast):
            assert check(lambda *xs: case.fn(lib, *xs, **params),
                         tuple(inputs(arrays_, backend, True)), fast_mode=True, seed=seed)

    @pytest.mark.parametrize("case", cases, ids=ids)
    @given(data=st.data())
    def test_matches_torch(case: Case, fast: bool, data: Any) -> None:
        torch = pytest.importorskip("torch",
                                    reason="PyTorch is the oracle here; .ci/run installs it")
        arrays_, params = case.draw(data)
        assume(case.torch_can(params))
        ours = inputs(arrays_, "cpu", case.grad)
        with fast_paths(fast):
            out = case.fn(Lib(mg, "cpu", functional), *ours, **params)
        theirs = [torch.tensor(np.array(a, order="C"), dtype=torch.float64,
                               requires_grad=case.grad) for a in arrays_]
        t_out = case.fn(Lib(torch, "cpu", torch.nn.functional), *theirs, **params)
        assert tuple(out.shape) == tuple(t_out.shape)
        assert str(out.dtype).split(".")[-1] == str(t_out.dtype).split(".")[-1]
        assert_close(out.detach(), t_out.detach().numpy(), rtol=tol.torch_values[0],
                     atol=tol.torch_values[1])
        if not case.grad:
            return
        upstream = np.random.default_rng(0).standard_normal(tuple(t_out.shape))
        with fast_paths(fast):
            out.backward(mg.tensor(upstream, dtype=mg.float64))
        t_out.backward(torch.tensor(upstream))
        for i, (x, tx) in enumerate(zip(ours, theirs)):
            expected = np.zeros(tx.shape) if tx.grad is None else tx.grad.numpy()
            got = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
            assert_close(got, expected, rtol=tol.torch_grads[0], atol=tol.torch_grads[1],
                         msg=f"gradient of input {i}")

    return test_forward_matches_reference, test_derivatives, test_matches_torch
