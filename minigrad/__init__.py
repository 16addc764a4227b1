"""minigrad: a small, readable autograd engine with PyTorch's API, on NumPy, CuPy and more."""

import sys

from minigrad import autograd, backends, distributions, fast, nn, ops, optim, utils
from minigrad.autograd import is_tensor
from minigrad.backends import (
    Backend,
    device,
    get_backend,
    get_default_device,
    register_backend,
    set_default_device,
)
from minigrad.backends import cudnn as _cudnn  # noqa: F401  (mg.backends.cudnn, as torch's)
from minigrad.backends import mps as _mps  # noqa: F401  (mg.backends.mps)
from minigrad.backends.transfers import transfer_guard
from minigrad.factory import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_dlpack,
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
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from minigrad.ops import (
    broadcast_shapes,
    cat,
    fold,
    gather,
    log_softmax,
    pad,
    softmax,
    stack,
    unfold,
    where,
)
from minigrad.runtime import accelerator, cuda, dtypes, grad_mode, random, threads
from minigrad.runtime.dtypes import bool_ as bool  # torch.bool
from minigrad.runtime.dtypes import dtype, float16, float32, float64, int32, int64, uint8
from minigrad.runtime.dtypes import float16 as half
from minigrad.runtime.dtypes import float32 as float  # torch.float, torch.long, ... as in torch
from minigrad.runtime.dtypes import float64 as double
from minigrad.runtime.dtypes import int32 as int
from minigrad.runtime.dtypes import int64 as long
from minigrad.runtime.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from minigrad.runtime.random import get_rng_state, initial_seed, manual_seed, set_rng_state
from minigrad.runtime.threads import get_num_threads, set_num_threads
from minigrad.surface import autograd_functional, functions, linalg, serialization, special
from minigrad.surface.functions import (  # more math and comparisons
    abs,
    acos,
    add,
    addmm,
    all,
    allclose,
    amax,
    amin,
    any,
    arccos,
    arcsin,
    arctan,
    argmax,
    argmin,
    argsort,
    asin,
    atan,
    bernoulli,
    bincount,
    bmm,
    broadcast_to,
    ceil,
    chunk,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    clone,
    cos,
    cosh,
    count_nonzero,
    cumprod,
    cumsum,
    detach,
    div,
    divide,
    dot,
    einsum,
    eq,
    erf,
    exp,
    expm1,
    flatten,
    flip,
    floor,
    ge,
    greater,
    greater_equal,
    gt,
    index_add,
    index_select,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logsumexp,
    lt,
    masked_fill,
    masked_select,
    matmul,
    max,
    maximum,
    mean,
    meshgrid,
    min,
    minimum,
    mm,
    moveaxis,
    movedim,
    mul,
    multiply,
    mv,
    nan_to_num,
    narrow,
    ne,
    neg,
    negative,
    nonzero,
    norm,
    normal,
    not_equal,
    numel,
    outer,
    permute,
    pow,
    prod,
    reciprocal,
    relu,
    remainder,
    repeat_interleave,
    reshape,
    roll,
    round,
    rsqrt,
    scatter,
    scatter_add,
    sigmoid,
    sign,
    sin,
    sinh,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    std,
    sub,
    subtract,
    sum,
    swapaxes,
    swapdims,
    t,
    take_along_dim,
    tan,
    tanh,
    tile,
    topk,
    transpose,
    tril,
    triu,
    true_divide,
    trunc,
    unbind,
    unique,
    unsqueeze,
    var,
)
from minigrad.surface.legacy import (  # torch.FloatTensor(...) and friends
    BoolTensor,
    ByteTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
)
from minigrad.surface.serialization import load, save
from minigrad.tensor import Size, Tensor
from minigrad.tools import diagnostics, testing, viz
from minigrad.tools.summary import summary
from minigrad.tools.tracing import trace
from minigrad.utils import data

# Modules under the paths they had before the runtime/, surface/ and tools/ folders, so that
# `import minigrad.dtypes` or `from minigrad.diagnostics import Diagnostics` still works.
_MOVED = {"dtypes": dtypes, "grad_mode": grad_mode, "random": random, "threads": threads,
          "cuda": cuda, "functions": functions, "linalg": linalg, "serialization": serialization,
          "ops.sort": sys.modules["minigrad.surface.sort"], "ops.special": special,
          "testing": testing, "data": data}
