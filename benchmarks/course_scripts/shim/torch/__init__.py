"""``import torch`` answered by minigrad: put this folder first on sys.path.

Nothing of minigrad is copied: ``torch`` and every ``torch.X.Y`` become names in
``sys.modules`` for the modules ``minigrad`` and ``minigrad.X.Y`` themselves, so
``import torch.nn as nn``, ``from torch.nn import functional as F``, ``import torch.optim``
and ``from torch.utils.data import DataLoader`` give minigrad's objects, and a class made
through one name is the class made through the other. A ``torch.X`` that minigrad lacks fails
as a missing module does (``ModuleNotFoundError: No module named 'torch.X'``), naming it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types

import minigrad

PREFIX, TARGET = "torch", "minigrad"


def alias(name: str) -> str:
    """``minigrad.nn.functional`` -> ``torch.nn.functional``."""
    return PREFIX + name[len(TARGET):]


class _Existing(importlib.abc.Loader):
    """Hands the import system a module that is already loaded, leaving it untouched."""

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        """The minigrad module itself (no new module object)."""
        return self.module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: only give the module its own spec back."""
        module.__spec__ = self.spec


class MinigradFinder(importlib.abc.MetaPathFinder):
    """Finds ``torch.X.Y`` (not yet imported) as ``minigrad.X.Y``."""

    def find_spec(self, fullname: str, path: object = None,
                  target: object = None) -> importlib.machinery.ModuleSpec | None:
        """A spec for ``minigrad.X.Y`` under the name ``torch.X.Y``; None for other names."""
        if not fullname.startswith(PREFIX + "."):
            return None
        try:
            module = importlib.import_module(TARGET + fullname[len(PREFIX):])
        except ModuleNotFoundError:
            return None  # Python then says: No module named 'torch.X'
        return importlib.machinery.ModuleSpec(fullname, _Existing(module),
                                              is_package=hasattr(module, "__path__"))


def install() -> None:
    """Alias every minigrad module loaded so far, and find the others when imported."""
    for name, module in list(sys.modules.items()):
        if name == TARGET or name.startswith(TARGET + "."):
            sys.modules.setdefault(alias(name), module)
    if not any(isinstance(f, MinigradFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, MinigradFinder())


install()
sys.modules[PREFIX] = minigrad  # the import of `torch` returns what sys.modules holds
