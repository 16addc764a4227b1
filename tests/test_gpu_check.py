"""benchmarks/gpu_check.sh, proven on the CPU before any GPU time is spent: its dry run (NumPy
standing in for the GPU, small sizes) writes every report file, and they say what they should;
a failing step is recorded and the next one still runs; and the helpers' judgements (which
skips are failures, what agrees in float32) are right."""

from __future__ import annotations

import csv
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.test_data import write_mnist

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import gpu_check  # noqa: E402  (a script of benchmarks/, found through the path above)

REPORT_FILES = {"summary.md", "tests.txt", "agreement.json", "lenet_curves.csv", "bench.md",
                "versions.txt", "log.txt"}


def dry_run(report: Path, *, timeout: int = 120, **env: str) -> subprocess.CompletedProcess:
    """``bash benchmarks/gpu_check.sh --dry-run REPORT`` in quick mode, with this Python."""
    return subprocess.run(
        ["bash", "benchmarks/gpu_check.sh", "--dry-run", str(report)], cwd=ROOT,
        env={**os.environ, "PYTHON": sys.executable, "GPU_CHECK_QUICK": "1", **env},
        capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """One quick dry run, with a small MNIST so that the epoch runs too, and the tests step on
    8 pytest-xdist workers, as on the GPU machine (where xdist is installed)."""
    pytest.importorskip("torch", reason="the benchmarks measure minigrad next to PyTorch")
    mnist = tmp_path_factory.mktemp("mnist")
    write_mnist(mnist, n_train=600, n_test=10)
    folder = tmp_path_factory.mktemp("report")
    return folder, dry_run(folder, timeout=180, MNIST_DIR=str(mnist), GPU_CHECK_WORKERS="8")


@pytest.mark.slow
def test_the_dry_run_passes_and_writes_what_the_device_tool_can_bring_back(
        report: tuple[Path, subprocess.CompletedProcess]) -> None:
    """Exit code 0; at most 8 files, none in a subfolder, none near 16 MiB."""
    folder, done = report
    assert done.returncode == 0, done.stdout + done.stderr
    files = {p.name for p in folder.iterdir()}
    assert REPORT_FILES <= files <= REPORT_FILES | {"lenet_curves.png"}
    assert len(files) <= 8 and all(p.is_file() for p in folder.iterdir())
    assert all(p.stat().st_size < 4 << 20 for p in folder.iterdir())
    assert "# GPU check: PASS" in done.stdout  # the summary, printed
    assert (folder / "summary.md").read_text() in done.stdout


@pytest.mark.slow
def test_every_report_says_what_it_should(report: tuple[Path, subprocess.CompletedProcess]
                                          ) -> None:
    folder, _ = report
    summary = (folder / "summary.md").read_text()
    for step in gpu_check.STEPS:
        assert f"| {step} | pass |" in summary, summary
    assert "dry run" in summary

    tests = (folder / "tests.txt").read_text()
    assert "PASS:" in tests and " 0 failed, 0 errors" in tests
    assert int(tests.split("PASS: ")[1].split()[0]) >= 10  # kernels and conv rows ran
    assert "test_cupy_kernels.py" in tests

    agreement = json.loads((folder / "agreement.json").read_text())
    assert agreement["cases"] >= 80 and agreement["agree"] == agreement["cases"]
    assert {r["case"] for r in agreement["rows"]} >= {"add", "matmul", "conv2d", "max_pool2d"}
    assert all(r["examples"] >= 1 for r in agreement["rows"])

    rows = list(csv.DictReader((folder / "lenet_curves.csv").open()))
    assert len(rows) == 10 and list(rows[0]) == ["step", "loss_cpu", "loss_stand_in", "abs_diff"]
    losses = np.array([[float(r["loss_cpu"]), float(r["loss_stand_in"])] for r in rows])
    assert np.isfinite(losses).all() and 1.5 < losses[0, 0] < 3.5  # near ln(10) at the start
    np.testing.assert_array_equal(losses[:, 0], losses[:, 1])  # the same device twice

    bench = (folder / "bench.md").read_text()
    table = [line.split("|") for line in bench.splitlines() if line.startswith("| ")
             and not line.startswith("| case")]
    assert [r[1].strip() for r in table] == ["lenet step b64", "conv lenet2 b256",
                                             "mnist epoch b256"]
    for row in table:
        assert all(float(c) > 0 for c in row[2:5]), row

    versions = (folder / "versions.txt").read_text()
    for name in ("numpy:", "minigrad:", "torch:", "nvidia-smi:", "minigrad cuda backend"):
        assert name in versions


@pytest.mark.slow
def test_a_failing_step_is_recorded_and_the_next_one_still_runs(tmp_path: Path) -> None:
    """Steps chosen and ordered by GPU_CHECK_STEPS: the epoch fails on a corrupt MNIST file,
    LeNet still trains after it, the summary says FAIL and names the steps not run."""
    mnist = tmp_path / "mnist"
    mnist.mkdir()
    (mnist / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"not an IDX file"))
    done = dry_run(tmp_path / "report", MNIST_DIR=str(mnist), GPU_CHECK_STEPS="epoch,lenet")
    assert done.returncode == 1, done.stdout + done.stderr
    summary = (tmp_path / "report" / "summary.md").read_text()
    assert "# GPU check: FAIL" in summary
    assert "| epoch | FAIL" in summary and "| lenet | pass |" in summary
    assert "| tests | not run |" in summary
    assert done.stdout.index("== epoch") < done.stdout.index("== lenet")


