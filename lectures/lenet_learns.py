"""LeNet learns to read digits: its first layer's kernels and the feature maps of one digit.

    python lectures/lenet_learns.py --out DIR
    python lectures/lenet_learns.py --out DIR --data-dir ../shared/data/mnist --epochs 2

The course's LeNet (demos/lenet.py) trains on scikit-learn's 8x8 digits scaled to 28x28
(offline, a few seconds), or on MNIST or Fashion-MNIST read from ``--data-dir``. Drawn: the
loss and test accuracy per epoch, the six 5x5 kernels of the first layer before and after
training, and one digit's path through the network, layer by layer: 6 maps of 28x28, 16 maps
of 10x10 and 5x5, then vectors of 400, 120, 84 and the 10 class scores.
"""

from __future__ import annotations

# %% the imports (common first: it puts the repository root on the path)
import argparse
from pathlib import Path

import common  # first: it puts the repository root (demos/) on the path

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from demos.lenet import evaluate, lenet, xavier
from minigrad import data, optim


# %% what the lecture uses
def train(model: nn.Module, train_set: data.Dataset, test_set: data.Dataset, epochs: int,
          lr: float, batch_size: int, seed: int, label: str = "") -> list[dict[str, float]]:
    """Adam on the cross-entropy, one pass over the training set per epoch, the batches drawn
    in an order fixed by ``seed`` (two models given the same seed see the same batches).
    Prints and returns the mean training loss and the test accuracy of every epoch."""
    loader = data.DataLoader(train_set, batch_size=batch_size, shuffle=True, seed=seed)
    opt = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    for epoch in range(1, epochs + 1):
        total, seen = 0.0, 0
        for x, y in loader:
            opt.zero_grad()
            loss = loss_fn(model(x), y)   # forward
            loss.backward()               # backward: every parameter's gradient
            opt.step()                    # update
            total, seen = total + loss.item() * len(y), seen + len(y)
        history.append({"epoch": epoch, "loss": total / seen,
                        "test_acc": evaluate(model, test_set, "cpu")})
        print(f"{label}epoch {epoch}: train loss {total / seen:.3f}, test accuracy "
              f"{history[-1]['test_acc']:.3f}")
    return history


def add_training_flags(p: argparse.ArgumentParser, epochs: int) -> None:
    """The flags of a training run, shared with batch_norm.py."""
    common.add_data_flags(p)
    p.add_argument("--epochs", type=int, default=epochs, help=f"default: {epochs}")
    p.add_argument("--lr", type=float, default=0.003, help="Adam's step size (default 0.003)")
    p.add_argument("--batch-size", type=int, default=16, help="default: 16")


# %% the command line (in a notebook: the defaults)
def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the common flags (``--out DIR`` ...) and this script's own."""
    p = common.parser(__doc__)
    add_training_flags(p, epochs=6)
    return p.parse_args(common.command_line(argv))


# %% the lecture
def main(argv: list[str] | None = None) -> None:
    """Train LeNet, then draw its curves, first-layer kernels and one digit's feature maps."""
    args = arguments(argv)
    out = common.start(args)
    train_set, test_set, name = common.load_data(args)

    net = lenet()
    net.apply(xavier)  # the demo's initialization (d2l's)
    before = net[0].weight.detach().clone()
    print(f"training LeNet on {name}: {len(train_set)} images, epochs: {args.epochs}")
    history = train(net, train_set, test_set, args.epochs, args.lr, args.batch_size, args.seed)

    # one test digit, layer by layer
    net.eval()
    image, label = test_set[0]
    with mg.no_grad():
        steps = common.layer_outputs(net, image.unsqueeze(0))
    scores = steps[-1][2][0]
    print(f"a test image of class {label.item()}: the network says {scores.argmax().item()}")
    for layer_name, layer, y in steps:
        print(f"  after {layer_name}: {type(layer).__name__:<9} {list(y.shape)}")

    fig, ax = common.mosaic("lk;Lj", width_ratios=[1.3, 1])
    epochs = [h["epoch"] for h in history]
    ax["l"].plot(epochs, [h["loss"] for h in history], marker="o", color="tab:red")
    ax["l"].set(ylabel="training loss\n(cross-entropy)", xticks=epochs,
                title=f"LeNet on {name}: the loss falls ...")
    ax["L"].plot(epochs, [h["test_acc"] for h in history], marker="s", color="tab:blue")
    ax["L"].set(xlabel="epoch", ylabel="test accuracy", xticks=epochs, ylim=(0, 1),
                title="... and the test accuracy rises")
    after = net[0].weight.detach()
    for key, weights, when in (("k", before, "before training (Xavier)"),
                               ("j", after, "after training")):
        im = common.show_signed(ax[key], tile(weights[:, 0], 2),
                                f"the first layer's 6 kernels,\n{when}")
        common.pixel_grid(ax[key], 2 * 6 - 1, 3 * 6 - 1, color="white")
        fig.colorbar(im, ax=ax[key], shrink=0.7, label="weight")
    common.save(fig, out, "lenet_learns", args.dpi)

    draw_feature_maps(out, args.dpi, image, label.item(), name, steps)


