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

import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from minigrad.autograd import Function, is_tensor, make_tensor, recorded
from minigrad.backends.layout import significant_strides
from minigrad.ops.movement import (
    Expand,
    Index,
    IndexAdd,
    IndexPut,
    Permute,
    Reshape,
    expand,
    index_positions,
    parse_key,
    permute,
)
from minigrad.ops.promotion import as_number, as_tensor_like, broadcast_shapes
from minigrad.runtime import dtypes, grad_mode
from minigrad.runtime.grad_mode import is_grad_enabled, no_grad

if TYPE_CHECKING:
    from minigrad.tensor import Tensor, View


def apply_inplace(x: Tensor, compute: Callable[[Tensor], Tensor], others: Sequence[Any] = (),
                  overlap: str = "partial") -> Tensor:
    """Write ``compute(x)`` into x's memory and return x; ``others`` are the other tensors
    the result depends on (whether any of them requires grad decides if a graph is kept).
    ``overlap``: which memory overlap between x and a tensor in ``others`` is refused,
    ``"partial"`` (an elementwise op, copy_: reading what it writes, element by element, is
    fine), ``"any"`` (index_put_) or ``"none"`` (fill_: one value written everywhere, even
    to elements that share memory)."""
    base = x if x._base is None else x._base
    recording = is_grad_enabled() and (
        base._requires_grad or x._requires_grad
        or any(is_tensor(o) and o.requires_grad for o in others))
    if recording:
        _check_allowed(x, base)
    if overlap != "none":
        _check_memory(x, others, overlap)
    if not recording:
        with no_grad():
            _write(x, _checked(x, compute(x)))
        return x
    steps = () if x._view is None else x._view.steps
    before = _before(base)  # the base's memory, standing at the base's old place in the graph
    views = [before]  # x as it was, replayed on it: base -> ... -> x
    for fn, params in steps:
        views.append(fn.apply(views[-1], **params))
    views[-1]._data = x._data  # (the same memory, unless x.data was set to another since)
    outer, made = grad_mode.modes.watch, cast("list[Function]", [])  # nodes the computation makes
    grad_mode.set_mode("watch", made)
    try:
        new = _checked(x, compute(views[-1]))
        if not any(new.grad_fn is node for node in made):  # a value without a gradient, or
            new = Overwrite.apply(views[-1], new)  # another tensor itself: x's is replaced
    finally:
        grad_mode.set_mode("watch", outer)
        if outer is not None:
            outer.extend(made)
    for t in views:  # keep a copy of the values about to be overwritten, if a node reads them
        if any(s is t and i in node.reads() for node in made for i, s in enumerate(node.inputs)):
            t._data = t.backend.xp.asarray(t._data, copy=True)
    new_view = new
    if steps:
        new = _put_back(steps, views, new)  # the view's new values written into its base
    _write(x, new_view)  # (x's memory is part of the base's: the rest stays as it was)
    _take_place(base, new)
    if x is not base:
        renew_view(x)
    return x


def copy_(x: Tensor, src: Tensor) -> Tensor:
    """``x.copy_(src)``: src's values (broadcast, cast and moved to x's) written into x."""
    value = src.to(x.device, x.dtype)
    _check_broadcast(value, tuple(x.shape), "copy_")
    b, shape = x.backend, x.shape
    same = (is_tensor(src) and src._device == x._device and src.dtype is x.dtype  # the same
            and src.shape == shape and b.address(src._data) == b.address(x._data) is not None
            and significant_strides(shape, cast(tuple, b.strides(src._data)))  # memory: torch
            == significant_strides(shape, cast(tuple, b.strides(x._data))))  # copies nothing
    return apply_inplace(x, lambda t: Overwrite.apply(t, expand(value, t.shape)), (src,),
                         overlap="none" if same else "partial")


def fill_(x: Tensor, value: Any) -> Tensor:
    """``x.fill_(value)``: every element set to a number or a 0-d tensor's value."""
    if is_tensor(value):
        if value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions.")
        v = value.to(x.device, x.dtype)
    else:
        v = as_tensor_like(as_number(value, "fill_", "value"), x)
    return apply_inplace(x, lambda t: Overwrite.apply(t, expand(v, t.shape)), (value,),
                         overlap="none")


