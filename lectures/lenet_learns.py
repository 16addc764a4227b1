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

    fig, ax = common.mosaic("lLakkkkkk;lLbjjjjjj", size=(14, 3.6))
    epochs = [h["epoch"] for h in history]
    ax["l"].plot(epochs, [h["loss"] for h in history], marker="o", color="tab:red")
    ax["l"].set(xlabel="epoch", ylabel="training loss (cross-entropy)", xticks=epochs)
    ax["l"].set_title(f"LeNet on {name}: the loss", fontsize=10)
    ax["L"].plot(epochs, [h["test_acc"] for h in history], marker="s", color="tab:blue")
    ax["L"].set(xlabel="epoch", ylabel="test accuracy", xticks=epochs, ylim=(0, 1))
    ax["L"].set_title("the test accuracy", fontsize=10)
    ax["a"].axis("off")
    ax["a"].text(0.5, 0.5, "first layer's\nkernels\nbefore", ha="center", va="center")
    ax["b"].axis("off")
    ax["b"].text(0.5, 0.5, "after\ntraining\n(each row on\nits own scale)", ha="center",
                 va="center")
    after = net[0].weight.detach()
    for row, weights in (("k", before), ("j", after)):
        ax[row].axis("off")
        inner = ax[row].inset_axes([0, 0, 1, 1])
        inner.axis("off")
        grid = mg.cat([mg.cat([w[0], mg.full((5, 1), float("nan"))], dim=1)
                       for w in weights], dim=1)
        common.show_signed(inner, grid, limit=weights.abs().max().item())
    common.save(fig, out, "lenet_learns", args.dpi)

    draw_feature_maps(out, args.dpi, image, label.item(), steps)


def tile(maps: mg.Tensor, size: int) -> mg.Tensor:
    """Maps (C, H, W) side by side as one 2-D image, each enlarged to ``size x size`` (nearest
    pixel) and stretched to [0, 1], with a blank column between two maps."""
    big = F.interpolate(maps.unsqueeze(0), size=(size, size), mode="nearest")[0]
    low = big.amin(dim=(1, 2), keepdim=True)
    high = big.amax(dim=(1, 2), keepdim=True)
    big = (big - low) / (high - low + 1e-12)
    gap = mg.full((maps.shape[0], size, 2), float("nan"))
    return mg.cat([big, gap], dim=2).permute(1, 0, 2).reshape(size, -1)[:, :-2]


def draw_feature_maps(out: Path, dpi: int, image: mg.Tensor, label: int,
                      steps: list[tuple[str, nn.Module, mg.Tensor]]) -> None:
    """The input and every image-shaped layer output as a row of maps (all drawn at 28x28,
    each stretched to its own range), then the vectors as bars."""
    maps = [("input", None, image)] + [(name, layer, y[0]) for name, layer, y in steps
                                       if len(y.shape) == 4]
    vectors = [(name, layer, y[0]) for name, layer, y in steps
               if len(y.shape) == 2 and not isinstance(layer, nn.Sigmoid)]
    letters = "abcd"[:len(vectors)]
    layout = ";".join([str(i) * len(letters) for i in range(len(maps))] + [letters])
    fig, ax = common.mosaic(layout, size=(10, 9), height_ratios=[1] * len(maps) + [1.6])
    size = image.shape[-1]
    for i, (name, layer, y) in enumerate(maps):
        title = f"input: a {label}" if layer is None else (
            f"{name}: {type(layer).__name__}, {y.shape[0]} maps of {y.shape[1]}x{y.shape[2]}")
        common.show(ax[str(i)], tile(y, size), title, cmap="viridis")
        ax[str(i)].set_anchor("W")
    for key, (name, layer, y) in zip(letters, vectors):
        ax[key].bar(range(y.shape[0]), y.tolist(), width=1.0)
        ax[key].set_title(f"{name}: {type(layer).__name__}, {y.shape[0]} numbers", fontsize=9)
        ax[key].tick_params(labelsize=7)
    common.save(fig, out, "lenet_feature_maps", dpi)


# %% run it
if __name__ == "__main__":
    main()
