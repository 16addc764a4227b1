"""mg.save / mg.load: round trips, no unpickling, atomic writes, clear errors on bad files."""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from demos.lenet import lenet
from demos.lenet import lenet_bn as bn_lenet
from minigrad import optim, serialization
from minigrad.serialization import CheckpointError
from minigrad.testing import assert_close
from tests.zipcraft import DEFLATED, Member, deflated, deflated_zeros, raw_zip


def trained() -> tuple[nn.Module, optim.Optimizer]:
    mg.manual_seed(0)
    model = bn_lenet(nn)
    opt = optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99))
    for _ in range(2):
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(mg.randn(4, 1, 28, 28)), mg.tensor([1, 2, 3, 4])).backward()
        opt.step()
    return model, opt


def test_round_trip_of_model_and_optimizer(tmp_path: Path) -> None:
    model, opt = trained()
    path = tmp_path / "ckpt.mg"
    mg.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3,
             "history": [0.5, float("nan")], "note": None, "shape": (1, 2)}, path)
    back = mg.load(path)
    assert back["epoch"] == 3 and back["note"] is None and back["shape"] == (1, 2)
    assert back["history"][0] == 0.5 and np.isnan(back["history"][1])
    for k, v in model.state_dict().items():
        assert_close(back["model"][k], v, msg=k)
        assert back["model"][k].dtype is v.dtype
    saved_state = opt.state_dict()["state"]
    assert set(back["optim"]["state"]) == set(saved_state)  # int keys stay ints
    assert back["optim"]["param_groups"] == opt.state_dict()["param_groups"]
    model2, opt2 = bn_lenet(nn), optim.Adam(bn_lenet(nn).parameters())
    model2.load_state_dict(back["model"])
    opt2 = optim.Adam(model2.parameters())
    opt2.load_state_dict(back["optim"])
    assert opt2.param_groups[0]["betas"] == (0.8, 0.99)
    on_strict = mg.load(path, map_location="strict")
    assert on_strict["model"]["0.weight"].device == "strict:0"


def test_a_pytorch_lenet_loads_unchanged(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch", reason="exports a torch.nn LeNet's weights")
    theirs = lenet(torch.nn)
    exported = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    mg.save(exported, tmp_path / "lenet.mg")
    ours = lenet(nn)
    ours.load_state_dict(mg.load(tmp_path / "lenet.mg"))
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32)
    assert_close(ours(mg.tensor(x)), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-4,
                 atol=1e-5)


class Exploit:
    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {MARKER}",))


MARKER = Path(os.environ.get("TMPDIR", "/tmp")) / "minigrad-pwned-marker"


def test_loading_never_unpickles(tmp_path: Path) -> None:
    MARKER.unlink(missing_ok=True)
    pickled = tmp_path / "evil.pt"
    pickled.write_bytes(pickle.dumps({"x": Exploit()}))
    with pytest.raises(CheckpointError, match="corrupt or truncated, or not a minigrad"):
        mg.load(pickled)
    # an object array (the pickle route inside .npy) inside an otherwise valid checkpoint
    mg.save({"w": mg.ones(2)}, tmp_path / "ok.mg")
    crafted = tmp_path / "crafted.mg"
    with zipfile.ZipFile(tmp_path / "ok.mg") as src, zipfile.ZipFile(crafted, "w") as dst:
        dst.writestr("structure.json", src.read("structure.json"))
        evil = np.empty(1, dtype=object)
        evil[0] = Exploit()
        with dst.open("arrays/0.npy", "w") as f:
            np.save(f, evil, allow_pickle=True)
    with pytest.raises(CheckpointError, match="pickle"):
        mg.load(crafted)
    assert not MARKER.exists(), "loading ran code from the file"


def test_corrupt_truncated_and_foreign_files(tmp_path: Path) -> None:
    path = tmp_path / "c.mg"
    mg.save({"w": mg.arange(1000.0)}, path)
    data = path.read_bytes()
    (tmp_path / "truncated.mg").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        mg.load(tmp_path / "truncated.mg")
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF  # inside the array's bytes: the CRC catches it
    (tmp_path / "flipped.mg").write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError, match="corrupt"):
        mg.load(tmp_path / "flipped.mg")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(CheckpointError, match="not a minigrad checkpoint"):
        mg.load(tmp_path / "other.zip")
    with zipfile.ZipFile(tmp_path / "v9.mg", "w") as z:
        z.writestr("structure.json", '{"format": "minigrad-checkpoint", "version": 9}')
    with pytest.raises(CheckpointError, match="version 9"):
        mg.load(tmp_path / "v9.mg")
    with pytest.raises(TypeError, match="got set"):
        mg.save({1, 2}, tmp_path / "set.mg")


