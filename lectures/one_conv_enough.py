"""Is one convolution enough? A kernel smaller than the car fails; two layers of part detectors
succeed.

    python lectures/one_conv_enough.py --out DIR

The lecture's slide: the car may be larger than the kernel, so the kernel sees only a wheel;
one convolution finds edges and simple shapes but not a whole car; we need several kernels,
and kernels that compose the parts (wheels, body, roof) into the car. Here the images without
a car hold the car in pieces (its three overlapping 3-row strips, side by side), an
upside-down car, a box, a bright blob, lone wheels. One 3x3 kernel and a max over positions
can only say "this 3x3 part is somewhere", and every 3x3 part of the car is in the car in
pieces: it cannot tell them apart. A 5x5 kernel sees the whole car, but a larger car would need
a larger kernel, and another car another kernel (and one kernel with a max over positions is
hard to train: some seeds leave it far behind). Eight 3x3 part detectors, a ReLU, and one 3x3
kernel over their eight maps see 5x5 together, and which part lies where: they tell the car
from all five, with 153 weights where a linear model on the image has 401.
"""

from __future__ import annotations

# %% the imports (common first: it puts the repository root on the path)
import argparse
from pathlib import Path

import common
from linear_vs_conv import accuracy, train  # section 1's training, unchanged

import minigrad as mg
import minigrad.nn as nn

# %% the models
SIZE = 20  # the canvas, as in section 1


def one_kernel(size: int) -> nn.Module:
    """One size x size regression on every patch, the largest answer as the score."""
    return nn.Sequential(nn.Conv2d(1, 1, size), common.Largest())


def part_detectors(parts: int) -> nn.Module:
    """``parts`` 3x3 part detectors, a ReLU (a part is there or not), then one 3x3 kernel over
    the part maps (which parts, where, relative to each other): it sees 5x5 of the image."""
    return nn.Sequential(nn.Conv2d(1, parts, 3), nn.ReLU(), nn.Conv2d(parts, 1, 3),
                         common.Largest())


def parameters(model: nn.Module) -> int:
    """How many numbers the model learns."""
    return sum(p.numel() for p in model.parameters())


# %% the command line (in a notebook: the defaults)
def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the common flags (``--out DIR`` ...) and this script's own."""
    p = common.parser(__doc__)
    p.add_argument("--parts", type=int, default=8, help="part detectors in the first layer")
    p.add_argument("--noise", type=float, default=0.2, help="noise std on the canvas")
    p.add_argument("--steps", type=int, default=400, help="training steps per model")
    return p.parse_args(common.command_line(argv))


# %% the lecture
def main(argv: list[str] | None = None) -> None:
    """Train the three models on cars anywhere, measure each against each distractor."""
    args = arguments(argv)
    out = common.start(args)
    kinds = tuple(common.DISTRACTORS)
    train_set = common.scenes(1000, SIZE, None, args.noise, kinds)
    tests = {d: common.scenes(400, SIZE, None, args.noise, (d,)) for d in kinds}
    models = {"one 3x3 kernel": one_kernel(3), "one 5x5 kernel": one_kernel(5),
              f"{args.parts} 3x3 parts, then 3x3": part_detectors(args.parts)}
    for model in models.values():
        train(model, *train_set, args.steps)
    results = {(m, d): accuracy(model, *tests[d]) for m, model in models.items() for d in kinds}
    print("accuracy, cars anywhere against: " + " | ".join(kinds))
    for m in models:
        print(f"  {m:<20} " + "  ".join(f"{d} {results[m, d]:.2f}" for d in kinds))
    small, parts = list(models)[0], list(models)[2]
    print(f"the car in pieces: one 3x3 kernel {results[small, 'car in pieces']:.2f}, "
          f"part detectors {results[parts, 'car in pieces']:.2f}")
    # the numbers each model learns, counted by hand and by the model
    linear = SIZE * SIZE + 1
    by_hand = {"one 3x3 kernel": 3 * 3 + 1, "one 5x5 kernel": 5 * 5 + 1,
               parts: args.parts * (3 * 3 + 1) + (args.parts * 3 * 3 + 1)}
    print(f"weights: a linear model on the image {SIZE}*{SIZE} + 1 = {linear}; " + "; ".join(
        f"{m} {by_hand[m]} (counted: {parameters(models[m])})" for m in models))
    draw(out, args, models[parts], tests["car in pieces"][0], models, kinds, results)


def draw(out: Path, args: argparse.Namespace, net: nn.Module, images: mg.Tensor,
         models: dict[str, nn.Module], kinds: tuple[str, ...],
         results: dict[tuple[str, str], float]) -> None:
    """The part detectors, their maps on a car and on the car in pieces, the accuracies."""
    car, pieces = images[1:2], images[0:1]  # (odd images hold the car, even ones not)
    cols = args.parts
    layout = [["."] + [f"k{i}" for i in range(cols)] + ["R"],
              ["car"] + [f"c{i}" for i in range(cols)] + ["R"],
              ["pieces"] + [f"f{i}" for i in range(cols)] + ["R"]]
    fig, ax = common.mosaic(layout,  # type: ignore[arg-type]
                            width_ratios=[1] * (cols + 1) + [cols / 2])
    with mg.no_grad():
        maps = {"c": net[1](net[0](car))[0], "f": net[1](net[0](pieces))[0]}
    common.show(ax["car"], car[0, 0], "a car")
    common.show(ax["pieces"], pieces[0, 0], "the car\nin pieces")
    for i in range(cols):
        common.show_signed(ax[f"k{i}"], net[0].weight[i, 0], f"part {i + 1}")
        common.show(ax[f"c{i}"], maps["c"][i], "")
        common.show(ax[f"f{i}"], maps["f"][i], "")
    width = 0.27
    for i, m in enumerate(models):
        ax["R"].bar([j + (i - 1) * width for j in range(len(kinds))],
                    [results[m, d] for d in kinds], width, label=m)
    ax["R"].set_xticks(range(len(kinds)), [d.replace(" ", "\n", 1) for d in kinds], rotation=30)
    ax["R"].set_ylim(0, 1.35)
    ax["R"].set_ylabel("accuracy: cars against ...")
    ax["R"].axhline(0.5, color="gray", linestyle=":", linewidth=1)
    ax["R"].legend(loc="upper left")
    fig.suptitle("Part detectors (top), what they see on a car and on the car in pieces; "
                 "accuracy of each model (right)", fontsize=common.TEXT + 2)
    common.save(fig, out, "one_conv_enough", args.dpi)


# %% run it
if __name__ == "__main__":
    main()
