"""One MNIST training epoch of the demo's LeNet at batch 256, minigrad beside PyTorch.

    python benchmarks/bench_epoch.py --data-dir ../shared/data/mnist

Both libraries train the same LeNet (plain SGD, lr 0.9, as d2l) from the same batches, one
epoch each in alternation, ``--repeat`` times; the table shows the median epoch time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("MINIGRAD_MNIST_DIR"),
                        help="a folder with the four MNIST IDX files (or MINIGRAD_MNIST_DIR)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not args.data_dir or not Path(args.data_dir, "train-images-idx3-ubyte.gz").exists():
        sys.exit("no MNIST files: pass --data-dir DIR (a folder with the four IDX files)")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import harness  # noqa: F401  (puts the repository root on the path)
    import numpy as np
    import torch

    import minigrad as mg
    from demos.lenet import lenet

    torch.set_num_threads(args.threads)
    train = mg.data.MNIST(args.data_dir)
    images, labels = (t.numpy() for t in train.tensors)
    order = np.random.default_rng(0).permutation(len(labels))
    batches = [order[i:i + args.batch_size] for i in range(0, len(order), args.batch_size)]

    def epoch(lib: Any, model: Any, x: Any, y: Any) -> float:
        loss_fn = lib.nn.CrossEntropyLoss()
        start = time.perf_counter()
        for idx in batches:
            index = lib.tensor(idx)
            model.zero_grad()
            loss_fn(model(x[index]), y[index]).backward()
            with lib.no_grad():
                for p in model.parameters():
                    p -= 0.9 * p.grad
        return time.perf_counter() - start

    setups = {name: (lib, lenet(lib.nn), lib.tensor(images), lib.tensor(labels))
              for name, lib in (("minigrad", mg), ("torch", torch))}
    times: dict[str, list[float]] = {name: [] for name in setups}
    for _ in range(args.repeat):
        for name, setup in setups.items():
            times[name].append(epoch(*setup))
    m, t = (statistics.median(times[name]) for name in setups)
    print(f"# one MNIST epoch (60,000 images), LeNet, batch {args.batch_size}, {args.threads} "
          f"threads, median of {args.repeat}; minigrad {mg.__version__}, torch "
          f"{torch.__version__}")
    print("| case | minigrad (s) | torch (s) | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| MNIST epoch, batch {args.batch_size} | {m:.2f} | {t:.2f} | {m / t:.2f} |")


if __name__ == "__main__":
    main()
