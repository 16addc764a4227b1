"""Invalid arguments to the core API (tensors, creation, ops, autograd, optim, data) are
rejected as PyTorch rejects them: the same exception type, raised by minigrad's own code (never
NumPy's), with a message naming the argument and its value.

Each case is written once against a library namespace (``lib`` is minigrad or torch); the
harness in ``tests/invalid.py`` runs it on both. Hypothesis draws invalid values (negative and
float sizes, dims out of range, indices out of bounds...) across the creation functions and the
dim-taking ops; the table below holds the specific cases, and ``ACCEPTED`` the edges torch
allows, which minigrad must allow too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from tests.invalid import assert_accepts, assert_rejects, torch_or_none

# torch warns that x["a"] indexes with a sequence before it refuses the string
pytestmark = pytest.mark.filterwarnings("ignore:Using a non-tuple sequence:UserWarning")


def x3(lib: Any) -> Any:
    """A float tensor of shape (2, 3, 4)."""
    return lib.arange(24.0).reshape(2, 3, 4)


def leaf(lib: Any) -> Any:
    """A (2, 3) leaf that requires grad."""
    return lib.ones(2, 3, requires_grad=True)


def param(lib: Any) -> list:
    """One parameter, for the optimizers."""
    return [lib.ones(2, requires_grad=True)]


def sgd(lib: Any) -> Any:
    return lib.optim.SGD(param(lib), lr=0.1, momentum=0.9)


def dataset(lib: Any) -> Any:
    return lib.utils.data.TensorDataset(lib.ones(4, 2), lib.ones(4))


def backward_twice(lib: Any) -> None:
    y = (leaf(lib) * leaf(lib)).sum()
    y.backward()
    y.backward()


def hooked(lib: Any, hook: Callable) -> None:
    w = leaf(lib)
    w.register_hook(hook)
    (w * 2).sum().backward()


def unused_input(lib: Any) -> Any:
    w, v = leaf(lib), leaf(lib)
    return lib.autograd.grad((w * 2).sum(), [w, v])


def set_grad(lib: Any, value: Any) -> None:
    leaf(lib).grad = value(lib)


def setitem(lib: Any, key: Any, value: Any) -> None:
    x3(lib)[key] = value


OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adadelta", "Adagrad"]
CREATORS = {  # name -> build(lib, size)
    "zeros": lambda lib, s: lib.zeros(*s),
    "ones": lambda lib, s: lib.ones(s),
    "empty": lambda lib, s: lib.empty(*s),
    "rand": lambda lib, s: lib.rand(*s),
    "randn": lambda lib, s: lib.randn(s),
    "full": lambda lib, s: lib.full(s, 1.5),
    "randint": lambda lib, s: lib.randint(0, 5, s),
    "new_zeros": lambda lib, s: lib.ones(2).new_zeros(s),
    "new_ones": lambda lib, s: lib.ones(2).new_ones(*s),
    "new_full": lambda lib, s: lib.ones(2).new_full(s, 2.0),
}

# (what fails, the exception torch raises, what minigrad's message must name)
REJECTED: list[tuple[str, Callable[[Any], Any], type[BaseException], list[str]]] = [
    # ---- creation: sizes, dtypes, devices ----
    ("randn negative size", lambda lib: lib.randn(-2, 3), RuntimeError,
     ["negative dimension -2", "[-2, 3]"]),
    ("rand negative size", lambda lib: lib.rand(2, -1), RuntimeError, ["negative dimension -1"]),
    ("randint negative size", lambda lib: lib.randint(5, (-1,)), RuntimeError,
     ["negative dimension -1"]),
    ("randperm negative", lambda lib: lib.randperm(-1), RuntimeError, ["-1"]),
    ("zeros float size", lambda lib: lib.zeros(2.5), TypeError, ["zeros()", "size", "float",
                                                                  "2.5"]),
    ("ones float in sizes", lambda lib: lib.ones((2, 3.0)), TypeError,
     ["ones()", "size", "float", "pos 1"]),
    ("empty str size", lambda lib: lib.empty("a"), TypeError, ["size", "str"]),
    ("rand None size", lambda lib: lib.rand(None), TypeError, ["size", "NoneType"]),
    ("zeros bool size", lambda lib: lib.zeros(True), TypeError, ["size", "bool"]),
    ("zeros unknown dtype", lambda lib: lib.zeros(2, dtype="foo"), TypeError, ["foo"]),
    ("zeros unknown device", lambda lib: lib.zeros(2, device="gpu"), RuntimeError, ["gpu"]),
    ("zeros float device", lambda lib: lib.zeros(2, device=3.5), TypeError,
     ["device", "float", "3.5"]),
    ("rand int dtype", lambda lib: lib.rand(2, dtype=lib.int64), NotImplementedError,
     ["Long"]),
    ("randn bool dtype", lambda lib: lib.randn(2, dtype=lib.bool), NotImplementedError,
     ["Bool"]),
    ("rand_like int", lambda lib: lib.rand_like(lib.ones(2, dtype=lib.int64)),
     NotImplementedError, ["Long"]),
    ("zeros_like list", lambda lib: lib.zeros_like([1, 2]), TypeError,
     ["zeros_like()", "input", "list"]),
    ("randn_like None", lambda lib: lib.randn_like(None), TypeError, ["input", "NoneType"]),
    ("full str value", lambda lib: lib.full((2,), "a"), TypeError, ["fill_value", "str"]),
    ("full None value", lambda lib: lib.full((2,), None), TypeError,
     ["fill_value", "NoneType"]),
    ("full_like str value", lambda lib: lib.full_like(lib.ones(2), "a"), TypeError,
     ["fill_value", "str"]),
    ("new_full str value", lambda lib: lib.ones(2).new_full((2,), "a"), TypeError,
     ["fill_value", "str"]),
    ("randint float high", lambda lib: lib.randint(2.5, (2,)), TypeError, ["high", "float"]),
    ("randint float size", lambda lib: lib.randint(5, (2.5,)), TypeError, ["size", "float"]),
    ("randperm float", lambda lib: lib.randperm(2.5), TypeError, ["n", "float"]),
    ("randperm bool dtype", lambda lib: lib.randperm(3, dtype=lib.bool), NotImplementedError,
     ["Bool"]),
    ("arange step 0", lambda lib: lib.arange(0, 10, 0), RuntimeError, ["step must be nonzero"]),
    ("arange step sign", lambda lib: lib.arange(0, 10, -1), RuntimeError,
     ["inconsistent with step sign", "step=-1"]),
    ("arange backwards", lambda lib: lib.arange(10, 0), RuntimeError,
     ["inconsistent with step sign"]),
    ("arange inf", lambda lib: lib.arange(math.inf), RuntimeError, ["unsupported range", "inf"]),
    ("arange nan", lambda lib: lib.arange(math.nan), RuntimeError, ["unsupported range", "nan"]),
    ("arange str", lambda lib: lib.arange("a"), TypeError, ["end", "str"]),
    ("arange bool dtype", lambda lib: lib.arange(5, dtype=lib.bool), NotImplementedError,
     ["Bool"]),
    ("linspace negative steps", lambda lib: lib.linspace(0, 1, -1), RuntimeError,
     ["steps", "non-negative"]),
    ("linspace float steps", lambda lib: lib.linspace(0, 1, 2.5), TypeError,
     ["steps", "float"]),
    ("linspace str start", lambda lib: lib.linspace("a", 1, 3), TypeError, ["start", "str"]),
    ("eye negative", lambda lib: lib.eye(-1), RuntimeError, ["n must be greater or equal to 0",
                                                              "-1"]),
    ("eye negative m", lambda lib: lib.eye(2, -1), RuntimeError, ["m must be", "-1"]),
    ("eye float", lambda lib: lib.eye(2.5), TypeError, ["n", "float"]),
    ("eye float m", lambda lib: lib.eye(2, 2.5), TypeError, ["m", "float"]),
    # ---- tensor(data): what is not a tensor's data ----
    ("ragged", lambda lib: lib.tensor([[1, 2], [3]]), ValueError,
     ["expected sequence of length 2 at dim 1 (got 1)"]),
    ("ragged longer", lambda lib: lib.tensor([[1], [2, 3]]), ValueError,
     ["length 1 at dim 1 (got 2)"]),
    ("ragged deep", lambda lib: lib.tensor([[[1, 2]], [[3]]]), ValueError,
     ["length 2 at dim 2 (got 1)"]),
    ("ragged tuples", lambda lib: lib.tensor([[1, 2], (3,)]), ValueError, ["dim 1"]),
    ("number for a sequence", lambda lib: lib.tensor([[1, 2], 3]), TypeError,
     ["not a sequence", "3"]),
    ("sequence for a number", lambda lib: lib.tensor([1, [2, 3]]), TypeError, ["list"]),
    ("a string", lambda lib: lib.tensor("a"), TypeError, ["str", "'a'"]),
    ("strings", lambda lib: lib.tensor(["a", "b"]), ValueError, ["str", "'a'"]),
    ("a string among numbers", lambda lib: lib.tensor([1, "a"]), TypeError, ["str", "'a'"]),
    ("None", lambda lib: lib.tensor(None), RuntimeError, ["NoneType"]),
    ("None among numbers", lambda lib: lib.tensor([1, None]), RuntimeError, ["NoneType"]),
    ("an object", lambda lib: lib.tensor([object()]), RuntimeError, ["object"]),
    ("a dict", lambda lib: lib.tensor({1: 2}), RuntimeError, ["dict"]),
    ("an int beyond int64", lambda lib: lib.tensor([2 ** 70]), ValueError,
     ["Overflow", str(2 ** 70)]),
    ("tensor unknown dtype", lambda lib: lib.tensor([1], dtype="x"), TypeError, ["'x'"]),
    ("int requires grad", lambda lib: lib.tensor([1, 2], requires_grad=True), RuntimeError,
     ["floating point", "int64"]),
    ("as_tensor ragged", lambda lib: lib.as_tensor([[1, 2], [3]]), ValueError, ["dim 1"]),
    ("new_tensor ragged", lambda lib: lib.ones(2).new_tensor([[1], [1, 2]]), ValueError,
     ["dim 1"]),
    ("from_numpy list", lambda lib: lib.from_numpy([1, 2]), TypeError, ["ndarray", "list"]),
    # ---- tensor attributes and conversions ----
    ("0-d size(0)", lambda lib: lib.tensor(3.0).size(0), IndexError,
     ["Dimension specified as 0", "no dimensions"]),
    ("0-d size(-1)", lambda lib: lib.tensor(3.0).size(-1), IndexError,
     ["Dimension specified as -1"]),
    ("size out of range", lambda lib: x3(lib).size(3), IndexError, ["[-3, 2]", "got 3"]),
    ("size float dim", lambda lib: x3(lib).size(1.5), TypeError, ["dim", "float", "1.5"]),
    ("int of many", lambda lib: int(lib.ones(2)), ValueError, ["only one element", "[2]"]),
    ("float of many", lambda lib: float(lib.ones(2)), ValueError, ["only one element"]),
    ("item of many", lambda lib: lib.ones(2).item(), RuntimeError, ["2 elements"]),
    ("bool of many", lambda lib: bool(lib.ones(2)), RuntimeError, ["ambiguous"]),
    ("requires_grad_ int", lambda lib: lib.ones(2, dtype=lib.int64).requires_grad_(),
     RuntimeError, ["floating point", "int64"]),
    ("requires_grad_ str", lambda lib: lib.ones(2).requires_grad_("yes"), TypeError,
     ["requires_grad", "str", "'yes'"]),
    ("type unknown name", lambda lib: lib.ones(2).type("x"), ValueError, ["invalid type", "'x'"]),
    ("type dtype name", lambda lib: lib.ones(2).type("float32"), ValueError, ["'float32'"]),
    ("to unknown device", lambda lib: lib.ones(2).to("gpu"), RuntimeError, ["gpu"]),
    ("to unknown dtype", lambda lib: lib.ones(2).to(dtype="x"), TypeError, ["'x'"]),
    ("device str index", lambda lib: lib.device("cpu", "x"), TypeError, ["index", "str"]),
    ("device float", lambda lib: lib.device(3.5), TypeError, ["float", "3.5"]),
    ("grad of another shape", lambda lib: set_grad(lib, lambda lib: lib.ones(3)), RuntimeError,
     ["size", "[3]", "[2, 3]"]),
    ("grad a list", lambda lib: set_grad(lib, lambda lib: [1.0]), TypeError, ["list"]),
    ("grad another dtype", lambda lib: set_grad(lib, lambda lib: lib.ones(2, 3,
                                                                          dtype=lib.int64)),
     RuntimeError, ["dtype", "int64", "float32"]),
    # ---- shapes ----
    ("view below -1", lambda lib: lib.arange(144.0).view(-2, 72), RuntimeError,
     ["invalid shape dimension -2 at index 0 of shape [-2, 72]"]),
    ("view below -1 later", lambda lib: x3(lib).view(-1, -2), RuntimeError,
     ["invalid shape dimension -2 at index 1"]),
    ("view two negatives", lambda lib: lib.ones(6).view(-2, -3), RuntimeError,
     ["invalid shape dimension -2"]),
    ("view two -1", lambda lib: x3(lib).view(-1, -1), RuntimeError,
     ["only one dimension can be inferred"]),
    ("view wrong size", lambda lib: x3(lib).view(5, 5), RuntimeError, ["[5, 5]", "24"]),
    ("view ambiguous", lambda lib: lib.zeros(0, 3).view(-1, 0), RuntimeError,
     ["0 elements", "[-1, 0]", "ambiguous"]),
    ("view float", lambda lib: x3(lib).view(2.5, 4), TypeError, ["float"]),
    ("view str", lambda lib: x3(lib).view("a"), TypeError, ["str"]),
    ("reshape float in tuple", lambda lib: x3(lib).reshape((2, 12.0)), TypeError,
     ["float", "pos 1"]),
    ("expand -1 leading", lambda lib: x3(lib).expand(-1, 2, 3, 4), RuntimeError,
     ["(-1)", "leading", "dimension 0"]),
    ("expand mismatch", lambda lib: x3(lib).expand(3, 3, 4), RuntimeError,
     ["expanded size", "(3)", "(2)"]),
    ("expand fewer", lambda lib: x3(lib).expand(3, 4), RuntimeError, ["(2)", "(3)"]),
    ("expand float", lambda lib: x3(lib).expand(2.5, 3, 4), TypeError, ["float"]),
    ("permute too few", lambda lib: x3(lib).permute(0, 1), RuntimeError, ["dims", "3", "2"]),
    ("permute repeated", lambda lib: x3(lib).permute(0, 0, 1), RuntimeError, ["duplicate"]),
    ("permute float", lambda lib: x3(lib).permute(0, 1, 2.0), TypeError,
     ["dims", "float", "pos 2"]),
    ("permute out of range", lambda lib: x3(lib).permute(0, 1, 3), IndexError, ["got 3"]),
    ("transpose out of range", lambda lib: x3(lib).transpose(0, 3), IndexError, ["got 3"]),
    ("transpose float", lambda lib: x3(lib).transpose(0, 1.0), TypeError, ["dim1", "float"]),
    ("transpose bool", lambda lib: x3(lib).transpose(0, True), TypeError, ["dim1", "bool"]),
    ("0-d transpose", lambda lib: lib.tensor(3.0).transpose(0, 1), IndexError, ["got 1"]),
    ("t of 3-d", lambda lib: x3(lib).t(), RuntimeError, ["3"]),
    ("flatten start after end", lambda lib: x3(lib).flatten(2, 0), RuntimeError,
     ["start_dim", "end_dim"]),
    ("flatten float", lambda lib: x3(lib).flatten(0.0), TypeError, ["start_dim", "float"]),
    ("0-d flatten(0, 1)", lambda lib: lib.tensor(3.0).flatten(0, 1), IndexError, ["got 1"]),
    ("unflatten wrong product", lambda lib: x3(lib).unflatten(2, (3, 2)), RuntimeError,
     ["unflatten", "[3, 2]", "(4)"]),
    ("unflatten float", lambda lib: x3(lib).unflatten(2, (2.0, 2)), TypeError,
     ["sizes", "float"]),
    ("unflatten out of range", lambda lib: x3(lib).unflatten(3, (2, 2)), IndexError,
     ["got 3"]),
    ("squeeze float", lambda lib: x3(lib).squeeze(0.0), TypeError, ["dim", "float"]),
    ("squeeze repeated", lambda lib: lib.ones(1, 2).squeeze((0, 0)), RuntimeError,
     ["dim 0 appears multiple times"]),
    ("unsqueeze None", lambda lib: x3(lib).unsqueeze(None), TypeError, ["dim", "NoneType"]),
    ("stack nothing", lambda lib: lib.stack([]), RuntimeError, ["non-empty"]),
    ("stack unequal", lambda lib: lib.stack([lib.ones(2), lib.ones(3)]), RuntimeError,
     ["[2]", "[3]"]),
    ("stack a list", lambda lib: lib.stack([lib.ones(2), [1.0, 2.0]]), TypeError,
     ["element 1", "list"]),
    ("stack a tensor", lambda lib: lib.stack(lib.ones(2, 2)), TypeError, ["tensors", "Tensor"]),
    ("cat nothing", lambda lib: lib.cat([]), ValueError, ["non-empty"]),
    ("cat 0-d", lambda lib: lib.cat([lib.tensor(1.0), lib.tensor(2.0)]), RuntimeError,
     ["zero-dimensional", "position 0"]),
    ("cat ndims", lambda lib: lib.cat([lib.ones(2), lib.ones(2, 2)]), RuntimeError,
     ["1 and 2"]),
    ("cat sizes", lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 2)], 0), RuntimeError,
     ["size 3", "size 2"]),
    ("cat a list", lambda lib: lib.cat([lib.ones(2), [1.0]]), TypeError, ["element 1", "list"]),
    ("cat a tensor", lambda lib: lib.cat(lib.ones(2, 2)), TypeError, ["tensors", "Tensor"]),
    ("gather out of range", lambda lib: x3(lib).gather(2, lib.full((2, 3, 4), 9,
                                                                   dtype=lib.int64)),
     RuntimeError, ["index 9", "dimension 2", "size 4"]),
    ("gather float index", lambda lib: x3(lib).gather(2, lib.zeros(2, 3, 4)), RuntimeError,
     ["int32/int64"]),
    ("gather list index", lambda lib: x3(lib).gather(2, [[0]]), TypeError, ["index", "list"]),
    ("gather ndims", lambda lib: x3(lib).gather(2, lib.zeros(2, 3, dtype=lib.int64)),
     RuntimeError, ["same number of dimensions"]),
    ("masked_fill float mask", lambda lib: x3(lib).masked_fill(lib.zeros(4), 1.0),
     RuntimeError, ["boolean", "float32"]),
    ("masked_fill list mask", lambda lib: x3(lib).masked_fill([True], 1.0), TypeError,
     ["mask", "list"]),
    ("masked_fill str", lambda lib: x3(lib).masked_fill(lib.zeros(4, dtype=lib.bool), "a"),
     TypeError, ["value", "str"]),
    ("masked_fill None", lambda lib: x3(lib).masked_fill(lib.zeros(4, dtype=lib.bool), None),
     TypeError, ["value", "NoneType"]),
    ("masked_fill vector value", lambda lib: x3(lib).masked_fill(
        lib.zeros(4, dtype=lib.bool), lib.ones(2)), RuntimeError, ["0-dimensional"]),
    ("masked_fill mask shape", lambda lib: x3(lib).masked_fill(
        lib.zeros(5, dtype=lib.bool), 1.0), RuntimeError, ["(4)", "(5)"]),
    ("masked_select float mask", lambda lib: x3(lib).masked_select(lib.zeros(4)), RuntimeError,
     ["Bool", "Float"]),
    ("where float condition", lambda lib: lib.where(lib.zeros(4), lib.ones(4), lib.ones(4)),
     RuntimeError, ["boolean", "Float"]),
    ("where shapes", lambda lib: lib.where(lib.zeros(4, dtype=lib.bool), lib.ones(3),
                                           lib.ones(4)), RuntimeError, ["(4)", "(3)"]),
    ("where list condition", lambda lib: lib.where([True], lib.ones(1), lib.ones(1)),
     TypeError, ["condition", "list"]),
    # ---- reductions and sorting ----
    ("sum float dim", lambda lib: x3(lib).sum(1.0), TypeError, ["dim", "float"]),
    ("sum str dim", lambda lib: x3(lib).sum("a"), TypeError, ["dim", "str"]),
    ("sum float in dims", lambda lib: x3(lib).sum((0, 1.0)), TypeError,
     ["dim", "float", "pos 1"]),
    ("sum repeated dims", lambda lib: x3(lib).sum((0, -3)), RuntimeError,
     ["dim 0 appears multiple times"]),
    ("norm float dim", lambda lib: x3(lib).norm(dim=1.0), TypeError, ["dim", "float"]),
    ("cumsum float dim", lambda lib: x3(lib).cumsum(1.0), TypeError, ["dim", "float"]),
    ("sort float dim", lambda lib: x3(lib).sort(1.0), TypeError, ["dim", "float"]),
    ("0-d max(1)", lambda lib: lib.tensor(3.0).max(1), IndexError, ["[-1, 0]", "got 1"]),
    ("0-d cumsum(1)", lambda lib: lib.tensor(3.0).cumsum(1), IndexError, ["got 1"]),
    ("0-d sort(1)", lambda lib: lib.tensor(3.0).sort(1), IndexError, ["got 1"]),
    ("0-d argsort(-2)", lambda lib: lib.tensor(3.0).argsort(-2), IndexError, ["got -2"]),
    ("argmax of nothing", lambda lib: lib.ones(0).argmax(), IndexError, ["argmax",
                                                                          "numel() == 0"]),
    ("amax of nothing", lambda lib: lib.ones(0).amax(), RuntimeError, ["amax", "numel() == 0"]),
    ("max of nothing", lambda lib: lib.ones(0).max(), RuntimeError, ["max", "dim"]),
    ("amax along empty", lambda lib: lib.zeros(0, 3).amax(0), IndexError,
     ["dim 0", "non-zero size"]),
    ("argmin along empty", lambda lib: lib.zeros(0, 3).argmin(0), IndexError,
     ["dim 0", "non-zero size"]),
    ("mean of ints", lambda lib: lib.arange(3).mean(), RuntimeError, ["dtype", "int64"]),
    ("topk too many", lambda lib: x3(lib).topk(5), RuntimeError, ["k", "5"]),
    ("topk negative", lambda lib: x3(lib).topk(-1), RuntimeError, ["k", "-1"]),
    ("topk float", lambda lib: x3(lib).topk(2.0), TypeError, ["k", "float"]),
    ("isclose str", lambda lib: x3(lib).isclose("a"), TypeError, ["other", "str"]),
    ("isclose shapes", lambda lib: x3(lib).isclose(lib.ones(5)), RuntimeError, ["(4)", "(5)"]),
    ("sum of a list", lambda lib: lib.sum([1, 2]), TypeError, ["sum()", "input", "list"]),
    ("exp of None", lambda lib: lib.exp(None), TypeError, ["exp()", "input", "NoneType"]),
    # ---- indexing ----
    ("index too large", lambda lib: x3(lib)[5], IndexError, ["index 5", "dimension 0",
                                                             "size 2"]),
    ("index too small", lambda lib: x3(lib)[0, -4], IndexError, ["index -4", "dimension 1"]),
    ("too many indices", lambda lib: x3(lib)[0, 0, 0, 0], IndexError, ["too many indices"]),
    ("index a 0-d tensor", lambda lib: lib.tensor(3.0)[0], IndexError, ["0-dim", "item()"]),
    ("float index", lambda lib: x3(lib)[1.5], IndexError, ["float"]),
    ("str index", lambda lib: x3(lib)["a"], TypeError, ["str", "'a'"]),
    ("slice step 0", lambda lib: x3(lib)[::0], ValueError, ["step", "zero"]),
    ("tensor index out of range", lambda lib: x3(lib)[lib.tensor([5])], IndexError,
     ["index 5", "dimension 0", "size 2"]),
    ("tensor index out of range later", lambda lib: x3(lib)[:, lib.tensor([0, 3])], IndexError,
     ["index 3", "dimension 1", "size 3"]),
    ("negative tensor index out of range", lambda lib: x3(lib)[lib.tensor([-3])], IndexError,
     ["index -3"]),
    ("list index out of range", lambda lib: x3(lib)[[0, 5]], IndexError, ["index 5"]),
    ("array index out of range", lambda lib: x3(lib)[np.array([7])], IndexError, ["index 7"]),
    ("float tensor index", lambda lib: x3(lib)[lib.tensor([0.0])], IndexError, ["long"]),
    ("mask of another shape", lambda lib: x3(lib)[lib.zeros(3, dtype=lib.bool)], IndexError,
     ["[3]", "[2, 3, 4]"]),
    ("mask wrong in its 2nd dim", lambda lib: x3(lib)[lib.zeros(2, 4, dtype=lib.bool)],
     IndexError, ["[2, 4]", "at index 1"]),
    ("assign a str", lambda lib: setitem(lib, 0, "a"), TypeError, ["str", "'a'"]),
    ("assign None", lambda lib: setitem(lib, 0, None), TypeError, ["NoneType"]),
    ("assign out of range", lambda lib: setitem(lib, 5, 1.0), IndexError, ["index 5"]),
    ("assign a bad shape", lambda lib: setitem(lib, 0, lib.ones(5)), RuntimeError,
     ["[5]", "[3, 4]"]),
    ("assign slice step 0", lambda lib: setitem(lib, slice(None, None, 0), 1.0), ValueError,
     ["step"]),
    # ---- arithmetic ----
    ("add shapes", lambda lib: x3(lib) + lib.ones(5), RuntimeError, ["(4)", "(5)",
                                                                     "dimension 2"]),
    ("add str", lambda lib: x3(lib) + "a", TypeError, ["str"]),
    ("add None", lambda lib: x3(lib) + None, TypeError, ["NoneType"]),
    ("str plus tensor", lambda lib: "a" + x3(lib), TypeError, ["str"]),
    ("add a list", lambda lib: x3(lib) + [1.0], TypeError, ["list"]),
    ("compare with str", lambda lib: x3(lib) < "a", TypeError, ["str"]),
    ("pow str", lambda lib: x3(lib) ** "a", TypeError, ["str"]),
    ("add(None, None)", lambda lib: lib.add(None, None), TypeError, ["add()", "input",
                                                                     "NoneType"]),
    ("rounding mode", lambda lib: x3(lib).div(2, rounding_mode="x"), RuntimeError,
     ["rounding_mode", "'x'"]),
    ("bitwise on floats", lambda lib: x3(lib) & x3(lib), NotImplementedError, ["Float"]),
    ("invert floats", lambda lib: ~x3(lib), TypeError, ["invert", "float32"]),
    ("integer // 0", lambda lib: lib.arange(3) // 0, RuntimeError, ["ZeroDivisionError"]),
    ("integer % 0", lambda lib: lib.arange(3) % lib.tensor([1, 0, 1]), RuntimeError,
     ["ZeroDivisionError", "[1, 0, 1]"]),
    ("clamp without bounds", lambda lib: x3(lib).clamp(), RuntimeError, ["min", "max"]),
    ("clamp str", lambda lib: x3(lib).clamp("a"), TypeError, ["min", "str"]),
    ("matmul 0-d", lambda lib: x3(lib) @ lib.tensor(3.0), RuntimeError, ["1D", "3D and 0D"]),
    ("matmul sizes", lambda lib: x3(lib) @ lib.ones(5), RuntimeError, ["5"]),
    ("vector dot sizes", lambda lib: lib.ones(3) @ lib.ones(4), RuntimeError, ["3", "4"]),
    ("matmul batch", lambda lib: lib.ones(2, 3, 4) @ lib.ones(3, 4, 5), RuntimeError,
     ["(2)", "(3)"]),
    ("matmul a list", lambda lib: x3(lib) @ [1.0], TypeError, ["list"]),
    ("matmul None", lambda lib: lib.matmul(x3(lib), None), TypeError, ["other", "NoneType"]),
    # ---- autograd ----
    ("backward of a vector", lambda lib: (leaf(lib) * 2).backward(), RuntimeError,
     ["scalar outputs", "(2, 3)"]),
    ("backward gradient shape", lambda lib: (leaf(lib) * 2).backward(lib.ones(3)),
     RuntimeError, ["Mismatch in shape", "(3,)", "(2, 3)"]),
    ("backward gradient a list", lambda lib: (leaf(lib) * 2).backward([[1.0] * 3] * 2),
     TypeError, ["gradients", "list"]),
    ("backward gradient a str", lambda lib: (leaf(lib) * 2).backward("a"), TypeError,
     ["gradients", "str"]),
    ("backward twice", backward_twice, RuntimeError, ["second time", "retain_graph=True"]),
    ("backward without grad", lambda lib: lib.ones(2).sum().backward(), RuntimeError,
     ["does not require grad"]),
    ("backward counts", lambda lib: lib.autograd.backward(
        [leaf(lib).sum(), leaf(lib).sum()], [lib.tensor(1.0)]), RuntimeError,
     ["2 tensors and 1 gradients"]),
    ("grad unused input", unused_input, RuntimeError, ["index 1", "allow_unused=True"]),
    ("grad input a list", lambda lib: lib.autograd.grad(leaf(lib).sum(), [[1.0]]),
     RuntimeError, ["inputs", "list"]),
    ("grad of no inputs", lambda lib: lib.autograd.grad(leaf(lib).sum(), []), RuntimeError,
     ["inputs", "empty"]),
    ("grad input without grad", lambda lib: lib.autograd.grad(leaf(lib).sum(), [lib.ones(1)]),
     RuntimeError, ["require grad"]),
    ("hook without grad", lambda lib: lib.ones(2).register_hook(lambda g: g), RuntimeError,
     ["hook", "doesn't require"]),
    ("hook changes the shape", lambda lib: hooked(lib, lambda g: lib.ones(5)), RuntimeError,
     ["changed the size", "[5]"]),
    ("hook returns a list", lambda lib: hooked(lib, lambda g: [1.0]), TypeError,
     ["hook", "list"]),
    ("retain_grad without grad", lambda lib: lib.ones(2).retain_grad(), RuntimeError,
     ["retain_grad"]),
    ("requires_grad of a non-leaf", lambda lib: (leaf(lib) * 2).requires_grad_(False),
     RuntimeError, ["leaf"]),
    ("in place on a leaf", lambda lib: leaf(lib).add_(1), RuntimeError, ["leaf",
                                                                         "in-place"]),
    ("numpy of a tensor needing grad", lambda lib: leaf(lib).numpy(), RuntimeError,
     ["detach"]),
    # ---- optim ----
    *[(f"{name} negative lr", lambda lib, name=name: getattr(lib.optim, name)(
        param(lib), lr=-1.0), ValueError, ["learning rate", "-1.0"]) for name in OPTIMIZERS],
    *[(f"{name} str lr", lambda lib, name=name: getattr(lib.optim, name)(param(lib), lr="a"),
       TypeError, ["learning rate", "'a'"]) for name in OPTIMIZERS],
    *[(f"{name} str weight_decay", lambda lib, name=name: getattr(lib.optim, name)(
        param(lib), lr=0.1, weight_decay="a"), TypeError, ["weight_decay", "'a'"])
      for name in OPTIMIZERS],
    *[(f"{name} no params", lambda lib, name=name: getattr(lib.optim, name)([], lr=0.1),
       ValueError, ["empty parameter list"]) for name in OPTIMIZERS],
    *[(f"{name} a tensor for params", lambda lib, name=name: getattr(lib.optim, name)(
        lib.ones(2, requires_grad=True), lr=0.1), TypeError, ["iterable", "FloatTensor"])
      for name in OPTIMIZERS],
    *[(f"{name} None for params", lambda lib, name=name: getattr(lib.optim, name)(None),
       TypeError, ["params", "NoneType"]) for name in OPTIMIZERS],
    *[(f"{name} a float param", lambda lib, name=name: getattr(lib.optim, name)([1.0]),
       TypeError, ["Tensors", "float"]) for name in OPTIMIZERS],
    *[(f"{name} NaN lr", lambda lib, name=name: getattr(lib.optim, name)(param(lib),
                                                                           lr=math.nan),
       ValueError, ["learning rate", "nan"]) for name in OPTIMIZERS if name != "SGD"],
    ("SGD negative momentum", lambda lib: lib.optim.SGD(param(lib), lr=0.1, momentum=-1.0),
     ValueError, ["momentum", "-1.0"]),
    ("SGD nesterov alone", lambda lib: lib.optim.SGD(param(lib), lr=0.1, nesterov=True),
     ValueError, ["Nesterov"]),
    ("Adam beta 1", lambda lib: lib.optim.Adam(param(lib), betas=(1.0, 0.9)), ValueError,
     ["beta", "index 0", "1.0"]),
    ("Adam negative beta", lambda lib: lib.optim.Adam(param(lib), betas=(0.9, -0.1)),
     ValueError, ["index 1", "-0.1"]),
    ("Adam one beta", lambda lib: lib.optim.Adam(param(lib), betas=0.9), TypeError,
     ["betas", "float"]),
    ("Adam str beta", lambda lib: lib.optim.Adam(param(lib), betas=("a", 0.9)), TypeError,
     ["beta", "'a'"]),
    ("Adadelta rho", lambda lib: lib.optim.Adadelta(param(lib), rho=2.0), ValueError,
     ["rho", "2.0"]),
    ("RMSprop alpha", lambda lib: lib.optim.RMSprop(param(lib), alpha=-1.0), ValueError,
     ["alpha", "-1.0"]),
    ("param group a list", lambda lib: sgd(lib).add_param_group([lib.ones(2)]), TypeError,
     ["param_group", "dict", "list"]),
    ("param group without params", lambda lib: sgd(lib).add_param_group({"lr": 0.1}),
     KeyError, ["params"]),
    ("param group a set", lambda lib: lib.optim.SGD([{"params": {lib.ones(2)}}], lr=0.1),
     TypeError, ["set"]),
    ("param in two groups", lambda lib: (lambda p: lib.optim.SGD(
        [{"params": [p]}, {"params": [p]}], lr=0.1))(lib.ones(2, requires_grad=True)),
     ValueError, ["more than one parameter group"]),
    ("resume without initial_lr", lambda lib: lib.optim.lr_scheduler.StepLR(
        sgd(lib), 1, last_epoch=3), KeyError, ["initial_lr", "last_epoch"]),
    ("milestones an int", lambda lib: lib.optim.lr_scheduler.MultiStepLR(sgd(lib), 3),
     TypeError, ["milestones", "int"]),
    ("OneCycleLR total_steps 0", lambda lib: lib.optim.lr_scheduler.OneCycleLR(
        sgd(lib), 0.1, total_steps=0), ValueError, ["total_steps", "0"]),
    ("OneCycleLR total_steps float", lambda lib: lib.optim.lr_scheduler.OneCycleLR(
        sgd(lib), 0.1, total_steps=1.5), ValueError, ["total_steps", "1.5"]),
    ("OneCycleLR pct_start", lambda lib: lib.optim.lr_scheduler.OneCycleLR(
        sgd(lib), 0.1, total_steps=10, pct_start=1.5), ValueError, ["pct_start", "1.5"]),
    ("plateau factor", lambda lib: lib.optim.lr_scheduler.ReduceLROnPlateau(
        sgd(lib), factor=1.0), ValueError, ["Factor"]),
    ("scheduler of None", lambda lib: lib.optim.lr_scheduler.StepLR(None, 1), TypeError,
     ["NoneType", "Optimizer"]),
    # ---- data ----
    *[(f"batch_size {size!r}", lambda lib, size=size: lib.utils.data.DataLoader(
        dataset(lib), batch_size=size), ValueError, ["batch_size", repr(size)])
      for size in (0, -1, 1.5, "a", True)],
    ("batch_size None with drop_last", lambda lib: lib.utils.data.DataLoader(
        dataset(lib), batch_size=None, drop_last=True), ValueError, ["batch_size=None",
                                                                      "drop_last"]),
    ("num_workers negative", lambda lib: lib.utils.data.DataLoader(
        dataset(lib), num_workers=-1), ValueError, ["num_workers", "-1"]),
    ("TensorDataset of a 0-d tensor", lambda lib: lib.utils.data.TensorDataset(
        lib.tensor(1.0)), IndexError, ["no dimensions"]),
    ("random_split lengths", lambda lib: lib.utils.data.random_split(dataset(lib), [1, 2]),
     ValueError, ["Sum of input lengths", "[1, 2]"]),
    ("random_split fractions", lambda lib: lib.utils.data.random_split(dataset(lib),
                                                                       [1.5, -0.5]),
     ValueError, ["Fraction at index 0", "1.5"]),
    ("random_split float lengths", lambda lib: lib.utils.data.random_split(dataset(lib),
                                                                           [2.0, 2]),
     TypeError, ["length 0", "float"]),
]


@pytest.mark.parametrize(("build", "error", "names"), [c[1:] for c in REJECTED],
                         ids=[c[0] for c in REJECTED])
def test_rejected_as_torch(build: Callable[[Any], Any], error: type[BaseException],
                           names: list[str]) -> None:
    assert_rejects(build, error, names)


# Edges PyTorch accepts: minigrad takes them too, with torch's shape.
ACCEPTED: list[tuple[str, Callable[[Any], Any]]] = [
    ("size a NumPy int", lambda lib: lib.zeros(np.int64(3))),
    ("size a 0-d int tensor", lambda lib: lib.ones(lib.tensor(3))),
    ("size a Size", lambda lib: lib.rand(lib.ones(2, 3).shape)),
    ("no sizes", lambda lib: lib.zeros([])),
    ("a zero size", lambda lib: lib.randn(0, 3)),
    ("empty vector joins a matrix", lambda lib: lib.cat([lib.ones(0), lib.ones(2, 2)])),
    ("matrix joins an empty vector", lambda lib: lib.cat([lib.ones(2, 2), lib.ones(0)], 1)),
    ("dim a NumPy int", lambda lib: x3(lib).sum(np.int64(1))),
    ("dim a 0-d tensor", lambda lib: x3(lib).amax(lib.tensor(-1))),
    ("no dims: everything", lambda lib: x3(lib).sum(dim=[])),
    ("0-d along dim 0", lambda lib: lib.tensor(3.0).softmax(0)),
    ("0-d along dim -1", lambda lib: lib.tensor(3.0).cumsum(-1)),
    ("0-d flatten", lambda lib: lib.tensor(3.0).flatten(-1)),
    ("0-d max along 0", lambda lib: lib.tensor(3.0).max(0).values),
    ("0-d index", lambda lib: x3(lib)[lib.tensor(1)]),
    ("int32 index", lambda lib: x3(lib)[lib.tensor([1], dtype=lib.int32)]),
    ("negative index tensor", lambda lib: x3(lib)[lib.tensor([-2, 1])]),
    ("int32 gather index", lambda lib: x3(lib).gather(2, lib.zeros(2, 3, 1, dtype=lib.int32))),
    ("expand keeps a size", lambda lib: lib.ones(3).expand(2, -1)),
    ("view of nothing", lambda lib: lib.zeros(0, 3).view(2, -1)),
    ("fill with a bool", lambda lib: lib.full((2,), True)),
    ("fill with a 0-d tensor", lambda lib: x3(lib).masked_fill(x3(lib) > 3, lib.tensor(1.0))),
    ("linspace steps a tensor", lambda lib: lib.linspace(0, 1, lib.tensor(3))),
    ("eye of bools", lambda lib: lib.eye(3, dtype=lib.bool)),
    ("randint of floats", lambda lib: lib.randint(3, (2,), dtype=lib.float32)),
    ("bitwise on ints", lambda lib: lib.arange(3) & 6),
    ("invert ints", lambda lib: ~lib.arange(3)),
    ("mixed bool and int data", lambda lib: lib.tensor([1, True])),
    ("tuples and lists", lambda lib: lib.tensor(((1, 2), [3, 4]))),
    ("a range", lambda lib: lib.tensor(range(3))),
    ("tensors in a list", lambda lib: lib.tensor([lib.tensor(1.0), 2])),
]


@pytest.mark.parametrize("build", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_accepted_as_torch(build: Callable[[Any], Any]) -> None:
    assert_accepts(build)


def test_values_of_accepted_edges() -> None:
    """The accepted edges give torch's values, not just its shapes."""
    assert (mg.arange(3) & 6).tolist() == [0, 0, 2]  # bitwise on integers, as torch
    assert (~mg.arange(3)).tolist() == [-1, -2, -3]
    assert mg.cat([mg.ones(0, dtype=mg.float64), mg.ones(2, 2)]).dtype is mg.float64
    assert (mg.ones(2) == None) is False  # noqa: E711 - as Python and torch: not equal
    assert (mg.ones(2) != "a") is True
    y = mg.tensor(3.0)
    assert mg.tensor([y, 2]).tolist() == [3.0, 2.0]


