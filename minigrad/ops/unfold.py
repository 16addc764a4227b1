"""unfold (im2col) and fold (col2im): the primitive under convolution and pooling.

Slide a kh x kw window over an image with some stride, dilation and zero padding: ``unfold``
copies the window at each of its L positions into one column, so a batch of images
(N, C, H, W) becomes columns (N, C*kh*kw, L). A convolution is then one matrix product with
the kernels; max pooling is a max over each window, average pooling a mean. ``fold`` is the
adjoint: it adds each column's entries back onto the pixels they came from (a pixel covered
by several windows gets the sum), so each is the other's backward.

The arrays are made by ``im2col`` and ``col2im`` below: one strided slice per kernel offset,
(N, C, H, W) throughout, on any Array API library whose arrays can be written to (NumPy, CuPy,
array-api-strict). A backend may have faster versions of
``Unfold`` and ``Fold`` (other memory layouts, compiled kernels) in its fast table, tested
equal to these.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, NamedTuple

from minigrad.autograd import Function

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

Pair = tuple[int, int]


class Window(NamedTuple):
    """A sliding window's geometry, in unfold's argument order: ``unfold(x, *window)``."""

    kernel_size: Pair
    dilation: Pair = (1, 1)
    padding: Pair = (0, 0)
    stride: Pair = (1, 1)


# ---- the window's geometry: output size, argument checks ------------------------------------
def window_count(size: int, kernel: int, stride: int, padding: int, dilation: int = 1,
                 ceil_mode: bool = False) -> int:
    """How many positions a window takes along one axis: floor((n + 2p - d(k-1) - 1) / s) + 1.

    In ceil mode (pooling) the division rounds up, but a last window must still start inside
    the input or its left padding, as PyTorch's.
    """
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    count = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (count - 1) * stride >= size + padding:
        count -= 1
    return count


def output_size(size: tuple[int, ...], kernel_size: Pair, dilation: Pair, padding: Pair,
                stride: Pair, ceil_mode: bool = False) -> Pair:
    """Output height and width of a sliding window over an image of height and width ``size``."""
    return tuple(  # type: ignore[return-value]
        window_count(n, k, s, p, d, ceil_mode)
        for n, k, d, p, s in zip(size, kernel_size, dilation, padding, stride))


def offset_slices(i: int, j: int, window: Window, out: Pair) -> tuple[slice, slice]:
    """The rows and columns of the padded image that kernel offset (i, j) reads in all ``out``
    window positions: rows i*d, i*d + s, ..., and the same for columns."""
    (dh, dw), (sh, sw), (oh, ow) = window.dilation, window.stride, out
    return (slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def is_int(v: Any) -> bool:
    """Whether ``v`` is an integer as PyTorch's argument parser takes one (not a bool)."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def int_tuple(v: Any, n: int | None, name: str) -> tuple[int, ...]:
    """An int or a tuple (list) of ints as a tuple of ``n`` ints (3 and (3,) mean (3,) * n);
    with ``n`` None, of any length (an int is a tuple of one).

    Anything else is refused as torch's argument parser refuses it: a float, a str or None is a
    TypeError, a tuple of the wrong length a RuntimeError, each naming the argument and value.
    """
    t = (v,) if is_int(v) else v
    if not isinstance(t, (tuple, list)) or not all(is_int(i) for i in t):
        raise TypeError(f"argument '{name}' must be an int or a tuple of ints, but got {v!r} "
                        f"({type(v).__name__})")
    if n is None:
        return tuple(int(i) for i in t)
    t = tuple(int(i) for i in t) * (n if len(t) == 1 else 1)
    if len(t) != n:
        raise RuntimeError(f"{name} must either be a single int, or a tuple of {n} ints, but got "
                           f"{name}={v!r}")
    return t


def pair(v: Any, name: str) -> Pair:
    """An int or a pair of ints as a pair (kernel_size=3 and (3,) mean (3, 3))."""
    return int_tuple(v, 2, name)  # type: ignore[return-value]


