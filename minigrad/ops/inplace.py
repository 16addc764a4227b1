"""In-place ops: ``x.add_(y)``, ``x[key] = v``, and how they fit into the graph.

An in-place op computes its result as the out-of-place op would, writes it into x's own memory
(so every view of x sees it) and bumps x's version counter, which x shares with its views.

Under autograd, x then moves forward in the graph: its ``grad_fn`` becomes the new op's node,
and the values it overwrote stay behind in a copy if the new node reads them (``mul_`` does,
``add_`` and ``relu_`` do not). Nodes recorded
earlier keep their edges to x's past; those that saved x's values notice the new version at
backward and say so, as PyTorch does ("... modified by an inplace operation"). An in-place op
on a view (``x[1:3].mul_(2)``) writes the view's new values back into its base, so the base
moves forward too, and the view's history then starts from the new base.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad import dtypes, grad_mode
from minigrad.autograd import is_tensor, make_tensor
from minigrad.grad_mode import is_grad_enabled, no_grad
from minigrad.ops.elementwise import where
from minigrad.ops.movement import (
    Expand,
    Index,
    IndexPut,
    Permute,
    Reshape,
    index_positions,
    parse_key,
)
from minigrad.ops.promotion import as_tensor_like, broadcast_shapes

if TYPE_CHECKING:
    from minigrad.tensor import Tensor


def apply_inplace(x: Tensor, compute: Callable[[Tensor], Tensor], others: Sequence[Any] = ()
                  ) -> Tensor:
    """Write ``compute(x)`` into x's memory and return x; ``others`` are the other tensors
    the result depends on (whether any of them requires grad decides if a graph is kept)."""
    _check_writable(x)
    base = x if x._base is None else x._base
    recording = is_grad_enabled() and (
        base._requires_grad or x._requires_grad
        or any(is_tensor(o) and o._requires_grad for o in others))
    if not recording:
        with no_grad():
            _write(x, _checked(x, compute(x)))
        return x
    _check_allowed(x, base)
    steps = () if x._view is None else x._view.steps
    before = _before(base)  # the base's memory, standing at the base's old place in the graph
    views = [before]  # x as it was, replayed on it: base -> ... -> x
    for fn, params in steps:
        views.append(fn.apply(views[-1], **params))
    outer, grad_mode.modes.watch = grad_mode.modes.watch, []
    made = grad_mode.modes.watch  # the nodes the computation makes
    try:
        new = _checked(x, compute(views[-1]))
        if not new._requires_grad:  # zero_(), fill_(3): still in the graph, gradient 0
            new = where(ones(new), new, views[-1])
        if not any(new.grad_fn is node for node in made):  # copy_(y) may return y itself
            new = new.clone()
    finally:
        grad_mode.modes.watch = outer
        if outer is not None:
            outer.extend(made)
    for t in views:  # keep a copy of the values about to be overwritten, if a node reads them
        if any(s is t and i in node.reads() for node in made for i, s in enumerate(node.inputs)):
            t._data = t.backend.xp.asarray(t._data, copy=True)
    new_view = new
    for (fn, params), old in zip(reversed(steps), reversed(views[:-1])):
        new = _put_back(fn, params, old, new)  # the view's new values written into its base
    _write(x, new_view)  # (x's memory is part of the base's: the rest stays as it was)
    _take_place(base, new)
    if x is not base:
        renew_view(x)
    return x


def setitem(x: Tensor, key: Any, value: Any) -> None:
    """``x[key] = value``: the value (a number or a tensor, cast to x's dtype) broadcast to
    ``x[key]``'s shape and written there, in place. Differentiable: x's untouched elements
    keep their gradient, the written ones send it to the value."""
    key = parse_key(x, key)
    if not is_tensor(value) and not isinstance(value, (bool, int, float, np.generic)):
        raise TypeError(f"can't assign a {type(value).__name__} to a {x.type()} (got "
                        f"{value!r}; assign a number or a tensor)")
    v = value.to(x.device, x.dtype) if is_tensor(value) else as_tensor_like(value, x)
    advanced = any(hasattr(k, "shape") for k in key)  # integer or mask indices
    if advanced:
        positions = index_positions(x, key)  # x[key]'s elements' places in x
        target = positions.shape
    else:
        with no_grad():
            target = Index.apply(x, key=key).shape
    while v.ndim and v.shape[0] == 1 and v.ndim > len(target):
        v = v.squeeze(0)  # leading dims of size 1 go, as torch (preds[i] = net(x[i:i + 1]))
    _check_broadcast(v, target)
    if advanced:
        def compute(t: Tensor) -> Tensor:
            flat = IndexPut.apply(t.reshape(-1), v.expand(target).reshape(-1),
                                  key=(positions.reshape(-1)._data,))
            return flat.reshape(t.shape)
    else:
        def compute(t: Tensor) -> Tensor:
            return IndexPut.apply(t, v, key=key)
    apply_inplace(x, compute, (v,))


def renew_view(view: Tensor) -> None:
    """A view's history, made again from its base as the base is now."""
    view._view.version = view._version_counter[0]
    if not (is_grad_enabled() and view._view.in_grad_mode and view._view.base._requires_grad):
        return
    fresh = view._view.base
    for fn, params in view._view.steps:
        fresh = fn.apply(fresh, **params)
    _take_place(view, fresh)


# ---- the pieces ----------------------------------------------------------------------------
def _check_writable(x: Tensor) -> None:
    if x._view is not None and any(fn is Expand for fn, _ in x._view.steps):
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location. Please clone() the tensor before performing the "
            "operation.")


