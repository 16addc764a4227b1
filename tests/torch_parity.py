"""PyTorch's own test inputs as an oracle: every op and module minigrad has, run on the sample
inputs of ``torch.testing._internal``'s ``op_db`` and ``module_db`` in both libraries.

For each sample the values, and with autograd the gradients of the inputs, are compared. A
sample ends as ``ok``, ``differs: ...`` (values or gradients), ``error: ...`` (minigrad raised)
or ``skipped: ...`` (a sample minigrad cannot take, such as an argument of a type it lacks).
``tests/test_torch_parity.py`` runs it capped per op; ``python -m tests.torch_parity`` prints
the whole matrix, and ``--write`` puts it into the README.
"""

from __future__ import annotations

import argparse
import math
import operator
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import minigrad as mg

ROOT = Path(__file__).resolve().parents[1]
DTYPES = ("float32", "float64")
# random (or uninitialized) results: only their shape and dtype can agree
RANDOM = {"rand_like", "randn_like", "randint", "randint_like", "randn", "rand", "empty",
          "empty_like", "new_empty", "new_empty_strided", "empty_strided", "empty_permuted",
          "randperm", "nn.functional.dropout", "nn.functional.dropout2d", "bernoulli", "normal",
          "uniform", "multinomial"}
TOL = {"float32": (1e-4, 1e-5), "float64": (1e-7, 1e-9)}  # rtol, atol


# What minigrad does not do, and why: every sample that is not ok must match one of these
# (op pattern, detail pattern, the reason shown in the README's matrix).
KNOWN = [
    (r"(linalg\.(matrix_)?norm(\.subgradients_at_zero)?|norm\.nuc)$",
     r"(others need an SVD|p='nuc')",
     "matrix norms 'nuc', 2 and -2 need a differentiable SVD"),
    (r"nn\.functional\.grid_sample$", r"bicubic", "mode 'bicubic' is not there"),
    (r"nn\.functional\.interpolate\.", r"minigrad's interpolate has modes",
     "volumes (5-D input: trilinear, 3-D nearest and area) and bicubic are not there"),
    (r"nn\.functional\.(hardtanh|relu6|elu|selu|celu)$", r"gradient of input 0",
     "the gradient at NaN: torch's own vectorized and scalar kernels disagree"),
    (r"nn\.functional\.(grid_sample|interpolate\.bilinear)$", r"output: values differ",
     "float32 rounding on large images: torch's float32 result is as far from the float64 "
     "one as minigrad's"),
    (r"nn\.functional\.interpolate\.", r"no antialias", "antialias is not there"),
]


def known_reason(o: Outcome) -> str | None:
    """The reason a sample that is not ok is known not to be, or None."""
    for op, detail, reason in KNOWN:
        if re.search(op, o.op) and re.search(detail, f"{o.status}: {o.detail}"):
            return reason
    return None


@dataclass
class Outcome:
    op: str
    dtype: str
    status: str  # ok, differs, error, skipped
    detail: str = ""


def torch_modules() -> tuple[Any, list, list]:
    """torch, op_db and module_db (ImportError where they are not installed)."""
    import torch
    from torch.testing._internal.common_methods_invocations import op_db
    from torch.testing._internal.common_modules import module_db

    return torch, op_db, module_db


def op_name(opinfo: Any) -> str:
    return opinfo.name + (f".{opinfo.variant_test_name}" if opinfo.variant_test_name else "")


REFLECTED = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
             "truediv": operator.truediv, "div": operator.truediv, "pow": operator.pow,
             "matmul": operator.matmul, "mod": operator.mod, "and": operator.and_,
             "or": operator.or_, "xor": operator.xor}


# op_db's ops that take their arguments in another order than the function they test
REORDERED = {"nn.functional.embedding": lambda weight, index, **kwargs:
             mg.nn.functional.embedding(index, weight, **kwargs),
             "einsum": lambda tensors, equation: mg.einsum(equation, tensors),
             "normal.in_place": lambda x, *args, **kwargs: x.clone().normal_(*args, **kwargs)}


