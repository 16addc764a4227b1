"""Count the PyTorch names that real course code calls: d2l-en and PyTorch's beginner tutorials.

Regenerates ``names.json`` beside this file; nothing in minigrad or its tests needs the network
or these sources (the JSON is committed)::

    python benchmarks/course_coverage/extract.py D2L_EN TUTORIALS [--d2l-rev REV]
        [--tutorials-rev REV] [-o names.json]

D2L_EN and TUTORIALS are git directories (bare or not) or plain checkouts of
github.com/d2l-ai/d2l-en and github.com/pytorch/tutorials. Read from them:

* d2l-en: the code cells (```{.python .input}) of the chapters in ``CHAPTERS`` that PyTorch
  runs (a ``%%tab`` / ``#@tab`` line naming ``pytorch`` or ``all``; an untagged cell only in a
  file with no tab line at all that uses torch), and ``d2l/torch.py``, the library they call.
  IPython lines (``%matplotlib inline``, ``!pip``) are blanked; a cell that still does not
  parse is skipped and counted.
* tutorials: every ``beginner_source/**/*.py``.

A *use* is a call (``torch.ones(3)``, ``nn.Linear(2, 3)``, ``@torch.no_grad()``), a base class
(``class Net(nn.Module)``), a bare decorator, or a module-level alias of a callable
(d2l/torch.py's ``ones = torch.ones``, which the chapters call as ``d2l.ones``). Names are
written in full after resolving each file's imports (``import torch.nn as nn``, ``from
torch.utils import data``, ``from torch.utils.data import DataLoader``...):
``torch.nn.Linear``, ``torch.nn.functional.relu``, ``torch.utils.data.DataLoader``; names the
installed torch lacks are listed apart (``not_in_torch``). A call ``expr.name(...)`` whose
``name`` is a public ``torch.Tensor`` method counts as ``Tensor.name`` unless ``expr`` is surely
something else: a module (``np.sum``, ``d2l.reshape``: not torch), a string, a container, an
object of another class (``model = Net(); model.to(device)`` is Module.to), a name every binding
in the file makes one of those, or a call whose arguments fit only str/list/dict
(``line.split(' ')``). Without types this stays a count by name: ``net.to(device)`` with ``net``
a parameter still counts as ``Tensor.to``.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import importlib
import json
import re
import subprocess
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

CHAPTERS = ("chapter_preliminaries", "chapter_linear-regression",
            "chapter_linear-classification", "chapter_multilayer-perceptrons",
            "chapter_builders-guide", "chapter_convolutional-neural-networks",
            "chapter_convolutional-modern", "chapter_computer-vision", "chapter_optimization")
D2L_LIBRARY = "d2l/torch.py"
TUTORIALS_DIR = "beginner_source/"

CELL = re.compile(r"^```\{\.python \.input[^}]*\}[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
TAB = re.compile(r"^[ \t]*(?:%%tab|#@tab)\b(.*)$")
MAGIC = re.compile(r"^[ \t]*[%!]")


# ---- reading the sources ------------------------------------------------------------------------

class Source:
    """A repository at one revision: a git directory (bare or a checkout's) or a plain folder."""

    def __init__(self, path: str | Path, rev: str = "HEAD") -> None:
        self.path = Path(path)
        self.rev = rev
        git_dir = self.path / ".git" if (self.path / ".git").exists() else self.path
        self.git_dir = git_dir if (git_dir / "HEAD").exists() else None

    def _git(self, *args: str) -> str:
        return subprocess.run(["git", "--git-dir", str(self.git_dir), *args], check=True,
                              capture_output=True, text=True).stdout

    def commit(self) -> str | None:
        """The full commit id read, or None for a plain folder."""
        return self._git("rev-parse", f"{self.rev}^{{commit}}").strip() if self.git_dir else None

    def files(self) -> list[str]:
        """Every file's path, '/'-separated, sorted."""
        if self.git_dir:
            return sorted(self._git("ls-tree", "-r", "--name-only", self.rev).splitlines())
        return sorted(p.relative_to(self.path).as_posix() for p in self.path.rglob("*")
                      if p.is_file() and ".git" not in p.relative_to(self.path).parts)

    def read(self, name: str) -> str:
        """One file's text."""
        if self.git_dir:
            return self._git("show", f"{self.rev}:{name}")
        return (self.path / name).read_text(encoding="utf-8")


def pytorch_cells(markdown: str) -> list[str]:
    """The code of the cells PyTorch runs in one d2l markdown file, tab lines removed."""
    cells = CELL.findall(markdown)
    tagged = any(TAB.match(line) for cell in cells for line in cell.splitlines())
    only_torch = not tagged and "torch" in "".join(cells)
    kept = []
    for cell in cells:
        lines = cell.splitlines()
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        tab = TAB.match(lines[first]) if first is not None else None
        if tab:
            frameworks = {f.strip() for f in tab.group(1).split(",")}
            if not frameworks & {"pytorch", "all"}:
                continue
            lines[first] = ""
        elif not only_torch:
            continue
        kept.append("\n".join("" if MAGIC.match(line) else line for line in lines))
    return kept


# ---- counting ----------------------------------------------------------------------------------

def dotted(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ['a', 'b', 'c']; None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


def imports(trees: Iterable[ast.AST]) -> dict[str, str]:
    """Every name an import binds in these trees -> the full module or object name."""
    bound = {}
    for tree in trees:
        for node in walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        bound[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        bound[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name != "*":
                        bound[a.asname or a.name] = f"{node.module}.{a.name}"
    return bound


def selects_pytorch(test: ast.expr) -> bool | None:
    """Whether a d2l ``if tab.selected('pytorch', ...)`` test holds for PyTorch; None when the
    test is not about tabs."""
    if isinstance(test, ast.Call) and dotted(test.func) == ["tab", "selected"]:
        return any(isinstance(a, ast.Constant) and a.value == "pytorch" for a in test.args)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = selects_pytorch(test.operand)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        values = [selects_pytorch(v) for v in test.values]
        if None in values:
            return None
        return any(values) if isinstance(test.op, ast.Or) else all(values)
    return None


def walk(tree: ast.AST) -> Iterator[ast.AST]:
    """``ast.walk`` without the branches of ``if tab.selected(...)`` that PyTorch does not run."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        pytorch = selects_pytorch(node.test) if isinstance(node, ast.If) else None
        if pytorch is None:
            todo.extend(ast.iter_child_nodes(node))
        else:
            todo.extend(node.body if pytorch else node.orelse)


STR_ONLY = frozenset(n for n in dir(str) if not n.startswith("_")) | {"read", "readline"}
LITERALS = (ast.JoinedStr, ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp,
            ast.SetComp, ast.Tuple)
BUILTINS = {"str", "list", "dict", "set", "tuple", "open", "len", "int", "float", "range",
            "enumerate", "zip", "sorted", "repr", "format"}


def is_text(node: ast.expr) -> bool:
    """Whether ``node`` is a string: a literal, an f-string, or a string-only method's result."""
    return (isinstance(node, ast.JoinedStr)
            or (isinstance(node, ast.Constant) and isinstance(node.value, str | bytes))
            or (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in STR_ONLY - {"split", "index", "count"}))


def builtin_signature(call: ast.Call) -> bool:
    """Whether a call of a name Tensor shares with str, list or dict surely is not Tensor's:
    ``s.split()`` / ``s.split(' ')`` (Tensor.split needs a size), ``xs.index(v)`` (Tensor.index
    binds functorch's first-class dims), ``d.values()`` (Tensor.values is for sparse tensors,
    which no course code makes)."""
    name, args = call.func.attr, call.args  # type: ignore[attr-defined]
    if name == "split":
        return not args or (isinstance(args[0], ast.Constant) and isinstance(args[0].value, str))
    return name in ("index", "values")


class NotTensors:
    """What in one file is surely not a tensor: strings, containers, files, instances of classes
    other than torch's tensors (``d2l.Animator()``, ``nn.Linear()``, a class the file defines),
    and the names (``line``, ``self.animator``) that every binding makes one of those."""

    def __init__(self, trees: list[ast.AST], bound: dict[str, str]) -> None:
        self.bound = bound
        self.classes = {n.name for t in trees for n in walk(t) if isinstance(n, ast.ClassDef)}
        self.names: set[str] = set()
        self.texts: set[str] = set()  # names of strings, or of lists of them
        for _ in range(3):  # `lines = f.readlines()`, then `for line in lines`, then `line.split()`
            kinds: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
            for tree in trees:
                for node in walk(tree):
                    for target, kind in self._bindings(node):
                        name = dotted(target)
                        if name is not None:
                            kinds[".".join(name)].append(kind)
                        else:  # a tuple target: each name bound to something unknown
                            for n in ast.walk(target):
                                if isinstance(n, ast.Name):
                                    kinds[n.id].append((False, False))
            self.names = {name for name, ks in kinds.items() if all(k[0] for k in ks)}
            self.texts = {name for name, ks in kinds.items() if all(k[1] for k in ks)}

    def _bindings(self, node: ast.AST) -> list[tuple[ast.expr, tuple[bool, bool]]]:
        """(target, (surely not a tensor, text)) for each name ``node`` binds."""
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            text = self.is_text(node.value)
            kind = (text or self.made(node.value), text)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            return [(t, kind) for t in targets]
        if isinstance(node, ast.AugAssign | ast.NamedExpr):
            return [(node.target, (False, False))]
        if isinstance(node, ast.For | ast.comprehension):
            text = self.iterates_text(node.iter)
            return [(node.target, (text, text))]
        if isinstance(node, ast.With):
            return [(i.optional_vars, (True, True)) for i in node.items
                    if i.optional_vars is not None and isinstance(i.context_expr, ast.Call)
                    and dotted(i.context_expr.func) == ["open"]]
        return []

    def is_text(self, value: ast.expr) -> bool:
        """Whether ``value`` is a string, a file or a list of strings."""
        if is_text(value) or (isinstance(value, ast.Call) and dotted(value.func) == ["open"]):
            return True
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
            if value.func.attr in {"splitlines", "readlines"}:
                return True
            if value.func.attr == "split":
                return self.is_text(value.func.value)
        name = dotted(value)
        if name is not None and ".".join(name) in self.texts:
            return True
        return isinstance(value, ast.Subscript) and self.is_text(value.value)

    def made(self, value: ast.expr) -> bool:
        """Whether ``value`` makes something other than a tensor."""
        if is_text(value) or isinstance(value, LITERALS):
            return True
        if not isinstance(value, ast.Call):
            return False
        parts = dotted(value.func)
        if parts is None:
            return False
        if len(parts) == 1 and (parts[0] in BUILTINS or parts[0] in self.classes):
            return True
        last, root = parts[-1], self.bound.get(parts[0], "")
        if not last[:1].isupper() or len(parts) == 1 and parts[0] not in self.bound:
            return False
        if root == "torch" or root.startswith("torch."):  # a module, dataset...: not a tensor
            return not (last.endswith("Tensor") or last == "Parameter")
        return True

    def iterates_text(self, it: ast.expr) -> bool:
        """Whether looping over ``it`` gives strings (a file's lines, a string's words)."""
        return self.is_text(it)

    def __call__(self, receiver: ast.expr) -> bool:
        """Whether a method's receiver is surely not a tensor."""
        name = dotted(receiver)
        return (self.is_text(receiver) or self.made(receiver)
                or (name is not None and ".".join(name) in self.names))


@dataclass
class Counts:
    """Uses per name, the files each name is used in, and what could not be read."""

    uses: Counter = field(default_factory=Counter)
    files: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    not_in_torch: Counter = field(default_factory=Counter)
    units: int = 0
    cells: int = 0
    skipped: list[str] = field(default_factory=list)

    def add(self, name: str, where: str) -> None:
        self.uses[name] += 1
        self.files[name].add(where)


class Visitor(ast.NodeVisitor):
    """Counts the torch names and Tensor methods one file's code uses."""

    def __init__(self, bound: dict[str, str], methods: frozenset[str],
                 exists: Callable[[str], bool | None], counts: Counts, where: str,
                 not_tensor: Callable[[ast.expr], bool] = lambda node: False) -> None:
        self.bound, self.methods, self.exists = bound, methods, exists
        self.not_tensor = not_tensor
        self.counts, self.where = counts, where
        self.shadowed: list[set[str]] = []  # each enclosing function's parameters

    def resolve(self, node: ast.expr) -> str | None:
        """The full torch name of ``node``, None when it is not one."""
        parts = dotted(node)
        if not parts or parts[0] not in self.bound or any(parts[0] in s for s in self.shadowed):
            return None
        name = ".".join([self.bound[parts[0]], *parts[1:]])
        return name if name == "torch" or name.startswith("torch.") else None

    def use(self, node: ast.expr) -> bool:
        """Count ``node`` if it names something in torch; whether it was a torch name."""
        name = self.resolve(node)
        if name is None:
            return False
        if self.exists(name) is not None:
            self.counts.add(name, self.where)
        else:
            self.counts.not_in_torch[name] += 1
        return True

    def visit_Call(self, node: ast.Call) -> None:  # noqa: N802 (ast's naming)
        func = node.func
        if not self.use(func) and isinstance(func, ast.Attribute):
            receiver = func.value
            module = dotted(receiver)
            is_module = module is not None and module[0] in self.bound and not any(
                module[0] in s for s in self.shadowed)
            if (func.attr in self.methods and not is_module and not self.not_tensor(receiver)
                    and not builtin_signature(node)):
                self.counts.add(f"Tensor.{func.attr}", self.where)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:  # noqa: N802 (ast's naming)
        name = self.resolve(node.value) if not self.shadowed else None
        if name is not None and self.exists(name):  # d2l/torch.py's `ones = torch.ones`,
            self.counts.add(name, self.where)  # which the chapters call as d2l.ones
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:  # noqa: N802 (ast's naming)
        pytorch = selects_pytorch(node.test)
        if pytorch is None:
            self.generic_visit(node)
        else:  # d2l's `if tab.selected('mxnet'):` inside a cell every framework runs
            for child in node.body if pytorch else node.orelse:
                self.visit(child)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        if not isinstance(node, ast.Lambda):
            for d in node.decorator_list:
                if not isinstance(d, ast.Call):
                    self.use(d)
        a = node.args
        params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, [a.vararg, a.kwarg])]
        for d in [*a.defaults, *a.kw_defaults, *(getattr(node, "decorator_list", []))]:
            if d is not None:
                self.visit(d)
        self.shadowed.append({p.arg for p in params})
        for child in (node.body if isinstance(node.body, list) else [node.body]):
            self.visit(child)
        self.shadowed.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function  # noqa: N815

    def visit_ClassDef(self, node: ast.ClassDef) -> None:  # noqa: N802 (ast's naming)
        for base in node.bases:
            self.use(base)
        for d in node.decorator_list:
            if not isinstance(d, ast.Call):
                self.use(d)
        self.generic_visit(node)


def count_file(codes: list[str], where: str, counts: Counts, methods: frozenset[str],
               exists: Callable[[str], bool | None]) -> None:
    """Count one file's code (its cells, or the whole file as one): imports are the file's."""
    trees = []
    for i, code in enumerate(codes):
        counts.cells += 1
        try:
            trees.append(ast.parse(code))
        except SyntaxError as e:
            counts.skipped.append(f"{where} (code {i + 1}: {e.msg}, line {e.lineno})")
    counts.units += 1
    bound = imports(trees)
    bound.setdefault("d2l", "d2l")  # d2l/torch.py names itself: d2l = sys.modules[__name__]
    not_tensor = NotTensors(trees, bound)
    for tree in trees:
        Visitor(bound, methods, exists, counts, where, not_tensor).visit(tree)


def d2l_units(source: Source) -> Iterator[tuple[str, list[str]]]:
    """(path, the PyTorch code cells) of the chosen chapters, then d2l/torch.py."""
    for name in source.files():
        if name.split("/")[0] in CHAPTERS and name.endswith(".md"):
            yield name, pytorch_cells(source.read(name))
    yield D2L_LIBRARY, [source.read(D2L_LIBRARY)]


def tutorial_units(source: Source) -> Iterator[tuple[str, list[str]]]:
    """(path, [the file]) of every beginner tutorial script."""
    for name in source.files():
        if name.startswith(TUTORIALS_DIR) and name.endswith(".py"):
            yield name, [source.read(name)]


def count(units: Iterable[tuple[str, list[str]]], methods: frozenset[str],
          exists: Callable[[str], bool | None] = lambda name: True) -> Counts:
    """Count every unit; ``exists(name)`` is None for a name torch lacks, else whether it is
    callable."""
    counts = Counts()
    for where, codes in units:
        count_file(codes, where, counts, methods, exists)
    return counts


# ---- torch as the judge of names --------------------------------------------------------------

def torch_methods() -> frozenset[str]:
    """The public methods of torch.Tensor."""
    import torch
    return frozenset(n for n in dir(torch.Tensor)
                     if not n.startswith("_") and callable(getattr(torch.Tensor, n, None)))


def torch_has(name: str) -> bool | None:
    """None when the dotted ``name`` (``torch.nn.functional.relu``) is not in the installed
    torch, else whether it is callable."""
    parts = name.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=1):
        if part.startswith("_"):
            return None
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:
            obj = importlib.import_module(".".join(parts[: i + 1]))
        except ImportError:
            return None
    return callable(obj)


def merge(per_source: dict[str, Counts]) -> dict[str, dict]:
    """name -> uses, files and sources over every source, most used first."""
    names: dict[str, dict] = {}
    for label, counts in per_source.items():
        for name, n in counts.uses.items():
            entry = names.setdefault(name, {"uses": 0, "files": 0, "sources": []})
            entry["uses"] += n
            entry["files"] += len(counts.files[name])
            entry["sources"].append(label)
    return dict(sorted(names.items(), key=lambda kv: (-kv[1]["uses"], kv[0])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("d2l", help="d2l-en: a git directory or a checkout")
    parser.add_argument("tutorials", help="pytorch/tutorials: a git directory or a checkout")
    parser.add_argument("--d2l-rev", default="HEAD")
    parser.add_argument("--tutorials-rev", default="HEAD")
    parser.add_argument("--note", action="append", default=[], metavar="SOURCE=TEXT",
                        help="a note kept with a source (d2l or tutorials), e.g. where it was read")
    parser.add_argument("-o", "--output", default=str(Path(__file__).with_name("names.json")))
    args = parser.parse_args()
    import torch

    methods = torch_methods()
    sources = {"d2l": (Source(args.d2l, args.d2l_rev), d2l_units, "d2l-ai/d2l-en"),
               "tutorials": (Source(args.tutorials, args.tutorials_rev), tutorial_units,
                             "pytorch/tutorials")}
    per_source, about = {}, {}
    for label, (source, units, repo) in sources.items():
        counts = count(units(source), methods, torch_has)
        per_source[label] = counts
        about[label] = {"repository": f"https://github.com/{repo}", "commit": source.commit(),
                        "files": counts.units, "code_units": counts.cells,
                        "skipped_unparsable": len(counts.skipped), "skipped": counts.skipped,
                        "not_in_torch": dict(counts.not_in_torch.most_common())}
    for note in args.note:
        label, _, text = note.partition("=")
        about[label]["note"] = text
    out = {"extracted": datetime.date.today().isoformat(), "torch": torch.__version__,
           "what_counts": "a call, a base class, a bare decorator or a top-level alias "
                          "(d2l's ones = torch.ones) of a torch name, in full after each file's "
                          "imports; Tensor.NAME: expr.NAME(...) where NAME is a public "
                          "torch.Tensor method and expr is not surely something else (a module, "
                          "a string, a container, a non-tensor object): by name, not by type",
           "sources": about, "names": merge(per_source)}
    Path(args.output).write_text(json.dumps(out, indent=1) + "\n")
    print(f"{len(out['names'])} names -> {args.output}")
    for label, a in about.items():
        print(f"{label}: {a['commit']}, {a['files']} files, {a['code_units']} code units, "
              f"{a['skipped_unparsable']} skipped")


if __name__ == "__main__":
    main()