_MOVED |= {name: sys.modules[f"minigrad.tools.{name}"]
           for name in ("diagnostics", "tracing", "viz", "summary")}
for _name, _module in _MOVED.items():
    sys.modules[f"minigrad.{_name}"] = _module
ops.sort, ops.special = _MOVED["ops.sort"], special  # (`from minigrad.ops import special`)
autograd.functional = autograd_functional  # torch.autograd.functional.jacobian
sys.modules["minigrad.autograd.functional"] = autograd_functional

__version__ = "0.1.0"

# torch.contiguous_format and friends: accepted by clone/to/... and ignored (no memory formats)
contiguous_format = preserve_format = channels_last = "contiguous_format"

__all__ = [
    "Backend", "Size", "Tensor", "abs", "add", "all", "allclose", "amax", "amin", "any", "arange",
    "argmax", "argmin", "argsort", "as_tensor", "autograd", "backends", "bool", "broadcast_shapes",
    "broadcast_to", "cat", "ceil", "channels_last", "clamp", "clip", "clone", "contiguous_format",
    "cos", "cuda", "cumsum", "data", "detach", "device", "div", "divide", "double", "dtype",
    "dtypes", "empty", "empty_like", "enable_grad", "erf", "exp", "eye", "fast", "flatten",
    "float", "float16", "float32", "float64", "floor", "fold", "from_dlpack", "from_numpy", "full",
    "full_like", "gather", "get_backend", "get_default_device", "get_num_threads", "get_rng_state",
    "half", "inference_mode", "initial_seed", "int", "int32", "int64", "is_grad_enabled",
    "is_tensor", "isclose", "linalg", "linspace", "load", "log", "log_softmax", "long",
    "manual_seed", "masked_fill", "masked_select", "matmul", "max", "maximum", "mean", "min",
    "minimum", "mul", "multiply", "neg", "negative", "nn", "no_grad", "nonzero", "norm", "numel",
    "ones", "ones_like", "optim", "pad", "permute", "pow", "preserve_format", "rand", "rand_like",
    "randint", "randn", "randn_like", "randperm", "register_backend", "relu", "remainder",
    "reshape", "round", "save", "set_default_device", "set_grad_enabled", "set_num_threads",
    "set_rng_state", "sigmoid", "sin", "softmax", "sort", "sqrt", "squeeze", "stack", "std", "sub",
    "subtract", "sum", "t", "tanh", "tensor", "threads", "topk", "transpose", "true_divide",
    "trunc", "uint8", "unfold", "unsqueeze", "utils", "var", "where", "zeros", "zeros_like",
]
__all__ += ["diagnostics", "summary"]  # seeing inside the engine
__all__ += ["trace", "transfer_guard", "viz"]  # seeing inside the engine: ops, transfers, graph
__all__ += ["accelerator"]  # the device line of torch's tutorials
__all__ += ["BoolTensor", "ByteTensor", "DoubleTensor", "FloatTensor", "HalfTensor", "IntTensor",
            "LongTensor", "distributions"]  # legacy constructors; torch.distributions
__all__ += ["testing"]  # gradcheck, assert_close: as torch.testing
__all__ += [  # shape and indexing (surface/methods.py, ops/indexing.py)
    "chunk", "flip", "index_select", "meshgrid", "moveaxis", "movedim", "narrow",
    "repeat_interleave", "roll", "scatter", "scatter_add", "split", "swapaxes", "swapdims",
    "take_along_dim", "tile", "tril", "triu", "unbind",
]
__all__ += [  # math (surface/methods.py, ops/mathops.py)
    "addmm", "bernoulli", "bincount", "bmm", "count_nonzero", "cumprod", "dot", "einsum",
    "expm1", "isfinite", "isinf", "isnan", "log1p", "logsumexp", "mm", "mv", "nan_to_num",
    "outer", "prod", "reciprocal", "rsqrt", "square", "unique",
]
__all__ += [  # more math and comparisons (surface/methods.py, ops/mathops.py)
    "acos", "arccos", "arcsin", "arctan", "asin", "atan", "clamp_max", "clamp_min", "cosh", "eq",
    "ge", "greater", "greater_equal", "gt", "index_add", "le", "less", "less_equal", "logical_and",
    "logical_not", "logical_or", "logical_xor", "lt", "ne", "normal", "not_equal", "sign", "sinh",
    "tan",
]