def resolve(name: str) -> Callable | None:
    """minigrad's callable for an OpInfo name: nn.functional.x, linalg.x, an operator, a
    top-level function or a Tensor method (None: minigrad has no such op)."""
    if name in REORDERED:
        return REORDERED[name]
    if name.endswith("_") and not name.endswith("__"):  # in place, on a copy (as op_db)
        if not hasattr(mg.Tensor, name):
            return None
        return lambda x, *a, **k: getattr(x.clone(), name)(*a, **k)
    if name.startswith("__r") and name.endswith("__") and name[3:-2] in REFLECTED:
        return lambda x, other: REFLECTED[name[3:-2]](other, x)  # __rsub__(x, y) is y - x
    if name.startswith("__") and name.endswith("__"):
        method = getattr(mg.Tensor, name, None)
        return None if method is None else (lambda x, *a, **k: method(x, *a, **k))
    for prefix, module in (("nn.functional.", mg.nn.functional), ("linalg.", mg.linalg)):
        if name.startswith(prefix):
            return getattr(module, name[len(prefix):], None)
    if "." in name:
        return None
    function = getattr(mg.functions, name, None) or getattr(mg.factory, name, None)
    if callable(function):
        return function
    method = getattr(mg.Tensor, name, None)
    if callable(method):
        return lambda x, *a, **k: getattr(x, name)(*a, **k)
    return None


class UnsupportedError(Exception):
    """A sample argument minigrad has no equivalent for."""


def to_mg(value: Any, torch: Any) -> Any:
    """A torch sample argument in minigrad's terms (tensors copied with requires_grad)."""
    if isinstance(value, torch.Tensor):
        if value.is_complex() or value.layout != torch.strided or value.dtype == torch.bfloat16:
            raise UnsupportedError(f"a {value.dtype} {value.layout} tensor")
        array = value.detach().cpu().numpy().copy()
        t = mg.tensor(array)
        return t.requires_grad_() if value.requires_grad else t
    if isinstance(value, torch.dtype):
        name = str(value).split(".")[-1]
        if name not in mg.dtypes.BY_NAME:
            raise UnsupportedError(f"dtype {name}")
        return mg.dtypes.BY_NAME[name]
    if isinstance(value, torch.device):
        return "cpu"
    if isinstance(value, torch.layout):  # (strided: the only one minigrad has)
        if value != torch.strided:
            raise UnsupportedError(f"layout {value}")
        return None
    if isinstance(value, torch.memory_format):
        return mg.contiguous_format
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, (list, tuple)):
        return type(value)(to_mg(v, torch) for v in value) if not hasattr(
            value, "_fields") else tuple(to_mg(v, torch) for v in value)
    if isinstance(value, dict):
        return {k: to_mg(v, torch) for k, v in value.items()}
    if callable(value) or type(value).__module__.startswith("torch"):
        raise UnsupportedError(f"an argument of type {type(value).__name__}")
    return value


def tensors_in(value: Any, kind: Any) -> list:
    if isinstance(value, kind):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in tensors_in(v, kind)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in tensors_in(v, kind)]
    return []


def compare(ours: Any, theirs: Any, torch: Any, dtype: str, what: str, values: bool = True
            ) -> str:
    """'' when equal within the dtype's tolerance (shapes and dtypes only, without
    ``values``), else what differs."""
    if isinstance(theirs, torch.Tensor):
        if not isinstance(ours, mg.Tensor):
            return f"{what}: a {type(ours).__name__} for a tensor"
        want = theirs.detach().cpu().numpy()
        got = ours.detach().numpy()
        if got.shape != want.shape:
            return f"{what}: shape {list(got.shape)} for {list(want.shape)}"
        if got.dtype != want.dtype:
            return f"{what}: dtype {got.dtype} for {want.dtype}"
        rtol, atol = TOL.get(dtype, (0, 0)) if want.dtype.kind == "f" else (0, 0)
        if values and not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
            worst = np.nanmax(np.abs(got.astype(np.float64) - want.astype(np.float64)))
            return f"{what}: values differ by up to {worst:.3g}"
        return ""
    if isinstance(theirs, (list, tuple)):
        if not isinstance(ours, (list, tuple)) or len(ours) != len(theirs):
            return f"{what}: {type(ours).__name__} for a {type(theirs).__name__} of {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            found = compare(a, b, torch, dtype, f"{what}[{i}]", values)
            if found:
                return found
        return ""
    if isinstance(theirs, (bool, int, float)):
        ok = ours == theirs or (isinstance(theirs, float) and math.isclose(
            ours, theirs, rel_tol=1e-6)) if isinstance(ours, (bool, int, float)) else False
        return "" if ok else f"{what}: {ours!r} for {theirs!r}"
    return ""