def test_a_failed_save_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    path = tmp_path / "ckpt.mg"
    mg.save({"w": mg.zeros(3)}, path)
    calls = []

    def failing(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args, **kwargs)

    real = np.lib.format.write_array
    monkeypatch.setattr(np.lib.format, "write_array", failing)
    with pytest.raises(OSError, match="disk full"):
        mg.save({"a": mg.ones(3), "b": mg.ones(3)}, path)
    assert mg.load(path)["w"].tolist() == [0.0, 0.0, 0.0]
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.mg"]  # no temporary left behind


def test_a_process_killed_mid_save_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.mg"
    mg.save({"w": mg.zeros(3)}, path)
    script = textwrap.dedent(f"""
        import os
        import numpy as np
        import minigrad as mg
        real = np.lib.format.write_array
        def die(*args, **kwargs):
            real(*args, **kwargs)
            os._exit(9)  # killed after writing part of the new file
        np.lib.format.write_array = die
        mg.save({{"a": mg.ones(100000), "b": mg.ones(3)}}, {str(path)!r})
    """)
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", script], env=dict(os.environ, PYTHONPATH=str(
        root)))
    assert done.returncode == 9
    assert mg.load(path)["w"].tolist() == [0.0, 0.0, 0.0]


def test_save_and_load_through_a_file_object() -> None:
    import io

    buffer = io.BytesIO()
    mg.save({"w": mg.arange(3.0), "step": 2}, buffer)
    buffer.seek(0)
    back = mg.load(buffer)
    assert back["w"].tolist() == [0.0, 1.0, 2.0] and back["step"] == 2
    with pytest.raises(CheckpointError, match="corrupt"):
        mg.load(io.BytesIO(b"not a zip"))


# --- files load did not write: every failure a CheckpointError that names the problem --------


def npy(array: np.ndarray) -> bytes:
    """``array`` as the bytes of a .npy file."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_header(descr: str, shape: tuple, fortran: bool = False) -> bytes:
    """A .npy header alone (format 1.0), declaring whatever it is told."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": fortran,
                                                  "shape": shape})
    return buffer.getvalue()


def structure(root: object) -> bytes:
    return json.dumps({"format": "minigrad-checkpoint", "version": 1, "root": root}).encode()


def crafted(tmp_path: Path, *members: Member, name: str = "crafted.mg") -> Path:
    path = tmp_path / name
    path.write_bytes(raw_zip(list(members)))
    return path


ONE_ARRAY = structure({"$dict": [["w", {"$ndarray": 0}]]})


def test_a_zip_bomb_is_refused_from_the_declared_sizes_before_inflating(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 8 MB that inflate to 8 GiB: a .npy of 8 GiB of zeros, with honest sizes in the directory
    header = npy_header("|u1", (8 << 30,))
    bomb = crafted(tmp_path, Member("structure.json", ONE_ARRAY),
                   Member("arrays/0.npy", deflated_zeros(header, 8 << 10), DEFLATED,
                          file_size=len(header) + (8 << 30), crc=0))
    assert bomb.stat().st_size < 9_000_000

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("a member was read: the sizes were not checked first")

    monkeypatch.setattr(serialization, "_chunks", never, raising=False)  # load reads members
    monkeypatch.setattr(zipfile.ZipFile, "open", never)
    monkeypatch.setattr(zipfile.ZipFile, "read", never)
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=r"8\.0 GiB in all, over the limit of 4\.0 GiB"):
            mg.load(bomb)
        with pytest.raises(CheckpointError, match="over the per-array limit of 1.0 GiB"):
            mg.load(bomb, max_bytes=16 << 30, max_array_bytes=1 << 30)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_a_modest_zip_bomb_loads_only_under_a_limit_that_allows_it(tmp_path: Path) -> None:
    header = npy_header("|u1", (32 << 20,))
    bomb = crafted(tmp_path, Member("structure.json", ONE_ARRAY),
                   Member("arrays/0.npy", deflated_zeros(header, 32), DEFLATED))
    assert bomb.stat().st_size < 64_000
    with pytest.raises(CheckpointError, match=r"32\.0 MiB in all, over the limit of 8\.0 MiB "
                                              r"\(load's max_bytes=\)"):
        mg.load(bomb, max_bytes=8 << 20)
    assert mg.load(bomb)["w"].shape == (32 << 20,)  # within the default limit: it is loaded