def test_scheduler_arguments_torch_takes() -> None:
    """torch's schedulers check few of their arguments (a step_size of 0 fails at the second
    step, with ZeroDivisionError); minigrad's take the same ones."""
    torch = torch_or_none()
    for lib in (mg, torch) if torch is not None else (mg,):
        schedulers = lib.optim.lr_scheduler
        schedulers.StepLR(sgd(lib), step_size=0)
        schedulers.MultiStepLR(sgd(lib), milestones=[3, 1])
        schedulers.ExponentialLR(sgd(lib), gamma=-1.0)
        schedulers.CosineAnnealingLR(sgd(lib), T_max=0)


def test_index_bounds_on_a_backend_without_numpy_indexing() -> None:
    """The Array API leaves out-of-range indices undefined (CuPy wraps them around): the
    generic backend checks them, and takes CPU indices for a tensor on another device."""
    x = mg.arange(6.0, device="strict").reshape(2, 3)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 1 with size 3"):
        x[:, mg.tensor([0, 3], device="strict")]
    with pytest.raises(IndexError, match="index -3 is out of bounds for dimension 0"):
        x[mg.tensor([-3], device="strict")]
    assert x[mg.tensor([1, -1])].tolist() == [[3.0, 4.0, 5.0]] * 2  # indices on the CPU
    with pytest.raises(RuntimeError, match="indices should be either on cpu or on the same"):
        mg.ones(3)[mg.tensor([0], device="strict")]


