# ruff: noqa: N999  (the name of the package this stands in for)
"""Offline stand-in for the bits of IPython the course code imports (used only when IPython
itself is not installed: this folder comes last on sys.path)."""


version_info = (8, 24, 0)  # matplotlib asks, to skip its fixes for older IPython


def get_ipython() -> None:
    """No IPython shell is running (matplotlib asks when IPython is imported)."""
    return None