def test_bad_usage_exits_2() -> None:
    for args in ([], ["--dry-run"], ["a", "b"], ["--gpu", "x"]):
        done = subprocess.run(["bash", "benchmarks/gpu_check.sh", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 2 and "usage:" in done.stderr, args


def test_a_skipped_test_of_the_device_under_test_is_a_failure(tmp_path: Path) -> None:
    """Only skips of tests parametrized with the device count (on a GPU run, where
    MINIGRAD_REQUIRE_GPU=1 already fails the unavailable-backend skips, any other)."""
    junit = tmp_path / "junit.xml"
    junit.write_text("""<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite>
<testcase classname="tests.test_ops" name="test_forward[cuda-fast-add]"/>
<testcase classname="tests.test_ops" name="test_forward[cuda-fast-mul]">
  <skipped message="no usable GPU here">skip</skipped></testcase>
<testcase classname="tests.test_cupy_kernels" name="test_fold[cxx]">
  <skipped message="no C++ compiler">skip</skipped></testcase>
<testcase classname="tests.test_ops" name="test_derivatives[cuda-textbook-exp-first]">
  <failure message="AssertionError: gradcheck">trace</failure></testcase>
<testcase classname="tests.test_ops" name="test_cudaish_name_without_parameters">
  <error message="fixture broke">trace</error></testcase>
</testsuite></testsuites>""")
    counts = gpu_check.junit_counts(junit, "cuda")
    assert {k: counts[k] for k in ("passed", "failed", "errors", "skipped", "device skips")} == {
        "passed": 1, "failed": 1, "errors": 1, "skipped": 2, "device skips": 1}
    assert counts["failures"][0] == ("tests.test_ops::test_derivatives[cuda-textbook-exp-first]",
                                     "AssertionError: gradcheck")
    assert gpu_check.junit_counts(junit, "cpu")["device skips"] == 0


def test_float32_agreement_is_judged_per_element() -> None:
    a = np.array([1.0, -2.0, 1e-3, np.nan, np.inf], dtype=np.float32)
    assert gpu_check.excess(a, a.copy()) == 0.0  # NaN and inf in the same places agree
    assert gpu_check.excess(a * (1 + 5e-5), a) < 1  # within rtol
    assert gpu_check.excess(a * (1 + 5e-4), a) > 1
    nudged = a.copy()
    nudged[2] += 3e-5  # beyond atol: 1e-5 times the largest finite value (2), plus rtol
    assert gpu_check.excess(nudged, a) > 1
    assert gpu_check.excess(np.array([1, 2]), np.array([1, 3])) == float("inf")
    assert gpu_check.excess(a[:2], a[:3]) == float("inf")
    assert gpu_check.excess(a.astype(np.float64), a) == float("inf")


@pytest.mark.slow
def test_the_tests_step_runs_as_on_the_gpu_machine(report: tuple[Path, subprocess.CompletedProcess]
                                                   ) -> None:
    """8 pytest-xdist workers (their JUnit report merged and counted), 60 s per test, the
    "gpu" hypothesis profile, and the step limits and the precompiled headers of the GPU run."""
    folder, done = report
    tests = (folder / "tests.txt").read_text()
    assert "HYPOTHESIS_PROFILE=gpu" in tests and "PASS:" in tests
    assert "== tests (limit 130s)" in done.stdout and "== agreement (limit 150s)" in done.stdout
    assert "CUPY_NVRTC_USE_PCH=1 " in (folder / "versions.txt").read_text()
    pytest.importorskip("xdist", reason="pytest-xdist (the test extra) runs the workers")
    assert "8 workers" in tests and " -n 8" in tests
    pytest.importorskip("pytest_timeout", reason="pytest-timeout (the test extra) sets limits")
    assert f" --timeout {gpu_check.TEST_TIMEOUT}" in tests and gpu_check.TEST_TIMEOUT == 60


def test_the_step_limits_fit_the_budget() -> None:
    """Tests about 130 s, the agreement about 150 s (CuPy compiles ~350 kernels there on a
    fresh machine), all within the 470 s of the whole run."""
    script = (ROOT / "benchmarks" / "gpu_check.sh").read_text()
    line = next(x for x in script.splitlines() if x.startswith("declare -A LIMIT="))
    limits = {k: int(v) for k, v in
              (item.strip("[").split("]=") for item in line.split("(")[1].rstrip(")").split())}
    assert limits["tests"] == 130 and limits["agreement"] == 150
    assert sum(limits.values()) <= 470 and "BUDGET=${GPU_CHECK_SECONDS:-470}" in script
    assert "export CUPY_NVRTC_USE_PCH=${CUPY_NVRTC_USE_PCH:-1}" in script


def test_the_gpu_profile_does_not_shrink() -> None:
    """One failing example is reported as found: no time spent shrinking it."""
    from hypothesis import Phase, settings

    gpu, ci = settings.get_profile("gpu"), settings.get_profile("ci")
    assert Phase.shrink not in gpu.phases and Phase.generate in gpu.phases
    assert gpu.max_examples == ci.max_examples and gpu.deadline is None


def test_a_benchmark_that_times_out_keeps_the_rows_it_finished(tmp_path: Path) -> None:
    """Each row goes to the file as its case finishes; the timeout kills the script's whole
    process group and leaves a note under the rows."""
    out = tmp_path / "bench.md"
    out.write_text("# intro\n")
    script = ("import subprocess, sys, time\n"
              "print('| case | minigrad (ms) | torch (ms) | ratio |', flush=True)\n"
              "print('| lenet step b64 | 2.000 | 1.000 | 2.00 |', flush=True)\n"
              "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
              "time.sleep(60)\n")
    rc = gpu_check.stream_table(["-c", script], dict(os.environ), 4, out)
    text = out.read_text()
    assert rc == 124
    assert text.startswith("# intro\n| case |") and "| lenet step b64 | 2.000 |" in text
    assert "Timed out after 4 s" in text and "(the rows above finished)" in text
    headline = gpu_check.headline("bench", tmp_path)
    assert "lenet step b64: 2.000 vs 1.000 (2.00)" in headline and "Timed out" in headline


def test_the_check_benchmarks_batch_64_and_256_and_torch_without_tf32() -> None:
    """Batch 1024 is left out of the one-shot run (two cold processes per case), still
    reachable by name; torch on a GPU computes in float32, as minigrad does (no TF32)."""
    torch = pytest.importorskip("torch", reason="the benchmarks measure minigrad next to PyTorch")
    import argparse

    import gpu_bench
    import harness

    assert [c.__name__ for c in gpu_bench.CASES] == [
        "lenet_step_b64", "lenet_step_b256", "conv_lenet1_b256", "conv_lenet2_b256",
        "conv_64x64_3x3_b32"]
    assert "lenet_step_b1024" in [c.__name__ for c in gpu_bench.ALL]
    before = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    threads = torch.get_num_threads()
    try:
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = True
        harness.load_library("torch", argparse.Namespace(device="cuda", threads=1))
        assert torch.backends.cudnn.allow_tf32 is False
        assert torch.backends.cuda.matmul.allow_tf32 is False
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = before
        torch.set_num_threads(threads)
