"""The steps of benchmarks/gpu_check.sh, one subcommand each, each writing one report file.

    python benchmarks/gpu_check.py versions  --device cuda --out R/versions.txt
    python benchmarks/gpu_check.py tests     --device cuda --out R/tests.txt
    python benchmarks/gpu_check.py agreement --device cuda --out R/agreement.json
    python benchmarks/gpu_check.py lenet     --device cuda --out R/lenet_curves.csv
    python benchmarks/gpu_check.py bench     --device cuda --out R/bench.md
    python benchmarks/gpu_check.py epoch     --device cuda --out R/bench.md  (appends)
    python benchmarks/gpu_check.py summary   --device cuda --report R  name:rc:seconds ...

``--device cpu`` runs every step with NumPy standing in for the GPU (the script's
``--dry-run``), ``--quick`` with small sizes (the test suite's dry run). Exit codes: 0 passed,
1 failed, 3 skipped (the epoch without MNIST files).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.op_table, demos.lenet

SKIPPED = 3  # the exit code of a step that had nothing to do (not a failure)
RTOL, ATOL = 1e-4, 1e-5  # float32 agreement: |a - b| <= ATOL * max(1, max|b|) + RTOL * |b|
LENET_TOL = 1e-3  # the largest difference of the two loss curves, per unit of loss
TEST_TIMEOUT = 60  # seconds per test (pytest-timeout): one hung test cannot eat the step
TEST_FILES = ["tests/test_ops.py", "tests/test_nn_functional.py", "tests/test_nn_modules.py",
              "tests/test_autograd.py", "tests/test_deform.py", "tests/test_special.py",
              "tests/test_cupy_kernels.py", "tests/test_dlpack.py"]


def write(path: str | Path, text: str) -> None:
    """Write a report file (its folder made if needed)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)


def version(name: str) -> str:
    """An installed distribution's version, or why there is none (nothing is imported)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


# ---- versions ---------------------------------------------------------------------------------
def versions(args: argparse.Namespace) -> int:
    """versions.txt: the machine, the libraries, the GPU as CuPy, torch and nvidia-smi see it."""
    import minigrad as mg

    lines = [f"date (UTC): {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())}",
             f"device under test: {args.device}" + (
                 " (dry run: NumPy stands in for the GPU)" if args.device != "cuda" else ""),
             f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
             f"python: {sys.version.split()[0]} ({sys.executable})",
             f"minigrad: {mg.__version__} ({Path(mg.__file__).parent})",
             f"numpy: {np.__version__}",
             f"CUPY_NVRTC_USE_PCH={os.environ.get('CUPY_NVRTC_USE_PCH', '(unset)')} "
             f"(precompiled headers for CuPy's kernels: NVRTC 12.8 and later)"]
    lines += [f"{name}: {version(name)}" for name in (
        "cupy-cuda13x", "cupy-cuda12x", "cupy", "torch", "pytest", "hypothesis",
        "pytest-xdist", "pytest-timeout", "matplotlib", "array-api-strict")]
    cuda = mg.get_backend("cuda")
    lines.append(f"minigrad cuda backend available: {cuda.is_available()}"
                 + ("" if cuda.is_available() else f" ({cuda.reason})"))
    if cuda.is_available():
        try:
            cp = cuda.xp
            props = cp.cuda.runtime.getDeviceProperties(0)
            name = props["name"]
            name = name.decode() if isinstance(name, bytes) else name
            lines += [f"cupy: {cp.__version__}, CUDA runtime "
                      f"{cp.cuda.runtime.runtimeGetVersion()}, driver "
                      f"{cp.cuda.runtime.driverGetVersion()}",
                      f"cupy device 0: {name}, compute capability {props['major']}."
                      f"{props['minor']}, {props['totalGlobalMem'] / 2**30:.1f} GiB, "
                      f"{props['multiProcessorCount']} multiprocessors"]
        except Exception as e:  # a missing property must not hide the rest
            lines.append(f"cupy: device properties unreadable ({type(e).__name__}: {e})")
    try:
        import torch

        lines.append(f"torch: {torch.__version__}, built for CUDA {torch.version.cuda}, "
                     f"cuda available: {torch.cuda.is_available()}"
                     + (f" ({torch.cuda.get_device_name(0)})"
                        if torch.cuda.is_available() else ""))
    except ImportError as e:
        lines.append(f"torch: cannot import ({e})")
    lines += nvidia_smi()
    write(args.out, "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if args.device != "cuda" or cuda.is_available() else 1


def nvidia_smi() -> list[str]:
    """nvidia-smi's banner line (driver and CUDA versions) and one query line per GPU."""
    if shutil.which("nvidia-smi") is None:
        return ["nvidia-smi: not found"]
    lines = []
    for command in (["nvidia-smi"], ["nvidia-smi", "--format=csv,noheader", "--query-gpu="
                                     "name,driver_version,memory.total,clocks.max.sm,pstate,"
                                     "temperature.gpu,utilization.gpu,power.draw"]):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=30)
            out = done.stdout.splitlines()
        except (OSError, subprocess.TimeoutExpired) as e:
            out = [f"failed: {e}"]
        if len(command) == 1:
            out = [line.strip(" |") for line in out if "Driver Version" in line] or out[:3]
        lines += [f"nvidia-smi: {line.strip()}" for line in out]
    return lines


