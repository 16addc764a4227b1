"""Deformable convolution: a convolution that learns where to look.

    python lectures/deformable.py --out DIR

A 3x3 convolution reads a fixed grid: the pixel and its 8 neighbours. A deformable
convolution (Dai et al., 2017; ``nn.DeformConv2d``, torchvision's ``deform_conv2d``) adds an
offset (dy, dx) to each of the 9 positions and reads the image there, between pixels by
bilinear interpolation, so the offsets have gradients and can be learned. Usually a small
convolution predicts them from the image, a different grid at every pixel; here, to see them,
one set of 9 offsets is learned for the whole image. The task: reproduce a 3x3 kernel with
dilation 2 (its positions 2 pixels apart) using an ordinary 3x3 kernel's weights and learned
offsets. Starting from zero offsets (the plain grid), gradient descent moves each position
to its dilated place: offset (a - 1, b - 1) for kernel position (a, b).
"""

from __future__ import annotations

# %% the imports (common first: it puts the repository root on the path)
import argparse
from pathlib import Path

import common

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import optim
from minigrad.ops import deform_conv2d


# %% the task: smooth images, and what a dilated kernel makes of them
def smooth_images(n: int, size: int) -> mg.Tensor:
    """Noise blurred twice by a 5x5 box, scaled to std 1: the image changes slowly, so a
    position read a little off gives a little error (a gradient that points the way)."""
    x = mg.randn(n, 1, size, size)
    box = mg.ones(1, 1, 5, 5) / 25
    x = F.conv2d(F.conv2d(x, box, padding=2), box, padding=2)
    return x / x.std()


def learn_offsets(x: mg.Tensor, kernel: mg.Tensor, target: mg.Tensor, steps: int,
                  lr: float) -> tuple[mg.Tensor, list[float]]:
    """One (dy, dx) per kernel position, shared by every pixel, learned by Adam so that the
    deformable convolution with ``kernel`` matches ``target``; the offsets (9, 2) and the
    losses."""
    offsets = mg.zeros(1, 18, 1, 1, requires_grad=True)  # (dy, dx) of positions 0..8
    opt = optim.Adam([offsets], lr=lr)
    losses = []
    n, _, h, w = x.shape
    for _ in range(steps):
        out = deform_conv2d(x, offsets.expand(n, 18, h, w), kernel, padding=(1, 1))
        loss = ((out - target) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return offsets.detach().reshape(9, 2), losses


# %% the command line (in a notebook: the defaults)
def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the common flags (``--out DIR`` ...) and this script's own."""
    p = common.parser(__doc__)
    p.add_argument("--dilation", type=int, default=2,
                   help="the target kernel's dilation (its positions this far apart)")
    p.add_argument("--steps", type=int, default=400, help="training steps")
    p.add_argument("--lr", type=float, default=0.05, help="Adam's learning rate")
    return p.parse_args(common.command_line(argv))


# %% the lecture
def main(argv: list[str] | None = None) -> None:
    """Learn the offsets, print how far they are from the dilated grid, draw them."""
    args = arguments(argv)
    out = common.start(args)
    d = args.dilation
    x = smooth_images(8, 40)
    kernel = mg.randn(1, 1, 3, 3)
    target = F.conv2d(x, kernel, padding=d, dilation=d)  # positions d pixels apart
    offsets, losses = learn_offsets(x, kernel, target, args.steps, args.lr)
    grid = mg.tensor([[a - 1, b - 1] for a in range(3) for b in range(3)], dtype=mg.float32)
    wanted = grid * (d - 1)  # the dilated position minus the plain one
    error = (offsets - wanted).abs().max().item()
    print(f"loss: {losses[0]:.4f} with the plain 3x3 grid, {losses[-1]:.6f} after "
          f"{args.steps} steps")
    print("learned offsets (dy, dx) per kernel position, row by row:")
    for a in range(3):
        print("  " + "   ".join(f"({offsets[3 * a + b, 0].item():+.2f}, "
                                f"{offsets[3 * a + b, 1].item():+.2f})" for b in range(3)))
    print(f"farthest from the dilation-{d} grid: {error:.2f} pixels")
    draw(out, args, x[0, 0], grid, grid + offsets, grid * d, losses)


def draw(out: Path, args: argparse.Namespace, image: mg.Tensor, plain: mg.Tensor,
         learned: mg.Tensor, dilated: mg.Tensor, losses: list[float]) -> None:
    """The sampling positions around one output pixel: the plain grid, the learned one, the
    dilated one they head for; and the loss."""
    fig, ax = common.mosaic("pl")
    centre = (20, 20)
    patch = image[centre[0] - 4:centre[0] + 5, centre[1] - 4:centre[1] + 5]
    ax["p"].imshow(patch.numpy(), cmap="gray", extent=(-4.5, 4.5, 4.5, -4.5))
    for points, style, label in ((plain, "o", "3x3 grid (offsets 0)"),
                                 (dilated, "s", f"dilation {args.dilation} (the target)"),
                                 (learned, "x", "learned positions")):
        ax["p"].scatter(points[:, 1].numpy(), points[:, 0].numpy(), marker=style, s=140,
                        label=label, facecolors="none" if style != "x" else None,
                        edgecolors=None if style == "x" else ("tab:blue" if style == "o"
                                                              else "tab:orange"),
                        color="tab:red" if style == "x" else None, linewidths=2)
    for (y0, x0), (y1, x1) in zip(plain.tolist(), learned.tolist()):
        ax["p"].annotate("", xy=(x1, y1), xytext=(x0, y0),
                         arrowprops={"arrowstyle": "->", "color": "tab:red"})
    ax["p"].set_title("where the 3x3 kernel reads, around one output pixel")
    ax["p"].set_xlabel("column offset (pixels)")
    ax["p"].set_ylabel("row offset (pixels)")
    ax["p"].legend(loc="upper right")
    ax["l"].semilogy(losses)
    ax["l"].set_xlabel("training step")
    ax["l"].set_ylabel("mean squared error to the dilated convolution")
    ax["l"].set_title("the loss")
    common.save(fig, out, "deformable", args.dpi)


# %% run it
if __name__ == "__main__":
    main()
