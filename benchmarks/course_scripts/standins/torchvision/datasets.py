"""MNIST and Fashion-MNIST read from local IDX files; CIFAR-10 made up (no data offline)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _course_idx import find, read_idx
from PIL import Image

DATA_ENV, DEFAULT_DATA = "COURSE_SCRIPTS_DATA", "/work/shared/data"


def data_root() -> Path:
    """The folder holding ``mnist/`` and ``fashion-mnist/`` ($COURSE_SCRIPTS_DATA)."""
    return Path(os.environ.get(DATA_ENV, DEFAULT_DATA))


def cap(train: bool) -> int | None:
    """How many items of a split to keep: $COURSE_SCRIPTS_TRAIN_N / _TEST_N (None: all)."""
    value = os.environ.get("COURSE_SCRIPTS_TRAIN_N" if train else "COURSE_SCRIPTS_TEST_N")
    return int(value) if value else None


class MNIST:
    """torchvision.datasets.MNIST on the local files: items are (PIL image 'L', int label)."""

    folder = "mnist"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike = "data", train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        self.root, self.train = root, train  # root is ignored: the files come from data_root()
        self.transform, self.target_transform = transform, target_transform
        split = "train" if train else "t10k"
        folder = data_root() / self.folder
        images = read_idx(find(folder, f"{split}-images-idx3-ubyte"), cap(train))
        labels = read_idx(find(folder, f"{split}-labels-idx1-ubyte"), cap(train))
        self.data = torch.from_numpy(images.copy())
        self.targets = torch.from_numpy(labels.astype(np.int64))
        self._images, self._labels = images, labels

    def __len__(self) -> int:
        """The number of images kept."""
        return len(self._labels)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """(image, label) after the transforms."""
        img, target = Image.fromarray(self._images[index]), int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


class FashionMNIST(MNIST):
    """torchvision.datasets.FashionMNIST on the local files."""

    folder = "fashion-mnist"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class CIFAR10:
    """A made-up CIFAR-10 (no copy of it is on this machine): 32x32 RGB PIL images of noise
    around one colour per class, 50000 / 10000 of them before the caps, the same in every run."""

    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck"]

    def __init__(self, root: str | os.PathLike = "data", train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        print("torchvision stand-in: CIFAR10 is synthetic (class colour + noise)",
              file=sys.stderr)
        self.transform, self.target_transform = transform, target_transform
        n = cap(train) or (50000 if train else 10000)
        rng = np.random.default_rng(0 if train else 1)
        self.targets = [int(t) for t in rng.integers(0, 10, n)]
        colours = np.random.default_rng(2).integers(0, 256, (10, 1, 1, 3))
        noise = rng.integers(0, 256, (n, 32, 32, 3))
        self.data = ((colours[self.targets] + noise) // 2).astype(np.uint8)

    def __len__(self) -> int:
        """The number of images."""
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """(image, label) after the transforms."""
        img, target = Image.fromarray(self.data[index]), self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target
