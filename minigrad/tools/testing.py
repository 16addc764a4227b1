"""Checks for users and for our own tests: gradcheck, gradgradcheck, check_graph (each node of
a graph on its own: tools/check_graph.py) and assert_close.

``gradcheck`` compares the gradients autograd computes with central finite differences, in
float64. The full mode builds both Jacobians entry by entry (small inputs); the fast mode
compares one random directional derivative u^T J v, which costs one backward and two forwards
at any size and still catches a wrong formula with probability 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minigrad import autograd
from minigrad.runtime import dtypes
from minigrad.tensor import Tensor
from minigrad.tools.check_graph import GraphCheckError, GraphReport, check_graph  # noqa: F401

_TOLERANCES = {  # (rtol, atol) by dtype, as torch.testing.assert_close
    "float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
}


class GradcheckError(AssertionError):
    """Raised by gradcheck and gradgradcheck when the gradients disagree."""


def _host(x: Any) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def assert_close(actual: Any, expected: Any, *, rtol: float | None = None,
                 atol: float | None = None, check_dtype: bool = True, equal_nan: bool = False,
                 msg: str | None = None) -> None:
    """Assert ``|actual - expected| <= atol + rtol * |expected|`` elementwise, same shapes.

    Accepts tensors, NumPy arrays and numbers; tolerances default by dtype as torch's.
    """
    a, e = _host(actual), _host(expected)
    prefix = f"{msg}: " if msg else ""
    if isinstance(actual, Tensor) and isinstance(expected, Tensor):
        if actual.device != expected.device:
            raise AssertionError(f"{prefix}devices differ: {actual.device} and {expected.device}")
        if check_dtype and actual.dtype is not expected.dtype:
            raise AssertionError(f"{prefix}dtypes differ: {actual.dtype} and {expected.dtype}")
    if a.shape != e.shape:
        raise AssertionError(f"{prefix}shapes differ: {a.shape} and {e.shape}")
    if rtol is None or atol is None:
        d = a.dtype.name if a.dtype.kind == "f" else e.dtype.name
        default_rtol, default_atol = _TOLERANCES.get(d, (0.0, 0.0))
        rtol = default_rtol if rtol is None else rtol
        atol = default_atol if atol is None else atol
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    close = np.isclose(a64, e64, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if not close.all():
        bad = np.argwhere(~close)
        diff = np.abs(a64 - e64)
        where = tuple(int(i) for i in bad[0])
        raise AssertionError(
            f"{prefix}{len(bad)} of {a.size} elements differ (rtol={rtol}, atol={atol}); "
            f"greatest absolute difference {np.nanmax(diff) if diff.size else 0:.3g}; first at "
            f"index {where}: {a64[where]!r} vs {e64[where]!r}"
        )


def _as_tuple(x: Any) -> tuple:
    return x if isinstance(x, tuple) else (x,)


def _perturbed(inputs: Sequence[Any], i: int, delta: np.ndarray) -> list[Any]:
    out = list(inputs)
    x = inputs[i]
    out[i] = Tensor(_host(x) + delta, dtype=x.dtype, device=x.device,
                    requires_grad=x.requires_grad)
    return out


def _outputs(func: Callable, inputs: Sequence[Any]) -> list[np.ndarray]:
    # not under no_grad: func may itself differentiate (gradgradcheck's first derivative)
    return [_host(o) for o in _as_tuple(func(*inputs))]


def gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, fast_mode: bool = False, raise_exception: bool = True,
              seed: int = 0) -> bool:
    """Check autograd's gradients of ``func`` against finite differences (float64 inputs).

    ``inputs`` is a tensor or a tuple; those with ``requires_grad`` are checked.
    """
    inputs = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in wrt:
        if inputs[i].dtype is not dtypes.float64:
            raise ValueError(f"gradcheck needs float64 inputs for accuracy; input {i} is "
                             f"{inputs[i].dtype}")
    outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]
    rng = np.random.default_rng(seed)
    try:
        if fast_mode:
            _check_direction(func, inputs, wrt, outputs, rng, eps, atol, rtol)
        else:
            _check_jacobian(func, inputs, wrt, outputs, eps, atol, rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _analytic(outputs: list[Tensor], inputs: Sequence[Any], wrt: list[int],
              grad_outputs: list[np.ndarray]) -> list[np.ndarray]:
    """Vector-Jacobian products with ``grad_outputs``, checked for shape, dtype and device."""
    diff = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not diff:
        return [np.zeros(inputs[i].shape) for i in wrt]
    grads = autograd.grad([o for o, _ in diff], [inputs[i] for i in wrt],
                          [Tensor(g, dtype=o.dtype, device=o.device) for o, g in diff],
                          retain_graph=True, allow_unused=True)
    result = []
    for i, g in zip(wrt, grads):
        x = inputs[i]
        if g is None:
            result.append(np.zeros(x.shape))
            continue
        if g.shape != x.shape or g.dtype is not x.dtype or g.device != x.device:
            raise GradcheckError(
                f"the gradient of input {i} has shape {tuple(g.shape)}, dtype {g.dtype} and "
                f"device {g.device}; the input has {tuple(x.shape)}, {x.dtype}, {x.device}")
        result.append(_host(g))
    return result


def _check_direction(func: Callable, inputs: Sequence[Any], wrt: list[int],
                     outputs: list[Tensor], rng: np.random.Generator, eps: float, atol: float,
                     rtol: float) -> None:
    u = [rng.standard_normal(o.shape) for o in outputs]
    v = {i: rng.standard_normal(inputs[i].shape) for i in wrt}
    analytic = sum(float(np.sum(g * v[i])) for i, g in zip(wrt, _analytic(
        outputs, inputs, wrt, u)))
    plus, minus = list(inputs), list(inputs)
    for i in wrt:
        plus = _perturbed(plus, i, eps * v[i])
        minus = _perturbed(minus, i, -eps * v[i])
    numeric = sum(float(np.sum(uk * (p - m))) / (2 * eps) for uk, p, m in zip(
        u, _outputs(func, plus), _outputs(func, minus)))
    if not abs(analytic - numeric) <= atol + rtol * abs(numeric):
        raise GradcheckError(
            f"directional derivative mismatch: analytical {analytic!r} vs numerical "
            f"{numeric!r} (atol={atol}, rtol={rtol})")


def _check_jacobian(func: Callable, inputs: Sequence[Any], wrt: list[int],
                    outputs: list[Tensor], eps: float, atol: float, rtol: float) -> None:
    for k, out in enumerate(outputs):
        n_out = int(np.prod(out.shape))
        # analytical Jacobian: one vector-Jacobian product per output element
        rows = []
        for j in range(n_out):
            e = [np.zeros(o.shape) for o in outputs]
            e[k].reshape(-1)[j] = 1.0
            rows.append(_analytic(outputs, inputs, wrt, e))
        for w, i in enumerate(wrt):
            x = inputs[i]
            n_in = int(np.prod(x.shape))
            analytic = np.array([r[w].reshape(-1) for r in rows]).reshape(n_out, n_in)
            numeric = np.zeros((n_out, n_in))
            for j in range(n_in):
                delta = np.zeros(x.shape)
                delta.reshape(-1)[j] = eps
                plus = _outputs(func, _perturbed(inputs, i, delta))[k]
                minus = _outputs(func, _perturbed(inputs, i, -delta))[k]
                numeric[:, j] = ((plus - minus) / (2 * eps)).reshape(-1)
            if not np.allclose(analytic, numeric, rtol=rtol, atol=atol):
                worst = np.unravel_index(np.argmax(np.abs(analytic - numeric)), analytic.shape)
                raise GradcheckError(
                    f"Jacobian mismatch for output {k} with respect to input {i}: at (output "
                    f"element, input element) {tuple(int(w) for w in worst)} analytical "
                    f"{analytic[worst]!r} vs numerical {numeric[worst]!r}\n"
                    f"analytical:\n{analytic}\nnumerical:\n{numeric}")


def gradgradcheck(func: Callable[..., Any], inputs: Any, grad_outputs: Any = None, *,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  fast_mode: bool = False, raise_exception: bool = True, seed: int = 0) -> bool:
    """Check second derivatives: gradcheck of (inputs, v) -> v^T J(inputs) via create_graph."""
    inputs = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)
        grad_outputs = tuple(Tensor(rng.standard_normal(o.shape), dtype=o.dtype, device=o.device,
                                    requires_grad=True) for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)

    def first_derivative(*args: Any) -> tuple[Tensor, ...]:
        xs, vs = args[:n], args[n:]
        outs = [o for o in _as_tuple(func(*xs)) if isinstance(o, Tensor) and o.requires_grad]
        grads = autograd.grad(outs, [xs[i] for i in wrt], list(vs), create_graph=True,
                              allow_unused=True)
        return tuple(g for g in grads if g is not None and g.requires_grad)

    return gradcheck(first_derivative, tuple(inputs) + grad_outputs, eps=eps, atol=atol,
                     rtol=rtol, fast_mode=fast_mode, raise_exception=raise_exception, seed=seed)
