"""mg.save / mg.load: round trips, no unpickling, atomic writes, clear errors on bad files."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from demos.lenet import lenet
from demos.lenet import lenet_bn as bn_lenet
from minigrad import optim
from minigrad.serialization import CheckpointError
from minigrad.testing import assert_close


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