def run_sample(fn: Callable, torch_fn: Callable, sample: Any, torch: Any, dtype: str,
               random: bool = False) -> tuple:
    """(status, detail) of one sample: values (for ``random`` ops shapes and dtypes), then
    gradients where torch's inputs require them."""
    try:
        args = to_mg((sample.input, *sample.args), torch)
        kwargs = to_mg(dict(sample.kwargs), torch)
    except UnsupportedError as e:
        return "skipped", f"{e}"
    try:
        want = torch_fn(sample.input, *sample.args, **sample.kwargs)
    except Exception as e:  # noqa: BLE001  (torch refuses its own sample: nothing to compare)
        return "skipped", f"torch raised {type(e).__name__}"
    try:
        got = fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001
        return "error", f"{type(e).__name__}: {str(e).splitlines()[0][:90]}"
    found = compare(got, want, torch, dtype, "output", values=not random)
    if found:
        return "differs", found
    if random:
        return "ok", ""
    outs_t = [t for t in tensors_in(want, torch.Tensor) if t.requires_grad]
    ins_t = [t for t in tensors_in((sample.input, *sample.args, sample.kwargs), torch.Tensor)
             if t.requires_grad and t.is_leaf]
    if not outs_t or not ins_t:
        return "ok", ""
    outs = [t for t in tensors_in(got, mg.Tensor) if t.requires_grad]
    ins = [t for t in tensors_in((*args, kwargs), mg.Tensor) if t.requires_grad]
    if len(outs) != len(outs_t) or len(ins) != len(ins_t):
        return "differs", "which outputs or inputs require grad"
    rng = np.random.default_rng(0)
    ups = [rng.standard_normal(tuple(t.shape)) for t in outs_t]
    try:
        grads_t = torch.autograd.grad(outs_t, ins_t, [torch.tensor(u, dtype=t.dtype) for u, t
                                                      in zip(ups, outs_t)], allow_unused=True)
    except Exception as e:  # noqa: BLE001
        return "ok", f"torch's backward raised {type(e).__name__}"
    try:
        grads = mg.autograd.grad(outs, ins, [mg.tensor(u).to(t.dtype) for u, t in
                                             zip(ups, outs)], allow_unused=True)
    except Exception as e:  # noqa: BLE001
        return "error", f"backward: {type(e).__name__}: {str(e).splitlines()[0][:80]}"
    for i, (g, gt) in enumerate(zip(grads, grads_t)):
        if gt is None:
            continue
        if g is None:
            g = mg.zeros(tuple(gt.shape), dtype=mg.dtypes.BY_NAME[str(gt.dtype).split(".")[-1]])
        found = compare(g, gt, torch, dtype, f"gradient of input {i}")
        if found:
            return "differs", found
    return "ok", ""


