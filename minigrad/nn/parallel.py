"""``nn.DataParallel``: on one device, the module itself. d2l's multi-GPU helpers wrap models
in it (``nn.DataParallel(net, device_ids=devices)``); minigrad runs on one device, so the
wrapper calls the module as it is and keeps torch's ``module.`` prefix in state_dict keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minigrad.nn.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Run ``module`` on the one device minigrad uses (torch's would split the batch over
    ``device_ids``).

    Shape: input and output as ``module``'s.
    """

    def __init__(self, module: Module, device_ids: Sequence[Any] | None = None,
                 output_device: Any = None, dim: int = 0) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel wraps a Module, got {type(module).__name__}")
        if device_ids is not None and len(list(device_ids)) > 1:
            raise RuntimeError(f"minigrad uses one device; DataParallel got device_ids="
                               f"{list(device_ids)} (pass one device, or none)")
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else []
        self.output_device, self.dim = output_device, dim

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """The wrapped module's forward."""
        return self.module(*inputs, **kwargs)
