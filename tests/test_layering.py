"""The house's layering, as it really is, kept by a test.

Each module imports only modules listed before it in LAYERS (imports under ``if
TYPE_CHECKING:`` are type hints, not imports). The three ties that run the other way are
not imports, and are written down here: ``tensor.py`` hands its Tensor class to ``autograd``
(so ``Function.apply`` can wrap results), ``minigrad.extras`` hands itself to ``autograd``
(the engine's second seam), and ``minigrad.fast`` fills the backends' fast tables.
No module silences ruff's E402 (an import below code). Code above the ops (nn, optim, data,
checkpoints, gradient checks) never touches raw arrays (``._data``, ``xp``) outside a Function:
only Functions, backends, the fast paths and the tensor itself do.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "minigrad"

LAYERS = [
    "minigrad.runtime", "minigrad.runtime.dtypes", "minigrad.runtime.random",
    "minigrad.backends.transfers",
    "minigrad.backends.layout", "minigrad.backends.base", "minigrad.backends.numpy_backend",
    "minigrad.backends.cupy_backend",
    "minigrad.backends.strict", "minigrad.backends", "minigrad.backends.cudnn",
    "minigrad.backends.mps", "minigrad.runtime.cuda", "minigrad.runtime.accelerator",
    "minigrad.runtime.grad_mode", "minigrad.autograd", "minigrad.extras.hooks",
    "minigrad.extras.anomaly",
    "minigrad.extras.memory", "minigrad.extras.engine", "minigrad.extras.nodes", "minigrad.extras",
    "minigrad.tools.tracing",
    "minigrad.ops.promotion", "minigrad.ops.floor_division", "minigrad.ops.elementwise",
    "minigrad.ops.movement",
    "minigrad.ops.indexing",
    "minigrad.ops.reduce", "minigrad.ops.matmul", "minigrad.ops.mathops", "minigrad.ops.unfold",
    "minigrad.ops.deform", "minigrad.ops", "minigrad.surface", "minigrad.surface.sort",
    "minigrad.surface.special", "minigrad.extras.inplace", "minigrad.surface.methods",
    "minigrad.tensor", "minigrad.tools.viz", "minigrad.factory", "minigrad.surface.functions",
    "minigrad.surface.linalg", "minigrad.surface.uninitialized", "minigrad.surface.legacy",
    "minigrad.surface.autograd_functional", "minigrad.distributions.multinomial",
    "minigrad.distributions",
    "minigrad.tools.check_graph", "minigrad.tools.testing", "minigrad.surface.serialization",
    "minigrad.nn.hooks", "minigrad.nn.module", "minigrad.nn.containers", "minigrad.nn.init",
    "minigrad.nn.functional.checks", "minigrad.nn.functional.activations",
    "minigrad.nn.functional.convolution", "minigrad.nn.functional.pooling",
    "minigrad.nn.functional.resampling", "minigrad.nn.functional.normalization",
    "minigrad.nn.functional.losses", "minigrad.nn.functional.activations_extra",
    "minigrad.nn.functional.adaptive_pooling", "minigrad.nn.functional.distance",
    "minigrad.nn.functional.embedding", "minigrad.nn.functional.vision",
    "minigrad.nn.functional",
    "minigrad.nn.layers", "minigrad.nn.activations", "minigrad.nn.adaptive_pooling",
    "minigrad.nn.distance", "minigrad.nn.padding", "minigrad.nn.parameter_containers",
    "minigrad.nn.sparse", "minigrad.nn.vision",
    "minigrad.nn.lazy", "minigrad.nn.deform", "minigrad.nn.loss", "minigrad.nn.utils",
    "minigrad.nn.parallel", "minigrad.nn",
    "minigrad.fast.compiled", "minigrad.fast.generic", "minigrad.fast.numpy_backend",
    "minigrad.fast.cupy_backend",
    "minigrad.fast",
    "minigrad.optim.optimizer", "minigrad.optim.lr_scheduler", "minigrad.optim.adaptive",
    "minigrad.optim",
    "minigrad.utils.data", "minigrad.utils", "minigrad.runtime.threads",
    "minigrad.tools.summary", "minigrad.tools.diagnostics", "minigrad.tools",
    "minigrad",
    "minigrad.exercises.lenet", "minigrad.exercises.graders", "minigrad.exercises.catalog",
    "minigrad.exercises", "minigrad.exercises.__main__",
]
RAW_ARRAYS_FORBIDDEN = ["minigrad/nn", "minigrad/optim", "minigrad/utils/data.py",
                        "minigrad/surface/serialization.py", "minigrad/tools/testing.py",
                        "minigrad/tools/summary.py", "minigrad/tools/diagnostics.py",
                        "minigrad/tools/viz.py", "demos", "lectures"]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(tree: ast.Module, known: set[str]) -> list[tuple[int, str]]:
    """(line, module) of every minigrad module imported, outside ``if TYPE_CHECKING:``."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("minigrad")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("minigrad"):
            for a in node.names:  # `from minigrad import ops` imports the module minigrad.ops
                sub = f"{node.module}.{a.name}"
                found.append((node.lineno, sub if sub in known else node.module))
    return found


