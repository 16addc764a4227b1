"""What the graph keeps for backward, counted in bytes: ``mg.summary`` and ``mg.diagnostics``
read it (also as ``mg.autograd.saved_bytes`` and friends). Each array is counted once, by the
memory it lives in (a view's base).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minigrad.autograd import STRUCTURE, Function, _arrays_in
from minigrad.backends import Backend

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

__all__ = ["graph_nodes", "memory_of", "saved_buffers", "saved_bytes"]


def _buffer(array: Any, backend: Backend) -> tuple[int, int]:
    """(id, bytes) of the memory an array lives in: a view's base, so that an array kept
    through several views is counted once."""
    while getattr(array, "base", None) is not None and hasattr(array.base, "shape"):
        array = array.base
    nbytes = getattr(array, "nbytes", None)
    if nbytes is None:  # array-api-strict has no nbytes
        nbytes = backend.dtype_of(array).itemsize
        for n in array.shape:
            nbytes *= n
    return id(array), int(nbytes)


def saved_buffers(node: Function) -> dict[int, int]:
    """The memory ``node``'s backward keeps, as {buffer id: bytes}: the inputs and the output
    it reads (``reads()``) and the arrays forward stored on it (a max's mask)."""
    if node.released:  # by a backward
        return {}
    kept = []
    for r in node.reads():
        t = node.output if r == "output" else node.inputs[r]
        if t is not None:
            kept.append(t._data)
    for name, value in vars(node).items():
        if name not in STRUCTURE:
            kept += _arrays_in(value)
    return dict(_buffer(a, node.backend) for a in kept)


def graph_nodes(tensor: Tensor) -> list[Function]:
    """The nodes of the graph behind ``tensor``: from its grad_fn along the ``next`` edges,
    each once, consumers before producers along each path."""
    nodes: list[Function] = []
    seen: set[int] = set()
    stack = [tensor.grad_fn] if tensor.grad_fn is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        stack += [e for e in reversed(node.next) if isinstance(e, Function)]
    return nodes


def saved_bytes(tensor: Tensor, by_kind: bool = False) -> int | dict[str, int]:
    """The bytes the graph behind ``tensor`` holds for backward, each array once (leaves'
    arrays too, when a node reads them: ``(x * w).sum()`` keeps x and w). With ``by_kind``:
    {node name, e.g. ``MulBackward0``: bytes}, each array under the first node that keeps it."""
    counted: set[int] = set()
    kinds: dict[str, int] = {}
    for node in graph_nodes(tensor):
        for key, nbytes in saved_buffers(node).items():
            if key not in counted:
                counted.add(key)
                kinds[node.name()] = kinds.get(node.name(), 0) + nbytes
    return kinds if by_kind else sum(kinds.values())


def memory_of(tensor: Tensor) -> tuple[int, int]:
    """(id, bytes) of the memory a tensor's values live in (a view's base): the keys of
    ``saved_buffers``, to leave out memory counted elsewhere (a model's parameters)."""
    return _buffer(tensor._data, tensor.backend)
