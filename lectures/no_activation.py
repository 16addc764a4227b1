"""Don't forget the activation: without it, a deep network is one linear map.

    python lectures/no_activation.py --out DIR

Convolution, average pooling, flattening and linear layers are all linear in the input (plus
a constant): so is any stack of them. LeNet with its sigmoids taken out, however many layers
and parameters it has, computes exactly net(x) = A x + b for one matrix A (10 x 784) and one
vector b: a logistic regression on the pixels. Here A and b are read off the network (b is
net(0), column j of A is net(e_j) - b for the j-th unit image) and the network is checked
against them on random images; then both networks train side by side.
"""

from __future__ import annotations

# %% the imports (common first: it puts the repository root on the path)
import argparse

import common  # first: it puts the repository root (demos/) on the path
from lenet_learns import add_training_flags, train

import minigrad as mg
import minigrad.nn as nn
from demos.lenet import lenet, xavier
from demos.two_moons import make_moons


# %% what the lecture uses
def without_activations(net: nn.Sequential) -> nn.Sequential:
    """The same layers with every activation (Sigmoid, ReLU, Tanh) taken out."""
    return nn.Sequential(*[layer for layer in net
                           if not isinstance(layer, (nn.Sigmoid, nn.ReLU, nn.Tanh))])


def as_one_linear_map(net: nn.Module, shape: tuple[int, ...]) -> tuple[mg.Tensor, mg.Tensor]:
    """The matrix A and the vector b with net(x) = A x.flatten() + b, read off the network: b
    is its answer to a black image, column j of A its answer to pixel j alone, minus b."""
    pixels = 1
    for n in shape:
        pixels *= n
    with mg.no_grad():
        b = net(mg.zeros(1, *shape))[0]                         # (classes,)
        units = mg.eye(pixels).reshape(pixels, *shape)         # one image per pixel
        a = (net(units) - b).t()                               # (classes, pixels)
    return a, b


def moons_accuracy(activation: bool, steps: int, seed: int) -> tuple[float, nn.Module]:
    """A small network (2 -> 16 -> 16 -> 2) trained on the two moons, with or without a tanh
    after each hidden layer: its training accuracy, and the network."""
    import numpy as np

    x_np, y_np = make_moons(512, 0.1, np.random.default_rng(seed))
    x, y = mg.tensor(x_np), mg.tensor(y_np)
    mg.manual_seed(seed)
    hidden = [nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh()]
    net = nn.Sequential(*[m for m in hidden if activation or not isinstance(m, nn.Tanh)],
                        nn.Linear(16, 2))
    opt = mg.optim.Adam(net.parameters(), lr=0.03)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    with mg.no_grad():
        return (net(x).argmax(dim=1) == y).float().mean().item(), net


# %% the command line (in a notebook: the defaults)
def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the common flags (``--out DIR`` ...) and this script's own."""
    p = common.parser(__doc__)
    add_training_flags(p, epochs=6)
    return p.parse_args(common.command_line(argv))


