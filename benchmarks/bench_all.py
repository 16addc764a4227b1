"""Every benchmark in one table, beside PyTorch: training steps, inference, conv, overhead.

    python benchmarks/bench_all.py                 # CPU, 2 threads for both libraries
    python benchmarks/bench_all.py --device cuda   # GPU (CuPy for minigrad)

Rows: a LeNet SGD step at batch 64 and 256, LeNet inference at batch 1024 (also as images/s),
conv2d forward+backward at LeNet's shapes and at a 64-channel 3x3 layer, the core op chains
and the per-op overhead on tiny tensors; ratios are minigrad / torch of medians (lower is
better); peak RSS is that of the fresh processes computing with only that library.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench_core import CASES as CORE_CASES
from bench_core import per_op_row
from bench_nn import (
    conv_64x64_3x3_b32,
    conv_lenet1_b256,
    conv_lenet2_b256,
    lenet_step_b64,
    lenet_step_b256,
    mnist_net_b64,
    resnet_block_b32,
    vgg_block_b32,
)
from harness import run

INFERENCE_BATCH = 1024


def lenet_inference_b1024(lib: Any, device: str) -> Callable[[], None]:
    """LeNet forward in eval mode, without recording a graph, on 1024 images."""
    from demos.lenet import lenet

    model = lenet(lib.nn).to(device).eval()
    x = lib.randn(INFERENCE_BATCH, 1, 28, 28, device=device)

    def step() -> None:
        with lib.no_grad():
            model(x)
    return step


def extra_rows(case: Callable, m: float, t: float) -> None:
    """Images per second for inference; microseconds per op for the tiny case."""
    if case is lenet_inference_b1024:
        print(f"| LeNet inference, images/s | {INFERENCE_BATCH / m * 1e3:.0f} | "
              f"{INFERENCE_BATCH / t * 1e3:.0f} | {m / t:.2f} | | |")
    per_op_row(case, m, t)


CASES = [lenet_step_b64, lenet_step_b256, lenet_inference_b1024, conv_lenet1_b256,
         conv_lenet2_b256, conv_64x64_3x3_b32, mnist_net_b64, vgg_block_b32, resnet_block_b32,
         *CORE_CASES]

if __name__ == "__main__":
    run(__file__, __doc__, CASES, extra_rows)
