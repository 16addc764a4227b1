"""The argument checks of minigrad.nn.functional's LeNet route (activations, convolution,
pooling, losses), apart from the math: each raises PyTorch's error (naming the shapes, dtypes
and values involved) before any computation, so a function's body reads as the math. The other
topics (normalization, resampling, ...) keep theirs at the foot of their own file.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any, cast

from minigrad import ops
from minigrad.ops.unfold import Pair, Window, int_tuple, is_int, output_size, pair, window_count
from minigrad.runtime import dtypes
from minigrad.tensor import Tensor

IntOrPair = int | tuple[int, int]
IntOrSingle = int | tuple[int]


def gelu_arguments(input: Tensor, approximate: str) -> None:
    if not isinstance(approximate, str):
        raise TypeError(f"gelu(): argument 'approximate' must be str, not "
                        f"{type(approximate).__name__}")
    floating(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")


def hardtanh_arguments(min_val: float, max_val: float) -> None:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")


def softmax_arguments(input: Tensor, dim: Any, dtype: Any, name: str) -> None:
    """An int dim (or None); a floating-point input unless ``dtype`` says what to compute in."""
    if dim is not None:
        int_argument(dim, "dim", name)
    if dtype is None:
        floating(input, name)


def floating(input: Tensor, name: str) -> None:
    """PyTorch's refusal of an integer or bool input where its kernel is for floats only."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{name}" not implemented for \'{input.dtype.torch_name}\'')


def int_argument(value: Any, name: str, fn: str = "") -> None:
    """An argument that must be an int (not a float, nor a bool): torch's TypeError, naming
    the function (if given), the argument and the value."""
    if not is_int(value):
        raise TypeError(f"{fn + '(): ' if fn else ''}argument '{name}' must be int, not "
                        f"{type(value).__name__} (got {name}={value!r})")


def dropout_probability(p: float) -> None:
    """Dropout's probability must lie in [0, 1] (PyTorch's ValueError)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout2d_arguments(input: Tensor, p: float) -> None:
    """dropout2d's checks and PyTorch's warnings for inputs that are not (N, C, H, W)."""
    dropout_probability(p)
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=3)
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=3)


def linear_arguments(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    """linear's checks: one dtype, and a bias that expands to the output's size (*, out) without
    widening it, as torch's addmm (matmul reports mismatched input and weight itself)."""
    same_dtype(input, weight, "linear")
    if bias is None or weight.ndim > 2 or input.ndim == 0:
        return
    out = tuple(input.shape[:-1]) + tuple(weight.shape[:-1])
    if not expands_to(bias, out):
        raise RuntimeError(f"linear: bias of size {list(bias.shape)} must expand to the output's "
                           f"size {list(out)} (input {list(input.shape)}, weight "
                           f"{list(weight.shape)})")


def expands_to(t: Tensor, shape: Sequence[int]) -> bool:
    """Whether ``t`` broadcasts to ``shape`` without changing it (torch's ``expand``): no more
    dims, and each of its dims, aligned from the right, 1 or the same."""
    return t.ndim <= len(shape) and all(
        a in (1, b) for a, b in zip(reversed(t.shape), reversed(shape)))


def same_dtype(input: Tensor, weight: Tensor, op: str) -> None:
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"{op}: input and weight must have the same dtype, but got input "
                           f"{input.dtype.name} and weight {weight.dtype.name}")


