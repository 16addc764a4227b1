"""The graph as torch's API shows it: ``grad_fn.next_functions`` (pairs of a node and the
index of its output), a leaf as an ``AccumulateGrad`` node holding ``.variable``, and
``grad_fn.metadata``. What tools that walk a graph (torchviz, the neural-networks tutorial)
read; the engine itself walks ``Function.next`` (autograd.py)."""

from __future__ import annotations

from typing import Any

from minigrad import autograd

__all__ = ["AccumulateGrad", "node_attribute", "node_name"]


class AccumulateGrad:
    """The node torch puts where a gradient reaches a leaf: ``.variable`` is the leaf, whose
    ``.grad`` it adds into (autograd.accumulate does the adding)."""

    next_functions: tuple = ()

    def __init__(self, variable: Any) -> None:
        self.variable = variable
        self.metadata: dict = {}

    def name(self) -> str:
        """torch's name for this node."""
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


def _accumulator(leaf: Any) -> AccumulateGrad:
    """The leaf's one AccumulateGrad node (the same object each time it is asked for)."""
    node = leaf.__dict__.get("_grad_accumulator")
    if node is None:
        node = leaf.__dict__["_grad_accumulator"] = AccumulateGrad(leaf)
    return node


def node_attribute(node: autograd.Function, name: str) -> Any:
    """``next_functions`` and ``metadata`` of a recorded node (Function.__getattr__ asks)."""
    if name == "next_functions":
        return tuple((None if e is None else e if isinstance(e, autograd.Function)
                      else _accumulator(e), 0) for e in node.__dict__.get("next", ()))
    if name == "metadata":  # a dict of the user's, kept as long as the node
        return node.__dict__.setdefault("metadata", {})
    raise AttributeError(f"'{type(node).__name__}' object has no attribute '{name}'")


def _whole(node: Any) -> bool:
    """Whether a reduction node reduced every dim without keepdim (torch's x.sum())."""
    return not node.keepdim and len(node.axes) == node.inputs[0].ndim


# Where torch names the same operation by its inputs or arguments (one minigrad Function,
# several torch nodes): matmul by the operands' dims, a reduction by whether it took a dim.
_MATMUL = {(1, 1): "Dot", (2, 1): "Mv", (2, 2): "Mm"}
TORCH_NAMES = {
    "MatMul": lambda n: _MATMUL.get((n.inputs[0].ndim, n.inputs[1].ndim), "MatMul"),
    "PowScalar": lambda n: "Pow",  # pow(Tensor, Scalar) is torch's PowBackward0
    "Sum": lambda n: "Sum" if _whole(n) else "Sum|1",
    "Mean": lambda n: "Mean" if _whole(n) else "Mean|1",
    "Max": lambda n: "Max|1" if _whole(n) else "Amax",
    "Min": lambda n: "Min|1" if _whole(n) else "Amin",
    "MaxAlong": lambda n: "Max", "MinAlong": lambda n: "Min",
    "Reshape": lambda n: "View" if n.__dict__.get("view_of_input") else "UnsafeView",
}


def node_name(node: autograd.Function) -> str:
    """The name torch prints for ``node``: ``MulBackward0`` from its class, or torch's name
    for the same operation where torch's differs (``MmBackward0`` for a matrix product)."""
    rename = TORCH_NAMES.get(type(node).__name__)
    base, _, version = (rename(node) if rename else type(node).__name__).partition("|")
    return f"{base}Backward{version or 0}"
