"""Channels: with m input and n output channels, a convolution holds m x n kernels; each output
channel is the sum over the input channels of one 2-D convolution each, plus a bias.

    python lectures/channels.py --out DIR

``nn.Conv2d(3, 16, kernel_size=5)`` reads an RGB image (3 channels) and makes 16 channels:
its weight is 16 x 3 x 5 x 5, one 5x5 kernel for every (output, input) pair of channels, 48 in
all, and its bias has one number per output channel. Output channel o is
conv(red, w[o, 0]) + conv(green, w[o, 1]) + conv(blue, w[o, 2]) + b[o]: computed that way
and by the layer, the two agree.
"""

from __future__ import annotations

# %% the imports (common first: it puts the repository root on the path)
import argparse

import common

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


# %% what the lecture uses
def by_hand(conv: nn.Conv2d, x: mg.Tensor) -> mg.Tensor:
    """The layer's output written out: for each output channel, one single-channel 2-D
    convolution per input channel, added up, plus that output channel's bias."""
    outputs = []
    for o in range(conv.out_channels):
        total = conv.bias[o]
        for c in range(conv.in_channels):
            total = total + F.conv2d(x[:, c:c + 1], conv.weight[o:o + 1, c:c + 1])
        outputs.append(total)
    return mg.cat(outputs, dim=1)


# %% the command line (in a notebook: the defaults)
def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the common flags (``--out DIR`` ...) and this script's own."""
    p = common.parser(__doc__)
    p.add_argument("--out-channels", type=int, default=16, help="default: 16 (the lecture's)")
    p.add_argument("--kernel-size", type=int, default=5, help="default: 5 (the lecture's)")
    p.add_argument("--channel", type=int, default=0, help="the output channel to draw")
    return p.parse_args(common.command_line(argv))


# %% the lecture
def main(argv: list[str] | None = None) -> None:
    """Build the lecture's layer, compute its output both ways, draw kernels and channels."""
    args = arguments(argv)
    out = common.start(args)
    from sklearn.datasets import load_sample_image

    conv = nn.Conv2d(3, args.out_channels, kernel_size=args.kernel_size)
    n_out, n_in, kh, kw = conv.weight.shape
    print(f"nn.Conv2d(3, {n_out}, kernel_size={kh}): weight {list(conv.weight.shape)} = "
          f"{n_out * n_in} kernels of {kh}x{kw}, bias {list(conv.bias.shape)}")

    # an RGB photograph, 8 times smaller: (1, 3, H, W), values in [0, 1]
    rgb = mg.tensor(load_sample_image("flower.jpg")).float().permute(2, 0, 1) / 255.0
    x = F.avg_pool2d(rgb.unsqueeze(0), 8)
    with mg.no_grad():
        layer = conv(x)
        hand = by_hand(conv, x)
    error = (layer - hand).abs().max().item()
    print(f"input {list(x.shape)} -> output {list(layer.shape)}")
    print(f"max |layer - (sum over input channels of one conv each + bias)| = {error:.1e}")

    # the kernels of the first output channels: one row per input channel, one column per
    # output channel, on one colour scale; the rest are counted
    shown = min(n_out, 6)
    fig, ax = common.figure(n_in, shown + 1, width_ratios=[1] * shown + [1.6])
    limit = conv.weight.abs().max().item()
    for c, colour in enumerate(("red", "green", "blue")):
        for o in range(shown):
            im = common.show_signed(ax[c, o], conv.weight[o, c], limit=limit)
            common.pixel_grid(ax[c, o], kh, kw)
        ax[c, 0].set_ylabel(f"from {colour}\n(input {c})")
        ax[c, -1].axis("off")
    for o in range(shown):
        ax[0, o].set_title(f"to output {o}\nw[{o}, c]")
    fig.colorbar(im, ax=ax[:, :shown], shrink=0.8, label="weight (initialized at random)")
    ax[1, -1].text(0, 0.5, f"weight {list(conv.weight.shape)}:\none {kh}x{kw} kernel per pair\n"
                   f"(output o, input c)\n\n{n_out} x {n_in} = {n_out * n_in} kernels,\n"
                   f"{n_out - shown} more columns\nnot drawn\n\n{n_out}*{n_in}*{kh}*{kw} + "
                   f"{n_out} =\n{conv.weight.numel() + conv.bias.numel():,} parameters",
                   va="center")
    common.save(fig, out, "channels_kernels", args.dpi)

    o = args.channel
    fig, axes = common.figure(3, 4)
    for c, colour in enumerate(("red", "green", "blue")):
        common.show(axes[c, 0], x[0, c], f"input: {colour}")
        common.show_signed(axes[c, 1], conv.weight[o, c], f"kernel w[{o}, {c}]", limit=limit)
        part = F.conv2d(x[:, c:c + 1], conv.weight[o:o + 1, c:c + 1])[0, 0]
        common.show(axes[c, 2], part, f"conv({colour}, w[{o}, {c}])", cmap="viridis")
    low, high = layer[0, o].min().item(), layer[0, o].max().item()
    common.show(axes[0, 3], hand[0, o], f"sum of the three + b[{o}]", cmap="viridis",
                vmin=low, vmax=high)
    common.show(axes[1, 3], layer[0, o], f"the layer's channel {o}", cmap="viridis",
                vmin=low, vmax=high)
    common.show(axes[2, 3], (layer - hand)[0, o].abs(), f"|difference|: max {error:.0e}",
                cmap="viridis", vmin=0, vmax=high - low)
    common.save(fig, out, "channels_sum", args.dpi)


# %% run it
if __name__ == "__main__":
    main()
