"""Train LeNet on handwritten digits (or clothes) with minigrad, on the CPU or a GPU.

    python demos/lenet.py                              # MNIST if present/downloadable, else digits
    python demos/lenet.py --data-dir ../shared/data/mnist --epochs 5
    python demos/lenet.py --dataset fashion-mnist --data-dir DIR --optimizer sgd --lr 0.9 \
        --batch-size 256 --schedule none                # d2l's settings
    python demos/lenet.py --device cuda                # the same on a GPU (needs CuPy)

Everything that trains the network is on this page: the model (as torch.nn code), the data
loader, the loop (forward, loss, backward, optimizer step) and the evaluation.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
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
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def lenet_bn(nn: Any = nn) -> Any:
    """d2l's LeNet with batch normalization after each convolution and hidden linear layer."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.Linear(256, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(),
        nn.Linear(84, 10))


MODELS = {"lenet": lenet, "lenet-bn": lenet_bn}


def xavier(module: nn.Module) -> None:
    """d2l's initialization: Xavier-uniform weights for every Conv2d and Linear."""
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(module.weight)


def load_data(args: argparse.Namespace) -> tuple[data.Dataset, data.Dataset, str]:
    """The train and test sets; MNIST falls back to digits when it is neither here nor
    downloadable (so the README's command works offline)."""
    if args.dataset == "digits":
        return data.Digits(), data.Digits(train=False), "digits"
    cls = data.MNIST if args.dataset in ("mnist", None) else data.FashionMNIST
    try:
        root = args.data_dir
        download = root is None
        return (cls(root, train=True, download=download, timeout=10),
                cls(root, train=False, download=download, timeout=10), cls.name)
    except (OSError, RuntimeError, ValueError) as e:
        if args.dataset is not None:
            raise SystemExit(f"error: {e}") from None
        first = str(e).splitlines()[0]
        print(f"notice: MNIST is not available ({first}); training on scikit-learn's digits "
              "instead (pass --data-dir DIR to use MNIST files)", file=sys.stderr)
        return data.Digits(), data.Digits(train=False), "digits"


def make_optimizer(args: argparse.Namespace, model: nn.Module) -> optim.Optimizer:
    if args.optimizer == "adam":
        return optim.Adam(model.parameters(), lr=args.lr)
    momentum = 0.9 if args.optimizer == "momentum" else 0.0
    return optim.SGD(model.parameters(), lr=args.lr, momentum=momentum)


def evaluate(model: nn.Module, dataset: data.Dataset, device: str) -> float:
    """Accuracy on ``dataset`` in eval mode (BatchNorm uses its running statistics)."""
    model.eval()
    correct = 0
    with mg.no_grad():
        for x, y in data.DataLoader(dataset, batch_size=1024, device=device):
            correct += (model(x).argmax(dim=1) == y).sum().item()
    model.train()
    return correct / len(dataset)


def progress(iterable: Any, total: int, desc: str) -> Any:
    """A tqdm progress bar when tqdm is installed (the 'demos' extra); else plain."""
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False, unit="batch",
                disable=not sys.stderr.isatty())