def batched(input: Tensor, name: str) -> tuple[Tensor, bool]:
    """A 4-D view of a 3-D (unbatched) or 4-D input, and whether it was unbatched."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to {name}, but got "
                           f"input of size: {list(input.shape)}")
    return (input.unsqueeze(0), True) if input.ndim == 3 else (input, False)


def conv2d_arguments(x: Tensor, weight: Tensor, bias: Tensor | None, stride: IntOrPair,
                     padding: IntOrPair | str, dilation: IntOrPair, groups: int
                     ) -> Window:
    """conv2d's checks (PyTorch's messages); the window (kernel_size, dilation, padding,
    stride) for unfold, its padding "same" where asked (conv2d works it out)."""
    same_dtype(x, weight, "conv2d")
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d expects a 4-D weight (out, in/groups, kh, kw), got size "
                           f"{list(weight.shape)}")
    c = x.shape[1]
    out_ch, c_group, kh, kw = weight.shape
    s, d = pair(stride, "stride"), pair(dilation, "dilation")
    p = (0, 0) if isinstance(padding, str) else pair(padding, "padding")
    conv_window_values(weight, s, p, d, groups)
    if out_ch % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} instead")
    if c != c_group * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(x.shape)} to have {c_group * groups} channels, "
                           f"but got {c} channels instead")
    if bias is not None and (tuple(bias.shape) != (out_ch,) or bias.dtype is not x.dtype):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {out_ch} elements, but got bias of size "
                           f"{list(bias.shape)} instead" if tuple(bias.shape) != (out_ch,) else
                           f"Input type ({x.dtype.name}) and bias type ({bias.dtype.name}) "
                           "should be the same")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                             "{'same', 'valid'}")
        if padding == "same" and s != (1, 1):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
    h, w = x.shape[2:]
    eff = (d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1)
    total = (eff[0] - 1, eff[1] - 1) if padding == "same" else (2 * p[0], 2 * p[1])
    if h + total[0] < eff[0] or w + total[1] < eff[1]:
        raise RuntimeError(f"Calculated padded input size per channel: ({h + total[0]} x "
                           f"{w + total[1]}). Kernel size: ({eff[0]} x {eff[1]}). Kernel size "
                           "can't be greater than actual input size")
    return Window((kh, kw), d, "same" if padding == "same" else p, s)  # type: ignore[arg-type]  # conv2d pads for "same"


def conv_window_values(weight: Tensor, stride: tuple[int, ...], padding: tuple[int, ...],
                       dilation: tuple[int, ...], groups: Any,
                        output_padding: tuple[int, ...] = ()) -> None:
    """The convolutions' checks of their numbers, as torch's (its order and messages, with the
    values): padding >= 0, stride, dilation and groups >= 1, a kernel and output channels."""
    int_argument(groups, "groups")
    for name, values, lowest in (("padding", padding, 0), ("output_padding", output_padding, 0),
                                 ("stride", stride, 1), ("dilation", dilation, 1)):
        if values and min(values) < lowest:
            raise RuntimeError(f"{'negative' if lowest == 0 else 'non-positive'} {name} is not "
                               f"supported, but got {name}={shown(values)}")
    if groups < 1:
        raise RuntimeError(f"non-positive groups is not supported, but got groups={groups}")
    if weight.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {list(weight.shape)} instead")
    if min(weight.shape[2:]) < 1:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_size="
                           f"{shown(tuple(weight.shape[2:]))} (weight of size "
                           f"{list(weight.shape)})")


def conv_transpose2d_arguments(x: Tensor, weight: Tensor, bias: Tensor | None,
                               stride: IntOrPair, padding: IntOrPair, output_padding: IntOrPair,
                                groups: int, dilation: IntOrPair
                                ) -> tuple[Window, Pair, Pair, Pair]:
    """conv_transpose2d's checks; the window for fold, the padding, the output padding and the
    size of the uncropped output, (H - 1)*stride + dilation*(kh - 1) + 1."""
    same_dtype(x, weight, "conv_transpose2d")
    if weight.ndim != 4:
        raise RuntimeError(f"conv_transpose2d expects a 4-D weight (in, out/groups, kh, kw), got "
                           f"size {list(weight.shape)}")
    c, (h, w) = x.shape[1], x.shape[2:]
    c_in, c_out_group, kh, kw = weight.shape
    s, p, d = pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")
    op = pair(output_padding, "output_padding")
    conv_window_values(weight, s, p, d, groups, op)
    if c_in % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} instead")
    if c_out_group < 1:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"at least 1 output channel per group (dimension 1)")
    if c != c_in:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {c_in} channels, but got {c} "
                           "channels instead")
    if bias is not None and tuple(bias.shape) != (c_out_group * groups,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"bias to be 1-dimensional with {c_out_group * groups} elements, but "
                           f"got bias of size {list(bias.shape)} instead")
    if any(o >= max(si, di) for o, si, di in zip(op, s, d)):
        raise RuntimeError(
            f"output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {op[0]} output_padding_width: {op[1]} stride_height: "
            f"{s[0]} stride_width: {s[1]} dilation_height: {d[0]} dilation_width: {d[1]}")
    full = tuple((i - 1) * si + di * (k - 1) + 1 for i, si, di, k in zip((h, w), s, d, (kh, kw)))
    if any(f + o - 2 * pi < 0 for f, o, pi in zip(full, op, p)):  # (0 is an empty output)
        raise RuntimeError(f"conv_transpose2d: padding {p} leaves no output for input "
                           f"{list(x.shape)} and kernel {(kh, kw)}")
    return Window((kh, kw), d, (0, 0), s), p, op, full  # type: ignore[return-value]


def single(v: int | Sequence[int], name: str) -> int:
    """An int or a one-element tuple of an int as an int (kernel_size=(3,) means 3)."""
    return int_tuple(v, 1, name)[0]


def conv1d_arguments(input: Tensor, weight: Tensor, bias: Tensor | None, stride: IntOrSingle,
                     padding: IntOrSingle | str, dilation: IntOrSingle, groups: int
                      ) -> tuple[int, Pair | str, int]:
    """conv1d's checks in 1-D terms (PyTorch's messages); the stride, the padding as conv2d
    takes it on a one-row image, and the dilation. conv2d checks the rest."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got "
                           f"input of size: {list(input.shape)}")
    if weight.ndim != 3:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-"
                           f"dimensional weight {list(weight.shape)}, but got {input.ndim}-"
                           f"dimensional input of size {list(input.shape)} instead")
    s, d = single(stride, "stride"), single(dilation, "dilation")
    p = padding if isinstance(padding, str) else single(padding, "padding")
    conv_window_values(weight, (s,), (0,) if isinstance(p, str) else (p,), (d,), groups)
    shape = list(input.shape) if input.ndim == 3 else [1, *input.shape]
    if shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{shape} to have {weight.shape[1] * groups} channels, "
                           f"but got {shape[1]} channels instead")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {weight.shape[0]} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    return s, p if isinstance(p, str) else (0, p), d


