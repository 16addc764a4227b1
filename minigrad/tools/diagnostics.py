"""mg.diagnostics: does the gradient reach every layer, and do the layers learn?

Per layer with parameters: the gradient norm, the weight norm and the update ratio (how much
one optimizer step changes the weights, relative to their size: around 1e-3 is healthy, far
below means the layer hardly learns). Per Sigmoid or Tanh layer: the fraction of saturated
outputs, where the derivative is nearly 0 and the gradient that passes through shrinks:
a sigmoid output below ``saturation`` or above ``1 - saturation`` (0.01 and 0.99 by default),
a tanh output with ``|y| > 1 - saturation`` (0.99). Norms are Euclidean, over all of a layer's
own parameters together (weight and bias).

Two ways to look:

- ``gradient_flow(model, lr)`` after a backward: the ``.grad`` of each layer now, and the update
  ratio plain SGD would make, ``lr * grad_norm / weight_norm``.
- ``Diagnostics(model)`` before training: hooks watch every step (forward hooks count saturated
  outputs in training mode, gradient hooks on the parameters take each step's gradient norm,
  and each training forward measures the update the optimizer made since the last one, for any
  optimizer). ``report()`` gives the statistics since the last report: the gradient norm as
  the root mean square over the steps, the mean update ratio, the saturation over all
  outputs seen; ``print()`` it for a table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import minigrad.nn as nn
from minigrad.extras.hooks import RemovableHandle
from minigrad.runtime.grad_mode import is_grad_enabled, no_grad
from minigrad.tensor import Tensor

__all__ = ["Diagnostics", "LayerStats", "Report", "gradient_flow", "saturated"]

SATURATING = (nn.Sigmoid, nn.Tanh)


@dataclass
class LayerStats:
    """One layer's row: None where a number does not apply (or was not seen)."""

    name: str  # dotted name in the model
    kind: str  # the class name
    grad_norm: float | None = None  # ||gradient of the layer's parameters||
    weight_norm: float | None = None  # ||the layer's parameters||
    update_ratio: float | None = None  # ||one step's change|| / ||parameters||
    saturation: float | None = None  # fraction of saturated outputs (Sigmoid, Tanh)


@dataclass
class Report:
    """The rows (``LayerStats``, in the model's order) and how many steps they cover."""

    rows: list[LayerStats]
    steps: int = 1

    def __getitem__(self, name: str) -> LayerStats:
        return next(r for r in self.rows if r.name == name)

    def grad_norms(self) -> dict[str, float]:
        """{layer name: gradient norm} for the layers that have one."""
        return {r.name: r.grad_norm for r in self.rows if r.grad_norm is not None}

    def __str__(self) -> str:
        """The table; an activation right after a layer shares its line (``0 Conv2d >
        1 Sigmoid``), its saturation in the last column."""
        head = ["layer", "grad norm", "weight norm", "update/weight", "saturated"]
        body: list[list[str]] = []
        for i, r in enumerate(self.rows):
            before = self.rows[i - 1] if i else None
            if (r.saturation is not None and before is not None and body
                    and before.weight_norm is not None and before.saturation is None
                    and body[-1][0] == f"{before.name} {before.kind}"):
                body[-1][0] += f" > {r.name} {r.kind}"
                body[-1][4] = _number(r.saturation, ".1%")
                continue
            body.append([f"{r.name} {r.kind}", _number(r.grad_norm),
                         _number(r.weight_norm, ".3f"), _number(r.update_ratio),
                         _number(r.saturation, ".1%")])
        widths = [max(len(line[c]) for line in [head, *body]) for c in range(len(head))]
        return "\n".join("  ".join([line[0].ljust(widths[0]),
                                    *(c.rjust(w) for c, w in zip(line[1:], widths[1:]))])
                         for line in [head, *body])

    __repr__ = __str__


def _value(x: Any) -> float:
    return x.item() if isinstance(x, Tensor) else float(x)


def _number(value: float | None, spec: str = ".2e") -> str:
    return "--" if value is None else format(value, spec)