# ---- where minigrad is stricter than torch, on purpose ----------------------------------------
LAX = ["SGD NaN lr", "3 betas", "1 beta", "ragged empty row", "TensorDataset lengths",
       "grad of a list", "complex data"]


@pytest.mark.parametrize(("build", "error", "names"), [
    # torch's SGD takes lr=nan (its other optimizers do not): NaN would poison every parameter
    (lambda: mg.optim.SGD(param(mg), lr=math.nan), ValueError, ["learning rate", "nan"]),
    # torch takes 3 betas and fails at step(), or 1 and raises IndexError from inside
    (lambda: mg.optim.Adam(param(mg), betas=(0.9, 0.9, 0.9)), ValueError, ["betas", "3"]),
    (lambda: mg.optim.AdamW(param(mg), betas=(0.9,)), ValueError, ["betas", "1"]),
    # torch makes a (2, 0) tensor of this, dropping the 1
    (lambda: mg.tensor([[], [1]]), ValueError, ["length 0 at dim 1 (got 1)"]),
    # torch asserts (AssertionError); minigrad names both shapes
    (lambda: mg.utils.data.TensorDataset(mg.ones(4, 2), mg.ones(3)), ValueError,
     ["Size mismatch", "(4, 2)", "(3,)"]),
    # torch asserts that outputs are tensors
    (lambda: mg.autograd.grad([1.0], [leaf(mg)]), TypeError, ["float", "Tensor"]),
    # complex numbers: torch has them, minigrad does not
    (lambda: mg.tensor([1j]), TypeError, ["complex"]),
], ids=LAX)
def test_rejected_where_torch_is_lax(build: Callable[[], Any], error: type[BaseException],
                                     names: list[str]) -> None:
    with pytest.raises(error) as info:
        build()
    for name in names:
        assert name.lower() in str(info.value).lower(), info.value


