"""The engine with PyTorch's extras: ``Function.apply`` and the backward walk of
minigrad/autograd.py hand over to these where an extra is in use (one check each), and
``autograd.grad`` always walks here. The chain rule is the same; around it sit what PyTorch
adds: version counters and views for in-place ops, hooks, anomaly mode, the op trace, and
``autograd.grad``'s pruning.
"""

from __future__ import annotations

import contextlib
import heapq
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from minigrad import autograd
from minigrad.autograd import Function, accumulate, sum_to
from minigrad.extras.anomaly import check_backward, check_forward
from minigrad.extras.hooks import RemovableHandle, run_hooks
from minigrad.extras.memory import graph_nodes, memory_of, saved_buffers, saved_bytes
from minigrad.runtime import grad_mode
from minigrad.runtime.grad_mode import set_grad_enabled

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

    # set by minigrad/extras/__init__.py: torch's node API, from nodes.py
    node_attribute: Callable[[Function, str], Any]
    node_name: Callable[[Function], str]

__all__ = ["AUTOGRAD_NAMES", "apply", "check_saved", "grad", "root_grads", "run_backward"]

# names of torch.autograd that minigrad.autograd finds here
AUTOGRAD_NAMES = {"RemovableHandle": RemovableHandle, "graph_nodes": graph_nodes,
                  "memory_of": memory_of, "saved_buffers": saved_buffers,
                  "saved_bytes": saved_bytes}


def apply(cls: type[Function], fn: Function, inputs: Sequence[Tensor], params: dict[str, Any]
          ) -> Tensor:
    """``Function.apply`` with the extras in use: the device check, a view's history renewed
    after its base changed in place, the trace, anomaly mode, and an in-place op watching
    the nodes it makes. ``fn`` is the Function (or its fast twin) to run."""
    dev = inputs[0]._device
    for t in inputs[1:]:
        if t._device is not dev and t._device != dev:
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two "
                f"devices, {dev} and {t.device}! (in {cls.__name__})"
            )
    mode = grad_mode.modes  # this thread's
    if mode.grad:
        for t in inputs:  # a view whose base changed in place since: renew its history
            if t._view is not None and t._view.version != t._version_counter[0]:
                t._renew_view()
    fn.needs_input_grad = [mode.grad and t._requires_grad for t in inputs]  # (renewed)
    arrays = [t._data for t in inputs]
    if mode.trace is None:
        result = fn.forward(*arrays, **params)
    else:  # mg.trace(): the trace runs forward, timing it and writing down what ran
        result = mode.trace.forward(cls, fn, inputs, params)
    if mode.anomaly:
        check_forward(fn, inputs, result)
    out = fn.wrap(cls, params, arrays, result)  # (edges to where each input is now: an
    if out.grad_fn is fn and mode.watch is not None:  # in-place op later moves it on)
        mode.watch.append(fn)  # an in-place op looks at the nodes it makes
    return out


def check_saved(self: Function) -> None:
    """Fail as torch does when a tensor backward reads was modified in place since, or
    detached in place (``Function.check_saved`` calls it when a version moved)."""
    if not self.saved:
        return
    counter = self.output_counter
    t: Tensor | None  # an input, or the output (None: gone)
    if counter[0] == self.output_version:
        for t, version, edge in zip(self.inputs, self.versions, self.next):
            if t._version_counter[0] != version or (t.grad_fn is None
                                                    and isinstance(edge, Function)):
                break
        else:  # nothing changed or detached in place since: the common case, quickly
            return
    saves = set(self.saved)
    saved: list[tuple[Tensor | None, int, Function | Tensor | None]] = [
        (t, self.versions[i], self.next[i]) for i, t in enumerate(self.inputs) if i in saves]
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


def ready_order(roots: Sequence[Any], keep: list) -> list[Any]:
    """Nodes and leaves reachable from ``roots``, in the order torch's engine runs them: each
    once all its consumers have run and, of those ready, a leaf first (its ``.grad`` and its
    hooks run as soon as its gradient is complete), then the newest node. The nodes' outputs
    go into ``keep`` (alive until the walk ends: a node's backward may read its output after
    the consumer that held it has been released).
    """
    users: dict[int, int] = {}  # how many consumers each entry waits for
    stack = list({id(r): r for r in roots}.values())  # (a root given twice: once)
    seen = {id(r) for r in stack}
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


def _entry(t: Tensor) -> Any:
    """Where a tensor's gradient goes in the graph: the node that made it, or the leaf itself."""
    return t.grad_fn if t.grad_fn is not None else t


