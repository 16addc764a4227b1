"""backend_inline.set_matplotlib_formats: a no-op in a script (Agg draws nothing on screen)."""

from typing import Any


def set_matplotlib_formats(*formats: str, **kwargs: Any) -> None:
    """No-op."""
