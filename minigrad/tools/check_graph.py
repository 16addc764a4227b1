"""check_graph: every node of a recorded graph checked on its own, so a wrong backward is named.

``gradcheck`` (as torch's) checks a whole function: when it fails it says the function's
gradient is off, not which op is wrong. ``check_graph(fn, *inputs)`` runs ``fn`` once and writes
down every op that joins the graph together with the values it saw. Then, node by node in the
order they ran, it runs that one op again on float64 copies of those values and compares the
op's backward (the vector-Jacobian product v^T J for a random v) with central finite
differences of the op's forward, entry by entry (all entries of a small input, a random
sample of a large one). The first node that disagrees is named as ``grad_fn`` prints it, with
its inputs' shapes and the worst entry; when all agree, a short report comes back.

Finite differences assume the op is smooth where it was run: a ReLU exactly at 0 or a max
with a tie can disagree without a bug (the report says which node, so such a case is seen).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from minigrad import autograd
from minigrad.runtime import dtypes
from minigrad.runtime.grad_mode import enable_grad, no_grad
from minigrad.tensor import Tensor
from minigrad.tools.tracing import trace

__all__ = ["GraphCheckError", "GraphReport", "NodeCheck", "check_graph"]


class GraphCheckError(AssertionError):
    """Raised by check_graph: names the first node whose backward disagrees with its forward."""


@dataclass
class NodeCheck:
    """One node's check: its name as ``grad_fn`` prints it, its inputs' shapes, how many
    entries were compared, the largest error relative to the tolerance (at most 1 passes),
    or why it was not checked."""

    name: str
    shapes: tuple[tuple[int, ...], ...]
    entries: int = 0
    worst: float = 0.0
    skipped: str = ""


class GraphReport(list):
    """The nodes check_graph checked, in the order they ran (a list of NodeCheck)."""

    def __str__(self) -> str:
        done = [c for c in self if not c.skipped]
        lines = [f"check_graph: {len(done)} nodes agree with finite differences "
                 f"({sum(c.entries for c in done)} entries compared)"
                 + (f", {len(self) - len(done)} not checked" if len(done) < len(self) else "")]
        for c in self:
            shapes = ", ".join(str(list(s)) for s in c.shapes)
            what = f"not checked: {c.skipped}" if c.skipped else (
                f"{c.entries} entries, worst {c.worst:.2g} of the tolerance")
            lines.append(f"  {c.name}({shapes}): {what}")
        return "\n".join(lines)


@dataclass
class _Seen:
    """An op as it ran: its class, the node it made, its parameters and its inputs' values."""

    cls: type[autograd.Function]
    node: Any
    params: dict
    values: list[np.ndarray]
    inputs: list[Tensor]


class _Recorder(trace):
    """A trace that also keeps a copy of every op's input values (as forward saw them)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[_Seen] = []

    def forward(self, cls: type[autograd.Function], fn: Any, inputs: Sequence[Tensor],
                params: dict) -> Any:
        values = [np.array(t.detach().cpu().numpy(), copy=True) for t in inputs]
        self.seen.append(_Seen(cls, fn, dict(params), values, list(inputs)))
        return super().forward(cls, fn, inputs, params)


def check_graph(fn: Callable[..., Any], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
                rtol: float = 1e-3, max_entries: int = 32, seed: int = 0) -> GraphReport:
    """Run ``fn(*inputs)`` and check each node of its graph on its own (see the module's
    docstring); raise GraphCheckError naming the first wrong node, else return the report.

    ``max_entries``: at most this many entries of each input are compared (a random sample
    of a larger input); ``eps``, ``atol``, ``rtol`` as in gradcheck.
    """
    rng = np.random.default_rng(seed)
    recorder = _Recorder()
    with enable_grad(), recorder:
        fn(*inputs)
    report = GraphReport()
    for seen in recorder.seen:
        if getattr(seen.node, "seq", 0) == 0:  # ran, but joined no graph (no input needed it)
            continue
        report.append(_check_node(seen, rng, eps, atol, rtol, max_entries))
    if not report:
        raise GraphCheckError("check_graph: fn recorded no graph (no input requires grad?)")
    return report


def _check_node(seen: _Seen, rng: np.random.Generator, eps: float, atol: float, rtol: float,
                max_entries: int) -> NodeCheck:
    """Compare one node's backward with finite differences of its forward, in float64."""
    node = seen.node
    check = NodeCheck(node.name(), tuple(tuple(t.shape) for t in seen.inputs))
    device = seen.inputs[0].device
    floating = [np.issubdtype(v.dtype, np.floating) for v in seen.values]
    values = [v.astype(np.float64) if f else v for v, f in zip(seen.values, floating)]
    wrt = [i for i, need in enumerate(node.needs_input_grad) if need and floating[i]]
    if not wrt:
        check.skipped = "no floating-point input needs a gradient"
        return check

    def run(vals: list[np.ndarray], grad: bool) -> tuple[Tensor, list[Tensor]]:
        xs = [Tensor(v, device=device, requires_grad=grad and i in wrt)
              for i, v in enumerate(vals)]
        with enable_grad() if grad else no_grad():
            return seen.cls.apply(*xs, **seen.params), xs

    out, xs = run(values, True)
    if out.dtype is not dtypes.float64:
        check.skipped = f"its output is {out.dtype.name}, not float64"
        return check
    v = rng.standard_normal(tuple(out.shape))
    grads = autograd.grad(out, [xs[i] for i in wrt], Tensor(v, device=device),
                          allow_unused=True)
    for i, g in zip(wrt, grads):
        analytic = np.zeros(values[i].shape) if g is None else g.detach().cpu().numpy()
        size = values[i].size
        picks = range(size) if size <= max_entries else rng.choice(size, max_entries, False)
        worst = (0.0, 0, 0.0, 0.0)  # (error / tolerance, flat index, finite difference, got)
        for k in picks:
            sides = []
            for sign in (1, -1):
                moved = [a.copy() for a in values]
                moved[i].flat[k] += sign * eps
                sides.append(run(moved, False)[0].cpu().numpy())
            numeric = float(np.sum((sides[0] - sides[1]) * v)) / (2 * eps)
            got = float(analytic.flat[k])
            ratio = abs(numeric - got) / (atol + rtol * abs(numeric))
            if not ratio <= worst[0]:  # (a NaN is the worst)
                worst = (ratio, int(k), numeric, got)
            check.entries += 1
        check.worst = max(check.worst, worst[0])
        if not worst[0] <= 1:
            where = tuple(int(j) for j in np.unravel_index(worst[1], values[i].shape))
            shapes = ", ".join(str(list(s)) for s in check.shapes)
            raise GraphCheckError(
                f"check_graph: {check.name} (inputs of shape {shapes}{_params(seen.params)}) "
                f"is wrong:\n  the gradient of its input {i} disagrees with finite differences "
                f"of its forward at the values it saw\n  worst at index {list(where)}: "
                f"finite differences give {worst[2]:.6g}, its backward {worst[3]:.6g} "
                f"({check.entries} entries compared)")
    return check


def _params(params: dict) -> str:
    """The op's parameters, shortly (a large array as its shape)."""
    def short(value: Any) -> str:
        return f"array{list(value.shape)}" if hasattr(value, "shape") else repr(value)
    shown = ", ".join(f"{k}={short(v)}" for k, v in params.items())
    return f"; {shown}" if shown else ""
