"""Normalization inside the network: batch normalization keeps every layer's scale put.

    python lectures/batch_norm.py --out DIR

Through a deep stack of convolutions and sigmoids, the scale of the values drifts from layer to
layer: the standard deviation of each channel shrinks towards zero, so the later layers see
nearly constant inputs. ``nn.BatchNorm2d`` after each convolution subtracts each channel's
mean over the mini-batch and divides by its standard deviation: every layer then sees mean 0
and std 1. Then it multiplies by ``bn.weight`` (gamma) and adds ``bn.bias`` (beta): the new std
and mean, which the network learns. Trained side by side (the same seeds, the same batches),
the course's LeNet with a ``BatchNorm2d`` after each convolution learns in fewer epochs than
without; the spread over seeds shows it is no accident of one draw, and a third model says
whether ``BatchNorm1d`` after the hidden linear layers adds anything.
"""

from __future__ import annotations

# %% the imports (common first: it puts the repository root on the path)
import argparse
from pathlib import Path

import common  # first: it puts the repository root (demos/) on the path
from lenet_learns import add_training_flags, train

import minigrad as mg
import minigrad.nn as nn
from demos.lenet import lenet, xavier


# %% what the lecture uses
def stack(depth: int, channels: int, batch_norm: bool) -> nn.Sequential:
    """``depth`` blocks of a 3x3 convolution (+ BatchNorm2d) + sigmoid."""
    layers: list[nn.Module] = []
    for i in range(depth):
        layers.append(nn.Conv2d(1 if i == 0 else channels, channels, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(channels))
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def sigmoid_inputs(net: nn.Sequential, x: mg.Tensor) -> list[mg.Tensor]:
    """What enters each sigmoid (the values whose scale matters), block by block."""
    outputs = common.layer_outputs(net, x)
    return [previous for (_, _, previous), (_, layer, _) in zip(outputs, outputs[1:])
            if isinstance(layer, nn.Sigmoid)]


def lenet_with_batch_norm(hidden: bool = False) -> nn.Sequential:
    """The course's LeNet (demos/train_lenet.py) with a BatchNorm2d after each convolution,
    and with ``hidden`` a BatchNorm1d after each hidden linear layer too: nothing else moves
    (the same padding, the same layers), so a comparison measures batch norm alone."""
    layers: list[nn.Module] = []
    for layer in lenet():
        layers.append(layer)
        if isinstance(layer, nn.Conv2d):
            layers.append(nn.BatchNorm2d(layer.out_channels))
        elif hidden and isinstance(layer, nn.Linear) and layer.out_features != 10:
            layers.append(nn.BatchNorm1d(layer.out_features))
    return nn.Sequential(*layers)


MODELS = {"LeNet": lenet, "+ BatchNorm2d": lenet_with_batch_norm,
          "+ BatchNorm2d, BatchNorm1d": lambda: lenet_with_batch_norm(hidden=True)}


def channel_stats(x: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
    """Mean and standard deviation of each channel of (N, C, H, W), over N, H and W (as
    BatchNorm2d computes them)."""
    return x.mean(dim=(0, 2, 3)), x.std(dim=(0, 2, 3), unbiased=False)


# %% the command line (in a notebook: the defaults)
def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the common flags (``--out DIR`` ...) and this script's own."""
    p = common.parser(__doc__)
    p.add_argument("--depth", type=int, default=8, help="blocks in the deep stack (default 8)")
    p.add_argument("--seeds", type=int, default=3,
                   help="train every model from this many seeds (default 3): the spread")
    add_training_flags(p, epochs=3)
    return p.parse_args(common.command_line(argv))


# %% the lecture
def main(argv: list[str] | None = None) -> None:
    """Statistics through the deep stack, then LeNet against BatchNorm-LeNet; draw both."""
    args = arguments(argv)
    out = common.start(args)

    # ---- 1. the scale through a deep stack, without and with batch normalization ------------
    x = mg.randn(64, 1, 16, 16)  # a mini-batch of 64 one-channel images
    inputs = {}
    for name, bn in (("plain", False), ("batch norm", True)):
        with mg.no_grad():
            inputs[name] = sigmoid_inputs(stack(args.depth, 8, bn), x)
    stats = {name: [channel_stats(t) for t in ts] for name, ts in inputs.items()}
    print("per-channel statistics of what enters each sigmoid (averaged over the 8 channels)")
    print(f"{'block':>5}  {'plain: std':>10} {'|mean|':>8}   {'batch norm: std':>15} {'|mean|':>8}")
    for i in range(args.depth):
        (pm, ps), (bm, bs) = stats["plain"][i], stats["batch norm"][i]
        print(f"{i + 1:>5}  {ps.mean().item():>10.4f} {pm.abs().mean().item():>8.4f}   "
              f"{bs.mean().item():>15.4f} {bm.abs().mean().item():>8.4f}")

    # ---- 2. LeNet with and without batch norm: the same seeds, the same batches ------------
    train_set, test_set, data_name = common.load_data(args)
    histories: dict[str, list[list[dict[str, float]]]] = {name: [] for name in MODELS}
    first = {}
    for seed in range(args.seed, args.seed + args.seeds):
        for name, build in MODELS.items():
            mg.manual_seed(seed)  # the same start for every model
            model = build()
            model.apply(xavier)
            histories[name].append(train(model, train_set, test_set, args.epochs, args.lr,
                                         args.batch_size, seed, label=f"{name:<27} "))
            first.setdefault(name, model)
    print(f"test accuracy, mean over {args.seeds} seeds (lowest - highest):")
    for name, runs in histories.items():
        cells = []
        for e in range(args.epochs):
            accuracy = [run[e]["test_acc"] for run in runs]
            cells.append(f"{sum(accuracy) / len(accuracy):.3f} ({min(accuracy):.3f} - "
                         f"{max(accuracy):.3f})")
        print(f"  {name:<27} " + "  ".join(f"epoch {e + 1}: {c}" for e, c in enumerate(cells)))

    # gamma and beta of the first BatchNorm2d: the std and mean the network chose
    net = first["+ BatchNorm2d"]
    bn = net[1]
    # in training mode the batch's own statistics normalize: the output's std and mean are
    # gamma and beta by construction; in eval() the running estimates do, so they are close
    # (on images the network has not seen) but not equal
    batch, test_batch = train_set[:256][0], test_set[:256][0]
    with mg.no_grad():
        after_bn = common.layer_outputs(net, batch)[1][2]
        net.eval()
        after_bn_eval = common.layer_outputs(net, test_batch)[1][2]
        net.train()
    mean, std = channel_stats(after_bn)
    mean_eval, std_eval = channel_stats(after_bn_eval)
    print(f"after training, {type(bn).__name__}({bn.num_features}) after the first convolution:")
    # the output's std is |gamma| (gamma may be negative: that flips the sign, not the spread)
    print("  |gamma| (bn.weight), the new std:", [round(abs(v), 3) for v in bn.weight.tolist()])
    print("  measured std of its output:      ", [round(v, 3) for v in std.tolist()])
    print("  its std in eval(), test images:  ", [round(v, 3) for v in std_eval.tolist()])
    print("  beta (bn.bias), the new mean:    ", [round(v, 3) for v in bn.bias.tolist()])
    print("  measured mean of its output:     ", [round(v, 3) for v in mean.tolist()])
    print("  its mean in eval(), test images: ", [round(v, 3) for v in mean_eval.tolist()])
    print("  (training mode: equal by construction; eval() uses the running mean and variance)")

    draw_stats(out, args, inputs, stats)
    draw_training(out, args, data_name, histories, bn, (mean, std), (mean_eval, std_eval))


def draw_stats(out: Path, args: argparse.Namespace,
               inputs: dict[str, list[mg.Tensor]],
               stats: dict[str, list[tuple[mg.Tensor, mg.Tensor]]]) -> None:
    """Std and mean per channel, block by block; histograms at the first, middle, last."""
    blocks = range(1, args.depth + 1)
    fig, ax = common.mosaic("SABC;MDEF")
    for name, colour in (("plain", "tab:red"), ("batch norm", "tab:blue")):
        for channel in range(8):
            label = name if channel == 0 else None
            ax["S"].plot(blocks, [s[1][channel].item() for s in stats[name]], color=colour,
                         alpha=0.5, marker=".", label=label)
            ax["M"].plot(blocks, [s[0][channel].item() for s in stats[name]], color=colour,
                         alpha=0.5, marker=".", label=label)
    ax["S"].set(yscale="log", xlabel="block", xticks=list(blocks))
    ax["S"].set_title("std of each channel")
    ax["M"].set(xlabel="block", xticks=list(blocks))
    ax["M"].set_title("mean of each channel")
    ax["S"].legend()
    picks = [0, args.depth // 2 - 1, args.depth - 1]
    for row, name in (("ABC", "plain"), ("DEF", "batch norm")):
        for key, block in zip(row, picks):
            values = inputs[name][block].flatten().tolist()
            # one x range for all: the plain stack's values crowd into a narrow band
            ax[key].hist(values, bins=80, range=(-4, 4),
                         color="tab:red" if name == "plain" else "tab:blue")
            ax[key].set_title(f"{name}: into sigmoid {block + 1}")
    common.save(fig, out, "batch_norm_stats", args.dpi)


def draw_training(out: Path, args: argparse.Namespace, data_name: str,
                  histories: dict[str, list[list[dict[str, float]]]], bn: nn.BatchNorm2d,
                  train_stats: tuple[mg.Tensor, mg.Tensor],
                  eval_stats: tuple[mg.Tensor, mg.Tensor]) -> None:
    """Each model's mean curves over the seeds, the band from the lowest to the highest run;
    gamma and beta of the first BatchNorm2d beside what they set in training and in eval()."""
    fig, ax = common.mosaic("lag")
    epochs = list(range(1, args.epochs + 1))
    for name, runs in histories.items():
        for key, field in (("l", "loss"), ("a", "test_acc")):
            values = [[run[e - 1][field] for run in runs] for e in epochs]
            line, = ax[key].plot(epochs, [sum(v) / len(v) for v in values], marker="o",
                                 label=name)
            ax[key].fill_between(epochs, [min(v) for v in values], [max(v) for v in values],
                                 color=line.get_color(), alpha=0.2)
    ax["l"].set(xlabel="epoch", xticks=epochs, ylabel="train loss")
    ax["l"].set_title(f"train loss ({data_name}), {args.seeds} seeds")
    ax["a"].set(xlabel="epoch", xticks=epochs, ylim=(0, 1), ylabel="test accuracy")
    ax["a"].set_title("test accuracy: mean, band from lowest to highest")
    ax["a"].legend()
    channels = range(bn.num_features)
    (mean, std), (mean_eval, std_eval) = train_stats, eval_stats
    ax["g"].bar([c - 0.2 for c in channels], [abs(v) for v in bn.weight.tolist()], 0.4,
                label="|gamma|: new std")
    ax["g"].bar([c + 0.2 for c in channels], bn.bias.tolist(), 0.4, label="beta: new mean")
    ax["g"].plot([c - 0.2 for c in channels], std.tolist(), "k_", markersize=12,
                 label="measured, training mode")
    ax["g"].plot([c + 0.2 for c in channels], mean.tolist(), "k_", markersize=12)
    ax["g"].plot([c - 0.2 for c in channels], std_eval.tolist(), "m.", markersize=8,
                 label="measured, eval() on test images")
    ax["g"].plot([c + 0.2 for c in channels], mean_eval.tolist(), "m.", markersize=8)
    ax["g"].axhline(0, color="gray", linewidth=0.5)
    ax["g"].set(xlabel="channel")
    ax["g"].set_title("first BatchNorm2d after training")
    ax["g"].legend()
    common.save(fig, out, "batch_norm_training", args.dpi)


# %% run it
if __name__ == "__main__":
    main()