def _layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The modules with parameters of their own, and the saturating activations."""
    return [(name or type(m).__name__, m) for name, m in model.named_modules()
            if isinstance(m, SATURATING) or any(True for _ in m.parameters(recurse=False))]


def _norm(tensors: list[Tensor]) -> Tensor:
    """The Euclidean norm of several tensors together, as a 0-d float32 tensor."""
    with no_grad():
        total = sum(((t.float()) ** 2).sum() for t in tensors)
        return total ** 0.5  # type: ignore[operator]


def saturated(module: nn.Module, output: Tensor, saturation: float = 0.01) -> Tensor:
    """How many outputs of a Sigmoid or Tanh lie within ``saturation`` of an asymptote."""
    with no_grad():
        y = output.detach()
        if isinstance(module, nn.Tanh):
            return (y.abs() > 1 - saturation).sum()
        return (y < saturation).sum() + (y > 1 - saturation).sum()


def gradient_flow(model: nn.Module, lr: float | None = None) -> Report:
    """After a backward: each layer's gradient norm and weight norm, and with ``lr`` the
    update ratio plain SGD would make (lr * grad_norm / weight_norm)."""
    rows = []
    for name, m in _layers(model):
        row = LayerStats(name, type(m).__name__)
        own = [p for p in m.parameters(recurse=False)]
        if own:
            row.weight_norm = _norm(own).item()
            grads = [p.grad for p in own if p.grad is not None]
            if grads:
                row.grad_norm = _norm(grads).item()
                if lr is not None and row.weight_norm:
                    row.update_ratio = lr * row.grad_norm / row.weight_norm
        rows.append(row)
    return Report(rows)


class Diagnostics:
    """Watches a model while it trains (hooks); ``report()`` sums up the steps since the last
    report. ``remove()`` (or leaving a ``with`` block) takes the hooks off."""

    def __init__(self, model: nn.Module, saturation: float = 0.01) -> None:
        if not 0 < saturation < 0.5:
            raise ValueError(f"saturation is a distance to the asymptote, between 0 and 0.5; "
                             f"got {saturation}")
        self.model, self.saturation = model, saturation
        self.layers = _layers(model)
        self.handles: list[RemovableHandle] = []
        self._previous: list[list[Tensor] | None] = [None] * len(self.layers)
        self._versions: list[list[int]] = [[] for _ in self.layers]  # at the last snapshot
        self._reset()
        for i, (_, m) in enumerate(self.layers):
            if isinstance(m, SATURATING):
                self.handles.append(m.register_forward_hook(self._count_saturated(i)))
            own = [p for p in m.parameters(recurse=False) if p.requires_grad]
            for k, p in enumerate(own):
                self.handles.append(p.register_hook(self._add_gradient(i, first=k == 0)))
        self.handles.append(model.register_forward_pre_hook(self._measure_updates))

    def _reset(self) -> None:
        n = len(self.layers)
        self._grad_sq: list[Any] = [0.0] * n  # sum over steps of ||gradient||^2
        self._grad_steps = [0] * n
        self._ratios: list[Any] = [0.0] * n  # sum over steps of ||update|| / ||weights||
        self._ratio_steps: list[Any] = [0] * n
        self._saturated: list[Any] = [0] * n
        self._seen = [0] * n

    def _count_saturated(self, i: int) -> Any:
        def hook(module: nn.Module, args: tuple, output: Tensor) -> None:
            if module.training:
                self._saturated[i] = self._saturated[i] + saturated(module, output,
                                                                    self.saturation)
                self._seen[i] += output.numel()
        return hook

    def _add_gradient(self, i: int, first: bool) -> Any:
        def hook(grad: Tensor) -> None:
            with no_grad():
                self._grad_sq[i] = self._grad_sq[i] + (grad.detach().float() ** 2).sum()
            self._grad_steps[i] += first  # one step per backward: counted on the first param
        return hook

    def _measure_updates(self, module: nn.Module, args: tuple) -> None:
        """Before a training forward: how far the weights moved since the last one."""
        if module.training and is_grad_enabled():
            self._take_updates(keep=True)

    def _take_updates(self, keep: bool) -> None:
        """One optimizer step's update per layer. An optimizer changes the weights in place
        (their version goes up): that is a step, even of size 0. Weights at the same version
        moved only if changed through ``.data``; unmoved, the model just ran again within one
        step (two forwards before a backward): no step, so the mean is not diluted."""
        for i, (_, m) in enumerate(self.layers):
            params = list(m.parameters(recurse=False))
            if not params:
                continue
            own = [p.detach() for p in params]
            versions = [p._version for p in params]
            before = self._previous[i]
            if before is not None:
                with no_grad():
                    change = _norm([a - b for a, b in zip(own, before)])
                    self._ratios[i] = self._ratios[i] + change / (_norm(before) + 1e-12)
                    stepped = versions != self._versions[i]
                    # a tensor, not a bool: deciding here would wait for the GPU every forward
                    self._ratio_steps[i] = self._ratio_steps[i] + (1 if stepped else
                                                                   (change > 0).float())
            self._previous[i] = [p.clone() for p in own] if keep else None
            self._versions[i] = versions

    def report(self, reset: bool = True) -> Report:
        """Per layer since the last report: the gradient norm (root mean square over the
        steps), the weight norm now, the mean update ratio, the fraction saturated."""
        self._take_updates(keep=False)  # the last step's update; the next forward starts anew
        rows = []
        for i, (name, m) in enumerate(self.layers):
            row = LayerStats(name, type(m).__name__)
            own = [p for p in m.parameters(recurse=False)]
            if own:
                row.weight_norm = _norm(own).item()
            if self._grad_steps[i]:
                row.grad_norm = math.sqrt(_value(self._grad_sq[i]) / self._grad_steps[i])
            steps = _value(self._ratio_steps[i])
            if steps:
                row.update_ratio = _value(self._ratios[i]) / steps
            if self._seen[i]:
                row.saturation = _value(self._saturated[i]) / self._seen[i]
            rows.append(row)
        report = Report(rows, steps=max(self._grad_steps, default=0))
        if reset:
            self._reset()
        return report

    def remove(self) -> None:
        """Take every hook off the model."""
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def __enter__(self) -> Diagnostics:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()
