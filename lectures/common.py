"""What every lecture script shares: its command line, the toy car, drawing and saving figures,
and walking a network layer by layer.

Figures are drawn with matplotlib's object API (``matplotlib.figure.Figure``), which needs no
window and no global state: the scripts run the same on a laptop and on a headless server.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import data

# The course's LeNet lives in demos/lenet.py, beside this folder; demos/ is not installed with
# minigrad, so the repository root goes on the import path (``from demos.lenet import lenet``).
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

DPI = 150  # sharp enough to project; lectures/figures/ holds the same at COMMITTED_DPI
COMMITTED_DPI = 80  # make_figures.py's default: the committed PNGs stay small (under 2 MB)
SLIDE = (12.8, 7.2)  # inches: a 16:9 slide; every figure is one, so it projects full screen
TEXT = 12  # points: the smallest text a figure holds, readable from the back of the room
STYLE = {"font.size": TEXT, "axes.titlesize": TEXT + 1, "axes.labelsize": TEXT,
         "xtick.labelsize": TEXT, "ytick.labelsize": TEXT, "legend.fontsize": TEXT,
         "figure.titlesize": TEXT + 2, "legend.title_fontsize": TEXT}


# ---- the command line ----------------------------------------------------------------------
def parser(doc: str | None) -> argparse.ArgumentParser:
    """The flags every script takes: ``--out DIR``, ``--seed N``, ``--dpi N``, ``--fast`` and
    ``--threads N``. A script adds its own (a kernel, a stride, a number of epochs) to explore
    with."""
    first_line = (doc or "").strip().splitlines()[0] if doc else None
    p = argparse.ArgumentParser(description=first_line)
    p.add_argument("--out", default=".", metavar="DIR",
                   help="folder for the PNG figures (made if missing; default: here)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--dpi", type=int, default=DPI, help=f"figure resolution (default: {DPI})")
    p.add_argument("--fast", action="store_true",
                   help="run the backends' fast twins of the ops (default: the textbook code "
                        "the lecture shows, the code a debugger steps into; same numbers)")
    p.add_argument("--threads", type=int, default=1,
                   help="CPU threads for the matrix products (default: 1; the lecture's small "
                        "matrices gain nothing from more, and a busy machine loses from them)")
    return p


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (a notebook from make_notebooks.py, or the script
    opened as one: its ``# %%`` cells)."""
    return "ipykernel" in sys.modules


def command_line(argv: list[str] | None) -> list[str] | None:
    """The arguments to parse: ``argv``, else the command line's; in a notebook the kernel's
    own arguments are not the lecture's, so its defaults (edit a cell to change them)."""
    return [] if argv is None and in_notebook() else argv


def add_data_flags(p: argparse.ArgumentParser) -> None:
    """Flags for the scripts that train on images: scikit-learn's digits by default (offline);
    MNIST or Fashion-MNIST from a folder of their IDX files with ``--data-dir``."""
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="a folder with the four MNIST (or Fashion-MNIST) IDX files; default: "
                        "scikit-learn's digits, no files needed")
    p.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default=None,
                   help="what --data-dir holds (default: mnist)")
    p.add_argument("--train-size", type=int, default=None, metavar="N",
                   help="train on the first N images only (default: all)")


OFFLINE_DIGITS = "scikit-learn's 8x8 digit, scaled up (offline set; --data-dir for MNIST)"


def a_digit(data_dir: str | None = None) -> tuple[mg.Tensor, str]:
    """One handwritten digit to draw, (1, 1, 28, 28) in [0, 1], and what it is: MNIST's first
    test image, from ``data_dir`` or from minigrad's download cache ($MINIGRAD_DATA/mnist)
    when it is there; else the first of scikit-learn's 8x8 digits padded and scaled to 28x28
    (offline: the figure says so)."""
    try:
        return data.MNIST(data_dir, train=False)[0][0].unsqueeze(0), "an MNIST digit (28x28)"
    except (OSError, ValueError) as e:
        if data_dir is not None:
            raise SystemExit(f"error: --data-dir {data_dir}: {e}") from None
        return data.Digits()[0][0].unsqueeze(0), OFFLINE_DIGITS


def load_data(args: argparse.Namespace) -> tuple[data.TensorDataset, data.TensorDataset, str]:
    """The training and test sets the data flags ask for, and their name. Files that are
    missing or damaged end the script with the reader's one-line message."""
    if args.data_dir is None:
        if args.dataset is not None:
            raise SystemExit(f"error: --dataset {args.dataset} needs --data-dir DIR, a folder "
                             "with its four IDX files")
        train, test, name = data.Digits(), data.Digits(train=False), "digits"
    else:
        kind = data.FashionMNIST if args.dataset == "fashion-mnist" else data.MNIST
        try:
            train, test = kind(args.data_dir), kind(args.data_dir, train=False)
        except (OSError, ValueError) as e:
            raise SystemExit(f"error: --data-dir {args.data_dir}: {e}") from None
        name = kind.name
    if args.train_size is not None:
        train = data.TensorDataset(*(t[:args.train_size] for t in train.tensors))
    return train, test, name


