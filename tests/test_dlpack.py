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


class DeviceBuffer:
    """Another library's array on a GPU (device type 2, kDLCUDA; 13 for managed memory):
    DLPack only, and ``__array__`` refuses as CuPy's does. The NumPy stand-in for CuPy of
    test_backends.py takes it in ``from_dlpack`` by its ``array``."""

    def __init__(self, array: np.ndarray, kind: int = 2) -> None:
        self.array, self.kind = array, kind

    def __dlpack__(self, **kwargs: object) -> object:
        return self.array.__dlpack__()

    def __dlpack_device__(self) -> tuple[int, int]:
        return (self.kind, 0)

    def __array__(self, *args: object, **kwargs: object) -> np.ndarray:
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use "
                        "`.get()` to construct a NumPy array explicitly.")


@pytest.fixture
def fake_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CuPy backend on the NumPy stand-in for CuPy (tests/test_backends.py)."""
    from tests.test_backends import use_fake_cupy

    use_fake_cupy(monkeypatch)


def test_a_device_array_given_to_tensor_comes_in_through_dlpack(fake_cuda: None) -> None:
    """As torch.tensor(cupy_array): a copy, on the array's device unless told otherwise, in
    the dtype asked for; as_tensor shares instead (never through __array__, which CuPy
    refuses)."""
    a = np.arange(4, dtype=np.float32)
    buffer = DeviceBuffer(a)
    t = mg.tensor(buffer)
    assert t.device == "cuda:0" and t.dtype is mg.float32 and t.cpu().tolist() == [0, 1, 2, 3]
    a[0] = 9.0
    assert t.cpu().tolist() == [0, 1, 2, 3]  # a copy
    assert mg.as_tensor(buffer).cpu().tolist() == [9, 1, 2, 3]  # shared
    u = mg.tensor(buffer, dtype=mg.float64, device="cpu", requires_grad=True)
    assert u.device == "cpu" and u.dtype is mg.float64 and u.requires_grad
    assert mg.as_tensor(buffer, dtype=mg.int64).tolist() == [9, 1, 2, 3]


def test_cuda_managed_memory_comes_in_on_the_gpu(fake_cuda: None) -> None:
    """kDLCUDAManaged (13), unified memory, is the GPU's as torch takes it."""
    t = mg.from_dlpack(DeviceBuffer(np.ones(3, np.float32), kind=13))
    assert t.device == "cuda:0" and t.cpu().tolist() == [1.0, 1.0, 1.0]
    assert mg.tensor(DeviceBuffer(np.zeros(2), kind=13)).device == "cuda:0"


def test_a_dlpack_device_without_a_backend_is_named() -> None:
    with pytest.raises(RuntimeError, match=r"DLPack device type 4 has no minigrad backend "
                                           r"\(cpu takes 1 and 3.*cuda takes 2 and 13"):
        mg.from_dlpack(DeviceBuffer(np.ones(2), kind=4))
