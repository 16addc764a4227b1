"""Offline stand-in for matplotlib_inline."""
