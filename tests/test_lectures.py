"""The lecture scripts (lectures/): every claim of the CNN lecture runs, draws and holds.

The README's one shell command (``python lectures/make_figures.py``) runs every script with its
defaults in a scratch copy of the folder: it must write exactly the committed figures, and the
numbers each script prints must still say what the lecture says (the linear model fails on moved
cars where the convolution does not, conv equals patch-wise regression, the Laplacian is zero on
flat regions, receptive fields follow the formula, batch norm keeps each channel's std at 1).
The README's Python blocks print what their comments promise, and its commands parse.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_scripts import assert_prints_what_it_says

pytest.importorskip("matplotlib", reason="the lectures draw with matplotlib (the 'demos' extra)")
pytest.importorskip("sklearn", reason="the lectures use scikit-learn's digits and photographs "
                                      "(the 'demos' extra)")

ROOT = Path(__file__).resolve().parents[1]
LECTURES = ROOT / "lectures"
README = (LECTURES / "README.md").read_text()
HELPERS = {"common", "make_figures", "make_notebooks"}
SCRIPTS = sorted(p.stem for p in LECTURES.glob("*.py") if p.stem not in HELPERS)
PNG = b"\x89PNG\r\n\x1a\n"


def blocks(language: str) -> list[str]:
    """The README's fenced code blocks in ``language``."""
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def lecture_module(name: str, monkeypatch: pytest.MonkeyPatch) -> object:
    """Import lectures/NAME.py as the scripts import each other (lectures/ on the path)."""
    monkeypatch.syspath_prepend(str(LECTURES))
    return importlib.import_module(name)


