"""The README, the demo and the benchmark: what a newcomer copies must work as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def run_script(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run Python with ``args`` from the repository root, the repository on the path."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def run_python(*args: str, code: str | None = None, timeout: int = 300) -> str:
    """Run a Python script or snippet from the repository root; its stdout."""
    done = run_script(*(["-c", code] if code is not None else args), timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one() -> None:
    commands = re.findall(r"```bash\n(.*?)\n```", README, re.S)
    assert len(commands) == 2, commands
    demo, tests = commands
    assert "pip install -e \".[demos]\"" in demo and "demos/" in demo
    assert "pip install -e \".[test]\"" in tests and "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text()
    assert tests in ci.splitlines(), "CI must run the README's test command word for word"
    assert re.search(r"pip install .*torch==2\.13\.0", ci), "CI installs the PyTorch oracle"


def assert_prints_what_it_says(block: str, timeout: int = 300) -> int:
    """Run a README's code block: each ``print(...)  # text`` line must print the start of its
    text, and nothing else may be printed. How many lines it promised."""
    printed = run_python(code=block, timeout=timeout).splitlines()
    promised = [line.split("# ", 1)[1] for line in block.splitlines()
                if line.startswith("print(") and "# " in line]
    assert len(printed) == len(promised)
    for got, want in zip(printed, promised):
        assert want.startswith(got), f"README says {want!r}, the code prints {got!r}"
    return len(promised)


@pytest.mark.parametrize("block", re.findall(r"```python\n(.*?)```", README, re.S))
def test_readme_examples_print_what_they_say(block: str) -> None:
    assert_prints_what_it_says(block)


def test_demo_loss_falls() -> None:
    out = run_python("demos/two_moons.py", "--steps", "100")
    losses = [float(x) for x in re.findall(r"loss (\d+\.\d+)", out)]
    assert len(losses) >= 3 and losses[-1] < 0.6 * losses[0], out
    accuracy = float(re.findall(r"accuracy (\d+\.\d+)%", out)[-1])
    assert accuracy > 85, out


@pytest.mark.parametrize(("script", "rows", "flags"), [
    ("benchmarks/bench_core.py", 5, []),  # with the peak-memory columns
    ("benchmarks/bench_nn.py", 8, ["--no-memory"]),
    ("benchmarks/bench_all.py", 15, ["--no-memory"]),  # every case, one table
])
def test_benchmark_prints_a_table_of_ratios(script: str, rows: int, flags: list[str]) -> None:
    pytest.importorskip("torch", reason="the benchmark measures minigrad next to PyTorch")
    out = run_python(script, "--repeat", "1", "--budget", "0.001", "--pause", "0", *flags)
    table = [line.split("|") for line in out.splitlines() if line.startswith("| ")][1:]
    assert len(table) == rows, out
    for row in table:
        minigrad_ms, torch_ms, ratio = (float(c) for c in row[2:5])
        assert minigrad_ms > 0 and torch_ms > 0 and ratio > 0
        memory = [c.strip() for c in row[5:-1] if c.strip()]
        assert all(float(c) >= 0 for c in memory)
        if not flags and "per op" not in row[1]:
            assert len(memory) == 2, row


def test_benchmark_runs_only_the_cases_named() -> None:
    pytest.importorskip("torch", reason="the benchmark measures minigrad next to PyTorch")
    out = run_python("benchmarks/bench_nn.py", "--repeat", "1", "--budget", "0.001",
                     "--pause", "0", "--rounds", "1", "--no-memory", "--only",
                     "conv_lenet2_b256,lenet_step_b64")
    rows = [line.split("|")[1].strip() for line in out.splitlines() if line.startswith("| ")]
    assert rows[1:] == ["conv lenet2 b256", "lenet step b64"], out
    done = run_script("benchmarks/bench_nn.py", "--only", "lenet_step_b65")
    assert done.returncode != 0 and "no case named lenet_step_b65" in done.stderr


def test_benchmark_compares_minigrad_with_and_without_fast_paths() -> None:
    """--without: an A/B of what some fast paths buy, minigrad against itself."""
    out = run_python("benchmarks/bench_nn.py", "--repeat", "2", "--budget", "0.001",
                     "--pause", "0", "--rounds", "1", "--no-memory", "--only",
                     "lenet_step_b64", "--without", "Sigmoid,avg_pool2d")
    assert "| without Sigmoid,avg_pool2d (ms) |" in out, out
    row = [line.split("|") for line in out.splitlines() if line.startswith("| lenet")][0]
    assert float(row[2]) > 0 and float(row[3]) > 0, out
    done = run_script("benchmarks/bench_nn.py", "--without", "Nope")
    assert done.returncode != 0 and "no fast path named Nope" in done.stderr


def test_load_benchmark_prints_every_setting_unloaded_and_loaded() -> None:
    pytest.importorskip("torch", reason="the benchmark measures minigrad next to PyTorch")
    out = run_python("benchmarks/bench_load.py", "--seconds", "0.2", "--rounds", "1")
    table = [line.split("|") for line in out.splitlines() if line.startswith("| ")][1:]
    assert [(r[1].strip(), r[2].strip()) for r in table] == [
        ("minigrad", "2"), ("minigrad", "1"), ("minigrad", "auto"), ("torch", "2"),
        ("torch", "1")], out
    for row in table:
        quiet, loaded, ratio = (float(c) for c in row[3:6])
        # (each printed to 2 decimals: a small ratio is off by up to half of its last digit)
        assert quiet > 0 and loaded > 0 and ratio == pytest.approx(loaded / quiet, rel=0.02,
                                                                    abs=0.005)


def test_epoch_benchmark_needs_mnist_files(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="the benchmark measures minigrad next to PyTorch")
    done = run_script("benchmarks/bench_epoch.py", "--data-dir", str(tmp_path))
    assert done.returncode != 0 and "no MNIST files" in done.stderr


def test_epoch_benchmark_times_an_epoch_of_both_libraries(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="the benchmark measures minigrad next to PyTorch")
    from tests.test_data import write_mnist

    write_mnist(tmp_path, n_train=600, n_test=10)
    out = run_python("benchmarks/bench_epoch.py", "--data-dir", str(tmp_path), "--repeat",
                     "1", "--pause", "0")
    (row,) = [line.split("|") for line in out.splitlines() if line.startswith("| mnist")]
    minigrad_s, torch_s, ratio = (float(c) for c in row[2:5])
    assert minigrad_s > 0 and torch_s > 0 and ratio > 0, out


def test_the_reading_route_names_files_and_names_that_exist() -> None:
    """Every step of the README's reading route names files that exist and, in backticks,
    names defined in them: moving code must keep the route true."""
    section = README.split("## Reading minigrad", 1)[1].split("\n## ", 1)[0]
    steps = re.findall(r"^\d+\. (.*?)(?=^\d+\. |^$)", section, re.S | re.M)
    assert 6 <= len(steps) <= 8, steps  # a route, not a table of contents
    for step in steps:
        paths = re.findall(r"`([\w/]+\.py)`", step)
        assert paths, step
        source = ""
        for path in paths:
            assert (ROOT / path).is_file(), f"the reading route names {path}, which is gone"
            source += (ROOT / path).read_text()
        for name in re.findall(r"`(\w+)`", step):
            assert re.search(rf"^\s*(def|class) {name}\b", source, re.M), (
                f"the reading route sends readers to {name} in {paths}, which is not there")


def test_the_wheel_ships_types_the_license_and_the_exercises(tmp_path: Path) -> None:
    """What a course adopting minigrad installs: the MIT license pyproject promises, py.typed
    (editors show the hints), the exercises; and a changelog entry for this version."""
    import zipfile

    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^license = \{ text = "MIT" \}', pyproject, re.M)
    version = re.search(r'^version = "([^"]+)"', pyproject, re.M)
    assert version is not None
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert f"## {version[1]} (" in (ROOT / "CHANGELOG.md").read_text()
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q",
                           "-w", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr  # (pip fetches the build backend, setuptools)
    names = zipfile.ZipFile(next(tmp_path.glob("minigrad-*.whl"))).namelist()
    assert "minigrad/py.typed" in names
    assert "minigrad/exercises/__main__.py" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith("/LICENSE")
               for n in names), names