# %% the lecture
def main(argv: list[str] | None = None) -> None:
    """Read A and b off LeNet without activations, check them, train both; draw."""
    args = arguments(argv)
    out = common.start(args)

    linear_net = without_activations(lenet())
    linear_net.eval()
    count = sum(p.numel() for p in linear_net.parameters())
    layers = [type(layer).__name__ for layer in linear_net]
    a, b = as_one_linear_map(linear_net, (1, 28, 28))
    x = mg.randn(16, 1, 28, 28)
    with mg.no_grad():
        gap = (linear_net(x) - (x.reshape(16, -1) @ a.t() + b)).abs().max().item()
    print(f"LeNet without its sigmoids: {len(layers)} layers ({', '.join(layers)}), "
          f"{count:,} parameters")
    print(f"as one linear map: A {list(a.shape)}, b {list(b.shape)}: "
          f"{a.numel() + b.numel():,} numbers")
    print(f"max |net(x) - (A x + b)| over 16 random images = {gap:.1e} (the same function)")

    # where it shows at once: two interleaved half moons, which no straight line separates
    moons = {}
    for activation in (True, False):
        moons[activation] = moons_accuracy(activation, 300, args.seed)
        kind = "with tanh          " if activation else "without activations"
        print(f"two moons, 2 -> 16 -> 16 -> 2 {kind}: training accuracy "
              f"{moons[activation][0]:.3f}")

    # trained side by side: the network without activations is a logistic regression on the
    # pixels, however deep; the best linear classifier is its ceiling
    train_set, test_set, data_name = common.load_data(args)
    histories, trained = {}, {}
    for name, build in (("LeNet", lenet), ("LeNet without activations",
                                           lambda: without_activations(lenet()))):
        mg.manual_seed(args.seed)
        trained[name] = model = build()
        model.apply(xavier)
        histories[name] = train(model, train_set, test_set, args.epochs, args.lr,
                                args.batch_size, args.seed, label=f"{name:<26} ")
    images = test_set[:64][0]
    for name, model in trained.items():
        model.eval()
        a_t, b_t = as_one_linear_map(model, (1, 28, 28))
        with mg.no_grad():
            miss = (model(images) - (images.reshape(64, -1) @ a_t.t() + b_t)).abs().max()
        print(f"after training, {name}: max |net(x) - (A x + b)| on 64 test images = "
              f"{miss.item():.1e}" + (" (still one linear map)" if name != "LeNet" else
                                      " (not linear: for a linear map the reading is exact)"))
    a = as_one_linear_map(trained["LeNet without activations"], (1, 28, 28))[0]
    b = as_one_linear_map(trained["LeNet without activations"], (1, 28, 28))[1]

    fig, ax = common.mosaic("aaaaaaaaaaaa;bbcccdddeeff")
    for digit in range(10):
        sub = ax["a"].inset_axes([digit / 10, 0, 0.095, 1])
        common.show_signed(sub, a[digit].reshape(28, 28), f"A row {digit}")
    ax["a"].axis("off")
    ax["a"].set_title("trained LeNet without activations = one linear map: A's row for "
                      "each digit (a 28x28 template)")
    ax["b"].bar(range(10), b.tolist(), color="tab:gray")
    ax["b"].set_title("b")
    ax["b"].set(xlabel="digit")
    for name, history in histories.items():
        ax["c"].plot([h["epoch"] for h in history], [h["test_acc"] for h in history],
                     marker="o", label=name)
    ax["c"].set(xlabel="epoch", ylabel="test accuracy", ylim=(0, 1),
                xticks=list(range(1, args.epochs + 1)))
    ax["c"].set_title(f"{data_name}: a linear map does well")
    ax["c"].legend()
    ax["d"].barh(["LeNet", "no act.", "A, b"], [sum(p.numel() for p in lenet().parameters()),
                                                count, a.numel() + b.numel()],
                 color=["tab:blue", "tab:orange", "tab:gray"])
    ax["d"].invert_yaxis()
    ax["d"].set(title="parameters", xticks=[0, 30000, 60000], xticklabels=["0", "30,000", "60,000"])
    import numpy as np

    x_np, y_np = make_moons(512, 0.1, np.random.default_rng(args.seed))
    grid = np.stack(np.meshgrid(np.linspace(-1.5, 2.5, 120), np.linspace(-1, 1.5, 80)), -1)
    for key, activation in (("e", True), ("f", False)):
        accuracy, net = moons[activation]
        with mg.no_grad():
            regions = net(mg.tensor(grid.reshape(-1, 2).astype(np.float32))).argmax(dim=1)
        ax[key].contourf(grid[..., 0], grid[..., 1], common.array(regions).reshape(80, 120),
                         levels=[-0.5, 0.5, 1.5], colors=["#f4c7c3", "#c6dbef"])
        ax[key].scatter(x_np[:, 0], x_np[:, 1], c=y_np, cmap="coolwarm", s=4)
        ax[key].set_title(f"{'tanh' if activation else 'no activation'}:\n"
                          f"accuracy {accuracy:.2f}")
        ax[key].set_xlabel("two moons")
        ax[key].set_xticks([])
        ax[key].set_yticks([])
    common.save(fig, out, "no_activation", args.dpi)


# %% run it
if __name__ == "__main__":
    main()
