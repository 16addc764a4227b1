"""mg.summary: a model's layers as a table (torchinfo's), with what torchinfo leaves out.

One forward pass on a made-up input, watched by forward hooks on every module, gives per layer:

- the output shape and the parameters, as torchinfo shows them;
- the multiply-accumulates of its forward (MACs: conv and linear layers; a convolution does
  ``C_in / groups * KH * KW`` of them per output value, a linear layer ``in_features``; bias
  additions, activations, pooling and normalization count 0);
- the receptive field: how many input pixels along each spatial axis one output value sees
  (``r``), and how far apart in input pixels two neighbouring outputs look (the jump ``j``).
  A convolution or pooling with kernel k, stride s and dilation d makes
  ``r_out = r_in + (k - 1) * d * j_in`` and ``j_out = j_in * s``; a layer that keeps the
  spatial size (activations, batch norm, dropout) keeps both; a module built of others shows
  what its last layer gives. ``--`` once the output has no spatial axes (after Flatten),
  ``?`` where a layer changes the geometry in a way not modelled (upsampling, transposed or
  deformable convolution, adaptive pooling whose windows differ in size);
- the bytes its forward keeps for backward: the arrays that the graph nodes made by the
  layer's forward read in backward (``mg.autograd.saved_buffers``), each array counted once,
  under the first layer that keeps it; the parameters are not counted again.

Each numeric column counts what a module does itself, not its children, so every column adds
up to the totals below the table. The model's buffers (BatchNorm's running statistics) and the
random number generator are left as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import minigrad.nn as nn
from minigrad.autograd import Function
from minigrad.extras.hooks import RemovableHandle
from minigrad.extras.memory import memory_of, saved_buffers
from minigrad.factory import rand, zeros
from minigrad.runtime import dtypes
from minigrad.runtime.grad_mode import no_grad
from minigrad.runtime.random import get_rng_state, set_rng_state
from minigrad.tensor import Tensor

__all__ = ["LayerRow", "ModelSummary", "summary"]

_FLAT = "flat"  # the receptive field of a tensor with no spatial axes left


@dataclass
class LayerRow:
    """One module call: what the table shows in its row."""

    name: str  # dotted name in the model ("" for the model itself)
    kind: str  # the class name, e.g. "Conv2d"
    depth: int  # 0 for the model, 1 for its children, ...
    index: int  # 1-based position among the rows under the same parent (torchinfo's)
    output_shape: list[int] | None = None  # the first output tensor's shape
    params: int = 0  # parameters registered on this module itself (first call only)
    trainable: int = 0  # of which require grad
    macs: int = 0  # multiply-accumulates of its own forward
    receptive_field: tuple[int, ...] | None = None  # per spatial axis, in input pixels
    jump: tuple[int, ...] | None = None  # input pixels between neighbouring outputs
    saved_bytes: int = 0  # what the graph nodes made by its own forward keep for backward
    spatial: bool = False  # whether the output has the input's spatial axes
    module: Any = field(default=None, repr=False)


@dataclass
class ModelSummary:
    """What ``summary`` returns: ``rows`` (LayerRow), the totals, and the table as ``str()``."""

    rows: list[LayerRow]
    total_params: int
    trainable_params: int
    total_macs: int
    saved_bytes: int  # kept for backward, all layers
    input_bytes: int
    params_bytes: int

    def __str__(self) -> str:
        return _table(self)

    __repr__ = __str__


def summary(model: nn.Module, input_size: Sequence[int] | Sequence[Sequence[int]] | None = None,
            device: Any = None, dtypes: Sequence[Any] | None = None, input_data: Any = None
            ) -> ModelSummary:
    """Run ``model`` once on random inputs of ``input_size`` (or on ``input_data``) and
    return its layers' table (print it): shapes, parameters, MACs, receptive fields and the
    memory kept for backward."""
    inputs, kwargs = _inputs(model, input_size, device, dtypes, input_data)
    watch = _Watch(model, inputs)
    handles: list[RemovableHandle] = []
    for module in model.modules():
        handles.append(module.register_forward_pre_hook(watch.enter))
        handles.append(module.register_forward_hook(watch.leave))
    rng = get_rng_state()
    buffers = [(b, b.detach().clone()) for b in model.buffers()]
    try:
        watch.outputs = model(*inputs, **kwargs)
    finally:
        for handle in handles:
            handle.remove()
        set_rng_state(rng)
        with no_grad():
            for b, value in buffers:
                b.copy_(value)
    params = list(model.parameters())
    return ModelSummary(
        rows=watch.rows,
        total_params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
        total_macs=sum(r.macs for r in watch.rows),
        saved_bytes=sum(r.saved_bytes for r in watch.rows),
        input_bytes=sum(t.numel() * t.element_size() for t in _tensors(inputs)),
        params_bytes=sum(p.numel() * p.element_size() for p in params))


def _inputs(model: nn.Module, input_size: Any, device: Any, dtype_list: Any, input_data: Any
            ) -> tuple[list[Tensor], dict[str, Any]]:
    """The positional and keyword inputs: ``input_data`` as given, or random tensors."""
    if input_data is not None:
        if isinstance(input_data, Tensor):
            return [input_data], {}
        if isinstance(input_data, dict):
            return [], dict(input_data)
        return list(input_data), {}
    if input_size is None:
        raise ValueError("summary needs input_size (a shape, or a list of shapes) or "
                         "input_data")
    sizes = [input_size] if all(isinstance(n, int) for n in input_size) else list(input_size)
    if dtype_list is None:
        first = next(model.parameters(), None)
        dtype_list = [first.dtype if first is not None else dtypes.float32] * len(sizes)
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else "cpu"
    rng = get_rng_state()  # a summary draws no numbers from the user's generator
    try:
        made = [rand(tuple(size), dtype=dt, device=device)
                if dtypes.to_dtype(dt).is_floating_point
                else zeros(tuple(size), dtype=dt, device=device)
                for size, dt in zip(sizes, dtype_list)]
    finally:
        set_rng_state(rng)
    return made, {}


def _tensors(value: Any) -> list[Tensor]:
    """The tensors in a module's arguments or output (in tuples, lists and dicts)."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    return []