def op_outcomes(cap: int | None = None, only: str | None = None) -> Iterator[Outcome]:
    """Every sample (the first ``cap`` per op and dtype) of every op minigrad has."""
    torch, op_db, _ = torch_modules()
    for opinfo in op_db:
        name = op_name(opinfo)
        if only is not None and name != only:
            continue
        fn = REORDERED.get(name) or resolve(opinfo.name)
        if fn is None:
            continue
        for dtype in DTYPES:
            tdtype = getattr(torch, dtype)
            if tdtype not in opinfo.supported_dtypes("cpu"):
                continue
            grad = bool(opinfo.supports_autograd)
            try:  # the reference inputs: the samples and more (extremes, NaN, infinities)
                samples = list(opinfo.reference_inputs("cpu", tdtype, requires_grad=grad))
            except Exception:  # noqa: BLE001  (some of torch's own fail to build)
                samples = list(opinfo.sample_inputs("cpu", tdtype, requires_grad=grad))
            for sample in samples[:cap]:
                torch.manual_seed(0)
                mg.manual_seed(0)
                status, detail = run_sample(fn, opinfo.op, sample, torch, dtype,
                                            opinfo.name in RANDOM)
                yield Outcome(name, dtype, status, detail)


def module_outcomes(cap: int | None = None, only: str | None = None) -> Iterator[Outcome]:
    """Every sample input of ``module_db`` for the modules minigrad has: construct both, copy
    torch's parameters and buffers into ours, run forward (in training and in eval where
    they differ), and compare outputs, buffers, and the gradients of inputs and parameters."""
    torch, _, module_db = torch_modules()
    for info in module_db:
        name = f"nn.{info.module_cls.__name__}"
        ours_cls = getattr(mg.nn, info.module_cls.__name__, None)
        if ours_cls is None or (only is not None and name != only):
            continue
        for dtype in DTYPES:
            tdtype = getattr(torch, dtype)
            for training in ((True, False) if info.train_and_eval_differ else (True,)):
                try:
                    inputs = info.module_inputs_func(info, device="cpu", dtype=tdtype,
                                                     requires_grad=True, training=training)
                except Exception as e:  # noqa: BLE001
                    yield Outcome(name, dtype, "skipped", f"no samples: {type(e).__name__}")
                    continue
                for module_input in inputs[:cap]:
                    torch.manual_seed(0)
                    mg.manual_seed(0)
                    status, detail = run_module(torch, info.module_cls, ours_cls, module_input,
                                                dtype, training)
                    yield Outcome(name, dtype, status, detail)


def run_module(torch: Any, theirs_cls: type, ours_cls: type, module_input: Any, dtype: str,
               training: bool) -> tuple[str, str]:
    """(status, detail) of one module sample."""
    c, f = module_input.constructor_input, module_input.forward_input
    if f is None:
        return "skipped", "no forward input"
    try:
        args, kwargs = to_mg(tuple(c.args), torch), to_mg(dict(c.kwargs), torch)
        inputs, forward_kwargs = to_mg(tuple(f.args), torch), to_mg(dict(f.kwargs), torch)
    except UnsupportedError as e:
        return "skipped", f"{e}"
    try:
        theirs = theirs_cls(*c.args, **c.kwargs).to(getattr(torch, dtype)).train(training)
        if getattr(theirs, "has_uninitialized_params", lambda: False)():  # a Lazy module:
            with torch.no_grad():  # shaped by a first forward (in eval: no statistics move)
                theirs.eval()(*f.args, **f.kwargs)
            theirs.train(training)  # (ours takes the shapes from the state it loads)
        state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
        want = theirs(*f.args, **f.kwargs)
    except Exception as e:  # noqa: BLE001
        return "skipped", f"torch raised {type(e).__name__}"
    try:
        ours = ours_cls(*args, **kwargs).to(mg.dtypes.BY_NAME[dtype]).train(training)
        ours.load_state_dict(state)  # torch's parameters and buffers, before its forward
        got = ours(*inputs, **forward_kwargs)
    except Exception as e:  # noqa: BLE001
        return "error", f"{type(e).__name__}: {str(e).splitlines()[0][:90]}"
    found = compare(got, want, torch, dtype, "output")
    for key, value in theirs.state_dict().items():  # running statistics after forward
        found = found or compare(ours.state_dict()[key], value, torch, dtype, f"buffer {key}")
    if found:
        return "differs", found
    outs_t = [t for t in tensors_in(want, torch.Tensor) if t.requires_grad]
    if not outs_t:
        return "ok", ""
    outs = [t for t in tensors_in(got, mg.Tensor) if t.requires_grad]
    rng = np.random.default_rng(0)
    ups = [rng.standard_normal(tuple(t.shape)) for t in outs_t]
    sum(((t * torch.tensor(u, dtype=t.dtype)).sum() for t, u in zip(outs_t, ups))).backward()
    try:
        sum(((t * mg.tensor(u).to(t.dtype)).sum() for t, u in zip(outs, ups))).backward()
    except Exception as e:  # noqa: BLE001
        return "error", f"backward: {type(e).__name__}: {str(e).splitlines()[0][:80]}"
    pairs = [(a, b, f"gradient of input {i}") for i, (a, b) in enumerate(zip(
        tensors_in(inputs, mg.Tensor), tensors_in(tuple(f.args), torch.Tensor)))]
    pairs += [(dict(ours.named_parameters())[k], p, f"gradient of {k}")
              for k, p in theirs.named_parameters()]
    for a, b, what in pairs:
        if b.grad is not None:
            g = a.grad if a.grad is not None else mg.zeros(tuple(b.shape)).to(a.dtype)
            found = compare(g, b.grad, torch, dtype, what)
            if found:
                return "differs", found
    return "ok", ""


