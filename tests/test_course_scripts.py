"""benchmarks/course_scripts: the torch shim answers ``import torch`` with minigrad's own
modules, the offline torchvision stand-in reads IDX files right (a tiny one made here), and
run.py finds and compares the losses two runs print. No network, data set or tutorial needed.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks" / "course_scripts"


def load_run() -> ModuleType:
    """benchmarks/course_scripts/run.py, imported under a name of its own."""
    spec = importlib.util.spec_from_file_location("course_scripts_run", HERE / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


run = load_run()


def write_idx(path: Path, array: np.ndarray) -> None:
    """An unsigned-byte IDX file, gzip-compressed, as the README of the data describes it."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def data_dir(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """mnist/ and fashion-mnist/ with 5 training and 2 test images of 28x28 random bytes."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 5, dtype=np.uint8)
    for folder in ("mnist", "fashion-mnist"):
        (tmp_path / folder).mkdir()
        write_idx(tmp_path / folder / "train-images-idx3-ubyte.gz", images)
        write_idx(tmp_path / folder / "train-labels-idx1-ubyte.gz", labels)
        write_idx(tmp_path / folder / "t10k-images-idx3-ubyte.gz", images[:2])
        write_idx(tmp_path / folder / "t10k-labels-idx1-ubyte.gz", labels[:2])
    return tmp_path, images, labels


CHECK = """
import json, sys
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F, torch.optim
from torch.nn import functional as F2
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
ds = datasets.FashionMNIST(root="data", train=True, download=True, transform=transforms.Compose(
    [transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]))
x, y = ds[1]
big = datasets.MNIST("data", train=False, transform=transforms.Compose(
    [transforms.Resize((56, 42)), transforms.ToTensor()]))[0][0]
X, Y = next(iter(DataLoader(ds, batch_size=2)))
print(json.dumps({"torch": torch.__name__, "nn": torch.nn.__name__, "F": F.__name__,
    "same_F": F is F2 is torch.nn.functional, "optim": torch.optim.__name__,
    "loader": DataLoader.__module__, "len": len(ds), "x": np.asarray(x.tolist()).tolist(),
    "y": y, "big": list(big.shape), "batch": [list(X.shape), Y.tolist()]}))
"""


def run_check(lib: str, data: Path, tmp_path: Path) -> dict:
    env = run.environment(lib, {"COURSE_SCRIPTS_DATA": str(data),
                                "COURSE_SCRIPTS_TRAIN_N": "3"})
    p = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.splitlines()[-1])


def test_shim_is_minigrad_and_the_standin_reads_idx(data_dir, tmp_path) -> None:
    data, images, labels = data_dir
    got = run_check("minigrad", data, tmp_path)
    assert (got["torch"], got["nn"], got["F"], got["optim"]) == (
        "minigrad", "minigrad.nn", "minigrad.nn.functional", "minigrad.optim")
    assert got["same_F"] and got["loader"] == "minigrad.utils.data"
    assert got["len"] == 3  # the cap: the first 3 of 5 training images
    expected = (images[1].astype(np.float64) / 255 - 0.5) / 0.5  # ToTensor, then Normalize
    np.testing.assert_allclose(np.asarray(got["x"])[0], expected, rtol=1e-6, atol=1e-6)
    assert got["y"] == int(labels[1])
    assert got["big"] == [1, 56, 42]
    assert got["batch"] == [[2, 1, 28, 28], labels[:2].astype(int).tolist()]


def test_standin_gives_torch_the_same_data(data_dir, tmp_path) -> None:
    pytest.importorskip("torch", reason="the PyTorch side of the comparison needs torch")
    data, _, _ = data_dir
    mine, theirs = run_check("minigrad", data, tmp_path), run_check("torch", data, tmp_path)
    assert theirs["torch"] == "torch"
    for key in ("len", "x", "y", "big", "batch"):
        assert mine[key] == theirs[key], key