def _check_allowed(x: Tensor, base: Tensor) -> None:
    """PyTorch's refusals under autograd: leaves that require grad, their views, and views
    made without grad of a tensor that requires it."""
    if base.grad_fn is None and base._requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
            if x is base else "a view of a leaf Variable that requires grad is being used in "
            "an in-place operation.")
    if x is not base and base._requires_grad and not x._view.in_grad_mode:
        raise RuntimeError(
            "A view was created in no_grad mode and is being modified inplace with grad mode "
            "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. "
            "You can clarify your code by moving both the view and the inplace either both "
            "inside the no_grad block (if you don't want the inplace to be tracked) or both "
            "outside (if you want the inplace to be tracked).")


def _checked(x: Tensor, result: Tensor) -> Tensor:
    """The result of an in-place op must fit x: its shape, and a dtype x can hold."""
    if tuple(result.shape) != tuple(x.shape):
        raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast "
                           f"shape {list(result.shape)}")
    if dtypes.category(result.dtype) > dtypes.category(x.dtype):
        raise RuntimeError(f"result type {result.dtype.torch_name} can't be cast to the "
                           f"desired output type {x.dtype.torch_name}")
    return result if result.dtype is x.dtype else result.to(x.dtype)


def _check_broadcast(value: Tensor, target: tuple[int, ...]) -> None:
    try:
        if broadcast_shapes(tuple(value.shape), tuple(target)) == tuple(target):
            return
    except RuntimeError:
        pass
    raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot be "
                       f"broadcast to indexing result of shape {list(target)}")


def ones(t: Tensor) -> Tensor:
    """True everywhere, t's shape, on t's device."""
    xp = t.backend.xp
    return make_tensor(xp.ones(tuple(t.shape), dtype=xp.bool), t.device)


def _before(base: Tensor) -> Tensor:
    """The base's memory (until a node needs its old values kept) standing at the base's old
    place in the graph."""
    before = make_tensor(base._data, base.device)
    before.grad_fn, before._requires_grad = base.grad_fn, base._requires_grad
    return before


def _put_back(fn: type, params: dict, base: Tensor, new: Tensor) -> Tensor:
    """``base`` with the view that ``fn`` made of it replaced by ``new``."""
    if fn is Index:
        return IndexPut.apply(base, new, key=params["key"])
    if fn is Reshape:
        return new.reshape(base.shape)
    if fn is Permute:
        return new.permute(*sorted(range(new.ndim), key=params["dims"].__getitem__))
    raise RuntimeError(f"in-place operations on views made by {fn.__name__} are not supported")


def _write(t: Tensor, values: Tensor) -> None:
    """Copy the values into t's memory and count the change."""
    t._data[...] = values._data
    t._version_counter[0] += 1


def _take_place(t: Tensor, new: Tensor) -> None:
    """t becomes the output of the node that made ``new`` (it holds the same values now); the
    hooks registered on t so far stay with its old value's node, as torch's."""
    if t._hooks and t.grad_fn is not None:
        t.grad_fn.hooks, t._hooks = t._hooks, None
    node = new.grad_fn
    t.grad_fn, t._requires_grad = node, new._requires_grad
    if node is not None:
        node._output = weakref.ref(t)
        node.output_version = t._version_counter[0]