# ---- the one command that redraws everything ---------------------------------------------------
@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Run the README's shell block in a scratch folder holding links to the scripts, so its
    default output (lectures/figures) lands there: the folder of figures, and what each script
    printed. No PYTHONPATH: the scripts find minigrad and demos/ by themselves."""
    sandbox = tmp_path_factory.mktemp("lectures-run")
    (sandbox / "lectures").mkdir()
    for script in LECTURES.glob("*.py"):
        (sandbox / "lectures" / script.name).symlink_to(script)
    (command,) = blocks("bash")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=sandbox, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    printed = dict(re.findall(r"^---- (\w+)\n(.*?)^---- \1: ", done.stdout, re.S | re.M))
    return sandbox / "lectures" / "figures", printed


def numbers(pattern: str, text: str) -> list[float]:
    """The numbers the groups of ``pattern`` capture in its first match in ``text``."""
    found = re.search(pattern, text, re.M)
    assert found, f"{pattern!r} not in:\n{text}"
    return [float(g) for g in found.groups()]


@pytest.mark.slow
def test_make_figures_runs_every_script_in_the_lectures_order(
        regenerated: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    _, printed = regenerated
    order = lecture_module("make_figures", monkeypatch).SCRIPTS
    assert sorted(order) == SCRIPTS
    assert list(printed) == order
    assert all(text.strip() for text in printed.values())
    positions = [README.index(f"python lectures/{name}.py") for name in order]
    assert positions == sorted(positions), "the README follows the lecture's order too"


@pytest.mark.slow
def test_every_figure_is_written_committed_and_shown(
        regenerated: tuple[Path, dict[str, str]]) -> None:
    folder, printed = regenerated
    drawn = sorted(p.name for p in folder.glob("*.png"))
    committed = sorted(p.name for p in (LECTURES / "figures").glob("*.png"))
    shown = sorted(re.findall(r"\]\(figures/([\w.]+\.png)\)", README))
    assert drawn == committed == shown, (drawn, committed, shown)
    for name in drawn:
        png = (folder / name).read_bytes()
        assert png[:8] == PNG and len(png) > 5000, name
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert abs(width / height - 16 / 9) < 0.01, f"{name} is {width}x{height}, not 16:9"
        assert f"{name}\n" in "".join(printed.values()), f"no script said it wrote {name}"
    total = sum((LECTURES / "figures" / name).stat().st_size for name in committed)
    assert total < 2_000_000, f"the committed figures take {total:,} bytes"


# ---- the claims, one script each ------------------------------------------------------------
@pytest.mark.slow
def test_1_linear_model_fails_on_moved_cars_and_conv_does_not(
        regenerated: tuple[Path, dict[str, str]]) -> None:
    out = regenerated[1]["linear_vs_conv"]
    linear, conv = numbers(r"car moved to the top-left: linear ([\d.]+), conv ([\d.]+)", out)
    assert linear <= 0.8 and conv >= 0.9 and conv - linear >= 0.2, out
    (trained,) = numbers(r"^  linear +bottom-right \(trained\) ([\d.]+)", out)
    assert trained >= 0.95, "the linear model does learn the corner it was trained on"
    corners, anywhere = numbers(r"^  linear, both corners +bottom-right \(trained\) ([\d.]+) "
                                r".*anywhere ([\d.]+)", out)
    assert corners >= 0.95 and anywhere <= 0.75, "two corners learnt, other places missed"
    (conv_anywhere,) = numbers(r"^  conv \+ largest .*anywhere ([\d.]+)", out)
    assert conv_anywhere >= 0.9
    # the distractors: brightness alone takes a box for a car, the convolution does not
    (conv_box,) = numbers(r"^conv \+ largest, a car against box ([\d.]+)", out)
    (bright_box,) = numbers(r"^brightness alone .* against box ([\d.]+)", out)
    assert conv_box >= 0.9 and bright_box <= 0.6, out


@pytest.mark.slow
def test_2_conv_equals_one_regression_on_every_patch(
        regenerated: tuple[Path, dict[str, str]]) -> None:
    out = regenerated[1]["conv_is_local_regression"]
    assert "weight [1, 1, 2, 2], bias [1]" in out and "shape [1, 4, 16]" in out
    (by_unfold,) = numbers(r"reshape\(w @ patches \+ b\)\| = (\S+)", out)
    (by_loops,) = numbers(r"loops of w \. patch \+ b\| += (\S+)", out)
    assert by_unfold <= 1e-5 and by_loops <= 1e-5


@pytest.mark.slow
def test_3_output_moves_with_the_car_and_pooling_does_not(
        regenerated: tuple[Path, dict[str, str]]) -> None:
    out = regenerated[1]["translation"]
    (equivariance,) = numbers(r"equivariance: .* = (\S+)", out)
    (moved,) = numbers(r"the output itself moves: .* up to ([\d.]+)", out)
    low, high, spread = numbers(r"invariance: largest answer from ([\d.]+) to ([\d.]+) "
                                r"\(spread (\S+)\)", out)
    assert equivariance <= 1e-6 and spread <= 1e-6 and low == high
    assert moved >= 1.0, "equivariant is not invariant: the map itself moves"
    rows = re.findall(r"^\((\d+), (\d+)\) +\((\d+), (\d+)\) +\((\d+), (\d+)\)", out, re.M)
    assert len(rows) == 4 and all(r[2:4] == r[4:6] for r in rows), "the peak is on the car"


@pytest.mark.slow
def test_4_sliding_by_one_never_cuts_the_car(regenerated: tuple[Path, dict[str, str]]) -> None:
    out = regenerated[1]["sliding_windows"]
    (coarse,) = numbers(r"non-overlapping patches \(stride 5\): best match ([\d.]+)", out)
    (fine,) = numbers(r"\(stride 1\): +best match ([\d.]+)", out)
    assert coarse <= 0.6 and fine >= 0.99
    sweep = numbers(r"best match, stride 1 +" + r" +".join([r"([\d.]+)"] * 5), out)
    assert min(sweep) >= 0.99


@pytest.mark.slow
def test_5_laplacian_is_high_on_edges_and_zero_on_flat_regions(
        regenerated: tuple[Path, dict[str, str]]) -> None:
    out = regenerated[1]["edge_detection"]
    flat, edges = numbers(r"^photo .*flat patches ([\d.]+), on edges ([\d.]+)", out)
    assert edges >= 0.3 and flat <= 0.05 * edges
    flat, edges = numbers(r"^digit .*flat patches ([\d.]+), on edges ([\d.]+)", out)
    assert flat == 0.0 and edges >= 0.5, "the kernel sums to zero: exactly 0 where flat"


@pytest.mark.slow
def test_5b_one_small_kernel_is_not_enough_and_two_layers_of_parts_are(
        regenerated: tuple[Path, dict[str, str]]) -> None:
    """The slide "Is one convolution enough?": every 3x3 part of the car is in the car in
    pieces, so one 3x3 kernel is at chance there; 3x3 part detectors composed by a second 3x3
    layer tell the car from every distractor, with fewer weights than the linear model."""
    out = regenerated[1]["one_conv_enough"]
    small, parts = numbers(r"^the car in pieces: one 3x3 kernel ([\d.]+), part detectors "
                           r"([\d.]+)", out)
    assert small <= 0.6 and parts >= 0.9, out
    (row,) = re.findall(r"^  \d+ 3x3 parts, then 3x3 (.*)$", out, re.M)
    assert min(float(v) for v in re.findall(r"[\d.]+$|[\d.]+(?=  )", row)) >= 0.9, row
    linear, counted = numbers(r"^weights: a linear model on the image 20\*20 \+ 1 = (\d+);.*"
                              r"then 3x3 \d+ \(counted: (\d+)\)", out)
    assert (linear, counted) == (401, 8 * 10 + 8 * 9 + 1)
    for by_hand, by_model in re.findall(r" (\d+) \(counted: (\d+)\)", out):
        assert by_hand == by_model


@pytest.mark.slow
def test_6_each_output_channel_sums_one_conv_per_input_channel(
        regenerated: tuple[Path, dict[str, str]]) -> None:
    out = regenerated[1]["channels"]
    assert "weight [16, 3, 5, 5] = 48 kernels of 5x5, bias [16]" in out
    (error,) = numbers(r"sum over input channels of one conv each \+ bias\)\| = (\S+)", out)
    assert error <= 1e-5


@pytest.mark.slow
def test_7_output_sizes_follow_the_formula(regenerated: tuple[Path, dict[str, str]]) -> None:
    out = regenerated[1]["padding_stride"]
    rows = [[int(v) for v in row] for row in re.findall(
        r"^ +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)$", out, re.M)]
    assert len(rows) == 12
    for k, pad, stride, measured, _ in rows:  # the formula, written here once more
        assert measured == (28 + 2 * pad - k) // stride + 1
    assert {(k, pad) for k, pad, s, m, _ in rows if s == 1 and m == 28} == {(3, 1), (5, 2)}, (
        "padding = kernel_size // 2 keeps the size")
    assert "[1, 16, 32, 32] -> [1, 32, 16, 16]" in out
    assert "k=3 p=0 s=1: corner 1, centre 9, pixels never seen 0" in out
    assert "k=2 p=0 s=3: corner 1, centre 1, pixels never seen 28" in out
    assert "reaches over 5x5 pixels, 9 of them used" in out
    assert "input channels [[0, 1], [0, 1], [2, 3], [2, 3]]" in out
    # the transposed convolution stamps the kernel (1 2 / 3 4) times each input pixel
    assert "[1, 1, 2, 2] -> [1, 1, 4, 4]; each input pixel times the kernel: [[1, 2, 2, 4], " \
           "[3, 4, 6, 8], [0, 0, -1, -2], [0, 0, -3, -4]]" in out
    (adjoint,) = numbers(r"- conv_transpose2d\(g\)\| = (\S+)", out)
    assert adjoint <= 1e-5


@pytest.mark.slow
def test_7b_deformable_convolution_learns_the_dilated_grid(
        regenerated: tuple[Path, dict[str, str]]) -> None:
    """Offsets learned from zero put the 3x3 kernel's reads on the dilation-2 grid."""
    out = regenerated[1]["deformable"]
    start, end = numbers(r"^loss: ([\d.]+) with the plain 3x3 grid, ([\d.]+) after", out)
    assert end <= 1e-3 * start, out
    (error,) = numbers(r"^farthest from the dilation-2 grid: ([\d.]+) pixels", out)
    assert error <= 0.3, out
    (corner,) = re.findall(r"^  \(([-+\d.]+), ([-+\d.]+)\)", out, re.M)[:1]
    assert corner == ("-1.00", "-1.00"), out