def window_arguments(kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> Window:
    """The four window arguments as checked pairs (kernel, dilation, stride >= 1, padding >= 0),
    with PyTorch's messages for unfold (RuntimeError), naming each argument and its value."""
    window = Window(pair(kernel_size, "kernel_size"), pair(dilation, "dilation"),
                    pair(padding, "padding"), pair(stride, "stride"))
    for name, lowest in (("kernel_size", 1), ("dilation", 1), ("padding", 0), ("stride", 1)):
        (h, w) = getattr(window, name)
        if min(h, w) < lowest:
            short = name.split("_")[0]
            rule = "be non-negative" if lowest == 0 else "be greater than zero"
            raise RuntimeError(f"{name} should {rule}, but got {short}_height: {h} "
                               f"{short}_width: {w}")
    return window


# ---- im2col and col2im on arrays ----------------------------------------------------------------
def im2col(xp: Any, x: Any, kernel_size: Pair, dilation: Pair, padding: Pair, stride: Pair
           ) -> Any:
    """Sliding blocks of an (N, C, H, W) image as columns (N, C*kh*kw, L), as torch's unfold.

    Kernel offset (i, j) of every block reads one strided slice of the zero-padded image, so
    kh*kw slices fill all the columns.
    """
    window = Window(kernel_size, dilation, padding, stride)
    n, c, h, w = x.shape
    (kh, kw), (ph, pw) = kernel_size, padding
    oh, ow = output_size((h, w), *window)
    image = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    image[:, :, ph:ph + h, pw:pw + w] = x
    cols = xp.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = offset_slices(i, j, window, (oh, ow))
            cols[:, :, i, j, ...] = image[:, :, rows, columns]
    return xp.reshape(cols, (n, c * kh * kw, oh * ow))


def col2im(xp: Any, cols: Any, size: Pair, kernel_size: Pair, dilation: Pair, padding: Pair,
           stride: Pair) -> Any:
    """Columns (N, C*kh*kw, L) summed back into an (N, C, H, W) image, as torch's fold: the
    same slices as im2col, each added onto the pixels it was read from."""
    window = Window(kernel_size, dilation, padding, stride)
    (h, w), (kh, kw), (ph, pw) = size, kernel_size, padding
    oh, ow = output_size((h, w), *window)
    n, c = cols.shape[0], cols.shape[1] // (kh * kw)
    blocks = xp.reshape(cols, (n, c, kh, kw, oh, ow))
    image = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = offset_slices(i, j, window, (oh, ow))
            image[:, :, rows, columns] = image[:, :, rows, columns] + blocks[:, :, i, j, ...]
    return image[:, :, ph:ph + h, pw:pw + w]


# ---- the differentiable ops ---------------------------------------------------------------------
class Unfold(Function):
    """im2col: the sliding blocks of an image as columns. Shape: (N, C, H, W) -> (N, C*kh*kw, L)."""

    def forward(self, x: Any, *, kernel_size: Pair, dilation: Pair, padding: Pair,
                stride: Pair) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.window = Window(kernel_size, dilation, padding, stride)
        return im2col(self.xp, x, kernel_size, dilation, padding, stride)

    # unfold copies each pixel into every block that covers it: fold sums the copies back
    def backward(self, g: Tensor) -> Tensor:
        return Fold.apply(g, output_size=tuple(self.inputs[0].shape[2:]),
                          **self.window._asdict())


class Fold(Function):
    """col2im: sum columns of blocks back into an image. Shape: (N, C*kh*kw, L) -> (N, C, H, W)."""

    def forward(self, cols: Any, *, output_size: Pair, kernel_size: Pair, dilation: Pair,
                padding: Pair, stride: Pair) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.window = Window(kernel_size, dilation, padding, stride)
        return col2im(self.xp, cols, output_size, kernel_size, dilation, padding, stride)

    # fold sums blocks into pixels: each block position reads its pixel's gradient (unfold)
    def backward(self, g: Tensor) -> Tensor:
        return Unfold.apply(g, **self.window._asdict())


# ---- Tensor-level entry points ------------------------------------------------------------------
def unfold(input: Tensor, kernel_size: int | Pair, dilation: int | Pair = 1,
           padding: int | Pair = 0, stride: int | Pair = 1) -> Tensor:
    """Extract sliding blocks as columns, as torch.nn.functional.unfold.

    Shape: (N, C, H, W) -> (N, C*kh*kw, L), L = oh*ow with
    o = floor((n + 2*padding - dilation*(k-1) - 1) / stride) + 1.
    """
    if input.ndim not in (3, 4):
        raise RuntimeError(f"unfold expects a 3-D or 4-D input (N, C, H, W), got shape "
                           f"{tuple(input.shape)}")
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    window = window_arguments(kernel_size, dilation, padding, stride)
    out = output_size(input.shape[2:], *window)
    if min(out) < 1:
        raise RuntimeError(
            f"unfold: the kernel {window.kernel_size} with dilation {window.dilation} "
            f"and padding {window.padding} does not fit the input of shape "
            f"{tuple(input.shape)} (output size {out})")
    return Unfold.apply(input, **window._asdict())


def fold(input: Tensor, output_size: int | Pair, kernel_size: int | Pair,
         dilation: int | Pair = 1, padding: int | Pair = 0, stride: int | Pair = 1) -> Tensor:
    """Sum columns of sliding blocks back into an image, as torch.nn.functional.fold.

    Shape: (N, C*kh*kw, L) -> (N, C, H, W) with (H, W) = output_size.
    """
    if input.ndim not in (2, 3):
        raise RuntimeError(f"fold expects a 2-D or 3-D input (N, C*kh*kw, L), got shape "
                           f"{tuple(input.shape)}")
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding,
                    stride).squeeze(0)
    window = window_arguments(kernel_size, dilation, padding, stride)
    size = pair(output_size, "output_size")
    _check_fold(input, size, window)
    return Fold.apply(input, output_size=size, **window._asdict())


def _check_fold(cols: Tensor, size: Pair, window: Window) -> None:
    """The columns must hold C*kh*kw rows and one column per block position."""
    kh, kw = window.kernel_size
    oh, ow = output_size(size, *window)
    if cols.shape[1] % (kh * kw):
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={cols.shape[1]} and kernel_size={(kh, kw)}")
    if oh < 1 or ow < 1 or cols.shape[2] != oh * ow:
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={(kh, kw)}, dilation="
            f"{window.dilation}, padding={window.padding}, stride="
            f"{window.stride}, expected size of input's dimension 2 to match the "
            f"calculated number of sliding blocks {oh} * {ow} = {oh * ow}, but got "
            f"input.size(2)={cols.shape[2]}.")
