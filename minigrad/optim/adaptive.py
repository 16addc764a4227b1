"""More adaptive optimizers, as torch.optim's: NAdam, RAdam, Adamax and Rprop.

Each is written as SGD and Adam are in ``minigrad/optim/__init__.py``: the constructor checks
the hyperparameters with torch's messages and ``_update`` applies torch's formula to one
parameter. torch's implementation flags are accepted where they mean nothing here
(``foreach``: minigrad has one implementation) and refused where they promise something
minigrad does not do (``capturable``: CUDA graphs; ``differentiable``: a step autograd can
see through).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from minigrad.factory import full_like, zeros_like
from minigrad.factory import tensor as make
from minigrad.optim.optimizer import Optimizer, _check, _check_betas
from minigrad.tensor import Tensor

__all__ = ["Adamax", "NAdam", "RAdam", "Rprop"]


def _lerp_(m: Tensor, g: Tensor, w: float) -> None:
    """m += w (g - m), in place, rounded as torch's lerp_ (from the nearer end: with w = 1,
    exactly g)."""
    if w < 0.5:
        m.add_((g - m) * w)
    else:
        m.copy_(g - (g - m) * (1 - w))


def _check_flags(name: str, foreach: bool | None, capturable: bool, differentiable: bool
                 ) -> None:
    """Accept torch's ``foreach`` (one implementation here); refuse what minigrad can't do."""
    if foreach not in (None, True, False):
        raise TypeError(f"{name}: foreach must be None or a bool, got {foreach!r}")
    if capturable:
        raise NotImplementedError(f"{name}(capturable=True): minigrad has no CUDA graph "
                                  "capture; leave capturable=False")
    if differentiable:
        raise NotImplementedError(f"{name}(differentiable=True): minigrad's optimizer steps "
                                  "run outside autograd; leave differentiable=False")


def _flags(foreach: bool | None, maximize: bool, capturable: bool, differentiable: bool
           ) -> dict[str, Any]:
    """The flags every group carries, as torch's param_groups do."""
    return {"foreach": foreach, "maximize": maximize, "capturable": capturable,
            "differentiable": differentiable}


class NAdam(Optimizer):
    """Adam with Nesterov momentum, whose momentum warms up with ``momentum_decay``.

    mu_t = b1 (1 - 0.96^(t psi) / 2);  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    d = sqrt(v / (1 - b2^t)) + eps;
    p = p - lr (1 - mu_t) / (1 - prod_{i<=t} mu_i) g / d
          - lr mu_{t+1} / (1 - prod_{i<=t+1} mu_i) m / d.
    """

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check("learning rate", lr)
        _check("epsilon value", eps)
        betas = _check_betas(betas)
        _check("weight_decay value", weight_decay)
        _check("momentum_decay value", momentum_decay)
        _check_flags("NAdam", foreach, capturable, differentiable)
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay,
                                  "momentum_decay": momentum_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay,
                                  **_flags(foreach, maximize, capturable, differentiable)})

    def _update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
                ) -> None:
        g = -grad if group["maximize"] else grad
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["mu_product"] = make(1.0)  # as torch: a 0-d float tensor, off the device
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
        state["step"] += 1
        t = state["step"]
        if wd and group["decoupled_weight_decay"]:
            p.mul_(1 - lr * wd)
        elif wd:
            g = g + wd * p
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * group["momentum_decay"]))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * group["momentum_decay"]))
        state["mu_product"].mul_(mu)
        mu_product = state["mu_product"].item()
        m, v = state["exp_avg"], state["exp_avg_sq"]
        _lerp_(m, g, 1 - beta1)  # m moves a fraction 1 - b1 of the way to g
        v.mul_(beta2).add_(g * g * (1 - beta2))
        denom = (v / (1 - beta2 ** t)).sqrt() + group["eps"]
        p.add_(g / denom * (-lr * (1.0 - mu) / (1.0 - mu_product)))
        p.add_(m / denom * (-lr * mu_next / (1.0 - mu_product * mu_next)))