@pytest.mark.slow
def test_8_receptive_fields_equal_the_formula(regenerated: tuple[Path, dict[str, str]]) -> None:
    out = regenerated[1]["pooling"]
    assert "kernel_size 2, stride 2 (defaults to the kernel size)" in out
    assert "nn.MaxPool2d(kernel_size=3, padding=1): stride 3, [2, 2]" in out
    fields = dict(re.findall(r"^(.+?) {2,}(\d+x\d+) +\d+x\d+$", out, re.M))
    assert fields == {"conv 2x2": "2x2", "conv 2x2 + conv 2x2": "3x3",
                      "pool 2x2 + conv 2x2": "4x4",
                      "LeNet up to conv1": "5x5", "LeNet up to pool1": "6x6",
                      "LeNet up to conv2": "14x14", "LeNet up to pool2": "16x16"}, out
    formula = re.findall(r"^.+? {2,}(\d+x\d+) +(\d+x\d+)$", out, re.M)
    assert all(measured == expected for measured, expected in formula)


@pytest.mark.slow
def test_9_recipe_shapes_and_parameters(regenerated: tuple[Path, dict[str, str]]) -> None:
    out = regenerated[1]["recipe"]
    assert "Total params: 61,706" in out
    assert "nn.Flatten() keeps the batch: [2, 3, 10, 10] -> [2, 300]" in out
    shapes = re.findall(r"^\W+(\w+): 1-\d+ +(\[[\d, ]+\])", out, re.M)
    assert [s for kind, s in shapes if kind in ("Conv2d", "AvgPool2d", "Flatten")] == [
        "[1, 6, 28, 28]", "[1, 6, 14, 14]", "[1, 16, 10, 10]", "[1, 16, 5, 5]", "[1, 400]"]