def test_duplicate_parameters_warn_as_torch() -> None:
    p = mg.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        mg.optim.SGD([p, p], lr=0.1)


# ---- drawn: invalid values across the creation functions and the dim-taking ops -----------------
def sizes_with(bad: st.SearchStrategy) -> st.SearchStrategy:
    """1 to 3 sizes with one of them drawn from ``bad`` (the others valid)."""
    return st.tuples(st.lists(st.integers(0, 3), max_size=2), bad, st.integers(0, 2)).map(
        lambda t: tuple(t[0][:t[2]] + [t[1]] + t[0][t[2]:]))


@given(name=st.sampled_from(sorted(CREATORS)), size=sizes_with(st.integers(-5, -1)))
def test_negative_sizes(name: str, size: tuple[int, ...]) -> None:
    negative = next(s for s in size if s < 0)
    assert_rejects(lambda lib: CREATORS[name](lib, size), RuntimeError,
                   [f"negative dimension {negative}", str(list(size))])


@given(name=st.sampled_from(sorted(CREATORS)),
       size=sizes_with(st.sampled_from([2.5, 1.0, -0.5, "2", None])))
def test_sizes_that_are_not_ints(name: str, size: tuple) -> None:
    bad = next(s for s in size if not isinstance(s, int))
    assert_rejects(lambda lib: CREATORS[name](lib, size), TypeError,
                   ["size", type(bad).__name__])


