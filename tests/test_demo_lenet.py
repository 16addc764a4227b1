"""demos/lenet.py end to end: a short run on digits, the plot, checkpoints and resuming."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
from pathlib import Path

import pytest

import minigrad as mg
from minigrad.testing import assert_close
from tests.test_scripts import run_script

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("sklearn", reason="the demo's offline dataset is scikit-learn's digits")


def demo(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = run_script("demos/lenet.py", "--dataset", "digits", *args, timeout=600)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_one_epoch_on_digits_with_a_plot(tmp_path: Path) -> None:
    png = tmp_path / "curves.png"
    out = demo("--epochs", "1", "--plot", str(png)).stdout
    assert "training lenet on digits (1437 train, 360 test) on cpu" in out
    lines = [line for line in out.splitlines() if line.startswith("epoch")]
    assert len(lines) == 1 and "test acc" in lines[0] and "ex/s" in lines[0]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_target_accuracy_sets_the_exit_code() -> None:
    done = demo("--epochs", "1", "--target-acc", "0.999", check=False)
    assert done.returncode == 1 and "below the target" in done.stderr


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path: Path) -> None:
    common = ["--batch-size", "64", "--model", "lenet-bn", "--optimizer", "momentum",
              "--lr", "0.05"]
    straight, split = tmp_path / "straight.mg", tmp_path / "split.mg"
    demo("--epochs", "2", "--checkpoint", str(straight), *common)
    demo("--epochs", "2", "--stop-after", "1", "--checkpoint", str(split), *common)
    out = demo("--epochs", "2", "--checkpoint", str(split), "--resume", *common).stdout
    assert "resumed from" in out and "after epoch 1" in out
    a, b = mg.load(straight), mg.load(split)
    assert a["epoch"] == b["epoch"] == 2
    for key, value in a["model"].items():
        assert_close(b["model"][key], value, msg=key)
    assert a["history"][-1]["test_acc"] == b["history"][-1]["test_acc"]


def test_default_dataset_falls_back_to_digits_offline(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture) -> None:
    spec = importlib.util.spec_from_file_location("lenet_demo", ROOT / "demos" / "lenet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path))  # an empty cache
    monkeypatch.setattr(mg.data.MNIST, "mirrors", ["http://127.0.0.1:9/"])  # nobody there
    args = argparse.Namespace(dataset=None, data_dir=None)
    train, test, name = module.load_data(args)
    assert name == "digits" and len(train) == 1437
    notice = capsys.readouterr().err.strip().splitlines()
    assert len(notice) == 1 and notice[0].startswith("notice: MNIST is not available")
    with pytest.raises(SystemExit, match="not found in"):  # asked for MNIST by name: an error
        module.load_data(argparse.Namespace(dataset="mnist", data_dir=str(tmp_path)))
