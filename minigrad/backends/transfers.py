"""Host <-> device transfers: counted, logged or refused inside ``transfer_guard``.

A transfer is a copy between the host (NumPy) and a backend whose arrays live elsewhere
(``Backend.is_host`` is False: CuPy's GPU). On the host backends (``"cpu"``, ``"strict"``)
nothing is a transfer. Every copy goes through ``Backend.to_host`` or ``Backend.from_host``,
which say what made it and of which of three categories it is:

* explicit: you asked for the move: ``t.to(device)``, ``.cpu()``, ``.cuda()``,
  ``mg.tensor(data, device=...)``. Always allowed, as ``jax.device_put``.
* implicit: your code reads values on the host without asking for a move: ``.item()``,
  ``.numpy()``, ``np.asarray(t)``, ``.tolist()``, printing (``repr``, ``str``, ``format``),
  ``bool(t)``, ``float(t)``, ``int(t)``, ``t`` as an index (Python control flow on a tensor), and
  indexing with a list or NumPy array (copied to the device). ``"disallow"`` refuses these:
  each one waits for the device to finish. ``t.cpu().item()`` says you mean it.
* internal: minigrad's own checks look at values on the host (index bounds, gather's range, a
  loss's targets, integer division by zero, anomaly mode). Counted and logged, never refused:
  the check is what gives torch's error for a bad index; the count shows what it costs. The
  copies the array library makes on its own are internal too (``CountingNamespace``): a
  Python number in an op (``x * 2.0``: "scalar operand", copied over as a 0-d array), host
  data handed to ``xp.asarray`` ("host array"), and the count that ``nonzero`` reads back to
  size its result ("nonzero": boolean masks, ``t[t > 0]``, wait for the device there).

Python numbers in ops are never refused, as in JAX. The guard belongs to the calling thread;
nested guards each count what happens inside them, and the innermost one's level decides.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

LEVELS = ("allow", "log", "disallow")
CATEGORIES = ("explicit", "implicit", "internal")
logger = logging.getLogger("minigrad.transfers")
_PACKAGE = str(Path(__file__).resolve().parents[1])  # minigrad/: frames inside it are ours


class _State(threading.local):
    """The calling thread's innermost guard (None: no guard, nothing counted)."""

    guard: transfer_guard | None = None


_state = _State()


class transfer_guard:  # noqa: N801  (lower case, as jax.transfer_guard)
    """Count host <-> device transfers inside a ``with`` block, log or refuse them.

    ``level``: ``"allow"`` counts, ``"log"`` also logs each transfer (a warning on the
    ``minigrad.transfers`` logger naming what made it and your line), ``"disallow"`` also
    raises RuntimeError on an implicit transfer (``.item()``, printing, ``if t:``...), before
    it happens. ``with mg.transfer_guard("disallow") as moved:`` gives this object: ``count``,
    ``bytes``, ``by_kind`` ({what: (count, bytes)}) and ``by_category``.
    """

    def __init__(self, level: str = "disallow") -> None:
        if level not in LEVELS:
            raise ValueError(f"transfer_guard level must be one of {', '.join(LEVELS)}, "
                             f"got {level!r}")
        self.level = level
        self.count = 0
        self.bytes = 0
        self.by_kind: dict[str, tuple[int, int]] = {}
        self.by_category: dict[str, tuple[int, int]] = {}
        self._category_of: dict[str, str] = {}  # what -> its category, for the table
        self._outer: transfer_guard | None = None

    def __enter__(self) -> transfer_guard:
        g = _state.guard
        while g is not None:
            if g is self:
                raise RuntimeError("this transfer_guard is already on; nest a new one instead")
            g = g._outer
        self._outer = _state.guard
        _state.guard = self
        return self

    def __exit__(self, *exc: object) -> None:
        _state.guard = self._outer

    def _add(self, what: str, category: str, nbytes: int) -> None:
        self.count += 1
        self.bytes += nbytes
        self._category_of[what] = category
        for table, key in ((self.by_kind, what), (self.by_category, category)):
            n, b = table.get(key, (0, 0))
            table[key] = (n + 1, b + nbytes)

    def __repr__(self) -> str:
        head = f"transfer_guard({self.level!r}): {self.count} transfers, {self.bytes} bytes"
        rows = [f"  {what:<24} {self._category_of[what]:<9} {n:>6} x, {b:>10} bytes"
                for what, (n, b) in self.by_kind.items()]
        return "\n".join([head, *rows])


def record(device: str, what: str, category: str, direction: str, nbytes: int,
           shape: tuple[int, ...]) -> None:
    """Count a transfer in every guard of this thread; log or refuse it as the innermost one
    says. Called by ``Backend.to_host``/``from_host`` for backends that are not the host."""
    guard = _state.guard
    if guard is None:
        return
    refuse = guard.level == "disallow" and category == "implicit"
    if refuse or guard.level == "log":
        message = (f"{category} {direction} transfer ({what}) of {nbytes} bytes, shape "
                   f"{tuple(shape)}, on the {device!r} device, at {_caller()}")
        if refuse:
            on_purpose = (f"t.cpu().{what}()" if what in ("item", "numpy", "tolist") else
                          ".cpu()" if direction == "device-to-host" else
                          f"t.to({device!r}) before the block")
            raise RuntimeError(f"Disallowed {message} inside transfer_guard('disallow'): it "
                               f"waits for the device. Move it out of the block, or copy on "
                               f"purpose with {on_purpose}")
        logger.warning("%s", message)
    while guard is not None:
        guard._add(what, category, nbytes)
        guard = guard._outer


def _caller() -> str:
    """'file:line' of the innermost frame outside minigrad's own code."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    return "?" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


class CountingNamespace:
    """An array library's namespace (CuPy) whose own hidden host <-> device copies are counted.

    Every name is the library's (looked up once, then a plain attribute), except two that copy
    behind minigrad's back: ``asarray`` of host data (a Python number, a list, a NumPy array:
    anything that is not a ``device_array``) copies it to the device, and ``nonzero`` reads the
    count of non-zero elements back to the host to size its result (CuPy's waits for the
    device). Both are recorded as internal transfers on ``device``: counted, never refused.
    """

    def __init__(self, module: Any, device: str, device_array: type | tuple[type, ...]) -> None:
        self._module, self._device, self._device_array = module, device, device_array

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        setattr(self, name, value)  # the next lookup is a plain attribute
        return value

    def asarray(self, obj: Any, *args: Any, **kwargs: Any) -> Any:
        """The library's asarray; a copy of host data to the device is recorded."""
        out = self._module.asarray(obj, *args, **kwargs)
        if not isinstance(obj, self._device_array):
            what = "scalar operand" if isinstance(obj, (bool, int, float, complex)) else (
                "host array")
            record(self._device, what, "internal", "host-to-device", int(out.nbytes), out.shape)
        return out

    def nonzero(self, a: Any) -> Any:
        """The library's nonzero; the count it reads back (one int64) is recorded."""
        record(self._device, "nonzero", "internal", "device-to-host", 8, ())
        return self._module.nonzero(a)

    def __repr__(self) -> str:
        return f"<{getattr(self._module, '__name__', self._module)} counting transfers on " \
               f"{self._device!r}>"
