"""minigrad.data: loaders, splits, the IDX reader, MNIST files and downloads (served locally)."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import (
    MNIST,
    DataLoader,
    Dataset,
    FashionMNIST,
    TensorDataset,
    random_split,
    read_idx,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file: magic (0, 0, 0x08, ndim), big-endian sizes, then the bytes."""
    return bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + (
        array.astype(np.uint8).tobytes())


def write_mnist(folder: Path, n_train: int = 40, n_test: int = 10, seed: int = 0) -> dict:
    """The four gzip IDX files of a tiny MNIST-format dataset; returns name -> MD5."""
    folder.mkdir(parents=True, exist_ok=True)
    r = np.random.default_rng(seed)
    sums = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = r.integers(0, 10, n)
        images = (r.random((n, 28, 28)) * 255).astype(np.uint8)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{prefix}-{kind}-ubyte.gz"
            data = gzip.compress(idx_bytes(array))
            (folder / name).write_bytes(data)
            sums[name] = hashlib.md5(data).hexdigest()
    return sums


# ---- loaders -------------------------------------------------------------------------------
def test_loader_batches_cover_the_dataset_once() -> None:
    ds = TensorDataset(mg.arange(10.0).reshape(10, 1), mg.arange(10))
    batches = list(DataLoader(ds, batch_size=4))
    assert [len(x) for x, _ in batches] == [4, 4, 2] and len(DataLoader(ds, batch_size=4)) == 3
    assert mg.cat([y for _, y in batches]).tolist() == list(range(10))
    assert len(list(DataLoader(ds, batch_size=4, drop_last=True))) == 2
    shuffled = [y.tolist() for _, y in DataLoader(ds, batch_size=10, shuffle=True, seed=1)]
    again = [y.tolist() for _, y in DataLoader(ds, batch_size=10, shuffle=True, seed=1)]
    assert shuffled == again and sorted(shuffled[0]) == list(range(10))
    assert shuffled[0] != list(range(10))
    mg.manual_seed(5)
    a = [y.tolist() for _, y in DataLoader(ds, batch_size=10, shuffle=True)]
    mg.manual_seed(5)
    assert a == [y.tolist() for _, y in DataLoader(ds, batch_size=10, shuffle=True)]
    on_strict = next(iter(DataLoader(ds, batch_size=3, device="strict")))
    assert all(t.device == "strict:0" for t in on_strict)
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(mg.ones(3), mg.ones(4))
    with pytest.raises(ValueError, match="positive integer"):
        DataLoader(ds, batch_size=0)


def test_loader_collates_a_plain_dataset() -> None:
    class Squares(Dataset):
        def __getitem__(self, i: int) -> tuple[mg.Tensor, int]:
            return mg.full((2,), float(i)), i * i

        def __len__(self) -> int:
            return 5

    x, y = next(iter(DataLoader(Squares(), batch_size=3)))
    assert x.shape == (3, 2) and y.tolist() == [0, 1, 4] and y.dtype is mg.int64


def test_random_split() -> None:
    ds = TensorDataset(mg.arange(10))
    a, b = random_split(ds, [7, 3], generator=np.random.default_rng(0))
    values = sorted(a[i][0].item() for i in range(len(a))) + sorted(
        b[i][0].item() for i in range(len(b)))
    assert len(a) == 7 and len(b) == 3 and sorted(values) == list(range(10))
    c, d = random_split(ds, [0.5, 0.5])
    assert len(c) == len(d) == 5
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [3, 3])
    x = next(iter(DataLoader(a, batch_size=7)))[0]
    assert sorted(x.tolist()) == sorted(a[i][0].item() for i in range(7))


# ---- IDX files ------------------------------------------------------------------------------
def test_read_idx_good_and_malformed_files(tmp_path: Path) -> None:
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "ok.idx").write_bytes(idx_bytes(array))
    (tmp_path / "ok.gz").write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(read_idx(tmp_path / "ok.idx"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "ok.gz"), array)
    bad = {"magic.idx": b"\x01\x02" + idx_bytes(array)[2:],
           "type.idx": b"\x00\x00\x0d\x03" + idx_bytes(array)[4:],
           "header.idx": idx_bytes(array)[:9],
           "short.idx": idx_bytes(array)[:-1],
           "long.idx": idx_bytes(array) + b"\x00"}
    messages = {"magic.idx": "bad magic", "type.idx": "type code 0x0d",
                "header.idx": "truncated IDX header", "short.idx": "holds 23 bytes",
                "long.idx": "holds 25 bytes"}
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=messages[name]):
            read_idx(tmp_path / name)
    (tmp_path / "broken.gz").write_bytes(gzip.compress(idx_bytes(array))[:-10])
    with pytest.raises(ValueError, match="cannot read as gzip"):
        read_idx(tmp_path / "broken.gz")


def test_mnist_from_a_folder_of_idx_files(tmp_path: Path) -> None:
    write_mnist(tmp_path)
    train, test = MNIST(tmp_path), MNIST(tmp_path, train=False)
    assert len(train) == 40 and len(test) == 10
    x, y = train[0]
    assert x.shape == (1, 28, 28) and x.dtype is mg.float32 and 0 <= x.min().item()
    assert x.max().item() <= 1 and y.dtype is mg.int64
    with pytest.raises(FileNotFoundError, match=r"t10k-images-idx3-ubyte.gz.*not found in"):
        MNIST(tmp_path / "empty", train=False)


def test_the_real_mnist_files_when_present() -> None:
    folder = Path(os.environ.get("MINIGRAD_MNIST_DIR", SHARED / "mnist"))
    if not (folder / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"no MNIST files in {folder} (set MINIGRAD_MNIST_DIR to a folder holding "
                    "the four IDX files)")
    test = MNIST(folder, train=False)
    assert len(test) == 10000 and test.tensors[1].tolist()[:5] == [7, 2, 1, 0, 4]