class _Watch:
    """The forward hooks' shared state while ``summary`` runs the model once."""

    def __init__(self, model: nn.Module, inputs: list[Tensor]) -> None:
        self.names = {id(m): name for name, m in model.named_modules(remove_duplicate=False)}
        self.rows: list[LayerRow] = []
        self.stack: list[tuple[LayerRow, Tensor | None, set[int]]] = []
        self.children: dict[int | None, int] = {}  # rows so far under each open row (None: the top)
        self.seen_modules: set[int] = set()
        self.seen_params: set[int] = set()  # a parameter shared by two layers counts once
        tensors = _tensors(inputs)
        self.axes = tensors[0].ndim - 2 if tensors and tensors[0].ndim >= 3 else 0
        # receptive field (sizes, jumps) of each tensor met, by id (alive: kept in `alive`)
        self.fields: dict[int, Any] = {id(t): self._start(t) for t in tensors}
        self.alive: list[Any] = list(tensors)
        self.claimed: set[int] = set()  # graph nodes already counted under some row
        # arrays already counted elsewhere in the totals: the parameters and the inputs
        self.counted = {memory_of(t)[0] for t in [*model.parameters(), *tensors]
                        if not getattr(t, "_uninitialized", False)}  # (a Lazy one: at enter)
        self.outputs: Any = None

    def _start(self, t: Tensor) -> Any:
        return ((1,) * self.axes, (1,) * self.axes) if self.axes else _FLAT

    def enter(self, module: nn.Module, args: tuple) -> None:
        """Forward pre-hook: open a row; note the input's receptive field and graph."""
        parent = id(self.stack[-1][0]) if self.stack else None
        self.children[parent] = self.children.get(parent, 0) + 1
        row = LayerRow(name=self.names.get(id(module), "?"), kind=type(module).__name__,
                       depth=len(self.stack), index=self.children[parent], module=module)
        if id(module) not in self.seen_modules:
            self.seen_modules.add(id(module))
            own = [p for p in module.parameters(recurse=False) if id(p) not in self.seen_params]
            self.seen_params.update(id(p) for p in own)
            self.counted.update(memory_of(p)[0] for p in own)  # (a Lazy layer's: shaped now)
            row.params = sum(p.numel() for p in own)
            row.trainable = sum(p.numel() for p in own if p.requires_grad)
        self.rows.append(row)
        tensors = _tensors(args)
        stops = {id(t.grad_fn) for t in tensors if t.grad_fn is not None}
        self.stack.append((row, tensors[0] if tensors else None, stops))

    def leave(self, module: nn.Module, args: tuple, output: Any) -> None:
        """Forward hook: fill the row in from the output."""
        row, first, stops = self.stack.pop()
        outputs = _tensors(output)
        self.alive += outputs
        if not outputs:
            return
        out = outputs[0]
        row.output_shape = list(out.shape)
        row.spatial = self.axes > 0 and out.ndim == self.axes + 2
        if first is not None:
            row.macs = _macs(module, first, out)
        if first is not None and not any(True for _ in module.children()):
            before = self._field(first)
            after = _receptive(module, before, first, out, self.axes)
            for t in outputs:
                self.fields[id(t)] = after if t.ndim == out.ndim else self._field(t)
        found = self._field(out)
        if isinstance(found, tuple):
            row.receptive_field, row.jump = found
        row.saved_bytes = self._claim(outputs, stops)

    def _field(self, t: Tensor) -> Any:
        """The receptive field of ``t``: known, or found back through the ops that made it
        from tensors of the same spatial size (``x + skip``), taking the largest."""
        if id(t) in self.fields:
            return self.fields[id(t)]
        if not (self.axes and t.ndim == self.axes + 2):
            found: Any = _FLAT
        else:
            found = None
            node = t.grad_fn
            for source in (node.inputs or ()) if node is not None else ():
                if source.ndim == t.ndim and source.shape[2:] == t.shape[2:]:
                    field_ = self._field(source)
                    if isinstance(field_, tuple) and (found is None or field_[0] > found[0]):
                        found = field_
        self.fields[id(t)] = found
        self.alive.append(t)
        return found

    def _claim(self, outputs: list[Tensor], stops: set[int]) -> int:
        """Bytes kept for backward by the nodes behind ``outputs`` up to the module's inputs
        that no row has claimed yet (its children's are theirs)."""
        total = 0
        stack = [t.grad_fn for t in outputs if t.grad_fn is not None]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen or id(node) in stops:
                continue
            seen.add(id(node))
            if id(node) not in self.claimed:
                self.claimed.add(id(node))
                self.alive.append(node)
                for key, nbytes in saved_buffers(node).items():
                    if key not in self.counted:
                        self.counted.add(key)
                        total += nbytes
            stack += [e for e in node.next if isinstance(e, Function)]
        return total