def run_backward(roots: Sequence[Tensor], grads: Sequence[Tensor], retain_graph: bool,
                 create_graph: bool, capture: Sequence[Tensor] | None = None) -> dict[int, Any]:
    """The backward walk with the extras: tensor hooks (also those an in-place op moved on),
    retained gradients, tensors moved on or detached in place, anomaly mode, the trace, and
    ``autograd.grad``'s pruning. The chain rule is the one of ``autograd.run_backward``.

    Without ``capture`` leaf gradients accumulate into ``.grad``; with it (``autograd.grad``)
    the gradients of the captured tensors are returned, keyed by ``id`` of their entry.
    """
    entries = [_entry(r) for r in roots]
    outputs: list[Tensor] = []
    order = ready_order(entries, outputs)
    pending: dict[int, Tensor] = {}
    g: Tensor | None  # (below: None where no gradient came)
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
            t: Any = entry if node is None else node._output()  # whose gradient g is (None: gone)
            current = t is not None and t.grad_fn is node  # not moved on by an in-place op
            # autograd.grad captures a gradient after its tensor's hooks, but before them where
            # the walk goes on through the node (as torch's engine: they run when it runs)
            early = wanted is not None and id(entry) in wanted and id(entry) in leads
            if early:
                captured[id(entry)] = g
            if current and t._hooks:
                g = run_hooks(t._hooks, g)
            elif node is not None and node.hooks:  # hooks of a value changed in place since
                g = run_hooks(node.hooks, g)
            if wanted is not None and id(entry) in wanted and not early:
                captured[id(entry)] = g
            if node is None and not current and wanted is None:  # as torch's AccumulateGrad
                raise RuntimeError("leaf variable has been moved into the graph interior")
            detached = node is not None and node.detached and t is not None
            if (current or detached) and (t._retains_grad if node is not None else (
                    wanted is None and t._requires_grad)):  # (a leaf switched off since: no)
                accumulate(t, g, create_graph)
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
            check_saved(node)
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
                check_backward(node, in_grads)
            for p, gp, edge in zip(node.inputs, in_grads, node.next):
                if edge is None or gp is None:
                    continue
                if gp._data.shape != p._data.shape:
                    gp = sum_to(gp, p.shape)
                key = id(edge)
                pending[key] = pending[key] + gp if key in pending else gp
            if not retain_graph:
                node.release()
    return captured



def root_grads(outputs: Tensor | Sequence[Tensor], grad_outputs: Any
               ) -> tuple[list[Tensor], list[Tensor]]:
    """The tensors backward starts from (one or a sequence) and their gradients: ones for a
    scalar, else the given ones (one, or one or None for each), checked."""
    outputs = [outputs] if autograd.is_tensor(outputs) else list(outputs)
    if grad_outputs is None or autograd.is_tensor(grad_outputs):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    grad_outputs = list(grad_outputs)
    for i, g in enumerate(grad_outputs):  # (types first, as torch: t.backward([[1.0]]))
        if g is not None and not autograd.is_tensor(g):
            raise TypeError(f"gradients can be either Tensors or None, but got "
                            f"{type(g).__name__} (grad_tensors[{i}] = {g!r})")
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not autograd.is_tensor(out):
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
            g = autograd.make_tensor(out.backend.xp.ones(out.shape, dtype=out._data.dtype),
                                     out.device)
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
    return outputs, grads



def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``."""
    inputs = [inputs] if autograd.is_tensor(inputs) else list(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    for i, t in enumerate(inputs):
        if not autograd.is_tensor(t):
            raise RuntimeError(f"all inputs have to be Tensors, but got {type(t).__name__} "
                               f"(inputs[{i}] = {t!r})")
        if not t.requires_grad:
            raise RuntimeError(f"input {i} of autograd.grad does not require grad")
        if t._view is not None and t._view.version != t._version_counter[0]:
            t._renew_view()  # a view whose base changed in place since: from the base now
    if retain_graph is None:
        retain_graph = create_graph
    outputs, grads = root_grads(outputs, grad_outputs)
    captured = run_backward(outputs, grads, retain_graph, create_graph, capture=inputs)
    result = tuple(captured.get(id(_entry(t))) for t in inputs)
    unused = next((i for i, g in enumerate(result) if g is None), None)
    if not allow_unused and unused is not None:
        raise RuntimeError(
            f"The differentiated Tensor at index {unused} appears to not have been used in the "
            "graph. Set allow_unused=True if this is the desired behavior."
        )
    return result

