"""Multinomial and Categorical distributions: counts of ``total_count`` draws from ``probs``,
or one category index per draw. Samples come from minigrad's seeded generator
(``mg.manual_seed``); they are data, not part of a graph."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from minigrad.factory import tensor
from minigrad.runtime import random
from minigrad.tensor import Tensor

__all__ = ["Categorical", "Multinomial"]


def _probabilities(probs: Any, logits: Any, name: str) -> Tensor:
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    if logits is not None:
        return (logits - logits.logsumexp(-1, keepdim=True)).exp()
    if not isinstance(probs, Tensor):
        raise TypeError(f"{name}: probs must be a Tensor, got {type(probs).__name__}")
    if probs.ndim < 1 or bool((probs < 0).any()) or not bool((probs.sum(-1) > 0).all()):
        raise ValueError(f"Expected parameter probs of shape {tuple(probs.shape)} to be "
                         "non-negative with a positive sum along its last dim")
    return probs / probs.sum(-1, keepdim=True)


class Multinomial:
    """Counts per category after ``total_count`` draws with probabilities ``probs`` (last
    dim: the categories; normalized to sum to 1)."""

    def __init__(self, total_count: int = 1, probs: Tensor | None = None,
                 logits: Tensor | None = None, validate_args: bool | None = None) -> None:
        if isinstance(total_count, bool) or not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self.probs = _probabilities(probs, logits, "Multinomial")

    @property
    def mean(self) -> Tensor:
        """total_count * probs."""
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        """total_count * probs * (1 - probs)."""
        # (cast: Tensor's base is Any to mypy, so it takes int * Tensor for int.__mul__'s int)
        return cast(Tensor, self.total_count * self.probs * (1 - self.probs))

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """Counts of shape ``sample_shape + probs.shape`` (float, as torch's)."""
        p = self.probs.detach().cpu().numpy().astype(np.float64)
        p = p / p.sum(-1, keepdims=True)
        size = (*tuple(sample_shape), *p.shape[:-1])
        counts = random.generator().multinomial(self.total_count, p, size=size)
        return tensor(counts, dtype=self.probs.dtype, device=self.probs.device)

    def log_prob(self, value: Tensor) -> Tensor:
        """log P(counts = value): log n! - sum log k_i! + sum k_i log p_i."""
        lgamma = np.vectorize(math.lgamma)
        k = value.detach().cpu().numpy().astype(np.float64)
        const = lgamma(k.sum(-1) + 1) - lgamma(k + 1).sum(-1)
        return (value * self.probs.log()).sum(-1) + tensor(const, dtype=self.probs.dtype)

    def __repr__(self) -> str:
        return f"Multinomial(total_count: {self.total_count}, probs: {self.probs.shape})"


class Categorical:
    """One category index per draw, with probabilities ``probs`` (last dim: categories)."""

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        self.probs = _probabilities(probs, logits, "Categorical")

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """Indices (int64) of shape ``sample_shape + probs.shape[:-1]``."""
        p = self.probs.detach().cpu().numpy().astype(np.float64)
        p = p / p.sum(-1, keepdims=True)
        flat = p.reshape(-1, p.shape[-1])
        n = math.prod(sample_shape)
        gen = random.generator()
        draws = np.stack([gen.choice(len(row), size=n, p=row) for row in flat], axis=-1)
        return tensor(draws.reshape((*tuple(sample_shape), *p.shape[:-1])))

    def log_prob(self, value: Tensor) -> Tensor:
        """log probs[value]."""
        return self.probs.log().gather(-1, value.long().unsqueeze(-1)).squeeze(-1)
