"""Sliding the patch one line of squares at a time keeps the object whole.

    python lectures/sliding_windows.py --out DIR

Cut the image into non-overlapping 5x5 patches (stride 5, the kernel size) and a car that
straddles a grid line is split between patches: no patch holds the whole car, and the best
match of a car detector is far below a perfect 1. Slide the same 5x5 regression one pixel at a
time (stride 1) and some patch holds the whole car wherever it is: the best match is 1.
"""

from __future__ import annotations

# %% the imports (common first: it puts the repository root on the path)
import argparse

import common

import minigrad as mg
import minigrad.nn.functional as F

# %% what the lecture uses
SIZE = 20  # the canvas; non-overlapping 5x5 patches make a 4x4 grid of them


def car_detector() -> mg.Tensor:
    """A 5x5 kernel that answers exactly 1 on a patch holding the whole car: the car itself,
    divided by its squared length (a matched filter), as a (1, 1, 5, 5) conv weight."""
    sprite = common.car()
    return (sprite / (sprite * sprite).sum()).reshape(1, 1, 5, 5)


def best_match(image: mg.Tensor, stride: int) -> tuple[float, mg.Tensor]:
    """The detector on every patch, ``stride`` pixels apart: the best answer and the map."""
    responses = F.conv2d(image, car_detector(), stride=stride)
    return responses.max().item(), responses[0, 0]


# %% the command line (in a notebook: the defaults)
def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the common flags (``--out DIR`` ...) and this script's own."""
    p = common.parser(__doc__)
    p.add_argument("--top", type=int, default=7, help="row of the car's top-left pixel")
    p.add_argument("--left", type=int, default=8, help="column of the car's top-left pixel")
    p.add_argument("--stride", type=int, default=5,
                   help="the coarse stride to compare with 1 (default: 5, the kernel size)")
    return p.parse_args(common.command_line(argv))


# %% the lecture
def main(argv: list[str] | None = None) -> None:
    """Place the car across grid lines; compare stride 5 with stride 1; draw."""
    args = arguments(argv)
    out = common.start(args)

    image = common.place(common.car(), SIZE, args.top, args.left).reshape(1, 1, SIZE, SIZE)
    coarse, coarse_map = best_match(image, stride=args.stride)
    fine, fine_map = best_match(image, stride=1)
    at = divmod(fine_map.argmax().item(), fine_map.shape[1])
    print(f"car at ({args.top}, {args.left}): rows {args.top}-{args.top + 4}, columns "
          f"{args.left}-{args.left + 4}; grid lines every {args.stride} pixels")
    kind = "non-overlapping" if args.stride >= 5 else "overlapping"  # (the patches are 5x5)
    print(f"{kind} patches (stride {args.stride}): best match {coarse:.2f}")
    print(f"sliding one pixel at a time (stride 1):   best match {fine:.2f} at {at}")

    # the car moved diagonally across one grid cell: how much of it does the best patch see?
    offsets = list(range(args.stride))
    sweep = {s: [best_match(common.place(common.car(), SIZE, 5 + o, 5 + o).reshape(
        1, 1, SIZE, SIZE), stride=s)[0] for o in offsets] for s in (args.stride, 1)}
    print("car's offset from the grid  " + "  ".join(f"{o:>4}" for o in offsets))
    for s, values in sweep.items():
        print(f"  best match, stride {s:<6}  " + "  ".join(f"{v:4.2f}" for v in values))

    fig, ax = common.mosaic("icf;sss", height_ratios=[1.4, 1])
    common.show(ax["i"], image[0, 0], f"the car across grid lines\n(patches of "
                f"{args.stride}x{args.stride}, stride {args.stride})")
    for line in range(args.stride, SIZE, args.stride):
        ax["i"].axhline(line - 0.5, color="orange", linewidth=1)
        ax["i"].axvline(line - 0.5, color="orange", linewidth=1)
    common.box(ax["i"], at[0], at[1], 5, 5, color="lime")
    common.show(ax["c"], coarse_map, f"stride {args.stride}: best {coarse:.2f}",
                cmap="viridis", vmin=0, vmax=1, numbers=".2f")
    common.show(ax["f"], fine_map, f"stride 1: best {fine:.2f} (green box)", cmap="viridis",
                vmin=0, vmax=1)
    common.box(ax["f"], at[0], at[1], 1, 1, color="lime")
    for s, values in sweep.items():
        ax["s"].plot(offsets, values, marker="o", label=f"stride {s}")
    ax["s"].set(xlabel="car's offset from the grid line (pixels)", ylabel="best match",
                ylim=(0, 1.1), title="sliding never cuts the car")
    ax["s"].legend()
    common.save(fig, out, "sliding_windows", args.dpi)


# %% run it
if __name__ == "__main__":
    main()
