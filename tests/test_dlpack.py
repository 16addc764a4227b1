"""DLPack both ways: arrays and tensors of other libraries come in, and go out, without a copy."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from tests.conftest import require_device


def test_numpy_arrays_come_in_and_go_out_sharing_memory() -> None:
    a = np.arange(6.0).reshape(2, 3)
    t = mg.from_dlpack(a)
    assert t.device == mg.device("cpu") and t.dtype is mg.float64 and t.shape == (2, 3)
    a[0, 0] = 7.0  # one memory: the change shows on both sides
    assert t[0, 0].item() == 7.0
    b = np.from_dlpack(t)
    t.add_(1)
    assert b[0, 0] == 8.0 and np.shares_memory(a, b)
    assert t.__dlpack_device__()[0] == 1  # kDLCPU


def test_torch_tensors_come_in_and_go_out_sharing_memory() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here; .ci/run installs it")
    x = torch.arange(6, dtype=torch.int32).reshape(2, 3)
    t = mg.from_dlpack(x)
    assert t.dtype is mg.int32 and t.tolist() == x.tolist()
    x.add_(10)
    assert t.tolist() == x.tolist()
    y = torch.from_dlpack(t)
    t.mul_(2)
    assert y.tolist() == t.tolist() and y.dtype == torch.int32
    w = mg.ones(2, requires_grad=True)  # as torch: a tensor in a graph does not leave it
    with pytest.raises(RuntimeError, match=r"Can't export tensors that require gradient"):
        torch.from_dlpack(w)
    assert torch.from_dlpack(w.detach()).tolist() == [1.0, 1.0]


def test_what_has_no_dlpack_is_refused_naming_its_type() -> None:
    with pytest.raises(TypeError, match="__dlpack__ .* got list"):
        mg.from_dlpack([1, 2])


def test_cuda_arrays_come_in_and_go_out_without_a_copy() -> None:
    require_device("cuda")
    import cupy

    a = cupy.arange(4, dtype=cupy.float32)
    t = mg.from_dlpack(a)
    assert t.device.type == "cuda"
    a[0] = 5
    assert t[0].item() == 5.0
    back = cupy.from_dlpack(t)
    t.add_(1)
    assert float(back[0]) == 6.0
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    if torch.cuda.is_available():
        x = torch.ones(3, device="cuda")
        u = mg.from_dlpack(x)
        x.mul_(3)
        assert u.tolist() == [3.0, 3.0, 3.0] and u.device.type == "cuda"
        assert torch.from_dlpack(u).device.type == "cuda"
