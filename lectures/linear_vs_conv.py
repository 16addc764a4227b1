"""Linear regression on images breaks when the object moves; a convolution does not.

    python lectures/linear_vs_conv.py --out DIR

A linear model has one weight per pixel. Trained on noisy images with a small car in the
bottom-right corner (and, as the images without a car, things a detector of bright pixels would
take for one: a box, a bright blob, lone wheels), its weights grow a car there and stay near
zero elsewhere, so a car in the top-left corner scores like no car. Trained on both corners,
it needs a car in each corner of its weight map: one regression per position (the lecture's
contradiction, and its inefficient fix), and a car anywhere else is still missed. A
convolution applies one small linear regression (a 5x5 kernel) to every patch; the largest
answer over all positions (what section 8 calls max pooling) finds the car wherever it is,
though it was trained on the bottom-right corner only. The distractors make it learn shape, not
brightness: a kernel of ones (the brightness of each window) takes a box for a car.
"""

from __future__ import annotations

# %% the imports (common first: it puts the repository root on the path)
import argparse
from collections.abc import Callable
from pathlib import Path

import common

import minigrad as mg
import minigrad.nn as nn
from minigrad import optim

# %% what the lecture uses
SIZE = 20  # the canvas is SIZE x SIZE pixels
# where the 5x5 car's top-left pixel goes: bottom-right leaves 4 pixels below and to the right,
# so that training sees every window that overlaps the car or a distractor (flush against the
# edge, the windows hanging past it never exist in training, and one of them may fire on a
# distractor seen off-centre anywhere else)
BOTTOM_RIGHT, TOP_LEFT = (11, 11), (1, 1)


def linear_model() -> nn.Module:
    """One weight per pixel, plus a bias: a score for "there is a car"."""
    return nn.Sequential(nn.Flatten(), nn.Linear(SIZE * SIZE, 1))


def conv_model(kernel_size: int) -> nn.Module:
    """The same small linear regression on every patch (a convolution), then the largest
    answer over all positions as the score."""
    return nn.Sequential(nn.Conv2d(1, 1, kernel_size=kernel_size), common.Largest())


def train(model: nn.Module, images: mg.Tensor, labels: mg.Tensor, steps: int) -> None:
    """Logistic regression on the scores: Adam on the binary cross-entropy, all images at
    once (Adam: the max over positions sends each image's gradient to one patch only, and
    plain gradient descent crawls there)."""
    opt = optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.1)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(images).flatten(), labels)
        loss.backward()
        opt.step()


def accuracy(model: Callable[[mg.Tensor], mg.Tensor], images: mg.Tensor,
             labels: mg.Tensor) -> float:
    """The fraction of images whose score is on the right side of 0 (positive: a car)."""
    with mg.no_grad():
        guesses = (model(images).flatten() > 0).float()
    return (guesses == labels).float().mean().item()


# %% the command line (in a notebook: the defaults)
def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the common flags (``--out DIR`` ...) and this script's own."""
    p = common.parser(__doc__)
    p.add_argument("--kernel-size", type=int, default=5,
                   help="the convolution's patch size (the car is 5x5; try 3 or 7)")
    p.add_argument("--noise", type=float, default=0.2, help="noise std on the canvas")
    p.add_argument("--steps", type=int, default=400, help="training steps per model")
    p.add_argument("--no-distractors", action="store_true",
                   help="images without a car are noise only (then brightness alone finds "
                        "the car, and a 3x3 kernel does as well as a 5x5 one)")
    return p.parse_args(common.command_line(argv))


