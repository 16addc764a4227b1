"""Differentiable ops: Functions (forward and backward side by side) and their entry points."""

from typing import TYPE_CHECKING

from minigrad.ops.deform import deform_conv2d
from minigrad.ops.elementwise import (
    Abs,
    Add,
    Cast,
    Clamp,
    Cos,
    Div,
    Exp,
    Log,
    LogSigmoid,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    PowScalar,
    Relu,
    Sigmoid,
    Sin,
    Sqrt,
    Sub,
    Tanh,
    ToDevice,
    Where,
    binary,
    compare,
    logical,
    power,
    where,
)
from minigrad.ops.indexing import Flip, Roll
from minigrad.ops.matmul import MatMul, matmul, transposed
from minigrad.ops.movement import (
    Cat,
    ConstantPad,
    Contiguous,
    Expand,
    Index,
    IndexAdd,
    IndexPut,
    Permute,
    Reshape,
    cat,
    expand,
    flatten,
    gather,
    gather_in_range,
    getitem,
    masked_select,
    nonzero,
    pad,
    permute,
    reshape,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)
from minigrad.ops.promotion import broadcast_shapes, host_values, promote
from minigrad.ops.reduce import (
    Max,
    Min,
    Sum,
    argmax,
    argmin,
    log_softmax,
    max,
    mean,
    min,
    softmax,
    std,
    sum,
    var,
)
from minigrad.ops.unfold import Fold, Unfold, fold, unfold

if TYPE_CHECKING:  # set by minigrad/__init__.py (their old paths, minigrad.ops.sort and .special)
    from minigrad.surface import sort, special

__all__ = [
    "Abs", "Add", "Cast", "Cat", "Clamp", "ConstantPad", "Contiguous", "Cos", "Div", "Exp",
    "Expand", "Flip", "Fold",
    "Index", "IndexAdd", "IndexPut", "Log", "LogSigmoid", "MatMul", "Max", "Maximum", "Min",
    "Minimum", "Mul", "Neg", "Permute", "Pow", "PowScalar", "Relu", "Reshape", "Roll",
    "Sigmoid", "Sin", "Sqrt", "Sub", "power",
    "Sum", "Tanh", "ToDevice", "Unfold", "Where", "argmax", "argmin", "binary", "broadcast_shapes",
    "cat", "compare", "deform_conv2d", "expand", "flatten", "fold", "gather", "gather_in_range",
    "getitem", "host_values", "inplace", "log_softmax", "logical", "masked_select", "matmul",
    "max", "mean", "min", "nonzero", "pad", "permute", "promote", "reshape", "softmax", "sort",
    "special", "squeeze", "stack", "std", "sum", "transpose", "transposed", "unfold", "unsqueeze",
    "var", "where",
]
