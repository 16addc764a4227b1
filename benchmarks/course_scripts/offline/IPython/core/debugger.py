"""IPython.core.debugger.set_trace: the tutorials import it (and never call it)."""

import pdb


def set_trace(*args: object, **kwargs: object) -> None:
    """Python's debugger, as IPython's set_trace would start its own."""
    pdb.set_trace()
