"""Train LeNet on handwritten digits (or clothes) with minigrad, on the CPU or a GPU.

    python demos/lenet.py                              # MNIST if present/downloadable, else digits
    python demos/lenet.py --data-dir ../shared/data/mnist --epochs 5
    python demos/lenet.py --dataset fashion-mnist --data-dir DIR --optimizer sgd --lr 0.9 \
        --batch-size 256 --schedule none                # d2l's settings
    python demos/lenet.py --device cuda                # the same on a GPU (needs CuPy)
    python demos/lenet.py --textbook                   # the textbook ops, as the lecture reads
    python demos/lenet.py --dataset digits --optimizer sgd --lr 0.9 --schedule none \
        --init default --diagnose --plot flow.png       # why it learns slowly at first

demos/train_lenet.py is the short version (the model, the data, the loop and the evaluation
on one screen); this one adds the command line, checkpoints and resume, thread control,
diagnostics and plots around the same loop.

Every mistake (a bad flag, a device that is not there, an output folder that cannot be written,
data files that are missing or corrupt, a checkpoint that does not fit) is one line
``lenet.py: error: ...`` on stderr and exit code 2, before any training. Exit code 1 means the
run finished below ``--target-acc``. Only the default run, with neither --dataset nor --data-dir,
falls back to scikit-learn's digits when MNIST cannot be downloaded (with a one-line notice).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import minigrad as mg
import minigrad.nn as nn
from minigrad import data, optim

try:  # the model and the evaluation, from the short version of this demo (read it first)
    from demos.train_lenet import evaluate, lenet, xavier
except ImportError:  # run as a script: demos/ is on the path, not the repository's root
    from train_lenet import evaluate, lenet, xavier


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

PROG = "lenet.py"
# the settings a checkpoint was trained with: on --resume a flag left out takes the checkpoint's
# value and a flag given with another value is an error (--epochs may grow: see --resume)
TRAINING_FLAGS = ("model", "dataset", "optimizer", "lr", "schedule", "batch_size", "init", "seed")
DEFAULTS: dict[str, Any] = {"model": "lenet", "optimizer": "adam", "schedule": "cosine",
                            "batch_size": 64, "init": "xavier", "seed": 0}
DEFAULT_LR = {"sgd": 0.9, "momentum": 0.1, "adam": 0.005}
CHECKPOINT_KEYS = ("model", "optimizer", "epoch", "history", "rng")


def fail(message: str) -> NoReturn:
    """Print ``lenet.py: error: message`` as one line on stderr and exit with code 2."""
    line = " ".join(part.strip() for part in str(message).splitlines() if part.strip())
    print(f"{PROG}: error: {line}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def flag(name: str) -> str:
    """The command-line spelling of an argument: batch_size -> --batch-size."""
    return "--" + name.replace("_", "-")


def load_data(args: argparse.Namespace) -> tuple[data.Dataset, data.Dataset, str]:
    """The train and test sets and the dataset's name.

    Only the default run (neither ``--dataset`` nor ``--data-dir``) falls back to digits, and
    only when MNIST can be neither found in the download cache nor downloaded (so the README's
    command works offline). Data that was asked for but is missing or corrupt is an error with
    the reader's message.
    """
    if args.dataset == "digits":
        if args.data_dir is not None:
            fail("argument --data-dir: not used with --dataset digits (scikit-learn's bundled "
                 "set)")
        try:
            return data.Digits(), data.Digits(train=False), "digits"
        except ImportError as e:
            fail(f"argument --dataset: {e}")
    cls = data.MNIST if args.dataset in ("mnist", None) else data.FashionMNIST
    root = args.data_dir
    if root is not None and not Path(root).is_dir():
        fail(f"argument --data-dir: {root} is not a directory")
    default_run = args.dataset is None and root is None
    try:
        return (cls(root, train=True, download=root is None, timeout=10),
                cls(root, train=False, download=root is None, timeout=10), cls.name)
    except (OSError, RuntimeError) as e:  # not found, or the download failed
        if not default_run:
            fail(f"argument {'--data-dir' if root else '--dataset'}: {str(e).splitlines()[0]}")
    except ValueError as e:  # a corrupt or truncated file (the message names it)
        what = str(e)
        if default_run:
            fail(f"{what} (delete the damaged file from the download cache to fetch it again)")
        fail(f"argument {'--data-dir' if root else '--dataset'}: {what}")
    print("notice: MNIST is not available (download failed); training on scikit-learn's "
          "digits instead (--data-dir DIR reads local MNIST files)", file=sys.stderr, flush=True)
    return data.Digits(), data.Digits(train=False), "digits"


def make_optimizer(args: argparse.Namespace, model: nn.Module) -> optim.Optimizer:
    """Adam, or SGD with or without momentum 0.9, at ``args.lr``."""
    if args.optimizer == "adam":
        return optim.Adam(model.parameters(), lr=args.lr)
    momentum = 0.9 if args.optimizer == "momentum" else 0.0
    return optim.SGD(model.parameters(), lr=args.lr, momentum=momentum)


def progress(iterable: Any, total: int, desc: str) -> Any:
    """A tqdm progress bar when tqdm is installed (the 'demos' extra); else plain."""
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False, unit="batch",
                disable=not sys.stderr.isatty())


def plot(history: list[dict[str, Any]], path: str) -> None:
    """Loss and accuracy per epoch, as an image in the format that ``path`` ends with (PNG
    unless --plot named another; ``plot_path`` made sure the name has an extension)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    flow = [h for h in history if "grad_norm" in h]  # epochs trained with --diagnose
    fig, axes = plt.subplots(1, 3 if flow else 2, figsize=(13.5 if flow else 9, 3.5))
    left, right = axes[:2]
    left.plot(epochs, [h["train_loss"] for h in history], marker="o")
    left.set(xlabel="epoch", ylabel="train loss", title="loss")
    right.plot(epochs, [h["train_acc"] for h in history], marker="o", label="train")
    right.plot(epochs, [h["test_acc"] for h in history], marker="o", label="test")
    right.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    right.legend()
    if flow:  # --diagnose: how much gradient reaches each layer, epoch by epoch
        for layer in flow[-1]["grad_norm"]:
            axes[2].plot([h["epoch"] for h in flow], [h["grad_norm"].get(layer, float("nan"))
                                                      for h in flow], marker="o", label=layer)
        axes[2].set(xlabel="epoch", ylabel="gradient norm", yscale="log",
                    title="gradient per layer")
        axes[2].legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def diagnose(diagnostics: mg.diagnostics.Diagnostics) -> dict[str, float]:
    """--diagnose: print how the gradient flowed through the layers this epoch (gradient norm,
    weight norm, update ratio, sigmoid saturation); return the gradient norms by layer."""
    report = diagnostics.report()
    print("  " + str(report).replace("\n", "\n  "), flush=True)
    return {f"{row.name} {row.kind}": row.grad_norm for row in report.rows
            if row.grad_norm is not None}