def test_idx_reader_refuses_a_file_that_is_not_idx(tmp_path) -> None:
    bad = tmp_path / "bad.gz"
    with gzip.open(bad, "wb") as f:
        f.write(b"\x01\x02\x03\x04" + bytes(8))
    with pytest.raises(ValueError, match="not an unsigned-byte IDX"):
        run.read_idx(bad)
    short = tmp_path / "short.gz"
    with gzip.open(short, "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + bytes(3))
    with pytest.raises(ValueError, match="expected 10 bytes"):
        run.read_idx(short)


# ---- reading and comparing the printed losses ----------------------------------------------------

TORCH_OUT = """Epoch 1
loss: 2.314872  [   64/10000]
Test Error:
 Accuracy: 14.0%, Avg loss: 2.279696
[1,  2000] loss: 2.190
[board] train_loss: 1.500000 (x=0.500)
[board] val_acc: 0.100000 (x=1.000)
<MseLossBackward0 object at 0x7f00>
"""
MINIGRAD_OUT = TORCH_OUT.replace("2.314872", "2.2").replace("1.500000", "1.65")


def test_losses_are_read_in_the_order_printed() -> None:
    assert run.losses(TORCH_OUT) == [2.314872, 2.279696, 2.190, 1.5]
    nn_tutorial = "tensor(2.3071, grad_fn=<NegBackward0>) tensor(0.0938)\ntensor(0)\n" \
                  "0 tensor(0.3090)\n1 0.2950\n"
    patterns = run.SCRIPTS["nn_tutorial"].losses
    assert run.losses(nn_tutorial, patterns) == [2.3071, 0.3090, 0.2950]


def test_compare_is_the_largest_relative_difference() -> None:
    a, b = run.losses(TORCH_OUT), run.losses(MINIGRAD_OUT)
    agree = run.compare(a, b)
    expected = max(abs(x - y) / max(abs(x), abs(y)) for x, y in zip(a, b))
    assert agree.max_rel == pytest.approx(expected) and agree.max_rel == pytest.approx(0.15 / 1.65)
    assert (agree.n_a, agree.n_b) == (4, 4)
    assert run.compare([1.0, 2.0], [1.0]).max_rel == 0.0
    assert str(run.compare([1.0, 2.0], [1.0])).endswith("(2 vs 1 losses)")
    assert run.compare([], []).max_rel is None and str(run.compare([], [])) == "no losses printed"
    assert run.compare([0.0], [0.0]).max_rel == 0.0


def test_last_error_is_the_exception_line() -> None:
    err = ('[launch] torch is minigrad\nTraceback (most recent call last):\n  File "x.py", '
           'line 1, in <module>\n    torch.sinh\nAttributeError: no sinh\n')
    assert run.last_error(err) == "AttributeError: no sinh"


def test_a_script_runs_with_both_and_the_losses_compare(tmp_path) -> None:
    script = tmp_path / "tiny.py"
    script.write_text("import torch\nw = torch.tensor([1.0, 2.0], requires_grad=True)\n"
                      "loss = (w * w).sum()\nloss.backward()\n"
                      "print(f'loss: {loss.item():.4f}', w.grad.tolist())\n")
    libs = ["minigrad"]
    if importlib.util.find_spec("torch") is not None:
        libs.append("torch")
    runs = {lib: run.run_script(script, lib, tmp_path / lib, run.environment(lib, {}), 120)
            for lib in libs}
    for lib, r in runs.items():
        assert r.ok, r.stderr
        assert run.losses(r.stdout) == [5.0] and "[2.0, 4.0]" in r.stdout, lib
    broken = tmp_path / "broken.py"
    broken.write_text("import torch\ntorch.no_such_name_here\n")
    r = run.run_script(broken, "minigrad", tmp_path / "b", run.environment("minigrad", {}), 120)
    assert not r.ok and r.error.startswith("AttributeError") and "no_such_name_here" in r.error
