"""Run real course scripts unchanged, once with PyTorch and once with ``import torch`` answered
by minigrad, and compare what they print.

    python benchmarks/course_scripts/run.py [NAME ...] [--tutorials GIT_DIR] [--d2l GIT_DIR]
        [--out DIR] [--timeout S] [--placeholders torch.sinh,...] [--lib torch|minigrad]
    python benchmarks/course_scripts/run.py --script PATH.py [--loss-pattern REGEX]

NAMEs are keys of ``SCRIPTS`` (default: all). The sources are read from git directories (bare
or not): PyTorch's tutorials at ``TUTORIALS_REV`` and d2l-en at ``D2L_REV``; a d2l chapter's
PyTorch cells are written to one .py, with d2l's library ``d2l/torch.py`` beside it and a
short prologue (d2lbook's ``tab.selected``, and d2l's Trainer capped to
$COURSE_SCRIPTS_MAX_EPOCHS epochs: the chapter text itself is not edited).

Each run is a fresh subprocess (``launch.py``) in its own empty working folder, seeded with
$COURSE_SCRIPTS_SEED. The minigrad run has ``shim/`` first on PYTHONPATH (``torch`` and
``torch.*`` are minigrad's modules under those names); both runs have ``standins/`` (an
offline torchvision reading the IDX files under $COURSE_SCRIPTS_DATA) and cap the data with
$COURSE_SCRIPTS_TRAIN_N / _TEST_N (first N images), set per script below. The printed losses
(a regex per script) are paired in order, and the largest relative difference is reported.
The two libraries draw different random numbers, so unless a script's losses depend on no
random draw the agreement is statistical (same data, same model, other initial weights).
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import importlib.util
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def _load(path: Path, name: str) -> ModuleType:
    """A module from a file, under a name of its own (sys.path is left alone)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_idx = _load(HERE / "standins" / "_course_idx.py", "course_scripts_idx")  # torch-free IDX reading
find, read_idx = _idx.find, _idx.read_idx
# d2l's PyTorch cells, chosen as the course-coverage counter chooses them
pytorch_cells = _load(HERE.parent / "course_coverage" / "extract.py",
                      "course_coverage_extract").pytorch_cells

TUTORIALS_GIT = "/work/.mirror/chizi15+pytorch_tutorials_test/repo"
TUTORIALS_REV = "f1380d39af94c52e291c4eebf20d9ce2b137f3e9"  # pytorch/tutorials
D2L_GIT = "/work/.mirror/d2l-ai+d2l-en/repo"
D2L_REV = "23d7a5aecceee57d1292c56e90cce307f183bb0a"  # d2l-en master
DATA = os.environ.get("COURSE_SCRIPTS_DATA", "/work/shared/data")

NUMBER = r"(-?\d+\.\d+(?:[eE][-+]?\d+)?)"
LOSS_WORD = re.compile(r"\b\w*loss\w*\b[^\d\n-]{0,12}?" + NUMBER)  # loss: 2.30, Avg loss: 2.3
TENSOR_WITH_GRAD = re.compile(r"^tensor\(" + NUMBER + r",\s*grad_fn=", re.M)  # print(loss)
EPOCH_AND_VALUE = re.compile(r"^\d+ (?:tensor\()?" + NUMBER, re.M)  # print(epoch, val_loss)


@dataclass
class Spec:
    """One course script: where it comes from and how to run and read it."""

    source: str  # "tutorials" or "d2l"
    path: str  # file in that repository
    env: dict[str, str] = field(default_factory=dict)  # the caps
    losses: tuple[re.Pattern, ...] = (LOSS_WORD,)  # where the printed losses are
    stage: Callable[[Path, dict[str, str]], None] | None = None  # files it expects in its folder
    timeout: int = 900