# ---- the command line: every check here runs before any data is read or any training --------
class Parser(argparse.ArgumentParser):
    """argparse, but an error is the one line ``lenet.py: error: ...`` (no usage block)."""

    def error(self, message: str) -> NoReturn:
        fail(message)


def number(kind: type, ok: Callable[[Any], bool], wanted: str, doc: str) -> Callable[[str], Any]:
    """An argparse type: the text read as ``kind`` (int or float), refused unless ``ok``."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            expected = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(
                f"must be {wanted}, got {value if kind is int else text}")
        return value
    parse.__doc__ = f"An argparse type: {doc}."
    return parse


positive_int = number(int, lambda v: v >= 1, "at least 1", "a whole number of at least 1")
non_negative_int = number(int, lambda v: v >= 0, "0 or more", "a whole number of at least 0")
positive_float = number(float, lambda v: math.isfinite(v) and v > 0, "a number above 0",
                        "a finite number above 0")
fraction = number(float, lambda v: 0.0 <= v <= 1.0, "an accuracy from 0 to 1",
                  "a number from 0 to 1 (an accuracy)")


def thread_count(text: str) -> str | int:
    """An argparse type: 'auto' or a whole number of at least 1."""
    return "auto" if text == "auto" else positive_int(text)


def cpu_threads(setting: str | int) -> Callable[[], int] | None:
    """--threads: a fixed BLAS thread count, or 'auto': fewer threads while other programs use
    the CPUs (spinning BLAS threads that wait for a busy CPU make an epoch several times
    slower). For auto, a function to call once per step."""
    try:
        if setting == "auto":
            return mg.threads.FollowFreeCpus()
        mg.threads.set_num_threads(setting)
        return None
    except RuntimeError as e:  # threadpoolctl is not installed
        if setting != "auto":
            fail(f"argument --threads: {e}")
        print("notice: --threads auto needs threadpoolctl (pip install threadpoolctl); the BLAS "
              "keeps its own thread count", file=sys.stderr)
        return None


def check_device(spec: str) -> None:
    """Fail unless ``spec`` names a device whose backend works here (saying why not)."""
    try:
        device = mg.device(spec)
    except (RuntimeError, TypeError) as e:
        fail(f"argument --device: {e}")
    if not device.backend.is_available():
        fail(f"argument --device: {spec} is not available here: {device.backend.reason}")


def check_writable(name: str, path: Path) -> None:
    """Fail unless a file can be written at ``path`` (its folder exists and takes new files)."""
    if path.is_dir():
        fail(f"argument {name}: {path} is a directory, not a file name")
    folder = path.parent
    if not folder.exists():
        fail(f"argument {name}: the directory {folder} does not exist")
    if not folder.is_dir():
        fail(f"argument {name}: {folder} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        fail(f"argument {name}: cannot write to the directory {folder}: {e.strerror or e}")
    if path.exists() and not os.access(path, os.W_OK):
        fail(f"argument {name}: {path} is not writable")


def plot_path(text: str) -> str:
    """The file --plot will really write: the name as given, with ``.png`` added when it has no
    extension; an extension matplotlib cannot write is an error."""
    path = Path(text)
    if path.is_dir():
        fail(f"argument --plot: {text} is a directory, not a file name")
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        fail("argument --plot: needs matplotlib (pip install matplotlib, or the 'demos' extra)")
    kinds = FigureCanvasBase.get_supported_filetypes()
    if not path.suffix:
        return text + ".png"
    if path.suffix[1:].lower() not in kinds:
        fail(f"argument --plot: matplotlib cannot write {path.suffix} files "
             f"(use .png, .pdf, .svg or no extension for PNG): {text}")
    return text


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The flags, checked: values in range, a working device, writable outputs, an existing
    checkpoint to resume. Settings left out stay None here (see ``resolve``)."""
    p = Parser(prog=PROG, description=__doc__.splitlines()[0],
               epilog="Errors are one line on stderr with exit code 2, before any training; "
                      "exit code 1: the final test accuracy is below --target-acc.")
    p.add_argument("--model", choices=sorted(MODELS), default=None, help="default: lenet")
    p.add_argument("--dataset", choices=["mnist", "fashion-mnist", "digits"], default=None,
                   help="default: MNIST if in the cache or downloadable, else digits (the only "
                        "case that falls back: a dataset or --data-dir asked for must load)")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="a folder holding the four IDX files of --dataset (default mnist)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    p.add_argument("--textbook", action="store_true",
                   help="run the textbook code of every op (the code the reading route shows "
                        "and a debugger steps into), not the backends' fast twins; the same "
                        "numbers, slower")
    p.add_argument("--threads", type=thread_count, default="auto", metavar="N|auto",
                   help="CPU threads for the matrix products; auto (the default) uses the CPUs "
                        "other programs leave free, checked as it trains")
    p.add_argument("--epochs", type=positive_int, default=None, metavar="N",
                   help="at least 1 (0 is an error, not an empty run); default: 10 (30 on the "
                        "small digits set), or the checkpoint's with --resume")
    p.add_argument("--batch-size", type=positive_int, default=None, metavar="N",
                   help="at least 1; default: 64")
    p.add_argument("--lr", type=positive_float, default=None,
                   help="above 0; default: 0.9 for sgd, 0.1 for momentum, 0.005 for adam")
    p.add_argument("--optimizer", choices=["sgd", "momentum", "adam"], default=None,
                   help="default: adam")
    p.add_argument("--schedule", choices=["none", "cosine"], default=None,
                   help="learning rate: constant, or annealed to 0 along a cosine over --epochs "
                        "(default: cosine)")
    p.add_argument("--init", choices=["default", "xavier"], default=None,
                   help="default: xavier")
    p.add_argument("--seed", type=non_negative_int, default=None, metavar="N",
                   help="0 or more; default: 0")
    p.add_argument("--checkpoint", default=None, metavar="PATH",
                   help="save model, optimizer and schedule here after every epoch")
    p.add_argument("--resume", action="store_true",
                   help="continue from --checkpoint, which must exist. Flags left out take the "
                        "checkpoint's values; --model, --dataset, --optimizer, --lr, --schedule, "
                        "--batch-size, --init or --seed given with another value is an error. "
                        "--epochs may be raised: a cosine schedule is then laid out over the new "
                        "--epochs, continuing from the saved epoch (so a finished one does not "
                        "train on at lr 0)")
    p.add_argument("--stop-after", type=positive_int, default=None, metavar="N",
                   help="stop after epoch N (at most --epochs) as if interrupted; needs "
                        "--checkpoint, to --resume later")
    p.add_argument("--plot", default=None, metavar="PATH",
                   help="write loss and accuracy curves to this image (.png added when the name "
                        "has no extension)")
    p.add_argument("--diagnose", action="store_true",
                   help="after each epoch print each layer's gradient norm, weight norm, update "
                        "ratio and sigmoid saturation (mg.diagnostics); --plot draws the "
                        "gradient norms")
    p.add_argument("--target-acc", type=fraction, default=None, metavar="A",
                   help="exit code 1 when the final test accuracy is below A (0 to 1)")
    args = p.parse_args(argv)
    if args.resume and not args.checkpoint:
        p.error("argument --resume: needs --checkpoint PATH")
    if args.stop_after is not None and not args.checkpoint:
        p.error("argument --stop-after: needs --checkpoint PATH (else there is nothing to "
                "resume from)")
    if args.epochs is not None and args.stop_after is not None and args.stop_after > args.epochs:
        p.error(f"argument --stop-after: {args.stop_after} is beyond --epochs {args.epochs}")
    check_device(args.device)
    if args.checkpoint:
        check_writable("--checkpoint", Path(args.checkpoint))
        if args.resume and not Path(args.checkpoint).is_file():
            p.error(f"argument --resume: no checkpoint at {args.checkpoint}")
    if args.plot:
        args.plot = plot_path(args.plot)
        check_writable("--plot", Path(args.plot))
    return args


