"""Offline stand-in for requests: importable; any request fails (no network here)."""


def get(url: str, *args: object, **kwargs: object) -> object:
    """Refuse: no network."""
    raise ConnectionError(f"offline: requests.get({url!r}) is not allowed in course runs")


def __getattr__(name: str) -> object:
    raise NotImplementedError(f"requests.{name}: requests is not installed (offline stand-in)")
