"""minigrad.utils.data's samplers, ConcatDataset, IterableDataset, default_collate and the
DataLoader's sampler options: against torch.utils.data where deterministic, against their
definitions where random."""

from __future__ import annotations

import collections
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.utils import data

torch = pytest.importorskip("torch", reason="torch.utils.data is the oracle")
tdata = torch.utils.data


def as_lists(batches: Any) -> Any:
    """Tensors (of either library) as nested lists, containers kept."""
    if hasattr(batches, "tolist") and not isinstance(batches, (list, tuple)):
        return batches.tolist()
    if isinstance(batches, dict):
        return {k: as_lists(v) for k, v in batches.items()}
    if isinstance(batches, (list, tuple)):
        return type(batches).__name__, [as_lists(b) for b in batches]
    return batches


@given(n=st.integers(0, 30), batch_size=st.integers(1, 8), drop_last=st.booleans())
def test_sequential_and_batch_samplers_match_pytorch(n: int, batch_size: int,
                                                     drop_last: bool) -> None:
    ours = data.BatchSampler(data.SequentialSampler(range(n)), batch_size, drop_last)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert list(data.SequentialSampler(range(n))) == list(range(n))
    # any iterable of indices will do as the inner sampler
    assert list(data.BatchSampler([5, 3, 1], 2, False)) == [[5, 3], [1]]


@given(lengths=st.lists(st.integers(0, 5), min_size=1, max_size=5), data_=st.data())
def test_concat_dataset_indexing_matches_pytorch(lengths: list[int], data_: st.DataObject
                                                 ) -> None:
    parts = [list(range(100 * i, 100 * i + n)) for i, n in enumerate(lengths)]
    ours, theirs = data.ConcatDataset(parts), tdata.ConcatDataset(parts)
    assert len(ours) == len(theirs) == sum(lengths)
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    total = sum(lengths)
    for i in range(-total, total):
        assert ours[i] == theirs[i], i
    if total:
        i = data_.draw(st.integers(-total, total - 1))
        assert ours[i] == [x for p in parts for x in p][i]
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset "
                                         "length"):
        ours[-total - 1]
    with pytest.raises(IndexError):  # torch's: an IndexError from its list of datasets
        theirs[total]
    with pytest.raises(IndexError, match=f"index {total} is out of range"):
        ours[total]


def test_concat_dataset_of_datasets_and_its_errors() -> None:
    a = data.TensorDataset(mg.arange(3.0), mg.arange(3))
    b = data.TensorDataset(mg.arange(10.0, 12.0), mg.arange(10, 12))
    both = a + b  # Dataset.__add__, as torch's
    assert isinstance(both, data.ConcatDataset) and len(both) == 5
    assert [both[i][1].item() for i in range(5)] == [0, 1, 2, 10, 11]
    x, y = next(iter(data.DataLoader(both, batch_size=5)))
    assert x.tolist() == [0.0, 1.0, 2.0, 10.0, 11.0] and y.dtype == mg.int64
    for lib in (data, tdata):
        with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
            lib.ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        data.ConcatDataset([a, Stream(3)])


@given(n=st.integers(1, 20), num_samples=st.one_of(st.none(), st.integers(1, 50)),
       seed=st.integers(0, 2 ** 16))
def test_random_sampler_without_replacement_is_permutations(n: int, num_samples: int | None,
                                                            seed: int) -> None:
    sampler = data.RandomSampler(range(n), num_samples=num_samples,
                                 generator=np.random.default_rng(seed))
    drawn = list(sampler)
    k = n if num_samples is None else num_samples
    assert len(drawn) == len(sampler) == k
    for start in range(0, k, n):  # whole permutations of range(n), then part of one
        chunk = drawn[start:start + n]
        assert len(set(chunk)) == len(chunk) and set(chunk) <= set(range(n))
    assert all(isinstance(i, int) for i in drawn)
    again = list(data.RandomSampler(range(n), num_samples=num_samples,
                                    generator=np.random.default_rng(seed)))
    assert again == drawn  # the generator decides


def test_random_sampler_with_replacement_draws_uniformly() -> None:
    sampler = data.RandomSampler(range(4), replacement=True, num_samples=8000,
                                 generator=np.random.default_rng(0))
    counts = np.bincount(list(sampler), minlength=4)
    assert len(sampler) == 8000 and counts.sum() == 8000
    assert np.all(np.abs(counts - 2000) < 5 * np.sqrt(8000 * 0.25 * 0.75))  # 5 sigma
    mg.manual_seed(3)  # no generator: minigrad's seeded one, so manual_seed repeats a pass
    first = list(data.RandomSampler(range(10)))
    mg.manual_seed(3)
    assert list(data.RandomSampler(range(10))) == first and sorted(first) == list(range(10))


