"""Autograd's state held against PyTorch: random programs run in both libraries, step by step.

A hypothesis state machine writes programs over a few float64 tensors that mix out-of-place
ops, views (identity views included), in-place ops on leaves under ``no_grad``, on non-leaves
and on views of them, item and mask assignment, ``detach``/``.data``, ``requires_grad_``,
hooks and their removal, ``retain_grad``, mid-program ``backward(retain_graph=True)``, a
final-style ``backward()`` that frees the graph, ``autograd.grad(create_graph=True)`` and
``no_grad`` blocks. Every step runs in minigrad and in PyTorch from the same values; after
each step both must have raised or not (the same exception type), and every tensor of the
program must hold the same values, ``requires_grad``, ``is_leaf``, contiguity and ``.grad``
(within 1e-9). A failure prints the shrunk program as the steps to replay.

The ``ci`` profile runs a few dozen programs; ``dev`` and ``thorough`` many more
(HYPOTHESIS_PROFILE, see conftest.py).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

import minigrad as mg

torch = pytest.importorskip("torch", reason="PyTorch is the oracle of this test; .ci/run "
                            "installs it (pip install torch==2.13.0)")

TOL = 1e-9
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
SHAPES = [(3,), (2, 3), (1, 3), (3, 1)]


class Pair:
    """One tensor of the program, in both libraries."""

    def __init__(self, mine: Any, theirs: Any, name: str) -> None:
        self.mine, self.theirs, self.name = mine, theirs, name

    def of(self, lib: Any) -> Any:
        """This tensor in the library ``lib``."""
        return self.mine if lib is mg else self.theirs

    def __repr__(self) -> str:
        return self.name


def _values(t: Any) -> np.ndarray:
    return np.array(t.detach().cpu().tolist(), dtype=np.float64)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=TOL, atol=TOL, equal_nan=True))


# ---- the ops: each f(lib, *tensors) in the library lib (minigrad or torch) ----------------------
# Ops that make a new tensor from one tensor.
UNARY: dict[str, Callable[..., Any]] = {
    "mul2": lambda lib, a: a * 2,
    "div3": lambda lib, a: a / 3,
    "add1": lambda lib, a: a + 1,
    "rsub": lambda lib, a: 1 - a,
    "neg": lambda lib, a: -a,
    "square": lambda lib, a: a * a,
    "pow2": lambda lib, a: a ** 2,
    "tanh": lambda lib, a: a.tanh(),
    "sigmoid": lambda lib, a: a.sigmoid(),
    "exp": lambda lib, a: (a * 0.5).exp(),
    "relu": lambda lib, a: a.relu(),
    "abs": lambda lib, a: a.abs(),
    "clamp": lambda lib, a: a.clamp(-0.5, 0.5),
    "sum": lambda lib, a: a.sum(),
    "sum0": lambda lib, a: a.sum(0),
    "sum_last_keep": lambda lib, a: a.sum(-1, keepdim=True),
    "mean": lambda lib, a: a.mean(),
    "clone": lambda lib, a: a.clone(),
    "contiguous": lambda lib, a: a.contiguous(),
    "detach": lambda lib, a: a.detach(),
    "data": lambda lib, a: a.data,
    "cat_self": lambda lib, a: lib.cat([a, a]),
    # views, identity views included
    "view_same": lambda lib, a: a.view(*a.shape),
    "view_flat": lambda lib, a: a.view(-1),
    "view_as_self": lambda lib, a: a.view_as(a),
    "reshape_same": lambda lib, a: a.reshape(a.shape),
    "reshape_flat": lambda lib, a: a.reshape(-1),
    "flatten": lambda lib, a: a.flatten(),
    "t": lambda lib, a: a.t(),
    "T2": lambda lib, a: a.transpose(0, -1),
    "transpose_same": lambda lib, a: a.transpose(0, 0),
    "permute_id": lambda lib, a: a.permute(*range(a.ndim)),
    "permute_rev": lambda lib, a: a.permute(*reversed(range(a.ndim))),
    "expand_same": lambda lib, a: a.expand(*a.shape),
    "expand2": lambda lib, a: a.expand(2, *a.shape),
    "expand_as_self": lambda lib, a: a.expand_as(a),
    "squeeze": lambda lib, a: a.squeeze(),
    "squeeze_none": lambda lib, a: a.squeeze(-1) if a.shape[-1] != 1 else a.squeeze(-1),
    "unsqueeze": lambda lib, a: a.unsqueeze(0),
    "first": lambda lib, a: a[0],
    "head": lambda lib, a: a[:2],
    "last_col": lambda lib, a: a[..., 1:],
    "step": lambda lib, a: a[..., ::2],
    "ellipsis": lambda lib, a: a[...],
    "pick": lambda lib, a: a[..., [2, 0]] if a.shape[-1] >= 3 else a[..., [0, 0]],
    "pick_rows": lambda lib, a: a[[0, 0]],
    "mask": lambda lib, a: a[a > 0],
}

# Ops of two tensors.
BINARY: dict[str, Callable[..., Any]] = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / (b.abs() + 1),
    "div_raw": lambda lib, a, b: a / (b + 0.0),  # (+ 0.0: a -0.0 becomes 0.0, whose sign
    # torch's vectorised maximum and NumPy's pick differently between -0.0 and 0.0)
    "matmul": lambda lib, a, b: a @ b,
    "where": lambda lib, a, b: lib.where(a > b, a, b),
    "maximum": lambda lib, a, b: lib.maximum(a, b),
}

# In-place ops of one tensor (and maybe another): they return nothing new.
INPLACE: dict[str, Callable[..., Any]] = {
    "add_1": lambda lib, a, b: a.add_(1),
    "mul_2": lambda lib, a, b: a.mul_(2),
    "div_2": lambda lib, a, b: a.div_(2),
    "iadd": lambda lib, a, b: a.__iadd__(b),
    "isub": lambda lib, a, b: a.__isub__(b),
    "imul": lambda lib, a, b: a.__imul__(b),
    "idiv": lambda lib, a, b: a.__itruediv__(b.abs() + 1),
    "div_self_elem": lambda lib, a, b: a.__itruediv__(a.view(-1)[-1]),
    "zero_": lambda lib, a, b: a.zero_(),
    "fill_": lambda lib, a, b: a.fill_(0.25),
    "copy_": lambda lib, a, b: a.copy_(b),
    "copy_self": lambda lib, a, b: a.copy_(a),
    "copy_float": lambda lib, a, b: a.copy_(0.5),
    "clamp_": lambda lib, a, b: a.clamp_(-0.5, 0.5),
    "relu_": lambda lib, a, b: a.relu_(),
    "sigmoid_": lambda lib, a, b: a.sigmoid_(),
    "tanh_": lambda lib, a, b: a.tanh_(),
    "exp_": lambda lib, a, b: a.mul_(0.5).exp_(),
    "set_first": lambda lib, a, b: a.__setitem__(0, 7.0),
    "set_slice_tensor": lambda lib, a, b: a.__setitem__((..., slice(0, 1)), b[..., :1]),
    "set_mask": lambda lib, a, b: a.__setitem__(a > 0.3, -1.0),
    # (in-range indices: torch writes the elements before an out-of-range one, then raises)
    "set_index": lambda lib, a, b: a.__setitem__((..., [0, -1]), 3.0),
    "set_index_tensor": lambda lib, a, b: a.__setitem__((..., [-1, 0]), b[..., :1]),
    "set_perm_self": lambda lib, a, b: a.__setitem__((..., [-1, 0]), a[..., :1]),
    "set_all": lambda lib, a, b: a.__setitem__(Ellipsis, b),
}

HOOKS: dict[str, Callable[[Any], Any]] = {
    "times10": lambda g: g * 10,
    "plus1": lambda g: g + 1,
    "none": lambda g: None,
}


def _run(both: Callable[[Any], Any], grad_enabled: bool) -> tuple[Any, Any]:
    """``both(lib)`` in each library: (result or exception) for minigrad, then for torch."""
    out = []
    for lib in (mg, torch):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with lib.set_grad_enabled(grad_enabled):
                    out.append(both(lib))
        except Exception as e:  # noqa: BLE001 (compared below: the same kind, or a failure)
            out.append(e)
    return out[0], out[1]


def _unit_strides_differ(x: Any, y: Any) -> bool:
    """Whether two torch tensors lie on the same memory in the same order and differ only in
    the strides of dims of size 1 (which torch's overlap check sees and minigrad's skips)."""
    with torch.no_grad():  # (a look at the layout records nothing and renews nothing)
        sx, sy = x.squeeze(), y.squeeze()
    return (x.data_ptr() == y.data_ptr() and sx.shape == sy.shape
            and sx.stride() == sy.stride() and (x.shape, x.stride()) != (y.shape, y.stride()))


def _check_same_outcome(what: str, mine: Any, theirs: Any) -> bool:
    """Both raised (the same type) or neither; returns whether they ran."""
    mine_raised, theirs_raised = isinstance(mine, Exception), isinstance(theirs, Exception)
    # torch's own bugs (an in-place op on a tensor that retains grad after detach_() fails
    # "old_fn INTERNAL ASSERT FAILED"): no program to compare with
    assume(not (theirs_raised and "INTERNAL ASSERT FAILED" in str(theirs)))
    if mine_raised or theirs_raised:
        assert mine_raised and theirs_raised, (
            f"{what}: minigrad {'raised ' + repr(mine) if mine_raised else 'ran'}, torch "
            f"{'raised ' + repr(theirs) if theirs_raised else 'ran'}")
        kinds = {type(mine).__name__, type(theirs).__name__}
        assert len(kinds) == 1, f"{what}: minigrad raised {mine!r}, torch raised {theirs!r}"
        return False
    return True


class AutogradAgainstTorch(RuleBasedStateMachine):
    """Programs of tensors, views, in-place ops, hooks and backward passes, in both."""

    tensors = Bundle("tensors")

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[Pair] = []
        self.handles: list[tuple[Any, Any]] = []
        self.grad_enabled = True
        self.count = 0
        # a backward that failed partway in both: which gradients were already added by then
        # depends on each engine's order (see the README), so .grad is not compared from then
        self.partial_grads = False

    def _add(self, mine: Any, theirs: Any, label: str) -> Pair:
        self.count += 1
        pair = Pair(mine, theirs, f"t{self.count}<{label}>")
        self.pairs.append(pair)
        return pair

    def _new(self, label: str, make: Callable[[Any], Any]) -> Any:
        mine, theirs = _run(make, self.grad_enabled)
        if not _check_same_outcome(label, mine, theirs):
            return multiple()
        if mine is None and theirs is None:
            return multiple()
        assert (mine is None) == (theirs is None), f"{label}: {mine!r} vs {theirs!r}"
        return self._add(mine, theirs, label)

    # ---- making tensors -------------------------------------------------------------------
    @initialize(target=tensors, shape=st.sampled_from(SHAPES), seed=st.integers(0, 2**16))
    def first_leaf(self, shape: tuple[int, ...], seed: int) -> Pair:
        return self.leaf(shape, True, seed)

    @rule(target=tensors, shape=st.sampled_from(SHAPES), requires_grad=st.booleans(),
          seed=st.integers(0, 2**16))
    def leaf(self, shape: tuple[int, ...], requires_grad: bool, seed: int) -> Pair:
        values = np.random.default_rng(seed).uniform(-2, 2, size=shape).round(3)
        return self._add(mg.tensor(values.tolist(), dtype=mg.float64, requires_grad=requires_grad),
                         torch.tensor(values.tolist(), dtype=torch.float64,
                                      requires_grad=requires_grad),
                         f"leaf{list(shape)}{', grad' if requires_grad else ''}")

    @rule(target=tensors, op=st.sampled_from(sorted(UNARY)), a=tensors)
    def unary(self, op: str, a: Pair) -> Any:
        f = UNARY[op]
        return self._new(f"{op}({a})", lambda lib: f(lib, a.of(lib)))

    @rule(target=tensors, op=st.sampled_from(sorted(BINARY)), a=tensors, b=tensors)
    def binary(self, op: str, a: Pair, b: Pair) -> Any:
        f = BINARY[op]
        return self._new(f"{op}({a}, {b})", lambda lib: f(lib, *((a.mine, b.mine) if lib is mg
                                                                else (a.theirs, b.theirs))))

    # ---- changing tensors -----------------------------------------------------------------
    @rule(op=st.sampled_from(sorted(INPLACE)), a=tensors, b=tensors)
    def inplace(self, op: str, a: Pair, b: Pair) -> None:
        # not between tensors on the same memory that differ only in the stride of a dim of
        # size 1: torch refuses them as overlapping, minigrad (whose size-1 strides are
        # NumPy's) does not look there (see the README)
        x, y = a.theirs, b.theirs
        assume(not _unit_strides_differ(x, y))
        if op == "set_slice_tensor" and x.ndim and y.ndim:  # (what it writes, and reads)
            with torch.no_grad():
                assume(not _unit_strides_differ(x[..., 0:1], y[..., :1]))
        f = INPLACE[op]
        mine, theirs = _run(lambda lib: f(lib, *((a.mine, b.mine) if lib is mg else
                                             (a.theirs, b.theirs))), self.grad_enabled)
        if _check_same_outcome(f"{op}({a}, {b})", mine, theirs) and mine is not None:
            assert (mine is a.mine) == (theirs is a.theirs), f"{op} returns self in one only"

    @rule(a=tensors, b=tensors, scale=st.sampled_from([0.5, -1.0]))
    def set_data(self, a: Pair, b: Pair, scale: float) -> None:
        # not on a view: torch then replays the view's old geometry on the new memory and
        # fails deep inside ("setStorage: ... out of bounds for storage of size 8")
        assume(a.theirs._base is None)

        def both(lib: Any) -> None:  # (of the same shape: see the README for another shape)
            x, y = (a.mine, b.mine) if lib is mg else (a.theirs, b.theirs)
            x.data = (y if y.shape == x.shape else x).detach() * scale
        _check_same_outcome(f"{a}.data = {b}", *_run(both, self.grad_enabled))

    @rule(a=tensors, flag=st.booleans())
    def requires_grad_(self, a: Pair, flag: bool) -> None:
        _check_same_outcome(f"{a}.requires_grad_({flag})", *_run(
            lambda lib: a.of(lib).requires_grad_(flag), self.grad_enabled))

    @rule(a=tensors)
    def detach_(self, a: Pair) -> None:
        # not on a gradient autograd.grad returned: whether it is a view (which detach_
        # refuses) depends on how each library writes that backward formula
        assume(not a.name.split("<", 1)[-1].startswith("grad("))
        _check_same_outcome(f"{a}.detach_()", *_run(
            lambda lib: a.of(lib).detach_(), self.grad_enabled))

    @rule(a=tensors)
    def forget_grad(self, a: Pair) -> None:
        a.mine.grad = None
        a.theirs.grad = None

    # ---- hooks and retained gradients -----------------------------------------------------
    @rule(a=tensors, hook=st.sampled_from(sorted(HOOKS)))
    def register_hook(self, a: Pair, hook: str) -> None:
        def both(lib: Any) -> Any:
            t = a.of(lib)
            if lib is torch:
                t.grad_fn  # noqa: B018 (torch 2.13 crashes registering a hook on a view whose
                # base changed in place unless its grad_fn was renewed first: a torch bug)
            return t.register_hook(HOOKS[hook])
        mine, theirs = _run(both, self.grad_enabled)
        if _check_same_outcome(f"{a}.register_hook({hook})", mine, theirs):
            self.handles.append((mine, theirs))

    @precondition(lambda self: self.handles)
    @rule(i=st.integers(0, 7))
    def remove_hook(self, i: int) -> None:
        mine, theirs = self.handles.pop(i % len(self.handles))
        mine.remove()
        theirs.remove()

    @rule(a=tensors)
    def retain_grad(self, a: Pair) -> None:
        _check_same_outcome(f"{a}.retain_grad()", *_run(
            lambda lib: a.of(lib).retain_grad(), self.grad_enabled))

    # ---- backward passes ------------------------------------------------------------------
    @rule(a=tensors, retain=st.booleans(), weighted=st.booleans())
    def backward(self, a: Pair, retain: bool, weighted: bool) -> None:
        def both(lib: Any) -> None:
            t = a.of(lib)
            if weighted:  # a gradient of its own shape, not a sum
                w = lib.tensor(np.linspace(0.5, 1.5, t.numel()).reshape(tuple(t.shape)).tolist(),
                             dtype=lib.float64)
                t.backward(w, retain_graph=retain)
            else:
                t.sum().backward(retain_graph=retain)
        mine, theirs = _run(both, self.grad_enabled)
        if not _check_same_outcome(f"{a}.backward(retain_graph={retain})", mine, theirs):
            self.partial_grads = True

    @rule(target=tensors, a=tensors, wrt=st.lists(tensors, min_size=1, max_size=2, unique=True),
          create_graph=st.booleans())
    def autograd_grad(self, a: Pair, wrt: list[Pair], create_graph: bool) -> Any:
        def both(lib: Any) -> Any:
            t = a.of(lib)
            inputs = [w.mine if lib is mg else w.theirs for w in wrt]
            return lib.autograd.grad(t.sum(), inputs, create_graph=create_graph,
                                   retain_graph=True, allow_unused=True)
        mine, theirs = _run(both, self.grad_enabled)
        if not _check_same_outcome(f"autograd.grad({a}, {wrt})", mine, theirs):
            return multiple()
        made = []
        for i, (m, t) in enumerate(zip(mine, theirs)):
            assert (m is None) == (t is None), f"autograd.grad: input {i} unused in one only"
            if m is not None:
                made.append(self._add(m, t, f"grad({a}, {wrt[i]})"))
        return multiple(*made)

    @rule(enabled=st.booleans())
    def grad_mode(self, enabled: bool) -> None:
        self.grad_enabled = enabled  # the steps that follow run inside no_grad (or not)

    # ---- after every step: the same state -------------------------------------------------
    @invariant()
    def same_state(self) -> None:
        for p in self.pairs:
            for field, read in FIELDS.items():
                if field == "grad" and self.partial_grads:
                    continue
                mine, theirs = _run(lambda lib, read=read, p=p: read(p.of(lib)), True)
                if _check_same_outcome(f"{p}.{field}", mine, theirs):
                    assert _equal(mine, theirs), f"{p}.{field}: {mine!r} vs torch {theirs!r}"


def _grad(t: Any) -> Any:
    return None if t.grad is None else (_values(t.grad), t.grad.is_contiguous())


FIELDS: dict[str, Callable[[Any], Any]] = {
    "values": _values,
    "requires_grad": lambda t: t.requires_grad,
    "is_leaf": lambda t: t.is_leaf,  # (asks for grad_fn: a stale view's history is renewed)
    "is_contiguous": lambda t: t.is_contiguous(),
    "grad": _grad,
}


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return _same(a, b)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return a == b


AutogradAgainstTorch.TestCase.settings = settings(
    settings.default, stateful_step_count=40,
    max_examples={"ci": 60, "dev": 300, "thorough": 3000}[PROFILE])
test_autograd_state_matches_torch = AutogradAgainstTorch.TestCase
