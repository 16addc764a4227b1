"""Tensor semantics: creation, dtypes and promotion, conversions, devices, printing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.testing import assert_close


# ---- creation -----------------------------------------------------------------------------
def test_dtype_inference_follows_torch() -> None:
    assert mg.tensor([1.0, 2.0]).dtype is mg.float32
    assert mg.tensor([1, 2]).dtype is mg.int64
    assert mg.tensor([True, False]).dtype is mg.bool
    assert mg.tensor(np.zeros(2, np.float64)).dtype is mg.float64  # NumPy keeps its dtype
    assert mg.tensor(np.zeros(2, np.int32)).dtype is mg.int32
    assert mg.tensor([1, 2], dtype=mg.float64).dtype is mg.float64
    assert mg.tensor([1.5], dtype=mg.float16).dtype is mg.float16
    with pytest.raises(TypeError, match="argument 'dtype' must be minigrad.dtype, not str"):
        mg.tensor([1.5], dtype="float16")  # as torch's
    with pytest.raises(TypeError, match="not str"):
        mg.zeros(2, dtype="float32")


def test_unsupported_data_gives_a_clear_error() -> None:
    with pytest.raises(TypeError, match="complex128"):
        mg.tensor(np.zeros(2, np.complex128))


def test_factories(cpu_backend: str) -> None:
    d = cpu_backend
    assert mg.zeros(2, 3, device=d).shape == (2, 3)
    assert mg.ones((2, 3), device=d).tolist() == [[1.0] * 3] * 2
    assert mg.full((2,), 7, device=d).dtype is mg.int64
    assert mg.full((2,), 7.0, device=d).dtype is mg.float32
    assert mg.empty(4, device=d).shape == (4,)
    assert mg.arange(5, device=d).tolist() == [0, 1, 2, 3, 4]
    assert mg.arange(1, 2, 0.5, device=d).tolist() == [1.0, 1.5]
    assert mg.arange(0, 1, 0.25, device=d).dtype is mg.float32
    assert_close(mg.linspace(0, 1, 5, device=d), mg.tensor([0, 0.25, 0.5, 0.75, 1], device=d))
    assert mg.eye(3, device=d).tolist() == np.eye(3).tolist()
    assert mg.eye(2, 3).shape == (2, 3)
    x = mg.ones(2, 3, dtype=mg.float64, device=d)
    for like in (mg.zeros_like, mg.ones_like, mg.empty_like, mg.rand_like, mg.randn_like):
        y = like(x)
        assert y.shape == x.shape and y.dtype is mg.float64 and y.device == x.device
    assert mg.full_like(x, 3).tolist() == [[3.0] * 3] * 2
    with pytest.raises(RuntimeError, match="negative dimension"):
        mg.zeros(2, -1)


def test_random_draws() -> None:
    mg.manual_seed(3)
    u = mg.rand(1000)
    n = mg.randn(1000)
    k = mg.randint(0, 5, (1000,))
    assert u.dtype is mg.float32 and 0 <= u.min().item() and u.max().item() < 1
    assert abs(n.mean().item()) < 0.15 and abs(n.std().item() - 1) < 0.1
    assert k.dtype is mg.int64 and set(k.tolist()) == {0, 1, 2, 3, 4}


def test_manual_seed_reproduces_draws_on_every_device() -> None:
    draws = []
    for dev in ("cpu", "strict", "cpu"):
        mg.manual_seed(42)
        draws.append([mg.randn(5, device=dev).tolist(), mg.rand(2, 2, device=dev).tolist(),
                      mg.randint(10, (4,), device=dev).tolist()])
    assert draws[0] == draws[1] == draws[2]
    mg.manual_seed(43)
    assert mg.randn(5).tolist() != draws[0][0]
    assert mg.initial_seed() == 43


def test_from_numpy_shares_memory() -> None:
    a = np.arange(3.0)
    t = mg.from_numpy(a)
    a[0] = 7
    assert t.dtype is mg.float64 and t.tolist() == [7.0, 1.0, 2.0]
    with pytest.raises(TypeError, match="np.ndarray"):
        mg.from_numpy([1, 2])


# ---- attributes and conversions -------------------------------------------------------------
def test_attributes() -> None:
    x = mg.arange(6.0).reshape(2, 3)
    assert x.shape == (2, 3) and x.shape == mg.Size([2, 3]) and repr(x.shape) == (
        "minigrad.Size([2, 3])")
    assert x.ndim == 2 and x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
    for shape in (x.shape[1:], x.shape + (4,), (4,) + x.shape):  # still Sizes, as torch's
        assert type(shape) is mg.Size
    assert x.shape[1:].numel() == 3 and ((1,) + x.shape) == (1, 2, 3) and x.shape[0] == 2
    assert x.numel() == 6 and x.T.shape == (3, 2) and len(x) == 2
    assert x.device == "cpu" and x.device == mg.device("cpu") and x.is_leaf
    assert x.grad is None and x.grad_fn is None and not x.requires_grad
    assert mg.tensor(2.5).item() == 2.5 and isinstance(mg.tensor(3).item(), int)
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    n = x.numpy()
    assert isinstance(n, np.ndarray) and n.shape == (2, 3)
    with pytest.raises(RuntimeError, match="requires grad"):
        mg.ones(2, requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted"):
        mg.ones(2).item()


def test_conversions() -> None:
    x = mg.tensor([1.7, -2.2])
    assert x.double().dtype is mg.float64 and x.double().float().dtype is mg.float32
    assert x.long().tolist() == [1, -2] and x.long().dtype is mg.int64
    assert x.to(mg.float16).dtype is mg.float16 and x.half().dtype is mg.float16
    assert x.to("cpu") is x and x.cpu() is x
    assert x.to(mg.float32) is x
    y = x.to("strict")
    assert y.device == "strict:0" and y.tolist() == x.tolist()
    assert x.to(y).device == y.device  # .to(other) takes its device and dtype


def test_data_setter_replaces_values_without_tracking() -> None:
    x = mg.ones(2)
    x.data = mg.tensor([3.0, 4.0])
    assert x.tolist() == [3.0, 4.0]
    x.data = mg.ones(3)  # as torch, .data may change the shape too
    assert x.shape == (3,)


# ---- dtype preservation -------------------------------------------------------------------
@pytest.mark.parametrize("scalar", [2.0, 2, True, np.float64(2.0), np.int64(2)])
def test_float32_stays_float32_with_python_and_numpy_scalars(scalar: object) -> None:
    x = mg.ones(3)
    for y in (x * scalar, scalar * x, x + scalar, x - scalar, scalar - x, x / scalar,
              x ** scalar, mg.maximum(x, mg.tensor(scalar, dtype=mg.float64))):
        assert y.dtype is mg.float32


def test_numpy_promotes_a_0d_float64_array_differently() -> None:
    """The trap NumPy 2 sets (NEP 50): a 0-d float64 array widens float32, a Python float does
    not. minigrad follows PyTorch: a 0-d tensor never widens a dimensioned one of its kind."""
    a = np.ones(3, np.float32)
    assert (a * 2.0).dtype == np.float32 and (a * np.array(2.0)).dtype == np.float64
    x = mg.ones(3)
    assert (x * mg.tensor(2.0, dtype=mg.float64)).dtype is mg.float32
    assert (x * mg.tensor([2.0], dtype=mg.float64)).dtype is mg.float64  # 1-d does widen


def test_float32_through_reductions_and_a_loss() -> None:
    x = mg.randn(8, 5, requires_grad=True)
    t = mg.randint(0, 5, (8,))
    logp = x.log_softmax(dim=1)
    loss = -logp[mg.arange(8), t].mean()
    for y in (x.sum(), x.mean(), x.var(), x.std(dim=0), x.max(), logp, loss):
        assert y.dtype is mg.float32
    loss.backward()
    assert x.grad.dtype is mg.float32


def test_integer_promotion() -> None:
    i = mg.tensor([1, 2, 3])
    assert (i * 2).dtype is mg.int64
    assert (i * 2.5).dtype is mg.float32  # int tensor with a float scalar: the default float
    assert (i / 2).dtype is mg.float32  # true division of ints is float
    assert (i + mg.tensor([1.0], dtype=mg.float64)).dtype is mg.float64
    assert (mg.tensor([True]) + 1).dtype is mg.int64


def test_numpy_arrays_are_refused_clearly() -> None:
    with pytest.raises(TypeError, match="ndarray"):
        mg.ones(3) + np.ones(3)
    with pytest.raises(TypeError, match="ndarray"):
        np.ones(3) * mg.ones(3)


# ---- devices --------------------------------------------------------------------------------
def test_device_strings() -> None:
    assert mg.device("cpu") == "cpu" and mg.device("cuda:0").index == 0
    assert mg.device("cuda", 1) == "cuda:1" and mg.device("cuda").type == "cuda"
    assert repr(mg.device("cpu")) == "device(type='cpu')"
    with pytest.raises(RuntimeError, match="unknown device type 'tpu'; registered backends: cpu"):
        mg.device("tpu")


def test_op_on_two_devices_names_both() -> None:
    a, b = mg.ones(2), mg.ones(2, device="strict")
    with pytest.raises(RuntimeError, match=r"cpu and strict:0"):
        a + b
    with pytest.raises(RuntimeError, match=r"cpu and strict:0"):
        a @ b


def test_set_default_device() -> None:
    try:
        mg.set_default_device("strict")
        assert mg.zeros(2).device == "strict:0" and mg.tensor([1.0]).device == "strict:0"
        assert mg.randn(2).device == "strict:0"
    finally:
        mg.set_default_device("cpu")
    assert mg.zeros(2).device == "cpu"


def test_unavailable_cuda_says_why() -> None:
    cuda = mg.get_backend("cuda")
    if cuda.is_available():
        pytest.skip("a GPU is present here; the unavailable-device error cannot be seen")
    with pytest.raises(RuntimeError, match="'cuda' device is not available") as info:
        mg.ones(2).to("cuda")
    assert cuda.reason and cuda.reason in str(info.value)
    with pytest.raises(RuntimeError, match=cuda.reason.split("(")[0].strip()):
        mg.ones(2).cuda()
    with pytest.raises(RuntimeError, match="not available"):
        mg.zeros(2, device="cuda")


# ---- shapes and errors ----------------------------------------------------------------------
def test_shape_errors_name_both_shapes() -> None:
    with pytest.raises(RuntimeError, match=r"\(2, 3\) and \(4,\)"):
        mg.ones(2, 3) + mg.ones(4)
    with pytest.raises(RuntimeError, match=r"2x3 and 4x5"):
        mg.ones(2, 3) @ mg.ones(4, 5)
    with pytest.raises(RuntimeError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        mg.ones(2, 3).reshape(4, 2)


@given(st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_index_gradient_scatter_adds_repeats(shape: list[int]) -> None:
    x = mg.ones(*shape, dtype=mg.float64, requires_grad=True)
    idx = mg.tensor([0, 0, shape[0] - 1, 0])
    x[idx].sum().backward()
    expected = np.zeros(shape)
    np.add.at(expected, np.array([0, 0, shape[0] - 1, 0]), 1.0)
    assert x.grad.tolist() == expected.tolist()


# ---- printing -------------------------------------------------------------------------------
REPR_CASES = [
    ("tensor([1.0, 2.5])", {}),
    ("tensor([[1.0, 2.0], [3.0, 4.0]])", {}),
    ("tensor([1, 2, 3])", {}),
    ("tensor([True, False])", {}),
    ("tensor(3.25)", {}),
    ("tensor([1.0, 2.0])", {"dtype": "float64"}),
    ("tensor([1e-5, 1.0])", {}),
    ("tensor([123456.0, 0.5])", {}),
    ("tensor([1.0, 2.0])", {"requires_grad": True}),
    ("tensor([])", {}),
]


@pytest.mark.parametrize(("expr", "kwargs"), REPR_CASES)
def test_repr_matches_torch(expr: str, kwargs: dict) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle for printing")
    data = eval(expr[len("tensor("):-1])  # noqa: S307  (our own literal table)
    tk = dict(kwargs)
    mk = dict(kwargs)
    if "dtype" in kwargs:
        tk["dtype"] = getattr(torch, kwargs["dtype"])
        mk["dtype"] = getattr(mg, kwargs["dtype"])
    expected = repr(torch.tensor(data, **tk)).replace("torch.", "minigrad.")
    assert repr(mg.tensor(data, **mk)) == expected


def test_repr_shows_grad_fn_and_device() -> None:
    x = mg.ones(2, requires_grad=True)
    assert repr(x * 2) == "tensor([2., 2.], grad_fn=<MulBackward0>)"
    assert repr(mg.ones(2, device="strict")) == "tensor([1., 1.], device='strict:0')"