def _per_axis(value: Any, axes: int) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * axes


def _receptive(module: nn.Module, before: Any, x: Tensor, out: Tensor, axes: int) -> Any:
    """The receptive field after a leaf module, from the one before it."""
    if not (axes and out.ndim == axes + 2):
        return _FLAT
    if not isinstance(before, tuple) or x.ndim != out.ndim:
        return None
    sizes, jumps = before
    window = None
    if isinstance(module, (nn.ConvTranspose2d, nn.DeformConv2d, nn.Upsample)):
        return None
    if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.MaxPool1d, nn.MaxPool2d)):
        window = (module.kernel_size, module.stride, module.dilation)
    elif isinstance(module, (nn.AvgPool1d, nn.AvgPool2d)):
        window = (module.kernel_size, module.stride, 1)
    elif isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        if any(n_in % n_out for n_in, n_out in zip(x.shape[2:], out.shape[2:])):
            return None  # windows of different sizes (or upsampling): no single r and j
        strides = tuple(n_in // n_out for n_in, n_out in zip(x.shape[2:], out.shape[2:]))
        kernel = tuple(n_in - (n_out - 1) * s
                       for n_in, n_out, s in zip(x.shape[2:], out.shape[2:], strides))
        window = (kernel, strides, 1)
    elif isinstance(module, nn.ZeroPad2d) or x.shape[2:] == out.shape[2:]:
        return before  # the same geometry: each output value sees what its input saw
    if window is None:
        return None
    kernel, stride, dilation = (_per_axis(v, axes) for v in window)
    if len(kernel) != axes:
        return None
    return (tuple(r + (k - 1) * d * j for r, k, d, j in zip(sizes, kernel, dilation, jumps)),
            tuple(j * s for j, s in zip(jumps, stride)))


def _macs(module: nn.Module, x: Tensor, out: Tensor) -> int:
    """Multiply-accumulates of a conv or linear layer's forward (0 for other layers)."""
    if isinstance(module, nn.ConvTranspose2d):  # each input value meets C_out / groups kernels
        return module.weight.numel() // module.weight.shape[0] * x.numel()
    if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.DeformConv2d)):  # C_in / groups * k each
        return module.weight.numel() // module.weight.shape[0] * out.numel()
    if isinstance(module, nn.Linear):
        return module.in_features * out.numel()
    return 0


