"""Class indices as vectors: one_hot (an indicator) and embedding (a lookup in a learned table).

An embedding is indexing: ``weight[input]`` picks a row per index, and its gradient adds each
output's gradient into the row it came from (the backward of indexing), nothing more.
"""

from __future__ import annotations

from typing import Any, cast

from minigrad import ops
from minigrad.factory import arange, ones, zeros
from minigrad.ops.unfold import is_int
from minigrad.runtime import dtypes
from minigrad.runtime.grad_mode import no_grad
from minigrad.tensor import Tensor


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """A vector per index: 1 at the index, 0 elsewhere (int64); ``num_classes=-1`` takes the
    largest index + 1.

    Shape: input (*), output (*, num_classes).
    """
    num_classes = _one_hot_arguments(tensor, num_classes)
    return (tensor.unsqueeze(-1) == arange(num_classes, device=tensor.device)).long()


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Row ``i`` of ``weight`` for each index ``i`` of ``input``.

    ``padding_idx``: that row's gradient stays 0 (its outputs are detached from the table).
    ``max_norm``: first rescales (in place, without gradient) each looked-up row whose
    ``norm_type``-norm exceeds it to norm max_norm, as torch's. ``scale_grad_by_freq``: each
    row's gradient is divided by how often its index occurs in ``input``.
    Shape: input (*) of int64 or int32, weight (num_embeddings, embedding_dim); output
    (*, embedding_dim).
    """
    padding_idx = _embedding_arguments(input, weight, padding_idx, sparse)
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    rows = weight[input]
    if scale_grad_by_freq:
        # forward: rows + 0 exactly; backward: the gradient scaled by 1 / count
        counts = zeros(weight.shape[0], dtype=weight.dtype, device=weight.device).index_put(
            (input.flatten(),), ones(input.numel(), dtype=weight.dtype, device=weight.device),
            accumulate=True)
        scale = cast(Tensor, 1.0 / counts[input]).unsqueeze(-1)
        rows = rows.detach() + (rows - rows.detach()) * scale
    if padding_idx is not None:
        rows = ops.where((input != padding_idx).unsqueeze(-1), rows, weight.detach()[input])
    return rows


def _renorm_rows(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """torch's embedding_renorm_: each row looked up whose norm exceeds ``max_norm`` is scaled
    by max_norm / (norm + 1e-7), in place and outside the graph."""
    with no_grad():
        flat = input.flatten()
        used = zeros(weight.shape[0], dtype=dtypes.bool_, device=weight.device).index_put(
            (flat,), ones(flat.numel(), dtype=dtypes.bool_, device=weight.device))
        norms = weight.norm(norm_type, dim=1)
        scale = ops.where(used & (norms > max_norm), max_norm / (norms + 1e-7), 1.0)
        weight.mul_(scale.unsqueeze(1).to(weight.dtype))


# ---- argument checks ---------------------------------------------------------------------------
def _one_hot_arguments(tensor: Tensor, num_classes: Any) -> int:
    """torch's checks of one_hot; the number of classes (inferred when -1)."""
    if not is_int(num_classes):
        raise TypeError(f"one_hot(): argument 'num_classes' (position 2) must be int, not "
                        f"{type(num_classes).__name__}")
    if tensor.dtype is not dtypes.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return num_classes
    if tensor.min().item() < 0:
        raise RuntimeError("Class values must be non-negative.")
    largest = tensor.max().item()
    if num_classes == -1:
        return largest + 1
    if num_classes <= largest:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return num_classes


def _embedding_arguments(input: Tensor, weight: Tensor, padding_idx: int | None,
                         sparse: bool) -> int | None:
    """torch's checks of embedding; padding_idx counted from the front (None: no padding)."""
    if padding_idx is not None:
        if not -weight.shape[0] <= padding_idx < weight.shape[0]:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= weight.shape[0]
    if sparse:
        raise NotImplementedError("embedding(sparse=True): minigrad has no sparse tensors for "
                                  "the gradient; use sparse=False (a dense gradient, the same "
                                  "values)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError(
            f"Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got torch.{input.dtype.torch_name}Tensor instead (while "
            f"checking arguments for embedding)")
    if input.numel() and (input.min().item() < 0 or input.max().item() >= weight.shape[0]):
        raise IndexError(f"index out of range in self (indices in [{input.min().item()}, "
                         f"{input.max().item()}], weight of shape {tuple(weight.shape)})")
    return padding_idx
