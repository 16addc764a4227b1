"""``torch.autograd.functional``: the Jacobian of a function and vector-Jacobian products,
from ``autograd.grad`` (one backward per output element: fine for the small functions a
course differentiates this way)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minigrad import autograd
from minigrad.factory import zeros
from minigrad.ops import stack
from minigrad.tensor import Tensor

__all__ = ["jacobian", "vjp"]


def _as_tuple(x: Any, what: str) -> tuple[tuple[Tensor, ...], bool]:
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"The {what} given to jacobian must be either a Tensor or a tuple "
                            f"of Tensors but the value at index {i} has type {type(t).__name__}.")
    return items, is_tuple


def _prepared(inputs: Any, create_graph: bool) -> tuple[tuple[Tensor, ...], bool]:
    items, is_tuple = _as_tuple(inputs, "inputs")
    return tuple(t if create_graph and t.requires_grad else t.detach().requires_grad_()
                 for t in items), is_tuple


def jacobian(func: Callable[..., Any], inputs: Tensor | tuple[Tensor, ...],
             create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode") -> Any:
    """d func(inputs) / d inputs: for each output and input a tensor of shape
    ``output.shape + input.shape`` (tuples where func or inputs are tuples, as torch's)."""
    if strategy != "reverse-mode":
        raise ValueError("minigrad computes Jacobians in reverse mode only "
                         f"(strategy={strategy!r})")
    ins, ins_tuple = _prepared(inputs, create_graph)
    with autograd.enable_grad():
        outs, outs_tuple = _as_tuple(func(*ins), "outputs of the user-provided function")
        result: list[tuple[Tensor, ...]] = []
        for out in outs:
            flat = out.reshape(-1)
            rows: list[list[Tensor]] = [[] for _ in ins]
            for k in range(flat.shape[0]):
                grads = autograd.grad(flat[k], ins, retain_graph=True,
                                      create_graph=create_graph, allow_unused=True) \
                    if flat.requires_grad else (None,) * len(ins)
                for j, (x, g) in enumerate(zip(ins, grads)):
                    if g is None and strict:
                        raise RuntimeError(f"Output {len(result)} of the user-provided function "
                                           f"is independent of input {j}. This is not allowed "
                                           "in strict mode.")
                    rows[j].append(zeros(*x.shape, dtype=x.dtype) if g is None else g)
            result.append(tuple(
                (stack(r) if r else zeros(0, *x.shape, dtype=x.dtype)).reshape(
                    *out.shape, *x.shape) for r, x in zip(rows, ins)))
    per_out = [r if ins_tuple else r[0] for r in result]
    jac = tuple(per_out) if outs_tuple else per_out[0]
    return jac if create_graph else _detached(jac)


def _detached(x: Any) -> Any:
    return tuple(_detached(v) for v in x) if isinstance(x, tuple) else x.detach()


def vjp(func: Callable[..., Any], inputs: Tensor | tuple[Tensor, ...], v: Any = None,
        create_graph: bool = False, strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), v^T J)``: the outputs and the vector-Jacobian product."""
    ins, ins_tuple = _prepared(inputs, create_graph)
    with autograd.enable_grad():
        outs, outs_tuple = _as_tuple(func(*ins), "outputs of the user-provided function")
        if v is None:
            if len(outs) != 1 or outs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the user-provided function "
                                   "returns a single Tensor with a single element.")
            vs: tuple[Any, ...] = (None,)
        else:
            vs, _ = _as_tuple(v, "v")
        grads = autograd.grad(outs, ins, vs, retain_graph=create_graph,
                              create_graph=create_graph, allow_unused=True)
    grads = tuple(zeros(*x.shape, dtype=x.dtype) if g is None else g
                  for x, g in zip(ins, grads))
    outputs = tuple(o.detach() for o in outs) if not create_graph else outs
    return (outputs if outs_tuple else outputs[0],
            _detached(grads if ins_tuple else grads[0]) if not create_graph else
            (grads if ins_tuple else grads[0]))