def setitem(x: Tensor, key: Any, value: Any) -> None:
    """``x[key] = value``: the value (a number or a tensor, cast to x's dtype) broadcast to
    ``x[key]``'s shape and written there, in place. Differentiable: x's untouched elements
    keep their gradient, the written ones send it to the value.

    As torch: with a basic key (ints, slices, ...) it is ``x[key].copy_(value)``, a write into
    a view; with integer or mask indices it is ``x.index_put_(indices, value)``."""
    key = parse_key(x, key)
    if not is_tensor(value) and not isinstance(value, (bool, int, float, np.generic)):
        raise TypeError(f"can't assign a {type(value).__name__} to a {x.type()} (got "
                        f"{value!r}; assign a number or a tensor)")
    v = value.to(x.device, x.dtype) if is_tensor(value) else as_tensor_like(value, x)
    if not any(hasattr(k, "shape") for k in key):  # basic: write into the view x[key]
        target = Index.apply(x, key=key)
        v = _leading_ones_dropped(v, tuple(target.shape))
        _check_broadcast(v, tuple(target.shape))
        copy_(target, v if v.shape == target.shape else v.expand(target.shape))  # (as torch)
        return
    if is_grad_enabled() and (x.requires_grad or v.requires_grad):
        _check_allowed(x, x if x._base is None else x._base)
    # a 0-d value is a fill (torch does no overlap check then)
    others = (value,) if is_tensor(value) and value.ndim else ()
    _check_memory(x, others, "any", internal="warn")  # (before the indices' bounds, as torch)
    positions = index_positions(x, key)  # x[key]'s elements' places in x
    target = tuple(positions.shape)  # type: ignore[assignment]  # (a Tensor above, a shape here)
    v = _leading_ones_dropped(v, target)
    _check_broadcast(v, target)
    flat = positions.reshape(-1)._data

    def compute(t: Tensor) -> Tensor:
        return IndexPut.apply(t.reshape(-1), v.expand(target).reshape(-1),
                              key=(flat,)).reshape(t.shape)
    apply_inplace(x, compute, (*others, v), overlap="none")  # (checked above)


def _leading_ones_dropped(v: Tensor, target: tuple[int, ...]) -> Tensor:
    """Leading dims of size 1 go, as torch (preds[i] = net(x[i:i + 1]))."""
    while v.ndim and v.shape[0] == 1 and v.ndim > len(target):
        v = v.squeeze(0)
    return v


def renew_view(view: Tensor) -> None:
    """A view's history, made again from its base as the base is now (its base, or another
    view of it, changed in place since), as torch does whenever a view's grad_fn is asked
    for: nothing to do where neither has a history; refused for a view made under no_grad."""
    info = cast("View", view._view)  # (a view's)
    if view.grad_fn is None and not info.base.requires_grad:
        return  # (still stale: renewed once the base requires grad, as torch)
    if not info.in_grad_mode:
        raise RuntimeError(
            "A view was created in no_grad mode and its base or another view of its base has "
            "been modified inplace with grad mode enabled. Given that this use case is "
            "ambiguous and error-prone, it is forbidden. You can clarify your code by moving "
            "both the view and the inplace either both inside the no_grad block (if you don't "
            "want the inplace to be tracked) or both outside (if you want the inplace to be "
            "tracked).")
    view._view = info = info._replace(version=view._version_counter[0])
    _take_place(view, AsStrided.renew(info.base, info.steps))


def _positions(base: Tensor, steps: tuple) -> Any:
    """The flat positions in ``base`` of the elements of the view ``steps`` make of it."""
    xp = base.backend.xp
    positions = make_tensor(xp.reshape(xp.arange(base.numel()), tuple(base.shape)), base.device)
    with no_grad():
        for fn, params in steps:
            positions = fn.apply(positions, **params)
    return positions._data


class AsStrided(Function):
    """A view made again from its base after the base (or another view of it) changed in
    place: one node from the base to the view's elements, at their flat positions (torch's
    AsStridedBackward0). Its gradient goes to the base, if the base requires grad."""

    @classmethod
    def renew(cls, base: Tensor, steps: tuple) -> Tensor:
        """The view ``steps`` make of ``base`` (sharing its memory), as this node's output."""
        with no_grad():
            view = base.detach()
            for fn, params in steps:
                view = fn.apply(view, **params)
        out = make_tensor(view._data, base.device)
        fn = cls()
        fn.backend, fn.xp = base.backend, base.backend.xp
        fn.positions = base.backend.xp.reshape(_positions(base, steps), (-1,))  # type: ignore[attr-defined]  # its own
        fn.inputs, fn.versions = (base,), [base._version_counter[0]]
        fn.next = [(base.grad_fn or base) if base.requires_grad else None]
        fn.needs_input_grad, fn.seq = [fn.next[0] is not None], next(recorded)
        fn._output, fn.output_counter = weakref.ref(out), out._version_counter
        out.grad_fn, out._requires_grad = fn, True
        return out

    # each element of the view came from one place in the base: add the gradient back there
    def backward(self, g: Tensor) -> Tensor:
        base = self.inputs[0]
        flat = IndexAdd.apply(g.reshape(-1), shape=(base.numel(),), key=(self.positions,))
        return flat.reshape(base.shape)

    def kept_anything(self) -> bool:
        """The view's positions only (torch's geometry, not a saved tensor)."""
        return False

    def name(self) -> str:
        """torch's name for this node."""
        return "AsStridedBackward0"


