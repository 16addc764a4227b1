"""Hypothesis strategies: shapes, float64 arrays in several memory layouts, op parameters."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


def shapes(min_dims: int = 0, max_dims: int = 4, min_side: int = 1, max_side: int = 4
           ) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes."""
    return st.lists(st.integers(min_side, max_side), min_size=min_dims,
                    max_size=max_dims).map(tuple)


@st.composite
def arrays(draw: st.DrawFn, shape: tuple[int, ...], lo: float = -2.0, hi: float = 2.0
           ) -> np.ndarray:
    """A float64 array of ``shape`` with values in [lo, hi): C-ordered, transposed, or strided.

    Values come from a drawn seed (fast); the layout is drawn so that ops never assume
    contiguous memory.
    """
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    layout = draw(st.sampled_from(["contiguous", "transposed", "strided"]))
    if layout == "transposed" and len(shape) >= 2:
        return rng.uniform(lo, hi, shape[::-1]).T
    if layout == "strided" and len(shape) >= 1:
        return rng.uniform(lo, hi, shape[:-1] + (2 * shape[-1],))[..., ::2]
    return rng.uniform(lo, hi, shape)


def away_from(a: np.ndarray, points: tuple[float, ...], gap: float = 0.05) -> np.ndarray:
    """Move values within ``gap`` of a kink (0 for abs, the bounds for clamp) to ``gap`` away,
    so finite differences never straddle a point where the derivative jumps."""
    a = np.array(a)
    for p in points:
        near = np.abs(a - p) < gap
        a[near] = p + np.where(a[near] >= p, gap, -gap)
    return a


@st.composite
def distinct_arrays(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    """Values at least 0.05 apart (no ties for max, min, argmax), in random order."""
    n = int(np.prod(shape))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = (rng.permutation(n) - n / 2) * 0.1 + rng.uniform(-0.02, 0.02, n)
    return values.reshape(shape)


@st.composite
def broadcastable(draw: st.DrawFn, n: int = 2, max_dims: int = 4) -> list[tuple[int, ...]]:
    """``n`` shapes that broadcast together (some sizes 1, some dims missing)."""
    full = draw(shapes(0, max_dims))
    result = []
    for _ in range(n):
        drop = draw(st.integers(0, len(full)))
        s = [1 if draw(st.booleans()) and draw(st.booleans()) else k for k in full[drop:]]
        result.append(tuple(s))
    return result


@st.composite
def dims(draw: st.DrawFn, ndim: int) -> int | tuple[int, ...] | None:
    """A reduction ``dim``: None, one (maybe negative) axis, or a tuple of axes."""
    if ndim == 0:
        return None
    kind = draw(st.sampled_from(["none", "one", "tuple"]))
    if kind == "none":
        return None
    if kind == "one":
        return draw(st.integers(-ndim, ndim - 1))
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in axes)
