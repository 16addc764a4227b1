"""Core speed next to PyTorch: forward+backward of a few op chains, as ratios of medians.

Each case is written once against a library ``lib`` (minigrad or torch: the APIs match) and
each library runs it in its own process, in alternating batches, so machine noise hits both
alike (see harness.py). The table shows median milliseconds per forward+backward and the
ratio minigrad / torch (lower is better).

    python benchmarks/bench_core.py                  # CPU, 2 threads for both libraries
    python benchmarks/bench_core.py --device cuda    # GPU (CuPy for minigrad)
    python benchmarks/bench_core.py --no-memory      # timing only
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness import run


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


def per_op_row(case: Callable, m: float, t: float) -> None:
    """The tiny-tensor case again, per op: the fixed cost of recording and running one op."""
    if case is tiny_overhead:
        ops = TINY_OPS + 1  # the chain and the sum, forward and backward
        print(f"| per op, tiny tensors (us) | {m / ops * 1e3:.1f} | {t / ops * 1e3:.1f} "
              f"| {m / t:.2f} | | |")


if __name__ == "__main__":
    run(__file__, __doc__, CASES, per_op_row)
