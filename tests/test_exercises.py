"""The course's graded exercises: stubs fail, the answer key (the library's own code) passes,
and typical wrong answers fail with a line that says what is wrong."""

from __future__ import annotations

import builtins
import re
from pathlib import Path

import pytest

pytest.importorskip("sklearn", reason="the LeNet exercise trains on scikit-learn's digits")

from minigrad.exercises import EXERCISES, check, write_workspace  # noqa: E402
from minigrad.exercises.__main__ import main  # noqa: E402


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("key")
    write_workspace(root, solved=True)
    return root


def test_list_names_every_exercise_in_the_lectures_order(capsys: pytest.CaptureFixture) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    names = re.findall(r"^\s*\d+\. (\S+)", out, re.M)
    assert names == [ex.name for ex in EXERCISES] and len(names) >= 10
    assert names[:4] == ["sigmoid", "sum_to", "topological_order", "matmul"]
    assert names[-1] == "lenet"


def test_stubs_are_signature_docstring_and_hint_and_every_one_fails(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["new", str(tmp_path)]) == 0
    files = sorted(p.name for p in tmp_path.glob("*.py"))
    assert files == [ex.filename for ex in EXERCISES]
    sigmoid = (tmp_path / "01_sigmoid.py").read_text()
    assert "def backward(self, g: Tensor) -> Tensor:" in sigmoid
    assert "# Hint: " in sigmoid and "raise NotImplementedError" in sigmoid
    assert "(1 - y)\n" not in sigmoid.split("# Hint")[0].split("def backward")[1]  # no answer
    conv = (tmp_path / "07_conv2d.py").read_text()
    assert "Shape: input (N, C_in, H, W)" in conv and "Unfold.apply" not in conv
    capsys.readouterr()
    assert main(["check", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(EXERCISES)
    assert all(line.startswith("FAIL ") for line in lines)
    assert "FAIL sigmoid: not written yet (its body raises NotImplementedError)" in lines
    assert "FAIL conv2d: runs with your im2col, col2im: pass them first" in lines


def test_the_answer_key_passes_every_exercise(key: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["check", str(key)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"PASS {ex.name}" for ex in EXERCISES]


def test_a_students_work_is_never_overwritten(tmp_path: Path) -> None:
    write_workspace(tmp_path)
    mine = tmp_path / "02_sum_to.py"
    mine.write_text("# my work\n")
    assert mine not in write_workspace(tmp_path, solved=True)
    assert mine.read_text() == "# my work\n"
    assert mine in write_workspace(tmp_path, solved=True, force=True)
    assert "def sum_to" in mine.read_text()


# (file, the answer's line, a typical wrong one, what the grader's line must say)
WRONG = [
    ("01_sigmoid.py", "return g * y * (1 - y)", "return g * y",
     r"FAIL sigmoid: check_graph: SigmoidBackward0 \(inputs of shape \[.*\]\) is wrong"),
    ("02_sum_to.py", "if n == 1 and grad.shape[lead + i] != 1", "if False",
     r"FAIL sum_to: sum_to\(grad of shape \[3\], \(1,\)\): expected shape \[1\], got \[3\]"),
    ("03_topological_order.py", "key=lambda node: -node.seq", "key=lambda node: node.seq",
     r"FAIL topological_order: \w+ comes before \(or without\) \w+, which uses its output"),
    ("04_matmul.py", "gb = MatMul.apply(transposed(a2), g)", "gb = MatMul.apply(a2, g)",
     r"FAIL matmul: "),
    ("05_im2col.py", "Window(kernel_size, dilation, padding, stride)",
     "Window(kernel_size, (1, 1), padding, stride)",
     r"FAIL im2col: im2col of an image \[1, 1, \d, \d\], kernel .*, dilation \((2, 1|1, 2)\)"),
    ("06_col2im.py", "= image[:, :, rows, columns] + blocks[:, :, i, j, ...]",
     "= blocks[:, :, i, j, ...]", r"FAIL col2im: col2im onto an image .* expected .*, got"),
    ("07_conv2d.py", "out = out + bias.reshape(1, out_ch, 1, 1)", "out = out",
     r"FAIL conv2d: conv2d of \[1, 1, 1, 1\] with a kernel \[1, 1, 1, 1\] and a bias"),
    ("08_max_pool2d.py", ", value=x.dtype.lowest)", ")",
     r"FAIL max_pool2d: max_pool2d of .* padding \((1, 0|0, 1)\).* expected -[\d.]+, got 0"),
    ("09_avg_pool2d.py",
     "divisor = divisor_override or _window_sizes(x, window, (oh, ow), extra, "
     "count_include_pad)", "divisor = kh * kw",
     r"FAIL avg_pool2d: avg_pool2d of .*count_include_pad=False"),
    ("10_batch_norm.py", "var = (centred * centred).mean(dim=axes)",
     "var = (centred * centred).sum(dim=axes) / (input.numel() // input.shape[1] - 1)",
     r"FAIL batch_norm: batch_norm of \[2, 1\] in training: at index \[0, 0\] expected"),
    ("11_sgd.py", 'add_(g * (1 - group["dampening"]))', "add_(g)",
     r"FAIL sgd: SGD\(.*dampening=0\.[1-9].*\): the parameter after step 2"),
    ("12_lenet.py", "opt.zero_grad()", "pass",
     r"FAIL lenet: LeNet with your pieces reached test accuracies \[.*\] in 6 epochs; the "
     r"lecture's LeNet reaches 0.95"),
]


@pytest.mark.parametrize(("filename", "right", "wrong", "said"), WRONG,
                         ids=[w[0][3:-3] for w in WRONG])
def test_a_typical_wrong_answer_fails_saying_what_is_wrong(
        key: Path, tmp_path: Path, filename: str, right: str, wrong: str, said: str) -> None:
    write_workspace(tmp_path, solved=True)
    path = tmp_path / filename
    text = path.read_text()
    assert right in text, f"the answer key no longer has {right!r}"
    path.write_text(text.replace(right, wrong))
    name = filename[3:-3]
    lines: list[str] = []
    results = check(tmp_path, [name], out=lines.append)
    assert [r.name for r in results] == [name] and not results[0].passed
    assert len(lines) == 1 and re.match(said, lines[0]), lines[0]


def test_the_last_exercise_trains_with_the_students_own_pieces(key: Path, tmp_path: Path
                                                                ) -> None:
    write_workspace(tmp_path, solved=True)
    conv = tmp_path / "07_conv2d.py"
    count = ('    import builtins\n'
             '    builtins._mg_student_convs = getattr(builtins, "_mg_student_convs", 0) + 1\n')
    conv.write_text(conv.read_text().replace('    """\n    x, unbatched',
                                             '    """\n' + count + '    x, unbatched', 1))
    builtins._mg_student_convs = 0  # type: ignore[attr-defined]
    try:
        results = check(tmp_path, ["lenet"], out=lambda line: None)
        assert [r.line() for r in results] == ["PASS lenet"]
        calls = builtins._mg_student_convs  # type: ignore[attr-defined]
        assert calls > 1000, calls  # (its own grading, then two convs per LeNet batch)
    finally:
        del builtins._mg_student_convs  # type: ignore[attr-defined]


def test_a_file_that_does_not_load_and_an_unknown_name(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    write_workspace(tmp_path, solved=True)
    (tmp_path / "02_sum_to.py").write_text("def sum_to(grad, shape)\n    return grad\n")
    lines: list[str] = []
    check(tmp_path, ["sum_to"], out=lines.append)
    assert lines[0].startswith("FAIL sum_to: could not load it: SyntaxError")
    with pytest.raises(SystemExit):
        main(["check", str(tmp_path), "sigmod"])
    assert "no exercise named sigmod" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["check", str(tmp_path / "nowhere")])
    assert "nowhere is not a directory" in capsys.readouterr().err


def test_where_pytorch_is_installed_it_is_an_oracle_too() -> None:
    pytest.importorskip("torch", reason="PyTorch is the graders' extra oracle where installed")
    import numpy as np

    import minigrad as mg
    from minigrad.exercises import graders

    ones = np.ones((1, 1, 2, 2))
    graders.torch_agrees(mg.tensor(ones), "avg_pool2d", ones, what="avg", kernel_size=1)
    with pytest.raises(AssertionError, match=r"avg, against PyTorch's avg_pool2d: at index "
                                             r"\[0, 0, 0, 0\] expected 1, got 0"):
        graders.torch_agrees(mg.zeros(1, 1, 2, 2), "avg_pool2d", ones, what="avg",
                             kernel_size=1)
