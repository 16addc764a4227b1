"""PyTorch's own test inputs (op_db, module_db) through both libraries: every sample agrees in
values and gradients, or is listed with its reason (tests/torch_parity.py's KNOWN); and the
README's parity matrix is the one these samples give today."""

from __future__ import annotations

import re

import pytest

from tests import torch_parity as parity


@pytest.fixture(scope="module")
def outcomes() -> list[parity.Outcome]:
    pytest.importorskip("torch", reason="PyTorch is the oracle here; .ci/run installs it")
    pytest.importorskip("expecttest", reason="torch's op_db needs expecttest; .ci/run installs it")
    return list(parity.op_outcomes()) + list(parity.module_outcomes())


def test_every_sample_agrees_or_is_known(outcomes: list[parity.Outcome]) -> None:
    unexplained = [f"{o.op} {o.dtype}: {o.status}: {o.detail}" for o in outcomes
                   if o.status != "ok" and parity.known_reason(o) is None]
    assert not unexplained, "\n".join(unexplained[:40])


def test_every_known_difference_still_happens(outcomes: list[parity.Outcome]) -> None:
    """A KNOWN entry that no sample needs any more is stale: remove it from the list."""
    used = {parity.known_reason(o) for o in outcomes if o.status != "ok"}
    stale = [reason for _, _, reason in parity.KNOWN if reason not in used]
    assert not stale, stale


def test_the_readme_matrix_is_todays(outcomes: list[parity.Outcome]) -> None:
    readme = (parity.ROOT / "README.md").read_text()
    shown = re.search(r"<!-- parity:start -->\n(.*)<!-- parity:end -->", readme, re.S)
    assert shown, "the README has no parity matrix"
    assert shown.group(1) == parity.markdown(parity.matrix(outcomes), None), (
        "the README's parity matrix is out of date: run python -m tests.torch_parity --write")


def test_the_harness_can_tell_a_difference() -> None:
    """A wrong op is caught: the comparison is not a rubber stamp."""
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    from tests.torch_parity import run_sample

    class Sample:
        input = torch.tensor([1.0, -2.0], requires_grad=True)
        args: tuple = ()
        kwargs: dict = {}

    assert run_sample(lambda x: x.abs(), torch.abs, Sample, torch, "float64")[0] == "ok"
    assert run_sample(lambda x: x * 1.0, torch.abs, Sample, torch, "float64")[0] == "differs"
    assert run_sample(lambda x: x.abs() + 0 * x.sin(), torch.abs, Sample, torch,
                      "float64")[0] == "ok"
    assert run_sample(lambda x: x.abs() + 1e-3 * x * x, torch.abs, Sample, torch,
                      "float64") == ("differs", "output: values differ by up to 0.004")
