"""Which PyTorch names that course code calls (names.json) minigrad has: a table for the README.

    python benchmarks/course_coverage/table.py           # print the table
    python benchmarks/course_coverage/table.py --write   # and put it into README.md

``torch.X`` is looked up as ``minigrad.X`` (``torch.nn.functional.relu`` as
``minigrad.nn.functional.relu``), ``Tensor.X`` as an attribute of ``minigrad.Tensor``. Names the
course calls at least twice are counted; a missing one shows its reason from ``REASONS`` (an
exact name, or a prefix ending in ``*``), or "missing".
"""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NAMES = HERE / "names.json"
README = ROOT / "README.md"
START, END = "<!-- coverage:start -->\n", "<!-- coverage:end -->"
MIN_USES = 2

# (title, prefix): the first group whose prefix a name starts with is its group.
GROUPS = [("nn.functional", "torch.nn.functional."), ("optim", "torch.optim."),
          ("utils.data", "torch.utils.data."), ("nn modules (and nn.init, nn.utils)", "torch.nn."),
          ("Tensor methods", "Tensor."), ("torch functions", "torch.")]

SEQUENCES = "outside this course: sequence models"
REASONS: dict[str, str] = {
    "torch.nn.GRU": SEQUENCES,
    "torch.nn.LSTM": SEQUENCES,
    "torch.nn.utils.rnn.*": SEQUENCES,
    "torch.nn.parallel.*": "outside this course: multi-GPU training",
    "torch.jit.*": "outside this course: TorchScript, a compiler for deployment",
    "torch.autograd.profiler.*": "PyTorch's profiler (minigrad's way to see every op that "
                                 "runs, with its time and derivative, is mg.trace)",
    "torch.hub.*": "downloads pretrained models from the network",
}


def group_of(name: str) -> str:
    """The title of the group ``name`` belongs to."""
    return next(title for title, prefix in GROUPS if name.startswith(prefix))


def minigrad_has(name: str) -> bool:
    """Whether minigrad has the torch name ``name`` (``torch.nn.Linear``, ``Tensor.view``)."""
    import minigrad
    if name.startswith("Tensor."):
        return hasattr(minigrad.Tensor, name.removeprefix("Tensor."))
    parts = ["minigrad", *name.split(".")[1:]]
    obj: Any = minigrad
    for i, part in enumerate(parts[1:], start=2):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            return False
    return True


def reason(name: str) -> str:
    """Why minigrad lacks ``name``: its entry in REASONS, else "missing"."""
    if name in REASONS:
        return REASONS[name]
    for key, why in REASONS.items():
        if key.endswith("*") and name.startswith(key[:-1]):
            return why
    return "missing"


def load(path: Path = NAMES) -> dict:
    """names.json."""
    return json.loads(path.read_text())


def rows(data: dict) -> list[tuple[str, int, int, list[str], bool]]:
    """(name, uses, files, sources, in minigrad) for each name used at least MIN_USES times."""
    return [(name, e["uses"], e["files"], e["sources"], minigrad_has(name))
            for name, e in data["names"].items() if e["uses"] >= MIN_USES]


def markdown(data: dict) -> str:
    """The coverage table as README markdown."""
    table = rows(data)
    d2l, tut = data["sources"]["d2l"], data["sources"]["tutorials"]
    have = sum(r[4] for r in table)
    lines = [
        f"{len(table)} names are called at least {MIN_USES} times by the course code (d2l-en "
        f"`{d2l['commit'][:7]}`: {d2l['files']} files; PyTorch's beginner tutorials "
        f"`{tut['commit'][:7]}`: {tut['files']} files; extracted {data['extracted']}): "
        f"**{have} exist in minigrad**.", "",
        "| group | names used ≥ 2 times | in minigrad | missing |", "|---|---:|---:|---:|"]
    for title, _ in sorted(GROUPS, key=lambda g: ORDER.index(g[0])):
        mine = [r for r in table if group_of(r[0]) == title]
        n = sum(r[4] for r in mine)
        lines.append(f"| {title} | {len(mine)} | {n} | {len(mine) - n} |")
    lines += ["", "<details><summary>The missing names, most used first</summary>", "",
              "| name | uses | files | sources | why |", "|---|---:|---:|---|---|"]
    missing = sorted((r for r in table if not r[4]),
                     key=lambda r: (ORDER.index(group_of(r[0])), -r[1], r[0]))
    for name, uses, files, sources, _ in missing:
        lines.append(f"| `{name}` | {uses} | {files} | {', '.join(sources)} | {reason(name)} |")
    return "\n".join(lines) + "\n\n</details>\n"


ORDER = ["torch functions", "Tensor methods", "nn modules (and nn.init, nn.utils)",
         "nn.functional", "optim", "utils.data"]


def write_readme(text: str, readme: Path = README) -> None:
    """Put ``text`` between the coverage markers of README.md."""
    content = readme.read_text()
    a, b = content.index(START) + len(START), content.index(END)
    readme.write_text(content[:a] + text + content[b:])


def readme_block(readme: Path = README) -> str:
    """What README.md holds between the coverage markers now."""
    content = readme.read_text()
    return content[content.index(START) + len(START):content.index(END)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the table into README.md")
    args = parser.parse_args()
    text = markdown(load())
    print(text)
    if args.write:
        write_readme(text)


if __name__ == "__main__":
    main()
