"""The invalid-argument harness: a call minigrad must reject as PyTorch does.

Each case is written once against a library namespace (``minigrad`` or ``torch``), so the same
lines run on both. minigrad must raise the expected exception type, from its own code (never
from inside NumPy), with a message naming what was wrong (the argument, its value, the shapes).
Where PyTorch is installed it runs the same call and must raise the same type: the table stays
honest about what torch does. Without PyTorch the expected types in the table still hold.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import pytest

import minigrad as mg

MINIGRAD_DIR = os.path.dirname(mg.__file__)


def torch_or_none() -> Any:
    """torch if installed (the oracle), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def raised_by(call: Callable[[], Any]) -> BaseException | None:
    """The exception ``call`` raises, or None."""
    try:
        call()
    except Exception as e:  # noqa: BLE001 - any exception is the answer here
        return e
    return None


def assert_raised_by_minigrad(e: BaseException) -> None:
    """The error came from minigrad's own code (not from inside NumPy or Python)."""
    frame = traceback.extract_tb(e.__traceback__)[-1]
    assert frame.filename.startswith(MINIGRAD_DIR), (
        f"raised from {frame.filename}:{frame.lineno}, not from minigrad's own code: "
        f"{type(e).__name__}: {e}")


def assert_rejects(build: Callable[[Any], Any], error: type[BaseException],
                   names: Sequence[str]) -> None:
    """``build(lib)`` raises ``error`` for minigrad (from minigrad's own code, its message
    naming each of ``names``, case-insensitively) and, where installed, for torch."""
    e = raised_by(lambda: build(mg))
    assert e is not None, f"minigrad accepted the call; expected {error.__name__}"
    assert isinstance(e, error), (
        f"minigrad raised {type(e).__name__}: {e}; expected {error.__name__}")
    assert_raised_by_minigrad(e)
    message = str(e).lower()
    for name in names:
        assert name.lower() in message, f"the message does not name {name!r}: {e}"
    torch = torch_or_none()
    if torch is not None:
        t = raised_by(lambda: build(torch))
        assert t is not None, "torch accepts this call: the case belongs in the accepted table"
        assert isinstance(t, error), f"torch raises {type(t).__name__}: {t}, not {error.__name__}"


def assert_accepts(build: Callable[[Any], Any]) -> None:
    """``build(lib)`` works for minigrad and gives torch's shape (an edge torch allows)."""
    ours = build(mg)
    torch = torch_or_none()
    if torch is not None:
        theirs = build(torch)
        assert tuple(ours.shape) == tuple(theirs.shape), (tuple(ours.shape), tuple(theirs.shape))


def skip_without_torch() -> Any:
    """torch, or a skip that says why (for the cases only torch can answer)."""
    return pytest.importorskip("torch", reason="PyTorch is the oracle here; .ci/run installs it")