def load_checkpoint(args: argparse.Namespace) -> dict[str, Any]:
    """Read --checkpoint for --resume; fail unless it is one of this demo's and every training
    flag given agrees with it. Flags left out take the checkpoint's values."""
    try:
        state = mg.load(args.checkpoint)
    except (OSError, ValueError) as e:
        fail(f"argument --resume: {e}")
    missing = [k for k in CHECKPOINT_KEYS if not isinstance(state, dict) or k not in state]
    if missing:
        fail(f"argument --resume: {args.checkpoint} is not a lenet.py checkpoint (it has no "
             f"{', '.join(missing)})")
    saved = state.get("args") or {}
    clashes = [f"{flag(k)} {getattr(args, k)} (checkpoint: {saved[k]})" for k in TRAINING_FLAGS
               if getattr(args, k) is not None and k in saved and getattr(args, k) != saved[k]]
    if clashes:
        fail(f"argument --resume: {args.checkpoint} was trained with other settings: "
             f"{', '.join(clashes)}; leave these flags out to continue with the checkpoint's "
             "values, or train afresh without --resume")
    for k in (*TRAINING_FLAGS, "epochs", "data_dir"):
        if getattr(args, k) is None and saved.get(k) is not None:
            setattr(args, k, saved[k])
    return state


