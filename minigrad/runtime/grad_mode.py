"""Grad modes: whether ops record a graph for backward (``no_grad``, ``enable_grad``, ...), and
anomaly detection.

The modes belong to the calling thread, as PyTorch's grad mode does: every thread starts
recording, and ``no_grad()`` in one thread leaves the others alone. ``Function.apply`` reads
them for every op (``mg.trace()``, in minigrad/tools/tracing.py, is one of them too). Each mode
works as a call, a context manager and a decorator.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import threading
from collections.abc import Callable
from typing import Any


class _Modes(threading.local):
    """The calling thread's modes (each thread starts with these defaults)."""

    grad = True  # record a graph
    anomaly = False  # check every op's output and gradient for NaN (detect_anomaly)
    watch: list | None = None  # the nodes an in-place op makes (minigrad/extras/inplace.py)
    trace: Any = None  # the innermost mg.trace() recording every op (minigrad/tools/tracing.py)
    extras = False  # any of the three above: Function.apply hands over to minigrad/extras/


modes = _Modes()


def set_mode(field: str, value: Any) -> None:
    """Set one of this thread's modes (``modes.grad`` may also be set directly)."""
    setattr(modes, field, value)
    modes.extras = bool(modes.anomaly) or modes.watch is not None or modes.trace is not None


def is_grad_enabled() -> bool:
    """Whether ops currently record a graph for backward (in this thread)."""
    return modes.grad


class _Switch(contextlib.ContextDecorator):
    """A mode switched on entry and back on exit; a decorator switches it around each call."""

    field = "grad"
    mode: bool = True

    def __enter__(self) -> None:
        self.prev = getattr(modes, self.field)
        set_mode(self.field, self.mode)

    def __exit__(self, *exc: object) -> None:
        set_mode(self.field, self.prev)

    def _recreate_cm(self) -> _Switch:  # each decorated call keeps its own previous mode
        return copy.copy(self)


class _SwitchNow(_Switch):
    """A switch that also works as a plain call: made, it is on until switched back."""

    def __init__(self, mode: bool) -> None:
        self.prev = getattr(modes, self.field)
        self.mode = bool(mode)
        set_mode(self.field, self.mode)

    def __enter__(self) -> None:  # the previous mode is the one before the call
        set_mode(self.field, self.mode)

    def __call__(self, func: Callable) -> Any:  # decorator: the mode applies per call
        set_mode(self.field, self.prev)  # undo the switch made by __init__
        field, mode = self.field, self.mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = getattr(modes, field)
            set_mode(field, mode)
            try:
                return func(*args, **kwargs)
            finally:
                set_mode(field, prev)

        return wrapper


class set_grad_enabled(_SwitchNow):  # noqa: N801  (as torch's)
    """Turn graph recording on or off: a call, a context manager, or a decorator."""


class _GradMode(_Switch):
    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and callable(args[0]) and not kwargs:  # @no_grad, no parentheses
            return cls()(args[0])
        return super().__new__(cls)


class no_grad(_GradMode):  # noqa: N801
    """Context manager and decorator: ops inside record no graph (inference, updates)."""

    mode = False


class enable_grad(_GradMode):  # noqa: N801
    """Context manager and decorator: record a graph again inside ``no_grad``."""

    mode = True


class inference_mode(_GradMode):  # noqa: N801
    """``no_grad`` under torch's other name, for inference (``inference_mode(False)`` records
    again). minigrad does not mark the tensors made inside, as torch does."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = not mode


# ---- anomaly detection ------------------------------------------------------------------
def is_anomaly_enabled() -> bool:
    """Whether ops check their outputs and gradients for NaN (in this thread)."""
    return modes.anomaly


class detect_anomaly(_Switch):  # noqa: N801  (as torch's)
    """Find the op that made a NaN: in forward, the first op whose output is not finite while
    its inputs are fails, naming itself and its line; in backward, the first Function whose
    gradient has a NaN fails as torch's does (``LogBackward0 returned nan values in its 0th
    output``), with the traceback of the forward call that made it. Costs a check of every
    array while on; nothing while off."""

    field = "anomaly"

    def __init__(self, check_nan: bool = True) -> None:
        self.mode = bool(check_nan)


class set_detect_anomaly(_SwitchNow):  # noqa: N801  (as torch's)
    """Turn anomaly detection on or off: a call, a context manager, or a decorator."""

    field = "anomaly"

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        super().__init__(bool(mode) and check_nan)