# ---- downloads, from a server on 127.0.0.1 -------------------------------------------------------
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 serving tmp_path/www; yields its base URL and folder."""
    www = tmp_path / "www"
    www.mkdir()

    def handler(*args: object, **kwargs: object) -> Quiet:
        return Quiet(*args, directory=str(www), **kwargs)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", www
    httpd.shutdown()
    httpd.server_close()


def test_download_falls_through_mirrors_and_checks_sums(server: tuple[str, Path],
                                                        tmp_path: Path) -> None:
    base, www = server
    sums = write_mnist(www / "good")
    write_mnist(www / "bad", seed=1)  # same names, other bytes: every checksum fails
    dead = "http://127.0.0.1:9/"  # nothing listens on the discard port

    class Local(MNIST):
        files = sums

    Local.mirrors = [dead, base + "missing/", base + "good/"]
    cache = tmp_path / "cache"
    train = Local(cache, download=True)
    assert len(train) == 40 and sorted(p.name for p in cache.iterdir()) == [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]  # no temporaries left
    Local.mirrors = [base + "bad/"]
    bad_cache = tmp_path / "bad-cache"
    with pytest.raises(RuntimeError, match="checksum mismatch") as info:
        Local(bad_cache, train=False, download=True)
    assert "Offline? Put the four files" in str(info.value)
    assert list(bad_cache.iterdir()) == []  # nothing corrupt is left in the cache


def test_dataset_classes_know_their_files_and_mirrors() -> None:
    assert set(MNIST.files) == set(FashionMNIST.files) and len(MNIST.files) == 4
    assert all(m.startswith("http") for m in MNIST.mirrors + FashionMNIST.mirrors)
    assert FashionMNIST.classes[9] == "Ankle boot"


# ---- short training runs ------------------------------------------------------------------------
def test_lenet_learns_digits_in_a_few_epochs() -> None:
    pytest.importorskip("sklearn", reason="Digits is scikit-learn's bundled dataset")
    from demos.lenet import lenet
    from minigrad.data import Digits

    mg.manual_seed(0)
    train, test = Digits(), Digits(train=False)
    assert len(train) == 1437 and len(test) == 360 and train[0][0].shape == (1, 28, 28)
    model = lenet(mg.nn)
    opt = mg.optim.Adam(model.parameters(), lr=0.003)  # (0.01 stalls at chance, as in torch)
    for _ in range(6):
        for x, y in DataLoader(train, batch_size=32, shuffle=True):
            opt.zero_grad()
            mg.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    x, y = test.tensors
    with mg.no_grad():
        accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    assert accuracy > 0.85, accuracy


def test_training_on_mnist_format_files_the_test_writes(tmp_path: Path) -> None:
    """A learnable MNIST-format dataset (the class is drawn as a bright row) through the reader,
    the loader and a small model."""
    r = np.random.default_rng(0)
    for prefix, n in (("train", 600), ("t10k", 200)):
        labels = r.integers(0, 10, n)
        images = (r.random((n, 28, 28)) * 60).astype(np.uint8)
        images[np.arange(n), 2 + 2 * labels, :] = 255
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            (tmp_path / f"{prefix}-{kind}-ubyte.gz").write_bytes(gzip.compress(idx_bytes(array)))
    mg.manual_seed(0)
    model = mg.nn.Sequential(mg.nn.Flatten(), mg.nn.Linear(784, 10))
    opt = mg.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(3):
        for x, y in DataLoader(MNIST(tmp_path), batch_size=50, shuffle=True):
            opt.zero_grad()
            mg.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    x, y = MNIST(tmp_path, train=False).tensors
    assert (model(x).argmax(dim=1) == y).float().mean().item() > 0.95


def test_loader_reads_custom_datasets_sample_by_sample() -> None:
    class Squares(Dataset):
        def __getitem__(self, i: int) -> tuple[mg.Tensor, int]:
            return mg.tensor([float(i)]), i * i

        def __len__(self) -> int:
            return 10

    train, _ = random_split(Squares(), [8, 2], generator=np.random.default_rng(0))
    x, y = next(iter(DataLoader(train, batch_size=4)))
    assert x.shape == (4, 1) and (y == x.squeeze(1).long() ** 2).all().item()

    class Augmented(TensorDataset):  # an overridden __getitem__ must see one index at a time
        def __getitem__(self, i: int) -> tuple[mg.Tensor, int]:
            x, y = super().__getitem__(i)
            return x * 2, int(y.item())

    ds = Augmented(mg.arange(6.0).reshape(6, 1), mg.arange(6))
    batch = next(iter(DataLoader(ds, batch_size=3, num_workers=2, pin_memory=True)))
    assert isinstance(batch, list) and batch[0].tolist() == [[0.0], [2.0], [4.0]]
    assert batch[1].tolist() == [0, 1, 2]
    singles = list(DataLoader(ds, batch_size=None))
    assert len(singles) == 6 and singles[1][1] == 1
    dicts = [{"image": mg.ones(2) * i, "label": i} for i in range(4)]

    class Dicts(Dataset):
        def __getitem__(self, i: int) -> dict:
            return dicts[i]

        def __len__(self) -> int:
            return 4

    batch = next(iter(DataLoader(Dicts(), batch_size=4)))
    assert batch["image"].shape == (4, 2) and batch["label"].tolist() == [0, 1, 2, 3]
    with pytest.raises(TypeError, match="samplers"):  # (sampler= is torch's, and works)
        DataLoader(ds, samplers=[0, 1])
