"""Reverse-mode automatic differentiation: Function and the backward walk.

A ``Function`` subclass is one differentiable op. Its ``forward`` works on raw arrays of the
backend (``self.xp`` is the array namespace); its ``backward`` gets the output's gradient as a
Tensor and returns the inputs' gradients, written with minigrad's own differentiable ops, so
``backward(create_graph=True)`` gives higher-order gradients for free. The Function instance is
the context: ``self.inputs`` are the input tensors, ``self.output`` the result, and anything
else backward needs is stored on ``self`` by ``forward``.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import traceback
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from minigrad import grad_mode
from minigrad.backends import Backend
from minigrad.grad_mode import (
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

__all__ = ["Function", "RemovableHandle", "backward", "detect_anomaly", "enable_grad", "grad",
           "is_anomaly_enabled", "is_grad_enabled", "is_tensor", "make_tensor", "no_grad",
           "set_detect_anomaly", "set_grad_enabled", "sum_to"]

# tensor.py imports this module and registers its Tensor class here (the one name this module
# gets from above it), so that Function.apply can wrap results without a circular import.
_Tensor: Any = None
recorded = itertools.count(1)  # numbers the recorded nodes in order


def make_tensor(array: Any, device: Any) -> Tensor:
    """Wrap a backend array as a Tensor that records no graph (for ops' constants)."""
    return _Tensor._make(array, device)


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is a minigrad Tensor."""
    return isinstance(obj, _Tensor)


class Function:
    """A differentiable op: ``forward`` on arrays, ``backward`` on Tensors, side by side."""

    xp: Any  # the array namespace of the inputs' device
    backend: Backend
    inputs: tuple[Tensor, ...] | None
    needs_input_grad: tuple[bool, ...]
    device_out: Any = None  # where the output lives, when not on the inputs' device
    # Which tensors backward reads the values of: input positions and/or "output" (None: all
    # of them), or a dict from each input to what its gradient reads (Mul: {0: (1,), 1: (0,)}).
    # Modifying one of them in place before backward is an error (version counters).
    saves: tuple[int | str, ...] | dict[int, tuple[int | str, ...]] | None = None
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

    @property
    def output(self) -> Tensor | None:
        """The output as forward made it, for backward to read: its array as it was then
        (``y.data = ...`` later does not change it; writes into its memory do, and are
        caught by the version check), in the graph as this node's output."""
        if self.saved_output is None:
            return self._output()
        out = _Tensor._make(self.saved_output, self.output_device)
        out.grad_fn, out._requires_grad = self, True
        return out

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        """Run forward on the inputs' arrays and, if any input requires grad, record the node.

        The backend of the inputs' device may have a faster version of this Function (a
        subclass, in its fast table); it runs instead while fast paths are on.
        """
        dev = inputs[0]._device
        for t in inputs[1:]:
            if t._device is not dev and t._device != dev:
                raise RuntimeError(
                    f"Expected all tensors to be on the same device, but found at least two "
                    f"devices, {dev} and {t.device}! (in {cls.__name__})"
                )
        backend = dev.backend
        fn = (backend.faster(cls) or cls)()  # the one seam for fast Functions
        fn.backend = backend
        fn.xp = backend.xp
        mode = grad_mode.modes  # this thread's
        recording = mode.grad
        if recording:
            for t in inputs:  # a view whose base changed in place since: renew its history
                if t._view is not None and t._view.version != t._version_counter[0]:
                    t._renew_view()
        arrays = [t._data for t in inputs]
        if mode.trace is None:
            result = fn.forward(*arrays, **params)
        else:  # mg.trace(): the trace runs forward, timing it and writing down what ran
            result = mode.trace.forward(cls, fn, inputs, params)
        if not fn.view_of_input and type(fn) is cls:  # (a fast twin keeps its own layout)
            result = backend.torch_layout(result, cls.layout, arrays)
        if mode.anomaly:
            _check_forward(fn, inputs, result)
        out = _Tensor._make(result, fn.device_out or dev)
        if fn.view_of_input:
            out._become_view(inputs[0], cls, params)
        if recording:  # (a view of a tensor that requires grad does too, as torch's)
            needs = [t._requires_grad or (t._view is not None and t.requires_grad)
                     for t in inputs]
            if True in needs:
                fn.inputs = inputs
                # edges lead to the node each input came from, or to the leaf itself, as it is
                # now: an in-place op later moves the tensor on, not this node's past (a view
                # made under no_grad has no edge: its gradient goes nowhere, as in torch);
                # and each input's version now, to see in backward whether it changed since
                fn.next = [(t.grad_fn or (t if t._requires_grad else None)) if need else None
                           for t, need in zip(inputs, needs)]
                fn.needs_input_grad = [e is not None for e in fn.next]
                fn.seq = next(recorded)
                fn.versions = [t._version_counter[0] for t in inputs]
                fn._output = weakref.ref(out)
                fn.output_counter = out._version_counter
                if "output" in fn.reads():  # kept as it is now (y.data = ... won't change it)
                    fn.saved_output, fn.output_device = result, out._device
                out._requires_grad = True
                out.grad_fn = fn
                if mode.watch is not None:  # an in-place op looks at the nodes it makes
                    mode.watch.append(fn)
        return out

    def reads(self) -> set | range:
        """The input positions (and "output") whose values this node's backward reads: all of
        them unless ``saves`` says less, and for a dict only what the gradients asked for."""
        saves = self.saves
        if saves is None:
            return {*range(len(self.inputs)), "output"}
        if isinstance(saves, dict):
            return {s for i, need in enumerate(self.needs_input_grad) if need
                    for s in saves.get(i, ())}
        return set(saves)

    def check_saved(self) -> None:
        """Fail as torch does when a tensor backward needs was modified in place since."""
        if self.saves == ():
            return
        counter = self.output_counter
        if counter[0] == self.output_version:
            for t, version, edge in zip(self.inputs, self.versions, self.next):
                if t._version_counter[0] != version or (t.grad_fn is None
                                                        and isinstance(edge, Function)):
                    break
            else:  # nothing changed or detached in place since: the common case, quickly
                return
        saves = self.reads()
        saved = [(t, self.versions[i], self.next[i]) for i, t in enumerate(self.inputs)
                 if i in saves]
        out = self._output()
        if "output" in saves and counter[0] != self.output_version:
            saved.append((out, self.output_version, self))
        for t, version, producer in saved:
            if t is None:  # the output itself is gone; a view of it was changed in place
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: the output of {self.name()} is at version "
                    f"{counter[0]}; expected version {version} instead.")
            if t is not out and isinstance(producer, Function) and t.grad_fn is None:
                raise RuntimeError(
                    "Trying to use a saved tensor that has been detached in-place, i.e. with "
                    ".detach_().This is not supported, please use out-of-place `.detach()` "
                    "instead")
            if t._version_counter[0] != version:
                made = f", which is output 0 of {producer.name()}," if isinstance(
                    producer, Function) else ""
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: [{t.type()} {list(t.shape)}]{made} is at "
                    f"version {t._version_counter[0]}; expected version {version} instead. "
                    f"Hint: {self.name()} saved it; change a copy (x = x + y, or x.clone()) "
                    "instead of x in place.")

    def kept_anything(self) -> bool:
        """Whether backward keeps values for this node (torch's saved tensors): its output,
        an input (a Python number too: torch saves the 2 of ``x * 2``), or arrays forward
        stored (a mask)."""
        if self.reads():
            return True
        return any(_arrays_in(v) for k, v in vars(self).items() if k not in _STRUCTURE)

    def _release(self) -> None:
        """After a backward without ``retain_graph``: keep the graph's shape (edges, the
        inputs' shapes and dtypes), drop the values. A node that kept values is marked
        released, and a second backward through it fails as torch's does; one that kept
        nothing (a sum, a reshape, ``x + 2``) runs again, as in torch."""
        kept = self.kept_anything()
        self.inputs = tuple(_shell(t) for t in self.inputs)
        if kept:
            for k in [k for k in vars(self) if k not in _STRUCTURE]:
                del self.__dict__[k]
            self.released = True

    def name(self) -> str:
        """The name PyTorch prints for this node, e.g. ``MulBackward0``."""
        return f"{type(self).__name__}Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


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


