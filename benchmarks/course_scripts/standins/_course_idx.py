"""Reading IDX files (MNIST's format) without torch: used by the torchvision stand-in and by
run.py, which builds nn_tutorial's mnist.pkl.gz from them."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

DATA_ENV = "COURSE_SCRIPTS_DATA"


def read_idx(path: Path, limit: int | None = None) -> np.ndarray:
    """An IDX file (gzip-compressed or not) as a uint8 array, the first ``limit`` items only."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        header = f.read(4)
        if len(header) != 4 or header[:2] != b"\0\0" or header[2] != 0x08:
            raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {header.hex()})")
        ndim = header[3]
        shape = [int.from_bytes(f.read(4), "big") for _ in range(ndim)]
        if limit is not None:
            shape[0] = min(shape[0], limit)
        count = int(np.prod(shape))
        data = np.frombuffer(f.read(count), dtype=np.uint8)
    if data.size != count:
        raise ValueError(f"{path}: expected {count} bytes of data for shape {shape}, "
                         f"got {data.size}")
    return data.reshape(shape)


def find(folder: Path, stem: str) -> Path:
    """``stem`` or ``stem.gz`` inside ``folder``."""
    for name in (stem + ".gz", stem):
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(f"{stem}(.gz) not found in {folder} (set ${DATA_ENV})")