def tile(maps: mg.Tensor, rows: int) -> mg.Tensor:
    """Maps (C, H, W) as one 2-D image of ``rows`` rows of maps, their values unchanged (one
    colour scale for all), a blank line between two maps."""
    c, h, w = maps.shape
    gap = float("nan")
    padded = F.pad(maps, (0, 1, 0, 1), value=gap)            # a blank column and row after each
    grid = padded.reshape(rows, c // rows, h + 1, w + 1).permute(0, 2, 1, 3)
    return grid.reshape(rows * (h + 1), -1)[:-1, :-1]


def draw_feature_maps(out: Path, dpi: int, image: mg.Tensor, label: int, data_name: str,
                      steps: list[tuple[str, nn.Module, mg.Tensor]]) -> None:
    """The input, each convolution's and pooling layer's maps (a colour bar for each: the
    values as they are), the last hidden features and the class scores as bars."""
    out_of = {name: (layer, y[0]) for name, layer, y in steps}
    fig, ax = common.mosaic("iiaaapp;ccccqqq;hhhhsss", height_ratios=[1.3, 1, 1])
    what = "an MNIST digit" if data_name == "mnist" else (
        "an 8x8 digit, scaled up" if data_name == "digits" else data_name)
    im = common.show(ax["i"], image[0], f"input: {what}", vmin=0, vmax=1)
    ax["i"].set_xlabel(f"(a {label})")
    fig.colorbar(im, ax=ax["i"], shrink=0.8)
    for key, name, rows in (("a", "0", 2), ("p", "2", 2), ("c", "3", 2), ("q", "5", 2)):
        layer, y = out_of[name]
        title = f"{name}: {type(layer).__name__}, {y.shape[0]} maps of {y.shape[1]}x{y.shape[2]}"
        if isinstance(layer, nn.Conv2d):   # any sign: 0 white, red +, blue -
            im = common.show_signed(ax[key], tile(y, rows), title)
        else:                              # pooled sigmoids: between 0 and 1
            im = common.show(ax[key], tile(y, rows), title.replace(", ", " of Sigmoid,\n"),
                             cmap="viridis", vmin=0, vmax=1)
        fig.colorbar(im, ax=ax[key], shrink=0.8)
    layer, hidden = out_of["10"]
    ax["h"].bar(range(hidden.shape[0]), hidden.tolist(), width=1.0, color="tab:gray")
    ax["h"].set(xlabel="feature", ylim=(0, 1),
                title=f"10: the {hidden.shape[0]} features\nthe last Linear reads")
    layer, scores = out_of["11"]
    guess = scores.argmax().item()
    ax["s"].bar(range(10), scores.tolist(),
                color=["tab:green" if c == guess else "tab:blue" for c in range(10)])
    ax["s"].axhline(0, color="k", linewidth=0.8)
    ax["s"].set(xticks=range(10), xlabel="class (digit)", ylabel="score (a logit)",
                title=f"11: the class scores\n(logits): says {guess}")
    common.save(fig, out, "lenet_feature_maps", dpi)


# %% run it
if __name__ == "__main__":
    main()
