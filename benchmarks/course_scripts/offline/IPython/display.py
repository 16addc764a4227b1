"""IPython.display for a script: a matplotlib figure is "shown" as text, one line per new
point of each labelled line (d2l's ProgressBoard draws its losses this way), so that the
losses d2l plots appear in the printed output."""

from __future__ import annotations

from typing import Any

_shown: dict[tuple[int, str], int] = {}


def display(*objs: Any, **kwargs: Any) -> None:
    """Print the new points of each labelled line of a figure; other objects as repr."""
    for obj in objs:
        axes = getattr(obj, "axes", None)
        if axes is None or not hasattr(obj, "savefig"):
            print(repr(obj))
            continue
        for ax in axes:
            legend = ax.get_legend()
            if legend is None:
                continue
            labels = [t.get_text() for t in legend.get_texts()]
            # the lines d2l just drew, one per label in the legend's order (the legend's
            # own handles are proxies that hold no data)
            for line, label in zip(ax.get_lines()[-len(labels):], labels):
                xs, ys = line.get_xdata(), line.get_ydata()
                start = _shown.get((id(obj), label), 0)
                for x, y in list(zip(xs, ys))[start:]:
                    print(f"[board] {label}: {float(y):.6f} (x={float(x):.3f})")
                _shown[(id(obj), label)] = len(xs)


def clear_output(wait: bool = False) -> None:
    """Nothing to clear in a script's output."""


class SVG:
    """Holds SVG text (never rendered)."""

    def __init__(self, data: Any = None) -> None:
        self.data = data


def set_matplotlib_formats(*formats: str, **kwargs: Any) -> None:
    """No-op: scripts draw with the Agg backend."""
