"""The compiled twins (minigrad/fast/compiled.py, the ``fast`` extra: numba): Winograd's
F(4x4, 3x3) against the definition of a correlation, and a 3x3 convolution with many channels
through it against the textbook's unfold and product, values and gradients.

numba is in the test extra, so these run wherever the README's test command installed it;
they skip, saying so, only where someone installed minigrad without it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("numba", reason="numba is not installed (pip install -e '.[fast]'): the "
                    "compiled twins are off and only the NumPy twins run")

import minigrad as mg  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad.backends import fast_paths  # noqa: E402
from minigrad.fast import compiled  # noqa: E402
from minigrad.testing import assert_close  # noqa: E402
from tests import reference as ref  # noqa: E402


def weight_grad_reference(x: np.ndarray, g: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """dw[o, c, a, e] = sum over n, i, j of g[n, o, i, j] * xpad[n, c, i + a, j + e]."""
    ph, pw = padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = g.shape[2:]
    return np.stack([np.stack([np.einsum("noij,ncij->oc", g, xp[:, :, a:a + oh, e:e + ow])
                               for e in range(3)], axis=-1) for a in range(3)], axis=-2)


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(3, 10),
       st.integers(3, 10), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2**16))
def test_winograd_is_a_correlation_and_its_weight_gradient(
        n: int, c: int, o: int, h: int, w: int, ph: int, pw: int, seed: int) -> None:
    """Every output size modulo the 4x4 tiles, every padding a 3x3 kernel allows, in float64:
    the output and the weight's gradient equal the definition's loops to 1e-10."""
    rng = np.random.default_rng(seed)
    x, k = rng.standard_normal((n, c, h, w)), rng.standard_normal((o, c, 3, 3))
    out, tiles = compiled.winograd_conv2d(np.ascontiguousarray(x.transpose(1, 2, 3, 0)), k,
                                          (ph, pw))
    expected = ref.conv2d(x, k, None, (1, 1), (ph, ph, pw, pw), (1, 1), 1)
    np.testing.assert_allclose(out.transpose(3, 0, 1, 2), expected, rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(expected.shape)
    dw = compiled.winograd_weight_grad(np.ascontiguousarray(g.transpose(1, 2, 3, 0)), tiles)
    np.testing.assert_allclose(dw, weight_grad_reference(x, g, (ph, pw)), rtol=1e-10,
                               atol=1e-10)


@pytest.mark.parametrize(("dtype", "tol"), [(np.float32, 3e-5), (np.float64, 1e-11)])
@pytest.mark.parametrize("padding", [0, 1, 2])
def test_a_3x3_convolution_with_many_channels_runs_winograd_as_the_textbook(
        dtype: type, tol: float, padding: int) -> None:
    """conv2d 16 -> 8 channels through Winograd (the node keeps the input's tiles) against the
    textbook's unfold and product: the output and every gradient, within rounding (float32:
    3e-5 of the largest value; Winograd's transforms weigh up to 8)."""
    rng = np.random.default_rng(padding)
    arrays = [rng.standard_normal(s).astype(dtype) for s in ((3, 16, 11, 10), (8, 16, 3, 3), (8,))]
    g = rng.standard_normal((3, 8, 9 + 2 * padding, 8 + 2 * padding)).astype(dtype)
    seen = []
    for fast in (True, False):
        with fast_paths(fast):
            x, w, b = (mg.tensor(a, requires_grad=True) for a in arrays)
            out = F.conv2d(x, w, b, padding=padding)
            if fast:
                assert type(out.grad_fn.next[0]).__name__ == "Conv2dStride1"
                assert out.grad_fn.next[0].tiles is not None  # (Winograd ran)
            out.backward(mg.tensor(g))
            seen.append([out.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()])
    for name, a, e in zip(["output", "input grad", "weight grad", "bias grad"], *seen):
        assert_close(a, e, rtol=tol, atol=tol * float(np.abs(e).max()), msg=name)


def test_winograd_runs_only_where_it_pays(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 5x5 kernel, half precision, or numba missing: the NumPy twin (one product on unfold's
    columns)."""
    def ran_winograd(c: int, k: int = 3, dtype: mg.dtype = mg.float32) -> bool:
        x = mg.randn(2, c, 6, 6, dtype=dtype, requires_grad=True)
        out = F.conv2d(x, mg.randn(8, c, k, k, dtype=dtype, requires_grad=True), padding=1)
        return out.grad_fn.tiles is not None
    assert ran_winograd(16)
    assert not ran_winograd(16, k=5)
    assert not ran_winograd(16, dtype=mg.float16)
    monkeypatch.setattr(compiled, "AVAILABLE", False)
    assert not ran_winograd(16)
