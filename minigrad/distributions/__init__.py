"""``torch.distributions``, the part the course uses: ``Multinomial`` (d2l's probability
chapter rolls dice with it) and ``Categorical``."""

from minigrad.distributions.multinomial import Categorical, Multinomial

__all__ = ["Categorical", "Multinomial"]
