"""LeNet training steps on a loaded machine: minigrad and PyTorch beside a busy neighbour.

    python benchmarks/bench_load.py              # 1 busy process beside each run (2 cores)
    python benchmarks/bench_load.py --busy 0     # the same, unloaded

Each setting runs in a fresh worker process that times LeNet SGD steps (batch 64, the demo's)
for ``--seconds``, while ``--busy`` other processes spin on the CPUs (pure Python loops, as
another user's job would). The settings: each library with 2 threads and with 1, and
minigrad's ``FollowFreeCpus`` (the demo's ``--threads auto``), which reads the free CPUs as it
trains. A run's figure is its mean step time (what an epoch takes, stalls included); the table
gives each setting's median over the runs, unloaded and loaded, and their ratio. The settings
run in turns, so the machine's own noise falls on all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = [("minigrad", "2"), ("minigrad", "1"), ("minigrad", "auto"),
            ("torch", "2"), ("torch", "1")]


def worker(lib_name: str, threads: str, seconds: float) -> None:
    """(In a fresh process) time LeNet SGD steps; print the step times as JSON."""
    if threads != "auto":
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = threads  # before NumPy or torch load their BLAS
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_nn import lenet_step

    follow = lambda: None  # noqa: E731
    if lib_name == "torch":
        import torch as lib

        lib.set_num_threads(int(threads))
    else:
        import minigrad as lib

        if threads == "auto":
            follow = lib.threads.FollowFreeCpus()
    lib.manual_seed(0)
    step = lenet_step(64)(lib, "cpu")  # the SGD step bench_all times
    for _ in range(5):
        step()
    times: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        follow()
        tic = time.perf_counter()
        step()
        times.append(time.perf_counter() - tic)
    print(json.dumps(times))


def run(lib_name: str, threads: str, seconds: float) -> float:
    """The mean step time (s) of one fresh worker process."""
    out = subprocess.run([sys.executable, __file__, "--worker", lib_name, threads,
                          "--seconds", str(seconds)], capture_output=True, text=True, check=True)
    return statistics.mean(json.loads(out.stdout.splitlines()[-1]))


def measure(busy: int, seconds: float, rounds: int) -> dict[tuple[str, str], float]:
    """Median ms per step of every setting, with ``busy`` spinning processes beside it."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(busy)]
    times: dict[tuple[str, str], list[float]] = {s: [] for s in SETTINGS}
    try:
        time.sleep(0.5 if busy else 0)
        for _ in range(rounds):
            for setting in SETTINGS:
                times[setting].append(run(*setting, seconds))
    finally:
        for p in spinners:
            p.kill()
            p.wait()
    return {s: statistics.median(t) * 1e3 for s, t in times.items()}


def main() -> None:
    """Print the table: unloaded and loaded medians for each setting."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--busy", type=int, default=1, help="busy processes beside each run")
    p.add_argument("--seconds", type=float, default=4.0, help="seconds of steps per run")
    p.add_argument("--rounds", type=int, default=3, help="turns over all the settings")
    p.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(*args.worker, args.seconds)
        return
    quiet = measure(0, args.seconds, args.rounds)
    loaded = measure(args.busy, args.seconds, args.rounds) if args.busy else quiet
    print(f"# LeNet SGD step, batch 64; {os.cpu_count()} cores; {args.busy} busy process(es) "
          f"beside the loaded runs; mean step time, median of {args.rounds} runs x "
          f"{args.seconds} s")
    print("| library | threads | unloaded (ms) | loaded (ms) | loaded / unloaded |")
    print("|---|---|---:|---:|---:|")
    for s in SETTINGS:
        print(f"| {s[0]} | {s[1]} | {quiet[s]:.2f} | {loaded[s]:.2f} | "
              f"{loaded[s] / quiet[s]:.2f} |")


if __name__ == "__main__":
    main()
