"""PyTorch's wider math (minigrad/ops/mathops.py, the methods in surface/methods.py).

An op table (NumPy references, gradcheck and gradgradcheck in float64, PyTorch, on every
backend with the fast paths on and off) for the differentiable ones; then what a table cannot
say: einsum on random equations against np.einsum, products' gradients where the input has
zeros, logsumexp's stability, unique and bincount against NumPy, the random fills, torch's
errors, and strides and sizes as torch reports them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.testing import assert_close, gradcheck, gradgradcheck
from tests.invalid import assert_rejects
from tests.op_table import Case, table_tests
from tests.strategies import arrays, away_from, shapes


def torch_or_skip() -> Any:
    return pytest.importorskip("torch", reason="PyTorch is the oracle here; .ci/run installs it")


# ---- the op table ---------------------------------------------------------------------------
def with_zeros(data: Any, a: np.ndarray, most: int = 2) -> np.ndarray:
    """``a`` with up to ``most`` of its elements set to exactly 0 (kept in its layout)."""
    if a.size:
        for position in data.draw(st.lists(st.integers(0, a.size - 1), max_size=most)):
            a[np.unravel_index(position, a.shape)] = 0.0
    return a


def sized(*letters: str) -> Any:
    """Draw a size 1..4 for each letter, then one array per operand shape (a string)."""
    def draw(data: Any) -> tuple:
        size = {c: data.draw(st.integers(1, 4)) for c in set("".join(letters))}
        return tuple(data.draw(arrays(tuple(size[c] for c in s))) for s in letters), {}
    return draw


def draw_addmm(data: Any) -> tuple:
    n, m, p = (data.draw(st.integers(1, 4)) for _ in range(3))
    base = data.draw(st.sampled_from([(n, p), (p,), (1, p), (n, 1), ()]))
    params = {"beta": data.draw(st.sampled_from([1, 0.5, 0])),
              "alpha": data.draw(st.sampled_from([1, -2.0]))}
    return (data.draw(arrays(base)), data.draw(arrays((n, m))), data.draw(arrays((m, p)))), params


EINSUM_EQUATIONS = ["ij,jk->ik", "bij,bjk->bik", "ij,kj", "ii->i", "ii", "ij->", "ij->ji",
                    "i,j->ij", "i,i", "...ij,...jk", "ijk,ik->j", "iji->j", "i...->...",
                    "ab,bc,cd->ad", "ab,cb,ba", "bn,anm,bm->ba", "i,->i", "...i,i"]


def draw_einsum(data: Any) -> tuple:
    equation = data.draw(st.sampled_from(EINSUM_EQUATIONS))
    size = {c: data.draw(st.integers(1, 3)) for c in "abcdijkmn"}
    ellipsis = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    shapes_ = [ellipsis * ("..." in term) + tuple(size[c] for c in term.replace("...", ""))
               for term in equation.split("->")[0].split(",")]
    return tuple(data.draw(arrays(s)) for s in shapes_), {"equation": equation}


def draw_reduction(along: str) -> Any:
    """An array (maybe with zeros) and a dim: one int (or None, with keepdim, for prod)."""
    def draw(data: Any) -> tuple:
        shape = data.draw(shapes(0 if along == "prod" else 1, 3))
        a = with_zeros(data, data.draw(arrays(shape)))
        dim = data.draw(st.integers(-len(shape), len(shape) - 1)) if shape else 0
        if along == "prod":
            dim = data.draw(st.sampled_from([None, dim]))
            return (a,), {"dim": dim, "keepdim": data.draw(st.booleans())}
        return (a,), {"dim": dim}
    return draw


def draw_logsumexp(data: Any) -> tuple:
    shape = data.draw(shapes(1, 3))
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
    dim = axes[0] if len(axes) == 1 and data.draw(st.booleans()) else tuple(axes)
    return (data.draw(arrays(shape, -3, 3)),), {"dim": dim, "keepdim": data.draw(st.booleans())}


def one(lo: float = -2, hi: float = 2, avoid: tuple[float, ...] = ()) -> Any:
    def draw(data: Any) -> tuple:
        return (away_from(data.draw(arrays(data.draw(shapes(0, 3)), lo, hi)), avoid),), {}
    return draw


def apart(*letters: str) -> Any:
    """Two arrays (as ``sized``) whose elements are never within 0.05 of each other where
    they meet: no ties, where max and min have no derivative."""
    def draw(data: Any) -> tuple:
        (a, b), params = sized(*letters)(data)
        return (a, a + away_from(b - a, (0.0,))), params
    return draw


def draw_count_nonzero(data: Any) -> tuple:
    shape = data.draw(shapes(1, 3))
    dim = data.draw(st.sampled_from([None, data.draw(st.integers(-len(shape), len(shape) - 1)),
                                     tuple(range(len(shape)))]))
    return (with_zeros(data, data.draw(arrays(shape)), most=4),), {"dim": dim}


def prod_ref(x: np.ndarray, dim: int | None, keepdim: bool) -> np.ndarray:
    if dim is None:
        return np.prod(x)
    return np.prod(x, axis=dim if x.ndim else None, keepdims=keepdim and x.ndim > 0)


def prod_fn(lib: Any, x: Any, dim: int | None, keepdim: bool) -> Any:
    return lib.prod(x) if dim is None else lib.prod(x, dim, keepdim)


def cumprod_ref(x: np.ndarray, dim: int) -> np.ndarray:
    return np.cumprod(x, axis=dim) if x.ndim else x.copy()


def logsumexp_ref(x: np.ndarray, dim: Any, keepdim: bool) -> np.ndarray:
    return np.log(np.sum(np.exp(x), axis=dim, keepdims=keepdim))  # (the definition)


CASES = [
    Case("mm", sized("nm", "mp"), lambda lib, a, b: lib.mm(a, b), lambda a, b: a @ b),
    Case("bmm", sized("bnm", "bmp"), lambda lib, a, b: lib.bmm(a, b), lambda a, b: a @ b),
    Case("mv", sized("nm", "m"), lambda lib, a, v: lib.mv(a, v), lambda a, v: a @ v),
    Case("dot", sized("n", "n"), lambda lib, a, b: lib.dot(a, b), lambda a, b: np.dot(a, b)),
    Case("outer", sized("n", "m"), lambda lib, a, b: lib.outer(a, b), np.outer),
    Case("addmm", draw_addmm,
         lambda lib, c, a, b, beta, alpha: lib.addmm(c, a, b, beta=beta, alpha=alpha),
         lambda c, a, b, beta, alpha: beta * c + alpha * (a @ b)),
    Case("Tensor.addmm", draw_addmm,
         lambda lib, c, a, b, beta, alpha: c.addmm(a, b, beta=beta, alpha=alpha),
         lambda c, a, b, beta, alpha: beta * c + alpha * (a @ b)),
    Case("einsum", draw_einsum, lambda lib, *xs, equation: lib.einsum(equation, *xs),
         lambda *xs, equation: np.einsum(equation, *xs)),
    Case("einsum(list)", draw_einsum, lambda lib, *xs, equation: lib.einsum(equation, list(xs)),
         lambda *xs, equation: np.einsum(equation, *xs)),
    Case("prod", draw_reduction("prod"), prod_fn, prod_ref),
    Case("cumprod", draw_reduction("cumprod"), lambda lib, x, dim: lib.cumprod(x, dim),
         cumprod_ref),
    Case("logsumexp", draw_logsumexp, lambda lib, x, dim, keepdim: lib.logsumexp(x, dim, keepdim),
         logsumexp_ref),
    Case("nan_to_num", one(), lambda lib, x: lib.nan_to_num(x), lambda x: x),
    Case("log1p", one(-0.9, 2), lambda lib, x: lib.log1p(x), np.log1p),
    Case("expm1", one(), lambda lib, x: lib.expm1(x), np.expm1),
    Case("square", one(), lambda lib, x: lib.square(x), np.square),
    Case("rsqrt", one(0.2, 2), lambda lib, x: lib.rsqrt(x), lambda x: 1 / np.sqrt(x)),
    Case("reciprocal", one(-2, 2, avoid=(0.0,)), lambda lib, x: lib.reciprocal(x),
         lambda x: 1 / x),
    Case("asin", one(-0.9, 0.9), lambda lib, x: lib.asin(x), np.arcsin),
    Case("acos", one(-0.9, 0.9), lambda lib, x: lib.acos(x), np.arccos),
    Case("atan", one(), lambda lib, x: lib.atan(x), np.arctan),
    Case("sinh", one(), lambda lib, x: lib.sinh(x), np.sinh),
    Case("cosh", one(), lambda lib, x: lib.cosh(x), np.cosh),
    Case("tan", one(-1.2, 1.2), lambda lib, x: lib.tan(x), np.tan),
    Case("Tensor.arcsin", one(-0.9, 0.9), lambda lib, x: x.arcsin(), np.arcsin),
    Case("clamp_min(tensor)", apart("n", "n"), lambda lib, a, b: lib.clamp_min(a, b),
         np.maximum),
    Case("clamp_max(tensor)", apart("nm", "m"), lambda lib, a, b: lib.clamp_max(a, b),
         np.minimum),
    Case("index_add", sized("nm", "km"),
         lambda lib, a, b: a.index_add(0, lib.tensor([0] * b.shape[0]).long(), b, alpha=2),
         lambda a, b: a + 2 * np.concatenate([b.sum(0, keepdims=True),
                                              np.zeros((a.shape[0] - 1, a.shape[1]))])),
    Case("count_nonzero", draw_count_nonzero, lambda lib, x, dim: lib.count_nonzero(x, dim),
         lambda x, dim: np.count_nonzero(x, axis=dim), grad=False),
]

test_forward_matches_reference, test_derivatives, test_matches_torch = table_tests(CASES)


# ---- einsum: random equations against np.einsum ----------------------------------------------
@st.composite
def einsum_problems(draw: st.DrawFn) -> tuple[str, list[np.ndarray]]:
    """A random equation (repeated letters, implicit or explicit output, maybe ``...``) and
    operands of matching shapes."""
    letters = draw(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=5, unique=True))
    size = {c: draw(st.integers(1, 3)) for c in letters}
    ellipsis = tuple(draw(st.lists(st.integers(1, 3), max_size=2))) if draw(st.booleans()) else None
    terms = []
    for _ in range(draw(st.integers(1, 3))):
        term = "".join(draw(st.lists(st.sampled_from(letters), max_size=4)))
        if ellipsis is not None and draw(st.booleans()):
            cut = draw(st.integers(0, len(term)))
            term = term[:cut] + "..." + term[cut:]
        terms.append(term)
    equation = ",".join(terms)
    used = sorted(set(c for c in equation if c.isalpha()))
    if draw(st.booleans()):  # an explicit output: some of the letters, in any order
        out = "".join(draw(st.permutations(used))[:draw(st.integers(0, len(used)))])
        if "..." in equation:  # (NumPy sums no dims under an ellipsis: torch's test does)
            out = "..." + out
        equation += "->" + out
    operands = []
    for term in terms:
        shape = tuple(size[c] for c in term.split("...")[0])
        if "..." in term:
            shape += ellipsis + tuple(size[c] for c in term.split("...")[1])
        operands.append(draw(arrays(shape)))
    return equation, operands


@given(problem=einsum_problems())
def test_einsum_matches_numpy_on_random_equations(problem: tuple, cpu_backend: str) -> None:
    equation, operands = problem
    xs = [mg.tensor(a, dtype=mg.float64, device=cpu_backend, requires_grad=True)
          for a in operands]
    out = mg.einsum(equation, *xs)
    expected = np.einsum(equation, *operands)
    assert tuple(out.shape) == np.shape(expected)
    assert_close(out.cpu(), np.asarray(expected), rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda *ts: mg.einsum(equation, *ts), tuple(xs), fast_mode=True)


def test_einsum_broadcasts_uppercase_and_spaces_as_torch() -> None:
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    cases = [("i,i->i", [(3,), (1,)]), ("ij,ij->", [(2, 3), (1, 3)]),
             ("bij,bjk", [(2, 2, 3), (1, 3, 4)]), ("Ab,bc", [(2, 3), (3, 4)]),
             ("Ba", [(2, 3)]), ("bA", [(2, 3)]), ("i j , j k -> i k", [(2, 3), (3, 4)]),
             ("...ij,...jk", [(5, 1, 2, 3), (4, 3, 2)]), ("i...,i...->...", [(2, 3), (2, 1)]),
             ("ij...,jk...->ik", [(2, 3, 5), (3, 4, 1)]), ("->", [()]), ("", [()]),
             ("ij,jk->ik", [(2, 0), (0, 4)]), ("ij->", [(0, 3)])]
    for equation, shapes_ in cases:
        arrays_ = [rng.standard_normal(s) for s in shapes_]
        ours = [mg.tensor(a, requires_grad=True) for a in arrays_]
        theirs = [torch.tensor(a, requires_grad=True) for a in arrays_]
        out, t_out = mg.einsum(equation, *ours), torch.einsum(equation, *theirs)
        assert tuple(out.shape) == tuple(t_out.shape), equation
        assert_close(out.detach(), t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
        out.sum().backward()
        t_out.sum().backward()
        for x, tx in zip(ours, theirs):
            assert_close(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12, msg=equation)


@pytest.mark.parametrize("equation, shapes_, words", [
    ("i,i", [(3,), (4,)], ["subscript i", "size 4", "size 3"]),
    ("ij", [(2, 3, 4)], ["(2)", "(3)", "operand 0"]),
    ("ij->k", [(2, 3)], ["output subscript k"]),
    ("ij->ii", [(2, 3)], ["appears more than once"]),
    ("ij,jk", [(2, 3)], ["fewer operands"]),
    ("i", [(3,), (3,)], ["more operands"]),
    ("i1", [(2, 3)], ["index 1"]),
    ("ij->j->i", [(2, 3)], ["index 5"]),
    ("..ij", [(2, 3)], ["not part of any ellipsis"]),
    ("i...j...", [(2, 3)], ["already found"]),
    ("ii->i", [(2, 3)], ["repeated", "3 != 2"]),
    ("i...,i...->...", [(2, 3), (2, 4)], ["ellipsis", "size 4"]),
])
def test_einsum_rejects_bad_equations_as_torch(equation: str, shapes_: list, words: list
                                              ) -> None:
    assert_rejects(lambda lib: lib.einsum(equation, *[lib.ones(s) for s in shapes_]),
                   RuntimeError, words)


def test_einsum_rejects_no_operands_and_mixed_dtypes() -> None:
    assert_rejects(lambda lib: lib.einsum("i,j->ij"), ValueError, ["at least one operand"])
    assert_rejects(lambda lib: lib.einsum("i,i", lib.ones(3), lib.ones(3, dtype=lib.float64)),
                   RuntimeError, ["Float", "Double"])
    ints = mg.einsum("i,i", mg.tensor([1, 2]), mg.tensor([3, 4]))
    assert ints.dtype is mg.int64 and ints.item() == 11


# ---- products with zeros --------------------------------------------------------------------
def others_ref(x: np.ndarray) -> np.ndarray:
    """d prod / d x_i = the product of the others (loops, no division)."""
    return np.array([np.prod(np.delete(x, i)) for i in range(x.size)])


def cumprod_grad_ref(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """sum over k >= i of g[k] * prod(x[j] for j <= k, j != i) (loops)."""
    n = x.size
    return np.array([sum(g[k] * np.prod([x[j] for j in range(k + 1) if j != i])
                         for k in range(i, n)) for i in range(n)])


ZERO_PATTERNS = [[2.0, 0.0, 3.0, 0.5, 1.5], [0.0, 2.0, 3.0, 0.5, 1.5], [2.0, 3.0, 0.5, 1.5, 0.0],
                 [2.0, 0.0, 3.0, 0.0, 1.5], [0.0, 0.0, 0.0, 1.0, 2.0], [2.0, 3.0, 0.5, 1.5, 4.0]]


@pytest.mark.parametrize("values", ZERO_PATTERNS)
def test_prod_and_cumprod_gradients_with_zeros(values: list, cpu_backend: str) -> None:
    a = np.array(values)
    g = np.random.default_rng(1).standard_normal(a.size)
    x = mg.tensor(a, dtype=mg.float64, device=cpu_backend, requires_grad=True)
    mg.prod(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), others_ref(a), rtol=1e-12, atol=1e-12)
    x.grad = None
    mg.cumprod(x, 0).backward(mg.tensor(g, dtype=mg.float64, device=cpu_backend))
    np.testing.assert_allclose(x.grad.numpy(), cumprod_grad_ref(a, g), rtol=1e-12, atol=1e-12)
    # the first-order form (masks, O(n)) and the differentiable one (O(n^2)) agree
    out = mg.cumprod(x, 0)
    upstream = mg.tensor(g, dtype=mg.float64, device=cpu_backend)
    fast, = mg.autograd.grad(out, x, upstream, retain_graph=True)
    exact, = mg.autograd.grad(out, x, upstream, create_graph=True)
    np.testing.assert_allclose(fast.numpy(), exact.detach().numpy(), rtol=1e-12, atol=1e-12)
    for f in (lambda t: mg.cumprod(t, 0), lambda t: mg.prod(t),
              lambda t: mg.prod(t[:4].reshape(2, 2), 1)):
        assert gradcheck(f, (x,)) and gradgradcheck(f, (x,))


def test_prod_and_cumprod_along_dims_with_zeros_match_torch() -> None:
    torch = torch_or_skip()
    a = np.random.default_rng(2).standard_normal((3, 4, 2))
    a[0, 1, 0] = a[2, 3, 1] = a[2, 0, 1] = a[1, :, 0][2] = 0.0
    for dim in range(3):
        for op in ("prod", "cumprod"):
            x, tx = mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
            out, t_out = getattr(mg, op)(x, dim), getattr(torch, op)(tx, dim)
            assert_close(out.detach(), t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
            (out * out).sum().backward()
            (t_out * t_out).sum().backward()
            assert_close(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12, msg=f"{op} {dim}")


def test_prod_and_cumprod_dtypes_and_shapes_as_torch() -> None:
    torch = torch_or_skip()
    calls = [lambda lib: lib.prod(lib.tensor([1, 2, 3])), lambda lib: lib.prod(lib.tensor(
        [True, True])), lambda lib: lib.prod(lib.tensor([1, 2], dtype=lib.int32)),
             lambda lib: lib.prod(lib.tensor([1.5, 2.0]), dtype=lib.float64),
             lambda lib: lib.ones(2, 3).prod(1, keepdim=True), lambda lib: lib.ones(2, 0).prod(1),
             lambda lib: lib.tensor(2.0).prod(0), lambda lib: lib.tensor(2.0).prod(-1, True),
             lambda lib: lib.prod(lib.ones(0)), lambda lib: lib.cumprod(lib.tensor([1, 2, 3]), 0),
             lambda lib: lib.cumprod(lib.tensor([True, False]), 0),
             lambda lib: lib.cumprod(lib.tensor(3.0), 0),
             lambda lib: lib.ones(2, 3).cumprod(dim=1, dtype=lib.float64),
             lambda lib: lib.cumprod(lib.ones(2, 0), 1)]
    for call in calls:
        ours, theirs = call(mg), call(torch)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert ours.tolist() == theirs.tolist()


# ---- logsumexp ------------------------------------------------------------------------------
def test_logsumexp_is_stable_and_handles_infinities() -> None:
    big = mg.tensor([[1000.0, 1000.0], [-1000.0, -1001.0]], dtype=mg.float64)
    expected = [1000 + math.log(2), -1000 + math.log1p(math.exp(-1))]
    np.testing.assert_allclose(mg.logsumexp(big, 1).numpy(), expected, rtol=1e-15)
    inf, nan = math.inf, math.nan
    x = mg.tensor([[inf, 1.0], [-inf, -inf], [-inf, 2.0], [nan, 1.0]])
    with np.errstate(divide="ignore"):  # (log 0 = -inf, as torch's: no warning wanted)
        got = mg.logsumexp(x, 1).tolist()
    assert got[:3] == [inf, -inf, 2.0] and math.isnan(got[3])
    with np.errstate(divide="ignore"):
        assert mg.logsumexp(mg.ones(2, 0), 1).tolist() == [-inf, -inf]
    x = mg.tensor([1000.0, 1000.0], requires_grad=True)
    mg.logsumexp(x, 0).backward()
    assert x.grad.tolist() == [0.5, 0.5]  # softmax: no overflow in the gradient either


def test_logsumexp_dtypes_dims_and_errors_as_torch() -> None:
    torch = torch_or_skip()
    for call in [lambda lib: lib.logsumexp(lib.tensor([1, 2, 3]), 0),
                 lambda lib: lib.logsumexp(lib.ones(2, 3), (0, 1), keepdim=True),
                 lambda lib: lib.logsumexp(lib.tensor(2.0), 0),
                 lambda lib: lib.ones(2, 3, dtype=lib.float64).logsumexp(-1)]:
        ours, theirs = call(mg), call(torch)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert_close(ours, theirs.numpy(), rtol=1e-6, atol=1e-6)
    assert_rejects(lambda lib: lib.logsumexp(lib.ones(2, 3)), TypeError, ["dim"])
    assert_rejects(lambda lib: lib.logsumexp(lib.ones(2, 3), 2), IndexError, ["2"])


# ---- pointwise ------------------------------------------------------------------------------
def test_isnan_isinf_isfinite_and_nan_to_num(backend: str) -> None:
    a = np.array([np.nan, np.inf, -np.inf, 1.5, -0.0, 3e38])
    x = mg.tensor(a, dtype=mg.float32, device=backend, requires_grad=True)
    for name in ("isnan", "isinf", "isfinite"):
        out = getattr(mg, name)(x)
        assert out.dtype is mg.bool and not out.requires_grad
        assert out.cpu().tolist() == getattr(np, name)(a.astype(np.float32)).tolist()
        assert getattr(x, name)().cpu().tolist() == out.cpu().tolist()
    ints = mg.tensor([1, 2], device=backend)
    assert mg.isnan(ints).cpu().tolist() == [False, False]
    assert mg.isfinite(mg.tensor([True], device=backend)).cpu().tolist() == [True]
    out = mg.nan_to_num(x)
    big = float(np.finfo(np.float32).max)
    assert out.cpu().tolist() == [0.0, big, -big, 1.5, -0.0, float(np.float32(3e38))]
    out.sum().backward()
    assert x.grad.cpu().tolist() == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]  # passes where finite
    assert mg.nan_to_num(x, 0.5, 7, -7).cpu().tolist()[:3] == [0.5, 7.0, -7.0]
    for dtype in (mg.float64,) if backend == "strict" else (mg.float16, mg.float64):
        info = np.finfo(dtype.name)
        y = mg.tensor([np.nan, np.inf, -np.inf], dtype=dtype, device=backend)
        assert y.nan_to_num().cpu().tolist() == [0.0, float(info.max), float(info.min)]
        assert y.nan_to_num().dtype is dtype
    assert mg.nan_to_num(ints, 1.5).cpu().tolist() == [1, 2]


def test_pointwise_values_and_dtypes_as_torch() -> None:
    torch = torch_or_skip()
    values = [0.0, -0.0, 1e-10, -1e-12, 0.5, -0.5, 2.0, math.inf, -math.inf, math.nan, 40.0]
    for name in ("log1p", "expm1", "square", "rsqrt", "reciprocal"):
        for dtype in ("float32", "float64"):
            with np.errstate(divide="ignore", invalid="ignore"):
                ours = getattr(mg, name)(mg.tensor(values, dtype=getattr(mg, dtype)))
            theirs = getattr(torch, name)(torch.tensor(values, dtype=getattr(torch, dtype)))
            assert_close(ours, theirs.numpy(), rtol=1e-6 if dtype == "float32" else 1e-14,
                         atol=0, equal_nan=True, msg=f"{name} {dtype}")
            number = ~np.isnan(theirs.numpy())  # (a NaN's sign means nothing)
            assert np.array_equal(np.signbit(ours.numpy()[number]),
                                  np.signbit(theirs.numpy()[number])), name
        for dtype in ("bool", "uint8", "int32", "int64"):
            data = [True, False] if dtype == "bool" else [1, 2]
            with np.errstate(divide="ignore"):
                ours = getattr(mg, name)(mg.tensor(data, dtype=getattr(mg, dtype)))
            theirs = getattr(torch, name)(torch.tensor(data, dtype=getattr(torch, dtype)))
            assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], name
            assert_close(ours, theirs.numpy(), rtol=1e-6, atol=0, msg=f"{name} {dtype}")


def test_log1p_and_expm1_keep_small_values_accurate() -> None:
    x = np.array([1e-300, 1e-18, -1e-17, 1e-9, 1e-5])
    t = mg.tensor(x, dtype=mg.float64)
    np.testing.assert_allclose(mg.log1p(t).numpy(), [math.log1p(v) for v in x], rtol=1e-15)
    np.testing.assert_allclose(mg.expm1(t).numpy(), [math.expm1(v) for v in x], rtol=1e-15)


def test_gradients_at_zero_as_torch() -> None:
    torch = torch_or_skip()
    for name in ("rsqrt", "reciprocal"):
        x, tx = mg.tensor([0.0, 4.0], requires_grad=True), torch.tensor([0.0, 4.0],
                                                                        requires_grad=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            getattr(mg, name)(x).sum().backward()
        getattr(torch, name)(tx).sum().backward()
        assert_close(x.grad, tx.grad.numpy(), equal_nan=True, msg=name)


# ---- matrix products: torch's errors --------------------------------------------------------
@pytest.mark.parametrize("build, words", [
    (lambda lib: lib.mm(lib.ones(2, 3), lib.ones(4, 5)), ["2x3", "4x5"]),
    (lambda lib: lib.mm(lib.ones(3), lib.ones(3, 3)), ["matrix", "[3]"]),
    (lambda lib: lib.ones(3, 3).mm(lib.ones(3)), ["mat2", "matrix"]),
    (lambda lib: lib.mm(lib.ones(2, 3), lib.ones(3, 5, dtype=lib.float64)), ["float", "double"]),
    (lambda lib: lib.bmm(lib.ones(2, 3), lib.ones(3, 5)), ["batch1", "3D"]),
    (lambda lib: lib.bmm(lib.ones(2, 2, 3), lib.ones(3, 3, 5)), ["[2, 3]", "[3, 3]"]),
    (lambda lib: lib.bmm(lib.ones(2, 2, 3), lib.ones(2, 4, 5)), ["[2, 3]", "[2, 4]"]),
    (lambda lib: lib.bmm(lib.ones(2, 2, 3), lib.ones(2, 3, 5, dtype=lib.float64)),
     ["Float", "Double"]),
    (lambda lib: lib.mv(lib.ones(2, 3), lib.ones(4)), ["2x3", "(4)"]),
    (lambda lib: lib.mv(lib.ones(2, 3), lib.ones(4, 1)), ["1, 2, 2"]),
    (lambda lib: lib.mv(lib.ones(2, 3, dtype=lib.float64), lib.ones(3)), ["Double", "Float"]),
    (lambda lib: lib.dot(lib.ones(3), lib.ones(4)), ["[3]", "[4]"]),
    (lambda lib: lib.dot(lib.ones(3, 1), lib.ones(3)), ["2D", "1D"]),
    (lambda lib: lib.dot(lib.ones(3), lib.ones(3, dtype=lib.float64)), ["Float", "Double"]),
    (lambda lib: lib.outer(lib.ones(3, 2), lib.ones(4)), ["self", "2-D"]),
    (lambda lib: lib.outer(lib.ones(3), lib.ones(4, 2)), ["vec2", "2-D"]),
    (lambda lib: lib.addmm(lib.ones(2, 5), lib.ones(2, 3), lib.ones(4, 5)), ["2x3", "4x5"]),
    (lambda lib: lib.addmm(lib.ones(3, 5), lib.ones(2, 3), lib.ones(3, 5)), ["[2, 5]", "[3, 5]"]),
    (lambda lib: lib.addmm(lib.ones(2, 5), lib.ones(3), lib.ones(3, 5)), ["mat1", "1-D"]),
    (lambda lib: lib.addmm(lib.ones(2, 5, dtype=lib.float64), lib.ones(2, 3), lib.ones(3, 5)),
     ["Double", "Float"]),
])
def test_matrix_products_reject_as_torch(build: Any, words: list) -> None:
    assert_rejects(build, RuntimeError, words)


def test_matrix_products_keep_integer_dtypes_and_addmm_beta_zero_ignores_nan() -> None:
    a = mg.tensor([[1, 2], [3, 4]])
    assert mg.mm(a, a).tolist() == [[7, 10], [15, 22]] and mg.mm(a, a).dtype is mg.int64
    assert mg.dot(a[0], a[1]).tolist() == 11 and mg.outer(a[0], mg.ones(2)).dtype is mg.float32
    c = mg.full((2, 2), math.nan, requires_grad=True)
    m = mg.eye(2, requires_grad=True)
    out = mg.addmm(c, m, m, beta=0, alpha=3)
    assert out.tolist() == [[3.0, 0.0], [0.0, 3.0]]
    out.sum().backward()
    assert c.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]  # (torch's too: zeros, not None)
    assert mg.mm(mg.ones(0, 3), mg.ones(3, 5)).shape == (0, 5)


# ---- unique, bincount, count_nonzero: no gradient -------------------------------------------
@given(data=st.data())
def test_unique_matches_numpy(data: Any, cpu_backend: str) -> None:
    shape = data.draw(shapes(0, 3, min_side=0))
    a = data.draw(st.builds(lambda s: np.random.default_rng(s).integers(-3, 4, shape),
                            st.integers(0, 2**32 - 1))).astype(np.float64)
    x = mg.tensor(a, device=cpu_backend)
    values, inverse, counts = mg.unique(x, return_inverse=True, return_counts=True)
    want, want_inverse, want_counts = np.unique(a, return_inverse=True, return_counts=True)
    assert values.cpu().tolist() == want.tolist() and counts.cpu().tolist() == want_counts.tolist()
    assert inverse.cpu().numpy().tolist() == want_inverse.reshape(a.shape).tolist()
    assert inverse.dtype is mg.int64 and counts.dtype is mg.int64
    if a.ndim:
        dim = data.draw(st.integers(0, a.ndim - 1))
        if a.shape[dim] and not all(a.shape[i] for i in range(a.ndim)):
            return  # (torch's error: tested below)
        values, inverse, counts = x.unique(dim=dim, return_inverse=True, return_counts=True)
        want, want_inverse, want_counts = np.unique(a, axis=dim, return_inverse=True,
                                                    return_counts=True)
        assert values.cpu().numpy().tolist() == want.tolist()
        assert inverse.cpu().tolist() == want_inverse.reshape(-1).tolist()
        assert counts.cpu().tolist() == want_counts.tolist()


def test_unique_nans_scalars_and_errors_as_torch() -> None:
    torch = torch_or_skip()
    calls = [lambda lib: lib.unique(lib.tensor([1.0, math.nan, math.nan, 1.0, -2.0]),
                                    return_counts=True),
             lambda lib: lib.unique(lib.tensor(3.0), return_inverse=True),
             lambda lib: lib.unique(lib.tensor([[3, 1], [3, 1], [2, 3]]), dim=0,
                                    return_inverse=True, return_counts=True),
             lambda lib: lib.unique(lib.tensor([[1.0, 2.0], [1.0, 2.0]]), dim=1,
                                    return_inverse=True),
             lambda lib: lib.unique(lib.ones(0, 3), dim=0),
             lambda lib: lib.tensor([3, 1, 2, 3, 1]).unique(sorted=False)]
    for call in calls:
        ours, theirs = call(mg), call(torch)
        ours, theirs = (ours, theirs) if isinstance(theirs, tuple) else ((ours,), (theirs,))
        for o, t in zip(ours, theirs):
            assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
            np.testing.assert_array_equal(o.numpy(), t.numpy())
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert not mg.unique(x).requires_grad
    assert_rejects(lambda lib: lib.unique(lib.ones(2, 0), dim=0), RuntimeError, ["0 sized"])
    assert_rejects(lambda lib: lib.unique(lib.tensor(3.0), dim=0), IndexError, ["dimension"])


@given(data=st.data())
def test_bincount_matches_numpy(data: Any, cpu_backend: str) -> None:
    n = data.draw(st.integers(0, 12))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    a = rng.integers(0, 6, n)
    minlength = data.draw(st.integers(0, 9))
    x = mg.tensor(a, device=cpu_backend)
    out = mg.bincount(x, minlength=minlength)
    assert out.dtype is mg.int64
    assert out.cpu().tolist() == np.bincount(a, minlength=minlength).tolist()
    w = rng.standard_normal(n)
    weighted = x.bincount(mg.tensor(w, dtype=mg.float64, device=cpu_backend), minlength)
    assert weighted.dtype is mg.float64
    np.testing.assert_allclose(weighted.cpu().numpy(), np.bincount(a, w, minlength), atol=1e-12)


def test_bincount_dtypes_and_errors_as_torch() -> None:
    torch = torch_or_skip()
    for call in [lambda lib: lib.bincount(lib.tensor([1, 3, 1]), weights=lib.tensor([.5, 1., 2.])),
                 lambda lib: lib.bincount(lib.tensor([1, 3, 1]), weights=lib.tensor([1, 1, 2])),
                 lambda lib: lib.bincount(lib.tensor([1, 2], dtype=lib.int32),
                                          weights=lib.tensor([1., 2.], dtype=lib.float16)),
                 lambda lib: lib.bincount(lib.tensor([1, 3], dtype=lib.uint8)),
                 lambda lib: lib.bincount(lib.tensor([], dtype=lib.int64), minlength=2)]:
        ours, theirs = call(mg), call(torch)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert ours.tolist() == theirs.tolist()
    assert_rejects(lambda lib: lib.bincount(lib.tensor([-1, 3])), RuntimeError, ["non-negative"])
    assert_rejects(lambda lib: lib.bincount(lib.tensor([[1, 3]])), RuntimeError, ["1-d", "[1, 2]"])
    assert_rejects(lambda lib: lib.bincount(lib.tensor([1.0, 3.0])), NotImplementedError,
                   ["Float"])
    assert_rejects(lambda lib: lib.bincount(lib.tensor([1, 3]), weights=lib.tensor([1.0])),
                   RuntimeError, ["weights", "[2]", "[1]"])
    assert_rejects(lambda lib: lib.bincount(lib.tensor([1, 3]), minlength=-1), RuntimeError,
                   ["minlength", "-1"])


def test_count_nonzero_dims_as_torch() -> None:
    torch = torch_or_skip()
    a = np.array([[1.0, 0.0, -0.0], [2.0, 3.0, math.nan]])
    for dim in (None, 0, -1, (0, 1), [1]):
        ours = mg.count_nonzero(mg.tensor(a), dim)
        theirs = torch.count_nonzero(torch.tensor(a), dim)
        assert ours.dtype is mg.int64 and ours.tolist() == theirs.tolist()
    assert mg.tensor(3.0).count_nonzero().tolist() == 1
    assert_rejects(lambda lib: lib.count_nonzero(lib.ones(2, 2), dim=[0, 0]), RuntimeError,
                   ["dim 0", "multiple"])


# ---- random fills ---------------------------------------------------------------------------
def test_random_fills_are_seeded_in_place_and_counted(backend: str) -> None:
    def draw(seed: int) -> list:
        mg.manual_seed(seed)
        x = mg.zeros(3, 4, device=backend)
        before = x._version
        out = x.uniform_(2, 3)
        assert out is x and x._version == before + 1
        return x.cpu().tolist()

    first = draw(5)
    assert first == draw(5) and first != draw(6)
    assert all(2 <= v < 3 for row in first for v in row)
    mg.manual_seed(0)
    x = mg.empty(20000, dtype=mg.float64, device=backend).normal_(3.0, 0.5).cpu().numpy()
    assert abs(x.mean() - 3.0) < 0.02 and abs(x.std() - 0.5) < 0.02
    ones = mg.empty(50, device=backend)
    assert ones.bernoulli_(1).cpu().tolist() == [1.0] * 50
    assert ones.bernoulli_(0.0).cpu().tolist() == [0.0] * 50
    p = mg.tensor([0.0, 1.0, 1.0, 0.0], device=backend)
    for dtype in (mg.float32, mg.int64, mg.bool):
        filled = mg.zeros(3, 4, dtype=dtype, device=backend).bernoulli_(p)
        assert filled.dtype is dtype and filled.cpu().tolist() == [[0, 1, 1, 0]] * 3
    frequency = mg.empty(20000, device=backend).bernoulli_(0.3).cpu().numpy().mean()
    assert abs(frequency - 0.3) < 0.02
    assert mg.bernoulli(mg.tensor([[0.0, 1.0]], device=backend)).cpu().tolist() == [[0.0, 1.0]]
    base = mg.zeros(3, 4, device=backend)
    base[1].normal_()
    rows = base.cpu().numpy()
    assert (rows[[0, 2]] == 0).all() and (rows[1] != 0).all()  # a view writes into its base


def test_random_fills_in_the_graph_as_torch() -> None:
    torch = torch_or_skip()
    for lib in (mg, torch):
        leaf = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            leaf.uniform_()
        with lib.no_grad():
            leaf.normal_()  # (as nn.init does)
        y = leaf * 2
        y.uniform_(-1, 1)
        (y * 3).sum().backward()
        assert leaf.grad.tolist() == [0.0, 0.0, 0.0]  # the old values are gone


@pytest.mark.parametrize("build, error, words", [
    (lambda lib: lib.ones(3).uniform_(2, 1), RuntimeError, ["from=2", "to=1"]),
    (lambda lib: lib.ones(3).normal_(0, -1), RuntimeError, ["std", "-1"]),
    (lambda lib: lib.ones(3).bernoulli_(2), RuntimeError, ["p=2"]),
    (lambda lib: lib.ones(2).bernoulli_(lib.tensor([2.0, 0.0])), RuntimeError, ["p_in"]),
    (lambda lib: lib.ones(3, dtype=lib.int64).uniform_(0, 1), NotImplementedError, ["Long"]),
    (lambda lib: lib.ones(3, dtype=lib.int64).normal_(), NotImplementedError, ["Long"]),
    (lambda lib: lib.bernoulli(lib.tensor([0, 1])), NotImplementedError, ["Long"]),
])
def test_random_fills_reject_as_torch(build: Any, error: type, words: list) -> None:
    assert_rejects(build, error, words)


# ---- strides and sizes ----------------------------------------------------------------------
VIEWS = [lambda lib: lib.ones(2, 3, 4), lambda lib: lib.ones(2, 3).t(),
         lambda lib: lib.ones(3, 1).expand(3, 4), lambda lib: lib.ones(4, 6)[::2, 1::3],
         lambda lib: lib.ones(2, 3, 4).permute(2, 0, 1), lambda lib: lib.ones(2, 1, 3),
         lambda lib: lib.ones(()), lambda lib: lib.ones(2, 3).t() + 1,
         lambda lib: lib.ones(3, 4, dtype=lib.float64)[:, [0, 2]],
         lambda lib: lib.ones(3, 4, dtype=lib.int32).t().unsqueeze(1),
         lambda lib: lib.ones(3, 4, dtype=lib.float16)[1]]


@pytest.mark.parametrize("view", VIEWS)
def test_stride_nbytes_itemsize_as_torch(view: Any) -> None:
    torch = torch_or_skip()
    ours, theirs = view(mg), view(torch)
    assert ours.stride() == theirs.stride()
    for d in range(-ours.ndim, ours.ndim):
        assert ours.stride(d) == theirs.stride(d)
    assert ours.nbytes == theirs.nbytes and ours.itemsize == theirs.itemsize
    assert ours.itemsize == ours.element_size()


def test_functions_and_methods_are_there() -> None:
    names = ["mm", "bmm", "mv", "dot", "outer", "addmm", "prod", "cumprod", "logsumexp",
             "isnan", "isinf", "isfinite", "nan_to_num", "log1p", "expm1", "square", "rsqrt",
             "reciprocal", "unique", "bincount", "count_nonzero", "bernoulli"]
    for name in names:
        assert callable(getattr(mg, name)) and callable(getattr(mg.Tensor, name)), name
        with pytest.raises(TypeError, match="must be Tensor"):
            getattr(mg, name)([1.0, 2.0])
    for name in ("uniform_", "normal_", "bernoulli_"):
        assert callable(getattr(mg.Tensor, name))
    for name in [*names, "einsum"]:
        assert name in mg.__all__ and name in mg.functions.__all__, name
