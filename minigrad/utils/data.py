"""Datasets and a DataLoader, as torch.utils.data's, plus MNIST, Fashion-MNIST and Digits.

Image datasets hold all their images as one float32 tensor (N, 1, 28, 28) scaled to [0, 1]
and the labels as an int64 tensor, so a batch is a single indexing op. MNIST and Fashion-MNIST
read the original gzip IDX files from a folder you name (or download them into
``MINIGRAD_DATA``, by default ``~/.cache/minigrad``); Digits is scikit-learn's bundled 8x8
digits, padded to 28x28, so a demo runs with no network.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import struct
import urllib.request
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from minigrad.factory import tensor as as_tensor
from minigrad.runtime.random import generator as default_generator
from minigrad.surface.serialization import atomic_write
from minigrad.tensor import Tensor

__all__ = ["DataLoader", "Dataset", "Digits", "FashionMNIST", "MNIST", "Subset",
           "TensorDataset", "read_idx", "random_split"]


class Dataset:
    """A sized collection of samples: ``dataset[i]`` and ``len(dataset)``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


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


def _collate(samples: list[Any]) -> Any:
    """Stack a list of samples into a batch, as torch's default_collate: tensors stacked,
    numbers to a tensor, tuples and lists into a list of batches, dicts key by key."""
    first = samples[0]
    if isinstance(first, Tensor):
        from minigrad.ops import stack

        return stack(samples)
    if isinstance(first, dict):
        return {key: _collate([s[key] for s in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        return [_collate(list(group)) for group in zip(*samples)]
    return as_tensor(np.asarray(samples))


def _batchable(dataset: Dataset) -> bool:
    """Whether ``dataset[indices]`` gives a whole batch at once: a TensorDataset (or a Subset
    of one) whose ``__getitem__`` is not overridden. Anything else is read sample by sample."""
    if isinstance(dataset, Subset):
        return type(dataset).__getitem__ is Subset.__getitem__ and _batchable(dataset.dataset)
    return isinstance(dataset, TensorDataset) and (
        type(dataset).__getitem__ is TensorDataset.__getitem__)


class DataLoader:
    """Batches of a dataset, optionally shuffled (from minigrad's seeded generator, or
    ``generator``/``seed``), optionally moved to ``device``.

    TensorDatasets (the image datasets too) are batched with one indexing op; other datasets
    are read sample by sample and collated as torch does. ``batch_size=None`` yields single
    samples. Everything runs in this process: ``num_workers``, ``pin_memory`` and the other
    worker options of torch's DataLoader are accepted and ignored.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool = False,
                 drop_last: bool = False, generator: np.random.Generator | None = None,
                 seed: int | None = None, device: Any = None,
                 collate_fn: Callable[[list[Any]], Any] | None = None,
                 **worker_options: Any) -> None:
        known = {"num_workers", "pin_memory", "timeout", "worker_init_fn", "prefetch_factor",
                 "persistent_workers", "pin_memory_device"}
        if set(worker_options) - known:
            raise TypeError(f"DataLoader got unexpected arguments "
                            f"{sorted(set(worker_options) - known)}")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, int) or batch_size < 1):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        if batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if worker_options.get("num_workers", 0) < 0:
            raise ValueError(f"num_workers option should be non-negative; use num_workers=0 to "
                             f"disable multiprocessing (got {worker_options['num_workers']})")
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
        self.drop_last, self.device, self.collate_fn = drop_last, device, collate_fn
        self.generator = generator if seed is None else np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        order = (self.generator or default_generator()).permutation(n) if self.shuffle else (
            np.arange(n))
        if self.batch_size is None:  # no batching: the samples themselves
            for i in order:
                yield self._to_device(self.dataset[int(i)])
            return
        fast = self.collate_fn is None and _batchable(self.dataset)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start:start + self.batch_size]
            if fast:
                batch = list(self.dataset[indices])
            else:
                batch = (self.collate_fn or _collate)([self.dataset[int(i)] for i in indices])
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