# op name -> (build(lib, x, dim), whether dim may also be ndim, as unsqueeze's)
DIM_OPS: dict[str, tuple[Callable[[Any, Any, Any], Any], bool]] = {
    name: (lambda lib, x, d, name=name: getattr(x, name)(d), False)
    for name in ["sum", "mean", "amax", "amin", "argmax", "argmin", "max", "min", "var", "std",
                 "any", "all", "cumsum", "softmax", "log_softmax", "sort", "argsort", "squeeze",
                 "flatten"]
}
DIM_OPS.update({
    "unsqueeze": (lambda lib, x, d: x.unsqueeze(d), True),
    "norm": (lambda lib, x, d: x.norm(dim=d), False),
    "topk": (lambda lib, x, d: x.topk(1, d), False),
    "transpose": (lambda lib, x, d: x.transpose(d, 0), False),
    "sum of dims": (lambda lib, x, d: x.sum((0, d)) if x.ndim else x.sum(d), False),
    "stack": (lambda lib, x, d: lib.stack([x, x], d), True),
    "cat": (lambda lib, x, d: lib.cat([x, x], d), False),
    "gather": (lambda lib, x, d: x.gather(d, lib.zeros(x.shape, dtype=lib.int64)), False),
    "size": (lambda lib, x, d: x.size(d), False),
})