def pool_arguments(x: Tensor, name: str, kernel_size: IntOrPair, stride: IntOrPair | None,
                   padding: IntOrPair, dilation: IntOrPair, ceil_mode: bool,
                   divisor_override: int | None = None) -> Window:
    """Pooling's checks (PyTorch's messages); the window (kernel_size, dilation, padding,
    stride; the stride defaults to the kernel size)."""
    not_for(x, name, ("bool",) if name == "max_pool2d" else ("bool", "uint8", "int32"))
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None or stride in ((), []) else pair(stride, "stride")
    p, d = pair(padding, "padding"), pair(dilation, "dilation")
    pool_window_values(k, s, p, d)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:  # so that no window is padding alone
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {p[1]}, padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    if divisor_override is not None:
        int_argument(divisor_override, "divisor_override", name)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero (got divisor_override=0)")
    window = Window(k, d, p, s)
    h, w = x.shape[2:]
    oh, ow = output_size((h, w), *window, ceil_mode=ceil_mode)
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given input size: ({x.shape[1]}x{h}x{w}). Calculated output "
                           f"size: ({x.shape[1]}x{oh}x{ow}). Output size is too small")
    return window


def pool_window_values(kernel_size: tuple[int, ...], stride: tuple[int, ...],
                       padding: tuple[int, ...], dilation: tuple[int, ...]) -> None:
    """Pooling's checks of its numbers, as torch's (with the values): kernel, stride and
    dilation at least 1, padding at least 0."""
    for name, v in (("kernel_size", kernel_size), ("stride", stride), ("padding", padding),
                    ("dilation", dilation)):
        lowest = 0 if name == "padding" else 1
        if min(v) < lowest:
            rule = "be non-negative" if lowest == 0 else "be greater than zero"
            raise RuntimeError(f"{name} should {rule}, but got {name}={shown(v)}")


