"""Graded exercises: write the textbook pieces of minigrad yourself, and let the engine run them.

    python -m minigrad.exercises                  # the list, in the lecture's order
    python -m minigrad.exercises new DIR          # a workspace of stubs to fill in
    python -m minigrad.exercises new DIR --solved # the answer key (the library's own code)
    python -m minigrad.exercises check DIR [NAME] # grade them: PASS name / FAIL name: why

Each exercise is one file in the workspace holding one function (or method) of the library:
its signature, docstring and a hint, the body ``raise NotImplementedError``. ``check`` puts
the student's function in place of the library's inside the engine, for that run only (the
textbook path: fast twins off), and grades it with the references the library's own tests
use: naive loops that follow the definition, finite differences in float64
(``mg.testing.check_graph`` names the node whose backward is wrong), PyTorch's formulas; never
by comparing with the answer's text. Properties run on inputs drawn by hypothesis; a failure
shows the smallest failing case it finds.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import inspect
import os
import sys
import tempfile
import textwrap
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minigrad.exercises.catalog import EXERCISES, Exercise

__all__ = ["EXERCISES", "Exercise", "check", "installed", "write_workspace"]


def _resolve(place: str) -> Any:
    """``"minigrad.ops.elementwise:Sigmoid"`` -> the class; ``"minigrad.autograd"`` -> module."""
    module_name, _, cls = place.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, cls) if cls else module


def answer_source(ex: Exercise) -> str:
    """The library's own code for the exercise (its decorators left out), dedented."""
    source = textwrap.dedent(inspect.getsource(inspect.unwrap(ex.target())))
    lines = source.splitlines()
    while lines and lines[0].lstrip().startswith("@"):
        lines.pop(0)
    return "\n".join(lines) + "\n"


def stub_source(ex: Exercise) -> str:
    """The answer's signature and docstring, then the hint and ``raise NotImplementedError``."""
    source = answer_source(ex)
    fn = ast.parse(source).body[0]
    assert isinstance(fn, ast.FunctionDef)
    lines = source.splitlines()
    first = fn.body[0]
    has_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and \
        isinstance(first.value.value, str)
    keep = first.end_lineno if has_doc else first.lineno - 1  # (1-based lines)
    hint = "\n".join("    # " + line if line else "    #"
                     for line in textwrap.wrap(f"Hint: {ex.hint}", 92))
    return "\n".join(lines[:keep]) + "\n" + hint + "\n    raise NotImplementedError\n"