def small_shape() -> st.SearchStrategy:
    return st.lists(st.integers(1, 3), max_size=3).map(tuple)


@given(name=st.sampled_from(sorted(DIM_OPS)), shape=small_shape(), data=st.data())
def test_dims_out_of_range(name: str, shape: tuple[int, ...], data: Any) -> None:
    build, one_more = DIM_OPS[name]
    if name == "cat":
        shape = shape or (1,)
    n = max(len(shape), 1) + one_more
    dim = data.draw(st.integers(-n - 4, -n - 1) | st.integers(n, n + 4), label="dim")
    if name == "size" and not shape:
        names = [f"Dimension specified as {dim}"]
    else:
        names = ["Dimension out of range", f"got {dim}"]
    assert_rejects(lambda lib: build(lib, lib.ones(shape), dim), IndexError, names)


@given(name=st.sampled_from(sorted(DIM_OPS)), shape=small_shape(),
       dim=st.sampled_from([1.0, 0.5, "1", True, [0.0]]))
def test_dims_that_are_not_ints(name: str, shape: tuple[int, ...], dim: Any) -> None:
    build, _ = DIM_OPS[name]
    if name == "cat":
        shape = shape or (1,)
    if isinstance(dim, list) and name not in ("sum", "mean", "amax", "amin", "any", "all",
                                              "var", "std", "norm", "squeeze"):
        dim = 1.0  # (only the reductions and squeeze take a list of dims)
    if dim is True and name in ("var", "std", "sum of dims"):
        dim = 0.5  # var(True) is var(unbiased=True); in a tuple of dims, True is 1 (as torch)
    bad = dim[0] if isinstance(dim, list) else dim
    assert_rejects(lambda lib: build(lib, lib.ones(shape), dim), TypeError,
                   ["dim", type(bad).__name__])


