"""Datasets and a DataLoader, as torch.utils.data's, plus MNIST, Fashion-MNIST and Digits.

Image datasets hold all their images as one float32 tensor (N, 1, 28, 28) scaled to [0, 1]
and the labels as an int64 tensor, so a batch is a single indexing op. MNIST and Fashion-MNIST
read the original gzip IDX files from a folder you name (or download them into
``MINIGRAD_DATA``, by default ``~/.cache/minigrad``); Digits is scikit-learn's bundled 8x8
digits, padded to 28x28, so a demo runs with no network.
"""

from __future__ import annotations

import bisect
import collections.abc
import copy
import gzip
import hashlib
import itertools
import math
import os
import struct
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from pathlib import Path
from typing import Any, cast

import numpy as np

from minigrad.factory import tensor as as_tensor
from minigrad.runtime.random import generator as default_generator
from minigrad.surface.serialization import atomic_write
from minigrad.tensor import Tensor

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "Digits",
           "FashionMNIST", "IterableDataset", "MNIST", "RandomSampler", "Sampler",
           "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
           "WeightedRandomSampler", "default_collate", "default_convert", "random_split",
           "read_idx"]


class Dataset:
    """A sized collection of samples: ``dataset[i]`` and ``len(dataset)``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: ``__iter__`` yields them (no indexing, maybe no length).

    A DataLoader reads it in order, with no sampler, and batches consecutive samples.
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise TypeError(f"object of type '{type(self).__name__}' has no len()")

    def __add__(self, other: Dataset) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Iterable datasets one after another."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


class ConcatDataset(Dataset):
    """Datasets end to end: index i falls in the first dataset whose cumulative length
    exceeds it (negative indices count from the end)."""

    @staticmethod
    def cumsum(sequence: Iterable[Sized]) -> list[int]:
        """The running totals of the lengths."""
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        if which == len(self.datasets):
            raise IndexError(f"index {idx} is out of range for a ConcatDataset of length "
                             f"{len(self)}")
        return self.datasets[which][idx - (self.cumulative_sizes[which - 1] if which else 0)]


class TensorDataset(Dataset):
    """Samples are the i-th rows of tensors of equal length (inputs, labels, ...)."""

    def __init__(self, *tensors: Tensor) -> None:
        lengths = [t.size(0) for t in tensors]  # (a 0-d tensor has no rows: torch's IndexError)
        if not tensors or any(n != lengths[0] for n in lengths):
            raise ValueError("Size mismatch between tensors: "
                             f"{[tuple(t.shape) for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (list, np.ndarray)):
            return self.dataset[np.asarray(self.indices)[np.asarray(index)]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Dataset, lengths: Sequence[int | float],
                 generator: np.random.Generator | None = None) -> list[Subset]:
    """Split into non-overlapping random subsets of the given lengths (or fractions)."""
    n = len(dataset)
    if all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1.0):
        for i, f in enumerate(lengths):
            if not 0 <= f <= 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1 (got {f})")
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):  # the remainder round-robin, as torch
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths does not equal the length of the input dataset! "
                         f"(lengths {list(lengths)} sum to {sum(lengths)}, the dataset has {n})")
    for i, length in enumerate(lengths):
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)):
            raise TypeError(f"random_split(): lengths must be ints (or fractions that sum to "
                            f"1), but length {i} is {type(length).__name__} ({length!r})")
    order = (generator or default_generator()).permutation(n)
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[start:start + int(length)].tolist()))
        start += int(length)
    return out


# ---- samplers: the order in which a DataLoader reads a map-style dataset ------------------------
def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    """``generator``, or minigrad's seeded one (looked up now: manual_seed replaces it)."""
    if generator is None:
        return default_generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a numpy.random.Generator (minigrad draws on the "
                        f"host), got {type(generator).__name__}")
    return generator