def stage_mnist_pickle(cwd: Path, env: dict[str, str]) -> None:
    """data/mnist/mnist.pkl.gz as nn_tutorial downloads it (the classic 50000/10000/10000
    split of MNIST, pixels / 256, float32 rows of 784), built from the local IDX files and
    cut to the caps, so the tutorial finds it and downloads nothing."""
    folder = Path(env.get("COURSE_SCRIPTS_DATA", DATA)) / "mnist"
    n_train = min(int(env.get("COURSE_SCRIPTS_TRAIN_N") or 50000), 50000)
    n_test = int(env.get("COURSE_SCRIPTS_TEST_N") or 10000)
    images = read_idx(find(folder, "train-images-idx3-ubyte"))
    labels = read_idx(find(folder, "train-labels-idx1-ubyte"))
    t_images = read_idx(find(folder, "t10k-images-idx3-ubyte"), n_test)
    t_labels = read_idx(find(folder, "t10k-labels-idx1-ubyte"), n_test)

    def rows(a: np.ndarray) -> np.ndarray:
        return (a.reshape(len(a), -1) / np.float32(256)).astype(np.float32)

    split = ((rows(images[:n_train]), labels[:n_train].astype(np.int64)),
             (rows(images[50000:50000 + n_test]), labels[50000:50000 + n_test].astype(np.int64)),
             (rows(t_images), t_labels.astype(np.int64)))
    (cwd / "data" / "mnist").mkdir(parents=True, exist_ok=True)
    with gzip.open(cwd / "data" / "mnist" / "mnist.pkl.gz", "wb") as f:
        pickle.dump(split, f)


# 101 batches of 64: the tutorials print at batches 0 and 100 of each epoch
SMALL = {"COURSE_SCRIPTS_TRAIN_N": "6464", "COURSE_SCRIPTS_TEST_N": "640"}
D2L_SMALL = {"COURSE_SCRIPTS_TRAIN_N": "1024", "COURSE_SCRIPTS_TEST_N": "256",
             "COURSE_SCRIPTS_MAX_EPOCHS": "1"}
D2L_BIG_IMAGES = {"COURSE_SCRIPTS_TRAIN_N": "256", "COURSE_SCRIPTS_TEST_N": "128",
                  "COURSE_SCRIPTS_MAX_EPOCHS": "1"}
SCRIPTS: dict[str, Spec] = {
    "quickstart": Spec("tutorials", "beginner_source/basics/quickstart_tutorial.py", SMALL),
    "buildmodel": Spec("tutorials", "beginner_source/basics/buildmodel_tutorial.py"),
    "autogradqs": Spec("tutorials", "beginner_source/basics/autogradqs_tutorial.py"),
    "optimization": Spec("tutorials", "beginner_source/basics/optimization_tutorial.py", SMALL),
    "tensorqs": Spec("tutorials", "beginner_source/basics/tensorqs_tutorial.py"),
    "saveloadrun": Spec("tutorials", "beginner_source/basics/saveloadrun_tutorial.py"),
    "neural_networks": Spec("tutorials", "beginner_source/blitz/neural_networks_tutorial.py",
                            losses=(TENSOR_WITH_GRAD,)),
    "blitz_autograd": Spec("tutorials", "beginner_source/blitz/autograd_tutorial.py"),
    "cifar10": Spec("tutorials", "beginner_source/blitz/cifar10_tutorial.py",
                    {"COURSE_SCRIPTS_TRAIN_N": "8000", "COURSE_SCRIPTS_TEST_N": "1000"}),
    "nn_tutorial": Spec("tutorials", "beginner_source/nn_tutorial.py",
                        {"COURSE_SCRIPTS_TRAIN_N": "10000", "COURSE_SCRIPTS_TEST_N": "1000"},
                        losses=(TENSOR_WITH_GRAD, EPOCH_AND_VALUE), stage=stage_mnist_pickle),
    "d2l_lenet": Spec("d2l", "chapter_convolutional-neural-networks/lenet.md", D2L_SMALL),
    "d2l_nin": Spec("d2l", "chapter_convolutional-modern/nin.md", D2L_BIG_IMAGES, timeout=1800),
    "d2l_vgg": Spec("d2l", "chapter_convolutional-modern/vgg.md", D2L_BIG_IMAGES, timeout=1800),
    "d2l_resnet": Spec("d2l", "chapter_convolutional-modern/resnet.md", D2L_BIG_IMAGES,
                       timeout=1800),
    "d2l_densenet": Spec("d2l", "chapter_convolutional-modern/densenet.md", D2L_BIG_IMAGES,
                         timeout=1800),
}

D2L_PROLOGUE = '''\
# ---- added by benchmarks/course_scripts/run.py (the chapter's cells follow, unchanged) ----
import os as _os
from d2l import torch as _d2l


class _Tab:
    """d2lbook's tab selector, set to PyTorch."""

    @staticmethod
    def selected(*frameworks):
        return "pytorch" in frameworks


tab = _Tab()
_trainer_init = _d2l.Trainer.__init__


def _capped_init(self, max_epochs, *args, **kwargs):
    cap = int(_os.environ.get("COURSE_SCRIPTS_MAX_EPOCHS", max_epochs))
    _trainer_init(self, min(max_epochs, cap), *args, **kwargs)


_d2l.Trainer.__init__ = _capped_init
# ---- chapter cells ----
'''