# %% the lecture
def main(argv: list[str] | None = None) -> None:
    """Train the three models, measure them on cars in each place, print and draw."""
    args = arguments(argv)
    out = common.start(args)

    distractors = () if args.no_distractors else ("box", "bright blob", "lone wheels")

    def data(positions: list[tuple[int, int]] | None, n: int,
             kinds: tuple[str, ...] = distractors) -> tuple[mg.Tensor, mg.Tensor]:
        return common.scenes(n, SIZE, positions, noise=args.noise, distractors=kinds)

    train_br, train_both = data([BOTTOM_RIGHT], 1000), data([BOTTOM_RIGHT, TOP_LEFT], 1000)
    tests = {"bottom-right (trained)": data([BOTTOM_RIGHT], 400),
             "top-left (moved)": data([TOP_LEFT], 400),
             "anywhere": data(None, 400)}

    linear = linear_model()               # trained on cars in the bottom-right corner only
    train(linear, *train_br, args.steps)
    linear_both = linear_model()          # trained on cars in both corners
    train(linear_both, *train_both, args.steps)
    conv = conv_model(args.kernel_size)   # trained on the bottom-right corner only, as linear
    train(conv, *train_br, args.steps)

    models = {"linear": linear, "linear, both corners": linear_both, "conv + largest": conv}
    results = {(m, t): accuracy(model, *test) for m, model in models.items()
               for t, test in tests.items()}
    print(f"accuracy on test images with the car {' | '.join(tests)}")
    for m in models:
        print(f"  {m:<22} " + "  ".join(f"{t} {results[m, t]:.2f}" for t in tests))
    # the claim: moved to the top-left, the linear model is at chance; the convolution is not
    print(f"car moved to the top-left: linear {results['linear', 'top-left (moved)']:.2f}, "
          f"conv {results['conv + largest', 'top-left (moved)']:.2f}")
    # what the convolution tells from a car (cars and one kind of distractor, anywhere)
    kinds = {d: accuracy(conv, *data(None, 400, (d,))) for d in distractors}
    print("conv + largest, a car against " + ", ".join(f"{d} {a:.2f}" for d, a in kinds.items()))
    # brightness alone is not enough: a kernel of ones with the best threshold on the training
    # images (the sum of each 5x5 window, its largest over positions)
    brightness = nn.Sequential(nn.Conv2d(1, 1, 5, bias=False), common.Largest())
    with mg.no_grad():
        brightness[0].weight.fill_(1.0)
        bright_train = brightness(train_br[0]).flatten()
    best = max((((bright_train > t).float() == train_br[1]).float().mean().item(), t)
               for t in bright_train.tolist())[1]
    shown = {d: accuracy(lambda x: brightness(x) - best, *data(None, 400, (d,)))
             for d in distractors}
    print("brightness alone (a kernel of ones, its best threshold), against "
          + ", ".join(f"{d} {a:.2f}" for d, a in shown.items()))

    draw(out, args, train_both[0], linear, linear_both, conv, models, tests, results)


def draw(out: Path, args: argparse.Namespace, examples: mg.Tensor, linear: nn.Module,
         linear_both: nn.Module, conv: nn.Module, models: dict[str, nn.Module],
         tests: dict[str, object], results: dict[tuple[str, str], float]) -> None:
    """Example images, the three weight maps, and the accuracies side by side."""
    fig, ax = common.mosaic("abcR;defR")
    # examples: in train_both the even images are empty, the odd ones hold a car
    common.show(ax["a"], examples[1, 0], "a car (training image)")
    common.show(ax["b"], examples[3, 0], "another car")
    common.show(ax["c"], examples[0, 0], "no car (a distractor)")
    common.show_signed(ax["d"], linear[1].weight.reshape(SIZE, SIZE),
                       "linear weights:\ntrained bottom-right")
    common.show_signed(ax["e"], linear_both[1].weight.reshape(SIZE, SIZE),
                       "linear weights:\ntrained on both corners")
    common.show_signed(ax["f"], conv[0].weight[0, 0],
                       f"conv kernel ({args.kernel_size}x{args.kernel_size}):\n"
                       "one regression, every patch")
    width = 0.27
    for i, m in enumerate(models):
        values = [results[m, t] for t in tests]
        ax["R"].bar([j + (i - 1) * width for j in range(len(tests))], values, width, label=m)
    ax["R"].set_xticks(range(len(tests)), [t.split(" (")[0] for t in tests])
    ax["R"].set_ylim(0, 1.45)
    ax["R"].axhline(0.5, color="gray", linestyle=":", linewidth=1)
    ax["R"].set_title("accuracy by where the car is\n(dotted: chance)")
    ax["R"].legend(loc="upper right")
    common.save(fig, out, "linear_vs_conv", args.dpi)


# %% run it
if __name__ == "__main__":
    main()