def shown(v: tuple[int, ...]) -> int | tuple[int, ...]:
    """A 1-D layer's one number as itself, a 2-D layer's pair as a pair (for messages)."""
    return v[0] if len(v) == 1 else v


def pool_batched(input: Tensor, name: str) -> tuple[Tensor, bool]:
    """batched, refusing an input empty along a non-batch dim, as torch's pooling."""
    x, unbatched = batched(input, name)
    nonempty(input, name, range(0 if unbatched else 1, input.ndim))
    return x, unbatched


def nonempty(input: Tensor, name: str, dims: Sequence[int]) -> None:
    """PyTorch's refusal of an input with no elements along one of ``dims`` (the channels or a
    spatial dim; an empty batch is fine)."""
    for i in dims:
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {i} being empty")


def pool1d_arguments(input: Tensor, name: str, kernel_size: IntOrSingle,
                     stride: IntOrSingle | None, padding: IntOrSingle, dilation: IntOrSingle,
                      ceil_mode: bool) -> tuple[int, int, int, int]:
    """1-D pooling's checks (PyTorch's messages); kernel size, stride, padding and dilation."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got:{list(input.shape)}" if name == "max_pool1d" else
            f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument "
            f"#1 'self' (while checking arguments for avg_pool1d)")
    nonempty(input, name, range(input.ndim - 2, input.ndim))
    k = single(kernel_size, "kernel_size")
    s = k if stride is None or stride in ((), []) else single(stride, "stride")
    p, d = single(padding, "padding"), single(dilation, "dilation")
    pool_window_values((k,), (s,), (p,), (d,))
    if p > k // 2:
        raise RuntimeError(
            f"max_pool1d() padding should be at most half of kernel size, but got padding={p} "
            f"and kernel_size={k}" if name == "max_pool1d" else
            f"pad should be at most half of effective kernel size, but got pad={p}, "
            f"kernel_size={k} and dilation={d}")
    length = window_count(input.shape[-1], k, s, p, d, ceil_mode)
    if name == "max_pool1d" and length < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {length}")
    return k, s, p, d


def adaptive_arguments(input: Tensor, output_size: int | Sequence[int | None],
                       name: str = "adaptive_avg_pool2d") -> Pair:
    """Adaptive pooling's checks (PyTorch's messages, with the values): a non-empty image, an
    output size of two ints (or None) at least 0; the output size (None keeps the input's)."""
    not_for(input, name, ("bool", "uint8", "int32", "int64"))
    nonempty(input, name, range(input.ndim - 2, input.ndim))
    sizes = (output_size, output_size) if is_int(output_size) else output_size
    if not isinstance(sizes, (tuple, list)) or not all(o is None or is_int(o) for o in sizes):
        raise TypeError(f"{name}(): argument 'output_size' must be an int or a tuple of ints "
                        f"(or None), but got {output_size!r} ({type(output_size).__name__})")
    if len(sizes) != 2:
        raise RuntimeError(f"{name}: output_size must be 2, but got output_size={output_size!r}")
    sizes = cast(Pair, tuple(n if o is None else o for o, n in zip(sizes, input.shape[-2:])))
    if min(sizes) < 0:
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 "
                           f"but received output_size={sizes}")
    return sizes


def adaptive_max_batched(input: Tensor) -> tuple[Tensor, bool]:
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: "
                           f"{list(input.shape)}")
    nonempty(input, "adaptive_max_pool2d", range(input.ndim - 3, input.ndim))
    return batched(input, "adaptive_max_pool2d")


def not_for(x: Tensor, name: str, refused: tuple[str, ...]) -> None:
    """PyTorch's refusal of a dtype its kernel lacks."""
    if x.dtype.name in refused:
        raise NotImplementedError(f'"{name}" not implemented for \'{x.dtype.torch_name}\'')


