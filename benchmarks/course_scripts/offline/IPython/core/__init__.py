# ruff: noqa: N999  (the name of the package this stands in for)
"""Offline stand-in for IPython.core."""