@given(indices=st.lists(st.integers(-50, 50), max_size=12), seed=st.integers(0, 99))
def test_subset_random_sampler_permutes_its_indices(indices: list[int], seed: int) -> None:
    sampler = data.SubsetRandomSampler(indices, generator=np.random.default_rng(seed))
    drawn = list(sampler)
    assert sorted(drawn) == sorted(indices) and len(sampler) == len(indices)


def test_weighted_random_sampler_follows_its_weights() -> None:
    weights = [0.1, 0.0, 0.6, 0.3]
    drawn = list(data.WeightedRandomSampler(weights, 20000,
                                            generator=np.random.default_rng(0)))
    freq = np.bincount(drawn, minlength=4) / len(drawn)
    assert freq[1] == 0.0 and np.allclose(freq, weights, atol=0.015)
    # without replacement: each index at most once; zero weights come last, as torch's
    for seed in range(20):
        order = list(data.WeightedRandomSampler(weights, 4, replacement=False,
                                                generator=np.random.default_rng(seed)))
        assert sorted(order) == [0, 1, 2, 3] and order[-1] == 1
    # the first index drawn without replacement has probability weight / sum
    firsts = [next(iter(data.WeightedRandomSampler(weights, 1, replacement=False,
                                                   generator=np.random.default_rng(s))))
              for s in range(4000)]
    assert np.allclose(np.bincount(firsts, minlength=4) / 4000, weights, atol=0.03)
    assert data.WeightedRandomSampler(mg.tensor(weights), 3).weights.dtype == mg.float64


def sampler_errors() -> list[tuple[str, Callable[[Any], Any], type, str]]:
    """(case, what raises, torch's exception type, torch's message)."""
    return [
        ("RandomSampler num_samples", lambda lib: lib.RandomSampler(range(3), num_samples=0),
         ValueError, "num_samples should be a positive integer value, but got num_samples=0"),
        ("RandomSampler replacement", lambda lib: lib.RandomSampler(range(3), replacement=1),
         TypeError, "replacement should be a boolean value, but got replacement=1"),
        ("WeightedRandomSampler num_samples", lambda lib: lib.WeightedRandomSampler(
            [1.0], True), ValueError,
         "num_samples should be a positive integer value, but got num_samples=True"),
        ("WeightedRandomSampler 2-d", lambda lib: lib.WeightedRandomSampler(
            [[1.0, 2.0]], 1), ValueError,
         "weights should be a 1d sequence but given weights have shape (1, 2)"),
        ("WeightedRandomSampler negative", lambda lib: list(lib.WeightedRandomSampler(
            [1.0, -1.0], 2)), RuntimeError,
         "invalid multinomial distribution (encountering probability entry < 0)"),
        ("WeightedRandomSampler zero", lambda lib: list(lib.WeightedRandomSampler(
            [0.0, 0.0], 1)), RuntimeError,
         "invalid multinomial distribution (sum of probabilities <= 0)"),
        ("WeightedRandomSampler too many", lambda lib: list(lib.WeightedRandomSampler(
            [1.0, 2.0], 3, replacement=False)), RuntimeError,
         "cannot sample n_sample > prob_dist.size(-1) samples without replacement"),
        ("BatchSampler batch_size", lambda lib: lib.BatchSampler(range(3), 0, False),
         ValueError, "batch_size should be a positive integer value, but got batch_size=0"),
        ("BatchSampler drop_last", lambda lib: lib.BatchSampler(range(3), 2, None),
         ValueError, "drop_last should be a boolean value, but got drop_last=None"),
        ("sampler and shuffle", lambda lib: lib.DataLoader(range(4), sampler=[0], shuffle=True),
         ValueError, "sampler option is mutually exclusive with shuffle"),
        *[(f"batch_sampler and {k}", lambda lib, k=k, v=v: lib.DataLoader(
            range(4), batch_sampler=[[0, 1]], **{k: v}), ValueError,
           "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
           "and drop_last")
          for k, v in (("batch_size", 2), ("shuffle", True), ("sampler", [0]),
                       ("drop_last", True))],
        ("iterable and shuffle", lambda lib: lib.DataLoader(
            stream(lib, 3), shuffle=True), ValueError,
         "DataLoader with IterableDataset: expected unspecified shuffle option, but got "
         "shuffle=True"),
        ("iterable and sampler", lambda lib: lib.DataLoader(
            stream(lib, 3), sampler=[0, 1]), ValueError,
         "DataLoader with IterableDataset: expected unspecified sampler option, but got "
         "sampler=[0, 1]"),
        ("iterable and batch_sampler", lambda lib: lib.DataLoader(
            stream(lib, 3), batch_sampler=[[0]]), ValueError,
         "DataLoader with IterableDataset: expected unspecified batch_sampler option, but got "
         "batch_sampler=[[0]]"),
        ("timeout", lambda lib: lib.DataLoader(range(3), timeout=-1), ValueError,
         "timeout option should be non-negative"),
        ("persistent_workers", lambda lib: lib.DataLoader(range(3), persistent_workers=True),
         ValueError, "persistent_workers option needs num_workers > 0"),
        ("collate ragged", lambda lib: lib.default_collate([[1, 2], [3]]), RuntimeError,
         "each element in list of batch should be of equal size"),
        ("collate objects", lambda lib: lib.default_collate([object()]), TypeError,
         "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
         "found <class 'object'>"),
        ("collate string arrays", lambda lib: lib.default_collate([np.array(["a"])]),
         TypeError, "default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
         "or lists; found <U1"),
    ]


