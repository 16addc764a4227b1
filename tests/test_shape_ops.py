"""Shape and indexing ops (minigrad/ops/indexing.py): flip, roll, split, chunk, narrow, unbind,
index_select, take_along_dim, scatter, scatter_add, repeat, tile, repeat_interleave, movedim,
swapaxes, tril, triu, meshgrid.

The table (tests/op_table.py) runs each on every backend, fast paths on and off: its output
against NumPy written from the definition (np.flip, np.roll, np.split, np.take, loops for
scatter, np.repeat, np.tile, np.moveaxis, np.tril, np.meshgrid), its first and second
derivatives in float64 (gradcheck, gradgradcheck), and PyTorch where installed. The ops that
give several tensors (split, chunk, unbind, meshgrid) enter the table as their pieces
flattened and joined; their pieces are checked one by one below, as are views, dtypes, the
function forms and the errors (PyTorch's exception types).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.testing import assert_close, gradcheck, gradgradcheck
from tests.op_table import Case, table_tests
from tests.strategies import arrays, shapes


def joined(lib: Any, pieces: Any) -> Any:
    """Several tensors as one: each flattened, then joined (for the table)."""
    return lib.cat([p.reshape(-1) for p in pieces])


def np_joined(pieces: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.ravel(p) for p in pieces])


def cases() -> list[Case]:
    """The table: one row per op (and form)."""
    return [
        Case("flip", flip_input, lambda lib, x, dims: x.flip(dims), np_flip),
        Case("roll", roll_input, lambda lib, x, shifts, dims: x.roll(shifts, dims), np_roll),
        Case("split", split_input, lambda lib, x, size, dim: joined(lib, x.split(size, dim)),
             lambda x, size, dim: np_joined(np_split(x, size, dim))),
        Case("chunk", chunk_input, lambda lib, x, chunks, dim: joined(lib, x.chunk(chunks, dim)),
             lambda x, chunks, dim: np_joined(np_chunk(x, chunks, dim))),
        Case("narrow", narrow_input,
             lambda lib, x, dim, start, length: lib.narrow(x, dim, start, length), np_narrow),
        Case("unbind", dim_input, lambda lib, x, dim: joined(lib, lib.unbind(x, dim)),
             lambda x, dim: np_joined([np.take(x, i, axis=dim) for i in range(x.shape[dim])])),
        Case("index_select", index_select_input,
             lambda lib, x, dim, index: x.index_select(dim, lib.tensor(index)),
             lambda x, dim, index: np.take(x, index, axis=dim)),
        Case("take_along_dim", take_along_input,
             lambda lib, x, index, dim: lib.take_along_dim(x, lib.tensor(index), dim),
             np_take_along),
        Case("scatter", scatter_input,
             lambda lib, x, src, dim, index, exact: x.scatter(dim, lib.tensor(index), src),
             lambda x, src, dim, index, exact: np_scatter(x, dim, index, src, add=False),
             torch_can=same_size),
        Case("scatter_value", scatter_value_input,
             lambda lib, x, dim, index, value: lib.scatter(x, dim, lib.tensor(index),
                                                          value=value),
             lambda x, dim, index, value: np_scatter(x, dim, index, np.full(index.shape, value),
                                                     add=False)),
        Case("scatter_add", scatter_add_input,
             lambda lib, x, src, dim, index, exact: x.scatter_add(dim, lib.tensor(index), src),
             lambda x, src, dim, index, exact: np_scatter(x, dim, index, src, add=True),
             torch_can=same_size),
        Case("repeat", repeat_input,
             lambda lib, x, reps: x.repeat(*reps) if reps else x.repeat(reps),
             lambda x, reps: np.tile(x, reps)),  # (np.tile is torch's repeat for these reps)
        Case("tile", tile_input, lambda lib, x, reps: lib.tile(x, reps),
             lambda x, reps: np.tile(x, reps)),
        Case("repeat_interleave", interleave_input,
             lambda lib, x, repeats, dim: lib.repeat_interleave(x, repeats, dim),
             lambda x, repeats, dim: np.repeat(x, repeats, axis=dim)),
        Case("repeat_interleave_tensor", interleave_tensor_input,
             lambda lib, x, repeats, dim: x.repeat_interleave(lib.tensor(repeats), dim=dim),
             lambda x, repeats, dim: np.repeat(x, repeats, axis=dim)),
        Case("movedim", movedim_input,
             lambda lib, x, source, destination: x.movedim(source, destination),
             lambda x, source, destination: np.moveaxis(x, source, destination)),
        Case("moveaxis", movedim_input,
             lambda lib, x, source, destination: lib.moveaxis(x, source, destination),
             lambda x, source, destination: np.moveaxis(x, source, destination)),
        Case("swapaxes", swap_input, lambda lib, x, a, b: x.swapaxes(a, b),
             lambda x, a, b: np.swapaxes(x, a, b)),
        Case("swapdims", swap_input, lambda lib, x, a, b: lib.swapdims(x, a, b),
             lambda x, a, b: np.swapaxes(x, a, b)),
        Case("tril", triangle_input, lambda lib, x, diagonal: x.tril(diagonal),
             lambda x, diagonal: np.tril(x, diagonal)),
        Case("triu", triangle_input, lambda lib, x, diagonal: lib.triu(x, diagonal=diagonal),
             lambda x, diagonal: np.triu(x, diagonal)),
        Case("meshgrid", meshgrid_input,
             lambda lib, *xs, indexing: joined(lib, lib.meshgrid(*xs, indexing=indexing)),
             lambda *xs, indexing: np_joined(np.meshgrid(*xs, indexing=indexing))),
    ]


# ---- the inputs and the references (from the definitions) ----------------------------------
def _seeded(data: Any) -> np.random.Generator:
    return np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))


def _dim(data: Any, ndim: int) -> int:
    return data.draw(st.integers(-ndim, ndim - 1), label="dim")


def flip_input(data: Any) -> tuple:
    shape = data.draw(shapes(0, 4), label="shape")
    n = max(len(shape), 1)  # (a scalar's dims 0 and -1 are itself)
    dims = data.draw(st.lists(st.integers(-n, n - 1), max_size=n, unique_by=lambda d: d % n),
                     label="dims")
    return (data.draw(arrays(shape)),), {"dims": dims}


def np_flip(x: np.ndarray, dims: list[int]) -> np.ndarray:
    return np.flip(x, axis=tuple(dims)) if x.ndim else x.copy()


def roll_input(data: Any) -> tuple:
    shape = data.draw(shapes(0, 3), label="shape")
    if not shape or data.draw(st.booleans()):  # along the flattened tensor
        return (data.draw(arrays(shape)),), {"shifts": data.draw(st.integers(-7, 7)),
                                             "dims": None}
    dims = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1,
                              max_size=3), label="dims")
    shifts = data.draw(st.lists(st.integers(-7, 7), min_size=len(dims), max_size=len(dims)))
    return (data.draw(arrays(shape)),), {"shifts": tuple(shifts), "dims": tuple(dims)}


def np_roll(x: np.ndarray, shifts: Any, dims: Any) -> np.ndarray:
    """Each element moved ``shift`` places on along each dim, wrapping round (a loop)."""
    if dims is None:
        return np.roll(x.ravel(), shifts).reshape(x.shape)
    out = x
    for s, d in zip(shifts, dims):
        n = x.shape[d]
        moved = np.empty_like(out)
        for i in range(n):
            moved[(slice(None),) * (d % x.ndim) + ((i + s) % n,)] = out[
                (slice(None),) * (d % x.ndim) + (i,)]
        out = moved
    return out


def dim_input(data: Any) -> tuple:
    shape = data.draw(shapes(1, 3), label="shape")
    return (data.draw(arrays(shape)),), {"dim": _dim(data, len(shape))}


def split_input(data: Any) -> tuple:
    (x,), p = dim_input(data)
    n = x.shape[p["dim"]]
    if data.draw(st.booleans()):
        size: Any = data.draw(st.integers(1, n + 1), label="split_size")
    else:  # sections that add up to n, empty ones included
        cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=3), label="cuts"))
        size = [b - a for a, b in zip([0, *cuts], [*cuts, n])]
    return (x,), {"size": size, "dim": p["dim"]}


def np_split(x: np.ndarray, size: Any, dim: int) -> list[np.ndarray]:
    n = x.shape[dim]
    sizes = size if isinstance(size, list) else [size] * (n // size) + (
        [n % size] if n % size else [])
    return np.split(x, np.cumsum(sizes)[:-1], axis=dim)


def chunk_input(data: Any) -> tuple:
    (x,), p = dim_input(data)
    return (x,), {"chunks": data.draw(st.integers(1, x.shape[p["dim"]] + 2)), "dim": p["dim"]}


def np_chunk(x: np.ndarray, chunks: int, dim: int) -> list[np.ndarray]:
    """Pieces of ceil(n / chunks), the last one smaller (not np.array_split's even spread)."""
    n = x.shape[dim]
    size = -(-n // chunks)
    return [np.take(x, range(a, min(a + size, n)), axis=dim) for a in range(0, n, size)]


def narrow_input(data: Any) -> tuple:
    (x,), p = dim_input(data)
    n = x.shape[p["dim"]]
    start = data.draw(st.integers(-n, n), label="start")
    length = data.draw(st.integers(0, n - start % n if start != n else 0), label="length")
    return (x,), {**p, "start": start, "length": length}


def np_narrow(x: np.ndarray, dim: int, start: int, length: int) -> np.ndarray:
    start = start + x.shape[dim] if start < 0 else start
    return np.take(x, range(start, start + length), axis=dim)


def index_select_input(data: Any) -> tuple:
    (x,), p = dim_input(data)
    n = x.shape[p["dim"]]
    index = np.array(data.draw(st.lists(st.integers(0, n - 1), max_size=5), label="index"),
                     dtype=np.int64)  # repeats: the gradient adds them up
    return (x,), {**p, "index": index}


def take_along_input(data: Any) -> tuple:
    shape = data.draw(shapes(1, 3), label="shape")
    rng = _seeded(data)
    if data.draw(st.booleans()):  # without dim: the flattened tensor
        index_shape = data.draw(shapes(0, 3), label="index shape")
        index = rng.integers(0, int(np.prod(shape)), index_shape)
        return (data.draw(arrays(shape)),), {"index": index, "dim": None}
    dim = _dim(data, len(shape))
    # the other dims broadcast: equal, 1 on either side
    index_shape = [data.draw(st.sampled_from([n, 1] if n > 1 else [1, 2, 3])) for n in shape]
    index_shape[dim] = data.draw(st.integers(1, 4))
    n = shape[dim]
    index = rng.integers(-n, n, index_shape)  # (negative ones count from the end)
    return (data.draw(arrays(shape)),), {"index": index, "dim": dim}


def np_take_along(x: np.ndarray, index: np.ndarray, dim: int | None) -> np.ndarray:
    if dim is None:
        return np.take(x.ravel(), index.ravel())
    d = dim % x.ndim
    rest = np.broadcast_shapes(*(tuple(np.delete(s, d)) for s in (x.shape, index.shape)))
    xb = np.broadcast_to(x, rest[:d] + (x.shape[d],) + rest[d:])
    ib = np.broadcast_to(index, rest[:d] + (index.shape[d],) + rest[d:])
    return np.take_along_axis(xb, ib, d)


def _scatter_geometry(data: Any, distinct: bool) -> tuple:
    """x's shape, a dim, an index (distinct targets along dim where ``distinct``) and a src
    shape at least as large as the index."""
    shape = data.draw(shapes(1, 3), label="shape")
    dim = _dim(data, len(shape))
    d = dim % len(shape)
    index_shape = [data.draw(st.integers(1, n)) for n in shape]
    rng = _seeded(data)
    if distinct:  # each fibre along dim a prefix of a permutation: no target written twice
        index_shape[d] = data.draw(st.integers(1, shape[d]))
        order = np.argsort(rng.random(index_shape[:d] + [shape[d]] + index_shape[d + 1:]),
                           axis=d)
        index = np.take(order, range(index_shape[d]), axis=d)
    else:  # repeats: scatter_add adds them up
        index_shape[d] = data.draw(st.integers(1, 5))
        index = rng.integers(0, shape[d], index_shape)
    src_shape = tuple(k + data.draw(st.integers(0, 1)) for k in index_shape)
    return shape, dim, index, src_shape


def scatter_input(data: Any) -> tuple:
    shape, dim, index, src_shape = _scatter_geometry(data, distinct=True)
    return ((data.draw(arrays(shape)), data.draw(arrays(src_shape))),
            {"dim": dim, "index": index, "exact": src_shape == index.shape})


def same_size(params: dict) -> bool:
    """torch's backward of scatter gives src a gradient of index's shape: a src larger than
    the index fails there ("returned an invalid gradient"); ours is checked by gradcheck."""
    return params["exact"]


def scatter_value_input(data: Any) -> tuple:
    shape, dim, index, _ = _scatter_geometry(data, distinct=False)  # (one value: any order)
    value = data.draw(st.floats(-3, 3), label="value")
    return (data.draw(arrays(shape)),), {"dim": dim, "index": index, "value": value}


def scatter_add_input(data: Any) -> tuple:
    shape, dim, index, src_shape = _scatter_geometry(data, distinct=False)
    return ((data.draw(arrays(shape)), data.draw(arrays(src_shape))),
            {"dim": dim, "index": index, "exact": src_shape == index.shape})


def np_scatter(x: np.ndarray, dim: int, index: np.ndarray, src: np.ndarray, add: bool
               ) -> np.ndarray:
    """out[..., index[pos], ...] = (or +=) src[pos] at dim, for every position of index."""
    out = x.copy()
    for pos in np.ndindex(*index.shape):
        target = list(pos)
        target[dim] = index[pos]
        if add:
            out[tuple(target)] += src[pos]
        else:
            out[tuple(target)] = src[pos]
    return out


def repeat_input(data: Any) -> tuple:
    shape = data.draw(shapes(0, 3), label="shape")
    reps = data.draw(st.lists(st.integers(0, 3), min_size=len(shape),
                              max_size=len(shape) + 2), label="repeats")
    return (data.draw(arrays(shape)),), {"reps": tuple(reps)}


def tile_input(data: Any) -> tuple:
    shape = data.draw(shapes(0, 3), label="shape")
    reps = data.draw(st.lists(st.integers(0, 3), max_size=len(shape) + 2), label="dims")
    return (data.draw(arrays(shape)),), {"reps": tuple(reps)}


def interleave_input(data: Any) -> tuple:
    shape = data.draw(shapes(0, 3), label="shape")
    dim = None if not shape or data.draw(st.booleans()) else _dim(data, len(shape))
    return (data.draw(arrays(shape)),), {"repeats": data.draw(st.integers(0, 3)), "dim": dim}


def interleave_tensor_input(data: Any) -> tuple:
    shape = data.draw(shapes(1, 3), label="shape")
    dim = None if data.draw(st.booleans()) else _dim(data, len(shape))
    n = int(np.prod(shape)) if dim is None else shape[dim]
    count = data.draw(st.sampled_from([1, n]))  # one count for all, or one per slice
    repeats = np.array(data.draw(st.lists(st.integers(0, 3), min_size=count, max_size=count)),
                       dtype=np.int64)
    return (data.draw(arrays(shape)),), {"repeats": repeats, "dim": dim}


def movedim_input(data: Any) -> tuple:
    shape = data.draw(shapes(1, 4), label="shape")
    k = len(shape)
    source = data.draw(st.lists(st.integers(-k, k - 1), max_size=k, unique_by=lambda d: d % k))
    destination = data.draw(st.lists(st.integers(-k, k - 1), min_size=len(source),
                                     max_size=len(source), unique_by=lambda d: d % k))
    if len(source) == 1 and data.draw(st.booleans()):  # plain ints
        source, destination = source[0], destination[0]
    return (data.draw(arrays(shape)),), {"source": source, "destination": destination}


def swap_input(data: Any) -> tuple:
    shape = data.draw(shapes(1, 4), label="shape")
    return (data.draw(arrays(shape)),), {"a": _dim(data, len(shape)), "b": _dim(data, len(shape))}


def triangle_input(data: Any) -> tuple:
    shape = data.draw(shapes(2, 4), label="shape")
    return (data.draw(arrays(shape)),), {"diagonal": data.draw(st.integers(-4, 4))}


def meshgrid_input(data: Any) -> tuple:
    sizes = data.draw(st.lists(st.sampled_from([(), (1,), (2,), (3,), (4,)]), min_size=1,
                               max_size=3), label="shapes")
    return (tuple(data.draw(arrays(s)) for s in sizes),
            {"indexing": data.draw(st.sampled_from(["ij", "xy"]))})


test_forward_matches_reference, test_derivatives, test_matches_torch = table_tests(cases())


# ---- several tensors: the pieces one by one ----------------------------------------------
@given(data=st.data())
def test_split_chunk_and_unbind_give_numpys_pieces(data: Any) -> None:
    (x,), p = split_input(data)
    t = mg.tensor(x)
    chunks = data.draw(st.integers(1, x.shape[p["dim"]] + 2))
    for got, want in ((t.split(p["size"], p["dim"]), np_split(x, p["size"], p["dim"])),
                      (mg.chunk(t, chunks, p["dim"]), np_chunk(x, chunks, p["dim"])),
                      (t.unbind(p["dim"]), [np.take(x, i, axis=p["dim"])
                                            for i in range(x.shape[p["dim"]])])):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            assert tuple(g.shape) == w.shape
            assert_close(g, w)


@given(data=st.data())
def test_meshgrid_gives_numpys_grids(data: Any) -> None:
    xs, p = meshgrid_input(data)
    got = mg.meshgrid([mg.tensor(a) for a in xs], indexing=p["indexing"])  # (a list, too)
    want = np.meshgrid(*xs, indexing=p["indexing"])
    assert isinstance(got, tuple) and len(got) == len(want)
    for g, w in zip(got, want):
        assert_close(g, w)


def test_the_slices_are_views_and_the_copies_are_not() -> None:
    """split, chunk, narrow, unbind, movedim, swapaxes and meshgrid share the input's memory,
    as torch's; flip, roll, repeat, tile, repeat_interleave, index_select, scatter and tril
    are copies."""
    x = mg.zeros(4, 3)
    for view in (x.split(2)[1], x.chunk(2, 1)[0], x.narrow(0, 1, 2), x.unbind(1)[2],
                 x.movedim(0, 1), x.swapaxes(0, 1), mg.meshgrid(x[0], indexing="ij")[0]):
        before = x.sum().item()
        view.add_(1)
        assert x.sum().item() == before + view.numel()
    index = mg.tensor([[0, 1, 2]])
    for copy in (x.flip(0), x.roll(1), x.repeat(1, 1), x.tile(()), x.repeat_interleave(1, 0),
                 x.index_select(0, mg.tensor([0])), x.scatter(0, index, 5.0), x.tril(),
                 x.flip([]), x.take_along_dim(index, 0), x.scatter_add(0, index, x)):
        before = x.numpy().copy()
        copy.add_(1)
        np.testing.assert_array_equal(x.numpy(), before)


# ---- the primitives' own derivatives, on larger inputs -----------------------------------
@settings(max_examples=10)
@given(data=st.data())
def test_flip_and_roll_derivatives_are_their_adjoints(data: Any) -> None:
    """Flip's backward is flip and Roll's is roll by -shifts: <op(x), g> = <x, op*(g)>, and
    the first and second derivatives agree with finite differences."""
    (x,), p = flip_input(data)
    (y,), q = roll_input(data)
    for a, f in ((x, lambda t: t.flip(p["dims"])), (y, lambda t: t.roll(q["shifts"], q["dims"]))):
        t = mg.tensor(a, requires_grad=True)
        g = np.random.default_rng(0).standard_normal(a.shape)
        out = f(t)
        out.backward(mg.tensor(g))
        forward_side = float((out.detach().numpy() * g).sum())
        assert np.isclose(forward_side, float((a * t.grad.numpy()).sum()))
        assert gradcheck(f, (t,))
        assert gradgradcheck(f, (t,))


# ---- dtypes, forms and odd inputs, against torch -------------------------------------------
def _torch() -> Any:
    return pytest.importorskip("torch", reason="PyTorch is the oracle here; .ci/run installs it")


ODD = {  # calls written once for both libraries: beyond float64 and beyond the table's shapes
    "flip_bool": lambda lib: lib.tensor([[True, False], [False, False]]).flip(1),
    "flip_scalar": lambda lib: lib.tensor(2.5).flip(0),
    "roll_int_dims_empty": lambda lib: lib.arange(6).reshape(2, 3).roll(1, dims=[]),
    "roll_empty": lambda lib: lib.zeros(0, 3).roll(2, 0),
    "split_empty_dim": lambda lib: lib.zeros(0, 3).split(2),
    "chunk_empty_dim": lambda lib: lib.zeros(3, 0).chunk(2, 1),
    "chunk_fewer": lambda lib: lib.arange(5).chunk(4),
    "narrow_tensor_start": lambda lib: lib.arange(6.).narrow(0, lib.tensor(2), 3),
    "narrow_at_end": lambda lib: lib.arange(6.).reshape(2, 3).narrow(1, 3, 0),
    "index_select_int32": lambda lib: lib.arange(6).reshape(2, 3).index_select(
        1, lib.tensor([2, 0, 2]).int()),
    "index_select_0d_index": lambda lib: lib.arange(6.).reshape(2, 3).index_select(
        1, lib.tensor(1)),
    "index_select_scalar": lambda lib: lib.tensor(4.0).index_select(0, lib.tensor([0])),
    "index_select_empty": lambda lib: lib.ones(2, 3).index_select(0, lib.tensor([]).long()),
    "take_along_dim_scalar": lambda lib: lib.take_along_dim(lib.tensor(3.), lib.tensor(0)),
    "scatter_int_value": lambda lib: lib.ones(3).long().scatter(0, lib.tensor([0, 2]), 2.5),
    "scatter_bool": lambda lib: lib.ones(3).bool().scatter(0, lib.tensor([1]), False),
    "scatter_empty_index": lambda lib: lib.ones(2, 3).scatter(1, lib.zeros(0, 0).long(),
                                                              lib.zeros(2, 3)),
    "scatter_scalar": lambda lib: lib.tensor(1.).scatter(0, lib.tensor(0), lib.tensor(5.)),
    "scatter_reduce_add": lambda lib: lib.arange(6.).reshape(2, 3).scatter(
        1, lib.tensor([[0, 0]]), lib.ones(1, 2), reduce="add"),
    "scatter_add_int": lambda lib: lib.zeros(4).long().scatter_add(
        0, lib.tensor([1, 1, 3]), lib.tensor([1, 2, 3])),
    "repeat_int": lambda lib: lib.arange(3).repeat(2, 2),
    "repeat_size": lambda lib: lib.arange(3).repeat((2, 1)),
    "repeat_scalar": lambda lib: lib.tensor(7).repeat(()),
    "tile_int": lambda lib: lib.arange(3).tile(2, 2),
    "repeat_interleave_output_size": lambda lib: lib.arange(4.).reshape(2, 2).repeat_interleave(
        lib.tensor([1, 2]), dim=0, output_size=3),
    "repeat_interleave_indices": lambda lib: lib.repeat_interleave(lib.tensor([2, 0, 3])),
    "repeat_interleave_scalar": lambda lib: lib.tensor(3.).repeat_interleave(2),
    "movedim_scalar": lambda lib: lib.tensor(3.).movedim(0, -1),
    "movedim_none": lambda lib: lib.ones(2, 3).movedim([], []),
    "tril_int": lambda lib: lib.arange(12).reshape(3, 4).tril(1),
    "triu_bool": lambda lib: lib.ones(2, 3, 3).bool().triu(-1),
    "tril_inf": lambda lib: lib.full((3, 3), float("inf")).tril(),  # (the zeros stay zeros)
    "meshgrid_int": lambda lib: lib.meshgrid(lib.arange(2), lib.arange(3), indexing="xy"),
    "meshgrid_one_xy": lambda lib: lib.meshgrid(lib.arange(3.), indexing="xy"),
}


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter:UserWarning")
@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_inputs_match_torch(name: str) -> None:
    torch = _torch()
    got, want = ODD[name](mg), ODD[name](torch)
    gots, wants = (got, want) if isinstance(want, tuple) else ((got,), (want,))
    assert len(gots) == len(wants)
    for g, w in zip(gots, wants):
        assert tuple(g.shape) == tuple(w.shape)
        assert g.dtype.name == str(w.dtype).split(".")[-1]
        np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_scatter_with_repeated_targets_has_torchs_gradients() -> None:
    """Which of two writes to one element wins is torch's own business, but the gradients are
    defined: x's is masked where anything was written, every src element read gets its
    target's gradient (a gather)."""
    torch = _torch()
    index = [[0, 0, 2], [1, 1, 1]]
    x, src = np.arange(6.).reshape(2, 3), np.arange(6., 12.).reshape(2, 3)
    g = np.random.default_rng(0).standard_normal((2, 3))
    ours = [mg.tensor(a, requires_grad=True) for a in (x, src)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, src)]
    ours[0].scatter(1, mg.tensor(index), ours[1]).backward(mg.tensor(g))
    theirs[0].scatter(1, torch.tensor(index), theirs[1]).backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        assert_close(a.grad, b.grad.numpy())


def test_the_functions_are_the_methods() -> None:
    """mg.NAME(x, ...) is x.NAME(...); a non-tensor first argument is torch's TypeError."""
    x = mg.arange(24.).reshape(2, 3, 4)
    i = mg.tensor([[[0, 1, 2, 0]]])
    pairs = [
        (mg.flip(x, (0, 2)), x.flip(0, 2)), (mg.flip(x, [1]), x.flip(dims=[1])),
        (mg.roll(x, 2, 1), x.roll(2, 1)), (mg.narrow(x, 2, 1, 2), x.narrow(2, 1, 2)),
        (mg.index_select(x, 2, mg.tensor([3, 0])), x.index_select(2, mg.tensor([3, 0]))),
        (mg.take_along_dim(x, i, 2), x.take_along_dim(i, 2)),
        (mg.scatter(x, 2, i, 0.5), x.scatter(2, i, value=0.5)),
        (mg.scatter_add(x, 2, i, x), x.scatter_add(2, i, x)),
        (mg.tile(x, (2,)), x.tile(2)), (mg.repeat_interleave(x, 2, 1), x.repeat_interleave(2, 1)),
        (mg.movedim(x, 0, 2), x.moveaxis(0, 2)), (mg.swapaxes(x, 0, 2), x.swapdims(0, 2)),
        (mg.tril(x, 1), x.tril(1)), (mg.triu(x), x.triu(0)),
        (mg.split(x, [1, 3], 2)[1], x.split([1, 3], dim=2)[1]),
        (mg.chunk(x, 3, 2)[1], x.chunk(3, 2)[1]), (mg.unbind(x, 1)[2], x.unbind(1)[2]),
    ]
    for a, b in pairs:
        assert a.shape == b.shape
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(TypeError, match="flip.*must be Tensor, not list"):
        mg.flip([1, 2], 0)


def test_meshgrid_without_indexing_warns_and_takes_ij() -> None:
    a, b = mg.arange(2), mg.arange(3)
    with pytest.warns(UserWarning, match="indexing"):
        grids = mg.meshgrid(a, b)
    assert [tuple(g.shape) for g in grids] == [(2, 3), (2, 3)]


# ---- errors: torch's exception types, messages that name what is wrong ----------------------
def _x(lib: Any) -> Any:
    return lib.arange(6.).reshape(2, 3)


ERRORS: list[tuple[str, Callable, type, str]] = [  # name, call, torch's type, our message
    ("flip_dim", lambda lib: _x(lib).flip(2), IndexError, r"Dimension out of range"),
    ("flip_twice", lambda lib: _x(lib).flip(0, -2), RuntimeError, r"dim 0 appears multiple"),
    ("flip_no_dims", lambda lib: _x(lib).flip(), TypeError, r"missing .*dims"),
    ("roll_align", lambda lib: _x(lib).roll((1, 2), (0,)), RuntimeError,
     r"shifts and dimensions must align. shifts: 2, dims:1"),
    ("roll_no_shifts", lambda lib: _x(lib).roll((), ()), RuntimeError, r"`shifts` required"),
    ("roll_dim", lambda lib: _x(lib).roll(1, 5), IndexError, r"Dimension out of range"),
    ("split_scalar", lambda lib: lib.tensor(1.).split(1), RuntimeError, r"1-dimensional"),
    ("split_sum", lambda lib: _x(lib).split([1, 1], 1), RuntimeError,
     r"sum exactly to 3 .*split_sizes=\[1, 1\]"),
    ("split_negative", lambda lib: _x(lib).split(-1), RuntimeError, r"non-negative.*-1"),
    ("split_negative_section", lambda lib: _x(lib).split([1, -1, 3], 1), RuntimeError,
     r"non-negative entries"),
    ("split_zero", lambda lib: _x(lib).split(0, 1), RuntimeError, r"dimension size of 3"),
    ("chunk_zero", lambda lib: _x(lib).chunk(0), RuntimeError, r"greater than 0, got: 0"),
    ("chunk_scalar", lambda lib: lib.tensor(1.).chunk(1), RuntimeError, r"1-dimensional"),
    ("narrow_start", lambda lib: _x(lib).narrow(1, 4, 0), IndexError,
     r"start out of range .*\[-3, 3\], but got 4"),
    ("narrow_length", lambda lib: _x(lib).narrow(1, 2, 2), RuntimeError,
     r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)"),
    ("narrow_negative_length", lambda lib: _x(lib).narrow(1, 1, -1), RuntimeError,
     r"length must be non-negative"),
    ("narrow_scalar", lambda lib: lib.tensor(1.).narrow(0, 0, 1), RuntimeError, r"0-dim"),
    ("unbind_scalar", lambda lib: lib.tensor(1.).unbind(), IndexError, r"no dimensions"),
    ("unbind_dim", lambda lib: _x(lib).unbind(2), IndexError, r"Dimension out of range"),
    ("index_select_matrix", lambda lib: _x(lib).index_select(1, lib.tensor([[0]])),
     IndexError, r"vector"),
    ("index_select_float", lambda lib: _x(lib).index_select(1, lib.tensor([1.])),
     RuntimeError, r"int32 or int64"),
    ("index_select_range", lambda lib: _x(lib).index_select(1, lib.tensor([3])),
     RuntimeError, r"index 3 is out of bounds for dimension 1 with size 3"),
    ("index_select_negative", lambda lib: _x(lib).index_select(1, lib.tensor([-1])),
     RuntimeError, r"index -1 is out of bounds"),
    ("index_select_scalar_many", lambda lib: lib.tensor(1.).index_select(0, lib.tensor([0, 0])),
     RuntimeError, r"only 1 value, got 2"),
    ("index_select_scalar_range", lambda lib: lib.tensor(1.).index_select(0, lib.tensor([1])),
     IndexError, r"index out of range in self"),
    ("take_along_dim_int32", lambda lib: _x(lib).take_along_dim(lib.tensor([[0]]).int(), 1),
     RuntimeError, r"should be Long but got Int"),
    ("take_along_dim_ndim", lambda lib: _x(lib).take_along_dim(lib.tensor([0]), 1),
     RuntimeError, r"same number of dimensions, but got 2 .* and 1"),
    ("take_along_dim_broadcast", lambda lib: _x(lib).take_along_dim(lib.tensor([[0, 1]]), 0),
     RuntimeError, r"size of tensor a \(3\) must match the size of tensor b \(2\)"),
    ("take_along_dim_range", lambda lib: _x(lib).take_along_dim(lib.tensor([6])),
     RuntimeError, r"index 6 is out of bounds for dimension 0 with size 6"),
    ("take_along_dim_scalar_dim", lambda lib: lib.take_along_dim(lib.tensor(1.),
                                                                 lib.tensor(0), 0),
     IndexError, r"no dimensions"),
    ("scatter_dtype", lambda lib: _x(lib).scatter(1, lib.tensor([[0]]), _x(lib).double()),
     RuntimeError, r"self.dtype to be equal to src.dtype"),
    ("scatter_index_dtype", lambda lib: _x(lib).scatter(1, lib.tensor([[0.]]), _x(lib)),
     RuntimeError, r"int32/int64 for index"),
    ("scatter_range", lambda lib: _x(lib).scatter(1, lib.tensor([[3]]), _x(lib)),
     RuntimeError, r"index 3 is out of bounds for dimension 1 with size 3"),
    ("scatter_negative", lambda lib: _x(lib).scatter(1, lib.tensor([[-1]]), 1.0),
     RuntimeError, r"index -1 is out of bounds"),
    ("scatter_ndim", lambda lib: _x(lib).scatter(1, lib.tensor([0]), _x(lib)),
     RuntimeError, r"same number of dimensions as self"),
    ("scatter_src_ndim", lambda lib: _x(lib).scatter(1, lib.tensor([[0]]), lib.tensor(2.)),
     RuntimeError, r"same number of dimensions as src"),
    ("scatter_index_size", lambda lib: _x(lib).scatter(0, lib.tensor([[0, 0, 0, 0]]), _x(lib)),
     RuntimeError, r"index \[1, 4\] to be no larger than self \[2, 3\] apart from dimension 0"),
    ("scatter_src_size", lambda lib: _x(lib).scatter(1, lib.tensor([[0, 0, 0]]),
                                                     _x(lib)[:, :2]),
     RuntimeError, r"no larger size than src \[2, 2\]"),
    ("scatter_reduce", lambda lib: _x(lib).scatter(1, lib.tensor([[0]]), 2., reduce="max"),
     RuntimeError, r"add or multiply"),
    ("scatter_nothing", lambda lib: _x(lib).scatter(1, lib.tensor([[0]])), TypeError,
     r"src|value"),
    ("scatter_add_number", lambda lib: _x(lib).scatter_add(1, lib.tensor([[0]]), 1.0),
     TypeError, r"'src' \(position 3\) must be Tensor, not float"),
    ("scatter_add_range", lambda lib: _x(lib).scatter_add(1, lib.tensor([[5]]), _x(lib)),
     RuntimeError, r"index 5 is out of bounds"),
    ("repeat_short", lambda lib: _x(lib).repeat(2), RuntimeError,
     r"can not be smaller than number of dimensions"),
    ("repeat_negative", lambda lib: _x(lib).repeat(-1, 2), RuntimeError,
     r"negative dimension -2"),
    ("repeat_nothing", lambda lib: _x(lib).repeat(), TypeError, r"missing .*repeats"),
    ("repeat_interleave_negative", lambda lib: _x(lib).repeat_interleave(-1), RuntimeError,
     r"non-negative"),
    ("repeat_interleave_size", lambda lib: _x(lib).repeat_interleave(lib.tensor([1, 2]), 1),
     RuntimeError, r"same size as input along dim.*= 2 .*= 3"),
    ("repeat_interleave_tensor_negative",
     lambda lib: _x(lib).repeat_interleave(lib.tensor([-1, 2]), 0), RuntimeError,
     r"can not be negative"),
    ("repeat_interleave_matrix", lambda lib: _x(lib).repeat_interleave(lib.tensor([[2]]), 0),
     RuntimeError, r"0-dim or 1-dim"),
    ("repeat_interleave_float", lambda lib: _x(lib).repeat_interleave(lib.tensor([1., 2.]), 0),
     NotImplementedError, r"int32 or int64"),
    ("repeat_interleave_float_int", lambda lib: _x(lib).repeat_interleave(2.0), TypeError,
     r"repeats"),
    ("repeat_interleave_output_size",
     lambda lib: _x(lib).repeat_interleave(2, 0, output_size=5), RuntimeError,
     r"Invalid output_size, expected 4 but got 5"),
    ("repeat_interleave_indices_matrix",
     lambda lib: lib.repeat_interleave(lib.tensor([[1, 2]])), RuntimeError, r"1D vector"),
    ("movedim_repeated", lambda lib: _x(lib).movedim((0, 0), (1, 0)), RuntimeError,
     r"repeated dim in `source` \(\[0, 0\]\)"),
    ("movedim_lengths", lambda lib: _x(lib).movedim((0, 1), (1,)), RuntimeError,
     r"same number of dims as destination"),
    ("movedim_range", lambda lib: _x(lib).movedim(0, 2), IndexError, r"Dimension out of range"),
    ("swapaxes_range", lambda lib: _x(lib).swapaxes(0, 2), IndexError,
     r"Dimension out of range"),
    ("tril_vector", lambda lib: lib.arange(3).tril(), RuntimeError,
     r"tril: input tensor must have at least 2 dimensions"),
    ("triu_scalar", lambda lib: lib.tensor(1.).triu(), RuntimeError, r"at least 2 dimensions"),
    ("tril_float_diagonal", lambda lib: _x(lib).tril(1.5), TypeError, r"'diagonal' must be int"),
    ("meshgrid_empty", lambda lib: lib.meshgrid(indexing="ij"), RuntimeError, r"non-empty"),
    ("meshgrid_indexing", lambda lib: lib.meshgrid(lib.arange(2), indexing="foo"),
     RuntimeError, r'one of "xy" or "ij", but received: foo'),
    ("meshgrid_matrix", lambda lib: lib.meshgrid(lib.ones(2, 2), indexing="ij"), RuntimeError,
     r"Expected 0D or 1D tensor"),
    ("meshgrid_dtypes", lambda lib: lib.meshgrid(lib.arange(2), lib.arange(3.),
                                                 indexing="ij"), RuntimeError, r"same dtype"),
]


@pytest.mark.parametrize("call, kind, message", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_bad_input_is_a_clear_error(call: Callable, kind: type, message: str) -> None:
    with pytest.raises(kind, match=message):
        call(mg)


@pytest.mark.parametrize("call, kind", [e[1:3] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_bad_input_is_torchs_error_too(call: Callable, kind: type) -> None:
    """The same calls raise the same exception type in torch (the oracle for the types)."""
    _torch()
    with pytest.raises(kind):
        call(__import__("torch"))


def test_scatter_multiply_is_not_there() -> None:
    """reduce='multiply' is left out (torch has no derivative for it either): said plainly."""
    with pytest.raises(NotImplementedError, match="multiply"):
        _x(mg).scatter(1, mg.tensor([[0]]), 2.0, reduce="multiply")


def test_index_on_the_host_indexes_a_tensor_anywhere(backend: str) -> None:
    """Index tensors may live on the CPU while the data lives on the device (as torch's)."""
    x = mg.arange(6.).reshape(2, 3).to(backend)
    index = mg.tensor([[2, 0]])
    assert_close(x.index_select(1, index[0]).cpu(), np.array([[2., 0.], [5., 3.]]))
    assert_close(x.take_along_dim(index, 1).cpu(), np.array([[2., 0.], [5., 3.]]))
    assert_close(x.scatter(1, index, 9.0).cpu(), np.array([[9., 1., 9.], [3., 4., 5.]]))
