"""Grad modes: whether ops record a graph for backward (``no_grad``, ``enable_grad``, ...).

One switch, read by ``Function.apply`` for every op: while it is off, results are plain
tensors with no ``grad_fn`` (inference, parameter updates). Each mode works as a call, a
context manager and a decorator, as PyTorch's.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any

_enabled = True  # read directly by autograd.Function.apply (it runs for every op)


def is_grad_enabled() -> bool:
    """Whether ops currently record a graph for backward."""
    return _enabled


def _set(mode: bool) -> None:
    global _enabled
    _enabled = mode


class set_grad_enabled(contextlib.ContextDecorator):  # noqa: N801  (as torch's)
    """Turn graph recording on or off: a call, a context manager, or a decorator."""

    def __init__(self, mode: bool) -> None:
        self.prev = _enabled
        self.mode = bool(mode)
        _set(self.mode)  # as torch: set_grad_enabled(False) also works as a plain call

    def __enter__(self) -> None:
        _set(self.mode)

    def __exit__(self, *exc: object) -> None:
        _set(self.prev)

    def __call__(self, func: Callable) -> Callable:  # decorator: the mode applies per call
        _set(self.prev)  # undo the switch made by __init__
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper


class _GradMode(contextlib.ContextDecorator):
    mode = True

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and callable(args[0]) and not kwargs:  # @no_grad, no parentheses
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self) -> None:
        self.prev = _enabled
        _set(self.mode)

    def __exit__(self, *exc: object) -> None:
        _set(self.prev)


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
