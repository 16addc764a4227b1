"""PyTorch's extras, hung on the engine: version counters and views for in-place ops, tensor
hooks, anomaly mode, the op trace's calls, ``autograd.grad``'s pruning, and the graph's memory
accounting. minigrad/autograd.py is the chain rule; where one of these is in use it hands
``Function.apply`` or the backward walk to ``engine`` here (one check each), which does the
same and the extra besides. Importing this package registers it with the engine.
"""

from minigrad import autograd
from minigrad.extras import engine, nodes

autograd.extras = engine
engine.node_attribute = nodes.node_attribute  # grad_fn.next_functions, .metadata
engine.node_name = nodes.node_name  # torch's node names

__all__ = ["engine"]
