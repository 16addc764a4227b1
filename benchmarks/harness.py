"""What the benchmark scripts share: thread settings, alternating timing, peak memory.

Each case is a function ``case(lib, device) -> step`` written once against ``lib`` (minigrad
or torch); ``step()`` runs one forward+backward. Every case runs in two fresh worker
processes, one per library, each computing with only its library: as a user runs it, so
neither library's threads, allocator settings or memory touch the other's figures (the torch
worker imports minigrad's Python modules for the demo's LeNet definition, about 6 MiB of its
peak RSS, but never loads minigrad's array backend). The workers take
turns, one timed batch at a time with a short pause in between (idle BLAS and OpenMP threads
spin for a while before they sleep, and would steal the other's cores), so the machine's
noise falls on both alike; the batches are spread over a few fresh pairs of workers (a
process can be fast or slow for its whole life). The table reports the median of each library
and their ratio (minigrad / torch). Peak memory is the workers' peak resident set size (VmHWM).
"""

from __future__ import annotations

import argparse
import importlib.metadata
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
LIBRARIES = ("minigrad", "torch")

# the repository root, so that the cases can build the demo's LeNet (demos/lenet.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def parse_args(doc: str, repeat: int = 15, budget: float = 0.2) -> argparse.Namespace:
    """The common options; sets the thread count before NumPy or torch is imported."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for both libraries")
    parser.add_argument("--repeat", type=int, default=repeat, help="timed batches per case")
    parser.add_argument("--budget", type=float, default=budget, help="seconds per timed batch")
    parser.add_argument("--rounds", type=int, default=3,
                        help="fresh pairs of worker processes the batches are spread over")
    parser.add_argument("--pause", type=float, default=0.2,
                        help="seconds between batches, for the other library's threads to sleep")
    parser.add_argument("--no-memory", action="store_true", help="leave out peak memory")
    parser.add_argument("--without", default="", metavar="FAST_PATH,...",
                        help="compare minigrad with minigrad without these fast paths (by the "
                             "name of the op they stand in for, e.g. Relu,max_pool2d): an A/B "
                             "of what they buy, instead of a comparison with torch")
    parser.add_argument("--only", default="", metavar="CASE,...",
                        help="run only these cases (names as in the table, with underscores)")
    parser.add_argument("--worker", nargs=2, metavar=("CASE", "LIB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # before NumPy and torch load their BLAS
    return args


def load_library(name: str, args: argparse.Namespace) -> tuple[Any, Callable[[], None]]:
    """Import one library (only it) and its synchronize function (GPU work is asynchronous)."""
    if name == "torch":
        import torch

        torch.set_num_threads(args.threads)
        if args.device.startswith("cuda"):  # float32 as minigrad's: no TF32 in cuDNN or matmuls
            torch.backends.cudnn.allow_tf32 = False
            torch.backends.cuda.matmul.allow_tf32 = False
        sync = torch.cuda.synchronize if args.device.startswith("cuda") else lambda: None
        return torch, sync
    import minigrad as mg

    backend = mg.get_backend(mg.device(args.device).type)
    if name == "minigrad-without":  # the A/B's other side: some fast paths taken out
        names = set(args.without.split(","))
        table = backend.fast_table
        found = {k for k in table if getattr(k, "__name__", None) in names}
        missing = names - {k.__name__ for k in found}
        if missing:
            raise SystemExit(f"--without: no fast path named {', '.join(sorted(missing))} "
                             f"(they are: {', '.join(sorted(k.__name__ for k in table))})")
        for k in found:
            del table[k]
    return mg, backend.synchronize


def libraries(args: argparse.Namespace) -> tuple[str, str]:
    """The two sides of the table: minigrad and torch, or minigrad with and without some of
    its fast paths (--without)."""
    return ("minigrad", "minigrad-without") if args.without else LIBRARIES


def batch_time(step: Callable[[], None], sync: Callable[[], None], number: int) -> float:
    """Seconds per call of ``step``, from one timed batch of ``number`` calls."""
    sync()
    start = time.perf_counter()
    for _ in range(number):
        step()
    sync()
    return (time.perf_counter() - start) / number


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


def serve(case: Case, lib_name: str, args: argparse.Namespace) -> None:
    """(In a worker process) build ``case`` with one library, warm it up, then time a batch
    for every ``time`` line on stdin; on ``stop``, print the process's peak RSS in MiB."""
    lib, sync = load_library(lib_name, args)
    lib.manual_seed(0)
    step = case(lib, args.device)
    one = batch_time(step, sync, 1)  # warm up, then size a batch to the budget
    if one < args.budget:
        one = batch_time(step, sync, 2)
    number = max(1, int(args.budget / max(one, 1e-7)))
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "time":
            break
        print(batch_time(step, sync, number), flush=True)
    print(_status_mib("VmHWM"), flush=True)


