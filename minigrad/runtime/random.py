"""One host random generator: the same seed gives the same numbers on every device."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

_DEFAULT_SEED = 67280421310721  # as torch's: a fresh process is reproducible too
_generator = np.random.default_rng(_DEFAULT_SEED)
_seed = _DEFAULT_SEED


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the generator behind rand, randn, randint, init and shuffling."""
    global _generator, _seed
    _seed = int(seed)
    _generator = np.random.default_rng(_seed)
    return _generator


def initial_seed() -> int:
    """The seed last given to ``manual_seed`` (or the default)."""
    return _seed


def generator() -> np.random.Generator:
    """The host NumPy generator every random draw comes from (drawn on the host, then moved)."""
    return _generator


def get_rng_state() -> dict[str, Any]:
    """The generator's state (a plain dict), to save in a checkpoint."""
    return cast("dict[str, Any]", _generator.bit_generator.state)  # (a dict, typed a Mapping)


def set_rng_state(state: dict) -> None:
    """Restore a state from ``get_rng_state``: the draws continue exactly as before."""
    _generator.bit_generator.state = state