# What a node keeps after a backward released it: the graph's shape, not its values.
_STRUCTURE = frozenset({"inputs", "next", "needs_input_grad", "versions", "_output",
                        "output_counter", "output_version", "hooks", "backend", "xp",
                        "released", "device_out", "seq", "detached"})


def _shell(t: Tensor) -> Tensor:
    """A stand-in for an input after backward: its shape, dtype, device and version counter,
    no values (one element broadcast), so the released graph holds no memory."""
    key = (t._data.shape, t._data.dtype, t._device)
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


def _entry(t: Tensor) -> Any:
    """Where a tensor's gradient goes in the graph: the node that made it, or the leaf itself."""
    return t.grad_fn if t.grad_fn is not None else t


def _topological_order(roots: Sequence[Any], keep: list) -> list[Any]:
    """Nodes and leaves reachable from ``roots``, in the order torch's engine runs them: each
    once all its consumers have run and, of those ready, a leaf first (its ``.grad``), then
    the newest node. The nodes' outputs go into ``keep`` (alive until the walk ends: a node's
    backward may read its output after the consumer that held it has been released).
    """
    users: dict[int, int] = {}  # how many consumers each entry waits for
    stack, seen = list(roots), {id(r) for r in roots}
    while stack:  # (a loop, not recursion: deep graphs do not hit the recursion limit)
        entry = stack.pop()
        if isinstance(entry, Function):
            keep.append(entry._output())
            for edge in entry.next:
                if edge is not None:
                    users[id(edge)] = users.get(id(edge), 0) + 1
                    if id(edge) not in seen:
                        seen.add(id(edge))
                        stack.append(edge)
    order: list[Any] = []
    ready = [(_rank(r), i, r) for i, r in enumerate(roots) if id(r) not in users]
    heapq.heapify(ready)
    done: set[int] = set()
    while ready:
        entry = heapq.heappop(ready)[2]
        if id(entry) in done:
            continue  # (a root given twice)
        done.add(id(entry))
        order.append(entry)
        for edge in entry.next if isinstance(entry, Function) else ():
            if edge is not None:
                users[id(edge)] -= 1
                if users[id(edge)] == 0:
                    heapq.heappush(ready, (_rank(edge), len(order) + len(ready), edge))
    return order