class Sampler:
    """The base of samplers: ``__iter__`` yields indices (or lists of them), ``__len__``
    says how many."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order: whole permutations (and part of one) of range(n) without
    replacement, ``num_samples`` independent uniform draws with it."""

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        """How many indices one pass yields (by default the dataset's length)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, rng = len(self.data_source), _rng(self.generator)
        if self.replacement:
            yield from rng.integers(0, n, size=self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        if self.num_samples % n:
            yield from rng.permutation(n)[:self.num_samples % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in random order (a permutation of them)."""

    def __init__(self, indices: Sequence[int],
                 generator: np.random.Generator | None = None) -> None:
        self.indices, self.generator = indices, generator

    def __iter__(self) -> Iterator[int]:
        for i in _rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices of range(len(weights)), index i drawn with probability
    weights[i] / sum(weights); without replacement each index at most once (an exponential
    race: the largest weight_i / E_i first, E_i ~ Exp(1), as torch.multinomial)."""

    def __init__(self, weights: Sequence[float] | Tensor, num_samples: int,
                 replacement: bool = True,
                 generator: np.random.Generator | None = None) -> None:
        if (not isinstance(num_samples, int) or isinstance(num_samples, bool)
                or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        values = weights.tolist() if isinstance(weights, Tensor) else weights
        self.weights = as_tensor(np.asarray(values, dtype=np.float64))
        if self.weights.dim() != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(self.weights.shape)}")
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator

    def __iter__(self) -> Iterator[int]:
        w = np.asarray(self.weights.tolist(), dtype=np.float64)
        if not np.isfinite(w).all():
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if (w < 0).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability "
                               "entry < 0)")
        if not w.sum() > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        rng = _rng(self.generator)
        if self.replacement:
            yield from rng.choice(len(w), size=self.num_samples, p=w / w.sum()).tolist()
            return
        if self.num_samples > len(w):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                               "replacement")
        race = w / rng.exponential(size=len(w))  # the first num_samples to finish
        yield from np.argsort(-race, kind="stable")[:self.num_samples].tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` consecutive indices from ``sampler`` (the last one shorter,
    or dropped with ``drop_last``)."""

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int,
                 drop_last: bool) -> None:
        if (not isinstance(batch_size, int) or isinstance(batch_size, bool)
                or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        indices = iter(self.sampler)
        while batch := list(itertools.islice(indices, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size  # type: ignore[arg-type]
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size  # type: ignore


# ---- collation: a list of samples into a batch -------------------------------------------------
_COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                  "lists; found {}")


def _is_numpy(value: Any) -> bool:
    """A NumPy array or scalar, but not a NumPy string."""
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ not in ("str_", "bytes_", "string_")


def _rebuild(elem: Any, items: dict[Any, Any] | list[Any]) -> Any:
    """A container like ``elem`` holding ``items`` (a dict or list where that fails)."""
    try:
        if isinstance(elem, (collections.abc.MutableMapping, collections.abc.MutableSequence)):
            clone = copy.copy(elem)
            if isinstance(clone, collections.abc.MutableMapping):
                clone.update(items)
            else:
                clone[:] = items
            return clone
        return type(elem)(items)
    except TypeError:
        return items


def default_convert(data: Any) -> Any:
    """One sample as a DataLoader without batching hands it out: NumPy arrays and scalars
    become tensors, inside dicts, lists and tuples (tuples become lists) too."""
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        if isinstance(data, np.ndarray) and data.dtype.kind in "SUO":
            return data
        return as_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild(data, [default_convert(d) for d in data])
    return data


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch, as torch's: tensors (and NumPy arrays) stacked
    along a new first dim, Python floats to float64 and ints to int64 tensors, strings kept
    as a list; dicts key by key, namedtuples field by field, tuples and lists position by
    position (tuples into a list), recursively."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        from minigrad.ops import stack

        return stack(list(batch))
    if _is_numpy(elem):
        if isinstance(elem, np.ndarray):
            if elem.dtype.kind in "SUO":
                raise TypeError(_COLLATE_ERROR.format(elem.dtype))
            return default_collate([as_tensor(b) for b in batch])
        return as_tensor(np.asarray(batch))  # NumPy scalars keep their dtype
    if isinstance(elem, float):
        return as_tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, int):  # bools too: a bool tensor, as torch.tensor([True, ...])
        return as_tensor(list(batch))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(s) for s in zip(*batch)]
        return columns if isinstance(elem, tuple) else _rebuild(elem, columns)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def _batchable(dataset: Dataset) -> bool:
    """Whether ``dataset[indices]`` gives a whole batch at once: a TensorDataset (or a Subset
    of one) whose ``__getitem__`` is not overridden. Anything else is read sample by sample."""
    if isinstance(dataset, Subset):
        return type(dataset).__getitem__ is Subset.__getitem__ and _batchable(dataset.dataset)
    return isinstance(dataset, TensorDataset) and (
        type(dataset).__getitem__ is TensorDataset.__getitem__)


