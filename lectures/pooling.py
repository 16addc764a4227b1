"""Pooling summarizes patches, and lets the layers after it see more of the image.

    python lectures/pooling.py --out DIR

Pooling slides a window like a convolution, but summarizes each patch instead of applying a
regression: average pooling takes its mean, max pooling its largest value. The stride defaults
to the kernel size, so the patches do not overlap and the resolution is divided by the kernel
size. A 2x2 pooling followed by a 2x2 convolution: each output of the convolution depends on a
4x4 square of the pooling's input. Autograd measures it: backpropagate one output and see which
input pixels get a gradient. The receptive field follows the formula r = r + (k - 1) * j,
j = j * stride, layer after layer (r: field size, j: distance between neighbouring outputs,
in input pixels).
"""

from __future__ import annotations

# %% the imports (common first: it puts the repository root on the path)
import argparse
from typing import Any

import common  # first: it puts the repository root (demos/) on the path

import minigrad as mg
import minigrad.nn as nn
from demos.lenet import lenet


# %% what the lecture uses
def pair(value: Any) -> int:
    """The first of a (height, width) pair, or the number itself (square windows here)."""
    return value[0] if isinstance(value, tuple) else value


def receptive_field_formula(layers: list[nn.Module]) -> int:
    """The side of the square of input pixels that one output of ``layers`` depends on."""
    field, jump = 1, 1
    for layer in layers:
        if isinstance(layer, (nn.Conv2d, nn.AvgPool2d, nn.MaxPool2d)):
            field += (pair(layer.kernel_size) - 1) * jump
            jump *= pair(layer.stride)
    return field


def measured_receptive_field(layers: nn.Sequential, size: int
                             ) -> tuple[tuple[int, int], mg.Tensor]:
    """Backpropagate one output in the middle of the map (channel 0) to a ``size x size``
    input: the height and width of the pixels with a gradient, and the gradient's size."""
    x = mg.randn(1, layers[0].in_channels if isinstance(layers[0], nn.Conv2d) else 1, size,
                 size, requires_grad=True)
    y = layers(x)
    h, w = y.shape[2:]
    y[0, 0, h // 2, w // 2].backward()
    seen = x.grad.abs().sum(dim=(0, 1))
    return common.extent(seen), seen


# %% the command line (in a notebook: the defaults)
def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the common flags (``--out DIR`` ...) and this script's own."""
    p = common.parser(__doc__)
    p.add_argument("--kernel-size", type=int, default=2, help="pooling window (default 2)")
    return p.parse_args(common.command_line(argv))


# %% the lecture
def main(argv: list[str] | None = None) -> None:
    """Pool a small grid; measure receptive fields with autograd; draw both."""
    args = arguments(argv)
    out = common.start(args)
    k = args.kernel_size

    # ---- average and max pooling on a small grid ---------------------------------------------
    grid = mg.randint(0, 10, (1, 1, 6, 6)).float()
    avg, biggest = nn.AvgPool2d(k), nn.MaxPool2d(k)
    print(f"nn.AvgPool2d({k}): kernel_size {avg.kernel_size}, stride {avg.stride} (defaults to "
          "the kernel size)")
    print("input 6x6:", grid[0, 0].int().tolist())
    print(f"average {k}x{k}:", [[round(v, 2) for v in row] for row in avg(grid)[0, 0].tolist()])
    print(f"max {k}x{k}:    ", biggest(grid)[0, 0].int().tolist())
    lecture_avg = nn.AvgPool2d(kernel_size=3, padding=1, stride=3)
    lecture_max = nn.MaxPool2d(kernel_size=3, padding=1)
    print(f"the lecture's nn.AvgPool2d(kernel_size=3, padding=1, stride=3) on 6x6: "
          f"{list(lecture_avg(grid).shape[2:])}; nn.MaxPool2d(kernel_size=3, padding=1): "
          f"stride {lecture_max.stride}, {list(lecture_max(grid).shape[2:])}")

    # ---- receptive fields, measured with autograd --------------------------------------------
    net = lenet()
    cases = {
        "conv 2x2": (nn.Sequential(nn.Conv2d(1, 1, kernel_size=2)), 8),
        "conv 2x2 + conv 2x2": (nn.Sequential(nn.Conv2d(1, 1, kernel_size=2),
                                              nn.Conv2d(1, 1, kernel_size=2)), 8),
        "pool 2x2 + conv 2x2": (nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(1, 1, kernel_size=2)),
                                8),
    }
    for end, name in ((1, "conv1"), (3, "pool1"), (4, "conv2"), (6, "pool2")):
        cases[f"LeNet up to {name}"] = (net[:end], 28)  # net[:3]: conv, sigmoid, pool
    fields = {}
    print("receptive field (side of the input square one output sees)")
    print(f"{'layers':<22} {'measured':>8} {'formula':>8}")
    for name, (layers, size) in cases.items():
        measured, seen = measured_receptive_field(layers, size)
        expected = receptive_field_formula(list(layers))
        fields[name] = (measured, expected, seen)
        print(f"{name:<22} {'x'.join(map(str, measured)):>8} {f'{expected}x{expected}':>8}")

    fig, ax = common.mosaic("gam")
    common.show(ax["g"], grid[0, 0], "input 6x6", cmap="Blues", numbers=".0f")
    for line in range(k, 6, k):
        ax["g"].axhline(line - 0.5, color="red")
        ax["g"].axvline(line - 0.5, color="red")
    common.show(ax["a"], avg(grid)[0, 0], f"nn.AvgPool2d({k}): means", cmap="Blues",
                numbers=".2f", vmin=0, vmax=9)
    common.show(ax["m"], biggest(grid)[0, 0], f"nn.MaxPool2d({k}): maxima", cmap="Blues",
                numbers=".0f", vmin=0, vmax=9)
    common.save(fig, out, "pooling", args.dpi)

    # blue: the input pixels that get a gradient from one output in the middle of the map;
    # the small networks on an 8x8 input (top), LeNet on its 28x28 input (bottom)
    fig, ax = common.mosaic([["a", "b", "c", "t"], ["d", "e", "f", "g"]])
    ax["t"].axis("off")
    ax["t"].text(0, 0.5, "blue: the input pixels\none output in the middle\nof the map depends on\n"
                 "(their gradient is not 0)\n\nsame kernels, larger field:\npooling first",
                 va="center")
    for key, (name, (measured, expected, seen)) in zip("abcdefg", fields.items()):
        common.show(ax[key], seen > 0, f"{name}:\n{'x'.join(map(str, measured))} (formula "
                    f"{expected}x{expected})", cmap="Blues", vmin=0, vmax=1.6)
        common.pixel_grid(ax[key], *seen.shape)
    ax["a"].set_ylabel("an 8x8 input")
    ax["d"].set_ylabel("LeNet's 28x28 input")
    common.save(fig, out, "receptive_field", args.dpi)


# %% run it
if __name__ == "__main__":
    main()
