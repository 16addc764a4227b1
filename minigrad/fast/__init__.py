"""Fast paths: faster versions of textbook ops, chosen per backend, off with one switch.

The code a student reads (``minigrad/ops/``, ``minigrad/nn/functional/``) is the textbook,
in (N, C, H, W). Everything that only makes it faster lives here, in one table per backend:

* ``generic.py``: for any Array API backend (the batch-innermost layout for convolution and
  pooling, block and separable pooling, sigmoid's gradient as one op, first-index max);
* ``numpy_backend.py``: NumPy's own (BLAS-friendly products, in-place col2im), on top;
* ``cupy_backend.py``: CuPy's own (im2col and col2im as one kernel each), on top.

A table maps a textbook Function class to a faster subclass (``Function.apply`` picks it) and a
``@fast_path`` function to a faster function with the same signature. Each backend class holds
its table in ``fast_table``; they are installed below, on import. While fast paths are off
(``MINIGRAD_FAST_PATHS=0``, or ``minigrad.backends.fast_paths(False)``) only the textbook runs;
the tests run the op suites both ways and compare a LeNet step step by step.
"""

from __future__ import annotations

from minigrad.backends.cupy_backend import CupyBackend
from minigrad.backends.numpy_backend import NumpyBackend
from minigrad.backends.strict import StrictBackend
from minigrad.fast import cupy_backend, generic, numpy_backend

NumpyBackend.fast_table = numpy_backend.TABLE
StrictBackend.fast_table = generic.TABLE  # so the tests prove the fast paths portable too
CupyBackend.fast_table = cupy_backend.TABLE

__all__ = ["cupy_backend", "generic", "numpy_backend"]
