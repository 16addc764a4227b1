"""LeNet learns to read digits: the model, the data, the training loop and the evaluation, and
nothing else. Read this before demos/lenet.py, which adds the command line, checkpoints and
resume, thread control, diagnostics and plots around the same loop.

    python demos/train_lenet.py                          # scikit-learn's digits (8x8, padded)
    python demos/train_lenet.py --data-dir ../shared/data/mnist
    python demos/train_lenet.py --device cuda            # the same on a GPU (needs CuPy)
    python demos/train_lenet.py --fast                   # the backends' fast twins of the ops

By default the ops run as the textbook code the reading route shows, the code a debugger steps
into (``F.conv2d`` is unfold and one matrix product); ``--fast`` gives the same numbers sooner.
"""

from __future__ import annotations

import argparse
from typing import Any

import minigrad as mg
import minigrad.nn as nn
from minigrad import data, optim


def lenet(nn: Any = nn) -> Any:
    """The classic LeNet-5 as in d2l: sigmoid activations and average pooling.

    ``nn`` is where the layers come from: minigrad.nn; pass torch.nn and the same lines build
    PyTorch's twin (the tests train the two side by side).
    """
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),   # (N, 6, 28, 28)
        nn.AvgPool2d(kernel_size=2, stride=2),                      # (N, 6, 14, 14)
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),              # (N, 16, 10, 10)
        nn.AvgPool2d(kernel_size=2, stride=2),                      # (N, 16, 5, 5)
        nn.Flatten(),                                               # (N, 400)
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))                                          # (N, 10): one score a digit


def evaluate(model: nn.Module, dataset: data.Dataset, device: str) -> float:
    """Accuracy on ``dataset`` in eval mode (BatchNorm uses its running statistics)."""
    model.eval()
    correct = 0
    with mg.no_grad():
        for x, y in data.DataLoader(dataset, batch_size=1024, device=device):
            correct += (model(x).argmax(dim=1) == y).sum().item()
    model.train()
    return correct / len(dataset)


def xavier(module: nn.Module) -> None:
    """d2l's initialization: Xavier-uniform weights for every Conv2d and Linear."""
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(module.weight)


def train(model: nn.Module, train_set: data.Dataset, test_set: data.Dataset, epochs: int = 10,
          lr: float = 0.005, batch_size: int = 64, device: str = "cpu") -> list[float]:
    """Train with Adam on the cross-entropy loss; the test accuracy after each epoch."""
    model.apply(xavier)                   # (sigmoids learn slowly from the default init)
    model.to(device)
    opt = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    loader = data.DataLoader(train_set, batch_size=batch_size, shuffle=True, device=device)
    accuracies = []
    for epoch in range(1, epochs + 1):
        total, seen = 0.0, 0
        for x, y in loader:               # x: (N, 1, 28, 28) images, y: (N,) digits
            opt.zero_grad()               # forget the last batch's gradients
            loss = loss_fn(model(x), y)   # forward: records the graph
            loss.backward()               # backward: d loss / d every parameter
            opt.step()                    # each p moves against p.grad
            total, seen = total + loss.item() * len(y), seen + len(y)
        accuracies.append(evaluate(model, test_set, device))
        print(f"epoch {epoch}  train loss {total / seen:.4f}  test acc {accuracies[-1]:.4f}")
    return accuracies


def main(argv: list[str] | None = None) -> None:
    """Read the flags, load the data, train."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None, help="MNIST's IDX files (default: digits)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--fast", action="store_true", help="the fast twins of the ops")
    args = p.parse_args(argv)
    mg.backends.fast_paths(args.fast)
    mg.manual_seed(0)
    if args.data_dir is None:
        train_set, test_set = data.Digits(), data.Digits(train=False)
    else:
        train_set, test_set = data.MNIST(args.data_dir), data.MNIST(args.data_dir, train=False)
    train(lenet(), train_set, test_set, args.epochs, device=args.device)


if __name__ == "__main__":
    main()
