"""The optimizer base class: parameter groups, per-parameter state, zero_grad, state_dict."""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from minigrad.factory import tensor as make
from minigrad.runtime.grad_mode import enable_grad, no_grad
from minigrad.tensor import Tensor


class Optimizer:
    """The base class: parameter groups, per-parameter state, zero_grad and state_dict."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)  # as torch
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor) or not hasattr(params, "__iter__"):
            raise TypeError(f"params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_name(params)}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (defaults fill the rest)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise KeyError(f"a param_group needs its 'params' (got the keys "
                           f"{sorted(param_group)})")
        params = param_group["params"]
        if isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{_name(p)}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        if len({id(p) for p in params}) != len(params):  # each step updates it twice
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error", stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        group = {**self.defaults, **param_group, "params": params}
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the parameters' gradients (set to None, or zero them in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; ``closure`` recomputes the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self._update(p, p.grad, self.state[p], group)
        return loss

    def _update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
                ) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: ``state`` by parameter index, ``param_groups`` with indices."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by ``state_dict`` (tensors are copied)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for saved, own in zip(groups, self.param_groups):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        params = {i: p for saved, own in zip(groups, self.param_groups)
                  for i, p in zip(saved["params"], own["params"])}
        self.state = defaultdict(dict)
        for key, s in state_dict["state"].items():
            p = params[int(key)]
            self.state[p] = {k: (make(v).to(p.device, p.dtype) if k != "step" and (
                isinstance(v, Tensor) or hasattr(v, "shape")) else v) for k, v in s.items()}
        for saved, own in zip(groups, self.param_groups):
            own.update({k: v for k, v in saved.items() if k != "params"})

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


def _name(value: Any) -> str:
    """A value's type as torch's optimizer messages name it (minigrad.FloatTensor, list...)."""
    return value.type() if isinstance(value, Tensor) else type(value).__name__


def _check(name: str, value: float, lowest: float = 0.0) -> None:
    """torch's check of a hyperparameter: a number (or a one-element tensor) >= ``lowest``;
    NaN is no number here."""
    if isinstance(value, Tensor) and value.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")  # (only lr may be a tensor)
    try:
        valid = lowest <= value
    except TypeError:
        raise TypeError(f"Invalid {name}: {value!r} is a {type(value).__name__}, not a number"
                        ) from None
    if not valid:
        raise ValueError(f"Invalid {name}: {value}")


def _check_betas(betas: Any) -> tuple[float, float]:
    """Adam's (beta1, beta2): two numbers in [0, 1)."""
    if not isinstance(betas, (tuple, list)):
        raise TypeError(f"Invalid betas: expected a pair (beta1, beta2), got "
                        f"{type(betas).__name__} ({betas!r})")
    if len(betas) != 2:
        raise ValueError(f"Invalid betas: expected a pair (beta1, beta2), got {len(betas)} "
                         f"values {tuple(betas)}")
    for i, b in enumerate(betas):
        _check(f"beta parameter at index {i}", b)
        if not b < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b}")
    return tuple(betas)
