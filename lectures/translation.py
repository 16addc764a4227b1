"""Translation: a convolution's output moves with the object (equivariance); the largest answer
over all positions does not move at all (invariance).

    python lectures/translation.py --out DIR

Move the car by (dy, dx) pixels and the convolution's output map moves by the same (dy, dx):
conv(shift(x)) = shift(conv(x)). The largest value over all positions (section 8's global max
pooling) is then the same wherever the car is: the question "is there a car?" gets the same answer.
"""

from __future__ import annotations

# %% the imports (common first: it puts the repository root on the path)
import argparse

import common

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

# %% what the lecture uses
SIZE = 20                                      # the canvas is SIZE x SIZE
START = (2, 2)                                 # where the car is before moving it
SHIFTS = [(0, 0), (3, 8), (11, 4), (12, 12)]  # (down, right) in pixels


def shift(image: mg.Tensor, dy: int, dx: int) -> mg.Tensor:
    """Move an (N, C, H, W) image down by ``dy`` and right by ``dx`` pixels; zeros come in."""
    h, w = image.shape[-2:]
    return F.pad(image, (dx, 0, dy, 0))[..., :h, :w]


def peak(image: mg.Tensor) -> tuple[int, int]:
    """(row, column) of the largest value of a 2-D image."""
    row, column = divmod(image.argmax().item(), image.shape[1])
    return row, column


# %% the command line (in a notebook: the defaults)
def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the common flags (``--out DIR`` ...) and this script's own."""
    p = common.parser(__doc__)
    p.add_argument("--random-kernel", action="store_true",
                   help="keep the layer's random initial kernel instead of the car itself "
                        "(equivariance holds for any kernel)")
    return p.parse_args(common.command_line(argv))


# %% the lecture
def main(argv: list[str] | None = None) -> None:
    """Shift the car, compare the conv outputs and their largest answers; draw."""
    args = arguments(argv)
    out = common.start(args)

    # padding = kernel_size // 2 keeps the output on the input's grid: output (i, j) is the
    # regression on the 5x5 patch centred on input pixel (i, j)
    conv = nn.Conv2d(1, 1, kernel_size=5, padding=2, bias=False)
    if not args.random_kernel:
        with mg.no_grad():
            conv.weight[0, 0] = common.car()  # a kernel that answers most on the car
    largest = common.Largest()               # the largest answer over all positions

    x = common.place(common.car(), SIZE, *START).reshape(1, 1, SIZE, SIZE)
    with mg.no_grad():
        base = conv(x)
        rows = []
        for dy, dx in SHIFTS:
            moved = conv(shift(x, dy, dx))
            rows.append({
                "shift": (dy, dx), "input": shift(x, dy, dx), "output": moved,
                # equivariance: moving the input moves the output by the same amount
                "equivariance": (moved - shift(base, dy, dx)).abs().max().item(),
                "changed": (moved - base).abs().max().item(),
                # invariance: the largest answer does not move at all
                "pooled": largest(moved).item()})

    print("shift (dy, dx)  car centre  output peak at  largest answer")
    for r in rows:
        (dy, dx) = r["shift"]
        car_at = (START[0] + 2 + dy, START[1] + 2 + dx)
        print(f"{str(r['shift']):<15} {str(car_at):<11} {str(peak(r['output'][0, 0])):<15} "
              f"{r['pooled']:.2f}")
    equivariance = max(r["equivariance"] for r in rows)
    pooled = [r["pooled"] for r in rows]
    print(f"equivariance: max |conv(shift(x)) - shift(conv(x))| = {equivariance:.1e}")
    print(f"the output itself moves: max |conv(shift(x)) - conv(x)| up to "
          f"{max(r['changed'] for r in rows):.2f}")
    print(f"invariance: largest answer from {min(pooled):.2f} to {max(pooled):.2f} "
          f"(spread {max(pooled) - min(pooled):.1e})")

    fig, axes = common.figure(2, len(rows) + 1, width_ratios=[1] * len(rows) + [1.5])
    for i, r in enumerate(rows):
        dy, dx = r["shift"]
        common.show(axes[0, i], r["input"][0, 0], f"car moved by ({dy}, {dx})")
        common.box(axes[0, i], START[0] + dy, START[1] + dx, 5, 5)
        row, column = peak(r["output"][0, 0])
        common.show(axes[1, i], r["output"][0, 0], f"conv output,\npeak at {(row, column)}",
                    cmap="viridis", vmin=min(base.min().item(), 0), vmax=base.max().item())
        axes[1, i].plot(column, row, "r+", markersize=12)
    shifts = [f"{dy},{dx}" for dy, dx in SHIFTS]
    axes[0, -1].bar(shifts, pooled, color="tab:green")
    axes[0, -1].set_title("the largest answer:\nthe same for every shift")
    axes[1, -1].bar(shifts, [r["changed"] for r in rows], color="tab:red")
    axes[1, -1].set_xlabel("shift (dy, dx)")
    axes[1, -1].set_title("max |conv(moved) - conv(x)|:\nthe map itself moves")
    common.save(fig, out, "translation", args.dpi)


# %% run it
if __name__ == "__main__":
    main()