def _rank(entry: Any) -> int:
    """Which ready entry runs first (the smallest): a leaf, then the newest node."""
    return -entry.seq if isinstance(entry, Function) else -(1 << 62)


def run_backward(roots: Sequence[Tensor], grads: Sequence[Tensor], retain_graph: bool,
                 create_graph: bool, capture: Sequence[Tensor] | None = None) -> dict[int, Any]:
    """The backward walk: push gradients from ``roots`` through the nodes to the leaves.

    Without ``capture`` leaf gradients accumulate into ``.grad``; with it (``autograd.grad``)
    the gradients of the captured tensors are returned, keyed by ``id`` of their entry.
    """
    entries = [_entry(r) for r in roots]
    outputs: list[Tensor] = []
    order = _topological_order(entries, outputs)
    pending: dict[int, Tensor] = {}
    for e, g in zip(entries, grads):
        pending[id(e)] = pending[id(e)] + g if id(e) in pending else g
    wanted = None if capture is None else {id(_entry(t)) for t in capture}
    leads: set[int] = set()
    if wanted is not None:  # autograd.grad runs only the nodes that lead to what it wants
        for entry in reversed(order):  # producers before consumers
            if isinstance(entry, Function) and any(
                    e is not None and (id(e) in wanted or id(e) in leads) for e in entry.next):
                leads.add(id(entry))
    captured: dict[int, Tensor] = {}
    modes = grad_mode.modes  # this thread's
    tracer = modes.trace  # mg.trace(): the walk's ops are backward's
    walk = contextlib.nullcontext() if tracer is None else tracer.backward_walk()
    with set_grad_enabled(create_graph), walk:
        for entry in order:
            g = pending.pop(id(entry), None)
            if g is None or (wanted is not None and id(entry) not in wanted
                             and id(entry) not in leads):
                continue
            node = entry if isinstance(entry, Function) else None
            t = entry if node is None else node._output()  # whose gradient g is (if still here)
            current = t is not None and t.grad_fn is node  # not moved on by an in-place op
            # autograd.grad captures a gradient after its tensor's hooks, but before them where
            # the walk goes on through the node (as torch's engine: they run when it runs)
            early = wanted is not None and id(entry) in wanted and id(entry) in leads
            if early:
                captured[id(entry)] = g
            if current and t._hooks:
                g = _run_hooks(t._hooks, g)
            elif node is not None and node.hooks:  # hooks of a value changed in place since
                g = _run_hooks(node.hooks, g)
            if wanted is not None and id(entry) in wanted and not early:
                captured[id(entry)] = g
            if node is None and not current and wanted is None:  # as torch's AccumulateGrad
                raise RuntimeError("leaf variable has been moved into the graph interior")
            detached = node is not None and node.detached and t is not None
            if (current or detached) and (t._retains_grad if node is not None else (
                    wanted is None and t._requires_grad)):  # (a leaf switched off since: no)
                _accumulate(t, g, create_graph)
            if node is None or (wanted is not None and id(entry) not in leads):
                continue
            if node.released:
                raise RuntimeError(
                    "Trying to backward through the graph a second time (or directly access "
                    "saved tensors after they have already been freed). Saved intermediate "
                    "values of the graph are freed when you call .backward() or "
                    "autograd.grad(). Specify retain_graph=True if you need to backward "
                    "through the graph a second time or if you need to access saved tensors "
                    "after calling backward.")
            node.check_saved()
            anomaly = modes.anomaly
            if anomaly:
                modes.anomaly = False  # backward's own ops: their gradients are checked below
            try:
                in_grads = node.backward(g) if tracer is None else tracer.backward(node, g)
            finally:
                modes.anomaly = anomaly
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            if anomaly:
                _check_backward(node, in_grads)
            for p, gp, edge in zip(node.inputs, in_grads, node.next):
                if edge is None or gp is None:
                    continue
                if gp._data.shape != p._data.shape:
                    gp = sum_to(gp, p.shape)
                key = id(edge)
                pending[key] = pending[key] + gp if key in pending else gp
            if not retain_graph:
                node._release()
    return captured