def test_a_member_inflating_past_its_declared_size_is_refused(tmp_path: Path) -> None:
    # the directory says 16 bytes of uint8 (and gives their CRC); the data inflate to 64 MiB
    header = npy_header("|u1", (16,))
    honest = header + bytes(16)
    liar = crafted(tmp_path, Member("structure.json", ONE_ARRAY),
                   Member("arrays/0.npy", deflated_zeros(header, 64), DEFLATED,
                          file_size=len(honest), crc=zlib.crc32(honest)))
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=f"arrays/0.npy inflates past its declared "
                                                  f"size of {len(honest)} bytes"):
            mg.load(liar)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # read in bounded chunks, never the 64 MiB
    # and a stored member holding more bytes than the directory declares
    stored = crafted(tmp_path, Member("structure.json", ONE_ARRAY),
                     Member("arrays/0.npy", honest + b"extra", file_size=len(honest),
                            crc=zlib.crc32(honest)), name="stored.mg")
    with pytest.raises(CheckpointError, match="inflates past its declared size"):
        mg.load(stored)


def test_headers_must_agree_with_the_directory_and_the_limits(tmp_path: Path) -> None:
    # a header claiming a 4 TiB array in a member of a few bytes
    huge = crafted(tmp_path, Member("structure.json", ONE_ARRAY),
                   Member("arrays/0.npy", npy_header("<f4", (1 << 40,)) + bytes(8)))
    with pytest.raises(CheckpointError, match=r"arrays/0.npy's header declares a \(1099511627776,"
                                              r"\) float32 array of 4\.0 TiB, over the per-array"):
        mg.load(huge)
    short = crafted(tmp_path, Member("structure.json", ONE_ARRAY),
                    Member("arrays/0.npy", npy_header("<f4", (1000,)) + bytes(100)), name="s.mg")
    with pytest.raises(CheckpointError, match="declares 4000 bytes of data, but the zip "
                                              "directory says it holds 100"):
        mg.load(short)


@pytest.mark.parametrize(("members", "message"), [
    ([("structure.json", ONE_ARRAY), ("arrays/0.npy", npy(np.zeros(2))),
      ("arrays/0.npy", npy(np.ones(2)))], "two members named 'arrays/0.npy'"),
    ([("structure.json", ONE_ARRAY), ("structure.json", ONE_ARRAY),
      ("arrays/0.npy", npy(np.zeros(2)))], "two members named 'structure.json'"),
    ([("structure.json", ONE_ARRAY), ("arrays/0.npy", npy(np.zeros(2))),
      ("arrays/00.npy", npy(np.ones(2)))], "two members name array 0: 'arrays/0.npy' and "
                                           "'arrays/00.npy'"),
    ([("structure.json", ONE_ARRAY), ("arrays/00.npy", npy(np.zeros(2)))],
     "unknown member 'arrays/00.npy'"),
    ([("structure.json", ONE_ARRAY), ("arrays/0.npy", npy(np.zeros(2))),
      ("notes.txt", b"hi")], "unknown member 'notes.txt'"),
    ([("structure.json", ONE_ARRAY), ("arrays/0.npy", npy(np.zeros(2))),
      ("arrays/1.npy", npy(np.ones(2)))], "unknown member arrays/1.npy .the structure never"),
    ([("structure.json", ONE_ARRAY)], "refers to array 0, but the file has no arrays/0.npy"),
    ([("structure.json", ONE_ARRAY), ("arrays/0.npy\0.txt", npy(np.zeros(2)))],
     "unknown member 'arrays/0.npy"),
])
def test_duplicate_aliased_unknown_and_missing_members_are_refused(
        tmp_path: Path, members: list[tuple[str, bytes]], message: str) -> None:
    path = crafted(tmp_path, *(Member(name, data) for name, data in members))
    with pytest.raises(CheckpointError, match=message):
        mg.load(path)


def nested(depth: int) -> object:
    node: object = 1
    for _ in range(depth):
        node = {"$list": [node]}
    return node