class DataLoader:
    """Batches of a dataset, as torch's DataLoader: in order, shuffled (from minigrad's seeded
    generator, or ``generator``/``seed``), in a ``sampler``'s order, or in the batches a
    ``batch_sampler`` gives; an IterableDataset is read as it streams. Optionally moved to
    ``device``.

    TensorDatasets (the image datasets too) are batched with one indexing op; other datasets
    are read sample by sample and collated by ``default_collate``. ``batch_size=None`` yields
    single samples (through ``default_convert``). Everything runs in this process:
    ``num_workers``, ``pin_memory`` and the other worker options are checked as torch does,
    then ignored.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1,
                 shuffle: bool | None = None, sampler: Sampler | Iterable[Any] | None = None,
                 batch_sampler: Sampler | Iterable[list[Any]] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list[Any]], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None,
                 generator: np.random.Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True, seed: int | None = None,
                 device: Any = None) -> None:
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, int) or batch_size < 1):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        if num_workers < 0:
            raise ValueError(f"num_workers option should be non-negative; use num_workers=0 to "
                             f"disable multiprocessing (got {num_workers})")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if isinstance(dataset, IterableDataset):
            if shuffle not in {False, None}:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        self.generator = generator if seed is None else np.random.default_rng(seed)
        if sampler is None and not isinstance(dataset, IterableDataset):
            sampler = (RandomSampler(dataset, generator=self.generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and sampler is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.device = sampler, batch_sampler, device
        self._auto_collation = batch_size is not None or batch_sampler is not None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.prefetch_factor = worker_init_fn, prefetch_factor
        self.persistent_workers, self.pin_memory_device = persistent_workers, pin_memory_device
        self.multiprocessing_context, self.in_order = multiprocessing_context, in_order

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # (a TypeError where the stream has no length, as torch)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        # (a TypeError where the sampler has no length, as torch)
        return len(cast(Sized, self.batch_sampler if self.batch_sampler is not None
                        else self.sampler))

    def __iter__(self) -> Iterator[Any]:
        if isinstance(self.dataset, IterableDataset):
            samples = iter(self.dataset)
            if self.batch_size is None:
                for sample in samples:
                    yield self._to_device(self.collate_fn(sample))
                return
            while batch := list(itertools.islice(samples, self.batch_size)):
                if self.drop_last and len(batch) < self.batch_size:
                    return
                yield self._to_device(self.collate_fn(batch))
            return
        if self.batch_sampler is None:  # no batching: the samples themselves
            for i in cast(Iterable[Any], self.sampler):  # (set: the dataset is not iterable)
                yield self._to_device(self.collate_fn(self.dataset[i]))
            return
        fast = self.collate_fn is default_collate and _batchable(self.dataset)
        batchable = cast("TensorDataset | Subset", self.dataset)  # (what it is where fast)
        for indices in self.batch_sampler:
            if fast:
                batch = list(batchable[np.asarray(indices, dtype=np.int64)])
            else:
                batch = self.collate_fn([self.dataset[i] for i in indices])
            yield self._to_device(batch)

    def _to_device(self, batch: Any) -> Any:
        if self.device is None:
            return batch
        if isinstance(batch, Tensor):
            return batch.to(self.device)
        if isinstance(batch, dict):
            return {k: self._to_device(v) for k, v in batch.items()}
        if isinstance(batch, (list, tuple)):
            return type(batch)(self._to_device(b) for b in batch)
        return batch


# ---- the IDX files of MNIST and Fashion-MNIST ----------------------------------------------------
def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not): a big-endian header, then unsigned bytes.

    The magic number is two zero bytes, the type code 0x08 (unsigned byte) and the number of
    dimensions; then one 32-bit size per dimension.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as e:  # a damaged or truncated file
        raise ValueError(f"{path}: cannot read as {'gzip' if opener is gzip.open else 'IDX'}: "
                         f"{e}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number {data[:4].hex()})")
    if data[2] != 0x08:
        raise ValueError(f"{path}: IDX type code 0x{data[2]:02x} is not 0x08 (unsigned byte)")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    body = data[4 + 4 * ndim:]
    if len(body) != math.prod(shape):
        raise ValueError(f"{path}: IDX header says shape {shape} ({math.prod(shape)} bytes) but "
                         f"the file holds {len(body)} bytes of data")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def default_root() -> Path:
    """Where downloads go: ``$MINIGRAD_DATA`` or ``~/.cache/minigrad``."""
    return Path(os.environ.get("MINIGRAD_DATA", Path.home() / ".cache" / "minigrad"))


class MNIST(TensorDataset):
    """MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28.

    ``root`` is a folder holding the four gzip IDX files (``train-images-idx3-ubyte.gz`` ...);
    by default ``$MINIGRAD_DATA/mnist``. ``download=True`` fetches missing files from the
    mirrors in turn, checks each file's MD5 and writes it atomically.
    Samples: image (1, 28, 28) float32 in [0, 1], label int64.
    """

    name = "mnist"
    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "https://storage.googleapis.com/cvdf-datasets/mnist/"]
    files = {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
             "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
             "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
             "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}
    classes = [str(i) for i in range(10)]

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 download: bool = False, timeout: float = 30.0) -> None:
        self.root = Path(root) if root is not None else default_root() / self.name
        self.train = train
        prefix = "train" if train else "t10k"
        images_file, labels_file = (f"{prefix}-images-idx3-ubyte.gz",
                                    f"{prefix}-labels-idx1-ubyte.gz")
        missing = [f for f in (images_file, labels_file) if not (self.root / f).exists()]
        if missing and download:
            for f in missing:
                self._download(f, timeout)
        elif missing:
            raise FileNotFoundError(
                f"{type(self).__name__}: {', '.join(missing)} not found in {self.root}. Put the "
                f"four files {', '.join(self.files)} there (e.g. from {self.mirrors[0]}), or "
                "download them (download=True).")
        images, labels = read_idx(self.root / images_file), read_idx(self.root / labels_file)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"{self.root}: images of shape {images.shape} do not match labels "
                             f"of shape {labels.shape}")
        super().__init__(as_tensor(images[:, None].astype(np.float32) / 255.0),
                         as_tensor(labels.astype(np.int64)))

    def _download(self, filename: str, timeout: float) -> None:
        """Fetch ``filename`` from the first mirror that serves it with the right checksum."""
        self.root.mkdir(parents=True, exist_ok=True)
        failures = []
        for mirror in self.mirrors:
            try:  # hashed while it streams in; the file appears only with the right sum
                with atomic_write(self.root / filename) as out, urllib.request.urlopen(
                        mirror + filename, timeout=timeout) as response:
                    digest = hashlib.md5()
                    while chunk := response.read(1 << 20):
                        out.write(chunk)
                        digest.update(chunk)
                    if digest.hexdigest() != self.files[filename]:
                        raise ValueError(f"checksum mismatch (MD5 {digest.hexdigest()}, "
                                         f"expected {self.files[filename]})")
                return
            except (OSError, ValueError) as e:
                failures.append(f"{mirror}{filename}: {e}")
        raise RuntimeError(
            f"could not download {filename} from any of {len(self.mirrors)} mirrors (last: "
            f"{failures[-1]})\n  " + "\n  ".join(failures) + f"\nOffline? Put the four files "
            f"{', '.join(self.files)} into {self.root} (or pass root=...).")


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando): 10 kinds of clothing, in MNIST's format and sizes."""

    name = "fashion-mnist"
    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
               "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/"
               "fashion/"]
    files = {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
             "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
             "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
             "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"}
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class Digits(TensorDataset):
    """scikit-learn's 1,797 bundled 8x8 handwritten digits, scaled up 3x and padded to 28x28.

    A fixed split (seed 0): 1,437 training and 360 test images. Needs scikit-learn (in the
    ``demos`` extra); no network. Samples: image (1, 28, 28) float32 in [0, 1], label int64.
    """

    classes = [str(i) for i in range(10)]

    def __init__(self, train: bool = True) -> None:
        try:
            from sklearn.datasets import load_digits
        except ImportError as e:
            raise ImportError("Digits needs scikit-learn: pip install scikit-learn (or the "
                              "'demos' extra)") from e
        bunch = load_digits()
        images = bunch.images.astype(np.float32) / 16.0  # (1797, 8, 8), values 0..16
        images = images.repeat(3, axis=1).repeat(3, axis=2)  # 24x24
        images = np.pad(images, ((0, 0), (2, 2), (2, 2)))[:, None]  # (N, 1, 28, 28)
        order = np.random.default_rng(0).permutation(len(images))
        split = order[:1437] if train else order[1437:]
        super().__init__(as_tensor(images[split]), as_tensor(bunch.target[split].astype(
            np.int64)))
