"""Core speed next to PyTorch: forward+backward of a few op chains, as ratios of medians.

Each case is written once against a library ``lib`` (minigrad or torch: the APIs match) and
both run in the same process, interleaved, so machine noise hits both alike. The table shows
median milliseconds per forward+backward and the ratio minigrad / torch (lower is better).

    python benchmarks/bench_core.py                  # CPU, 2 threads for both libraries
    python benchmarks/bench_core.py --device cuda    # GPU (CuPy for minigrad)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any


def elementwise_chain(lib: Any, device: str) -> Callable[[], None]:
    """Eight elementwise ops on 1M float32 elements, then sum and backward."""
    x = lib.randn(1_000_000, device=device, requires_grad=True)

    def step() -> None:
        y = ((x * 2.0 + 1.0).sigmoid() * x.tanh() - x.exp() / 4.0).abs().sum()
        y.backward()
        x.grad = None
    return step


def matmul_chain(lib: Any, device: str) -> Callable[[], None]:
    """relu(a @ b) @ c on 256x256 float32 matrices, then sum and backward."""
    a, b, c = (lib.randn(256, 256, device=device, requires_grad=True) for _ in range(3))

    def step() -> None:
        ((a @ b).relu() @ c).sum().backward()
        a.grad = b.grad = c.grad = None
    return step


def softmax_cross_entropy(lib: Any, device: str) -> Callable[[], None]:
    """Cross-entropy by hand (log_softmax, pick the targets, mean) on 512 x 100 logits."""
    logits = lib.randn(512, 100, device=device, requires_grad=True)
    target = lib.randint(0, 100, (512,), device=device)
    rows = lib.arange(512, device=device)

    def step() -> None:
        loss = -logits.log_softmax(dim=1)[rows, target].mean()
        loss.backward()
        logits.grad = None
    return step


TINY_OPS = 20


def tiny_overhead(lib: Any, device: str) -> Callable[[], None]:
    """20 ops on 3-element tensors and their backward: the fixed cost of one op."""
    x = lib.randn(3, device=device, requires_grad=True)

    def step() -> None:
        y = x
        for _ in range(TINY_OPS // 2):
            y = (y * 0.5).sin()
        y.sum().backward()
        x.grad = None
    return step


CASES = [elementwise_chain, matmul_chain, softmax_cross_entropy, tiny_overhead]


def batch_time(step: Callable[[], None], sync: Callable[[], None], number: int) -> float:
    """Seconds per call of ``step``, from one timed batch of ``number`` calls."""
    sync()
    start = time.perf_counter()
    for _ in range(number):
        step()
    sync()
    return (time.perf_counter() - start) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for both libraries")
    parser.add_argument("--repeat", type=int, default=15, help="timed batches per case")
    parser.add_argument("--budget", type=float, default=0.2, help="seconds per timed batch")
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # before NumPy and torch load their BLAS

    import numpy as np
    import torch

    import minigrad as mg

    torch.set_num_threads(args.threads)
    libs = {"minigrad": mg, "torch": torch}
    syncs = {"minigrad": mg.get_backend(mg.device(args.device).type).synchronize,
             "torch": torch.cuda.synchronize if args.device.startswith("cuda") else lambda: None}
    print(f"# minigrad {mg.__version__} (NumPy {np.__version__}) vs torch {torch.__version__}; "
          f"device {args.device}, {args.threads} threads, median of {args.repeat} batches")
    print("| case | minigrad (ms) | torch (ms) | ratio |")
    print("|---|---:|---:|---:|")
    for case in CASES:
        mg.manual_seed(0)
        torch.manual_seed(0)
        steps = {name: case(lib, args.device) for name, lib in libs.items()}
        numbers = {}
        for name, step in steps.items():  # warm up, then size a batch to the budget
            one = batch_time(step, syncs[name], 2)
            numbers[name] = max(1, int(args.budget / max(one, 1e-7)))
        times: dict[str, list[float]] = {name: [] for name in libs}
        for _ in range(args.repeat):  # interleaved, so noise hits both alike
            for name, step in steps.items():
                times[name].append(batch_time(step, syncs[name], numbers[name]))
        m, t = (statistics.median(times[name]) * 1e3 for name in libs)
        label = case.__name__.replace("_", " ")
        print(f"| {label} | {m:.3f} | {t:.3f} | {m / t:.2f} |")
        if case is tiny_overhead:
            ops = TINY_OPS + 1  # the chain and the sum, forward and backward
            print(f"| per op, tiny tensors (us) | {m / ops * 1e3:.1f} | {t / ops * 1e3:.1f} "
                  f"| {m / t:.2f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
