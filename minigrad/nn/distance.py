"""CosineSimilarity: the cosine of the angle between two batches of vectors."""

from __future__ import annotations

from minigrad.nn import functional as F
from minigrad.nn.module import Module
from minigrad.tensor import Tensor

__all__ = ["CosineSimilarity"]


class CosineSimilarity(Module):
    """x1 . x2 / (max(||x1||, eps) max(||x2||, eps)) along ``dim``.

    Shape: x1 and x2 broadcast to (*, D, *); output that shape without ``dim``.
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        """Cosine similarity."""
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
