"""minigrad: a small, readable autograd engine with PyTorch's API, on NumPy, CuPy and more."""

from minigrad import autograd, backends, data, dtypes, fast, nn, optim
from minigrad.backends import (
    Backend,
    device,
    get_backend,
    get_default_device,
    register_backend,
    set_default_device,
)
from minigrad.dtypes import bool_ as bool  # torch.bool
from minigrad.dtypes import dtype, float16, float32, float64, int32, int64, uint8
from minigrad.factory import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from minigrad.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.ops import (
    broadcast_shapes,
    cat,
    fold,
    gather,
    log_softmax,
    matmul,
    pad,
    softmax,
    stack,
    unfold,
    where,
)
from minigrad.random import get_rng_state, initial_seed, manual_seed, set_rng_state
from minigrad.serialization import load, save
from minigrad.tensor import Size, Tensor

__version__ = "0.1.0"

# torch-style functions: each is the Tensor method of the same name, called as mg.exp(x).
abs = Tensor.abs
argmax, argmin = Tensor.argmax, Tensor.argmin
clamp = clip = Tensor.clamp
cos, sin, exp, log, sqrt = Tensor.cos, Tensor.sin, Tensor.exp, Tensor.log, Tensor.sqrt
flatten, reshape, permute = Tensor.flatten, Tensor.reshape, Tensor.permute
broadcast_to = Tensor.broadcast_to
max, min = Tensor.max, Tensor.min
maximum, minimum = Tensor.maximum, Tensor.minimum
mean, sum, std, var = Tensor.mean, Tensor.sum, Tensor.std, Tensor.var
neg = Tensor.neg
relu, sigmoid, tanh = Tensor.relu, Tensor.sigmoid, Tensor.tanh
squeeze, unsqueeze, transpose, t = Tensor.squeeze, Tensor.unsqueeze, Tensor.transpose, Tensor.t
detach = Tensor.detach

__all__ = [
    "Backend", "Size", "Tensor", "abs", "arange", "argmax", "argmin", "as_tensor", "autograd",
    "backends", "bool", "broadcast_shapes", "broadcast_to", "cat", "clamp", "clip", "cos", "data",
    "detach", "device", "dtype", "dtypes", "empty", "empty_like", "enable_grad", "exp", "eye",
    "fast", "flatten", "float16", "float32", "float64", "fold", "from_numpy", "full", "full_like",
    "gather", "get_backend", "get_default_device", "get_rng_state", "initial_seed", "int32",
    "int64", "is_grad_enabled", "linspace", "load", "log", "log_softmax", "manual_seed", "matmul",
    "max", "maximum", "mean", "min", "minimum", "neg", "nn", "no_grad", "ones", "ones_like",
    "optim", "pad", "permute", "rand", "rand_like", "randint", "randn", "randn_like",
    "register_backend", "relu", "reshape", "save", "set_default_device", "set_grad_enabled",
    "set_rng_state", "sigmoid", "sin", "softmax", "sqrt", "squeeze", "stack", "std", "sum", "t",
    "tanh", "tensor", "transpose", "uint8", "unfold", "unsqueeze", "var", "where", "zeros",
    "zeros_like",
]
