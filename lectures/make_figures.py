"""Run every lecture script, in the lecture's order, writing all the figures into one folder.

    python lectures/make_figures.py              # the committed figures, lectures/figures/
    python lectures/make_figures.py --out DIR    # somewhere else

Each script runs as if called alone (``python lectures/NAME.py --out DIR``), with its default
settings and seed, so the figures in lectures/README.md are exactly what the scripts draw.
"""

from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path

import common

# the lecture's order: one script per claim
SCRIPTS = ["linear_vs_conv", "conv_is_local_regression", "translation", "sliding_windows",
           "edge_detection", "one_conv_enough", "channels", "padding_stride", "deformable",
           "pooling", "recipe", "lenet_learns", "batch_norm", "conv_backward", "no_activation"]


def main(argv: list[str] | None = None) -> None:
    """Run the scripts one after the other; say how long each took."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(Path(__file__).parent / "figures"), metavar="DIR",
                   help="where the PNG files go (default: lectures/figures)")
    p.add_argument("--dpi", type=int, default=common.COMMITTED_DPI,
                   help=f"figure resolution (default: {common.COMMITTED_DPI}, for the "
                        f"repository; the scripts alone draw at {common.DPI})")
    p.add_argument("--only", nargs="+", choices=SCRIPTS, default=SCRIPTS, metavar="NAME",
                   help="run only these scripts")
    args = p.parse_args(argv)
    for name in args.only:
        began = time.perf_counter()
        print(f"---- {name}")
        importlib.import_module(name).main(["--out", args.out, "--dpi", str(args.dpi)])
        print(f"---- {name}: {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
