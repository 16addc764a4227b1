"""mg.trace(): every op the engine runs, forward and backward, with its derivative."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import grad_mode, ops
from minigrad.autograd import Function
from minigrad.tools.tracing import formula


def leaves() -> tuple[mg.Tensor, mg.Tensor]:
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = mg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    return x, w


def test_a_known_expression_forward_and_backward() -> None:
    x, w = leaves()
    with mg.trace() as t:
        (x * w).sum().backward()
    assert t.names("forward") == ["Mul", "Sum"]
    assert t.names("backward", kind="node") == ["SumBackward0", "MulBackward0"]
    # each node's formula runs ops of its own, listed after it and marked with its name
    by_node = [(r.node, r.name) for r in t.ops if r.phase == "backward" and r.kind == "op"]
    assert by_node.count(("MulBackward0", "Mul")) == 2  # g * w and g * x
    assert {name for node, name in by_node if node == "SumBackward0"} <= {"Expand", "Reshape"}
    assert x.grad is not None and not np.shares_memory(x.grad.numpy(), w.detach().numpy())
    rows = [(r.kind, r.name) for r in t.ops]
    assert rows.index(("node", "MulBackward0")) < rows.index(("op", "Mul"), 2)
    mul = t.ops[0]
    assert (mul.phase, mul.kind, mul.inputs, mul.outputs) == ("forward", "op", ((3,), (3,)),
                                                              ((3,),))
    assert (mul.dtype, mul.device, mul.fast, mul.path) == ("float32", "cpu", False, "textbook")
    assert mul.graph and mul.node is None and mul.seconds >= 0
    assert mul.ran == "minigrad.ops.elementwise.Mul"
    node = t.ops[[r.name for r in t.ops].index("MulBackward0")]
    assert node.inputs == ((3,),) and node.outputs == ((3,), (3,))
    inner = [r for r in t.ops if r.node == "MulBackward0" and r.kind == "op"]
    assert not any(r.graph for r in inner)  # backward's ops record no graph (no create_graph)


def test_backward_ops_record_a_graph_with_create_graph() -> None:
    x, _ = leaves()
    with mg.trace() as t:
        (x * x).sum().backward(create_graph=True)
    assert any(r.graph for r in t.ops if r.node == "MulBackward0" and r.kind == "op")


def test_formulas_come_from_the_comment_above_backward() -> None:
    assert formula(ops.Sigmoid) == "d sigmoid(x) = y (1 - y) dx"
    assert formula(ops.Mul) == "d(a b) = b da + a db"
    x, w = leaves()
    with mg.trace() as t:
        (x * w).sigmoid().sum().backward()
    by_name = {r.name: r.formula for r in t.ops}
    assert by_name["Mul"] == "d(a b) = b da + a db"
    assert "y (1 - y)" in by_name["Sigmoid"] and "y (1 - y)" in by_name["SigmoidBackward0"]


class Twice(Function):
    """2x, with its derivative written as a class attribute."""

    formula = "d(2x) = 2 dx"

    def forward(self, x: Any) -> Any:
        return 2 * x

    def backward(self, g: mg.Tensor) -> mg.Tensor:
        return 2 * g


class Cube(Function):
    """x^3, with the derivative in a comment over two lines."""

    def forward(self, x: Any) -> Any:
        return x ** 3

    # d(x^3) = 3 x^2 dx
    # (a second line of the comment)
    def backward(self, g: mg.Tensor) -> mg.Tensor:
        return 3 * g * self.inputs[0] ** 2


class Quiet(Function):
    """No comment above backward."""

    def forward(self, x: Any) -> Any:
        return x

    def backward(self, g: mg.Tensor) -> mg.Tensor:
        return g


def test_formula_attribute_multi_line_comment_and_none() -> None:
    assert formula(Twice) == "d(2x) = 2 dx"
    assert formula(Cube) == "d(x^3) = 3 x^2 dx (a second line of the comment)"
    assert formula(Quiet) == ""
    assert formula(Function) == ""
    x, _ = leaves()
    with mg.trace() as t:
        Cube.apply(Twice.apply(x)).sum().backward()
    assert t.names("forward") == ["Twice", "Cube", "Sum"]
    assert t.names("backward", kind="node") == ["SumBackward0", "CubeBackward0",
                                                "TwiceBackward0"]


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "textbook"])
def test_fast_or_textbook_path_of_conv2d(fast: bool) -> None:
    mg.manual_seed(0)
    x = mg.randn(2, 1, 6, 6, requires_grad=True)
    w = mg.randn(3, 1, 3, 3, requires_grad=True)
    with mg.backends.fast_paths(fast), mg.trace() as t:
        F.conv2d(x, w, padding=1).sum().backward()
    unfold = next(r for r in t.ops if r.name == "Unfold")
    assert unfold.fast is fast and unfold.path == ("fast" if fast else "textbook")
    assert unfold.ran == ("minigrad.fast.numpy_backend.Unfold" if fast
                          else "minigrad.ops.unfold.Unfold")
    assert unfold.inputs == ((2, 1, 6, 6),) and unfold.outputs == ((2, 9, 36),)
    if not fast:
        assert not any(r.fast for r in t.ops)
    node = next(r for r in t.ops if r.name == "UnfoldBackward0")
    assert node.fast is fast


def test_nested_traces_each_see_what_runs_inside_them() -> None:
    x, w = leaves()
    with mg.trace() as outer:
        y = x * w
        with mg.trace() as inner:
            z = y.exp()
        assert grad_mode.modes.trace is outer
        z.sum()
    assert grad_mode.modes.trace is None
    assert outer.names() == ["Mul", "Exp", "Sum"]
    assert inner.names() == ["Exp"]
    assert inner.ops[0] is outer.ops[1]
    with outer:  # entered again: it goes on recording
        x.cos()
        with pytest.raises(RuntimeError, match="already on"), outer:
            pass
    assert outer.names()[-1] == "Cos" and grad_mode.modes.trace is None


def test_nothing_is_recorded_outside_and_an_error_closes_the_trace() -> None:
    x, w = leaves()
    with mg.trace() as t:
        pass
    (x * w).sum().backward()
    assert t.ops == [] and len(t) == 0
    with pytest.raises(ValueError, match="inside"), mg.trace() as t:
        x.exp()
        raise ValueError("inside")
    assert grad_mode.modes.trace is None
    assert t.names() == ["Exp"]


def test_the_trace_belongs_to_the_thread() -> None:
    x, w = leaves()
    started, done = threading.Event(), threading.Event()
    seen: list[Any] = []

    def other() -> None:
        seen.append(grad_mode.modes.trace)
        started.set()
        done.wait(5)
        (x * w).exp()  # while the main thread traces: not in its trace

    thread = threading.Thread(target=other)
    with mg.trace() as t:
        thread.start()
        started.wait(5)
        x.sin()
        done.set()
        thread.join(5)
    assert seen == [None]
    assert t.names() == ["Sin"]


def test_the_table() -> None:
    x, w = leaves()
    with mg.trace() as t:
        (x * w).sigmoid().sum().backward()
    text = str(t)
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["#", "phase", "op", "path"]
    assert "MulBackward0" in text and "d(a b) = b da + a db" in text
    assert "[3], [3] -> [3]" in text
    assert lines[-1].startswith("forward: 3 ops")
    assert repr(t) == text
    short = t.table(limit=2).splitlines()
    assert len(short) == 5 and short[3].startswith("...")


def test_a_lenet_step_is_traced() -> None:
    from demos.lenet import lenet

    mg.manual_seed(0)
    net = lenet()
    x, y = mg.randn(4, 1, 28, 28), mg.randint(0, 10, (4,))
    with mg.trace() as t:
        F.cross_entropy(net(x), y).backward()
    names = t.names("forward")
    assert names.count("Unfold") == 2 and "MatMul" in names and "Sigmoid" in names
    nodes = t.names("backward", kind="node")
    assert "UnfoldBackward0" in nodes and "MmBackward0" in nodes  # (torch names a 2-D product Mm)
    assert all(r.formula for r in t.ops if r.kind == "node")  # every node says its derivative


def test_ops_under_no_grad_are_marked() -> None:
    x, w = leaves()
    with mg.trace() as t:
        with mg.no_grad():  # as an optimizer's step
            x * w
        x * w
    assert [(r.grad_enabled, r.graph) for r in t.ops] == [(False, False), (True, True)]
    assert "Mul (no_grad)" in str(t)


def test_every_op_writes_its_derivative_in_one_comment_above_backward() -> None:
    """The house rule the trace reads: directly above each ``def backward`` in minigrad.ops,
    one comment line with the derivative (more words go into the class docstring)."""
    import ast
    import inspect
    from pathlib import Path

    folder = Path(inspect.getfile(ops)).parent
    found, wrong = 0, []
    for path in sorted(folder.glob("*.py")):
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef) and node.name == "backward":
                found += 1
                above = [lines[node.lineno - 2].strip(), lines[node.lineno - 3].strip()]
                if not above[0].startswith("#") or above[1].startswith("#"):
                    wrong.append(f"{path.name}:{node.lineno}")
    assert found > 40 and not wrong, wrong
