"""The Tensor methods of PyTorch's wider surface (``flip``, ``split``, ``einsum``-style
products, ``log1p``, ``uniform_``, ...): a base class of ``Tensor``, so that tensor.py keeps
the core a student reads. Each method is a one-liner onto an op or a composite of ops, as in
tensor.py; the torch-style functions (``mg.flip(x, ...)``) are these methods too
(surface/functions.py)."""

from __future__ import annotations


class TensorMethods:
    """Methods every Tensor has beyond the core ones in tensor.py."""

    __slots__ = ()

    # ---- shape and indexing: flip, roll, split, index_select, scatter, repeat, ... --------

    # ---- math: products, reductions, pointwise, random fills, ... -------------------------
