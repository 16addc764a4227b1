"""``mg.trace()``: see every op the engine runs, forward and backward, with its derivative.

Inside ``with mg.trace() as t:`` every ``Function.apply`` is written down: the op, which
phase ran it (forward, or backward: a node's formula, or the walk's own sums), its derivative
(the one-line comment above its ``backward``, or a ``formula`` class attribute), the shapes in
and out, dtype, device, whether a backend's fast path ran instead of the textbook Function, and
the time its forward took (the trace waits for the device before and after, so that the time
is the op's own). In backward, each node gets a row of its own, before the ops its formula
ran; its time includes theirs and the trace's own bookkeeping (the first time a class is seen,
reading its formula from the source). Forward ops run with grad mode off (an optimizer's step,
inference) are marked ``(no_grad)``. ``print(t)`` shows the table; ``t.ops`` holds the records.

Outside a trace nothing is recorded and nothing is paid but one attribute read per op
(``grad_mode.modes.trace``). The trace belongs to the calling thread, as grad mode does; in
nested traces, each one sees what runs inside it.
"""

from __future__ import annotations

import contextlib
import inspect
import linecache
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING, Any

from minigrad.autograd import Function
from minigrad.runtime import grad_mode

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

__all__ = ["OpRecord", "formula", "trace"]

Shape = tuple[int, ...]


@dataclass
class OpRecord:
    """One op a trace saw."""

    phase: str  # "forward" or "backward"
    kind: str  # "op": a Function.apply; "node": a graph node's backward (its ops follow it)
    name: str  # the Function asked for ("Mul"), or the node ("MulBackward0")
    ran: str  # the class that ran, with its module ("minigrad.fast.numpy_backend.Unfold")
    fast: bool  # a backend's faster version ran instead of the textbook Function
    formula: str  # the derivative, from the comment above ``backward``
    inputs: tuple[Shape | None, ...]  # for a node: the gradient it was given
    outputs: tuple[Shape | None, ...]  # for a node: the gradients it returned (None: not needed)
    dtype: str
    device: str
    seconds: float  # an op's forward; a node's whole backward (its ops included)
    node: str | None = None  # in backward: the node whose formula ran the op, or "engine"
    graph: bool = False  # the op was recorded in a graph (its output has a grad_fn)
    grad_enabled: bool = True  # grad mode was on (off: no_grad, an optimizer's step)

    @property
    def path(self) -> str:
        """``"fast"`` or ``"textbook"``."""
        return "fast" if self.fast else "textbook"


_FORMULAS: dict[tuple[type, Any], str] = {}


def formula(cls: type) -> str:
    """The derivative of a Function class: its ``formula`` attribute, or the comment right
    above the ``backward`` it runs (read once per class and backward: one put in its place,
    as the graded exercises do, has its own); "" when there is none."""
    key = (cls, getattr(cls, "backward", None))
    found = _FORMULAS.get(key)
    if found is None:
        found = _FORMULAS[key] = _read_formula(cls)
    return found