@pytest.mark.parametrize(("root", "message"), [
    (nested(100), r"dicts, lists and tuples nested deeper than 64 levels at "
                  r"root\[0\]\[0\]\[0\]\[0\]\.\.\.\(58 more\)"),
    ({"$dict": [[{"$list": [1, 2]}, 3]]}, r"a list used as a dict key .* at root\[key of entry 0"),
    ({"$dict": [[{"$tuple": [{"$dict": []}]}, 3]]}, "a dict used as a dict key"),
    ({"$dict": [[{"$ndarray": 0}, 3]]}, "an array used as a dict key"),
    ({"$dict": [["a", 1], ["a", 2]]}, r"the key 'a' twice in one dict at root\[entry 1\]"),
    ({"$dict": [[1, 1], [True, 2]]}, "the key True twice"),
    ({"$dict": [[1]]}, r"dict entry \[1\] that is not a \[key, value\] pair"),
    ({"$dict": {"a": 1}}, "a dict whose items are {'a': 1}, not a JSON list"),
    ([1, 2], "an untagged JSON list"),
    ({"weights": 1}, r"an unknown entry with keys \['weights'\]"),
    ({"$tensor": 0}, r"unknown entry with keys \['\$tensor'\]"),
    ({"$tensor": "0", "requires_grad": False}, "array reference '0' that is not an index"),
    ({"$tensor": -1, "requires_grad": False}, "array reference -1 that is not an index"),
    ({"$tensor": True, "requires_grad": False}, "array reference True that is not an index"),
    ({"$tensor": 0, "requires_grad": 1}, "requires_grad 1, not true or false"),
    ({"$list": [{"$ndarray": 0}, {"$ndarray": 0}]}, r"second reference to array 0 .* at root\[1\]"),
    ({"$float": 5}, "a non-finite float written as 5"),
    ({"$float": "1e999999"}, "non-finite float written as '1e999999'"),
    ({"$dict": [["model", {"$list": [1, {"$set": []}]}]]},
     r"unknown entry with keys \['\$set'\] at root\['model'\]\[1\]"),
])
def test_malformed_structures_are_refused_with_the_place(tmp_path: Path, root: object,
                                                         message: str) -> None:
    path = crafted(tmp_path, Member("structure.json", structure(root)),
                   Member("arrays/0.npy", npy(np.zeros(2))))
    with pytest.raises(CheckpointError, match=f"structure.json: (an? )?{message}"):
        mg.load(path)


@pytest.mark.parametrize(("text", "message"), [
    (b"[" * 100_000 + b"]" * 100_000, "nests too deeply to parse"),
    (b'{"format": "minigrad-checkpoint", "version": 1, "root": [' * 1, "not JSON"),
    (b"\xff\xfe", "not UTF-8"),
    (b"[1]", "not a minigrad checkpoint"),
    (b'{"format": "minigrad-checkpoint", "version": true, "root": 1}', "version True"),
    (b'{"format": "minigrad-checkpoint", "version": 1}', "unknown or missing fields"),
    (b'{"format": "minigrad-checkpoint", "version": 1, "root": 1, "x": 2}',
     r"unknown or missing fields: \['format', 'root', 'version', 'x'\]"),
])
def test_malformed_json_is_refused(tmp_path: Path, text: bytes, message: str) -> None:
    path = crafted(tmp_path, Member("structure.json", text))
    with pytest.raises(CheckpointError, match=message):
        mg.load(path)


@pytest.mark.parametrize(("data", "message"), [
    (npy(np.zeros(2, np.complex64)), "has dtype complex64; checkpoints hold bool, uint8"),
    (npy(np.zeros(2, [("a", "<f4")])), "has dtype"),
    (npy_header("<f4", (-1,)), r"declares the shape \(-1,\)"),
    (npy(np.array([0, 1, 2], np.uint8))[:-3] + bytes([0, 1, 2]), None),  # fine: uint8
    (npy(np.array([True, False]))[:-2] + bytes([1, 2]), "bool array holding bytes other"),
    (b"\x93NUMPY\x03\x00" + npy(np.zeros(2))[8:], r"\.npy format version \(3, 0\)"),
    (b"not an array at all", "not a valid .npy array"),
    (b"\x93NUMPY\x02\x00\xff\xff\xff\x7f{", "header longer than"),
])
def test_malformed_arrays_are_refused(tmp_path: Path, data: bytes, message: str | None) -> None:
    path = crafted(tmp_path, Member("structure.json", ONE_ARRAY), Member("arrays/0.npy", data))
    if message is None:
        assert mg.load(path)["w"].tolist() == [0, 1, 2]
        return
    with pytest.raises(CheckpointError, match=message):
        mg.load(path)


def test_an_integer_tensor_cannot_require_grad(tmp_path: Path) -> None:
    path = crafted(tmp_path, Member("structure.json", structure(
        {"$tensor": 0, "requires_grad": True})), Member("arrays/0.npy", npy(np.arange(3))))
    with pytest.raises(CheckpointError, match="arrays/0.npy is int64 but requires grad"):
        mg.load(path)