@pytest.mark.slow
def test_10_lenet_learns(regenerated: tuple[Path, dict[str, str]]) -> None:
    out = regenerated[1]["lenet_learns"]
    accuracy = [float(a) for a in re.findall(r"test accuracy ([\d.]+)", out)]
    assert len(accuracy) == 6 and accuracy[0] < 0.5 and accuracy[-1] >= 0.9, out
    assert re.search(r"after 2: AvgPool2d \[1, 6, 14, 14\]", out)


@pytest.mark.slow
def test_11_batch_norm_keeps_each_channel_at_std_1(
        regenerated: tuple[Path, dict[str, str]]) -> None:
    out = regenerated[1]["batch_norm"]
    rows = [[float(v) for v in row] for row in re.findall(
        r"^ +\d+ +([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+)$", out, re.M)]
    assert len(rows) == 8
    plain_std = [r[0] for r in rows]
    assert all(abs(r[2] - 1) <= 0.02 and r[3] <= 0.01 for r in rows), "batch norm: std 1, mean 0"
    assert plain_std[-1] <= 0.2 and plain_std[-1] <= plain_std[0] / 4, "the plain stack drifts"
    # the same LeNet with and without BatchNorm2d, 3 seeds each: the mean and the whole range
    def accuracy(model: str) -> list[tuple[float, float, float]]:
        row = re.search(rf"^  {re.escape(model)} +(epoch 1: .*)$", out, re.M)
        assert row, out
        return [tuple(float(v) for v in cell) for cell in re.findall(
            r"epoch \d: ([\d.]+) \(([\d.]+) - ([\d.]+)\)", row[1])]
    plain, normed = accuracy("LeNet"), accuracy("+ BatchNorm2d")
    both = accuracy("+ BatchNorm2d, BatchNorm1d")
    assert len(plain) == len(normed) == len(both) == 3
    assert normed[0][1] > plain[0][2] + 0.3, "after one epoch every BN run beats every plain one"
    assert normed[-1][0] >= 0.9 and both[0][0] >= 0.8
    assert re.search(r"mean over 3 seeds", out)
    lists = {name: ast.literal_eval(values) for name, values in re.findall(
        r"^  (.+?): +(\[.*\])$", out, re.M)}
    gamma, std = lists["|gamma| (bn.weight), the new std"], lists["measured std of its output"]
    beta, mean = lists["beta (bn.bias), the new mean"], lists["measured mean of its output"]
    std_eval, mean_eval = lists["its std in eval(), test images"], lists[
        "its mean in eval(), test images"]
    assert len(gamma) == len(beta) == len(std_eval) == len(mean_eval) == 6
    assert max(abs(a - b) for a, b in zip(gamma, std)) <= 0.01  # training: by construction
    assert max(abs(a - b) for a, b in zip(beta, mean)) <= 0.01
    # eval(): the running statistics on unseen images: near gamma and beta, not equal
    assert 0.01 < max(abs(a - b) for a, b in zip(gamma, std_eval)) < 0.5
    assert 0.01 < max(abs(a - b) for a, b in zip(beta, mean_eval)) < 0.5