ERRORS = sampler_errors()


@pytest.mark.parametrize("lib_name", ["minigrad", "torch"])
@pytest.mark.parametrize(("make", "error", "message"), [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_errors_as_pytorch(lib_name: str, make: Callable[[Any], Any], error: type,
                           message: str) -> None:
    lib = data if lib_name == "minigrad" else tdata
    with pytest.raises(error, match=re.escape(message)):
        make(lib)


class Stream(data.IterableDataset):
    """0, 1, ..., n - 1 as (float tensor, int) samples, with a length."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self) -> Any:
        return iter((mg.tensor([float(i)]), i) for i in range(self.n))

    def __len__(self) -> int:
        return self.n


def stream(lib: Any, n: int) -> Any:
    """An IterableDataset of either library yielding 0..n-1 (no length)."""
    class Numbers(lib.IterableDataset):
        def __iter__(self) -> Any:
            return iter(range(n))
    return Numbers()


@given(n=st.integers(0, 12), batch_size=st.one_of(st.none(), st.integers(1, 5)),
       drop_last=st.booleans())
def test_loader_streams_an_iterable_dataset_as_pytorch(n: int, batch_size: int | None,
                                                       drop_last: bool) -> None:
    if batch_size is None:
        drop_last = False
    ours = [as_lists(b) for b in data.DataLoader(stream(data, n), batch_size=batch_size,
                                                 drop_last=drop_last)]
    theirs = [as_lists(b) for b in tdata.DataLoader(stream(tdata, n), batch_size=batch_size,
                                                    drop_last=drop_last)]
    assert ours == theirs
    loader = data.DataLoader(Stream(n), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(batches) == len(loader)
    if batch_size is not None and batches:
        x, y = batches[0]
        assert x.shape == (min(batch_size, n), 1) and y.dtype == mg.int64
    with pytest.raises(TypeError):  # no length: as torch, len() of the loader fails
        len(data.DataLoader(stream(data, n)))
    chained = data.ChainDataset([stream(data, 2), stream(data, 3)])
    assert [b.tolist() for b in data.DataLoader(chained, batch_size=2)] == [[0, 1], [0, 1],
                                                                            [2]]
    with pytest.raises(TypeError, match="has no len"):
        len(stream(data, n))


class Rows(data.Dataset):
    """Plain samples (no TensorDataset fast path): (row as float tensor, label int)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __getitem__(self, i: int) -> tuple[mg.Tensor, int]:
        return mg.tensor([float(i), -float(i)]), i

    def __len__(self) -> int:
        return self.n


@pytest.mark.parametrize("fast", [True, False])
def test_loader_follows_a_sampler_and_a_batch_sampler(fast: bool) -> None:
    ds = (data.TensorDataset(mg.arange(10.0), mg.arange(10)) if fast else Rows(10))
    order = [7, 2, 2, 9, 0]
    loader = data.DataLoader(ds, batch_size=2, sampler=order)
    assert [y.tolist() for _, y in loader] == [[7, 2], [2, 9], [0]] and len(loader) == 3
    batches = [[3, 1, 4], [1], [5, 9]]
    loader = data.DataLoader(ds, batch_sampler=batches)
    assert [y.tolist() for _, y in loader] == batches and len(loader) == 3
    assert loader.batch_size is None and loader.batch_sampler is batches
    loader = data.DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(1))
    assert isinstance(loader.sampler, data.RandomSampler)
    assert sorted(i for _, y in loader for i in y.tolist()) == list(range(10))
    weighted = data.WeightedRandomSampler([0.0] * 9 + [1.0], 6)
    assert [y.tolist() for _, y in data.DataLoader(ds, batch_size=3, sampler=weighted)] == [
        [9, 9, 9], [9, 9, 9]]
    sampler = data.BatchSampler(data.SubsetRandomSampler([1, 3, 5]), 2, drop_last=True)
    (batch,) = list(data.DataLoader(ds, batch_sampler=sampler))
    assert len(batch[1]) == 2 and set(batch[1].tolist()) <= {1, 3, 5}


def test_loader_positional_arguments_are_torchs() -> None:
    """DataLoader(dataset, batch_size, shuffle, sampler, batch_sampler, num_workers,
    collate_fn, ...) as torch's signature orders them."""
    ds = Rows(5)
    ours = data.DataLoader(ds, 2, False, [4, 3, 2], None, 0, lambda b: [y for _, y in b])
    assert list(ours) == [[4, 3], [2]]
    theirs = tdata.DataLoader(list(range(5)), 2, False, [4, 3, 2], None, 0, list)
    assert list(theirs) == [[4, 3], [2]]


Point = collections.namedtuple("Point", ["x", "y"])

SAMPLES: list[tuple[str, Callable[[Any], list[Any]]]] = [
    ("tensors", lambda lib: [lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])]),
    ("ints", lambda lib: [1, 2, 3]),
    ("floats", lambda lib: [1.5, 2.5]),
    ("bools", lambda lib: [True, False]),
    ("strings", lambda lib: ["a", "b"]),
    ("numpy arrays", lambda lib: [np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)]),
    ("numpy int arrays", lambda lib: [np.arange(3), np.arange(3, 6)]),
    ("numpy scalars", lambda lib: [np.float32(1.5), np.float32(2.5)]),
    ("tuples", lambda lib: [(lib.tensor([1.0]), 1, "a"), (lib.tensor([2.0]), 2, "b")]),
    ("lists", lambda lib: [[1, 2.0], [3, 4.0]]),
    ("dicts", lambda lib: [{"x": lib.tensor([1]), "y": {"z": 1.0}},
                           {"x": lib.tensor([2]), "y": {"z": 2.0}}]),
    ("namedtuples", lambda lib: [Point(1, lib.tensor(0.5)), Point(2, lib.tensor(1.5))]),
    ("nested", lambda lib: [({"a": [np.ones(2), 3]}, [1.0]), ({"a": [np.zeros(2), 4]}, [2.0])]),
]