def test_what_other_writers_may_do_still_loads(tmp_path: Path) -> None:
    """Deflated members, big-endian and Fortran-ordered arrays load as NumPy reads them."""
    big_endian = np.arange(6, dtype=">f4").reshape(2, 3)
    fortran = np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3))
    path = crafted(tmp_path, Member("structure.json", deflated(structure(
        {"$list": [{"$ndarray": 0}, {"$tensor": 1, "requires_grad": True}]})), DEFLATED),
        Member("arrays/0.npy", deflated(npy(fortran)), DEFLATED),
        Member("arrays/1.npy", npy(big_endian)))
    a, t = mg.load(path)
    np.testing.assert_array_equal(a, fortran)
    assert a.flags.f_contiguous
    assert t.requires_grad and t.dtype is mg.float32 and t.tolist() == big_endian.tolist()


def test_no_single_byte_of_damage_passes_silently(tmp_path: Path) -> None:
    """Every byte of a small checkpoint, flipped: a CheckpointError, or the same contents."""
    path = tmp_path / "small.mg"
    mg.save({"w": mg.arange(3.0), "b": [1, (2, "x")]}, path)
    data = path.read_bytes()
    for i in range(len(data)):
        damaged = bytearray(data)
        damaged[i] ^= 0xFF
        try:
            back = mg.load(io.BytesIO(bytes(damaged)))
        except CheckpointError:
            continue
        assert back["w"].tolist() == [0.0, 1.0, 2.0] and back["b"] == [1, (2, "x")], i


def test_save_refuses_what_load_would_refuse(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="deeper than 64 levels"):
        mg.save(nested_lists(65), tmp_path / "deep.mg")
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        mg.save(loop, tmp_path / "loop.mg")
    with pytest.raises(TypeError, match="dict keys must be numbers, strings, None or tuples"):
        mg.save({(1, mg.ones(1)): 2}, tmp_path / "key.mg")
    mg.save(nested_lists(64), tmp_path / "ok.mg")  # 64 levels: the most load accepts
    assert mg.load(tmp_path / "ok.mg") == nested_lists(64)
    assert not (tmp_path / "deep.mg").exists()


def nested_lists(depth: int) -> list:
    node: list = []
    for _ in range(depth - 1):
        node = [node]
    return node


def test_the_next_save_removes_what_a_killed_save_left(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.mg"
    mg.save({"w": mg.zeros(3)}, path)
    script = textwrap.dedent(f"""
        import os, signal
        import numpy as np
        import minigrad as mg
        real = np.lib.format.write_array
        def die(*args, **kwargs):
            real(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)  # kill -9 with part of the new file written
        np.lib.format.write_array = die
        mg.save({{"a": mg.ones(100000), "b": mg.ones(3)}}, {str(path)!r})
    """)
    root = Path(__file__).resolve().parents[1]
    killed = subprocess.Popen([sys.executable, "-c", script],
                              env=dict(os.environ, PYTHONPATH=str(root)))
    assert killed.wait(timeout=60) == -signal.SIGKILL
    stale = [p.name for p in tmp_path.iterdir() if p != path]
    assert len(stale) == 1
    named = re.fullmatch(r"\.ckpt\.mg\.([0-9a-f]{8})-([0-9]+)\.[a-z0-9_]+\.tmp", stale[0])
    assert named and int(named[2]) == killed.pid, stale  # the temp file names its writer
    # temporary files that must stay: of live writers (this process, its parent), of another
    # path, of another machine, and files that merely look alike
    tag = named[1]
    other = "00000000" if tag != "00000000" else "00000001"
    keep = [f".ckpt.mg.{tag}-{os.getpid()}.abcd1234.tmp",
            f".ckpt.mg.{tag}-{os.getppid()}.abcd1234.tmp",
            f".ckpt.mg.1.{tag}-{killed.pid}.abcd1234.tmp",
            f".ckpt.mg.{other}-{killed.pid}.abcd1234.tmp",
            f".ckpt.mg.{tag}-{killed.pid}.abcd1234.tmp.keep",
            f"ckpt.mg.{tag}-{killed.pid}.abcd1234.tmp"]
    for name in keep:
        (tmp_path / name).write_bytes(b"x")
    mg.save({"w": mg.ones(3)}, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, *keep])
    assert mg.load(path)["w"].tolist() == [1.0, 1.0, 1.0]