class RAdam(Optimizer):
    """Rectified Adam: plain momentum SGD while the variance of the adaptive step is
    intractable (rho_t <= 5), Adam's step scaled by the rectification r_t after.

    rho_inf = 2 / (1 - b2) - 1;  rho_t = rho_inf - 2 t b2^t / (1 - b2^t);
    m_hat = m / (1 - b1^t);  r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf /
    ((rho_inf - 4)(rho_inf - 2) rho_t));
    p = p - lr m_hat sqrt(1 - b2^t) / (sqrt(v) + eps) r_t  (rho_t > 5), else p - lr m_hat.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        _check("learning rate", lr)
        _check("epsilon value", eps)
        betas = _check_betas(betas)
        _check("weight_decay value", weight_decay)
        _check_flags("RAdam", foreach, capturable, differentiable)
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay,
                                  **_flags(foreach, maximize, capturable, differentiable)})

    def _update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
                ) -> None:
        g = -grad if group["maximize"] else grad
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
        state["step"] += 1
        t = state["step"]
        if wd and group["decoupled_weight_decay"]:
            p.mul_(1 - lr * wd)
        elif wd:
            g = g + wd * p
        m, v = state["exp_avg"], state["exp_avg_sq"]
        _lerp_(m, g, 1 - beta1)
        v.mul_(beta2).add_(g * g * (1 - beta2))
        m_hat = m / (1 - beta1 ** t)
        bias_correction2 = 1 - beta2 ** t
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2 ** t / bias_correction2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = bias_correction2 ** 0.5 / (v.sqrt() + group["eps"])
            p.sub_(m_hat * lr * adaptive * rect)
        else:
            p.sub_(m_hat * lr)


class Adamax(Optimizer):
    """Adam with the infinity norm: the second moment becomes a decaying maximum of |g|.

    m = b1 m + (1 - b1) g;  u = max(b2 u, |g| + eps);  p = p - lr / (1 - b1^t) * m / u.
    """

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check("learning rate", lr)
        _check("epsilon value", eps)
        betas = _check_betas(betas)
        _check("weight_decay value", weight_decay)
        _check_flags("Adamax", foreach, capturable, differentiable)
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay,
                                  **_flags(foreach, maximize, capturable, differentiable)})

    def _update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
                ) -> None:
        g = -grad if group["maximize"] else grad
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros_like(p)
            state["exp_inf"] = zeros_like(p)
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        m, u = state["exp_avg"], state["exp_inf"]
        _lerp_(m, g, 1 - beta1)
        u.copy_((u * beta2).maximum(g.abs() + group["eps"]))
        p.add_(m / u * -(group["lr"] / (1 - beta1 ** state["step"])))


class Rprop(Optimizer):
    """Resilient backpropagation: each coordinate's step size grows by etaplus while its
    gradient keeps its sign and shrinks by etaminus when the sign flips; only signs move p.

    s = sign(g g_prev);  size = clamp(size * (etaplus if s > 0, etaminus if s < 0, else 1),
    *step_sizes);  g = 0 where s < 0;  p = p - sign(g) size;  g_prev = g.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check("learning rate", lr)
        if not isinstance(etas, (tuple, list)) or len(etas) != 2:
            raise TypeError(f"Invalid etas: expected a pair (etaminus, etaplus), got {etas!r}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        if not isinstance(step_sizes, (tuple, list)) or len(step_sizes) != 2:
            raise TypeError(f"Invalid step_sizes: expected a pair (min, max), got "
                            f"{step_sizes!r}")
        _check_flags("Rprop", foreach, capturable, differentiable)
        super().__init__(params, {"lr": lr, "etas": etas, "step_sizes": step_sizes,
                                  "foreach": foreach, "maximize": maximize,
                                  "differentiable": differentiable, "capturable": capturable})

    def _update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
                ) -> None:
        g = -grad if group["maximize"] else grad
        etaminus, etaplus = group["etas"]
        if not state:
            state["step"] = 0
            state["prev"] = zeros_like(p)
            state["step_size"] = full_like(g, group["lr"])
        state["step"] += 1
        sign = (g * state["prev"]).sign()
        factor = sign.masked_fill(sign > 0, etaplus).masked_fill(sign < 0, etaminus)
        factor = factor.masked_fill(sign == 0, 1)
        state["step_size"].mul_(factor).clamp_(*group["step_sizes"])
        g = g.masked_fill(sign < 0, 0)  # after a sign flip: no step, and no flip next time
        p.sub_(g.sign() * state["step_size"])
        state["prev"].copy_(g)
