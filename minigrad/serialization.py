"""mg.save / mg.load: checkpoints that never unpickle and are written atomically.

A checkpoint is a zip file holding ``structure.json`` (the nesting of dicts, lists, tuples,
numbers, strings and None, with a reference for each array) and one ``.npy`` file per tensor
or array, read back with ``allow_pickle=False``: loading a crafted file cannot run code. It is
written to a temporary file beside the target and renamed over it, so a crash mid-write leaves
the old file or the new one, never a broken one. The zip's CRC-32 checks catch corruption.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from minigrad import dtypes
from minigrad.tensor import Tensor

FORMAT = "minigrad-checkpoint"
VERSION = 1

__all__ = ["CheckpointError", "atomic_write", "load", "save"]


class CheckpointError(ValueError):
    """The file is not a minigrad checkpoint, or it is corrupt or truncated."""


def _encode(obj: Any, arrays: list[np.ndarray]) -> Any:
    """The JSON form of ``obj``; arrays are appended to ``arrays`` and referenced by index."""
    if isinstance(obj, Tensor):
        arrays.append(obj.detach().cpu().numpy())
        return {"$tensor": len(arrays) - 1, "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray):
        arrays.append(obj)
        return {"$ndarray": len(arrays) - 1}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        if isinstance(obj, float) and not np.isfinite(obj):
            return {"$float": repr(obj)}
        return obj
    if isinstance(obj, dict):  # keys keep their type (optimizer states use int keys)
        return {"$dict": [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"$tuple" if isinstance(obj, tuple) else "$list":
                [_encode(v, arrays) for v in obj]}
    raise TypeError(f"mg.save can store tensors, arrays, numbers, strings, None and dicts, "
                    f"lists and tuples of them; got {type(obj).__name__}")


def _decode(obj: Any, arrays: dict[int, np.ndarray], device: Any) -> Any:
    if not isinstance(obj, dict):
        return obj
    if "$tensor" in obj:
        t = Tensor(arrays[obj["$tensor"]], device=device)
        return t.requires_grad_() if obj.get("requires_grad") else t
    if "$ndarray" in obj:
        return arrays[obj["$ndarray"]]
    if "$float" in obj:
        return float(obj["$float"])
    if "$dict" in obj:
        return {_decode(k, arrays, device): _decode(v, arrays, device) for k, v in obj["$dict"]}
    if "$tuple" in obj:
        return tuple(_decode(v, arrays, device) for v in obj["$tuple"])
    if "$list" in obj:
        return [_decode(v, arrays, device) for v in obj["$list"]]
    raise CheckpointError(f"unknown entry in the checkpoint's structure: {sorted(obj)}")


@contextlib.contextmanager
def atomic_write(path: Path) -> Iterator[BinaryIO]:
    """A binary file whose contents replace ``path`` only when the block ends without error:
    written beside it, flushed to disk, then renamed over it, so readers (and a process killed
    halfway) see the old file or the new one, never a broken one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)  # gone already after a successful rename


def save(obj: Any, f: str | os.PathLike | Any) -> None:
    """Save a state_dict (or nested dicts/lists of tensors, arrays and numbers) to ``f``, a
    path (written atomically) or a binary file object."""
    arrays: list[np.ndarray] = []
    structure = {"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays)}

    def write(raw: Any) -> None:
        with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr("structure.json", json.dumps(structure))
            for i, a in enumerate(arrays):
                if a.dtype.name not in dtypes.BY_NAME:
                    raise TypeError(f"mg.save cannot store arrays of dtype {a.dtype}")
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.array(a, order="C"), allow_pickle=False)
                z.writestr(f"arrays/{i}.npy", buffer.getvalue())

    if hasattr(f, "write"):  # a file object such as io.BytesIO: written in place
        write(f)
        return
    with atomic_write(Path(f)) as raw:
        write(raw)


def load(f: str | os.PathLike | Any, map_location: Any = None) -> Any:
    """Load what ``save`` wrote (a path or a binary file object); tensors go to
    ``map_location`` (a device; the CPU by default)."""
    path = f if hasattr(f, "read") else Path(f)
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "structure.json" not in names:
                raise CheckpointError(f"{path} is not a minigrad checkpoint (no structure.json)")
            structure = json.loads(z.read("structure.json"))
            if not isinstance(structure, dict) or structure.get("format") != FORMAT:
                raise CheckpointError(f"{path} is not a minigrad checkpoint")
            if structure.get("version") != VERSION:
                raise CheckpointError(f"{path} has checkpoint version {structure.get('version')}"
                                      f"; this minigrad reads version {VERSION}")
            arrays = {}
            for name in names - {"structure.json"}:
                index = int(name.removeprefix("arrays/").removesuffix(".npy"))
                arrays[index] = np.lib.format.read_array(io.BytesIO(z.read(name)),
                                                         allow_pickle=False)
            return _decode(structure["root"], arrays, map_location)
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, KeyError, ValueError,
            json.JSONDecodeError) as e:
        raise CheckpointError(f"{path} is corrupt or truncated, or not a minigrad checkpoint: "
                              f"{type(e).__name__}: {e}") from None