def file_text(ex: Exercise, solved: bool) -> str:
    """A workspace file: what it is, the imports, and the stub (or the answer)."""
    what = "answer key" if solved else "exercise"
    head = (f'"""Exercise {EXERCISES.index(ex) + 1}: {ex.title} ({what}).\n\n'
            f"Taught in: {ex.lecture}. About {ex.minutes} minutes.\n"
            f"Grade it: python -m minigrad.exercises check DIR {ex.name}\n"
            '"""\n\n')
    body = answer_source(ex) if solved else stub_source(ex)
    return head + "from __future__ import annotations\n\n" + ex.header.strip() + "\n\n\n" + body


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_workspace(directory: str | os.PathLike, solved: bool = False, force: bool = False
                    ) -> list[Path]:
    """Write one file per exercise into ``directory`` (made if missing); a file that is there
    already is kept (a student's work is never overwritten) unless ``force``. The written."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for ex in EXERCISES:
        path = root / ex.filename
        if path.exists() and not force:
            continue
        _write_atomically(path, file_text(ex, solved))
        written.append(path)
    return written


def load_student(ex: Exercise, directory: str | os.PathLike) -> Any:
    """The student's function for ``ex`` from its file in ``directory``."""
    path = Path(directory) / ex.filename
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing (python -m minigrad.exercises new "
                                f"{directory} writes it)")
    spec = importlib.util.spec_from_file_location(f"_minigrad_exercise_{ex.name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = getattr(module, ex.function_name, None)
    if not callable(found):
        raise AttributeError(f"{path.name} defines no function {ex.function_name}()")
    return found


@contextlib.contextmanager
def installed(pieces: dict[str, Any]) -> Iterator[None]:
    """The students' functions (by exercise name) in place of the library's, everywhere the
    library refers to them (also a module that imported it by name), with the fast twins off;
    everything as it was afterwards."""
    from minigrad.backends import fast_paths

    undo: list[tuple[Any, str, Any]] = []
    try:
        for name, fn in pieces.items():
            ex = BY_NAME[name]
            for place, attr in ex.places:
                owner = _resolve(place)
                original = vars(owner)[attr]  # (a class's own method, or a module's function)
                holders = [owner] + [m for key, m in list(sys.modules.items())
                                     if key.startswith("minigrad") and m is not owner
                                     and getattr(m, attr, None) is original]
                for holder in holders:  # (each held the very same object)
                    undo.append((holder, attr, original))
                    setattr(holder, attr, fn)
        with fast_paths(False):
            yield
    finally:
        for holder, attr, original in reversed(undo):
            setattr(holder, attr, original)


@dataclass
class Result:
    """One exercise's grade."""

    name: str
    passed: bool
    message: str = ""
    seconds: float = 0.0

    def line(self) -> str:
        return f"PASS {self.name}" if self.passed else f"FAIL {self.name}: {self.message}"


def _one_line(error: BaseException) -> str:
    """An error as one line: its message, then hypothesis's smallest failing case."""
    text = str(error) if isinstance(error, AssertionError) else \
        f"{type(error).__name__}: {error}"
    shrunk = any(n.startswith(("Falsifying", "Failing")) for n in getattr(error, "__notes__",
                                                                          []))
    parts = [p.strip() for p in text.splitlines() if p.strip()]
    line = "; ".join(parts).replace(":; ", ": ")
    # (the message names the case it failed on: after shrinking, the smallest one found)
    return line + (" (the smallest failing case hypothesis found)" if shrunk else "")


def grade_one(ex: Exercise, directory: str | os.PathLike, passed: dict[str, Any]) -> Result:
    """Load, install and grade one exercise (``passed``: the pieces that passed so far)."""
    start = time.perf_counter()
    try:
        fn = load_student(ex, directory)
    except Exception as e:  # a syntax error, a missing file...
        return Result(ex.name, False, f"could not load it: {_one_line(e)}")
    missing = [n for n in ex.needs if n not in passed]
    if missing:
        return Result(ex.name, False, f"runs with your {', '.join(missing)}: pass "
                      f"{'it' if len(missing) == 1 else 'them'} first")
    try:
        with installed({**{n: passed[n] for n in ex.needs}, ex.name: fn}), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (a wrong answer may overflow: its line says so)
            ex.grade(fn)
    except NotImplementedError:
        return Result(ex.name, False, "not written yet (its body raises NotImplementedError)")
    except Exception as e:  # AssertionError: a wrong answer; anything else: it crashed
        return Result(ex.name, False, _one_line(e), time.perf_counter() - start)
    passed[ex.name] = fn
    return Result(ex.name, True, seconds=time.perf_counter() - start)


def check(directory: str | os.PathLike, names: list[str] | None = None,
          out: Callable[[str], None] = print) -> list[Result]:
    """Grade the workspace (all exercises, or ``names``), printing one line per exercise."""
    unknown = [n for n in names or [] if n not in BY_NAME]
    if unknown:
        raise ValueError(f"no exercise named {', '.join(unknown)}; the exercises: "
                         f"{', '.join(BY_NAME)}")
    results: list[Result] = []
    passed: dict[str, Any] = {}  # the pieces that passed so far
    for ex in EXERCISES:
        wanted = names is None or ex.name in names
        if not wanted and not any(ex.name in BY_NAME[n].needs for n in names or []):
            continue
        result = grade_one(ex, directory, passed)
        if wanted:
            results.append(result)
            out(result.line())
    return results


BY_NAME = {ex.name: ex for ex in EXERCISES}