def matrix(outcomes: list[Outcome]) -> list[tuple[str, Counter, list[str]]]:
    """Per op: the count of each status, and the distinct reasons of what is not ok (the
    known reason where there is one)."""
    rows: dict[str, tuple[Counter, list[str]]] = {}
    for o in outcomes:
        counts, reasons = rows.setdefault(o.op, (Counter(), []))
        counts[o.status] += 1
        if o.status != "ok":
            reason = known_reason(o) or re.sub(r"\d+(\.\d+)?(e-?\d+)?", "N",
                                               f"{o.status}: {o.detail}")
            if reason not in reasons:
                reasons.append(reason)
    return [(op, c, r) for op, (c, r) in sorted(rows.items())]


def markdown(rows: list[tuple[str, Counter, list[str]]], cap: int | None) -> str:
    """The parity matrix as README markdown."""
    total = Counter()
    for _, c, _ in rows:
        total.update(c)
    lines = [
        f"{len(rows)} ops and modules, {sum(total.values())} samples "
        f"({'all' if cap is None else cap} per op and dtype, float32 and float64): "
        f"**{total['ok']} agree** in values and gradients, {total['differs']} differ, "
        f"{total['error']} raise, {total['skipped']} are samples minigrad cannot take.", "",
        "<details><summary>The matrix, op by op</summary>", "",
        "| op or module | agree | differ | raise | skipped | what is not ok |",
        "|---|---:|---:|---:|---:|---|"]
    for op, c, reasons in rows:
        lines.append(f"| `{op}` | {c['ok']} | {c['differs']} | {c['error']} | {c['skipped']} | "
                     + "; ".join(r.replace("|", "/") for r in reasons[:3]) + " |")
    return "\n".join(lines) + "\n\n</details>\n"


def write_readme(text: str) -> None:
    readme = ROOT / "README.md"
    content = readme.read_text()
    start, end = "<!-- parity:start -->\n", "<!-- parity:end -->"
    a, b = content.index(start) + len(start), content.index(end)
    readme.write_text(content[:a] + text + content[b:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=None, help="samples per op and dtype")
    parser.add_argument("--op", default=None, help="one op only")
    parser.add_argument("--write", action="store_true", help="write the matrix into README.md")
    parser.add_argument("--details", action="store_true", help="print every sample not ok")
    args = parser.parse_args()
    outcomes = list(op_outcomes(args.cap, args.op)) + list(module_outcomes(args.cap, args.op))
    if args.details:
        for o in outcomes:
            if o.status != "ok":
                print(o.op, o.dtype, o.status, o.detail, file=sys.stderr)
    text = markdown(matrix(outcomes), args.cap)
    print(text)
    if args.write:
        write_readme(text)


if __name__ == "__main__":
    main()