# ---- the table -----------------------------------------------------------------------------
def _count(n: int) -> str:
    return f"{n:,}" if n else "--"


def _bytes(n: int) -> str:
    if not n:
        return "--"
    for unit, size in (("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def _axes(values: tuple[int, ...]) -> str:
    return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))


def _name(row: LayerRow, rows: list[LayerRow], i: int) -> str:
    """torchinfo's tree: ``├─Conv2d: 1-1``, a child's child under ``│    └─``."""
    if row.depth == 0:
        return row.kind
    last = not any(r.depth == row.depth for r in _until_parent_ends(rows, i))
    lead = "".join("     " if _ended(rows, i, d) else "│    " for d in range(1, row.depth))
    return f"{lead}{'└─' if last else '├─'}{row.kind}: {row.depth}-{row.index}"


def _until_parent_ends(rows: list[LayerRow], i: int) -> list[LayerRow]:
    after = []
    for r in rows[i + 1:]:
        if r.depth < rows[i].depth:
            break
        after.append(r)
    return after


def _ended(rows: list[LayerRow], i: int, depth: int) -> bool:
    """Whether the ancestor of row i at ``depth`` was the last of its siblings."""
    j = next(k for k in range(i, -1, -1) if rows[k].depth == depth)
    return not any(r.depth == depth for r in _until_parent_ends(rows, j))


def _table(s: ModelSummary) -> str:
    head = ["Layer (type:depth-idx)", "Output Shape", "Param #", "Mult-Adds", "RF", "Jump",
            "Kept for backward"]
    body = []
    for i, r in enumerate(s.rows):
        jump = cast(tuple[int, ...], r.jump)  # (set with the receptive field)
        field_ = (_axes(r.receptive_field), _axes(jump)) if r.receptive_field else (
            ("?", "?") if r.spatial else ("--", "--"))
        body.append([_name(r, s.rows, i), str(r.output_shape or "--"), _count(r.params),
                     _count(r.macs), *field_, _bytes(r.saved_bytes)])
    widths = [max(len(line[c]) for line in [head, *body]) for c in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join([cells[0].ljust(widths[0]), cells[1].ljust(widths[1]),
                          *(c.rjust(w) for c, w in zip(cells[2:], widths[2:]))])

    rule = "=" * len(line(head))
    total_bytes = s.input_bytes + s.params_bytes + s.saved_bytes
    return "\n".join([
        rule, line(head), rule, *(line(b) for b in body), rule,
        f"Total params: {s.total_params:,}",
        f"Trainable params: {s.trainable_params:,}",
        f"Non-trainable params: {s.total_params - s.trainable_params:,}",
        f"Total mult-adds (M): {s.total_macs / 1e6:.2f}",
        rule,
        f"Input size (MB): {s.input_bytes / 1e6:.2f}",
        f"Kept for backward (MB): {s.saved_bytes / 1e6:.2f}",
        f"Params size (MB): {s.params_bytes / 1e6:.2f}",
        f"Estimated Total Size (MB): {total_bytes / 1e6:.2f}",
        rule])
