"""minigrad.optim: optimizers with PyTorch's update formulas, step for step.

An optimizer holds ``param_groups`` (dicts of parameters and hyperparameters) and a ``state``
per parameter (momentum buffers, moving averages). ``step()`` updates the parameters in place,
outside the graph, from their ``.grad``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from minigrad.factory import full_like, zeros_like
from minigrad.optim import lr_scheduler
from minigrad.optim.adaptive import Adamax, NAdam, RAdam, Rprop
from minigrad.optim.optimizer import Optimizer, _check, _check_betas
from minigrad.tensor import Tensor

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "Optimizer", "RAdam",
           "RMSprop", "Rprop", "lr_scheduler"]


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov, weight decay.

    g = grad + weight_decay * p;  buf = momentum * buf + (1 - dampening) * g (buf = g at first);
    g = g + momentum * buf (Nesterov) or buf;  p = p - lr * g.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 maximize: bool = False) -> None:
        _check("learning rate", lr)
        _check("momentum value", momentum)
        _check("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov,
                                  "maximize": maximize})

    def _update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
                ) -> None:
        """One parameter's step, in place: ``group`` holds the hyperparameters (lr, momentum,
        dampening, weight_decay, nesterov, maximize), ``state`` what this parameter keeps
        from step to step (its ``"momentum_buffer"``)."""
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.clone()
            else:
                buf.mul_(momentum).add_(g * (1 - group["dampening"]))
            g = g + momentum * buf if group["nesterov"] else buf
        p.sub_(g * group["lr"])


class Adam(Optimizer):
    """Adam: moving averages of the gradient (m) and its square (v), bias-corrected.

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    """

    decoupled = False  # AdamW: weight decay shrinks p directly instead of adding to g

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, maximize: bool = False
                 ) -> None:
        _check("learning rate", lr)
        _check("epsilon value", eps)
        _check("weight_decay value", weight_decay)
        betas = _check_betas(betas)
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad,
                                  "maximize": maximize})

    def _update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
                ) -> None:
        """One parameter's step, in place: ``group`` holds the hyperparameters (lr, momentum,
        dampening, weight_decay, nesterov, maximize), ``state`` what this parameter keeps
        from step to step (its ``"momentum_buffer"``)."""
        g = -grad if group["maximize"] else grad
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = zeros_like(p)
        state["step"] += 1
        t = state["step"]
        if wd and self.decoupled:
            p.mul_(1 - lr * wd)
        elif wd:
            g = g + wd * p
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.mul_(beta1).add_(g * (1 - beta1))
        v.mul_(beta2).add_(g * g * (1 - beta2))
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = v = state["max_exp_avg_sq"].maximum(v)
        denom = v.sqrt() / math.sqrt(1 - beta2 ** t) + group["eps"]
        p.sub_(m / denom * (lr / (1 - beta1 ** t)))


class AdamW(Adam):
    """Adam with decoupled weight decay: p = p (1 - lr * weight_decay), then the Adam step."""

    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, maximize: bool = False
                 ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a moving root-mean-square of recent gradients.

    s = alpha s + (1 - alpha) g^2;  avg = sqrt(s - a^2) + eps (centered, a the moving mean of
    g) or sqrt(s) + eps;  buf = momentum buf + g / avg and p = p - lr buf (or p - lr g / avg).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, maximize: bool = False) -> None:
        _check("learning rate", lr)
        _check("epsilon value", eps)
        _check("momentum value", momentum)
        _check("weight_decay value", weight_decay)
        _check("alpha value", alpha)
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "momentum": momentum,
                                  "centered": centered, "maximize": maximize})

    def _update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
                ) -> None:
        """One parameter's step, in place: ``group`` holds the hyperparameters (lr, momentum,
        dampening, weight_decay, nesterov, maximize), ``state`` what this parameter keeps
        from step to step (its ``"momentum_buffer"``)."""
        g = -grad if group["maximize"] else grad
        alpha = group["alpha"]
        if not state:
            state["step"] = 0
            state["square_avg"] = zeros_like(p)
            if group["momentum"]:
                state["momentum_buffer"] = zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = zeros_like(p)
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        s = state["square_avg"]
        s.mul_(alpha).add_(g * g * (1 - alpha))
        if group["centered"]:
            a = state["grad_avg"]
            a.mul_(alpha).add_(g * (1 - alpha))
            avg = (s - a * a).sqrt() + group["eps"]
        else:
            avg = s.sqrt() + group["eps"]
        if group["momentum"]:
            buf = state["momentum_buffer"]
            buf.mul_(group["momentum"]).add_(g / avg)
            p.sub_(buf * group["lr"])
        else:
            p.sub_(g / avg * group["lr"])


class Adadelta(Optimizer):
    """Adadelta: a per-coordinate step size from moving averages of g^2 and of past updates.

    v = rho v + (1 - rho) g^2;  delta = sqrt(u + eps) / sqrt(v + eps) * g;
    u = rho u + (1 - rho) delta^2;  p = p - lr * delta  (v: square_avg, u: acc_delta).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0, *, maximize: bool = False
                 ) -> None:
        _check("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check("epsilon value", eps)
        _check("weight_decay value", weight_decay)
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps,
                                  "weight_decay": weight_decay, "maximize": maximize})

    def _update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
                ) -> None:
        """One parameter's step, in place: ``group`` holds the hyperparameters (lr, momentum,
        dampening, weight_decay, nesterov, maximize), ``state`` what this parameter keeps
        from step to step (its ``"momentum_buffer"``)."""
        g = -grad if group["maximize"] else grad
        rho, eps = group["rho"], group["eps"]
        if not state:
            state["step"] = 0
            state["square_avg"] = zeros_like(p)
            state["acc_delta"] = zeros_like(p)
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        v, u = state["square_avg"], state["acc_delta"]
        v.mul_(rho).add_(g * g * (1 - rho))
        delta = (u + eps).sqrt() / (v + eps).sqrt() * g  # the new v, the old u
        u.mul_(rho).add_(delta * delta * (1 - rho))
        p.sub_(delta * group["lr"])


class Adagrad(Optimizer):
    """Adagrad: divide the gradient by the root of the sum of all its past squares.

    clr = lr / (1 + (t - 1) * lr_decay);  s = s + g^2;  p = p - clr * g / (sqrt(s) + eps),
    with s starting at initial_accumulator_value.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        _check("learning rate", lr)
        _check("lr_decay value", lr_decay)
        _check("weight_decay value", weight_decay)
        _check("initial_accumulator_value value", initial_accumulator_value)
        _check("epsilon value", eps)
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "eps": eps,
                                  "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "maximize": maximize})
        for group in self.param_groups:  # as torch: the state exists before the first step
            for p in group["params"]:
                self._init_state(p, self.state[p])

    def _init_state(self, p: Tensor, state: dict[str, Any]) -> None:
        # torch fills the sum from the constructor's value even where a group sets its own
        state["step"] = 0
        state["sum"] = full_like(p, self.defaults["initial_accumulator_value"])

    def _update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
                ) -> None:
        """One parameter's step, in place: ``group`` holds the hyperparameters (lr, momentum,
        dampening, weight_decay, nesterov, maximize), ``state`` what this parameter keeps
        from step to step (its ``"momentum_buffer"``)."""
        g = -grad if group["maximize"] else grad
        if not state:  # a parameter added later with add_param_group
            self._init_state(p, state)
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = state["sum"]
        s.add_(g * g)
        p.sub_(g / (s.sqrt() + group["eps"]) * clr)
