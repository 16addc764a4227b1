"""demos/lenet.py end to end: a short run on digits, the plot, checkpoints and resuming, and
every mistake on its command line as one line on stderr with exit code 2, before training."""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import numpy as np
import pytest

import demos.lenet as lenet_demo
import minigrad as mg
from minigrad.testing import assert_close
from tests.test_data import idx_bytes
from tests.test_scripts import run_script

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("sklearn", reason="the demo's offline dataset is scikit-learn's digits")

TINY = ["--dataset", "digits", "--batch-size", "256"]  # about 0.2 s an epoch


def demo(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the demo on digits as a script."""
    done = run_script("demos/lenet.py", "--dataset", "digits", *args, timeout=600)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def run_main(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    """Run the demo's main in this process: its exit code, stdout and stderr."""
    try:
        code = lenet_demo.main(argv)
    except SystemExit as e:
        code = e.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def expect_error(argv: list[str], capsys: pytest.CaptureFixture, *fragments: str) -> str:
    """The run fails before training: exit code 2 and one line ``lenet.py: error: ...``
    holding every fragment (the flag and the value at fault). Returns that line."""
    code, out, err = run_main(argv, capsys)
    lines = err.strip().splitlines()
    assert code == 2, (code, out, err)
    assert len(lines) == 1 and lines[0].startswith("lenet.py: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert "training" not in out and "Traceback" not in err
    return lines[0]


def fill(argv: list[str], tmp_path: Path) -> list[str]:
    """``{tmp}`` in the arguments becomes the test's temporary folder."""
    return [a.replace("{tmp}", str(tmp_path)) for a in argv]


# ---- a normal run --------------------------------------------------------------------------
def test_one_epoch_on_digits_with_a_plot(tmp_path: Path) -> None:
    png = tmp_path / "curves.png"
    out = demo("--epochs", "1", "--plot", str(png)).stdout
    assert "training lenet on digits (1437 train, 360 test) on cpu" in out
    lines = [line for line in out.splitlines() if line.startswith("epoch")]
    assert len(lines) == 1 and "test acc" in lines[0] and "ex/s" in lines[0]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_plot_without_an_extension_writes_and_reports_a_png(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run_main([*TINY, "--epochs", "1", "--plot", str(tmp_path / "curves")], capsys)
    png = tmp_path / "curves.png"
    assert code == 0 and f"wrote {png}\n" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / "curves").exists()


def test_diagnose_shows_the_gradient_vanishing_towards_the_first_layer(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """d2l's sigmoid LeNet with SGD learns slowly at first: the first layer gets a gradient
    hundreds of times smaller than the last. --diagnose prints it per epoch, --plot draws it,
    and watching changes nothing in the training."""
    d2l = ["--dataset", "digits", "--optimizer", "sgd", "--lr", "0.9", "--schedule", "none",
           "--init", "default", "--epochs", "2"]
    png = tmp_path / "curves.png"
    code, out, _ = run_main([*d2l, "--diagnose", "--plot", str(png)], capsys)
    assert code == 0
    tables = [line for line in out.splitlines() if line.strip().startswith("layer")]
    assert len(tables) == 2
    rows = {line.split()[0]: line.split() for line in out.splitlines()[-7:-1]
            if line.startswith("  ") and not line.strip().startswith("layer")}
    assert rows["0"][1:4] == ["Conv2d", ">", "1"] and rows["11"][1] == "Linear"
    first, last = float(rows["0"][5]), float(rows["11"][2])
    assert 0 < first < last / 100
    assert rows["0"][-1].endswith("%")
    assert int.from_bytes(png.read_bytes()[16:20], "big") == 1350  # three panels
    _, plain, _ = run_main(d2l, capsys)
    losses = [line.split("train loss ")[1][:6] for line in out.splitlines()
              if line.startswith("epoch")]
    assert losses == [line.split("train loss ")[1][:6] for line in plain.splitlines()
                      if line.startswith("epoch")]


def test_threads_fixed_or_following_the_free_cpus(capsys: pytest.CaptureFixture) -> None:
    before = mg.get_num_threads()
    try:
        code, out, _ = run_main([*TINY, "--epochs", "1", "--threads", "1"], capsys)
        assert code == 0 and out.splitlines()[-1].endswith("threads 1")
        code, out, _ = run_main([*TINY, "--epochs", "1"], capsys)  # auto: 1 or 2 here
        assert code == 0 and out.splitlines()[-1].split("threads ")[-1] in {
            str(n) for n in range(1, mg.threads.cpu_count() + 1)}
    finally:
        mg.set_num_threads(before)


def test_target_accuracy_sets_the_exit_code() -> None:
    done = demo("--epochs", "1", "--target-acc", "0.999", check=False)
    assert done.returncode == 1 and "below the target" in done.stderr


# ---- bad flags: one line, exit code 2, nothing trained ------------------------------------
BAD_FLAGS = [
    (["--batch-size", "0"], ["--batch-size", "0"]),
    (["--batch-size", "-3"], ["--batch-size", "-3"]),
    (["--lr", "0"], ["--lr", "0"]),
    (["--lr", "-0.1"], ["--lr", "-0.1"]),
    (["--lr", "nan"], ["--lr", "nan"]),
    (["--epochs", "0"], ["--epochs", "0"]),
    (["--epochs", "-2"], ["--epochs", "-2"]),
    (["--epochs", "two"], ["--epochs", "'two'"]),
    (["--target-acc", "1.5"], ["--target-acc", "1.5"]),
    (["--target-acc", "-0.1"], ["--target-acc", "-0.1"]),
    (["--seed", "-1"], ["--seed", "-1"]),
    (["--optimizer", "rmsprop"], ["--optimizer", "rmsprop"]),
    (["--device", "tpu"], ["--device", "tpu"]),
    (["--resume"], ["--resume", "--checkpoint"]),
    (["--stop-after", "1"], ["--stop-after", "--checkpoint"]),
    (["--stop-after", "0", "--checkpoint", "{tmp}/ck.mg"], ["--stop-after", "0"]),
    (["--stop-after", "3", "--epochs", "2", "--checkpoint", "{tmp}/ck.mg"],
     ["--stop-after", "3", "--epochs 2"]),
    (["--dataset", "digits", "--data-dir", "{tmp}"], ["--data-dir", "digits"]),
    (["--bogus"], ["--bogus"]),
    (["--threads", "0"], ["--threads", "0"]),
    (["--threads", "many"], ["--threads", "'many'"]),
]


@pytest.mark.parametrize(("argv", "fragments"), BAD_FLAGS,
                         ids=[" ".join(argv) for argv, _ in BAD_FLAGS])
def test_a_bad_flag_is_one_line_and_exit_code_2(argv: list[str], fragments: list[str],
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    expect_error(fill(argv, tmp_path), capsys, *fragments)
    assert not (tmp_path / "ck.mg").exists()


@pytest.mark.skipif(mg.cuda.is_available(), reason="a GPU is here")
def test_cuda_without_a_gpu_says_why(capsys: pytest.CaptureFixture) -> None:
    reason = mg.get_backend("cuda").reason
    assert reason
    expect_error(["--device", "cuda"], capsys, "--device", "cuda", reason)


@pytest.mark.parametrize(("argv", "fragments"), [
    (["--checkpoint", "{tmp}/missing/ck.mg"], ["--checkpoint", "missing", "does not exist"]),
    (["--plot", "{tmp}/missing/curves.png"], ["--plot", "missing", "does not exist"]),
    (["--checkpoint", "{tmp}"], ["--checkpoint", "is a directory"]),
    (["--plot", "{tmp}/a-file/curves.png"], ["--plot", "a-file", "not a directory"]),
    (["--plot", "{tmp}/curves.v2"], ["--plot", ".v2"]),
], ids=["checkpoint-dir-missing", "plot-dir-missing", "checkpoint-is-a-dir",
        "plot-dir-is-a-file", "plot-unknown-format"])
def test_an_output_that_cannot_be_written_is_refused_up_front(
        argv: list[str], fragments: list[str], tmp_path: Path,
        capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    expect_error([*TINY, *fill(argv, tmp_path)], capsys, *fragments)


@pytest.mark.parametrize("option", ["--checkpoint", "--plot"])
def test_a_read_only_directory_is_refused_up_front(option: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() == 0:  # root writes anyway: make the probe fail as it does for a user

        def refuse(*args: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(lenet_demo.tempfile, "TemporaryFile", refuse)
    try:
        expect_error([*TINY, option, str(locked / "out.png")], capsys, option, str(locked),
                     "Permission denied")
    finally:
        locked.chmod(0o700)


# ---- data: asked for means it must load; only the default run falls back -------------------
def write_idx(path: Path, array: np.ndarray) -> None:
    """``array`` (uint8) as a gzip IDX file."""
    path.write_bytes(gzip.compress(idx_bytes(array)))


def mnist_dir(tmp_path: Path, images: Callable[[Path], None]) -> Path:
    """A folder with good training labels and the training images ``images`` writes."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.arange(3, dtype=np.uint8))
    images(folder / "train-images-idx3-ubyte.gz")
    return folder


def truncated(path: Path) -> None:
    """The header promises 3 images of 28x28; the file holds two and a half."""
    whole = idx_bytes(np.zeros((3, 28, 28), np.uint8))
    path.write_bytes(gzip.compress(whole[:len(whole) - 28 * 28 // 2]))


def not_gzip(path: Path) -> None:
    """A file named .gz that is not gzip."""
    path.write_bytes(b"these are not the images you are looking for")


def corrupt_stream(path: Path) -> None:
    """A gzip file whose deflate stream is damaged (zlib's own error, not gzip's)."""
    pixels = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    write_idx(path, pixels)
    raw = bytearray(path.read_bytes())
    raw[12:20] = b"\xff" * 8
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(("images", "fragment"), [
    (None, "not found in"),
    (truncated, "IDX header says shape (3, 28, 28)"),
    (not_gzip, "cannot read as gzip"),
    (corrupt_stream, "decompressing"),
], ids=["missing-files", "truncated-idx", "not-gzip", "corrupt-gzip-stream"])
@pytest.mark.parametrize("dataset", [[], ["--dataset", "fashion-mnist"]],
                         ids=["mnist-by-default", "fashion-mnist"])
def test_a_wrong_data_dir_fails_with_the_readers_message(
        images: Callable[[Path], None] | None, fragment: str, dataset: list[str],
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = mnist_dir(tmp_path, images) if images else tmp_path
    line = expect_error([*dataset, "--data-dir", str(folder)], capsys, "--data-dir", fragment)
    assert "digits" not in line


def test_a_data_dir_that_is_not_there(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    expect_error(["--data-dir", str(tmp_path / "nowhere")], capsys, "--data-dir", "nowhere",
                 "not a directory")


def test_default_dataset_falls_back_to_digits_offline(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path))  # an empty cache
    monkeypatch.setattr(mg.data.MNIST, "mirrors", ["http://127.0.0.1:9/"])  # nobody there
    args = argparse.Namespace(dataset=None, data_dir=None)
    train, test, name = lenet_demo.load_data(args)
    assert name == "digits" and len(train) == 1437
    notice = capsys.readouterr().err.strip().splitlines()
    assert len(notice) == 1 and notice[0].startswith("notice: MNIST is not available")
    assert len(notice[0]) < 140
    code, usage, _ = run_main(["--help"], capsys)
    assert code == 0
    for option in re.findall(r"--[a-z][a-z-]*", notice[0]):
        assert option in usage, f"the notice names {option}, which the demo does not have"
    # asked for MNIST by name (no cache, no network): an error, not digits
    expect_error(["--dataset", "mnist"], capsys, "--dataset", "could not download")


# ---- checkpoints and resuming --------------------------------------------------------------
@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint of a finished one-epoch cosine run (momentum, lr 0.05, batch 256)."""
    path = tmp_path_factory.mktemp("finished") / "ck.mg"
    with redirect_stdout(StringIO()):
        assert lenet_demo.main([*TINY, "--epochs", "1", "--optimizer", "momentum", "--lr",
                                "0.05", "--checkpoint", str(path)]) == 0
    return path


def test_resume_from_a_missing_checkpoint_says_so(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "never-written.mg"
    expect_error([*TINY, "--checkpoint", str(path), "--resume"], capsys, "--resume",
                 "no checkpoint at", str(path))


def test_resume_from_a_file_that_is_no_checkpoint(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    junk, other = tmp_path / "junk.mg", tmp_path / "other.mg"
    junk.write_text("hello")
    mg.save({"weights": mg.ones(3)}, other)
    expect_error(["--checkpoint", str(junk), "--resume"], capsys, "--resume", str(junk),
                 "not a minigrad checkpoint")
    expect_error(["--checkpoint", str(other), "--resume"], capsys, "--resume", str(other),
                 "not a lenet.py checkpoint")


@pytest.mark.parametrize(("argv", "clash"), [
    (["--optimizer", "sgd"], "--optimizer sgd (checkpoint: momentum)"),
    (["--lr", "0.01"], "--lr 0.01 (checkpoint: 0.05)"),
    (["--schedule", "none"], "--schedule none (checkpoint: cosine)"),
    (["--batch-size", "32"], "--batch-size 32 (checkpoint: 256)"),
    (["--model", "lenet-bn"], "--model lenet-bn (checkpoint: lenet)"),
    (["--dataset", "mnist"], "--dataset mnist (checkpoint: digits)"),
    (["--seed", "7"], "--seed 7 (checkpoint: 0)"),
], ids=["optimizer", "lr", "schedule", "batch-size", "model", "dataset", "seed"])
def test_resume_refuses_flags_that_disagree_with_the_checkpoint(
        argv: list[str], clash: str, finished: Path, capsys: pytest.CaptureFixture) -> None:
    before = finished.read_bytes()
    expect_error(["--checkpoint", str(finished), "--resume", "--epochs", "2", *argv], capsys,
                 "--resume", str(finished), clash)
    assert finished.read_bytes() == before


def test_resuming_a_finished_cosine_schedule_lays_it_over_the_new_epochs(
        finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "ck.mg"
    shutil.copy(finished, path)
    assert mg.load(path)["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0, abs=1e-12)
    # two more epochs asked for: the cosine spans 3 epochs, continuing at epoch 2 (not lr 0);
    # the flags left out (optimizer, lr, batch size, dataset) come from the checkpoint
    code, out, _ = run_main(["--checkpoint", str(path), "--resume", "--epochs", "3",
                             "--stop-after", "2"], capsys)
    assert code == 0
    assert "resumed from" in out and "after epoch 1" in out
    assert "the cosine schedule now spans 3 epochs: epoch 2 trains at lr 0.0375" in out
    assert "on digits" in out and "3 epochs, momentum lr 0.05 (cosine), batch 256" in out
    assert re.search(r"^epoch  2  lr 0\.0375 ", out, re.M)
    state = mg.load(path)
    assert state["epoch"] == 2 and state["schedule"]["T_max"] == 3
    assert state["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.0125)
    # the rest of the same plan: the checkpoint's epochs and schedule as they are
    code, out, _ = run_main(["--checkpoint", str(path), "--resume"], capsys)
    assert code == 0 and "cosine schedule now spans" not in out
    assert re.search(r"^epoch  3  lr 0\.0125 ", out, re.M)
    assert [h["epoch"] for h in mg.load(path)["history"]] == [1, 2, 3]
    # finished: nothing left to train is an error, as is a --stop-after behind the checkpoint
    expect_error(["--checkpoint", str(path), "--resume"], capsys, "--epochs",
                 "already trained 3 of 3 epochs")
    expect_error(["--checkpoint", str(path), "--resume", "--epochs", "5", "--stop-after", "3"],
                 capsys, "--stop-after", "3", "epoch 3")


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    common = ["--dataset", "digits", "--batch-size", "64", "--model", "lenet-bn",
              "--optimizer", "momentum", "--lr", "0.05"]
    straight, split = tmp_path / "straight.mg", tmp_path / "split.mg"
    assert run_main(["--epochs", "2", "--checkpoint", str(straight), *common], capsys)[0] == 0
    assert run_main(["--epochs", "2", "--stop-after", "1", "--checkpoint", str(split),
                     *common], capsys)[0] == 0
    code, out, _ = run_main(["--epochs", "2", "--checkpoint", str(split), "--resume", *common],
                            capsys)
    assert code == 0 and "resumed from" in out and "after epoch 1" in out
    a, b = mg.load(straight), mg.load(split)
    assert a["epoch"] == b["epoch"] == 2
    for key, value in a["model"].items():
        assert_close(b["model"][key], value, msg=key)
    assert a["history"][-1]["test_acc"] == b["history"][-1]["test_acc"]


def test_the_short_demo_trains_lenet_on_digits_in_a_page() -> None:
    """demos/train_lenet.py: the model, the loop and the evaluation a student reads first; the
    loop is one short function, and it learns."""
    import inspect

    import demos.train_lenet as short
    assert len(inspect.getsource(short.train).splitlines()) <= 40
    mg.manual_seed(0)
    with mg.backends.fast_paths(False), redirect_stdout(StringIO()) as out:  # the textbook ops
        accuracies = short.train(short.lenet(), mg.data.Digits(), mg.data.Digits(train=False),
                                 epochs=8)
    assert accuracies[-1] > 0.8, out.getvalue()
    assert out.getvalue().count("test acc") == 8


@pytest.mark.parametrize("flags, fast", [([], True), (["--textbook"], False)])
def test_textbook_flag_runs_the_textbook_ops(flags: list[str], fast: bool,
                                             capsys: pytest.CaptureFixture) -> None:
    seen = []
    real = lenet_demo.evaluate

    def evaluate(*args: object) -> float:
        seen.append(mg.backends.fast_paths_enabled())
        return real(*args)

    with mg.backends.fast_paths(True):
        lenet_demo.evaluate = evaluate
        try:
            code, _, _ = run_main(["--dataset", "digits", "--epochs", "1", "--threads", "1",
                                   *flags], capsys)
        finally:
            lenet_demo.evaluate = real
    assert code == 0 and seen == [fast]
