"""What the benchmark scripts share: thread settings, interleaved timing, peak memory.

Each case is a function ``case(lib, device) -> step`` written once against ``lib`` (minigrad
or torch); ``step()`` runs one forward+backward. Both libraries run in the same process, in
alternating timed batches, and the table reports medians and their ratio (minigrad / torch).
Peak memory is measured in a fresh process per case and library that imports only that
library: the peak resident set size (VmHWM) of building the case and running three steps.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Case = Callable[[Any, str], Callable[[], None]]

# the repository root, so that the cases can build the demo's LeNet (demos/lenet.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def parse_args(doc: str) -> argparse.Namespace:
    """The common options; sets the thread count before NumPy or torch is imported."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for both libraries")
    parser.add_argument("--repeat", type=int, default=15, help="timed batches per case")
    parser.add_argument("--budget", type=float, default=0.2, help="seconds per timed batch")
    parser.add_argument("--no-memory", action="store_true", help="skip peak memory")
    parser.add_argument("--memory-of", nargs=2, metavar=("CASE", "LIB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # before NumPy and torch load their BLAS
    return args


def load_library(name: str, args: argparse.Namespace) -> tuple[Any, Callable[[], None]]:
    """Import one library (only it: the memory figures must not include the other) and its
    synchronize function (GPU work is asynchronous)."""
    if name == "torch":
        import torch

        torch.set_num_threads(args.threads)
        sync = torch.cuda.synchronize if args.device.startswith("cuda") else lambda: None
        return torch, sync
    import minigrad as mg

    return mg, mg.get_backend(mg.device(args.device).type).synchronize


def libraries(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Callable]]:
    """minigrad and torch, and a synchronize function for each."""
    loaded = {name: load_library(name, args) for name in ("minigrad", "torch")}
    return ({name: lib for name, (lib, _) in loaded.items()},
            {name: sync for name, (_, sync) in loaded.items()})


def batch_time(step: Callable[[], None], sync: Callable[[], None], number: int) -> float:
    """Seconds per call of ``step``, from one timed batch of ``number`` calls."""
    sync()
    start = time.perf_counter()
    for _ in range(number):
        step()
    sync()
    return (time.perf_counter() - start) / number


def compare(case: Case, args: argparse.Namespace, libs: dict[str, Any],
            syncs: dict[str, Callable]) -> dict[str, float]:
    """Median milliseconds per step of ``case`` for each library, timed in alternation."""
    for lib in libs.values():
        lib.manual_seed(0)
    steps = {name: case(lib, args.device) for name, lib in libs.items()}
    numbers = {}
    for name, step in steps.items():  # warm up, then size a batch to the budget
        one = batch_time(step, syncs[name], 2)
        numbers[name] = max(1, int(args.budget / max(one, 1e-7)))
    times: dict[str, list[float]] = {name: [] for name in libs}
    for _ in range(args.repeat):
        for name, step in steps.items():
            times[name].append(batch_time(step, syncs[name], numbers[name]))
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def _status_mib(field: str) -> float:
    """A memory figure of this process from /proc (Linux): VmRSS now, VmHWM its peak.

    (``getrusage``'s ru_maxrss would not do: a child inherits its parent's peak.)
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_memory(case: Case, lib_name: str, args: argparse.Namespace) -> None:
    """(In the child process, which imports only ``lib_name``) print the process's peak RSS
    over building ``case`` and running three steps, in MiB."""
    lib, sync = load_library(lib_name, args)
    lib.manual_seed(0)
    step = case(lib, args.device)
    for _ in range(3):
        step()
    sync()
    print(_status_mib("VmHWM"))


def peak_memory(script: str, case: Case, lib_name: str, args: argparse.Namespace) -> float:
    """Peak RSS of a fresh process running ``case`` with one library (so neither earlier cases
    nor the other library count): the memory a user of that library needs."""
    cmd = [sys.executable, script, "--memory-of", case.__name__, lib_name, "--device",
           args.device, "--threads", str(args.threads)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def run(script: str, doc: str, cases: list[Case], extra_rows: Callable | None = None) -> None:
    """Print the table for ``cases``: medians, ratio and (on the CPU) peak memory."""
    args = parse_args(doc)
    if args.memory_of:
        name, lib_name = args.memory_of
        measure_memory(next(c for c in cases if c.__name__ == name), lib_name, args)
        return
    import numpy as np

    libs, syncs = libraries(args)
    mg, torch = libs["minigrad"], libs["torch"]
    memory = not args.no_memory and args.device == "cpu"
    print(f"# minigrad {mg.__version__} (NumPy {np.__version__}) vs torch {torch.__version__}; "
          f"device {args.device}, {args.threads} threads, median of {args.repeat} batches; "
          f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.system()}")
    head = "| case | minigrad (ms) | torch (ms) | ratio |"
    rule = "|---|---:|---:|---:|"
    if memory:
        head += " minigrad peak RSS (MiB) | torch peak RSS (MiB) |"
        rule += "---:|---:|"
    print(head)
    print(rule)
    for case in cases:
        ms = compare(case, args, libs, syncs)
        m, t = ms["minigrad"], ms["torch"]
        row = f"| {case.__name__.replace('_', ' ')} | {m:.3f} | {t:.3f} | {m / t:.2f} |"
        if memory:
            row += "".join(f" {peak_memory(script, case, name, args):.1f} |" for name in libs)
        print(row, flush=True)
        if extra_rows is not None:
            extra_rows(case, m, t)