# ---- the README ---------------------------------------------------------------------------------
@pytest.mark.parametrize("block", blocks("python"), ids=lambda b: b.splitlines()[-1][:40])
def test_readme_python_blocks_print_what_they_say(block: str) -> None:
    assert assert_prints_what_it_says(block, timeout=120) > 0


def test_readme_has_python_blocks_and_one_command_to_redraw() -> None:
    assert len(blocks("python")) >= 5
    assert blocks("bash") == ["python lectures/make_figures.py\n"]


def test_scripts_draw_for_a_projector_and_the_repository_keeps_small_pictures(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A script alone draws at 150 dpi (a slide's sharpness); make_figures.py, which writes the
    committed PNGs, at 80."""
    for name in SCRIPTS:
        assert lecture_module(name, monkeypatch).arguments([]).dpi >= 150, name
    figures = lecture_module("make_figures", monkeypatch)
    assert figures.common.COMMITTED_DPI == 80 and figures.common.DPI == 150


def test_a_figure_with_text_a_projector_would_blur_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every figure is a 16:9 slide whose text is 12 pt or more: save() refuses smaller text,
    tick labels included (they exist once the figure is laid out)."""
    common = lecture_module("common", monkeypatch)
    fig, ax = common.figure(1, 2)
    assert tuple(fig.get_size_inches()) == common.SLIDE == (12.8, 7.2)
    common.show(ax[0, 0], [[0, 1], [2, 3]], "a title", numbers=".0f")
    ax[0, 1].plot([0, 1], [0, 1])
    common.save(fig, tmp_path, "readable", dpi=20)
    assert (tmp_path / "readable.png").read_bytes()[:8] == PNG
    ax[0, 1].tick_params(labelsize=8)
    with pytest.raises(ValueError, match=r"small: text under 12 pt: .*\(8 pt\)"):
        common.save(fig, tmp_path, "small", dpi=20)
    fig, ax = common.figure()
    ax[0, 0].set_title("a footnote", fontsize=9)
    with pytest.raises(ValueError, match=r"'a footnote' \(9 pt\)"):
        common.save(fig, tmp_path, "footnote", dpi=20)
    assert not (tmp_path / "small.png").exists() and not (tmp_path / "footnote.png").exists()


def texts_drawn(monkeypatch: pytest.MonkeyPatch, common: object) -> dict[str, str]:
    """Make ``common.save`` record each figure's text (name -> all its strings) as it saves."""
    drawn: dict[str, str] = {}
    save = common.save  # type: ignore[attr-defined]

    def recording(fig: object, out: Path, name: str, dpi: int = 80) -> Path:
        from matplotlib.text import Text
        drawn[name] = "\n".join(t.get_text() for t in fig.findobj(Text))  # type: ignore
        return save(fig, out, name, dpi)

    monkeypatch.setattr(common, "save", recording)
    return drawn


# the test's MNIST files are noise: no flat patch, so section 5's mean over flat patches is NaN
@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value encountered")
def test_a_digit_is_mnist_where_its_files_are_and_the_figure_says_when_it_is_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Figures that show a handwritten digit draw MNIST's from --data-dir or the download
    cache; offline, scikit-learn's 8x8 digit scaled up, and the figure says so."""
    from tests.test_data import write_mnist

    write_mnist(tmp_path / "files", n_train=8, n_test=4)
    common = lecture_module("common", monkeypatch)
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "empty cache"))
    digit, what = common.a_digit(str(tmp_path / "files"))
    assert list(digit.shape) == [1, 1, 28, 28] and what == "an MNIST digit (28x28)"
    digit, what = common.a_digit()
    assert list(digit.shape) == [1, 1, 28, 28] and "8x8" in what and "--data-dir" in what
    with pytest.raises(SystemExit, match=r"--data-dir .*not found in"):
        common.a_digit(str(tmp_path / "empty cache"))
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path))
    (tmp_path / "files").rename(tmp_path / "mnist")                # now in the cache
    assert common.a_digit()[1] == "an MNIST digit (28x28)"

    edges = lecture_module("edge_detection", monkeypatch)
    drawn = texts_drawn(monkeypatch, edges.common)
    edges.main(["--out", str(tmp_path / "figs"), "--dpi", "20"])
    assert "an MNIST digit\n(28x28)" in drawn["edge_detection"]
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "empty cache"))
    edges.main(["--out", str(tmp_path / "figs"), "--dpi", "20"])
    assert "scikit-learn's 8x8 digit" in drawn["edge_detection"]


