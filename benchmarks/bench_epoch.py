"""One MNIST training epoch of LeNet at batch 256 beside PyTorch (--data-dir DIR).

    python benchmarks/bench_epoch.py --data-dir ../shared/data/mnist

Both libraries train the same LeNet (plain SGD, lr 0.9, as d2l) over the same shuffled
batches of the 60,000 training images, each in its own process, one epoch at a time in
alternation, ``--repeat`` times (3 by default); the table shows the median epoch in seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_nn import sgd_step
from harness import run

BATCH = 256


def mnist_epoch_b256(lib: Any, device: str) -> Callable[[], None]:
    """One epoch of SGD over MNIST's training set, batch 256, from tensors already in memory."""
    import numpy as np

    from demos.lenet import lenet
    from minigrad.data import read_idx  # NumPy only: minigrad's backend stays unloaded

    folder = Path(os.environ["MINIGRAD_MNIST_DIR"])
    images = read_idx(folder / "train-images-idx3-ubyte.gz").astype(np.float32) / 255
    labels = read_idx(folder / "train-labels-idx1-ubyte.gz").astype(np.int64)
    x = lib.tensor(images[:, None], device=device)
    y = lib.tensor(labels, device=device)
    order = np.random.default_rng(0).permutation(len(labels))
    batches = [lib.tensor(order[i:i + BATCH], device=device)
               for i in range(0, len(order), BATCH)]
    model = lenet(lib.nn).to(device)
    loss_fn = lib.nn.CrossEntropyLoss()

    def epoch() -> None:
        for index in batches:
            sgd_step(lib, model, loss_fn, x[index], y[index], 0.9)
    return epoch


if __name__ == "__main__":
    if "--worker" not in sys.argv:
        options = argparse.ArgumentParser(add_help=False)
        options.add_argument("--data-dir")
        known, sys.argv[1:] = options.parse_known_args()
        if known.data_dir:  # the workers read the folder from the environment
            os.environ["MINIGRAD_MNIST_DIR"] = known.data_dir
        folder = os.environ.get("MINIGRAD_MNIST_DIR")
        if not folder or not Path(folder, "train-images-idx3-ubyte.gz").exists():
            sys.exit("no MNIST files: pass --data-dir DIR (a folder with the four IDX files) "
                     "or set MINIGRAD_MNIST_DIR")
    run(__file__, __doc__, [mnist_epoch_b256], repeat=3, budget=0.0, unit="s")
