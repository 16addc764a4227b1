"""The recipe for a classifier: convolutions and pooling take the resolution down and the
channels up; a Flatten layer turns each image into a vector (keeping the batch); linear layers
end with one output per class.

    python lectures/recipe.py --out DIR

Printed: LeNet's layers with their output shapes and parameter counts, and Flatten on a batch
of 2 images of 3 x 10 x 10 (2 vectors of 300, not one of 600). Drawn: the shapes as a
staircase, resolution going down while the channels go up.
"""

from __future__ import annotations

# %% the imports (common first: it puts the repository root on the path)
import argparse
import math

import common  # first: it puts the repository root (demos/) on the path

import minigrad as mg
import minigrad.nn as nn
from demos.lenet import lenet


# %% the command line (in a notebook: the defaults)
def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the common flags (``--out DIR`` ...) and this script's own."""
    p = common.parser(__doc__)
    p.add_argument("--size", type=int, default=28, help="input height and width (default 28)")
    return p.parse_args(common.command_line(argv))


# %% the lecture
def main(argv: list[str] | None = None) -> None:
    """Print LeNet's shapes and parameters, show Flatten keeping the batch, draw the stairs."""
    args = arguments(argv)
    out = common.start(args)

    net = lenet()
    x = mg.zeros(1, 1, args.size, args.size)
    table = mg.summary(net, input_data=x)  # one forward pass, watched by hooks on every layer
    print(table)
    steps = [("input", list(x.shape))] + [(f"{row.name} {row.kind}", row.output_shape)
                                          for row in table.rows[1:]]  # (rows[0]: the model)
    flat = nn.Flatten()(mg.zeros(2, 3, 10, 10))
    print(f"nn.Flatten() keeps the batch: [2, 3, 10, 10] -> {list(flat.shape)}")
    total = table.total_params

    # the stages that change the shape (activations keep it)
    stages = [(name, shape) for name, shape in steps if "Sigmoid" not in name]
    images = [(name, shape) for name, shape in stages if len(shape) == 4]
    fig, ax = common.mosaic("rs")
    at = range(len(images))
    ax["r"].step(at, [shape[2] for _, shape in images], where="mid", marker="o",
                 label="resolution (height = width)")
    ax["r"].step(at, [shape[1] for _, shape in images], where="mid", marker="s",
                 label="channels")
    for i, (_, shape) in enumerate(images):
        ax["r"].annotate(f"{shape[1]}x{shape[2]}x{shape[3]}", (i, shape[2]),
                         textcoords="offset points", xytext=(0, 6), ha="center")
    ax["r"].set_xticks(at, [name for name, _ in images], rotation=20)
    ax["r"].set_ylim(0, args.size * 1.2)
    ax["r"].set_title("feature extractor: resolution down, channels up")
    ax["r"].legend(loc="upper right")
    # numbers per image at every stage: Flatten keeps them all, the linear head shrinks them
    ax["s"].bar(range(len(stages)), [math.prod(shape[1:]) for _, shape in stages],
                color=["tab:blue" if len(shape) == 4 else "tab:orange" for _, shape in stages])
    ax["s"].set_xticks(range(len(stages)), [name for name, _ in stages], rotation=20)
    ax["s"].set_yscale("log")
    ax["s"].set_title(f"numbers per image (orange: vectors); {total:,} parameters")
    common.save(fig, out, "recipe", args.dpi)


# %% run it
if __name__ == "__main__":
    main()