def test_the_try_it_answers_hold_for_the_flags_they_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """The folded answers that run a script with other flags (sections 3, 4, 6, 7b, 8, 9)
    say what those runs print."""
    def run(name: str, *flags: str) -> str:
        lecture_module(name, monkeypatch).main([*flags, "--out", str(tmp_path), "--dpi", "20"])
        return capsys.readouterr().out

    out = run("translation", "--random-kernel")  # section 3: the peak a row below the centre
    peaks = re.findall(r"^\(\d+, \d+\) +\(\d+, \d+\) +(\(\d+, \d+\))", out, re.M)
    assert peaks == ["(5, 4)", "(8, 12)", "(16, 8)", "(17, 16)"], out
    assert "invariance: largest answer from 0.43 to 0.43" in out
    assert "overlapping patches (stride 3): best match 0.58" in run(  # section 4
        "sliding_windows", "--stride", "3")
    assert "(stride 3): best match 1.00" in run("sliding_windows", "--stride", "3", "--top", "6",
                                                 "--left", "9")
    out = run("channels", "--kernel-size", "3")  # section 6: 16 * 3 * 3 * 3 + 16 = 448
    assert "weight [16, 3, 3, 3] = 48 kernels of 3x3, bias [16]" in out
    assert "-> output [1, 16, 51, 78]" in out
    out = run("deformable", "--dilation", "3")  # section 7b: gradient descent gets stuck
    assert "(-1.96, -2.03)   (+1.17, -1.27)" in out
    assert "farthest from the dilation-3 grid: 3.17 pixels" in out
    out = run("pooling", "--kernel-size", "3")  # section 8: 40 / 9 = 4.44
    assert "average 3x3: [[4.44, 5.11], [4.56, 4.56]]" in out and "max 3x3:     [[9, " in out
    recipe = lecture_module("recipe", monkeypatch)  # section 9: the head fixes the size
    with pytest.raises(RuntimeError, match=r"\(1x576 and 400x120\)"):
        recipe.main(["--size", "32", "--out", str(tmp_path)])


def test_every_command_in_the_readme_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each script has its command in the README, and every flag the README suggests exists:
    the script's own parser accepts it."""
    commands = [(name, flags) for name, flags in re.findall(
        r"`python lectures/(\w+)\.py([^`]*)`", README) if name not in HELPERS]
    assert {name for name, _ in commands} == set(SCRIPTS)
    suggested = re.findall(r"Explore: (.*?)(?:\n\n|$)", README, re.S)
    assert len(suggested) >= 9
    for name, flags in commands:
        args = lecture_module(name, monkeypatch).arguments(shlex.split(flags))
        assert args.out == "figures"
    section_of = {}
    for section in README.split("\n## ")[1:]:
        found = re.search(r"`python lectures/(\w+)\.py", section)
        if found:
            section_of[found.group(1)] = section
    for name, section in section_of.items():
        parse = lecture_module(name, monkeypatch).arguments
        explore = section.split("Explore:", 1)[1] if "Explore:" in section else ""
        for flags in re.findall(r"`(--[^`]+)`", explore):
            parse(shlex.split(flags))  # an unknown flag or a bad value exits here


