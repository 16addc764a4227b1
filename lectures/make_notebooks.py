"""Write every lecture script as a Jupyter notebook: its ``# %%`` cells become code cells, its
docstring the first markdown cell.

    pip install -e ".[notebooks]"                 # nbformat (and, to run them, nbclient)
    python lectures/make_notebooks.py --out DIR   # DIR/translation.ipynb, ...
    jupyter lab DIR                               # or VS Code, PyCharm: they also open the
                                                  # .py scripts as notebooks (percent format)

The scripts stay the source: a notebook is written from one, never edited back. Each notebook
first puts lectures/ on the import path (for ``common``), so it runs from any folder; its
figures are written there and shown inline. In a notebook a lecture runs with its defaults
(edit the ``main([...])`` call in the last cell to pass flags).
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def lectures() -> list[Path]:
    """The lecture scripts, in the lecture's order (make_figures.py's)."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    from make_figures import SCRIPTS

    return [HERE / f"{name}.py" for name in SCRIPTS]


def cells(source: str) -> list[tuple[str, str]]:
    """(kind, text) cells of a percent-format script: the module docstring as markdown (its
    first line a heading), then one code cell per ``# %%`` marker."""
    doc = ast.get_docstring(ast.parse(source), clean=True) or ""
    body = source.split('"""', 2)[2] if doc else source   # the code after the docstring
    chunks = [c.strip("\n") for c in body.split("\n# %%")]
    title, _, rest = doc.partition("\n")
    out = [("markdown", f"# {title}\n{rest}".rstrip())]
    out.append(("code", f"import sys\nsys.path.insert(0, {str(HERE)!r})  # for common.py"))
    for chunk in chunks:
        lines = chunk.splitlines()
        if lines and not chunk.startswith(("from ", "import ")) and lines[0].startswith(" "):
            lines = lines[1:]  # the marker's own words ("# %% the lecture")
        code = "\n".join(lines).strip("\n")
        if code and code != "from __future__ import annotations":  # (a script's, not a cell's)
            out.append(("code", code))
    return out


def notebook(script: Path) -> object:
    """The notebook of one lecture script (an nbformat NotebookNode)."""
    import nbformat.v4 as v4

    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell(text) if kind == "markdown" else v4.new_code_cell(text)
                for kind, text in cells(script.read_text(encoding="utf-8"))]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def write(nb: object, path: Path) -> None:
    """Write a notebook atomically (a temporary file, then a rename)."""
    import nbformat

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    """Write the notebooks; 1 with a message if nbformat is missing."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="notebooks", metavar="DIR",
                   help="folder for the .ipynb files (made if missing; default: notebooks)")
    args = p.parse_args(argv)
    try:
        import nbformat  # noqa: F401
    except ImportError:
        print("error: writing notebooks needs nbformat: pip install -e \".[notebooks]\"",
              file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for script in lectures():
        path = out / f"{script.stem}.ipynb"
        write(notebook(script), path)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
