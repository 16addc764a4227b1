"""The exercises, in the lecture's order: what each asks, where it goes in the engine, how it
is graded (minigrad/exercises/graders.py)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Exercise:
    """One exercise: the library function a student writes, how it is installed and graded."""

    name: str
    title: str
    minutes: int  # about how long a student takes
    lecture: str  # where it is taught: the README's reading route, or lectures/README.md
    target: Callable[[], Any]  # the library's function or method (its source is the answer)
    # (module or module:Class, attribute) it is installed at; where the library imported it
    # by name elsewhere (nn.functional's conv2d), it is replaced there too
    places: list[tuple[str, str]]
    header: str  # the imports the file needs
    hint: str
    grade: Callable[[Any], None] = field(repr=False, default=lambda f: None)
    needs: tuple[str, ...] = ()  # exercises whose pieces this one runs with

    @property
    def filename(self) -> str:
        return f"{EXERCISES.index(self) + 1:02d}_{self.name}.py"

    @property
    def function_name(self) -> str:
        return inspect.unwrap(self.target()).__name__




def _grader(name: str) -> Any:
    def grade(fn: Any) -> None:
        from minigrad.exercises import graders  # (needs hypothesis: imported when grading)
        getattr(graders, name)(fn)
    return grade


def _target(path: str) -> Any:
    """``"minigrad.ops.elementwise:Sigmoid.backward"`` -> a callable that finds it."""
    def find() -> Any:
        import importlib
        module, _, attrs = path.partition(":")
        obj: Any = importlib.import_module(module)
        for a in attrs.split("."):
            obj = obj.__dict__[a] if isinstance(obj, type) else getattr(obj, a)
        return obj
    return find


EXERCISES: list[Exercise] = [
    Exercise(
        "sigmoid", "an elementwise op's backward: Sigmoid", 15,
        "Reading minigrad, step 2: the smallest ops",
        _target("minigrad.ops.elementwise:Sigmoid.backward"),
        [("minigrad.ops.elementwise:Sigmoid", "backward")],
        "from minigrad.tensor import Tensor",
        "forward kept its output y = 1 / (1 + exp(-x)) (self.output); dy/dx = y (1 - y), and "
        "the chain rule multiplies by the output's gradient g.",
        _grader("sigmoid")),
    Exercise(
        "sum_to", "broadcasting undone: sum_to", 20,
        "Reading minigrad, step 1: sum_to",
        _target("minigrad.autograd:sum_to"), [("minigrad.autograd", "sum_to")],
        "from minigrad.tensor import Tensor",
        "a dim that broadcasting added in front, and a dim of size 1 that it stretched, each "
        "received a copy of the operand: sum the gradient over them (keepdim where the operand "
        "has the dim), then reshape to `shape`.",
        _grader("sum_to")),
    Exercise(
        "topological_order", "the backward walk's order", 45,
        "Reading minigrad, step 1: run_backward",
        _target("minigrad.autograd:topological_order"),
        [("minigrad.autograd", "topological_order")],
        "from collections.abc import Sequence\nfrom typing import Any\n\n"
        "from minigrad.autograd import Function",
        "collect the nodes reachable through `node.next` (a Function, a leaf tensor, or None) "
        "with a stack; `node.seq` numbers nodes in the order they were made, so newest first "
        "puts every node after all the nodes that use its output. Put each leaf right after "
        "the last (oldest) node that uses it.",
        _grader("topological_order")),
    Exercise(
        "matmul", "matmul's backward", 30,
        "Reading minigrad, step 1: Function",
        _target("minigrad.ops.matmul:MatMul.backward"),
        [("minigrad.ops.matmul:MatMul", "backward")],
        "from minigrad.ops.matmul import MatMul, transposed\nfrom minigrad.ops.movement import "
        "Reshape\nfrom minigrad.tensor import Tensor",
        "d(AB) = dA B + A dB, so dA = G B^T and dB = A^T G (use `transposed`). Start with 2-D "
        "operands; then a 1-D a is a row (1, k) and a 1-D b a column (k, 1): reshape, multiply, "
        "reshape back. Batch dims broadcast: the engine sums them back for you.",
        _grader("matmul")),
    Exercise(
        "im2col", "unfold: sliding windows as columns (im2col)", 45,
        "lecture 4: slide one pixel at a time",
        _target("minigrad.ops.unfold:im2col"), [("minigrad.ops.unfold", "im2col")],
        "from typing import Any\n\nfrom minigrad.ops.unfold import Pair, Window, "
        "offset_slices, output_size",
        "pad the image with zeros, then for each kernel offset (i, j) the pixels it reads in "
        "every window form one strided slice of the padded image (`offset_slices`): kh*kw "
        "slices fill an (N, C, kh, kw, oh, ow) array; reshape it to (N, C*kh*kw, oh*ow).",
        _grader("im2col")),
    Exercise(
        "col2im", "fold, unfold's adjoint (col2im)", 30,
        "lecture 4: slide one pixel at a time",
        _target("minigrad.ops.unfold:col2im"), [("minigrad.ops.unfold", "col2im")],
        "from typing import Any\n\nfrom minigrad.ops.unfold import Pair, Window, "
        "offset_slices, output_size",
        "the same slices as im2col, each added (not assigned: windows overlap) onto a zero "
        "padded image; cut the padding off at the end.",
        _grader("col2im")),
    Exercise(
        "conv2d", "convolution as unfold and one matrix product", 30,
        "lecture 2: a convolution is a local linear regression",
        _target("minigrad.nn.functional.convolution:conv2d"),
        [("minigrad.nn.functional.convolution", "conv2d")],
        "import minigrad.nn.functional.checks as checks\nfrom minigrad.ops import Unfold, pad"
        "\nfrom minigrad.ops.unfold import output_size\nfrom minigrad.tensor import Tensor\n"
        "\nIntOrPair = int | tuple[int, int]",
        "unfold the input to (N, C*kh*kw, L); the kernel reshaped to (C_out, C*kh*kw) times the "
        "columns is the output, (N, C_out, L): reshape to (N, C_out, oh, ow) and add the bias "
        "per channel. groups=1 is enough for the grader.",
        _grader("conv2d"), needs=("im2col", "col2im")),
    Exercise(
        "max_pool2d", "max pooling, padded with -inf", 30,
        "lecture 8: pooling",
        _target("minigrad.nn.functional.pooling:max_pool2d"),
        [("minigrad.nn.functional.pooling", "max_pool2d")],
        "from typing import Any\n\nimport minigrad.nn.functional.checks as checks\n"
        "from minigrad.factory import arange\nfrom minigrad.nn.functional.pooling import "
        "ceil_rows\nfrom minigrad.ops import Unfold, pad\nfrom minigrad.ops.unfold import "
        "output_size\nfrom minigrad.tensor import Tensor\n\nIntOrPair = int | tuple[int, int]",
        "pad with the lowest value (-inf for floats: padding must never win a window, and "
        "zeros would beat negative inputs), unfold, and take the max over each window. "
        "return_indices is not graded.",
        _grader("max_pool2d"), needs=("im2col", "col2im")),
    Exercise(
        "avg_pool2d", "average pooling with PyTorch's divisor", 40,
        "lecture 8: pooling",
        _target("minigrad.nn.functional.pooling:avg_pool2d"),
        [("minigrad.nn.functional.pooling", "avg_pool2d")],
        "import minigrad.nn.functional.checks as checks\nfrom minigrad.nn.functional.pooling "
        "import _like_input, _window_sizes, ceil_rows\nfrom minigrad.ops import Unfold, pad\n"
        "from minigrad.ops.unfold import output_size\nfrom minigrad.tensor import Tensor\n\n"
        "IntOrPair = int | tuple[int, int]",
        "sum each window of the zero-padded input (unfold, then sum), then divide by the "
        "window's size: PyTorch counts the padding in it (count_include_pad=True) or only the "
        "input's pixels; in ceil mode the last window may reach past the padding, and that part "
        "never counts.",
        _grader("avg_pool2d"), needs=("im2col", "col2im")),
    Exercise(
        "batch_norm", "batch normalization, training and evaluation", 40,
        "lecture 11: normalization inside the network",
        _target("minigrad.nn.functional.normalization:batch_norm"),
        [("minigrad.nn.functional.normalization", "batch_norm")],
        "from minigrad.nn.functional.normalization import batch_norm_arguments\nfrom "
        "minigrad.runtime.grad_mode import no_grad\nfrom minigrad.tensor import Tensor",
        "per channel (dim 1): in training the batch's mean and biased variance over every "
        "other dim normalize x, and the running estimates move by `momentum` toward the mean "
        "and the unbiased variance (in place, under no_grad); in evaluation the running "
        "estimates normalize. Then times weight, plus bias.",
        _grader("batch_norm")),
    Exercise(
        "sgd", "SGD with momentum, as PyTorch's", 20,
        "lecture 10: LeNet learns",
        _target("minigrad.optim:SGD._update"), [("minigrad.optim:SGD", "_update")],
        "from typing import Any\n\nfrom minigrad.tensor import Tensor",
        "g = grad (negated to maximize) + weight_decay * p; with momentum the buffer starts as "
        "g and then is momentum * buf + (1 - dampening) * g; Nesterov steps with g + momentum "
        "* buf, else with buf; p moves by -lr times that, in place (p.sub_).",
        _grader("sgd")),
    Exercise(
        "lenet", "train LeNet with your own pieces", 30,
        "lecture 10: LeNet learns",
        _target("minigrad.exercises.lenet:train"), [("minigrad.exercises.lenet", "train")],
        "from minigrad import data, nn, no_grad, optim",
        "the loop of the lecture: for each batch zero the gradients, forward, the loss, "
        "backward, step; after each epoch the test accuracy in eval mode under no_grad. Your "
        "sigmoid, sum_to, topological order, matmul, im2col, col2im, conv2d and avg_pool2d run "
        "inside.",
        _grader("lenet"),
        needs=("sigmoid", "sum_to", "topological_order", "matmul", "im2col", "col2im",
               "conv2d", "avg_pool2d")),
]