def test_a_script_runs_alone_from_another_folder(tmp_path: Path) -> None:
    """``python lectures/NAME.py --out DIR`` from anywhere, with nothing on PYTHONPATH: the
    script finds its helper and demos/lenet.py by itself."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, str(LECTURES / "recipe.py"), "--out", "figs"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Total params: 61,706" in done.stdout
    assert (tmp_path / "figs" / "recipe.png").read_bytes()[:8] == PNG


def test_training_reads_mnist_files_from_data_dir(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture) -> None:
    from tests.test_data import write_mnist

    write_mnist(tmp_path / "mnist", n_train=48, n_test=16)
    lenet_learns = lecture_module("lenet_learns", monkeypatch)
    drawn = texts_drawn(monkeypatch, lenet_learns.common)
    lenet_learns.main(["--data-dir", str(tmp_path / "mnist"), "--epochs", "1", "--out",
                       str(tmp_path / "figs")])
    out = capsys.readouterr().out
    assert "training LeNet on mnist: 48 images, epochs: 1" in out
    assert sorted(p.name for p in (tmp_path / "figs").glob("*.png")) == [
        "lenet_feature_maps.png", "lenet_learns.png"]
    assert "input: an MNIST digit" in drawn["lenet_feature_maps"]
    assert "LeNet on mnist" in drawn["lenet_learns"]
    # offline, the figure says the digit is 8x8 scaled up; the class scores are labelled
    lenet_learns.main(["--epochs", "1", "--train-size", "64", "--out", str(tmp_path / "figs")])
    maps = drawn["lenet_feature_maps"]
    assert "input: an 8x8 digit, scaled up" in maps and "class (digit)" in maps
    assert "score (a logit)" in maps


def test_missing_data_is_one_line_not_a_traceback(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    common = lecture_module("common", monkeypatch)
    flags = {"train_size": None}
    with pytest.raises(SystemExit, match=r"--data-dir .*not found in"):
        common.load_data(argparse.Namespace(data_dir=str(tmp_path), dataset=None, **flags))
    with pytest.raises(SystemExit, match="--dataset fashion-mnist needs --data-dir"):
        common.load_data(argparse.Namespace(data_dir=None, dataset="fashion-mnist", **flags))


def test_the_layer_walk_sees_each_layer_through_forward_hooks_and_leaves_none(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """common.layer_outputs catches what every layer gives with forward hooks: the same
    tensors as feeding the layers one by one, and no hook left behind."""
    import minigrad as mg
    from demos.lenet import lenet

    common = lecture_module("common", monkeypatch)
    net, x = lenet(), mg.randn(2, 1, 28, 28)
    seen = common.layer_outputs(net, x)
    y = x
    for (name, layer, out), (want_name, want_layer) in zip(seen, net.named_children()):
        y = want_layer(y)
        assert (name, layer) == (want_name, want_layer)
        mg.testing.assert_close(out, y)
    assert len(seen) == len(list(net.children())) == 12
    assert not any(m._forward_hooks for m in net.modules())
    uses = [p.name for p in LECTURES.glob("*.py") if "named_children()" in p.read_text()]
    assert uses == ["common.py"], "walk the layers through common.layer_outputs only"


@pytest.mark.parametrize("flags, fast", [([], False), (["--fast"], True)])
def test_lectures_run_the_textbook_code_unless_asked(flags: list[str], fast: bool,
                                                     tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """What runs is what is read: the scripts run the code the lecture shows, by default."""
    import minigrad as mg

    common = lecture_module("common", monkeypatch)
    with mg.backends.fast_paths(not fast):
        common.start(common.parser("x").parse_args(["--out", str(tmp_path), *flags]))
        assert mg.backends.fast_paths_enabled() is fast


@pytest.mark.slow
def test_7_odd_kernels_stay_centred_and_even_ones_drift(
        regenerated: tuple[Path, dict[str, str]]) -> None:
    out = regenerated[1]["padding_stride"]
    odd = numbers(r"kernel 3x3, padding='same' \(1 before, 1 after\): .* rows 3-5, centred at "
                  r"\(([\d.]+), ([\d.]+)\)", out)
    even = numbers(r"kernel 4x4, padding='same' \(1 before, 2 after\): .* centred at "
                   r"\(([\d.]+), ([\d.]+)\)", out)
    assert odd == [4.0, 4.0] and even == [3.5, 3.5], out


@pytest.mark.slow
def test_12_conv_gradients_derived_by_hand_equal_autograd(
        regenerated: tuple[Path, dict[str, str]]) -> None:
    out = regenerated[1]["conv_backward"]
    dw = numbers(r"dL/dw: max \|loops - autograd\| = (\S+), max \|corr\(x, g\) - "
                 r"autograd\| = (\S+)$", out)
    dx = numbers(r"dL/dx: max \|loops - autograd\| = (\S+), max \|full corr\(g, flipped w\) - "
                 r"autograd\| = (\S+), max \|fold\(w g\) - autograd\| = (\S+)$", out)
    channels = numbers(r"3 -> 4 channels: max \|dL/dW by correlations - autograd\| = (\S+), "
                       r"max \|dL/dX - autograd\| = (\S+)$", out)
    assert max(dw + dx + channels) < 1e-12, out
    (unflipped,) = numbers(r"without the flip: max \|full corr\(g, w\) - autograd\| = "
                           r"([\d.]+) \(wrong\)", out)
    assert unflipped > 0.5, "forgetting the flip must give a visibly wrong gradient"


@pytest.mark.slow
def test_13_without_activations_a_network_is_one_linear_map(
        regenerated: tuple[Path, dict[str, str]]) -> None:
    out = regenerated[1]["no_activation"]
    assert "61,706 parameters" in out and "A [10, 784], b [10]: 7,850 numbers" in out
    (untrained,) = numbers(r"over 16 random images = (\S+) \(the same function\)", out)
    (plain,) = numbers(r"LeNet: max \|net\(x\) - \(A x \+ b\)\| on 64 test images = (\S+)",
                       out)
    (linear,) = numbers(r"LeNet without activations: max \|net\(x\) - \(A x \+ b\)\| on 64 "
                        r"test images = (\S+)", out)
    assert untrained < 1e-4 and linear < 1e-3 and plain > 0.5, out
    with_tanh, without = (numbers(rf"two moons, .* {kind} *: training accuracy ([\d.]+)", out)[0]
                          for kind in ("with tanh", "without activations"))
    assert with_tanh >= 0.99 and without < 0.93, out


# ---- the lectures as notebooks ----------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", SCRIPTS)
def test_each_lecture_runs_as_a_notebook_printing_what_the_script_prints(
        name: str, regenerated: tuple[Path, dict[str, str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """make_notebooks.py's notebook of each script runs in a Jupyter kernel from another folder,
    prints what the script printed and shows its figures inline."""
    for module in ("nbformat", "nbclient", "ipykernel"):
        pytest.importorskip(module, reason="running the notebooks needs nbformat, nbclient and "
                                           "ipykernel (the 'notebooks' extra)")
    import nbclient

    make = lecture_module("make_notebooks", monkeypatch)
    nb = make.notebook(LECTURES / f"{name}.py")
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    make.write(nb, tmp_path / f"{name}.ipynb")
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream"
                   and o.get("name") == "stdout")
    images = [o for o in outputs if o.output_type == "display_data" and "image/png" in o.data]
    _, printed = regenerated

    def without_paths(s: str) -> list[str]:
        return [re.sub(r"^wrote .*?([^/]+)$", r"wrote \1", line) for line in s.splitlines()]

    assert without_paths(text) == without_paths(printed[name])
    assert len(images) == text.count("wrote ") >= 1
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(
        line.removeprefix("wrote ") for line in without_paths(text) if line.startswith("wrote"))
