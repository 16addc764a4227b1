"""array-api-strict as a second CPU backend (device ``"strict"``).

array-api-strict implements the Python Array API standard and nothing more, so it fails
loudly on NumPy-only habits that would also break on CuPy. The test suite runs every op on it.
Loading it takes exactly what a third backend needs: a name and a loader.
"""

from __future__ import annotations

from typing import Any

from minigrad.backends.base import Backend


class StrictBackend(Backend):
    """The array-api-strict library (``pip install array-api-strict``), for portability tests."""

    name = "strict"

    def _load(self) -> Any:
        import array_api_strict

        return array_api_strict
