"""Offline stand-in for pandas: importable (d2l/torch.py imports it at the top); any use
fails naming what was asked for."""


def __getattr__(name: str) -> object:
    raise NotImplementedError(f"pandas.{name}: pandas is not installed (offline stand-in)")
