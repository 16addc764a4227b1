"""Tensor hooks: ``t.register_hook(fn)`` and the handle that takes one off again. The backward
walk of minigrad/extras/engine.py runs them, in order, where the tensor's gradient is complete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

__all__ = ["RemovableHandle", "run_hooks"]


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook off again."""

    _next_id = 0

    def __init__(self, hooks: dict[int, Callable]) -> None:
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        """Remove the hook (no error if it is gone already)."""
        self._hooks.pop(self.id, None)



def run_hooks(hooks: dict, g: Tensor) -> Tensor:
    """A tensor's hooks, in order; each may replace the gradient (of the same shape)."""
    for hook in hooks.values():
        new = hook(g)
        if new is not None:
            if not hasattr(new, "_data"):
                raise TypeError(f"expected Tensor, but hook "
                                f"'{getattr(hook, '__name__', hook)}' returned "
                                f"'{type(new).__name__}'")
            if tuple(new.shape) != tuple(g.shape):
                raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has changed the "
                                   f"size of value: the gradient is {list(g.shape)}, the hook "
                                   f"returned {list(new.shape)}")
            g = new
    return g

