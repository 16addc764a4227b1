"""Run one course script as ``__main__`` the way ``python SCRIPT`` would, after seeding.

Used by run.py in a fresh subprocess: ``python launch.py SCRIPT``. The caller chooses the
library through PYTHONPATH (shim/ first: minigrad; without it: PyTorch) and puts standins/
(torchvision) there too. This file puts the script's folder first on sys.path (as
``python SCRIPT`` does, so a d2l/ folder beside it is found), offline/ last (IPython, pandas,
requests, matplotlib_inline, each only where the real one is missing), selects matplotlib's
Agg backend, and seeds ``random``, NumPy and ``torch`` with $COURSE_SCRIPTS_SEED (default 0).
"""

from __future__ import annotations

import os
import random
import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def define_placeholders(torch: object, names: str) -> None:
    """For each missing ``torch.a.b`` in ``names`` (comma-separated), a function that raises
    NotImplementedError when called: only to see what a script needs past such a name."""
    import importlib

    for full in filter(None, (n.strip() for n in names.split(","))):
        module_name, _, attr = full.rpartition(".")
        module = importlib.import_module(module_name) if module_name != "torch" else torch
        if hasattr(module, attr):
            continue

        def placeholder(*args: object, _name: str = full, **kwargs: object) -> None:
            raise NotImplementedError(f"{_name} is missing in minigrad (a run.py placeholder)")

        setattr(module, attr, placeholder)
        print(f"[launch] placeholder for missing {full}", file=sys.stderr)


def main(argv: list[str]) -> None:
    """Seed, then run ``argv[0]`` with ``argv`` as its sys.argv."""
    script = Path(argv[0]).resolve()
    sys.argv = [str(script), *argv[1:]]
    sys.path[0] = str(script.parent)
    sys.path.append(str(HERE / "offline"))
    os.environ.setdefault("MPLBACKEND", "Agg")
    seed = int(os.environ.get("COURSE_SCRIPTS_SEED", "0"))
    random.seed(seed)
    import numpy as np

    np.random.seed(seed)
    import torch

    print(f"[launch] torch is {torch.__name__} {getattr(torch, '__version__', '')}",
          file=sys.stderr)
    torch.manual_seed(seed)
    if torch.__name__ != "torch":
        define_placeholders(torch, os.environ.get("COURSE_SCRIPTS_PLACEHOLDERS", ""))
    runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
