"""The README's course-coverage table is the one names.json and today's minigrad give, and the
extractor that made names.json counts right: import aliases, Tensor methods, d2l's tabs."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks" / "course_coverage"


def load(name: str) -> ModuleType:
    """A script of benchmarks/course_coverage/, imported under a name of its own."""
    spec = importlib.util.spec_from_file_location(f"course_coverage_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


table = load("table")
extract = load("extract")


# ---- the table ---------------------------------------------------------------------------------

def test_readme_block_is_what_table_py_makes_today() -> None:
    assert table.readme_block() == table.markdown(table.load()), (
        "the README's course-coverage table is stale: "
        "python benchmarks/course_coverage/table.py --write")


def test_every_reason_explains_a_name_the_table_lists_as_missing() -> None:
    missing = [name for name, *_, have in table.rows(table.load()) if not have]
    stale = [key for key in table.REASONS
             if not any(name == key or key.endswith("*") and name.startswith(key[:-1])
                        for name in missing)]
    assert not stale, f"REASONS for names minigrad now has or the course no longer uses: {stale}"


def test_names_json_records_its_sources() -> None:
    data = table.load()
    for label in ("d2l", "tutorials"):
        source = data["sources"][label]
        assert len(source["commit"]) == 40 and source["files"] > 0
    assert all(e["uses"] >= e["files"] >= 1 and e["sources"] for e in data["names"].values())


def test_minigrad_has_maps_torch_names_onto_minigrad() -> None:
    assert table.minigrad_has("torch.nn.Linear") and table.minigrad_has("Tensor.backward")
    assert table.minigrad_has("torch.nn.functional.relu")
    assert not table.minigrad_has("torch.nn.NoSuchLayer")
    assert not table.minigrad_has("Tensor.no_such_method")


# ---- the extractor on a small synthetic course -------------------------------------------------

CHAPTER = '''Text.

```{.python .input}
%load_ext d2lbook.tab
tab.interact_select(['mxnet', 'pytorch'])
```

```{.python .input}
%%tab mxnet
from mxnet import np
x = np.ones(3)
x.sum()
```

```{.python .input}
%%tab pytorch
%matplotlib inline
import torch
from torch import nn
from torch.utils import data
import torch.nn.functional as F
```

```{.python .input}
#@tab all
y = torch.ones(3).reshape(3, 1)
if tab.selected('mxnet'):
    z = nn.Dense(3)
if tab.selected('pytorch'):
    z = nn.Linear(3, 2)
```

```{.python .input  n=4}
%%tab mxnet, pytorch
class Net(nn.Module):
    def forward(self, X):
        return F.relu(X).sum()
line = "a b"
line.split(' ')
data.DataLoader([1], batch_size=1)
```

```{.python .input}
%%tab pytorch
def f(nn):
    return nn.Linear(1)
```

```{.python .input}
%%tab pytorch
x = = 1  # does not parse
```
'''

UNTAGGED = '''```{.python .input}
import torch.optim as optim
from torch.utils.data import DataLoader as DL
opt = optim.SGD([], lr=0.1)
DL([])
```
'''

LIBRARY = '''import torch
ones = torch.ones
reduce_sum = lambda x, *a: x.sum(*a)
'''

TUTORIAL = '''import torch
from torch import optim
from torch.optim import lr_scheduler
import numpy as np
x = torch.randn(2, 3)
x.view(6).mean()
np.mean([1])
s = lr_scheduler.StepLR(None, 1)
torch.ones(1)
'''

METHODS = frozenset({"sum", "reshape", "view", "mean", "split"})


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture
def course(tmp_path: Path) -> tuple[Path, Path]:
    d2l = write(tmp_path / "d2l", {
        "chapter_preliminaries/a.md": CHAPTER,
        "chapter_linear-regression/b.md": UNTAGGED,
        "chapter_recurrent-neural-networks/c.md": UNTAGGED,  # not a chapter of this course
        "d2l/torch.py": LIBRARY})
    tutorials = write(tmp_path / "tutorials", {
        "beginner_source/t.py": TUTORIAL,
        "beginner_source/sub/u.py": "import torch\ntorch.randn(1)\ntorch.randn(2)\n",
        "beginner_source/notes.txt": "torch.randn(3)\n",
        "intermediate_source/v.py": "import torch\ntorch.randn(4)\n"})
    return d2l, tutorials


def table_of(counts: object) -> dict[str, tuple[int, int]]:
    return {name: (n, len(counts.files[name])) for name, n in counts.uses.items()}


def test_d2l_counts_pytorch_cells_with_their_aliases(course: tuple[Path, Path]) -> None:
    counts = extract.count(extract.d2l_units(extract.Source(course[0])), METHODS)
    assert table_of(counts) == {
        "torch.ones": (2, 2),  # a call in a.md and d2l/torch.py's alias `ones = torch.ones`
        "Tensor.reshape": (1, 1),
        "torch.nn.Linear": (1, 1),  # not nn.Dense (mxnet's branch), not f's parameter nn
        "torch.nn.Module": (1, 1),  # a base class
        "torch.nn.functional.relu": (1, 1),
        "Tensor.sum": (2, 2),  # F.relu(X).sum() and the lambda in d2l/torch.py, not mxnet's
        "torch.utils.data.DataLoader": (2, 2),  # data.DataLoader, then DL in b.md
        "torch.optim.SGD": (1, 1),  # b.md has no tab line: all of it is PyTorch's
    }
    assert counts.units == 3 and len(counts.skipped) == 1 and "a.md" in counts.skipped[0]


def test_tutorials_counts_beginner_scripts(course: tuple[Path, Path]) -> None:
    counts = extract.count(extract.tutorial_units(extract.Source(course[1])), METHODS)
    assert table_of(counts) == {
        "torch.randn": (3, 2), "Tensor.view": (1, 1), "Tensor.mean": (1, 1),  # not np.mean
        "torch.optim.lr_scheduler.StepLR": (1, 1), "torch.ones": (1, 1)}
    assert counts.units == 2 and not counts.skipped


def test_names_torch_lacks_are_set_apart(course: tuple[Path, Path]) -> None:
    counts = extract.count(extract.d2l_units(extract.Source(course[0])), METHODS,
                           lambda name: None if name == "torch.nn.Linear" else True)
    assert "torch.nn.Linear" not in counts.uses
    assert counts.not_in_torch == {"torch.nn.Linear": 1}


def test_merge_adds_up_sources(course: tuple[Path, Path]) -> None:
    d2l, tutorials = course
    merged = extract.merge({
        "d2l": extract.count(extract.d2l_units(extract.Source(d2l)), METHODS),
        "tutorials": extract.count(extract.tutorial_units(extract.Source(tutorials)), METHODS)})
    assert merged["torch.ones"] == {"uses": 3, "files": 3, "sources": ["d2l", "tutorials"]}
    assert merged["torch.randn"] == {"uses": 3, "files": 2, "sources": ["tutorials"]}


def test_a_git_directory_is_read_at_its_commit(course: tuple[Path, Path]) -> None:
    repo = course[1]
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "course"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    (repo / "beginner_source" / "t.py").unlink()  # gone from the folder, not from the commit
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
    source = extract.Source(repo / ".git")
    assert source.commit() == head
    counts = extract.count(extract.tutorial_units(source), METHODS)
    assert counts.uses["torch.randn"] == 3 and counts.units == 2
