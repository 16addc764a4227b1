"""Matrix product with NumPy's rules: batched, broadcast, and the 1-D cases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minigrad.autograd import Function, is_tensor
from minigrad.ops.movement import Permute, Reshape
from minigrad.ops.promotion import as_tensor_arg, broadcast_shapes, promote

if TYPE_CHECKING:
    from minigrad.tensor import Tensor


class MatMul(Function):
    """a @ b with NumPy's rules (batched, broadcast, 1-D cases). In the gradient a 1-D operand
    is a row (a) or a column (b), and batch dims broadcast (the engine sums them back)."""

    def forward(self, a: Any, b: Any) -> Any:
        self.save_operands(a, b)
        return self.xp.matmul(a, b)

    def save_operands(self, a: Any, b: Any) -> None:
        """a's gradient reads b, b's reads a."""
        need_a, need_b = self.needs_input_grad
        self.save_for_backward(b if need_a else None, a if need_b else None)

    # d(A B) = dA B + A dB, so dA = G B^T and dB = A^T G (a 1-D a is a row, a 1-D b a column)
    def backward(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = self.inputs
        a2 = a if a.ndim > 1 else Reshape.apply(a, shape=(1, a.shape[0]))
        b2 = b if b.ndim > 1 else Reshape.apply(b, shape=(b.shape[0], 1))
        if a.ndim == 1 or b.ndim == 1:  # the gradient as a2 @ b2's: (..., rows, columns)
            batch = g.shape[:g.ndim + (a.ndim == 1) + (b.ndim == 1) - 2]
            g = Reshape.apply(g, shape=(*batch, a2.shape[-2], b2.shape[-1]))
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = MatMul.apply(g, transposed(b2))
            ga = ga if a.ndim > 1 else Reshape.apply(ga, shape=(*ga.shape[:-2], ga.shape[-1]))
        if self.needs_input_grad[1]:
            gb = MatMul.apply(transposed(a2), g)
            gb = gb if b.ndim > 1 else Reshape.apply(gb, shape=tuple(gb.shape[:-1]))
        return ga, gb


def transposed(x: Tensor) -> Tensor:
    """``x.mT`` without the argument checks (for backward): the last two dims swapped."""
    return Permute.apply(x, dims=(*range(x.ndim - 2), x.ndim - 1, x.ndim - 2))


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """``a @ b`` as numpy.matmul: batched over leading dims, 1-D inputs as vectors."""
    if not is_tensor(b) or not is_tensor(a):
        as_tensor_arg(a, "matmul", "input", 1)
        as_tensor_arg(b, "matmul", "other", 2)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
            f"{b.ndim}D")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        def show(s: tuple[int, ...]) -> str:
            return "x".join(map(str, s))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({show(a.shape)} and "
                           f"{show(b.shape)})")
    if a.ndim > 2 and b.ndim > 2:
        broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a, b = promote(a, b, elementwise=False)
    return MatMul.apply(a, b)