def git_show(git_dir: str, rev: str, path: str) -> str:
    """One file's text at one revision."""
    return subprocess.run(["git", "--git-dir", git_dir, "show", f"{rev}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def git_commit(git_dir: str, rev: str) -> str:
    """The full commit id of ``rev``."""
    return subprocess.run(["git", "--git-dir", git_dir, "rev-parse", f"{rev}^{{commit}}"],
                          check=True, capture_output=True, text=True).stdout.strip()


def d2l_script(markdown: str) -> str:
    """A d2l chapter's PyTorch cells as one script, after the prologue."""
    cells = pytorch_cells(markdown)
    return D2L_PROLOGUE + "\n\n".join(f"# ---- cell {i}\n{c.strip()}\n"
                                      for i, c in enumerate(cells, 1))


def prepare(name: str, spec: Spec, folder: Path, tutorials: str, d2l: str) -> Path:
    """Write the script of ``name`` (and d2l's library for a chapter) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    if spec.source == "tutorials":
        script = folder / Path(spec.path).name
        script.write_text(git_show(tutorials, TUTORIALS_REV, spec.path))
        return script
    (folder / "d2l").mkdir(exist_ok=True)
    (folder / "d2l" / "__init__.py").write_text("")
    (folder / "d2l" / "torch.py").write_text(git_show(d2l, D2L_REV, "d2l/torch.py"))
    script = folder / (Path(spec.path).stem + ".py")
    script.write_text(d2l_script(git_show(d2l, D2L_REV, spec.path)))
    return script


@dataclass
class Run:
    """What one run of one script did."""

    lib: str
    ok: bool
    error: str  # the traceback's last line, or "timeout after ...", "" when ok
    seconds: float
    stdout: str
    stderr: str


def environment(lib: str, extra: dict[str, str], placeholders: str = "") -> dict[str, str]:
    """The subprocess environment: PYTHONPATH picks the library; the caps; no GPU; offline."""
    paths = ([str(HERE / "shim")] if lib == "minigrad" else []) + [str(HERE / "standins"),
                                                                   str(REPO)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_SCRIPTS_")}
    env.update({"PYTHONPATH": os.pathsep.join(paths), "PYTHONHASHSEED": "0",
                "MPLBACKEND": "Agg", "CUDA_VISIBLE_DEVICES": "", "COURSE_SCRIPTS_DATA": DATA,
                "COURSE_SCRIPTS_SEED": os.environ.get("COURSE_SCRIPTS_SEED", "0")})
    env.update({k: v for k, v in os.environ.items() if k.startswith("COURSE_SCRIPTS_")})
    env.update(extra)
    if placeholders and lib == "minigrad":
        env["COURSE_SCRIPTS_PLACEHOLDERS"] = placeholders
    return env


def run_script(script: Path, lib: str, cwd: Path, env: dict[str, str], timeout: float,
               stage: Callable[[Path, dict[str, str]], None] | None = None) -> Run:
    """Run ``script`` with ``lib`` ("torch" or "minigrad") in a fresh folder ``cwd``."""
    shutil.rmtree(cwd, ignore_errors=True)
    cwd.mkdir(parents=True)
    if stage is not None:
        stage(cwd, env)
    start = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, str(HERE / "launch.py"), str(script)], cwd=cwd,
                           env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        return Run(lib, False, f"timeout after {timeout:.0f} s", time.perf_counter() - start,
                   out, err)
    seconds = time.perf_counter() - start
    return Run(lib, p.returncode == 0, "" if p.returncode == 0 else last_error(p.stderr),
               seconds, p.stdout, p.stderr)


def last_error(stderr: str) -> str:
    """The last line of a traceback (the exception), or the last line written."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("Traceback"):
            tail = [ln for ln in lines[i:] if not ln.startswith((" ", "\t", "Traceback"))]
            return tail[-1] if tail else lines[-1]
    return lines[-1] if lines else "(no output)"


def losses(text: str, patterns: tuple[re.Pattern, ...] = (LOSS_WORD,)) -> list[float]:
    """The loss values printed in ``text``, in the order printed (any pattern, per line)."""
    found = []
    for line in text.splitlines():
        for pattern in patterns:
            found += [float(v) for v in pattern.findall(line)]
    return found


@dataclass
class Agreement:
    """How the losses two runs printed compare, paired in order."""

    n_a: int
    n_b: int
    max_rel: float | None  # over the pairs; None when there is no pair

    def __str__(self) -> str:
        if self.max_rel is None:
            return "no losses printed" if self.n_a == self.n_b == 0 else \
                f"none to pair ({self.n_a} vs {self.n_b})"
        counts = f"{self.n_a}" if self.n_a == self.n_b else f"{self.n_a} vs {self.n_b}"
        return f"{self.max_rel:.2%} max rel. diff ({counts} losses)"


def compare(a: list[float], b: list[float]) -> Agreement:
    """The largest |a_i - b_i| / max(|a_i|, |b_i|) over the pairs (0 when both are 0)."""
    rel = [abs(x - y) / max(abs(x), abs(y)) if (x or y) else 0.0 for x, y in zip(a, b)]
    return Agreement(len(a), len(b), max(rel) if rel else None)


def outcome(run: Run | None) -> str:
    """A table cell: 'ok (12 s)' or the error line."""
    if run is None:
        return "not run"
    return f"ok ({run.seconds:.0f} s)" if run.ok else f"**{run.error}** ({run.seconds:.0f} s)"


def main(argv: list[str] | None = None) -> int:
    """Run the named scripts (default: all) with both libraries; print a markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help=f"of: {', '.join(SCRIPTS)}")
    ap.add_argument("--script", type=Path, help="run this .py instead of named ones")
    ap.add_argument("--loss-pattern", help="regex with one group: a loss (with --script)")
    ap.add_argument("--tutorials", default=TUTORIALS_GIT)
    ap.add_argument("--d2l", default=D2L_GIT)
    ap.add_argument("--out", type=Path, default=Path("/tmp/course_scripts"))
    ap.add_argument("--timeout", type=float, help="seconds per run (default: per script)")
    ap.add_argument("--lib", choices=("torch", "minigrad"), action="append",
                    help="run only this library (repeatable; default both)")
    ap.add_argument("--placeholders", default="",
                    help="comma-separated torch names missing in minigrad to define, in the "
                         "minigrad run only, as functions that raise (to see past an import "
                         "that fails on them): e.g. torch.sinh,torch.cosh,torch.normal")
    args = ap.parse_args(argv)
    libs = args.lib or ["torch", "minigrad"]
    jobs: list[tuple[str, Spec, Path]] = []
    if args.script:
        pattern = (re.compile(args.loss_pattern),) if args.loss_pattern else (LOSS_WORD,)
        spec = Spec("file", str(args.script), losses=pattern)
        jobs.append((args.script.stem, spec, args.script.resolve()))
    else:
        for name in args.names or list(SCRIPTS):
            if name not in SCRIPTS:
                ap.error(f"unknown script {name!r}; known: {', '.join(SCRIPTS)}")
            spec = SCRIPTS[name]
            jobs.append((name, spec, prepare(name, spec, args.out / name / "src",
                                             args.tutorials, args.d2l)))
    results = {}
    print("| script | torch | minigrad | printed losses |\n| --- | --- | --- | --- |",
          flush=True)
    for name, spec, script in jobs:
        runs: dict[str, Run] = {}
        for lib in libs:
            env = environment(lib, spec.env, args.placeholders)
            runs[lib] = run_script(script, lib, args.out / name / lib, env,
                                   args.timeout or spec.timeout, spec.stage)
            (args.out / name / f"{lib}.stdout").write_text(runs[lib].stdout)
            (args.out / name / f"{lib}.stderr").write_text(runs[lib].stderr)
        agree = (compare(losses(runs["torch"].stdout, spec.losses),
                         losses(runs["minigrad"].stdout, spec.losses))
                 if len(runs) == 2 else None)
        print(f"| {name} | {outcome(runs.get('torch'))} | {outcome(runs.get('minigrad'))} | "
              f"{agree if agree else '-'} |", flush=True)
        results[name] = {"runs": {k: {**asdict(v), "stdout": None, "stderr": None}
                                  for k, v in runs.items()},
                         "agreement": asdict(agree) if agree else None, "env": spec.env}
    meta = {"date": datetime.date.today().isoformat(),
            "tutorials": TUTORIALS_REV, "d2l": D2L_REV,
            "minigrad": subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"],
                                       capture_output=True, text=True).stdout.strip()}
    (args.out / "results.json").write_text(json.dumps({"meta": meta, "results": results},
                                                      indent=1))
    print(f"\n{meta} logs in {args.out}/NAME/{{torch,minigrad}}.std{{out,err}}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
