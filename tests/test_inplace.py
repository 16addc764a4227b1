"""In-place ops, item assignment, views and version counters, as PyTorch has them.

Hand-written cases say what each rule means; a hypothesis test then runs random programs of
in-place ops, views and saved values on minigrad and PyTorch side by side and asks for the same
values, the same gradients, the same version counters, and errors in the same places.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
from minigrad.testing import assert_close, gradcheck

VERSION_ERROR = "modified by an inplace operation"


# ---- item assignment ------------------------------------------------------------------------
def test_item_assignment_a_first_hour_needs() -> None:
    x = mg.zeros(4)
    x[1] = 5
    assert x.tolist() == [0, 5, 0, 0]
    img = mg.zeros(1, 1, 6, 6)
    img[:, :, 1:5, 1:5] = 1.0
    assert img.sum().item() == 16
    img[..., 0] = mg.arange(6.0)  # a tensor value broadcast along the rest
    assert img[0, 0, :, 0].tolist() == [0, 1, 2, 3, 4, 5]
    img[0, 0, [0, 5], [0, 5]] = -1.0  # integer index lists
    assert img[0, 0, 0, 0].item() == img[0, 0, 5, 5].item() == -1
    x[mg.tensor([True, False, True, False])] = 7  # a boolean mask
    assert x.tolist() == [7, 5, 7, 0]
    x[None, 3] = 2.5
    assert x.tolist() == [7, 5, 7, 2.5]
    ints = mg.zeros(3, dtype=mg.int64)
    ints[0] = 2.7  # cast to the tensor's dtype, as torch
    assert ints.tolist() == [2, 0, 0] and ints.dtype is mg.int64


def test_assigning_into_parameters_as_courses_do() -> None:
    conv = nn.Conv2d(1, 1, kernel_size=2)
    kernel = mg.tensor([[[[1.0, -1.0], [1.0, -1.0]]]])
    with mg.no_grad():
        conv.weight[...] = kernel
        conv.bias.zero_()
    assert conv.weight.tolist() == kernel.tolist() and conv.weight.is_leaf
    grad = mg.ones_like(conv.weight)
    conv.weight.data[:] -= 0.5 * grad  # through .data: no graph, no version check
    assert conv.weight.tolist() == [[[[0.5, -1.5], [0.5, -1.5]]]]
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        conv.weight[0, 0, 0, 0] = 1.0


def test_item_assignment_errors_name_the_shapes() -> None:
    x = mg.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"value tensor of shape \[2\] cannot be broadcast to "
                                           r"indexing result of shape \[3\]"):
        x[0] = mg.ones(2)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 3"):
        x[0, 5] = 1.0
    with pytest.raises(IndexError, match=r"The shape of the mask \[3\] at index 0 does not "
                                         r"match"):
        x[mg.tensor([True, False, True])] = 0.0


def test_gradient_flows_to_the_untouched_part_and_to_the_value() -> None:
    a = mg.randn(2, 3, dtype=mg.float64, requires_grad=True)
    v = mg.randn(3, dtype=mg.float64, requires_grad=True)
    w = mg.randn(2, 3, dtype=mg.float64)

    def f(a: mg.Tensor, v: mg.Tensor) -> mg.Tensor:
        h = a * 2
        h[1] = v.exp()  # h's row 1 comes from v now
        return (h * w).sum()

    f(a, v).backward()
    np.testing.assert_allclose(a.grad.numpy(), np.stack([2 * w.numpy()[0], np.zeros(3)]))
    np.testing.assert_allclose(v.grad.numpy(), w.numpy()[1] * np.exp(v.detach().numpy()))
    assert gradcheck(f, (mg.randn(2, 3, dtype=mg.float64, requires_grad=True),
                         mg.randn(3, dtype=mg.float64, requires_grad=True)))


# ---- in-place arithmetic in the graph ---------------------------------------------------------
INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "add_": lambda h, o: h.add_(o, alpha=0.5), "sub_": lambda h, o: h.sub_(o),
    "mul_": lambda h, o: h.mul_(o), "div_": lambda h, o: h.div_(o.abs() + 1),
    "pow_": lambda h, o: h.pow_(2), "clamp_": lambda h, o: h.clamp_(-0.3, 0.4),
    "relu_": lambda h, o: h.relu_(), "sigmoid_": lambda h, o: h.sigmoid_(),
    "tanh_": lambda h, o: h.tanh_(), "exp_": lambda h, o: h.exp_(),
    "neg_": lambda h, o: h.neg_(), "zero_": lambda h, o: h.zero_(),
    "fill_": lambda h, o: h.fill_(o.sum()), "copy_": lambda h, o: h.copy_(o * 3),
    "masked_fill_": lambda h, o: h.masked_fill_(o > 0, -2.0),
    "iadd": lambda h, o: h.__iadd__(o), "imul": lambda h, o: h.__imul__(o),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_in_place_ops_are_recorded_as_their_out_of_place_twins(name: str) -> None:
    """h.op_(o) on a non-leaf gives the values and gradients of h = h.op(o)."""
    rng = np.random.default_rng(len(name))
    a0, o0 = rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (2, 3))
    a0[np.abs(a0 - 0.4) < 0.05] += 0.1  # away from clamp's kinks

    def run(in_place: bool) -> tuple:
        a = mg.tensor(a0, requires_grad=True)
        o = mg.tensor(o0, requires_grad=True)
        h = a * 1.5
        if in_place:
            out = INPLACE[name](h, o)
            assert out is h and h._version == 1
        else:
            h = INPLACE[name](h.clone(), o)  # the same op on a copy
        (h * mg.tensor(rng.uniform(-1, 1, (2, 3)))).sum().backward()
        return h.detach().numpy(), a.grad, o.grad

    rng = np.random.default_rng(7)
    got = run(True)
    rng = np.random.default_rng(7)
    want = run(False)
    for x, y in zip(got, want):
        if y is None:
            assert x is None or not x.numpy().any()
        else:
            assert_close(x, y)


def test_a_leaf_that_requires_grad_refuses_in_place_changes_outside_no_grad() -> None:
    w = mg.randn(3, requires_grad=True)
    for change in (lambda: w.add_(1), lambda: w.zero_(), lambda: w.__setitem__(0, 1.0)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being "
                                               "used in an in-place operation"):
            change()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[:2].mul_(2)
    with mg.no_grad():
        w.add_(1)
        w[:2].mul_(2)
    assert w._version == 2 and w.is_leaf and w.requires_grad


def test_modifying_what_backward_needs_fails_as_torch_says() -> None:
    a = mg.randn(3, requires_grad=True)
    b = a.exp()
    b.mul_(2)  # exp's gradient is its output, which has changed
    with pytest.raises(RuntimeError, match=r"one of the variables needed for gradient "
                                           r"computation has been modified by an inplace "
                                           r"operation: \[minigrad.FloatTensor \[3\]\], which "
                                           r"is output 0 of ExpBackward0, is at version 1; "
                                           r"expected version 0 instead"):
        b.sum().backward()
    w = mg.randn(3, requires_grad=True)
    loss = (w * w).sum()
    with mg.no_grad():
        w -= 0.1  # an update before backward: mul saved w
    with pytest.raises(RuntimeError, match=r"\[minigrad.FloatTensor \[3\]\] is at version 1; "
                                           r"expected version 0 instead"):
        loss.backward()
    w = mg.randn(3, requires_grad=True)
    loss = (w * mg.randn(3)).sum()  # w's own gradient reads only the other factor
    with mg.no_grad():
        w -= 0.1
    loss.backward()
    h = mg.randn(3, requires_grad=True) * 1
    y = h + 1  # add saves nothing: changing h afterwards is fine, as in torch
    h.mul_(3)
    y.sum().backward()


# ---- views: shared memory and versions ---------------------------------------------------------
def test_views_share_memory_and_the_version_counter() -> None:
    x = mg.zeros(2, 3)
    views = [x[0], x[:, 1:], x.t(), x.reshape(6), x.unsqueeze(0), x.detach()]
    x.add_(1)
    for v in views:
        assert v._version == 1 and (v == 1).all().item()
    x[0].fill_(5)  # through a view: the base and every other view see it
    assert x[0].tolist() == [5, 5, 5] and views[3][:3].tolist() == [5, 5, 5]
    assert x._version == 2
    d = x.data  # .data shares memory but not the version counter (as torch)
    d.add_(1)
    assert x._version == 2 and x[1, 0].item() == 2
    copy = x.t().reshape(6)  # a reshape that must copy is not a view
    copy.add_(100)
    assert x.max().item() == 6 and x._version == 2


def test_in_place_on_a_view_moves_its_base_forward() -> None:
    w = mg.randn(4, requires_grad=True)
    h = w * 3
    part = h[1:3]
    part.mul_(2)
    assert h.grad_fn.name() == "CopySlices"  # as torch names it
    h.sum().backward()
    assert w.grad.tolist() == [3, 6, 6, 3]


def test_a_view_used_after_its_base_changed_follows_the_base() -> None:
    w = mg.ones(4, requires_grad=True)
    h = w * 1
    v = h[0:2]
    h.mul_(5)
    (v * 1).sum().backward()  # v's history now starts from h after mul_
    assert w.grad.tolist() == [5, 5, 0, 0]


def test_expanded_tensors_cannot_be_written() -> None:
    e = mg.ones(1).expand(3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        e.add_(1)


def test_an_integer_index_gives_a_0d_view() -> None:
    w = mg.ones(2, 3, requires_grad=True)
    h = w * 1
    v = h[0, 1]  # a 0-d view, not a copy (as torch)
    h.mul_(2)
    assert v.item() == 2 and v._version == 1
    v.backward()
    assert w.grad.tolist() == [[0, 2, 0], [0, 0, 0]]


def test_an_index_tensor_changed_after_indexing_leaves_the_gradient_where_it_was() -> None:
    x = mg.randn(4, requires_grad=True)
    i = mg.tensor([0, 1])
    y = x[i]
    i.add_(2)  # backward scatters to where y came from, not to where i points now
    y.sum().backward()
    assert x.grad.tolist() == [1, 1, 0, 0]
    values, index = mg.tensor([3.0, 1.0, 2.0], requires_grad=True).sort()
    index.zero_()
    values.backward(mg.tensor([1.0, 2.0, 3.0]))


def test_autograd_grad_with_respect_to_a_view_whose_base_changed() -> None:
    w = mg.ones(4, requires_grad=True)
    x = w * 1
    v = x[:2]
    x.mul_(2)
    (g,) = mg.autograd.grad((v * 3).sum(), v)  # v's history was made again from x
    assert g.tolist() == [3, 3]


def test_hooks_registered_before_an_in_place_change_see_the_old_values_gradient() -> None:
    w = mg.ones(3, requires_grad=True)
    h = w * 2
    seen = []
    h.register_hook(lambda g: seen.append(("before", g.tolist())))
    h.mul_(3)
    h.register_hook(lambda g: seen.append(("after", g.tolist())))
    (h * mg.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert seen == [("after", [1, 2, 3]), ("before", [3, 6, 9])]  # as torch
    assert w.grad.tolist() == [6, 12, 18]


@pytest.mark.parametrize("op", ["//=", "%=", "&=", "|=", "^="])
def test_the_other_augmented_assignments_work_in_place(op: str) -> None:
    if op in ("//=", "%="):
        a, b = mg.tensor([7, -7, 5]), mg.tensor([2, 2, -3])
        want = {"//=": [3, -4, -2], "%=": [1, 1, -1]}[op]  # floor rounding, as torch
    else:
        a, b = mg.tensor([True, True, False]), mg.tensor([True, False, False])
        want = {"&=": [True, False, False], "|=": [True, True, False],
                "^=": [False, True, False]}[op]
    before, view = a, a[:]
    exec(f"a {op} b", {}, ns := {"a": a, "b": b})
    assert ns["a"] is before and before.tolist() == want and view.tolist() == want
    assert before._version == 1


def test_where_with_two_scalars_makes_a_tensor_of_their_dtype() -> None:
    c = mg.tensor([True, False])
    assert mg.where(c, 1, 0).tolist() == [1, 0] and mg.where(c, 1, 0).dtype is mg.int64
    assert mg.where(c, 1.5, 0).dtype is mg.float32
    assert mg.where(c, True, False).dtype is mg.bool
    x = mg.zeros(2, 1, 3)
    assert x.squeeze(axis=1).shape == (2, 3) and x.unsqueeze(axis=0).shape == (1, 2, 1, 3)


def test_nodes_that_do_not_read_a_tensor_let_it_change() -> None:
    x = mg.randn(3, dtype=mg.float64, requires_grad=True)
    y = x.erf()  # erf's gradient reads x, not its output
    y.mul_(2)
    y.sum().backward()
    want = 4 / np.sqrt(np.pi) * np.exp(-x.detach().numpy() ** 2)
    np.testing.assert_allclose(x.grad.numpy(), want)
    p = mg.tensor([0.3, 0.6], requires_grad=True)
    t = mg.tensor([0.0, 1.0])
    loss = mg.nn.functional.binary_cross_entropy(p, t)
    t.add_(0.5)  # the target is read by the gradient: changing it is an error, as in torch
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


# ---- masks -------------------------------------------------------------------------------
def test_boolean_masks_select_assign_and_differentiate() -> None:
    x = mg.arange(6.0).reshape(2, 3)
    assert x[x > 2].tolist() == [3, 4, 5]
    assert (x > 2).nonzero().tolist() == [[1, 0], [1, 1], [1, 2]]
    rows, cols = mg.where(x > 3)
    assert rows.tolist() == [1, 1] and cols.tolist() == [1, 2]
    assert x.masked_select(mg.tensor([True, False, True])).tolist() == [0, 2, 3, 5]
    assert x.masked_fill(x < 2, -1.0).tolist() == [[-1, -1, 2], [3, 4, 5]]
    y = x.clone()
    y[y > 2] = 0
    assert y.tolist() == [[0, 1, 2], [0, 0, 0]]
    a = mg.randn(2, 3, dtype=mg.float64, requires_grad=True)
    mask = mg.tensor([[True, False, True], [False, True, False]])
    for f in (lambda t: t[mask] * 2, lambda t: t.masked_fill(mask, 0.5) ** 2,
              lambda t: t.masked_select(mask[0]).exp()):
        assert gradcheck(f, (a,))
    assert mg.tensor(3).nonzero().shape == (1, 0)


# ---- the oracle: random programs beside PyTorch -----------------------------------------------
STEPS = ["add_", "mul_", "sigmoid_", "setitem", "view_mul_", "view_setitem", "save_mul",
         "save_exp", "base_use", "no_grad_add_", "t_view_add_", "scalar_view_mul_", "save_erf"]


def run_program(lib: Any, steps: list[tuple[str, int]], a0: np.ndarray, b0: np.ndarray) -> Any:
    """A small program of in-place ops, views and saved values, written once for minigrad and
    torch: returns the loss, the gradients and the versions, or the error it raised."""
    a = lib.tensor(a0, requires_grad=True)
    b = lib.tensor(b0, requires_grad=True)
    h = a * 1.5  # a non-leaf that in-place ops may change
    outs = []
    v = h[1:3]  # a view made early, used later
    try:
        for step, k in steps:
            if step == "add_":
                h.add_(b)
            elif step == "mul_":
                h.mul_(b)
            elif step == "sigmoid_":
                h.sigmoid_()
            elif step == "setitem":
                h[k % 4] = b[k % 4] * 2
            elif step == "view_mul_":
                h[k % 2:k % 2 + 2].mul_(b[:2])
            elif step == "view_setitem":
                v[0] = b[3] + 1
            elif step == "save_mul":
                outs.append(h * b)  # saves h
            elif step == "save_exp":
                outs.append(h.exp())  # saves its own output, not h
            elif step == "base_use":
                outs.append(v * 2)
            elif step == "no_grad_add_":
                with lib.no_grad():
                    h.add_(1)
            elif step == "t_view_add_":
                h.reshape(2, 2).t().add_(b.reshape(2, 2))
            elif step == "scalar_view_mul_":
                h[k % 4].mul_(b[k % 4])  # an integer index: a 0-d view
            elif step == "save_erf":
                outs.append(h.erf())  # saves h, not its output
        loss = h.sum() + sum(o.sum() for o in outs) + (b * 0.5).sum()
        loss.backward()
    except RuntimeError as e:
        return ("error", "inplace" in str(e), h._version)
    return (loss.item(), np.array(a.grad.tolist()), np.array(b.grad.tolist()), h._version,
            np.array(h.detach().tolist()))


@given(st.lists(st.tuples(st.sampled_from(STEPS), st.integers(0, 3)), min_size=1, max_size=6),
       st.integers(0, 2**16))
def test_random_in_place_programs_agree_with_torch(steps: list, seed: int) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here; .ci/run installs it")
    rng = np.random.default_rng(seed)
    a0, b0 = rng.uniform(-1, 1, 4), rng.uniform(0.5, 1.5, 4)
    ours = run_program(mg, steps, a0, b0)
    theirs = run_program(torch, steps, a0, b0)
    assert ours[0] == theirs[0] if "error" in (ours[0], theirs[0]) else True, (ours, theirs)
    if ours[0] == "error":
        assert ours == theirs
        return
    for got, want in zip(ours, theirs):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
