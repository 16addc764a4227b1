"""Pictures of the backward graph: ``mg.viz.graph(t)`` writes it in Graphviz's DOT language.

Each node of the graph behind ``t`` is a box named as PyTorch names it (``MulBackward0``); each
leaf that requires grad (where torch draws an ``AccumulateGrad``) is a blue box with its name
(from ``params=dict(model.named_parameters())``), shape and dtype; ``t`` itself is the green box
at the bottom. An edge runs from where a tensor was made to the node that used it, labelled with
the tensor's shape and dtype; the backward walk goes against the arrows. Node ids follow one
ordered walk from ``t`` (``n0`` is ``t``), so the same code gives the same text every run.

DOT is text: paste it into any Graphviz viewer, or ``mg.viz.render(t, "graph.svg")`` with
Graphviz's ``dot`` program installed (no Python package needed).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from minigrad.autograd import Function
from minigrad.tensor import Tensor

__all__ = ["graph", "render"]

FORMATS = ("svg", "png", "pdf")


def graph(tensor: Tensor, params: Mapping[str, Tensor] | None = None) -> str:
    """The backward graph behind ``tensor`` as Graphviz DOT text (leaves named from
    ``params``, e.g. ``dict(model.named_parameters())``)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"viz.graph expects a Tensor, got {type(tensor).__name__}")
    names = {id(t): name for name, t in (params or {}).items()}
    ids: dict[int, str] = {id(tensor): "n0"}
    lines = ["digraph minigrad {",
             '  graph [rankdir=TB, fontname="Helvetica"];',
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=9];',
             f"  n0 [label={_quote(_describe('output', tensor))}, fillcolor=darkolivegreen1];"]
    edges: list[str] = []
    root = tensor.grad_fn if tensor.grad_fn is not None else tensor
    if tensor.grad_fn is not None:
        edges.append(_edge(_visit(root, ids, lines, names), "n0", tensor))
    stack = [root] if isinstance(root, Function) else []
    seen = {id(root)}
    while stack:  # an ordered depth-first walk: each node once, its inputs in order
        node = stack.pop()
        for t, edge in zip(node.inputs, node.next):
            if edge is None:
                continue
            edges.append(_edge(_visit(edge, ids, lines, names), ids[id(node)], t))
        for edge in reversed(node.next):
            if isinstance(edge, Function) and id(edge) not in seen:
                seen.add(id(edge))
                stack.append(edge)
    return "\n".join(lines + edges + ["}"]) + "\n"


def _visit(entry: Any, ids: dict[int, str], lines: list[str], names: dict[int, str]) -> str:
    """The id of a node or leaf, declaring it on first sight."""
    key = id(entry)
    if key not in ids:
        ids[key] = f"n{len(ids)}"
        if isinstance(entry, Function):
            lines.append(f"  {ids[key]} [label={_quote(entry.name())}, fillcolor=lightgrey];")
        else:  # a leaf that requires grad: its gradient accumulates into .grad
            label = _describe(names.get(key, "AccumulateGrad"), entry)
            lines.append(f"  {ids[key]} [label={_quote(label)}, fillcolor=lightblue];")
    return ids[key]


def _describe(name: str, t: Tensor) -> str:
    return f"{name}\n{tuple(t.shape)} {t.dtype.name}"


def _edge(src: str, dst: str, t: Tensor) -> str:
    return f"  {src} -> {dst} [label={_quote(f'{tuple(t.shape)} {t.dtype.name}')}];"


def _quote(text: str) -> str:
    """A DOT string: backslashes and quotes escaped, line breaks as \\n."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def render(dot_or_tensor: str | Tensor, path: str | Path, format: str = "svg",
           params: Mapping[str, Tensor] | None = None) -> Path:
    """Draw a graph (DOT text, or a tensor's graph) into ``path`` with Graphviz's ``dot``."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    dot = graph(dot_or_tensor, params) if isinstance(dot_or_tensor, Tensor) else dot_or_tensor
    program = shutil.which("dot")
    if program is None:
        raise RuntimeError("mg.viz.render needs Graphviz's `dot` program, which is not on the "
                           "PATH: install Graphviz (apt install graphviz, brew install "
                           "graphviz, conda install graphviz), or paste mg.viz.graph(t) into "
                           "any Graphviz viewer")
    path = Path(path)
    done = subprocess.run([program, f"-T{format}", "-o", str(path)], input=dot, text=True,
                          capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dot failed (exit {done.returncode}): {done.stderr.strip()}")
    return path
