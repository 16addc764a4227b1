"""The GPU check's benchmarks: LeNet training steps and the nn benchmark's convolutions, beside
PyTorch on the same device.

    python benchmarks/gpu_bench.py --device cuda --rounds 1 --no-memory

Rows: a LeNet SGD step (forward, cross-entropy, backward, update) at batch 64 and 256, and
conv2d forward+backward at LeNet's two shapes and a 64-channel 3x3 layer (bench_nn.py's). Each
case costs two cold worker processes (CUDA and CuPy start in each), so batch 1024 is left out
of the one-shot GPU check's time; GPU_BENCH_CASES=lenet_step_b1024 runs it.
Each library runs in its own process, timed with the device synchronized before and after
each batch of steps (harness.py); the table shows medians and the ratio minigrad / torch.
Every case is warmed up with three steps before the harness times it, so CuPy's kernel
compilation and both libraries' memory pools stay out of the figures. torch runs without TF32
(harness.py), so both sides compute convolutions and matmuls in float32.
GPU_BENCH_CASES=name,name (the functions below) runs those instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from bench_nn import (
    conv_64x64_3x3_b32,
    conv_lenet1_b256,
    conv_lenet2_b256,
    lenet_step,
    lenet_step_b64,
    lenet_step_b256,
)
from harness import run

WARM_UP = 3


def lenet_step_b1024(lib: Any, device: str) -> Callable[[], None]:
    """One LeNet SGD step at batch 1024."""
    return lenet_step(1024)(lib, device)


def warmed(case: Callable) -> Callable:
    """The case, its step run a few times before it is handed to the timer."""
    def build(lib: Any, device: str) -> Callable[[], None]:
        step = case(lib, device)
        for _ in range(WARM_UP):
            step()
        return step

    build.__name__ = case.__name__
    build.__doc__ = case.__doc__
    return build


ALL = [warmed(c) for c in (lenet_step_b64, lenet_step_b256, lenet_step_b1024,
                           conv_lenet1_b256, conv_lenet2_b256, conv_64x64_3x3_b32)]
CASES = [c for c in ALL if c.__name__ != "lenet_step_b1024"]  # the check's default rows

if __name__ == "__main__":
    chosen = os.environ.get("GPU_BENCH_CASES")
    if chosen:
        CASES = [c for c in ALL if c.__name__ in chosen.split(",")]
    run(__file__, __doc__, CASES)
