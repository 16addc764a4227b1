"""PyTorch's surface beyond the core: torch-style functions (``mg.add``, ``mg.stack``),
sorting, special functions (erf), ``mg.linalg`` and checkpoints (``mg.save``/``mg.load``).
What a student reads is the core (autograd.py, tensor.py, ops/); these are what PyTorch code
also calls. Nothing is imported here: each module is imported where it is used."""