def start(args: argparse.Namespace) -> Path:
    """Seed minigrad's generator, choose the textbook code (or with ``--fast`` the fast twins),
    set the thread count and make the output folder; the folder."""
    mg.manual_seed(args.seed)
    mg.backends.fast_paths(getattr(args, "fast", False))
    try:
        mg.set_num_threads(args.threads)
    except RuntimeError as e:  # threadpoolctl is missing: the BLAS keeps its own count
        print(f"notice: {e}", file=sys.stderr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return out


# ---- figures -------------------------------------------------------------------------------
def slide() -> Any:
    """An empty 16:9 figure (no window) in the lecture's style: text of TEXT points or more.

    The style goes into matplotlib's defaults (``rcParams``) of this process, since titles and
    tick labels take their size from there when they are drawn."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(STYLE)
    return Figure(figsize=SLIDE, layout="constrained")


def figure(rows: int = 1, cols: int = 1, **kwargs: Any) -> tuple[Any, Any]:
    """A slide and its grid of axes, as ``plt.subplots`` gives them."""
    fig = slide()
    return fig, fig.subplots(rows, cols, squeeze=False, **kwargs)


def mosaic(layout: str | list[list[str]], **kwargs: Any) -> tuple[Any, dict[str, Any]]:
    """A slide and its axes by name, laid out as in ``plt.subplot_mosaic("ab;cc")``."""
    fig = slide()
    return fig, fig.subplot_mosaic(layout, **kwargs)


def too_small(fig: Any) -> list[str]:
    """The texts of ``fig`` smaller than TEXT points (what a projector would blur)."""
    from matplotlib.text import Text

    fig.draw_without_rendering()  # tick labels exist once the figure is laid out
    return [f"{t.get_text()!r} ({t.get_fontsize():g} pt)" for t in fig.findobj(Text)
            if t.get_text().strip() and t.get_visible() and t.get_fontsize() < TEXT]


def save(fig: Any, out: Path, name: str, dpi: int = DPI) -> Path:
    """Write ``fig`` to ``out/name.png`` and say so (in a notebook, also show it). A figure
    with text smaller than TEXT points is refused: it would not read on a slide."""
    if small := too_small(fig):
        raise ValueError(f"{name}: text under {TEXT} pt: " + ", ".join(small[:5]))
    path = out / f"{name}.png"
    fig.savefig(path, dpi=dpi)
    print(f"wrote {path}")
    if in_notebook():
        from IPython.display import Image, display

        display(Image(filename=str(path)))
    return path


def array(t: Any) -> np.ndarray:
    """A tensor (or anything array-like) as a NumPy array for matplotlib."""
    if isinstance(t, mg.Tensor):
        return t.detach().cpu().numpy()
    return np.asarray(t)


def show(ax: Any, image: Any, title: str | None = None, cmap: str = "gray",
         numbers: str | None = None, **kwargs: Any) -> Any:
    """Draw a 2-D tensor as an image, without ticks. ``numbers`` (a format such as ``".1f"``)
    writes each value in its square: for the small grids of the lecture."""
    values = array(image)
    im = ax.imshow(values, cmap=cmap, **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    if numbers:  # black on light squares, white on dark ones
        for (i, j), v in np.ndenumerate(values):
            red, green, blue, _ = im.cmap(im.norm(v))
            dark = 0.3 * red + 0.6 * green + 0.1 * blue < 0.5
            ax.text(j, i, format(v, numbers), ha="center", va="center",
                    color="white" if dark else "black")
    return im


def show_signed(ax: Any, image: Any, title: str | None = None, limit: float | None = None,
                **kwargs: Any) -> Any:
    """Draw a 2-D tensor of weights with 0 as white, positive red, negative blue; ``limit`` is
    the value drawn darkest (default: the largest size in the image)."""
    values = array(image)
    limit = limit or float(np.nanmax(np.abs(values))) or 1.0  # NaN: a blank gap
    return show(ax, values, title, cmap="RdBu_r", vmin=-limit, vmax=limit, **kwargs)


def pixel_grid(ax: Any, height: int, width: int, color: str = "0.75") -> None:
    """Thin lines between the pixels of a ``height x width`` image: its scale at a glance."""
    for row in range(1, height):
        ax.axhline(row - 0.5, color=color, linewidth=0.6)
    for column in range(1, width):
        ax.axvline(column - 0.5, color=color, linewidth=0.6)


def box(ax: Any, top: float, left: float, height: float, width: float, color: str = "red",
        **kwargs: Any) -> None:
    """Outline pixels ``top .. top+height-1`` x ``left .. left+width-1`` of an image."""
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((left - 0.5, top - 0.5), width, height, fill=False,
                           edgecolor=color, linewidth=1.5, **kwargs))


def extent(image: mg.Tensor) -> tuple[int, int]:
    """Height and width of the smallest box holding every nonzero pixel of a 2-D image."""
    where = image.nonzero()                     # (count, 2): row and column of each
    if len(where) == 0:
        return 0, 0
    low, high = where.min(dim=0).values, where.max(dim=0).values
    return int(high[0] - low[0]) + 1, int(high[1] - low[1]) + 1


# ---- the toy car of the lecture's first slides ----------------------------------------------
CAR = [[0, 1, 1, 1, 0],   # roof
       [1, 1, 0, 1, 1],   # a window in the middle
       [1, 1, 1, 1, 1],   # body
       [1, 1, 1, 1, 1],
       [0, 1, 0, 1, 0]]   # two wheels


def car() -> mg.Tensor:
    """The 5x5 car sprite: 1 where the car is, 0 around it."""
    return mg.tensor(CAR, dtype=mg.float32)


def place(sprite: mg.Tensor, size: int, top: int, left: int) -> mg.Tensor:
    """A ``size x size`` canvas of zeros with ``sprite`` pasted at (top, left)."""
    h, w = sprite.shape
    return F.pad(sprite, (left, size - left - w, top, size - top - h))


# What a car is not, though a detector of bright pixels would say it is: a box (brighter than
# the car, no shape), the car upside down, a bright blob, lone wheels (each 5x5), and the car in
# pieces: its three overlapping 3-row strips, apart (3x17), so that every 3x3 patch of the car
# is in it, and no 5x5 one.
DISTRACTORS = {
    "box": [[1] * 5] * 5,
    "upside-down car": CAR[::-1],
    "bright blob": [[0] * 5] + [[0, 1.5, 1.5, 1.5, 0]] * 3 + [[0] * 5],
    "lone wheels": [[0] * 5] * 3 + [[0, 1, 0, 1, 0]] * 2,
    "car in pieces": [CAR[r] + [0] + CAR[r + 1] + [0] + CAR[r + 2] for r in range(3)],
}


def scenes(n: int, size: int, positions: Sequence[tuple[int, int]] | None,
           noise: float = 0.3, distractors: Sequence[str] | None = tuple(DISTRACTORS)
           ) -> tuple[mg.Tensor, mg.Tensor]:
    """``n`` noisy ``size x size`` images (N, 1, size, size) and their labels (1: a car).

    Half the images hold the car, at one of ``positions`` (top, left) chosen at random, or
    anywhere on the canvas when ``positions`` is None; the other half hold one of the
    ``distractors`` (names in DISTRACTORS, chosen at random) at such a place, or noise only
    when ``distractors`` is empty or None.
    """
    sprites = [car()] + [mg.tensor(DISTRACTORS[d], dtype=mg.float32)
                         for d in distractors or ()]
    labels = (mg.arange(n) % 2).float()
    images = []
    for i in range(n):
        if labels[i].item() == 1:
            sprite = sprites[0]
        elif len(sprites) > 1:
            sprite = sprites[1 + int(mg.randint(0, len(sprites) - 1, (1,)).item())]
        else:
            sprite = mg.zeros(5, 5)
        if positions is None:  # anywhere the sprite fits
            h, w = sprite.shape
            top = int(mg.randint(0, size - h + 1, (1,)).item())
            left = int(mg.randint(0, size - w + 1, (1,)).item())
        else:
            top, left = positions[int(mg.randint(0, len(positions), (1,)).item())]
        images.append(place(sprite, size, top, left))
    clean = mg.stack(images).unsqueeze(1)
    return clean + noise * mg.randn(*clean.shape), labels


class Largest(nn.Module):
    """The largest answer over all positions, for each image and channel: "is it anywhere?".
    Section 8 gives it its name, global max pooling (``nn.AdaptiveMaxPool2d(1)``, flattened).

    Shape: (N, C, H, W) -> (N, C)."""

    def forward(self, y: mg.Tensor) -> mg.Tensor:
        """The maximum over the last two dimensions."""
        return y.amax(dim=(-2, -1))


# ---- a network, layer by layer -------------------------------------------------------------
def layer_outputs(net: nn.Module, x: mg.Tensor) -> list[tuple[str, nn.Module, mg.Tensor]]:
    """Run ``x`` through ``net`` once and catch what each of its layers gives: the layer's
    name, the layer and its output, seen by a forward hook on every child (torch.nn's
    ``register_forward_hook``)."""
    outputs: list[tuple[str, nn.Module, mg.Tensor]] = []
    handles = [layer.register_forward_hook(
        lambda layer, args, y, name=name: outputs.append((name, layer, y)))
        for name, layer in net.named_children()]
    try:
        net(x)
    finally:
        for handle in handles:
            handle.remove()
    return outputs