def test_every_module_has_a_place_in_the_layers() -> None:
    assert sorted(modules()) == sorted(LAYERS), "add new modules to LAYERS, in their place"


def test_no_module_imports_from_above_itself() -> None:
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward = []
    for name, path in modules().items():
        for line, target in imported(ast.parse(path.read_text()), set(rank)):
            if rank[target] >= rank[name]:
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not upward, "imports from the same layer or above:\n" + "\n".join(upward)


def test_no_import_below_code() -> None:
    silenced = [f"{p.relative_to(ROOT)}:{i}" for p in PACKAGE.rglob("*.py")
                for i, line in enumerate(p.read_text().splitlines(), 1) if "noqa: E402" in line]
    assert not silenced, silenced


def raw_array_uses(tree: ast.Module) -> list[int]:
    """Lines touching ``._data`` or ``.xp`` outside a Function subclass."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any("Function" in ast.unparse(b)
                                                  for b in node.bases):
            inside.update(id(n) for n in ast.walk(node))
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute)
            and n.attr in ("_data", "xp") and id(n) not in inside]


def test_code_above_the_ops_never_touches_raw_arrays() -> None:
    paths = [p for place in RAW_ARRAYS_FORBIDDEN for p in (
        [ROOT / place] if place.endswith(".py") else sorted((ROOT / place).rglob("*.py")))]
    assert len(paths) > 10
    found = [f"{p.relative_to(ROOT)}:{line}" for p in paths
             for line in raw_array_uses(ast.parse(p.read_text()))]
    assert not found, found


def test_the_checks_can_fail() -> None:
    """The parsers see what they look for (an upward import, a raw array)."""
    tree = ast.parse("if TYPE_CHECKING:\n    import minigrad.tensor\n"
                     "from minigrad import ops, dtypes\nx = t._data + t.backend.xp.ones(1)\n")
    assert imported(tree, {"minigrad.ops", "minigrad.dtypes"}) == [
        (3, "minigrad.ops"), (3, "minigrad.dtypes")]
    assert raw_array_uses(tree) == [4, 4]


def test_moved_modules_keep_the_import_paths_they_had() -> None:
    """minigrad/tools/ holds summary, diagnostics, tracing, viz and testing; runtime/ dtypes,
    grad modes, random, threads and cuda; surface/ torch's functions, linalg, sort, special
    and serialization; utils/data.py the datasets. Code written for the paths of before
    (``from minigrad.diagnostics import Diagnostics``, ``import minigrad.dtypes``) still runs,
    and ``minigrad.testing`` stays the public path it is (as ``torch.testing``)."""
    import importlib

    import minigrad as mg
    moved = {"diagnostics": "tools", "tracing": "tools", "viz": "tools", "summary": "tools",
             "testing": "tools", "dtypes": "runtime", "grad_mode": "runtime",
             "random": "runtime", "threads": "runtime", "cuda": "runtime",
             "functions": "surface", "linalg": "surface", "serialization": "surface",
             "ops.sort": "surface", "ops.special": "surface", "data": "utils"}
    for old, folder in moved.items():
        new = f"minigrad.{folder}.{old.split('.')[-1]}"
        assert importlib.import_module(f"minigrad.{old}") is importlib.import_module(new), old
    from minigrad.ops import special
    from minigrad.testing import gradcheck
    assert special is importlib.import_module("minigrad.surface.special") and callable(gradcheck)
    assert callable(mg.summary) and mg.diagnostics.Diagnostics and mg.viz.graph and mg.trace
    assert mg.dtypes.float32 is mg.float32 and callable(mg.cuda.is_available)
    assert mg.utils.data.DataLoader is mg.data.DataLoader


# The floors of the house, by folder: the engine and the primitive ops a student reads import
# nothing of PyTorch's extras and surface, the tools, the fast twins or nn; the runtime under
# them imports only itself and the backends; the extras and the tools import no fast twin;
# nothing of the library imports a tool (only minigrad/__init__ hands them out).
CORE = ["minigrad.autograd", "minigrad.ops.elementwise", "minigrad.ops.reduce",
        "minigrad.ops.movement", "minigrad.ops.matmul", "minigrad.ops.unfold"]
ABOVE_THE_CORE = ("minigrad.extras", "minigrad.tools", "minigrad.fast", "minigrad.nn",
                  "minigrad.optim", "minigrad.tensor", "minigrad.surface")


def test_the_floors_keep_apart() -> None:
    known = set(modules())
    crossing = []
    for name, path in modules().items():
        targets = [t for _, t in imported(ast.parse(path.read_text()), known)]
        if name in CORE:
            crossing += [f"{name} imports {t}" for t in targets if t.startswith(ABOVE_THE_CORE)]
        if name.startswith("minigrad.runtime"):  # under the core: only itself and backends
            crossing += [f"{name} imports {t}" for t in targets
                         if not t.startswith(("minigrad.runtime", "minigrad.backends"))]
        if name.startswith(("minigrad.extras", "minigrad.tools")):
            crossing += [f"{name} imports {t}" for t in targets if t.startswith("minigrad.fast")]
        if name != "minigrad" and not name.startswith("minigrad.tools"):
            crossing += [f"{name} imports {t}" for t in targets
                         if t.startswith("minigrad.tools")]
    assert not crossing, crossing
