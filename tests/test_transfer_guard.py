"""mg.transfer_guard: host <-> device transfers counted, logged or refused.

No GPU is needed: a stand-in backend computes with NumPy but says its arrays are not on the
host (``is_host = False``), as CuPy's are not, so every copy to or from NumPy is a transfer;
its namespace is NumPy behind ``CountingNamespace``, as the CuPy backend's is CuPy, so the
copies the library makes on its own (a Python number in an op, nonzero's count) count too.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad import backends
from minigrad.backends.transfers import CountingNamespace


class StandIn(mg.Backend):
    """A device stand-in: NumPy arrays that count as living off the host."""

    name = "standin"
    is_host = False

    def _load(self) -> Any:
        # NumPy's arrays and scalars are the "device's" (as CuPy's arrays and 0-d results)
        return CountingNamespace(np, self.name, (np.ndarray, np.generic))

    def from_numpy(self, a: np.ndarray) -> np.ndarray:
        return np.array(a, copy=True)  # a copy, as to a device

    def to_numpy(self, a: Any) -> np.ndarray:
        return np.array(a, copy=True)


@pytest.fixture
def dev(monkeypatch: pytest.MonkeyPatch) -> str:
    """The stand-in device, in a private copy of the registry."""
    monkeypatch.setattr(backends, "_REGISTRY", dict(backends._REGISTRY))
    monkeypatch.setattr(backends, "_DEVICES", {})
    mg.register_backend(StandIn())
    return "standin"


IMPLICIT = {  # every way to read a tensor's values on the host without asking for a move
    "item": lambda t: t.item(),
    "numpy": lambda t: t.numpy(),
    "tolist": lambda t: t.tolist(),
    "repr": repr,
    "str": str,
    "format": lambda t: f"{t:.3f}",
    "bool": lambda t: bool(t > 0),
    "float": float,
    "int": lambda t: int(t.long()),
    "index": lambda t: [0, 1, 2][t.long()],
    "np.asarray": np.asarray,
    "if": lambda t: 1 if t > 0 else 0,
}


@pytest.mark.parametrize("read", list(IMPLICIT))
def test_disallow_refuses_every_implicit_transfer(dev: str, read: str) -> None:
    t = mg.tensor(1.5, device=dev)
    with mg.transfer_guard("disallow") as moved, pytest.raises(
            RuntimeError, match=r"Disallowed implicit device-to-host transfer .* on the "
                                r"'standin' device, at .*test_transfer_guard\.py:\d+"):
        IMPLICIT[read](t)
    assert "implicit" not in moved.by_category  # refused before it happened (t > 0 copies
    # its 0 over, an internal transfer)
    IMPLICIT[read](t)  # outside the guard: allowed


def test_item_names_the_way_out(dev: str) -> None:
    loss = mg.tensor(2.0, device=dev)
    with mg.transfer_guard("disallow"):
        with pytest.raises(RuntimeError, match=r"\(item\) of 4 bytes.*t\.cpu\(\)\.item\(\)"):
            loss.item()
        assert loss.cpu().item() == 2.0  # explicit: allowed


def test_the_counter_counts_numpy_tolist_and_repr(dev: str) -> None:
    t = mg.arange(6, dtype=mg.float32, device=dev).reshape(2, 3)
    with mg.transfer_guard("allow") as moved:
        t.numpy()
        t.tolist()
        repr(t)
        t.sum().item()
    assert moved.by_kind == {"numpy": (1, 24), "tolist": (1, 24), "repr": (1, 24),
                             "item": (1, 4)}
    assert (moved.count, moved.bytes) == (4, 76)
    assert moved.by_category == {"implicit": (4, 76)}
    assert "4 transfers, 76 bytes" in repr(moved) and "tolist" in repr(moved)


def test_explicit_moves_are_allowed_and_counted(dev: str) -> None:
    host = mg.ones(2, 3)
    with mg.transfer_guard("disallow") as moved:
        t = host.to(dev)  # host to device
        u = mg.tensor([[1.0, 2.0]], device=dev)  # host to device
        back = (t * 2).cpu()  # device to host
        v = t.to("cpu", mg.float64)
    assert back.device == "cpu" and t.device.type == dev and u.device.type == dev
    assert v.dtype is mg.float64
    assert moved.by_kind == {"to": (3, 72), "tensor": (1, 8), "scalar operand": (1, 4)}
    assert moved.by_category == {"explicit": (4, 80), "internal": (1, 4)}  # (t * 2: the 2)


def test_a_list_index_is_an_implicit_transfer_to_the_device(dev: str) -> None:
    t = mg.arange(5, device=dev)
    with mg.transfer_guard("disallow"), pytest.raises(RuntimeError,
                                                      match=r"host-to-device transfer \(index\)"):
        t[[0, 2]]
    index = mg.tensor([0, 2], device=dev)
    with mg.transfer_guard("allow") as moved:
        t[index]  # an index already on the device: no copy of it
    assert moved.by_kind == {"index bounds": (2, 16)}  # the bounds check looks on the host


def test_a_cpu_index_or_mask_tensor_is_implicit_too_and_the_message_points_the_right_way(
        dev: str) -> None:
    """A CPU tensor indexing a device tensor is copied over as a list would be: implicit,
    refused under 'disallow' with advice to move it before; allowed, it picks what it should."""
    t = mg.arange(5, device=dev)
    for key in (mg.tensor([0, 2]), mg.tensor([True, False, True, False, False])):
        with mg.transfer_guard("disallow"), pytest.raises(
                RuntimeError, match=r"host-to-device transfer \(index\).*t\.to\('standin'\)"):
            t[key]
        with mg.transfer_guard("allow") as moved:
            picked = t[key]
        assert moved.by_category["implicit"][0] == 1
        assert picked.cpu().tolist() == [0, 2]
    with pytest.raises(RuntimeError, match="indices should be either on cpu or on the same"):
        mg.arange(5)[mg.tensor([True] * 5, device=dev)]


def test_assigning_through_a_device_index_moves_no_index(dev: str) -> None:
    """x[index] = v with the index on the device is parsed once: no implicit copy of the
    index (CuPy refuses np.asarray on its arrays), only the bounds checks reading it does."""
    t = mg.zeros(5, device=dev)
    index, two = mg.tensor([0, 2], device=dev), mg.tensor(2.0, device=dev)
    with mg.transfer_guard("disallow") as moved:
        t[index] = 1.0
        t.index_put_((index,), two, accumulate=True)
    assert set(moved.by_kind) == {"index bounds", "scalar operand"}  # (the 1.0)
    assert t.cpu().tolist() == [3.0, 0.0, 3.0, 0.0, 0.0]


def test_nothing_is_a_transfer_on_the_host_backends() -> None:
    for device in ("cpu", "strict"):
        if not mg.get_backend(device).is_available():
            continue
        t = mg.tensor([1.0, -2.0], device=device)
        with mg.transfer_guard("disallow") as moved:
            t.numpy(), t.tolist(), repr(t), t[0].item(), bool(t[0] > 0), float(t[1])
            t[mg.tensor([1, 0], device=device)]
            t.to("cpu"), mg.tensor([3.0], device=device)
        assert (moved.count, moved.bytes, moved.by_kind) == (0, 0, {})


def test_log_writes_each_transfer_with_its_line(dev: str, caplog: pytest.LogCaptureFixture
                                                ) -> None:
    t = mg.tensor([1.0, 2.0], device=dev)
    with caplog.at_level(logging.WARNING, logger="minigrad.transfers"):
        with mg.transfer_guard("log") as moved:
            t.tolist()
            t.cpu()
    assert moved.count == 2
    first, second = (r.getMessage() for r in caplog.records)
    assert first.startswith("implicit device-to-host transfer (tolist) of 8 bytes, shape (2,)")
    assert "test_transfer_guard.py:" in first
    assert second.startswith("explicit device-to-host transfer (to)")


def test_nested_guards_count_in_each_and_the_innermost_decides(dev: str) -> None:
    t = mg.tensor(3.0, device=dev)
    with mg.transfer_guard("disallow") as outer:
        with mg.transfer_guard("allow") as inner:
            t.item()
        with pytest.raises(RuntimeError, match="Disallowed"):
            t.item()
        t.cpu()
    assert inner.count == 1 and outer.count == 2
    assert outer.by_kind == {"item": (1, 4), "to": (1, 4)}
    with mg.transfer_guard("disallow"):  # a guard left by an error is off again
        with pytest.raises(RuntimeError):
            t.item()
    assert t.item() == 3.0
    with outer, pytest.raises(RuntimeError, match="already on"), outer:
        pass


def test_the_guard_belongs_to_the_thread(dev: str) -> None:
    t = mg.tensor(1.0, device=dev)
    values: list[float] = []
    with mg.transfer_guard("disallow") as moved:
        thread = threading.Thread(target=lambda: values.append(t.item()))
        thread.start()
        thread.join(5)
    assert values == [1.0] and moved.count == 0


def test_levels() -> None:
    with pytest.raises(ValueError, match="allow, log, disallow"):
        mg.transfer_guard("never")
    assert mg.transfer_guard().level == "disallow"


def test_library_checks_are_internal_counted_and_keep_their_errors(dev: str) -> None:
    x = mg.randn(3, 4, device=dev)
    with mg.transfer_guard("disallow") as moved:
        mg.gather(x, 1, mg.tensor([[0], [3], [1]], device=dev))
        with pytest.raises(RuntimeError, match="index 4 is out of bounds for dimension 1"):
            mg.gather(x, 1, mg.tensor([[0], [4], [1]], device=dev))
        with pytest.raises(IndexError, match="Target 10 is out of bounds"):
            nn.functional.cross_entropy(x, mg.tensor([0, 10, 1], device=dev))
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            mg.arange(3, device=dev) // mg.tensor([1, 0, 2], device=dev)
    assert set(moved.by_category) == {"explicit", "internal"}  # mg.tensor(..., device=dev)
    assert {"gather bounds", "target check", "integer division check"} <= set(moved.by_kind)


def test_anomaly_mode_checks_are_internal_transfers(dev: str) -> None:
    x = mg.randn(3, device=dev, requires_grad=True)
    with mg.autograd.detect_anomaly(), mg.transfer_guard("disallow") as moved:
        x.exp().sum().backward()
    assert moved.by_kind["anomaly check"][0] >= 2 and set(moved.by_category) == {"internal"}


def test_a_lenet_step_on_the_device_under_the_guard(dev: str) -> None:
    from demos.lenet import lenet

    mg.manual_seed(0)
    net = lenet().to(dev)
    optimizer = mg.optim.SGD(net.parameters(), lr=0.1)
    x, y = mg.randn(8, 1, 28, 28).to(dev), mg.randint(0, 10, (8,)).to(dev)
    losses = []
    for _ in range(2):
        with mg.transfer_guard("disallow") as moved:
            loss = nn.CrossEntropyLoss()(net(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        losses.append(loss.item())  # outside the guard: the one trip to the host per step
    assert losses[1] < losses[0]
    # what is left are minigrad's own: the targets' check (the 8 int64 targets, looked at on
    # the host once: in range, and whether any is ignore_index), the index bounds of the gathers
    # that pick each sample's class (forward) and scatter back its gradient (backward), and
    # the Python numbers of the loss and the update copied over as 0-d arrays
    assert set(moved.by_category) == {"internal"}
    assert moved.by_kind.pop("scalar operand")[0] > 0
    assert moved.by_kind == {"target check": (1, 64), "index bounds": (8, 64)}


def test_python_numbers_in_ops_are_counted_never_refused(dev: str) -> None:
    """``x * 2.0`` copies the 2.0 to the device as a 0-d array (CuPy's asarray): an internal
    transfer, counted with its bytes; never refused, as JAX's guard lets Python scalars by."""
    x = mg.ones(3, device=dev)
    with mg.transfer_guard("disallow") as moved:
        y = x * 2.0 + 1
        z = x.double() - 0.5
    assert y.cpu().tolist() == [3.0] * 3 and z.cpu().tolist() == [0.5] * 3
    assert moved.by_kind == {"scalar operand": (3, 16)}  # float32 2.0 and 1, float64 0.5
    assert moved.by_category == {"internal": (3, 16)}
    with mg.transfer_guard("disallow") as moved:
        x * x  # two tensors on the device: nothing copied
    assert moved.count == 0


def test_nonzero_and_boolean_masks_count_the_read_back(dev: str) -> None:
    """nonzero must know how many elements are non-zero before it can allocate its result:
    the count comes back to the host (CuPy waits for the device there), as for a mask."""
    t = mg.tensor([[0.0, 1.5], [-2.0, 0.0]], device=dev)
    mask = mg.tensor([[False, True], [True, False]], device=dev)
    with mg.transfer_guard("disallow") as moved:
        index = t.nonzero()
        picked = t[mask]
    assert index.cpu().tolist() == [[0, 1], [1, 0]] and picked.cpu().tolist() == [1.5, -2.0]
    assert moved.by_kind["nonzero"] == (2, 16) and moved.by_category.keys() == {"internal"}


def test_host_data_handed_to_the_library_is_counted() -> None:
    """The namespace counts a copy wherever host data meets the device library: a list, a
    NumPy array that is not the device's, a Python number; not the device's own arrays."""
    xp = CountingNamespace(np, "elsewhere", np.generic)  # only NumPy's scalars are "on it"
    with mg.transfer_guard("allow") as moved:
        xp.asarray([1, 2, 3])
        xp.asarray(np.zeros((2, 2), np.float32))
        xp.asarray(7)
        xp.asarray(np.float32(1.0))
        xp.nonzero(np.array([0, 1]))
    assert moved.by_kind == {"host array": (2, 40), "scalar operand": (1, 8), "nonzero": (1, 8)}
    assert xp.arange is np.arange and "counting transfers on 'elsewhere'" in repr(xp)


def test_the_cupy_backend_counts_through_its_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CuPy backend's xp is CuPy behind CountingNamespace (here the NumPy stand-in for
    CuPy of test_backends.py): a Python number in an op on "cuda" is counted."""
    from tests.test_backends import use_fake_cupy

    cuda = use_fake_cupy(monkeypatch)
    assert isinstance(cuda.xp, CountingNamespace)
    x = mg.ones(2, device="cuda")
    with mg.transfer_guard("disallow") as moved:
        x * 3.0
        x[x > 0]
    assert moved.by_kind == {"scalar operand": (2, 8), "nonzero": (1, 8),
                             "index bounds": (2, 16)}  # (the mask's positions, checked)