def check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def pointwise_loss_arguments(input: Tensor, target: Tensor, reduction: str,
                             weight: Tensor | None = None, kernel: str = "") -> None:
    """The reduction, the weight's shape, a floating-point input or target where torch's
    ``kernel`` needs one, and PyTorch's warning when target broadcasts."""
    check_reduction(reduction)
    if weight is not None and weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")  # (torch's, exactly)
    if kernel and not (input.dtype.is_floating_point or target.dtype.is_floating_point):
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{input.dtype.torch_name}'")
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape!r}) that is different to the input "
                      f"size ({input.shape!r}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", stacklevel=3)


def loss_parameter(op: str, name: str, value: Any, zero_allowed: bool) -> None:
    """A loss's number (smooth_l1_loss's beta, huber_loss's delta): a real number, positive
    (or 0 where ``zero_allowed``), as torch's."""
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{op}(): argument '{name}' must be float, not {type(value).__name__}")
    if value < 0 or (value == 0 and not zero_allowed):
        sign = "negative" if zero_allowed else "non-positive"
        raise RuntimeError(f"{op} does not support {sign} values for {name}.")  # torch's


def kl_div_arguments(input: Tensor, target: Tensor, reduction: str) -> None:
    if not (input.dtype.is_floating_point and target.dtype.is_floating_point):
        raise RuntimeError(f"kl_div: Integral inputs not supported (got input "
                           f"{input.dtype.name} and target {target.dtype.name}).")
    if reduction == "batchmean":
        return
    check_reduction(reduction)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=3)


def class_targets(input: Tensor, target: Tensor, ignore_index: int) -> Tensor | None:
    """Class indices checked against the C classes with one look on the host (a kept index
    outside [0, C) is an IndexError, as torch's); the mask of the kept targets, or None when
    every target counts (none is ``ignore_index``, and there is one)."""
    t = ops.host_values(target, "target check")  # (one trip to the host: mg.transfer_guard)
    ignored = t == ignore_index
    bad = ~ignored & ((t < 0) | (t >= input.shape[1]))
    if bad.any():
        raise IndexError(f"Target {t[bad][0]} is out of bounds.")
    return target != ignore_index if ignored.any() or not t.size else None


def cross_entropy_arguments(input: Tensor, target: Tensor, weight: Tensor | None,
                            ignore_index: int, reduction: str, label_smoothing: float) -> bool:
    """cross_entropy's checks (torch's types and messages, with the values and shapes); whether
    the target holds class probabilities (a target of the input's shape) or class indices.
    A negative label_smoothing is refused too (torch ignores it)."""
    check_reduction(reduction)
    if not isinstance(label_smoothing, numbers.Real):
        raise TypeError(f"cross_entropy(): argument 'label_smoothing' must be float, not "
                        f"{type(label_smoothing).__name__}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    probabilities = tuple(target.shape) == tuple(input.shape)
    if probabilities and not target.dtype.is_floating_point:
        raise RuntimeError(f"Expected floating point type for target with class probabilities, "
                           f"got {target.dtype.torch_name} (a target of the input's shape "
                           f"{list(input.shape)} holds class probabilities)")
    if input.ndim == 0:
        raise IndexError("cross_entropy expects an input of 1 or more dims, (C,) or (N, C, ...), "
                         "but got an input of shape []")
    if not probabilities:
        class_target_arguments(input, target, weight, ignore_index, "cross_entropy")
        return False
    floating(input, "cross_entropy")
    if ignore_index != -100:
        raise RuntimeError(f"ignore_index is not supported for floating point target (got "
                           f"ignore_index={ignore_index!r})")
    class_weight(input, weight, "cross_entropy", same_dtype=False)
    return True


def class_target_arguments(input: Tensor, target: Tensor, weight: Tensor | None,
                           ignore_index: int, name: str) -> None:
    """The checks of class-index targets (nll_loss's, in torch's order, types and messages):
    an int ignore_index, a floating-point input of 1 or more dims, targets of dtype int64 (or
    uint8), one per sample and position, and a weight per class of the input's dtype."""
    int_argument(ignore_index, "ignore_index", name)
    floating(input, name)
    shapes = f"(input of shape {list(input.shape)}, target {list(target.shape)})"
    if input.ndim >= 2 and (target.ndim == 0 or target.shape[0] != input.shape[0]):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0] if target.ndim else 0}) {shapes}.")
    if target.dtype not in (dtypes.int64, dtypes.uint8):
        hint = (f"; class probabilities must have the input's shape {list(input.shape)}"
                if target.dtype.is_floating_point else "")
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{target.dtype.torch_name}{hint}")
    if input.ndim <= 2 and target.ndim > 1:
        raise RuntimeError(f"0D or 1D target tensor expected, multi-target not supported "
                           f"{shapes}")
    if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                         f"{target.shape[0]}")
    expected = (input.shape[0], *input.shape[2:])
    if input.ndim > 2 and tuple(target.shape) != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")
    class_weight(input, weight, name, same_dtype=True)


