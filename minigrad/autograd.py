"""Reverse-mode automatic differentiation: Function and the backward walk. The engine is the
chain rule and nothing else; read it top to bottom.

A ``Function`` subclass is one differentiable op. Its ``forward`` works on raw arrays of the
backend (``self.xp`` is the array namespace); its ``backward`` gets the output's gradient as a
Tensor and returns the inputs' gradients, written with minigrad's own differentiable ops, so
``backward(create_graph=True)`` gives higher-order gradients for free. The Function instance is
the context: ``self.inputs`` are the input tensors, ``self.output`` the result; ``forward``
says which of them backward reads with ``self.save_for_backward(...)`` (as torch's ctx), and
stores on ``self`` anything else backward needs.

Two seams, each one check: ``backend.fast_table`` may swap a Function for a faster twin of it
(minigrad/fast/), and what PyTorch adds on top (in-place ops and views, hooks, anomaly mode, the
op trace, ``autograd.grad``; minigrad/extras/) takes over ``apply`` or the walk only where it is
in use. Both are switched on by the layers above, which hand themselves to this module.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

from minigrad.backends import Backend
from minigrad.backends.base import fast_switch
from minigrad.runtime import grad_mode
from minigrad.runtime.grad_mode import (
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

__all__ = ["Function", "backward", "detect_anomaly", "enable_grad", "grad", "is_anomaly_enabled",
           "is_grad_enabled", "is_tensor", "make_tensor", "no_grad", "set_detect_anomaly",
           "set_grad_enabled", "sum_to"]  # (and, from minigrad/extras/: see __getattr__)

# Handed in from above, so that this module imports neither: tensor.py registers its Tensor
# class (apply wraps results in it), minigrad/extras/ registers itself (PyTorch's extras).
_Tensor: Any = None
extras: Any = None
recorded = itertools.count(1)  # numbers the recorded nodes in order


def make_tensor(array: Any, device: Any) -> Tensor:
    """Wrap a backend array as a Tensor that records no graph (for ops' constants)."""
    return _Tensor._make(array, device)


def is_tensor(obj: Any) -> TypeGuard[Tensor]:
    """Whether ``obj`` is a minigrad Tensor."""
    return isinstance(obj, _Tensor)


class Function:
    """A differentiable op: ``forward`` on arrays, ``backward`` on Tensors, side by side."""

    xp: Any  # the array namespace of the inputs' device
    backend: Backend
    inputs: tuple[Tensor, ...]
    needs_input_grad: Sequence[bool]
    device_out: Any = None  # where the output lives, when not on the inputs' device
    # What backward reads, as save_for_backward found it: input positions and "output".
    # Modifying one of them in place before backward is an error (version counters).
    saved: tuple[int | str, ...] = ()
    to_save: tuple | None = None  # the arrays forward handed to save_for_backward
    # How PyTorch lays out this op's result (backends/layout.py): "elementwise" in the order
    # of its inputs' layouts, "first" in its first input's, "contiguous" row-major.
    layout = "contiguous"
    view_of_input = False  # forward sets it when its output shares the first input's memory
    hooks: dict | None = None  # an output's hooks, kept here when an in-place op moved it on
    detached = False  # its output was cut off by detach_(): a retained .grad still comes here
    seq = 0  # when it was recorded (newer nodes run first in backward, as torch's)
    output_version = 0  # the output's version when this node made it (an in-place op's: later)
    saved_output: Any = None  # the output's array, when backward reads it (as torch saves it)
    released = False  # set by a backward that freed what this node kept

    def forward(self, *arrays: Any, **params: Any) -> Any:
        """Compute the output array from the input arrays."""
        raise NotImplementedError

    def backward(self, grad: Tensor) -> Tensor | None | tuple[Tensor | None, ...]:
        """Gradients for the inputs (one per input, None where not needed)."""
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        """Run forward on the inputs' arrays and, if any input requires grad, record the node."""
        dev = inputs[0]._device
        fn = (dev.backend.fast_table.get(cls, cls) if fast_switch.on else cls)()  # (a twin)
        fn.backend, fn.xp = dev.backend, dev.backend.xp
        fn.inputs, fn.needs_input_grad = inputs, [grad_mode.modes.grad and t._requires_grad
                                                  for t in inputs]  # (has an edge, as below)
        if grad_mode.modes.extras or any(t._device is not dev or t._view is not None and t._view
                                         .version != t._version_counter[0] for t in inputs):
            return extras.apply(cls, fn, inputs, params)  # (in use: trace, anomaly, in-place)
        arrays = [t._data for t in inputs]
        return fn.wrap(cls, params, arrays, fn.forward(*arrays, **params))

    def wrap(self, cls: type[Function], params: dict[str, Any], arrays: list[Any], result: Any
             ) -> Tensor:
        """The output tensor of ``result``: laid out as torch's (a fast twin keeps its own
        layout), a view where forward said so, and in the graph if an input requires grad."""
        if not self.view_of_input and type(self) is cls:
            result = self.backend.torch_layout(result, cls.layout, arrays)
        out = _Tensor._make(result, self.device_out or self.inputs[0]._device)
        if self.view_of_input:
            out._become_view(self.inputs[0], cls, params)
        if True in self.needs_input_grad or grad_mode.modes.grad and any(
                t.requires_grad for t in self.inputs):  # (a no_grad view's output requires
            self.record(self.inputs, out)  # grad too, with no edge, as torch's)
        return out

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep for backward what it reads: input arrays (as ``self.inputs``) or the output
        array (as ``self.output``); None is skipped, and no arguments says it reads none. A
        tensor saved here and changed in place before backward is an error, as torch's; a
        forward that never calls this keeps everything (its inputs and output)."""
        self.to_save = arrays

    def record(self, inputs: Sequence[Tensor], out: Tensor) -> None:
        """Join the graph as ``out``'s node: an edge from each input that requires grad to where
        its gradient goes (the node that made it, or the leaf itself), and the versions that
        backward checks (an input changed in place since would give a wrong gradient)."""
        # (a view made under no_grad of a tensor that requires grad has no edge, as in torch)
        self.next = [(t.grad_fn or t) if t._requires_grad else None for t in inputs]
        self.seq = next(recorded)
        self.versions = [t._version_counter[0] for t in inputs]
        self._output, self.output_counter = weakref.ref(out), out._version_counter
        self.output_version = out._version_counter[0]  # (a view's is its base's)
        arrays = self.__dict__.pop("to_save", None)  # what save_for_backward kept, by position
        if arrays is None:  # forward did not say (a Function of yours?): all it could read
            arrays = (*(t._data for t in inputs), out._data)
        kept = {id(a) for a in arrays if a is not None}
        self.saved = tuple(i for i, t in enumerate(inputs) if id(t._data) in kept)
        if kept.difference(id(t._data) for t in inputs):  # (an array that is no input's)
            self.saved += ("output",)  # kept as it is now (y.data = ... won't change it)
            self.saved_output, self.output_device = out._data, out._device
        out._requires_grad, out.grad_fn = True, self

    @property
    def output(self) -> Tensor:
        """The output as forward made it, for backward to read (in the graph as this node's
        output; its array as it was then, ``y.data = ...`` later does not change it)."""
        if self.saved_output is None:
            return self._output()  # type: ignore[return-value]  # (alive while backward runs)
        out = _Tensor._make(self.saved_output, self.output_device)
        out.grad_fn, out._requires_grad = self, True
        return out

    def reads(self) -> set:
        """The input positions (and "output") whose values this node's backward reads."""
        return set(self.saved)

    def check_saved(self) -> None:
        """Fail as torch does if a tensor backward reads was changed in place since forward
        (which one, and the message, in minigrad/extras/)."""
        if self.output_counter[0] != self.output_version or self.versions != [
                t._version_counter[0] for t in self.inputs]:
            extras.check_saved(self)

    def kept_anything(self) -> bool:
        """Whether backward keeps values for this node (torch's saved tensors): its output,
        an input (a Python number too: torch saves the 2 of ``x * 2``), or arrays forward
        stored (a mask)."""
        return bool(self.saved) or any(
            _arrays_in(v) for k, v in vars(self).items() if k not in STRUCTURE)

    def release(self) -> None:
        """After a backward without ``retain_graph``: keep the graph's shape (edges, the
        inputs' shapes and dtypes), drop the values. A node that kept values is marked
        released, and a second backward through it fails as torch's does; one that kept
        nothing (a sum, a reshape, ``x + 2``) runs again, as in torch."""
        self.inputs = tuple(_shell(t) for t in self.inputs)
        if self.kept_anything():  # (what it kept, whatever its inputs are now)
            for k in [k for k in vars(self) if k not in STRUCTURE]:
                del self.__dict__[k]
            self.released = True

    def name(self) -> str:
        """The name PyTorch prints for this node, e.g. ``MulBackward0`` (extras/nodes.py)."""
        return extras.node_name(self)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    def __getattr__(self, name: str) -> Any:
        """torch's node API beyond the engine (``next_functions``, ``metadata``): extras."""
        return extras.node_attribute(self, name)


def sum_to(grad: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Undo broadcasting: sum ``grad`` down to ``shape``. The engine's one place for this."""
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    if axes:
        grad = grad.sum(dim=axes, keepdim=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


def topological_order(roots: Sequence[Any]) -> list[Any]:
    """The nodes reachable from ``roots``, newest first, each leaf right after the last node
    that uses it. An op's inputs are always older than its output, so a node comes after
    every node that uses its output: when it runs (or a leaf's ``.grad`` is set), its
    gradient is complete. This is the order torch's engine runs them in."""
    found, stack = {}, list(roots)
    while stack:  # (a loop, not recursion: deep graphs do not hit the recursion limit)
        entry = stack.pop()
        if isinstance(entry, Function) and id(entry) not in found:
            found[id(entry)] = entry
            stack += [edge for edge in entry.next if edge is not None]
    nodes = sorted(found.values(), key=lambda node: -node.seq)
    last = {id(edge): node for node in nodes for edge in node.next}  # (the oldest user wins)
    order = [r for r in roots if not isinstance(r, Function) and id(r) not in last]
    for node in nodes:
        order += [node] + [leaf for leaf in node.next if last.get(id(leaf)) is node
                           and leaf is not None and not isinstance(leaf, Function)]
    return order


def run_backward(roots: Sequence[Tensor], grads: Sequence[Tensor], retain_graph: bool,
                 create_graph: bool) -> None:
    """The backward walk: the chain rule from ``roots`` to the leaves' ``.grad``."""
    entries = [r.grad_fn or r for r in roots]
    order = topological_order(entries)
    outputs = [node._output() for node in order if isinstance(node, Function)]  # (kept alive)
    if grad_mode.modes.extras or not all(map(_plain, order)):  # hooks, in-place, anomaly..
        return extras.run_backward(roots, grads, retain_graph, create_graph)
    pending: dict[int, Tensor] = {}
    for root, grad in zip(entries, grads):
        pending[id(root)] = pending[id(root)] + grad if id(root) in pending else grad
    modes, was = grad_mode.modes, grad_mode.modes.grad
    modes.grad = create_graph  # backward's own ops are recorded only for a higher order
    try:
        for entry in order:
            g = pending.pop(id(entry), None)
            if g is None:  # (no gradient came this way)
                continue
            if not isinstance(entry, Function):  # a leaf: its gradient is complete
                accumulate(entry, g, create_graph)
                continue
            entry.check_saved()
            in_grads = entry.backward(g)  # (one gradient, or a tuple of one per input)
            in_grads = in_grads if isinstance(in_grads, tuple) else (in_grads,)
            for x, gx, edge in zip(entry.inputs, in_grads, entry.next):
                if edge is not None and gx is not None:
                    gx = sum_to(gx, x.shape) if gx.shape != x.shape else gx
                    pending[id(edge)] = pending[id(edge)] + gx if id(edge) in pending else gx
            if not retain_graph:
                entry.release()
    finally:
        modes.grad = was
        del outputs


def _plain(entry: Any) -> bool:
    """Whether the plain walk above is all this entry needs: no hooks, no retained .grad, no
    in-place change moved its tensor on, no freed values (else minigrad/extras/ walks)."""
    if isinstance(entry, Function):
        out = entry._output()
        return not (entry.released or entry.hooks or entry.detached) and out is not None \
            and out.grad_fn is entry and not (out._hooks or out._retains_grad)
    return entry._requires_grad and entry.grad_fn is None and not entry._hooks


def accumulate(t: Tensor, g: Tensor, create_graph: bool) -> None:
    """Add ``g`` into ``t.grad`` as torch's AccumulateGrad does: the first gradient is a copy
    laid out like the leaf (row-major for a retained non-leaf), later ones add in place (out
    of place under ``create_graph``, so the sum stays in the graph)."""
    if t._grad is not None and tuple(t._grad.shape) != tuple(g.shape):  # (after .data = ...)
        raise RuntimeError(f"output with shape {list(t._grad.shape)} doesn't match the "
                           f"broadcast shape {list(g.shape)}")
    if t._grad is None:
        if create_graph and g._requires_grad:  # the gradient's own graph goes along
            t._grad = g.clone()
        else:
            like = t._data if t.grad_fn is None else None
            t._grad = _Tensor._make(t.backend.grad_layout(g._data, like), g._device)
    elif create_graph:
        t._grad = t._grad + g
    else:
        t._grad._data += g._data
        t._grad._version_counter[0] += 1


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None,
             retain_graph: bool | None = None, create_graph: bool = False) -> None:
    """Accumulate into ``.grad`` of the leaves the gradient of ``tensors``."""
    if is_tensor(tensors) and grad_tensors is None and tensors.grad_fn is not None and \
            tensors._view is None and tensors.numel() == 1:  # a loss: d loss / d loss = 1
        roots = [tensors]
        grads = [make_tensor(tensors.backend.xp.ones_like(tensors._data), tensors._device)]
    else:  # several, or a gradient given for each (checked)
        roots, grads = extras.root_grads(tensors, grad_tensors)
    run_backward(roots, grads, create_graph if retain_graph is None else retain_graph,
                 create_graph)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``
    (its walk, which runs only the nodes that lead to ``inputs``, is in minigrad/extras/)."""
    return extras.grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused)


# What a node keeps after a backward released it: the graph's shape, not its values.
STRUCTURE = frozenset({"inputs", "next", "needs_input_grad", "versions", "_output",
                       "output_counter", "output_version", "hooks", "backend", "xp",
                       "released", "device_out", "seq", "detached", "metadata"})


def _shell(t: Tensor) -> Tensor:
    """A stand-in for an input after backward: its shape, dtype, device and version counter,
    no values (one element broadcast), so the released graph holds no memory."""
    key = (t._data.shape, t._data.dtype, t._device.type, t._device.index)
    array = _SHELLS.get(key)
    if array is None:  # (one per shape: a training loop meets the same few again and again)
        if len(_SHELLS) > 256:
            _SHELLS.clear()
        xp = t.backend.xp
        array = _SHELLS[key] = xp.broadcast_to(xp.empty((), dtype=key[1]), key[0])
    shell = _Tensor._make(array, t._device)
    shell._version_counter = t._version_counter
    return shell


_SHELLS: dict = {}


def _arrays_in(value: Any) -> list[Any]:
    """The arrays among a Function's attributes (a mask, integer indices in a key)."""
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _arrays_in(v)]
    if hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, _Tensor):
        return [value]
    return []


def __getattr__(name: str) -> Any:
    """``mg.autograd.RemovableHandle``, ``saved_bytes`` and the like: names of PyTorch's
    autograd that live with the extras (minigrad/extras/)."""
    if extras is not None and name in extras.AUTOGRAD_NAMES:
        return getattr(extras, name)
    raise AttributeError(f"module 'minigrad.autograd' has no attribute '{name}'")