# ---- tests ------------------------------------------------------------------------------------
def device_keyword(device: str) -> str:
    """pytest's -k expression for the tests of the device under test (on the dry run the
    kernels' C++ stand-in, device "cxx", runs beside the CPU tests)."""
    return "cuda" if device == "cuda" else "cpu or cxx"


def tests(args: argparse.Namespace) -> int:
    """tests.txt: the op and nn suites (and the kernels' tests) on the device, with
    MINIGRAD_REQUIRE_GPU=1 on the GPU; any skip of a test of that device counts as a failure.
    Hypothesis profile ``gpu`` (no shrinking), and TEST_TIMEOUT seconds per test where
    pytest-timeout is installed."""
    files, keyword = TEST_FILES, device_keyword(args.device)
    if args.quick:  # the kernels' tests and the convolution rows of the nn table
        files = ["tests/test_cupy_kernels.py", "tests/test_nn_functional.py"]
        keyword = f"({keyword}) and (cxx or conv2d or unfold)"
    env = dict(os.environ, HYPOTHESIS_PROFILE=os.environ.get("HYPOTHESIS_PROFILE", "gpu"),
               PYTHONPATH=str(ROOT))
    if args.device == "cuda":
        env["MINIGRAD_REQUIRE_GPU"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        command = [sys.executable, "-m", "pytest", *files, "-k", keyword, "-v", "-rfEs",
                   "--tb=short", "-p", "no:cacheprovider", f"--junitxml={junit}"]
        workers = xdist_workers(args)
        if workers > 1:
            command += ["-n", str(workers)]
        if installed("pytest_timeout"):
            command += ["--timeout", str(TEST_TIMEOUT)]
        start = time.perf_counter()
        rc, output = run_group(command, env, args.timeout)
        seconds = time.perf_counter() - start
        counts = junit_counts(junit, args.device) if junit.exists() else None
    print(output)
    head = [f"pytest on device {args.device}"
            + (" with MINIGRAD_REQUIRE_GPU=1" if args.device == "cuda" else " (dry run)")
            + f", HYPOTHESIS_PROFILE={env['HYPOTHESIS_PROFILE']}, "
            + (f"{workers} workers" if workers > 1 else "1 process")
            + f", {seconds:.1f} s, pytest exit code {rc}",
            "command: " + " ".join(command[1:]).replace(str(junit), "JUNIT")]
    if counts is None:  # what finished before the end, from pytest's -v lines
        tally = dict.fromkeys(("PASSED", "FAILED", "ERROR", "SKIPPED"), 0)
        failed = []
        for line in output.splitlines():
            outcome = next((w for w in tally if w in line.split()), None)
            if outcome and "::" in line:
                tally[outcome] += 1
                if outcome in ("FAILED", "ERROR"):
                    failed.append(line.strip())
        write(args.out, "\n".join(head + [
            "FAIL: pytest did not finish; before that: " + ", ".join(
                f"{n} {word.lower()}" for word, n in tally.items()), "", *failed[:40], "",
            *output.splitlines()[-40:]]) + "\n")
        return 1
    ok = (rc == 0 and counts["failed"] == counts["errors"] == counts["device skips"] == 0
          and counts["passed"] > 0)
    lines = head + [f"{'PASS' if ok else 'FAIL'}: {counts['passed']} passed, "
                    f"{counts['failed']} failed, {counts['errors']} errors, "
                    f"{counts['skipped']} skipped ({counts['device skips']} of them tests of "
                    f"device {args.device}, counted as failures)", ""]
    for kind in ("failures", "skips"):
        if counts[kind]:
            lines.append(f"{kind}:")
            lines += [f"  {name}: {message}" for name, message in counts[kind][:60]]
            lines += [f"  ... and {len(counts[kind]) - 60} more"] * (len(counts[kind]) > 60)
    lines += ["", "pytest's last lines:", *output.strip().splitlines()[-15:]]
    write(args.out, "\n".join(lines) + "\n")
    return 0 if ok else 1


def installed(module: str) -> bool:
    """Whether a module can be imported here (pytest-xdist's, pytest-timeout's)."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def xdist_workers(args: argparse.Namespace) -> int:
    """How many pytest-xdist workers: GPU_CHECK_WORKERS where it is set (the suite's dry run
    sets 8, the GPU machine's count), else up to 8 on the GPU machine; 1 without xdist."""
    if not installed("xdist"):
        return 1
    if os.environ.get("GPU_CHECK_WORKERS"):
        return max(1, int(os.environ["GPU_CHECK_WORKERS"]))
    if args.device != "cuda" or args.quick:
        return 1
    return max(1, min(8, (os.cpu_count() or 2) // 2))


def junit_counts(path: Path, device: str) -> dict[str, Any]:
    """Passed, failed, errors and skipped from a JUnit XML report, with the failures' and
    skips' first lines; a skip of a test parametrized with ``device`` is a "device skip"."""
    counts: dict[str, Any] = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0,
                              "device skips": 0, "failures": [], "skips": []}
    pattern = re.compile(rf"\[(.*-)?{re.escape(device)}(-.*)?\]")
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome = next((c for c in case if c.tag in ("failure", "error", "skipped")), None)
        if outcome is None:
            counts["passed"] += 1
            continue
        message = (outcome.get("message") or outcome.text or "").strip().splitlines()
        first = message[0][:200] if message else ""
        if outcome.tag == "skipped":
            counts["skipped"] += 1
            counts["skips"].append((name, first))
            counts["device skips"] += bool(pattern.search(case.get("name", "")))
        else:
            counts["failed" if outcome.tag == "failure" else "errors"] += 1
            counts["failures"].append((name, first))
    return counts


# ---- agreement ---------------------------------------------------------------------------------
def agreement(args: argparse.Namespace) -> int:
    """agreement.json: every row of the op and nn.functional tables, on hypothesis examples
    drawn once, run in float32 on the CPU and on the device; outputs and input gradients
    within float32 tolerance."""
    import minigrad.nn.functional as F
    from tests.test_nn_functional import cases as nn_cases
    from tests.test_ops import cases as op_cases

    tables = [("ops", op_cases(), None), ("nn.functional", nn_cases(), F)]
    deadline = time.perf_counter() + args.timeout - 10  # time to write what was found
    rows = []
    for table, cases, functional in tables:
        for case in cases:
            if time.perf_counter() > deadline:
                rows.append(case_row(table, case.name, [], "not run: out of time"))
                continue
            found: list[dict[str, Any]] = []
            error = ""
            try:
                examples(case, functional, args, found)()
            except Exception as e:  # a draw that hypothesis refused, or the runner itself
                error = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            rows.append(case_row(table, case.name, found, error))
    agree = [r for r in rows if r["agree"]]
    report = {"device": args.device, "reference": "cpu", "dtype": "float32",
              "tolerance": f"|a - b| <= {ATOL} * max(1, max|b|) + {RTOL} * |b|; integers "
                           f"and booleans exactly",
              "examples per case": args.examples, "cases": len(rows), "agree": len(agree),
              "differ": [r["case"] for r in rows if not r["agree"]], "rows": rows}
    write(args.out, json.dumps(report, indent=1) + "\n")
    print(f"{len(agree)} of {len(rows)} cases agree on {args.device} and the CPU "
          f"({args.examples} examples each)")
    for r in rows:
        if not r["agree"]:
            print(f"  {r['case']}: {r['problems'][:3]}")
    return 0 if len(agree) == len(rows) and rows else 1


def examples(case: Any, functional: Any, args: argparse.Namespace,
             found: list[dict[str, Any]]) -> Callable[[], None]:
    """A hypothesis test drawing ``args.examples`` examples of one table row (the same ones on
    every run: derandomized), each compared on the CPU and the device into ``found``."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=args.examples, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data: Any) -> None:
        arrays, params = case.draw(data)
        found.append(compare(case, functional, arrays, params, args.device))

    return run


def flat_tensors(out: Any) -> list[Any]:
    """The tensors in an op's result (a tensor, or a tuple such as max's values and indices)."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat_tensors(o)]
    return [out] if hasattr(out, "detach") else []


def run_case(case: Any, functional: Any, arrays: Sequence[np.ndarray], params: dict,
             where: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """One example on one device in float32: the outputs, and each input's gradient for a
    fixed upstream gradient of the first output."""
    import minigrad as mg
    from tests.op_table import Lib

    xs = [mg.tensor(a, dtype=mg.float32, device=where, requires_grad=case.grad) for a in arrays]
    params = {k: in_float32(v) for k, v in params.items()}  # (batch_norm's running stats)
    outs = flat_tensors(case.fn(Lib(mg, where, functional), *xs, **params))
    values = [o.detach().cpu().numpy() for o in outs]
    grads: list[np.ndarray] = []
    if case.grad and outs and outs[0].requires_grad:
        upstream = np.random.default_rng(0).standard_normal(values[0].shape)
        outs[0].backward(mg.tensor(upstream, dtype=outs[0].dtype, device=where))
        grads = [np.zeros(x.shape, np.float32) if x.grad is None else x.grad.cpu().numpy()
                 for x in xs]
    return values, grads


def in_float32(value: Any) -> Any:
    """A parameter with its float64 arrays (in tuples and lists too) in float32."""
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value.astype(np.float32)
    if isinstance(value, (tuple, list)):
        return type(value)(in_float32(v) for v in value)
    return value


def compare(case: Any, functional: Any, arrays: Sequence[np.ndarray], params: dict,
            device: str) -> dict[str, Any]:
    """One example on the CPU and on the device: the worst error over its tolerance (<= 1
    agrees) of its outputs and gradients, or what went wrong."""
    try:
        cpu = run_case(case, functional, arrays, params, "cpu")
    except Exception as e:  # the CPU refuses this example too: not a disagreement
        return {"worst": 0.0, "problems": [], "refused": f"{type(e).__name__}: {e}"[:200]}
    try:
        ours = run_case(case, functional, arrays, params, device)
    except Exception as e:
        return {"worst": float("inf"), "problems": [f"raised {type(e).__name__}: {e}"[:300]]}
    worst, problems = 0.0, []
    for kind, a_list, b_list in (("output", ours[0], cpu[0]), ("gradient", ours[1], cpu[1])):
        if len(a_list) != len(b_list):
            problems.append(f"{len(a_list)} {kind}s on {device}, {len(b_list)} on the CPU")
            worst = float("inf")
        for i, (a, b) in enumerate(zip(a_list, b_list)):
            ratio = excess(a, b)
            if ratio > 1:
                problems.append(f"{kind} {i}: {describe(a, b)}")
            worst = max(worst, ratio)
    return {"worst": worst, "problems": problems}


def excess(a: np.ndarray, b: np.ndarray) -> float:
    """The largest |a - b| over its float32 tolerance (inf for a shape or dtype mismatch, or
    any difference of integers or booleans)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return float("inf")
    if a.dtype.kind not in "fc":
        return 0.0 if np.array_equal(a, b) else float("inf")
    if not b.size:
        return 0.0
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    same = (a64 == b64) | (np.isnan(a64) & np.isnan(b64))  # inf agrees with inf, NaN with NaN
    magnitude = np.where(np.isfinite(b64), np.abs(b64), 0.0)
    tol = ATOL * max(1.0, float(magnitude.max())) + RTOL * magnitude
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(a64 - b64)
    ratio = np.where(same, 0.0, np.where(np.isfinite(err), err / tol, np.inf))
    return float(ratio.max())


def describe(a: np.ndarray, b: np.ndarray) -> str:
    """Where two arrays differ most, in words."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return f"{a.dtype}{list(a.shape)} vs {b.dtype}{list(b.shape)} on the CPU"
    diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
    i = np.unravel_index(int(np.nanargmax(np.where(np.isnan(diff), np.inf, diff))), a.shape)
    return f"max |diff| {diff[i]:.3g} at {tuple(int(k) for k in i)} ({a[i]!r} vs {b[i]!r})"


def case_row(table: str, name: str, found: list[dict[str, Any]], error: str) -> dict[str, Any]:
    """One row of agreement.json."""
    compared = [f for f in found if "refused" not in f]
    worst = max((f["worst"] for f in compared), default=0.0)
    problems = [p for f in compared for p in f["problems"]][:5] + ([error] if error else [])
    return {"table": table, "case": name, "examples": len(compared),
            "refused by the CPU too": len(found) - len(compared),
            "worst error / tolerance": None if worst == float("inf") else round(worst, 4),
            "agree": bool(compared) and worst <= 1 and not error, "problems": problems}


# ---- LeNet, 100 steps on both devices ----------------------------------------------------------
def lenet(args: argparse.Namespace) -> int:
    """lenet_curves.csv (and .png with matplotlib): LeNet trained from one seed, the same
    batches, on the CPU and on the device, the two loss curves side by side."""
    images, labels = lenet_data(args.steps, args.batch)
    curves, seconds = [], []  # the CPU's run, then the device's (in a dry run the CPU again)
    for where in ("cpu", args.device):
        start = time.perf_counter()
        try:
            curves.append(train_lenet(where, images, labels))
        except Exception as e:  # the curve stays NaN: the step fails, the file is written
            print(f"training on {where} failed: {type(e).__name__}: {e}")
            curves.append([float("nan")] * args.steps)
        seconds.append(time.perf_counter() - start)
    cpu, ours = map(np.array, curves)
    diff = np.abs(ours - cpu)
    column = f"loss_{args.device}" if args.device != "cpu" else "loss_stand_in"
    with open(args.out, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["step", "loss_cpu", column, "abs_diff"])
        for i, (a, b, d) in enumerate(zip(cpu, ours, diff)):
            out.writerow([i, f"{a:.7f}", f"{b:.7f}", f"{d:.3g}"])
    plot_curves(Path(args.out).with_suffix(".png"), cpu, ours, args.device)
    ok = bool(np.isfinite(diff).all()) and float(diff.max()) <= LENET_TOL * max(
        1.0, float(np.abs(cpu).max()))
    print(f"LeNet, {args.steps} Adam steps at batch {args.batch}: loss {cpu[0]:.4f} -> "
          f"{cpu[-1]:.4f} on the CPU ({seconds[0]:.1f} s), {ours[0]:.4f} -> {ours[-1]:.4f} "
          f"on {args.device} ({seconds[1]:.1f} s); largest difference "
          f"{diff.max():.3g} (step {int(diff.argmax())}): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def lenet_data(steps: int, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """A learnable task with no download: each image is one of ten random 28x28 templates
    (its label) plus noise; every step's batch drawn once, from seed 0."""
    rng = np.random.default_rng(0)
    templates = rng.standard_normal((10, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, (steps, batch))
    noise = rng.standard_normal((steps, batch, 1, 28, 28)).astype(np.float32)
    return templates[labels] + 0.5 * noise, labels


def train_lenet(where: str, images: np.ndarray, labels: np.ndarray) -> list[float]:
    """The demo's LeNet from seed 0 (the same weights on every device), Adam at the demo's
    learning rate, one step per batch; the loss of each step."""
    import minigrad as mg
    import minigrad.nn as nn
    from demos.lenet import lenet as make_lenet

    mg.manual_seed(0)
    model = make_lenet(nn).to(where)
    optimizer = mg.optim.Adam(model.parameters(), lr=0.005)
    losses = []
    for x, y in zip(images, labels):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(mg.tensor(x, device=where)),
                                           mg.tensor(y, device=where))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def plot_curves(path: Path, cpu: np.ndarray, ours: np.ndarray, device: str) -> None:
    """The two curves and their difference, where matplotlib is installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    top.plot(cpu, label="cpu (NumPy)")
    top.plot(ours, "--", label=device if device == "cuda" else f"{device} (standing in for cuda)")
    top.set_ylabel("loss")
    top.legend()
    bottom.semilogy(np.abs(ours - cpu) + 1e-12)
    bottom.set_ylabel("|difference|")
    bottom.set_xlabel("step")
    fig.suptitle("LeNet from one seed on both devices")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


# ---- benchmarks -------------------------------------------------------------------------------
def bench(args: argparse.Namespace) -> int:
    """bench.md: benchmarks/gpu_bench.py's table (minigrad beside torch on the device), each
    row written as it finishes: a timeout keeps the rows done before it."""
    options = (["--repeat", "1", "--budget", "0.001", "--pause", "0"] if args.quick
               else ["--repeat", "10", "--budget", "0.1", "--pause", "0.05"])
    env = dict(os.environ)
    if args.quick:
        env["GPU_BENCH_CASES"] = "lenet_step_b64,conv_lenet2_b256"
    intro = (f"# Benchmarks on {args.device}" + (" (dry run: NumPy stands in for the GPU)"
                                                  if args.device != "cuda" else "")
             + "\n\nMedian milliseconds per step (forward, backward and, for LeNet, the SGD "
             "update), each library in its own process, timers synchronized with the device, "
             "torch without TF32; ratio = minigrad / torch (lower is better).\n\n")
    write(args.out, intro)
    return stream_table(["benchmarks/gpu_bench.py", "--device", args.device, "--rounds", "1",
                         "--no-memory", *options], env, args.timeout, Path(args.out))


def epoch(args: argparse.Namespace) -> int:
    """Appends to bench.md: one MNIST epoch of both libraries (bench_epoch.py), when the
    IDX files are in MNIST_DIR (or --data-dir); else a note, and exit code 3 (skipped)."""
    folder = args.data_dir or os.environ.get("MNIST_DIR") or os.environ.get("MINIGRAD_MNIST_DIR")
    note = "\n## One MNIST epoch (batch 256)\n\n"
    if not folder or not Path(folder, "train-images-idx3-ubyte.gz").exists():
        with open(args.out, "a") as f:
            f.write(note + f"Skipped: no MNIST files (set MNIST_DIR to a folder with the IDX "
                           f"files; got {folder!r}).\n")
        print("no MNIST files: the epoch is skipped")
        return SKIPPED
    command = ["benchmarks/bench_epoch.py", "--data-dir", folder, "--device", args.device,
               "--repeat", "1", "--pause", "0", "--no-memory"]
    with open(args.out, "a") as f:
        f.write(note)
    return stream_table(command, dict(os.environ), args.timeout, Path(args.out))


def stream_table(command: list[str], env: dict[str, str], timeout: float, out: Path) -> int:
    """Run a benchmark script (``python command...``), appending each line it prints to
    ``out`` as it comes (the table's rows as their cases finish); past ``timeout`` seconds its
    process group is killed and a note says so under the rows it finished. Its exit code
    (124 on a timeout)."""
    with tempfile.TemporaryFile("w+") as err, open(out, "a") as table:
        process = subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=err, start_new_session=True)

        def copy() -> None:
            for line in process.stdout:  # type: ignore[union-attr]
                table.write(line)
                table.flush()
                print(line, end="", flush=True)

        reader = threading.Thread(target=copy, daemon=True)
        reader.start()
        try:
            rc = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the script and its worker processes
            process.wait()
            rc = 124
        reader.join(10)
        err.seek(0)
        errors = err.read()
        print(errors, end="")
        if rc == 124:
            table.write(f"\nTimed out after {timeout:.0f} s: {' '.join(command)} (the rows "
                        f"above finished)\n")
        elif rc:
            table.write(f"\nFailed (exit code {rc}): {' '.join(command)}\n\n"
                        + "\n".join(errors.strip().splitlines()[-10:]) + "\n")
    return rc


def run_group(command: list[str], env: dict[str, str], timeout: float) -> tuple[int, str]:
    """Run a command in a process group of its own; its exit code (124 when it ran past
    ``timeout`` seconds, and then the whole group, pytest-xdist's workers too, is killed) and
    its output (stdout, then stderr)."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
        rc = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        rc, err = 124, err + f"\n... timed out after {timeout:.0f} s"
    return rc, out + err


# ---- summary ----------------------------------------------------------------------------------
STEPS = ["versions", "tests", "agreement", "lenet", "bench", "epoch"]


def summary(args: argparse.Namespace) -> int:
    """summary.md (also printed): each step's result and time, and the headlines of each
    report; exit code 0 when every step passed or was skipped."""
    report = Path(args.report)
    results = {}
    for item in args.results:
        name, rc, seconds = item.split(":")
        results[name] = (int(rc), float(seconds))
    rows, passed = [], True
    for name in STEPS:
        if name not in results:
            rows.append(f"| {name} | not run | | |")
            continue
        rc, seconds = results[name]
        status = {0: "pass", SKIPPED: "skipped", 124: "TIMEOUT", 137: "KILLED"}.get(
            rc, f"FAIL (exit {rc})")
        passed &= rc in (0, SKIPPED)
        rows.append(f"| {name} | {status} | {seconds:.0f} | {headline(name, report)} |")
    title = "PASS" if passed and all(s in results for s in STEPS) else (
        "PASS (some steps not run)" if passed else "FAIL")
    lines = [f"# GPU check: {title}", "",
             f"Device under test: {args.device}" + (
                 " (dry run: NumPy stands in for the GPU)" if args.device != "cuda" else ""),
             *[f"- {line}" for line in key_versions(report)], "",
             "| step | result | seconds | details |", "|---|---|---:|---|", *rows, ""]
    bench_md = report / "bench.md"
    if bench_md.exists():
        lines += ["## Benchmarks", "", *[line for line in bench_md.read_text().splitlines()
                                          if line.startswith(("|", "Skipped", "Failed",
                                                              "Timed out", "# minigrad"))], ""]
    write(report / "summary.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if passed else 1


def key_versions(report: Path) -> list[str]:
    """The lines of versions.txt that say what ran."""
    path = report / "versions.txt"
    if not path.exists():
        return ["versions.txt missing"]
    keep = ("minigrad:", "numpy:", "cupy:", "cupy device", "torch:", "nvidia-smi:",
            "minigrad cuda")
    return [line for line in path.read_text().splitlines() if line.startswith(keep)]


def headline(name: str, report: Path) -> str:
    """One line on a step's outcome, read from its report file."""
    try:
        if name == "tests":
            return (report / "tests.txt").read_text().splitlines()[2].replace("|", "/")
        if name == "agreement":
            data = json.loads((report / "agreement.json").read_text())
            differ = ", ".join(data["differ"][:8]) or "none"
            n = data["examples per case"]
            return (f"{data['agree']} of {data['cases']} cases agree ({n} example"
                    f"{'s' if n != 1 else ''} each); differ: {differ}")
        if name == "lenet":
            rows = list(csv.DictReader(open(report / "lenet_curves.csv")))
            first, last = rows[0], rows[-1]
            worst = max(float(r["abs_diff"]) for r in rows)
            ours = [k for k in first if k.startswith("loss_") and k != "loss_cpu"][0]
            return (f"{len(rows)} steps: loss {float(first['loss_cpu']):.3f} -> "
                    f"{float(last['loss_cpu']):.3f} (cpu), {float(last[ours]):.3f} ({ours[5:]});"
                    f" largest difference {worst:.2g}")
        if name in ("bench", "epoch"):
            text = (report / "bench.md").read_text().split("## One MNIST epoch")
            part = text[0] if name == "bench" else text[-1] if len(text) > 1 else ""
            rows = [[c.strip() for c in line.split("|")[1:-1]] for line in part.splitlines()
                    if line.startswith("| ") and not line.startswith("| case")]
            notes = [line for line in part.splitlines()
                     if line.startswith(("Skipped", "Failed", "Timed out"))]
            ratios = ", ".join(f"{r[0]}: {r[1]} vs {r[2]} ({r[3]})" for r in rows)
            unit = "s" if name == "epoch" else "ms"
            return (f"minigrad vs torch, {unit} (ratio): {ratios}" if rows else "") + (
                " " + notes[0][:150] if notes else "")
        if name == "versions":
            return next((line for line in key_versions(report) if "nvidia-smi" in line),
                        "")[:150].replace("|", "/")
    except (OSError, IndexError, KeyError, ValueError, StopIteration) as e:
        return f"(no report: {type(e).__name__})"
    return ""


# ---- the command line -------------------------------------------------------------------------
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "versions": versions, "tests": tests, "agreement": agreement, "lenet": lenet,
    "bench": bench, "epoch": epoch, "summary": summary}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one step; its exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("results", nargs="*",
                        help="summary: name:exit-code:seconds of each step that ran")
    parser.add_argument("--device", default="cuda", help="the device under test")
    parser.add_argument("--out", help="the report file this step writes")
    parser.add_argument("--report", help="summary: the report folder")
    parser.add_argument("--quick", action="store_true", help="small sizes (the suite's dry run)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds for a subprocess")
    parser.add_argument("--examples", type=int, default=5, help="agreement: examples per case")
    parser.add_argument("--steps", type=int, default=100, help="lenet: training steps")
    parser.add_argument("--batch", type=int, default=64, help="lenet: batch size")
    parser.add_argument("--data-dir", help="epoch: the MNIST folder (default $MNIST_DIR)")
    args = parser.parse_intermixed_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