@pytest.mark.parametrize("make", [s[1] for s in SAMPLES], ids=[s[0] for s in SAMPLES])
def test_default_collate_matches_pytorch(make: Callable[[Any], list[Any]]) -> None:
    ours, theirs = data.default_collate(make(mg)), tdata.default_collate(make(torch))

    def shape(batch: Any) -> Any:  # containers, and each tensor's dtype and values
        if isinstance(batch, (mg.Tensor, torch.Tensor)):
            return str(batch.dtype).split(".")[-1], batch.tolist()
        if isinstance(batch, dict):
            return {k: shape(v) for k, v in batch.items()}
        if isinstance(batch, (list, tuple)):
            return type(batch).__name__, [shape(b) for b in batch]
        return batch

    assert shape(ours) == shape(theirs)


@pytest.mark.parametrize("make", [s[1] for s in SAMPLES], ids=[s[0] for s in SAMPLES])
def test_default_convert_matches_pytorch(make: Callable[[Any], list[Any]]) -> None:
    for ours, theirs in zip(make(mg), make(torch)):
        a, b = data.default_convert(ours), tdata.default_convert(theirs)
        assert type(a).__name__.replace("Tensor", "") == type(b).__name__.replace("Tensor", "")
        assert as_lists(a) == as_lists(b)