class Overwrite(Function):
    """x's values replaced by ``new`` (broadcast): ``copy_``, ``fill_``, ``zero_`` and item
    assignment in the graph (torch's CopyBackwards, FillBackward)."""

    layout = "first"

    def forward(self, x: Any, new: Any) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        return self.xp.asarray(self.xp.broadcast_to(new, x.shape), copy=True)

    # the old values are gone: they get gradient 0; the new ones get all of it
    def backward(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        return (g * 0 if self.needs_input_grad[0] else None,
                g if self.needs_input_grad[1] else None)


class CopySlices(IndexPut):
    """A base with a view of it replaced, written at the view's flat positions (torch's
    CopySlices: it lets go of the view's op after a backward, so a second one fails)."""

    def kept_anything(self) -> bool:
        """Always, as torch's (whatever the view's op kept)."""
        return True

    def name(self) -> str:
        """torch's name for this node."""
        return "CopySlices"


# ---- the pieces ----------------------------------------------------------------------------
def _check_memory(x: Tensor, others: Sequence[Any], overlap: str, internal: str = "raise"
                  ) -> None:
    """torch's refusals of writes whose memory overlaps: a target whose elements share
    memory (an expanded view; only a warning for ``x[index] = v``), and an input that
    overlaps the target (partly, or at all for ``overlap="any"``)."""
    backend = x.backend
    shared = backend.internal_overlap(x._data)
    if shared and internal == "warn":
        warnings.warn("Use of index_put_ on expanded tensors is deprecated. Please clone() the "
                      "tensor before performing this operation. This also applies to advanced "
                      "indexing e.g. tensor[indices] = tensor", UserWarning, stacklevel=4)
    elif shared:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location. Please clone() the tensor before performing the "
            f"operation. (writing into shape {list(x.shape)} with strides "
            f"{backend.strides(x._data)})")
    for o in others:
        if is_tensor(o) and (o._device is x._device or o._device == x._device):
            found = backend.overlap(x._data, o._data)
            if found == "partial" or (found and overlap == "any"):
                raise RuntimeError(
                    "unsupported operation: some elements of the input tensor and the "
                    "written-to tensor refer to a single memory location, which could cause "
                    "unexpected behavior. Please clone() the input tensor before performing "
                    f"the operation. (writing into shape {list(x.shape)}, reading shape "
                    f"{list(o.shape)} from the same memory)")


def _check_allowed(x: Tensor, base: Tensor) -> None:
    """PyTorch's refusals of an in-place op recorded for autograd, in its order: a view made
    under no_grad, a view of a leaf (when the view requires grad), a leaf that requires
    grad."""
    if x is not base:
        if not cast("View", x._view).in_grad_mode:  # (x is a view of base)
            raise RuntimeError(
                "A view was created in no_grad mode and is being modified inplace with grad "
                "mode enabled. Given that this use case is ambiguous and error-prone, it is "
                "forbidden. You can clarify your code by moving both the view and the inplace "
                "either both inside the no_grad block (if you don't want the inplace to be "
                "tracked) or both outside (if you want the inplace to be tracked).")
        if x.requires_grad and base.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
    if x._requires_grad and x.grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation.")


def _checked(x: Tensor, result: Tensor) -> Tensor:
    """The result of an in-place op must fit x: its shape, and a dtype x can hold."""
    if tuple(result.shape) != tuple(x.shape):
        raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast "
                           f"shape {list(result.shape)}")
    if result.dtype is not x.dtype and dtypes.category(result.dtype) > dtypes.category(x.dtype):
        raise RuntimeError(f"result type {result.dtype.torch_name} can't be cast to the "
                           f"desired output type {x.dtype.torch_name}")
    return result if result.dtype is x.dtype else result.to(x.dtype)


def _check_broadcast(value: Tensor, target: tuple[int, ...], op: str = "") -> None:
    try:
        if broadcast_shapes(tuple(value.shape), tuple(target)) == tuple(target):
            return
    except RuntimeError:
        pass
    if op:
        raise RuntimeError(f"output with shape {list(target)} doesn't match the broadcast shape "
                           f"{list(value.shape)} (in {op})")
    raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot be "
                       f"broadcast to indexing result of shape {list(target)}")


def _before(base: Tensor) -> Tensor:
    """The base's memory (until a node needs its old values kept) standing at the base's old
    place in the graph."""
    before = make_tensor(base._data, base.device)
    before.grad_fn, before._requires_grad = base.grad_fn, base._requires_grad
    return before


def _put_back(steps: tuple, views: list[Tensor], new: Tensor) -> Tensor:
    """The base with the view that ``steps`` made of it (``views[-1]``) replaced by ``new``:
    step by step back for indexing, reshapes and permutations; for a chain with an
    expansion, at the view's flat positions in the base (an expanded element is one memory
    location: what was written to it is its value)."""
    if any(fn is Expand for fn, _ in steps):
        base = views[0]
        positions = base.backend.xp.reshape(_positions(base, steps), (-1,))
        flat = CopySlices.apply(base.reshape(-1), new.reshape(-1), key=(positions,))
        return flat.reshape(base.shape)
    for (fn, params), old in zip(reversed(steps), reversed(views[:-1])):
        if fn is Index:
            new = CopySlices.apply(old, new, key=params["key"])
        elif fn is Reshape:
            new = new.reshape(old.shape)
        elif fn is Permute:
            new = permute(new, sorted(range(new.ndim), key=params["dims"].__getitem__))
        else:
            raise RuntimeError(f"in-place operations on views made by {fn.__name__} are not "
                               "supported")
    return new


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
