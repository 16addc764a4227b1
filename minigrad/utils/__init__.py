"""minigrad.utils: where torch code looks for ``utils.data``."""

from minigrad.utils import data

__all__ = ["data"]
