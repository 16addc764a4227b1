"""Anomaly mode (``mg.autograd.detect_anomaly``): the checks the engine makes while it is on.
In forward, an op that makes a non-finite output from finite inputs fails, naming itself and
the user's line; in backward, a Function whose gradient has a NaN fails as torch's does, with
the traceback of the forward call that made it.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from minigrad.autograd import Function
    from minigrad.tensor import Tensor

__all__ = ["check_backward", "check_forward"]


def check_forward(fn: Function, inputs: Sequence[Tensor], result: Any) -> None:
    """In anomaly mode: remember where the op was called (for backward's message) and fail
    if it made a non-finite output from finite inputs."""
    stack = traceback.format_stack()
    while stack and "/minigrad/" in stack[-1]:  # minigrad's own frames: up to the user's call
        stack.pop()
    fn.trace = stack  # type: ignore[attr-defined]  # anomaly mode's own, on this node only
    xp, host_value = fn.xp, fn.backend.host_value  # a look at the values on the host
    if not _floating(xp, result) or host_value(xp.all(xp.isfinite(result)), "anomaly check"):
        return
    if all(not _floating(xp, t._data) or host_value(xp.all(xp.isfinite(t._data)),
                                                    "anomaly check") for t in inputs):
        kind = "nan" if host_value(xp.any(xp.isnan(result)), "anomaly check") else "inf"
        raise RuntimeError(f"Function '{type(fn).__name__}' made {kind} values from finite "
                           f"inputs (anomaly mode), called at {_caller(fn.trace)}")


def check_backward(node: Function, grads: Sequence[Tensor | None]) -> None:
    """In anomaly mode: fail, as torch does, when a gradient has a NaN."""
    for i, g in enumerate(grads):
        if g is not None and _floating(node.xp, g._data) and node.backend.host_value(
                node.xp.any(node.xp.isnan(g._data)), "anomaly check"):
            forward = "".join(getattr(node, "trace", []))
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output."
                + (f"\nTraceback of forward call that caused the error:\n{forward}"
                   if forward else ""))


def _floating(xp: Any, a: Any) -> bool:
    return xp.isdtype(a.dtype, "real floating") if hasattr(xp, "isdtype") else (
        a.dtype.kind == "f")


def _caller(stack: list[str]) -> str:
    """The innermost frame outside minigrad's own code, as 'file:line'."""
    for frame in reversed(stack):
        if "/minigrad/" not in frame:
            return frame.strip().splitlines()[0]
    return stack[-1].strip().splitlines()[0] if stack else "?"