def plot(history: list[dict[str, float]], path: str) -> None:
    """Loss and accuracy per epoch, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, [h["train_loss"] for h in history], marker="o")
    left.set(xlabel="epoch", ylabel="train loss", title="loss")
    right.plot(epochs, [h["train_acc"] for h in history], marker="o", label="train")
    right.plot(epochs, [h["test_acc"] for h in history], marker="o", label="test")
    right.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=sorted(MODELS), default="lenet")
    p.add_argument("--dataset", choices=["mnist", "fashion-mnist", "digits"], default=None,
                   help="default: MNIST if present or downloadable, else digits")
    p.add_argument("--data-dir", default=None, help="a folder holding the four IDX files")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--epochs", type=int, default=None,
                   help="default: 10 (30 on the small digits set)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=None,
                   help="default: 0.9 for sgd, 0.1 for momentum, 0.005 for adam")
    p.add_argument("--optimizer", choices=["sgd", "momentum", "adam"], default="adam")
    p.add_argument("--schedule", choices=["none", "cosine"], default="cosine",
                   help="learning rate: constant, or annealed to 0 along a cosine")
    p.add_argument("--init", choices=["default", "xavier"], default="xavier")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint", default=None, help="save model and optimizer each epoch")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    p.add_argument("--stop-after", type=int, default=None,
                   help="stop after this many epochs, as if interrupted (resume later)")
    p.add_argument("--plot", default=None, help="write loss and accuracy curves to this PNG")
    p.add_argument("--target-acc", type=float, default=None,
                   help="exit non-zero when the final test accuracy is below this")
    args = p.parse_args(argv)
    if args.lr is None:
        args.lr = {"sgd": 0.9, "momentum": 0.1, "adam": 0.005}[args.optimizer]
    if args.resume and not args.checkpoint:
        p.error("--resume needs --checkpoint PATH")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mg.manual_seed(args.seed)
    train_set, test_set, name = load_data(args)
    if args.epochs is None:
        args.epochs = 30 if name == "digits" else 10
    model = MODELS[args.model]()
    if args.init == "xavier":
        model.apply(xavier)
    model.to(args.device)
    opt = make_optimizer(args, model)
    schedule = (optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
                if args.schedule == "cosine" else None)
    loss_fn = nn.CrossEntropyLoss()
    history: list[dict[str, float]] = []
    start_epoch = 0
    if args.resume and Path(args.checkpoint).exists():
        state = mg.load(args.checkpoint)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        if schedule is not None:
            schedule.load_state_dict(state["schedule"])
        mg.set_rng_state(state["rng"])
        history, start_epoch = state["history"], state["epoch"]
        print(f"resumed from {args.checkpoint} after epoch {start_epoch}")
    print(f"training {args.model} on {name} ({len(train_set)} train, {len(test_set)} test) on "
          f"{args.device}: {args.optimizer} lr {args.lr} ({args.schedule}), batch "
          f"{args.batch_size}, "
          f"{args.init} init, seed {args.seed}")
    loader = data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                             device=args.device)
    began = time.perf_counter()
    last = args.epochs if args.stop_after is None else min(args.epochs, args.stop_after)
    for epoch in range(start_epoch + 1, last + 1):
        tic = time.perf_counter()
        total_loss, correct, seen = 0.0, 0, 0
        bar = progress(loader, len(loader), f"epoch {epoch}")
        for x, y in bar:
            opt.zero_grad()
            logits = model(x)
            loss = loss_fn(logits, y)
            loss.backward()
            opt.step()
            total_loss += loss.item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += len(y)
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{total_loss / seen:.3f}",
                                ex_s=f"{seen / (time.perf_counter() - tic):.0f}")
        seconds = time.perf_counter() - tic
        if schedule is not None:
            schedule.step()
        test_acc = evaluate(model, test_set, args.device)
        history.append({"epoch": epoch, "train_loss": total_loss / seen,
                        "train_acc": correct / seen, "test_acc": test_acc,
                        "seconds": seconds})
        print(f"epoch {epoch:2d}  train loss {total_loss / seen:.4f}  train acc "
              f"{correct / seen:.4f}  test acc {test_acc:.4f}  {seen / seconds:7.0f} ex/s  "
              f"epoch {seconds:5.1f} s  elapsed {time.perf_counter() - began:6.1f} s",
              flush=True)
        if args.checkpoint:
            mg.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                     "epoch": epoch, "history": history, "rng": mg.get_rng_state(),
                     "schedule": schedule.state_dict() if schedule is not None else None,
                     "args": {k: v for k, v in vars(args).items() if v is not None}},
                    args.checkpoint)
    if args.plot and history:
        plot(history, args.plot)
        print(f"wrote {args.plot}")
    final = history[-1]["test_acc"] if history else evaluate(model, test_set, args.device)
    if args.target_acc is not None and final < args.target_acc:
        print(f"test accuracy {final:.4f} is below the target {args.target_acc}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