@given(name=st.sampled_from(["sum", "mean", "amax", "amin", "argmax", "argmin", "max", "min",
                             "var", "std", "any", "all", "norm"]),
       keepdim=st.sampled_from([1, 0, "yes", None, 1.0]))
def test_keepdim_not_a_bool(name: str, keepdim: Any) -> None:
    def build(lib: Any) -> Any:
        x = lib.ones(2, 3)
        return x.norm(dim=1, keepdim=keepdim) if name == "norm" else getattr(x, name)(
            1, keepdim=keepdim)
    assert_rejects(build, TypeError, ["keepdim", type(keepdim).__name__])


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_view_sizes_below_minus_one(shape: list[int], data: Any) -> None:
    n = math.prod(shape)
    i = data.draw(st.integers(0, len(shape) - 1), label="at")
    bad = data.draw(st.integers(-9, -2), label="size")
    view = [*shape[:i], bad, *shape[i + 1:]]
    assert_rejects(lambda lib: lib.ones(n).view(view), RuntimeError,
                   [f"invalid shape dimension {bad} at index {i}", str(view)])


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data(),
       how=st.sampled_from(["int", "tensor", "list", "array"]))
def test_indices_out_of_range(shape: list[int], data: Any, how: str) -> None:
    d = data.draw(st.integers(0, len(shape) - 1), label="dim")
    n = shape[d]
    index = data.draw(st.integers(n, n + 5) | st.integers(-n - 5, -n - 1), label="index")

    def build(lib: Any) -> Any:
        k = {"int": index, "tensor": lib.tensor([0, index]), "list": [index, 0],
             "array": np.array([index])}[how]
        return lib.ones(shape)[(slice(None),) * d + (k,)]
    assert_rejects(build, IndexError, [f"index {index}", f"dimension {d}", f"size {n}"])


def test_torch_is_the_oracle_here() -> None:
    """Every table above is checked against PyTorch when it is installed (.ci/run installs it);
    without it, the expected types in the table still hold."""
    if torch_or_none() is None:
        pytest.skip("PyTorch is not installed: the tables check minigrad alone")
