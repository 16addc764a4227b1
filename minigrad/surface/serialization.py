"""mg.save / mg.load: checkpoints that never unpickle and are written atomically.

A checkpoint is a zip file holding ``structure.json`` (the nesting of dicts, lists, tuples,
numbers, strings and None, with a reference for each array) and one ``arrays/<n>.npy`` file per
tensor or array, read back with no pickle: loading a crafted file cannot run code. It is
written to a temporary file beside the target and renamed over it, so a crash mid-write leaves
the old file or the new one, never a broken one; the next save of that path removes the
temporary files that killed saves left behind.

``load`` trusts nothing in a file it did not write, and every way a file can be wrong is a
``CheckpointError`` that says what is wrong:

- sizes: before inflating anything it adds up the sizes the zip directory declares and
  refuses more than ``max_bytes`` in all (``DEFAULT_MAX_BYTES``, 4 GiB, unless told otherwise)
  or more than ``max_array_bytes`` for one array; each ``.npy`` header must declare exactly
  the size the directory does, and a member is read in bounded chunks and refused the moment
  it inflates past its declared size, so a zip bomb costs nothing and memory never exceeds
  what the directory declared. ``structure.json`` may hold at most 64 MiB
  (``MAX_STRUCTURE_BYTES``).
- members: exactly ``structure.json`` and one ``arrays/<n>.npy`` for each array the structure
  refers to; duplicate names, two names for one array (``arrays/0.npy`` and
  ``arrays/00.npy``), unreferenced or unknown members, encrypted members and compression
  other than stored or deflated are refused, so a file loads one way or not at all.
- structure: only what ``save`` writes, nested at most ``MAX_DEPTH`` levels; dict keys are
  numbers, strings, None or tuples of them and appear once per dict; each array is
  referenced once; arrays have a minigrad dtype (never Python objects).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import socket
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np

from minigrad.runtime import dtypes
from minigrad.tensor import Tensor

FORMAT = "minigrad-checkpoint"
VERSION = 1

# 4 GiB: ten thousand times the demos' LeNet checkpoints, room for ~300M float32 parameters
# with their Adam state, yet below the memory of the laptops minigrad is taught on, so a hostile
# file cannot exhaust memory by default. A constant rather than free memory, so that a file
# that loads on one machine loads on every other. Raise it with load(..., max_bytes=).
DEFAULT_MAX_BYTES = 4 << 30
MAX_STRUCTURE_BYTES = 64 << 20  # JSON for the nesting only; big data belongs in arrays
MAX_DEPTH = 64  # nested dicts, lists and tuples; a state_dict nests 3 or 4 deep
_MAX_NPY_HEADER = 10_000  # NumPy's own limit on a .npy header's text
_CHUNK = 1 << 20  # members are read this much at a time

__all__ = ["DEFAULT_MAX_BYTES", "MAX_DEPTH", "MAX_STRUCTURE_BYTES", "CheckpointError",
           "atomic_write", "load", "save"]


class CheckpointError(ValueError):
    """The file is not a minigrad checkpoint, or it is corrupt, truncated or malformed."""


# ---------------------------------------------------------------------------------------------
# save


def _encode(obj: Any, arrays: list[np.ndarray], depth: int = 0, key: bool = False) -> Any:
    """The JSON form of ``obj``; arrays are appended to ``arrays`` and referenced by index.
    ``key``: ``obj`` is (part of) a dict key, so it must be hashable and hold no arrays."""
    if isinstance(obj, (Tensor, np.ndarray)) and key:
        raise TypeError("mg.save: dict keys must be numbers, strings, None or tuples of them; "
                        f"got {type(obj).__name__}")
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
    if isinstance(obj, (dict, list, tuple)) and depth >= MAX_DEPTH:
        raise ValueError(f"mg.save: the object nests dicts, lists and tuples deeper than "
                         f"{MAX_DEPTH} levels (or contains itself)")
    if key and not isinstance(obj, tuple):
        raise TypeError("mg.save: dict keys must be numbers, strings, None or tuples of them; "
                        f"got {type(obj).__name__}")
    if isinstance(obj, dict):  # keys keep their type (optimizer states use int keys)
        return {"$dict": [[_encode(k, arrays, depth + 1, key=True),
                           _encode(v, arrays, depth + 1)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"$tuple" if isinstance(obj, tuple) else "$list":
                [_encode(v, arrays, depth + 1, key) for v in obj]}
    hint = ("; a whole model would need pickle, which minigrad never uses: save "
            "model.state_dict() and load it into a model you build (as torch's tutorials "
            "recommend)") if hasattr(obj, "state_dict") else ""
    raise TypeError(f"mg.save can store tensors, arrays, numbers, strings, None and dicts, "
                    f"lists and tuples of them; got {type(obj).__name__}{hint}")


def _host_tag() -> str:
    """Eight hex digits naming this machine, so that a save never takes another machine's live
    temporary file (on a shared disk) for a dead one of its own."""
    return f"{zlib.crc32(socket.gethostname().encode()):08x}"


def _temp_pattern(path: Path) -> re.Pattern[str]:
    """The names of ``atomic_write``'s temporary files for ``path`` made on this machine; the
    group is the writer's process id. (``.{name}.{host}-{pid}.{random}.tmp``)"""
    return re.compile(re.escape(f".{path.name}.{_host_tag()}-") + r"([0-9]+)\.[a-z0-9_]+\.tmp")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` may still be writing: true unless it surely is gone."""
    if os.name != "posix" or pid == os.getpid():  # Windows' os.kill would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # alive under another user, or not a valid pid
        return True
    return True


def _remove_stale_temps(path: Path) -> None:
    """Delete the temporary files that saves of ``path`` killed mid-write left behind: only
    names of ``atomic_write``'s pattern for this path and machine, and only where the process
    named in them is gone (a live writer's file is left alone)."""
    pattern = _temp_pattern(path)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match and not _alive(int(match[1])):
            with contextlib.suppress(OSError):
                (path.parent / name).unlink()


@contextlib.contextmanager
def atomic_write(path: Path) -> Iterator[BinaryIO]:
    """A binary file whose contents replace ``path`` only when the block ends without error:
    written beside it, flushed to disk, then renamed over it, so readers (and a process killed
    halfway) see the old file or the new one, never a broken one. Temporary files of earlier
    writes of ``path`` whose process died are removed first."""
    path = Path(path)
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_host_tag()}-{os.getpid()}.",
                               suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)  # gone already after a successful rename


def save(obj: Any, f: str | os.PathLike | Any) -> None:
    """Save a state_dict (or nested dicts/lists/tuples of tensors, arrays and numbers) to
    ``f``, a path (written atomically) or a binary file object.

    Raises TypeError for objects it cannot store and ValueError for structures that ``load``
    would refuse (nested deeper than ``MAX_DEPTH``, or JSON over ``MAX_STRUCTURE_BYTES``)."""
    arrays: list[np.ndarray] = []
    structure = json.dumps({"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays)})
    if len(structure) > MAX_STRUCTURE_BYTES:
        raise ValueError(f"mg.save: the structure (everything but the arrays) takes "
                         f"{_size(len(structure))} as JSON, over load's limit of "
                         f"{_size(MAX_STRUCTURE_BYTES)}; store long sequences as arrays")
    for a in arrays:
        if a.dtype.name not in dtypes.BY_NAME or a.dtype.hasobject or a.dtype.names:
            raise TypeError(f"mg.save cannot store arrays of dtype {a.dtype}")

    def write(raw: Any) -> None:
        with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr("structure.json", structure)
            for i, a in enumerate(arrays):
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.array(a, order="C"), allow_pickle=False)
                z.writestr(f"arrays/{i}.npy", buffer.getvalue())

    if hasattr(f, "write"):  # a file object such as io.BytesIO: written in place
        write(f)
        return
    with atomic_write(Path(f)) as raw:
        write(raw)


# ---------------------------------------------------------------------------------------------
# load


def _size(n: int) -> str:
    """``n`` bytes for people: 512 bytes, 3.0 MiB, 8.0 GiB."""
    if n < 1024:
        return f"{n} bytes"
    exponent = min((n.bit_length() - 1) // 10, 5)
    return f"{n / 1024 ** exponent:.1f} {' KMGTP'[exponent]}iB"


def _short(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


_ARRAY_NAME = re.compile(r"arrays/([0-9]{1,18})\.npy")


def _check_directory(z: zipfile.ZipFile, max_bytes: int, max_array_bytes: int
                     ) -> tuple[zipfile.ZipInfo, dict[int, zipfile.ZipInfo]]:
    """The members ``structure.json`` and ``arrays/<n>.npy`` by index, from the zip directory
    alone (nothing is inflated), after refusing anything but exactly those and sizes over the
    limits."""
    infos = z.infolist()
    seen: set[str] = set()
    for info in infos:
        if info.orig_filename in seen:
            raise CheckpointError(f"the zip holds two members named {_short(info.orig_filename)}"
                                  "; which one is meant is anyone's guess")
        seen.add(info.orig_filename)
    if "structure.json" not in seen:
        raise CheckpointError("not a minigrad checkpoint (no structure.json)")
    by_index: dict[int, list[zipfile.ZipInfo]] = {}
    for info in infos:
        match = _ARRAY_NAME.fullmatch(info.orig_filename)
        if match:
            by_index.setdefault(int(match[1]), []).append(info)
        elif info.orig_filename != "structure.json":
            raise CheckpointError(f"unknown member {_short(info.orig_filename)} (a checkpoint "
                                  "holds structure.json and arrays/<n>.npy only)")
    arrays = {}
    for index, named in sorted(by_index.items()):
        if len(named) > 1:
            raise CheckpointError(f"two members name array {index}: "
                                  + " and ".join(_short(i.orig_filename) for i in named))
        if named[0].orig_filename != f"arrays/{index}.npy":
            raise CheckpointError(f"unknown member {_short(named[0].orig_filename)} (array "
                                  f"{index} is arrays/{index}.npy)")
        arrays[index] = named[0]
    for info in infos:
        if info.flag_bits & 0x1:
            raise CheckpointError(f"member {info.orig_filename} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise CheckpointError(f"member {info.orig_filename} uses zip compression method "
                                  f"{info.compress_type}; a checkpoint's members are stored or "
                                  "deflated")
    total = sum(info.file_size for info in infos)
    if total > max_bytes:
        raise CheckpointError(f"the members declare {_size(total)} in all, over the limit of "
                              f"{_size(max_bytes)} (load's max_bytes=); refused before "
                              "inflating anything")
    for info in infos:
        name = info.orig_filename
        if name == "structure.json" and info.file_size > MAX_STRUCTURE_BYTES:
            raise CheckpointError(f"structure.json declares {_size(info.file_size)}, over the "
                                  f"limit of {_size(MAX_STRUCTURE_BYTES)} for the structure")
        if name != "structure.json" and info.file_size > max_array_bytes:
            raise CheckpointError(f"member {name} declares {_size(info.file_size)}, over the "
                                  f"per-array limit of {_size(max_array_bytes)} "
                                  "(load's max_array_bytes=)")
    structure = next(i for i in infos if i.orig_filename == "structure.json")
    return structure, arrays


def _chunks(fp: BinaryIO, info: zipfile.ZipInfo, size: int = _CHUNK
            ) -> Generator[bytes, None, None]:
    """A member's inflated bytes, at most ``size`` at a time, found and checked with the zip
    directory's entry alone: an error the moment they run past the size it declares (a lying
    directory), and at the end if they fall short of it or fail its CRC-32."""
    name = info.orig_filename
    fp.seek(info.header_offset)
    local = fp.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise CheckpointError(f"member {name} has no local header where the directory says")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    fp.seek(info.header_offset + 30 + name_length + extra_length)
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left, produced, crc = info.compress_size, 0, 0  # left: compressed bytes not read yet

    def read(n: int) -> bytes:
        nonlocal left
        data = fp.read(min(n, left))
        if not data:
            raise CheckpointError(f"the file is truncated inside member {name}")
        left -= len(data)
        return data

    while True:
        if inflater is None:
            if not left:
                break
            data = read(min(size, info.file_size - produced + 1))
        else:
            if inflater.eof:
                break
            source = inflater.unconsumed_tail or (read(min(size, 1 << 16)) if left else b"")
            if not source:
                raise CheckpointError(f"member {name} is truncated: its deflate stream "
                                      "does not end")
            try:
                data = inflater.decompress(source, size)
            except zlib.error as e:
                raise CheckpointError(f"member {name} is corrupt: {e}") from None
        produced += len(data)
        if produced > info.file_size:
            raise CheckpointError(f"member {name} inflates past its declared size of "
                                  f"{info.file_size} bytes (the zip directory lies)")
        crc = zlib.crc32(data, crc)
        yield data
    if left or (inflater is not None and inflater.unused_data):
        raise CheckpointError(f"member {name} has bytes after the end of its data")
    if produced != info.file_size:
        raise CheckpointError(f"member {name} ends after {produced} bytes, short of its "
                              f"declared size of {info.file_size}")
    if crc != info.CRC:
        raise CheckpointError(f"member {name} is corrupt: its CRC-32 does not match")


class _StructureError(Exception):
    """A problem in structure.json, with the path to it collected on the way out."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str] = []

    def message(self) -> str:
        steps = self.path[::-1]
        if len(steps) > 8:
            steps = [*steps[:4], f"...({len(steps) - 6} more)...", *steps[-2:]]
        where = "root" + "".join(steps)
        return f"structure.json: {self.problem} at {where}"


_TAGS = {frozenset({"$tensor", "requires_grad"}): "$tensor", frozenset({"$ndarray"}): "$ndarray",
         frozenset({"$float"}): "$float", frozenset({"$dict"}): "$dict",
         frozenset({"$list"}): "$list", frozenset({"$tuple"}): "$tuple"}
_CONTAINER = {"$dict": "dict", "$list": "list", "$tuple": "tuple"}


def _check(node: Any, refs: dict[int, bool | None], depth: int = 0, key: bool = False) -> None:
    """Raise _StructureError unless ``node`` is a value ``_encode`` writes; array references are
    collected in ``refs`` (index: requires_grad, or None for a NumPy array)."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return
    if not isinstance(node, dict):  # json gives only dicts, lists and the scalars above
        raise _StructureError("an untagged JSON list (save writes lists, tuples and dicts "
                              "as {\"$list\": ...}, {\"$tuple\": ...} and {\"$dict\": ...})")
    tag = _TAGS.get(frozenset(node))
    if tag is None:
        raise _StructureError(f"an unknown entry with keys {_short(sorted(node))}")
    value = node[tag]
    if tag in ("$tensor", "$ndarray"):
        if key:
            raise _StructureError("an array used as a dict key")
        if type(value) is not int or value < 0:
            raise _StructureError(f"an array reference {_short(value)} that is not an index")
        requires_grad = node.get("requires_grad")
        if tag == "$tensor" and type(requires_grad) is not bool:
            raise _StructureError(f"requires_grad {_short(requires_grad)}, not true or false")
        if value in refs:
            raise _StructureError(f"a second reference to array {value} (each array is "
                                  "stored once)")
        refs[value] = requires_grad
        return
    if tag == "$float":
        if value not in ("nan", "inf", "-inf"):
            raise _StructureError(f"a non-finite float written as {_short(value)}")
        return
    if depth >= MAX_DEPTH:
        raise _StructureError(f"dicts, lists and tuples nested deeper than {MAX_DEPTH} levels")
    if not isinstance(value, list):
        raise _StructureError(f"a {_CONTAINER[tag]} whose items are {_short(value)}, not a "
                              "JSON list")
    if key and tag != "$tuple":
        raise _StructureError(f"a {_CONTAINER[tag]} used as a dict key (keys are numbers, "
                              "strings, None or tuples of them)")
    if tag != "$dict":
        for i, item in enumerate(value):
            try:
                _check(item, refs, depth + 1, key)
            except _StructureError as e:
                e.path.append(f"[{i}]")
                raise
        return
    keys: set[Any] = set()
    for i, entry in enumerate(value):
        if not isinstance(entry, list) or len(entry) != 2:
            bad = _StructureError(f"a dict entry {_short(entry)} that is not a [key, value] pair")
            bad.path.append(f"[entry {i}]")
            raise bad
        k, v = entry
        try:
            _check(k, refs, depth + 1, key=True)
        except _StructureError as e:
            e.path.append(f"[key of entry {i}]")
            raise
        decoded = _build(k, {}, None)
        if decoded in keys:
            bad = _StructureError(f"the key {_short(decoded)} twice in one dict")
            bad.path.append(f"[entry {i}]")
            raise bad
        keys.add(decoded)
        try:
            _check(v, refs, depth + 1)
        except _StructureError as e:
            e.path.append(f"[{_short(decoded, 40)}]")
            raise


def _read_structure(fp: BinaryIO, info: zipfile.ZipInfo) -> tuple[Any, dict[int, Any]]:
    """The checked ``root`` of structure.json and its array references."""
    text = bytearray()
    for chunk in _chunks(fp, info):
        text += chunk
    try:
        structure = json.loads(text.decode("utf-8"))
    except RecursionError:
        raise CheckpointError("structure.json nests too deeply to parse") from None
    except UnicodeDecodeError as e:
        raise CheckpointError(f"structure.json is not UTF-8 text: {e}") from None
    except json.JSONDecodeError as e:
        raise CheckpointError(f"structure.json is not JSON: {e}") from None
    if not isinstance(structure, dict) or structure.get("format") != FORMAT:
        raise CheckpointError("not a minigrad checkpoint")
    version = structure.get("version")
    if type(version) is not int or version != VERSION:
        raise CheckpointError(f"checkpoint version {_short(version)}; this minigrad reads "
                              f"version {VERSION}")
    if set(structure) != {"format", "version", "root"}:
        raise CheckpointError("structure.json has unknown or missing fields: "
                              f"{_short(sorted(structure))} (expected format, version, root)")
    refs: dict[int, bool | None] = {}
    try:
        _check(structure["root"], refs)
    except _StructureError as e:
        raise CheckpointError(e.message()) from None
    return structure["root"], refs


class _Header:
    """What a member's .npy header declares."""

    def __init__(self, shape: tuple[int, ...], fortran: bool, dtype: np.dtype, length: int
                 ) -> None:
        self.shape, self.fortran, self.dtype, self.length = shape, fortran, dtype, length


class _Prefix:
    """NumPy's header parser's view of a member: ``read(n)`` over its first bytes, refusing
    more than ``limit`` in all; ``count`` is how many it has given."""

    def __init__(self, chunks: Iterator[bytes], limit: int, name: str) -> None:
        self.chunks, self.limit, self.name = chunks, limit, name
        self.buffer, self.count = b"", 0

    def read(self, n: int) -> bytes:
        if self.count + n > self.limit:
            raise CheckpointError(f"member {self.name} has a .npy header longer than "
                                  f"{self.limit} bytes")
        while len(self.buffer) < n and (chunk := next(self.chunks, None)) is not None:
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        self.count += len(data)
        return data


def _read_header(fp: BinaryIO, info: zipfile.ZipInfo, max_array_bytes: int) -> _Header:
    """Read and check one member's .npy header (its first few hundred bytes) against the
    limits and the size the zip directory declares."""
    name = info.orig_filename
    with contextlib.closing(_chunks(fp, info, 4096)) as chunks:
        stream = _Prefix(chunks, 16 + _MAX_NPY_HEADER, name)
        reader = cast(Any, stream)  # (a file to NumPy's parser, which always passes read an n)
        try:
            version = np.lib.format.read_magic(reader)
            if version == (1, 0):
                shape, fortran, dt = np.lib.format.read_array_header_1_0(reader, _MAX_NPY_HEADER)
            elif version == (2, 0):
                shape, fortran, dt = np.lib.format.read_array_header_2_0(reader, _MAX_NPY_HEADER)
            else:
                raise CheckpointError(f"member {name} is .npy format version {version}; "
                                      "checkpoints use 1.0 or 2.0")
        except CheckpointError:
            raise
        except Exception as e:  # NumPy's parser of crafted text may raise about anything
            raise CheckpointError(f"member {name} is not a valid .npy array: "
                                  f"{type(e).__name__}: {e}") from None
    if dt.hasobject:
        raise CheckpointError(f"member {name} holds Python objects (dtype {dt}), which only "
                              "pickle could load; refused")
    if dt.name not in dtypes.BY_NAME or dt.names is not None or dt.subdtype is not None:
        raise CheckpointError(f"member {name} has dtype {str(dt)[:60]}; checkpoints hold "
                              + ", ".join(dtypes.BY_NAME))
    if not all(type(n) is int and n >= 0 for n in shape):
        raise CheckpointError(f"member {name} declares the shape {_short(shape)}")
    nbytes = math.prod(shape) * dt.itemsize
    if nbytes > max_array_bytes:
        raise CheckpointError(f"member {name}'s header declares a {_short(shape)} {dt.name} "
                              f"array of {_size(nbytes)}, over the per-array limit of "
                              f"{_size(max_array_bytes)} (load's max_array_bytes=)")
    if stream.count + nbytes != info.file_size:
        raise CheckpointError(f"member {name}'s header declares {nbytes} bytes of data, but the "
                              f"zip directory says it holds {info.file_size - stream.count}")
    return _Header(shape, fortran, dt, stream.count)


def _read_array(fp: BinaryIO, info: zipfile.ZipInfo, header: _Header) -> np.ndarray:
    """The member's array, read a chunk at a time into memory of exactly its declared size."""
    raw = np.empty(info.file_size - header.length, dtype=np.uint8)
    out, skip, filled = raw.data, header.length, 0  # (raw.data: memoryview(raw))
    for chunk in _chunks(fp, info):  # never more than the declared size in all
        if skip:
            chunk, skip = chunk[skip:], max(0, skip - len(chunk))
        out[filled:filled + len(chunk)] = chunk
        filled += len(chunk)
    if header.dtype.kind == "b" and raw.size and raw.max() > 1:
        raise CheckpointError(f"member {info.orig_filename} is a bool array holding bytes other "
                              "than 0 and 1")
    array = raw.view(header.dtype)
    if not header.dtype.isnative:
        array = array.byteswap(inplace=True).view(header.dtype.newbyteorder("="))
    if header.fortran:
        return array.reshape(header.shape[::-1]).transpose()
    return array.reshape(header.shape)


def _checked_header(fp: BinaryIO, info: zipfile.ZipInfo, max_array_bytes: int) -> _Header:
    """``_read_header``, except that a member failing its CRC-32 or sizes is called corrupt
    rather than blamed for the header its damage garbled."""
    try:
        return _read_header(fp, info, max_array_bytes)
    except CheckpointError:
        for _ in _chunks(fp, info):  # inflated without being kept: raises if the member is bad
            pass
        raise


def _read(fp: BinaryIO, max_bytes: int, max_array_bytes: int
          ) -> tuple[Any, dict[int, np.ndarray]]:
    """The checked structure and arrays of a checkpoint; every check runs before any array's
    data is read."""
    with zipfile.ZipFile(fp) as z:  # the zip module reads the directory, nothing more
        structure_info, members = _check_directory(z, max_bytes, max_array_bytes)
    root, refs = _read_structure(fp, structure_info)
    missing, unused = sorted(refs.keys() - members.keys()), sorted(members.keys() - refs.keys())
    if missing:
        raise CheckpointError(f"the structure refers to array {missing[0]}, but the file has no "
                              f"arrays/{missing[0]}.npy")
    if unused:
        raise CheckpointError(f"unknown member arrays/{unused[0]}.npy (the structure never "
                              "refers to it)")
    headers = {i: _checked_header(fp, members[i], max_array_bytes) for i in sorted(members)}
    for index, header in headers.items():
        if refs[index] and header.dtype.kind != "f":
            raise CheckpointError(f"member arrays/{index}.npy is {header.dtype.name} but "
                                  "requires grad; only floating point tensors can")
    return root, {i: _read_array(fp, members[i], headers[i]) for i in sorted(members)}


def _build(node: Any, arrays: dict[int, np.ndarray], device: Any) -> Any:
    """The object a checked JSON ``node`` stands for."""
    if not isinstance(node, dict):
        return node
    if "$tensor" in node:
        t = Tensor(arrays[node["$tensor"]], device=None if callable(device) else device)
        if callable(device):  # torch's map_location=fn(storage, location)
            t = device(t, "cpu")
            if not isinstance(t, Tensor):
                raise TypeError(f"load(): map_location returned a {type(t).__name__}, "
                                "not a tensor")
        return t.requires_grad_() if node["requires_grad"] else t
    if "$ndarray" in node:
        return arrays[node["$ndarray"]]
    if "$float" in node:
        return float(node["$float"])
    if "$dict" in node:
        return {_build(k, arrays, device): _build(v, arrays, device) for k, v in node["$dict"]}
    if "$tuple" in node:
        return tuple(_build(v, arrays, device) for v in node["$tuple"])
    return [_build(v, arrays, device) for v in node["$list"]]


# what the zip module, NumPy and the file's bytes can raise while a file is read and checked
_FILE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
                KeyError, IndexError, TypeError, OverflowError, RuntimeError, struct.error,
                zlib.error)


def load(f: str | os.PathLike | Any, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None,
         max_bytes: int = DEFAULT_MAX_BYTES, max_array_bytes: int | None = None) -> Any:
    """Load what ``save`` wrote (a path or a binary file object); tensors go to
    ``map_location``: a device or its name (the CPU by default), a dict from saved to target
    locations as torch's (minigrad's files keep no device, so its ``"cpu"`` entry, if any, is
    used), or torch's ``fn(storage, location)`` (called with each CPU tensor and ``"cpu"``).

    minigrad never unpickles: a file holds only tensors, arrays, numbers, strings and their
    lists, tuples and dicts. So ``weights_only=True`` (torch's recommended and, since 2.6,
    default form) is what every load does, and ``weights_only=False`` changes nothing (the
    arbitrary objects it would let pickle rebuild cannot be in the file); ``pickle_module``
    must be None and ``mmap`` True is refused.

    The file is trusted in nothing: it may declare at most ``max_bytes`` in all (4 GiB unless
    given) and ``max_array_bytes`` for one array (``max_bytes`` unless given), checked before
    anything is inflated, and anything that is not exactly what ``save`` writes raises
    ``CheckpointError`` naming the problem. A path that is not a regular file (a directory,
    ``/dev/zero``, a pipe) is refused before it is read. Errors opening the path
    (FileNotFoundError, ...) and MemoryError within the limits are raised as they are."""
    if pickle_module is not None:
        raise TypeError("load(): minigrad never unpickles, so pickle_module must be None "
                        f"(got {pickle_module!r})")
    if weights_only not in (None, True, False):
        raise TypeError(f"load(): weights_only must be a bool or None, got {weights_only!r}")
    if mmap:
        raise ValueError("load(): mmap=True is not supported (a checkpoint is read whole)")
    max_array_bytes = max_bytes if max_array_bytes is None else max_array_bytes
    path = None if hasattr(f, "read") else Path(f)  # (None: f is a file object)
    if path is not None and path.exists() and not path.is_file():
        kind = "a directory" if path.is_dir() else "not a regular file"
        raise (IsADirectoryError if path.is_dir() else CheckpointError)(
            f"load(): {str(path)!r} is {kind}; a checkpoint is a file written by save()")
    where = f if path is None else path  # (what the errors name)
    with contextlib.ExitStack() as stack:
        fp = cast(BinaryIO, f) if path is None else stack.enter_context(open(path, "rb"))
        try:
            root, arrays = _read(fp, max_bytes, max_array_bytes)
        except CheckpointError as e:
            raise CheckpointError(f"{where}: {e}") from None
        except _FILE_ERRORS as e:
            raise CheckpointError(f"{where} is corrupt or truncated, or not a minigrad "
                                  f"checkpoint: {type(e).__name__}: {e}") from None
    if isinstance(map_location, dict):
        map_location = map_location.get("cpu")
    return _build(root, arrays, map_location)