class Worker:
    """A worker process running one case with one library, driven line by line."""

    def __init__(self, script: str, case: Case, lib_name: str, args: argparse.Namespace):
        cmd = [sys.executable, script, "--worker", case.__name__, lib_name, "--device",
               args.device, "--threads", str(args.threads), "--budget", str(args.budget),
               "--without", args.without]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.name = lib_name
        line = self._read()
        if line.strip() != "ready":  # built and warmed up; anything else is a stray print
            self.kill()
            raise RuntimeError(f"the {lib_name} worker said {line!r} instead of 'ready'")

    def _read(self) -> str:
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError(f"the {self.name} worker died (exit {self.proc.wait()})")
        return line

    def _send(self, line: str) -> str:
        self.proc.stdin.write(line + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        return self._read()

    def batch(self) -> float:
        """Seconds per step, from one timed batch."""
        return float(self._send("time"))

    def stop(self) -> float:
        """End the worker; its peak RSS in MiB."""
        peak = float(self._send("stop"))
        self.proc.wait()
        return peak

    def kill(self) -> None:
        """End a worker that failed, without waiting for an answer."""
        self.proc.kill()
        self.proc.wait()


def _rounds(args: argparse.Namespace) -> int:
    """How many pairs of workers run: ``--rounds``, but no more than there are batches."""
    return max(1, min(args.rounds, args.repeat))


def compare(script: str, case: Case, args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    """Median milliseconds per step of ``case`` and peak RSS (MiB) for each library.

    The batches are spread over ``--rounds`` pairs of fresh workers: a process can land in a
    fast or a slow mode for its whole life (where its memory was mapped, PyTorch's allocator),
    so one pair alone would make the ratio swing from run to run.
    """
    times: dict[str, list[float]] = {name: [] for name in libraries(args)}
    peaks: dict[str, float] = dict.fromkeys(libraries(args), 0.0)
    rounds = _rounds(args)
    for r in range(rounds):
        workers: list[Worker] = []
        try:
            for name in libraries(args):  # one after the other: each warms up alone
                workers.append(Worker(script, case, name, args))
            for _ in range(args.repeat // rounds + (r < args.repeat % rounds)):
                for w in workers:
                    time.sleep(args.pause)
                    times[w.name].append(w.batch())
            for w in workers:
                peaks[w.name] = max(peaks[w.name], w.stop())
        except BaseException:
            for w in workers:  # none left behind when one fails (or on Ctrl-C)
                w.kill()
            raise
    return {name: (statistics.median(t) * 1e3, peaks[name]) for name, t in times.items()}


def header(args: argparse.Namespace) -> str:
    """The machine and the versions the figures are from."""
    import numpy as np

    import minigrad as mg

    versus = (f"itself without {args.without}" if args.without
              else f"torch {importlib.metadata.version('torch')}"
              + (" (TF32 off)" if args.device.startswith("cuda") else ""))
    return (f"# minigrad {mg.__version__} (NumPy {np.__version__}) vs {versus}; "
            f"device {args.device}, {args.threads} "
            f"threads, median of {args.repeat} batches over {_rounds(args)} "
            f"pairs of processes, one library each; "
            f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {platform.system()}")


def run(script: str, doc: str, cases: list[Case], extra_rows: Callable | None = None,
        repeat: int = 15, budget: float = 0.2, unit: str = "ms") -> None:
    """Print the table for ``cases``: medians (in ``unit``, ms or s), ratio and peak memory."""
    args = parse_args(doc, repeat, budget)
    if args.worker:
        name, lib_name = args.worker
        serve(next(c for c in cases if c.__name__ == name), lib_name, args)
        return
    memory = not args.no_memory and args.device == "cpu"
    print(header(args))
    scale = 1e-3 if unit == "s" else 1.0
    other = f"without {args.without}" if args.without else "torch"
    head = f"| case | minigrad ({unit}) | {other} ({unit}) | ratio |"
    rule = "|---|---:|---:|---:|"
    if memory:
        head += " minigrad peak RSS (MiB) | torch peak RSS (MiB) |"
        rule += "---:|---:|"
    print(head)
    print(rule)
    if args.without:  # the names checked here, before a worker is started
        load_library("minigrad-without", args)
    only = {name for name in args.only.split(",") if name}
    unknown = only - {c.__name__ for c in cases}
    if unknown:
        raise SystemExit(f"--only: no case named {', '.join(sorted(unknown))} (the cases: "
                         f"{', '.join(c.__name__ for c in cases)})")
    for case in [c for c in cases if not only or c.__name__ in only]:
        result = compare(script, case, args)
        (m, m_peak), (t, t_peak) = (result[name] for name in libraries(args))
        row = (f"| {case.__name__.replace('_', ' ')} | {m * scale:.3f} | {t * scale:.3f} | "
               f"{m / t:.2f} |")
        if memory:
            row += f" {m_peak:.1f} | {t_peak:.1f} |"
        print(row, flush=True)
        if extra_rows is not None:
            extra_rows(case, m, t)