def plural(n: int, word: str) -> str:
    """``1 epoch``, ``2 epochs``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def default_epochs(dataset: str) -> int:
    """10 epochs, or 30 on the small digits set."""
    return 30 if dataset == "digits" else 10


def check_epochs(args: argparse.Namespace, done: int) -> None:
    """Fail unless there is at least one epoch to train after the ``done`` ones and
    --stop-after lies in between."""
    if done >= args.epochs:
        fail(f"argument --epochs: {args.checkpoint} has already trained {done} of "
             f"{args.epochs} epochs; pass --epochs N with N above {done} to train on")
    if args.stop_after is not None and args.stop_after > args.epochs:
        fail(f"argument --stop-after: {args.stop_after} is beyond --epochs {args.epochs}")
    if args.stop_after is not None and args.stop_after <= done:
        fail(f"argument --stop-after: {args.stop_after} is not past the checkpoint's epoch "
             f"{done} ({args.checkpoint})")


def make_schedule(args: argparse.Namespace, opt: optim.Optimizer, state: dict[str, Any] | None,
                  done: int) -> optim.lr_scheduler.LRScheduler | None:
    """The cosine schedule over --epochs, at epoch ``done``: the checkpoint's own when it was
    laid out for the same number of epochs (an exact continuation), else laid out afresh over
    the --epochs asked now, from the initial lr, continuing at epoch ``done``."""
    if args.schedule != "cosine":
        return None
    saved = state.get("schedule") if state is not None else None
    if saved is not None and saved.get("T_max") == args.epochs:
        schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
        schedule.load_state_dict(saved)
        return schedule
    # laid out afresh over --epochs from the initial lr and stepped to `done` (resuming with
    # last_epoch would go on from the finished schedule's lr 0, as torch's recursive form does)
    for group in opt.param_groups:
        group["lr"] = group.get("initial_lr", group["lr"])
    schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    for _ in range(done):
        schedule.step()
    if state is not None:
        print(f"the cosine schedule now spans {args.epochs} epochs: epoch {done + 1} trains at "
              f"lr {opt.param_groups[0]['lr']:.4g}")
    return schedule


def main(argv: list[str] | None = None) -> int:
    """Train (or resume), print a line per epoch, checkpoint, plot; the exit code."""
    args = parse_args(argv)
    state = load_checkpoint(args) if args.resume else None
    done = state["epoch"] if state is not None else 0
    for k, value in DEFAULTS.items():
        if getattr(args, k) is None:
            setattr(args, k, value)
    if args.lr is None:
        args.lr = DEFAULT_LR[args.optimizer]
    if args.epochs is None and args.dataset is not None:
        args.epochs = default_epochs(args.dataset)
    if args.epochs is not None:
        check_epochs(args, done)
    if args.textbook:
        mg.backends.fast_paths(False)
    mg.manual_seed(args.seed)
    train_set, test_set, args.dataset = load_data(args)
    if args.epochs is None:
        args.epochs = default_epochs(args.dataset)
        check_epochs(args, done)
    model = MODELS[args.model]()
    if args.init == "xavier":
        model.apply(xavier)
    model.to(args.device)
    opt = make_optimizer(args, model)
    diagnostics = mg.diagnostics.Diagnostics(model) if args.diagnose else None
    loss_fn = nn.CrossEntropyLoss()
    history: list[dict[str, Any]] = []
    if state is not None:
        try:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
        except (KeyError, ValueError, RuntimeError) as e:
            fail(f"argument --resume: {args.checkpoint} does not fit --model {args.model} "
                 f"--optimizer {args.optimizer}: {e}")
        mg.set_rng_state(state["rng"])
        history = state["history"]
        print(f"resumed from {args.checkpoint} after epoch {done}")
    schedule = make_schedule(args, opt, state, done)
    print(f"training {args.model} on {args.dataset} ({len(train_set)} train, {len(test_set)} "
          f"test) on {args.device}: {plural(args.epochs, 'epoch')}, {args.optimizer} lr {args.lr} "
          f"({args.schedule}), batch {args.batch_size}, {args.init} init, seed {args.seed}")
    loader = data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                             device=args.device)
    follow_cpus = cpu_threads(args.threads) if args.device == "cpu" else None
    began = time.perf_counter()
    last = args.epochs if args.stop_after is None else args.stop_after
    epoch = done
    try:
        for epoch in range(done + 1, last + 1):
            lr = opt.param_groups[0]["lr"]
            tic = time.perf_counter()
            total_loss, correct, seen = 0.0, 0, 0
            bar = progress(loader, len(loader), f"epoch {epoch}")
            for x, y in bar:
                if follow_cpus is not None:
                    follow_cpus()  # fewer BLAS threads while other programs use the CPUs
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
            print(f"epoch {epoch:2d}  lr {lr:.4g}  train loss {total_loss / seen:.4f}  train "
                  f"acc {correct / seen:.4f}  test acc {test_acc:.4f}  {seen / seconds:7.0f} "
                  f"ex/s  epoch {seconds:5.1f} s  elapsed {time.perf_counter() - began:6.1f} s"
                  + (f"  threads {mg.threads.get_num_threads()}" if args.device == "cpu" else ""),
                  flush=True)
            if diagnostics is not None:  # --diagnose: the gradient flow of this epoch
                history[-1]["grad_norm"] = diagnose(diagnostics)
            if args.checkpoint:
                mg.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                         "epoch": epoch, "history": history, "rng": mg.get_rng_state(),
                         "schedule": schedule.state_dict() if schedule is not None else None,
                         "args": {k: getattr(args, k)
                                  for k in (*TRAINING_FLAGS, "epochs", "data_dir")}},
                        args.checkpoint)
    except KeyboardInterrupt:
        saved = (f"; {args.checkpoint} holds epoch {epoch - 1}, --resume continues"
                 if args.checkpoint and epoch > 1 else "")
        print(f"{PROG}: interrupted in epoch {epoch}{saved}", file=sys.stderr)
        return 130
    if args.plot:
        plot(history, args.plot)
        print(f"wrote {args.plot}")
    final = history[-1]["test_acc"]
    if args.target_acc is not None and final < args.target_acc:
        print(f"test accuracy {final:.4f} is below the target {args.target_acc}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