def _accumulate(t: Tensor, g: Tensor, create_graph: bool) -> None:
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


def _run_hooks(hooks: dict, g: Tensor) -> Tensor:
    """A tensor's hooks, in order; each may replace the gradient (of the same shape)."""
    for hook in hooks.values():
        new = hook(g)
        if new is not None:
            if not isinstance(new, _Tensor):
                raise TypeError(f"expected Tensor, but hook "
                                f"'{getattr(hook, '__name__', hook)}' returned "
                                f"'{type(new).__name__}'")
            if tuple(new.shape) != tuple(g.shape):
                raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has changed the "
                                   f"size of value: the gradient is {list(g.shape)}, the hook "
                                   f"returned {list(new.shape)}")
            g = new
    return g


# ---- anomaly detection (grad_mode.detect_anomaly) ------------------------------------------
def _check_forward(fn: Function, inputs: Sequence[Tensor], result: Any) -> None:
    """In anomaly mode: remember where the op was called (for backward's message) and fail
    if it made a non-finite output from finite inputs."""
    stack = traceback.format_stack()
    while stack and "/minigrad/" in stack[-1]:  # minigrad's own frames: up to the user's call
        stack.pop()
    fn.trace = stack
    xp, host_value = fn.xp, fn.backend.host_value  # a look at the values on the host
    if not _floating(xp, result) or host_value(xp.all(xp.isfinite(result)), "anomaly check"):
        return
    if all(not _floating(xp, t._data) or host_value(xp.all(xp.isfinite(t._data)),
                                                    "anomaly check") for t in inputs):
        kind = "nan" if host_value(xp.any(xp.isnan(result)), "anomaly check") else "inf"
        raise RuntimeError(f"Function '{type(fn).__name__}' made {kind} values from finite "
                           f"inputs (anomaly mode), called at {_caller(fn.trace)}")