def _read_formula(cls: type) -> str:
    given = getattr(cls, "formula", None)
    if isinstance(given, str):
        return given
    owner = next((k for k in cls.__mro__ if "backward" in vars(k)), Function)
    if owner is Function:
        return ""
    backward = vars(owner)["backward"]
    try:
        _, start = inspect.getsourcelines(backward)
        lines = linecache.getlines(inspect.getsourcefile(backward) or "")
    except (OSError, TypeError):  # no source (a class made in a REPL)
        return ""
    comment: list[str] = []
    i = start - 2  # the line above ``def backward`` (start counts from 1)
    while 0 <= i < len(lines) and lines[i].strip().startswith("#"):
        comment.insert(0, lines[i].strip().lstrip("#").strip())
        i -= 1
    return " ".join(comment)


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class trace:  # noqa: N801  (lower case, as a mode: mg.no_grad, mg.trace)
    """Record every op run inside ``with mg.trace() as t:``; ``print(t)`` shows them."""

    def __init__(self) -> None:
        self.ops: list[OpRecord] = []
        self._outer: trace | None = None
        self._phase = "forward"
        self._node: str | None = None

    def __enter__(self) -> trace:
        t = grad_mode.modes.trace
        while t is not None:
            if t is self:
                raise RuntimeError("this trace is already on; nest a new mg.trace() instead")
            t = t._outer
        self._outer = grad_mode.modes.trace
        if self._outer is not None:  # entered inside backward: still backward
            self._phase, self._node = self._outer._phase, self._outer._node
        grad_mode.set_mode("trace", self)
        return self

    def __exit__(self, *exc: object) -> None:
        grad_mode.set_mode("trace", self._outer)

    # ---- what the engine calls ----------------------------------------------------------------
    def forward(self, cls: type[Function], fn: Function, inputs: Sequence[Tensor],
                params: dict[str, Any]) -> Any:
        """Run ``fn.forward`` for ``Function.apply``, timed, and write it down."""
        backend = fn.backend
        backend.synchronize()
        start = perf_counter()
        result = fn.forward(*[t._data for t in inputs], **params)
        backend.synchronize()
        seconds = perf_counter() - start
        device = fn.device_out or inputs[0].device
        self._add(OpRecord(
            phase=self._phase, kind="op", name=cls.__name__, ran=_qualified(type(fn)),
            fast=type(fn) is not cls, formula=formula(type(fn)),
            inputs=tuple(tuple(t.shape) for t in inputs), outputs=(tuple(result.shape),),
            dtype=device.backend.dtype_of(result).name, device=str(device), seconds=seconds,
            node=self._node, grad_enabled=grad_mode.modes.grad,
            graph=grad_mode.modes.grad and any(t.requires_grad for t in inputs)))
        return result

    def backward(self, node: Function, grad: Tensor) -> Any:
        """Run ``node.backward(grad)`` for the backward walk, timed; the ops its formula runs
        are written down after it, marked with its name."""
        cls = type(node)
        record = OpRecord(
            phase="backward", kind="node", name=node.name(), ran=_qualified(cls),
            fast=cls in node.backend.fast_table.values(), formula=formula(cls),
            inputs=(tuple(grad.shape),), outputs=(), dtype=grad.dtype.name,
            device=str(grad.device), seconds=0.0, node=node.name())
        self._add(record)
        backend = node.backend
        outer, self._node = self._node, node.name()
        backend.synchronize()
        start = perf_counter()
        try:
            grads = node.backward(grad)
        finally:
            self._node = outer
        backend.synchronize()
        record.seconds = perf_counter() - start
        record.outputs = tuple(None if g is None else tuple(g.shape) for g in (
            grads if isinstance(grads, tuple) else (grads,)))
        return grads

    @contextlib.contextmanager
    def backward_walk(self) -> Iterator[None]:
        """Within it, ops are backward's (the walk's own sums are marked ``"engine"``)."""
        outer = self._phase, self._node
        self._phase, self._node = "backward", "engine"
        try:
            yield
        finally:
            self._phase, self._node = outer

    def _add(self, record: OpRecord) -> None:
        t: trace | None = self
        while t is not None:  # every enclosing trace sees it too
            t.ops.append(record)
            t = t._outer

    # ---- reading it ---------------------------------------------------------------------------
    def names(self, phase: str | None = None, kind: str = "op") -> list[str]:
        """The names of the ops (``kind="node"``: of the backward nodes) in order, of one
        phase or of both."""
        return [r.name for r in self.ops if r.kind == kind and phase in (None, r.phase)]

    def __len__(self) -> int:
        return len(self.ops)

    def __repr__(self) -> str:
        return self.table()

    def table(self, limit: int | None = None) -> str:
        """The records as a table, one line each (the first ``limit`` of them), and totals."""
        head = ("#", "phase", "op", "path", "shapes (in -> out)", "dtype", "device", "us",
                "derivative")
        rows = []
        for i, r in enumerate(self.ops[:limit], 1):
            name = r.name
            if r.phase == "backward" and r.kind == "op":
                name = ("  " + name) if r.node != "engine" else name + " (engine)"
            elif not r.grad_enabled:
                name += " (no_grad)"
            rows.append((str(i), r.phase, name, r.path, _shapes(r), r.dtype, r.device,
                         f"{r.seconds * 1e6:.1f}", r.formula))
        widths = [max(len(row[c]) for row in [head, *rows]) for c in range(len(head) - 1)]
        lines = ["  ".join(cell.rjust(w) if c in (0, 7) else cell.ljust(w)
                           for c, (cell, w) in enumerate(zip(row, widths))) + "  " + row[-1]
                 for row in [head, *rows]]
        if limit is not None and len(self.ops) > limit:
            lines.append(f"... {len(self.ops) - limit} more")
        forward = [r for r in self.ops if r.phase == "forward"]
        nodes = [r for r in self.ops if r.kind == "node"]
        engine = [r for r in self.ops if r.kind == "op" and r.node == "engine"]
        fast = sum(r.fast for r in self.ops if r.kind == "op")
        lines.append(f"forward: {len(forward)} ops, {sum(r.seconds for r in forward) * 1e6:.0f} "
                     f"us; backward: {len(nodes)} nodes, {sum(r.seconds for r in nodes) * 1e6:.0f}"
                     f" us, and {len(engine)} ops of the walk's own (engine); {fast} ops ran a "
                     f"fast path")
        return "\n".join(line.rstrip() for line in lines)


def _shapes(r: OpRecord) -> str:
    def one(s: Shape | None) -> str:
        return "None" if s is None else str(list(s))
    return f"{', '.join(map(one, r.inputs))} -> {', '.join(map(one, r.outputs))}"