def class_weight(input: Tensor, weight: Tensor | None, name: str, same_dtype: bool) -> None:
    """A weight per class: shape (C,), and (for class indices) the input's dtype, as torch's."""
    if weight is None:
        return
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    if weight.ndim != 1 or weight.shape[0] != c:
        raise RuntimeError(f"{name}: weight tensor should be defined either for all {c} classes "
                           f"or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    if same_dtype and weight.dtype is not input.dtype:
        raise RuntimeError(f"{name}: expected scalar type {input.dtype.torch_name} but found "
                           f"{weight.dtype.torch_name} (the weight's dtype must be the input's)")


def binary_cross_entropy_arguments(input: Tensor, target: Tensor, weight: Tensor | None,
                                   reduction: str) -> None:
    """binary_cross_entropy's checks (torch's): input and target of one shape and one
    floating-point dtype, every element of each in [0, 1] (NaN is not), a weight that
    broadcasts to them."""
    check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape!r}) that is different to the "
                         f"input size ({input.shape!r}) is deprecated. Please ensure they have "
                         "the same size.")
    if target.dtype is not input.dtype:
        raise RuntimeError(f"binary_cross_entropy: Found dtype {target.dtype.torch_name} but "
                           f"expected {input.dtype.torch_name} (the target's dtype must be the "
                           f"input's)")
    floating(input, "binary_cross_entropy")
    in_range = ops.host_values(ops.stack([((t >= 0) & (t <= 1)).all()
                                          for t in (input, target)]), "bce range check")
    for name, ok in zip(("input", "target"), in_range):  # one look on the host for both
        if not ok:
            raise RuntimeError(f"all elements of {name} should be between 0 and 1")
    weight_expands(weight, input, "weight", "binary_cross_entropy")


def weight_expands(weight: Tensor | None, input: Tensor, name: str, op: str) -> None:
    """A loss's weight must broadcast to the input's shape without widening it (torch's)."""
    if weight is not None and not expands_to(weight, input.shape):
        raise RuntimeError(f"{op}: {name} of size {list(weight.shape)} must broadcast to the "
                           f"input's size {list(input.shape)}")


def bce_with_logits_arguments(input: Tensor, target: Tensor, weight: Tensor | None,
                              reduction: str, pos_weight: Tensor | None) -> None:
    """binary_cross_entropy_with_logits's checks (torch's): one shape, floating-point logits
    and targets, weights that broadcast to them."""
    check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape!r}) must be the same as input size "
                         f"({input.shape!r})")
    floating(input, "log_sigmoid")
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"result type {input.dtype.torch_name} can't be cast to the desired "
                           f"output type {target.dtype.torch_name} (the target of "
                           f"binary_cross_entropy_with_logits must be floating point)")
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        weight_expands(t, input, name, "binary_cross_entropy_with_logits")