def _check_backward(node: Function, grads: Sequence[Tensor | None]) -> None:
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


def _root_grads(outputs: Sequence[Tensor], grad_outputs: Sequence[Tensor | None]) -> list:
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, _Tensor):
            raise TypeError(f"element {i} of tensors is a {type(out).__name__}, not a Tensor "
                            f"(got {out!r})")
        if out._view is not None and out._view.version != out._version_counter[0]:
            out._renew_view()  # a view whose base changed in place since: from the base now
        if out.grad_fn is None and not out._requires_grad:  # no edge (a no_grad view too)
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs "
                    f"(output {i} has shape {tuple(out.shape)}); pass a gradient"
                )
            g = _Tensor._make(out.backend.xp.ones(out.shape, dtype=out._data.dtype), out.device)
        elif not isinstance(g, _Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got "
                            f"{type(g).__name__} (grad_tensors[{i}] = {g!r})")
        if g.shape != out.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and "
                f"output[{i}] has a shape of {tuple(out.shape)}."
            )
        if g.device != out.device:
            raise RuntimeError(
                f"grad_output[{i}] is on device {g.device} but output[{i}] is on {out.device}"
            )
        if g.dtype is not out.dtype:  # as torch: every gradient has its tensor's dtype
            g = g.to(out.dtype)
        grads.append(g)
    return grads


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None,
             retain_graph: bool | None = None, create_graph: bool = False) -> None:
    """Accumulate into ``.grad`` of the leaves the gradient of ``tensors``."""
    tensors = [tensors] if isinstance(tensors, _Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, _Tensor):
        grad_tensors = [grad_tensors] * len(tensors) if grad_tensors is None else [grad_tensors]
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(tensors, _root_grads(tensors, list(grad_tensors)), retain_graph, create_graph)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``."""
    outputs = [outputs] if isinstance(outputs, _Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, _Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, _Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    for i, t in enumerate(inputs):
        if not isinstance(t, _Tensor):
            raise RuntimeError(f"all inputs have to be Tensors, but got {type(t).__name__} "
                               f"(inputs[{i}] = {t!r})")
        if not t.requires_grad:
            raise RuntimeError(f"input {i} of autograd.grad does not require grad")
        if t._view is not None and t._view.version != t._version_counter[0]:
            t._renew_view()  # a view whose base changed in place since: from the base now
    if retain_graph is None:
        retain_graph = create_graph
    captured = run_backward(outputs, _root_grads(outputs, list(grad_outputs)), retain_graph,
                            create_graph, capture=inputs)
    result = tuple(captured.get(id(_entry(t))) for t in inputs)
    unused = next((i for i, g in enumerate(result) if g is None), None)
    if not allow_unused and unused is not None:
        raise RuntimeError(
            f"The differentiated Tensor at index {unused} appears to not have been used in the "
            "graph. Set allow_unused=True if this is the desired behavior."
        )
    return result


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


# ---- what the graph keeps for backward (mg.summary, mg.diagnostics) ------------------------
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


def _arrays_in(value: Any) -> list[Any]:
    """The arrays among a Function's attributes (a mask, integer indices in a key)."""
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _arrays_in(v)]
    if hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, _Tensor):
        return [value]
    return []


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
        if name not in _STRUCTURE:
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


__all__ += ["graph_nodes", "memory_of", "saved_buffers", "saved_bytes"]
