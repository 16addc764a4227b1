"""Backpropagation through a convolution, by hand: the kernel's gradient is a correlation of the
input with the output's gradient; the input's gradient is a full correlation of the output's
gradient with the flipped kernel.

    python lectures/conv_backward.py --out DIR

For y = x * w (PyTorch's convolution is a cross-correlation: y[i, j] = sum over a, b of
w[a, b] x[i + a, j + b]) and a loss L with dL/dy = g:

    dL/dw[a, b] = sum over i, j of g[i, j] x[i + a, j + b]    the input correlated with g
    dL/dx[p, q] = sum over a, b of g[p - a, q - b] w[a, b]    g (zero-padded by k - 1)
                                                             correlated with w flipped

Each formula is computed here with loops over its definition and compared with what
minigrad's autograd gives (the backward of unfold and a matrix product), and with ``fold``:
the input's gradient is the kernel's columns times g, folded back onto the pixels they came
from. With several channels the same holds per pair of input and output channels, summed.
"""

from __future__ import annotations

# %% the imports (common first: it puts the repository root on the path)
import argparse

import common
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F


# %% what the lecture uses
def kernel_gradient_by_loops(x: np.ndarray, g: np.ndarray, k: int) -> np.ndarray:
    """dL/dw[a, b] = sum over output positions (i, j) of g[i, j] x[i + a, j + b]: every output
    pixel saw w[a, b] multiply the input pixel at offset (a, b) of its patch."""
    dw = np.zeros((k, k))
    for a in range(k):
        for b in range(k):
            for i in range(g.shape[0]):
                for j in range(g.shape[1]):
                    dw[a, b] += g[i, j] * x[i + a, j + b]
    return dw


def input_gradient_by_loops(g: np.ndarray, w: np.ndarray, size: tuple[int, int]
                            ) -> np.ndarray:
    """dL/dx[p, q] = sum over kernel offsets (a, b) of g[p - a, q - b] w[a, b]: pixel (p, q) sat
    at offset (a, b) of the patch of output (p - a, q - b), where one exists."""
    k = w.shape[0]
    dx = np.zeros(size)
    for p in range(size[0]):
        for q in range(size[1]):
            for a in range(k):
                for b in range(k):
                    i, j = p - a, q - b
                    if 0 <= i < g.shape[0] and 0 <= j < g.shape[1]:
                        dx[p, q] += g[i, j] * w[a, b]
    return dx


def correlate(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The valid cross-correlation of two 2-D arrays (what conv2d computes), by loops."""
    k0, k1 = w.shape
    out = np.zeros((x.shape[0] - k0 + 1, x.shape[1] - k1 + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (x[i:i + k0, j:j + k1] * w).sum()
    return out


# %% the command line (in a notebook: the defaults)
def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the common flags (``--out DIR`` ...) and this script's own."""
    p = common.parser(__doc__)
    p.add_argument("--size", type=int, default=6, help="the image is SIZE x SIZE (default 6)")
    p.add_argument("--kernel-size", type=int, default=3, help="the kernel is K x K (default 3)")
    return p.parse_args(common.command_line(argv))


# %% the lecture
def main(argv: list[str] | None = None) -> None:
    """Derive both gradients with loops, compare with autograd and fold; draw."""
    args = arguments(argv)
    out = common.start(args)
    n, k = args.size, args.kernel_size
    m = n - k + 1                                             # the output is m x m

    # one channel: an image, a kernel and the output's gradient g = dL/dy (float64)
    x = mg.randn(1, 1, n, n, dtype=mg.float64, requires_grad=True)
    w = mg.randn(1, 1, k, k, dtype=mg.float64, requires_grad=True)
    g = mg.randn(1, 1, m, m, dtype=mg.float64)
    y = F.conv2d(x, w)
    y.backward(g)                                             # autograd: x.grad and w.grad

    xs, ws, gs = x.detach().numpy()[0, 0], w.detach().numpy()[0, 0], g.numpy()[0, 0]
    dw_loops = kernel_gradient_by_loops(xs, gs, k)
    dx_loops = input_gradient_by_loops(gs, ws, (n, n))
    # the same as correlations: x with g; g padded by k - 1 with the kernel turned by 180 deg
    dw_corr = correlate(xs, gs)
    dx_corr = correlate(np.pad(gs, k - 1), ws[::-1, ::-1])
    # and with fold: each output's gradient times the kernel, put back on its patch's pixels
    cols = w.detach().reshape(k * k, 1) @ g.reshape(1, m * m)            # (k*k, m*m)
    dx_fold = F.fold(cols.unsqueeze(0), output_size=(n, n), kernel_size=k)

    def worst(a: np.ndarray, b: object) -> float:
        return float(np.abs(a - common.array(b)).max())

    print(f"x {n}x{n}, kernel {k}x{k}, output {m}x{m}; g = dL/dy drawn at random (float64)")
    print(f"dL/dw: max |loops - autograd| = {worst(dw_loops, w.grad[0, 0]):.1e}, "
          f"max |corr(x, g) - autograd| = {worst(dw_corr, w.grad[0, 0]):.1e}")
    print(f"dL/dx: max |loops - autograd| = {worst(dx_loops, x.grad[0, 0]):.1e}, "
          f"max |full corr(g, flipped w) - autograd| = {worst(dx_corr, x.grad[0, 0]):.1e}, "
          f"max |fold(w g) - autograd| = {worst(dx_fold.numpy()[0, 0], x.grad[0, 0]):.1e}")
    unflipped = worst(correlate(np.pad(gs, k - 1), ws), x.grad[0, 0])
    print(f"without the flip: max |full corr(g, w) - autograd| = {unflipped:.2f} (wrong)")

    # several channels: per pair (input channel c, output channel o), then summed over o / n
    xc = mg.randn(2, 3, n, n, dtype=mg.float64, requires_grad=True)     # N=2, C_in=3
    wc = mg.randn(4, 3, k, k, dtype=mg.float64, requires_grad=True)     # C_out=4
    gc = mg.randn(2, 4, m, m, dtype=mg.float64)
    F.conv2d(xc, wc).backward(gc)
    xa, wa, ga = xc.detach().numpy(), wc.detach().numpy(), gc.numpy()
    dw_all = np.array([[sum(correlate(xa[b, c], ga[b, o]) for b in range(2)) for c in range(3)]
                       for o in range(4)])                      # (C_out, C_in, k, k)
    dx_all = np.array([[sum(correlate(np.pad(ga[b, o], k - 1), wa[o, c, ::-1, ::-1])
                            for o in range(4)) for c in range(3)] for b in range(2)])
    print(f"2 images, 3 -> 4 channels: max |dL/dW by correlations - autograd| = "
          f"{worst(dw_all, wc.grad):.1e}, max |dL/dX - autograd| = {worst(dx_all, xc.grad):.1e}")

    fig, ax = common.mosaic("xwgy;pkfd")
    common.show(ax["x"], xs, f"input x ({n}x{n})", cmap="Greys", numbers=".1f")
    common.show_signed(ax["w"], ws, f"kernel w ({k}x{k})", numbers=".1f")
    common.show_signed(ax["g"], gs, f"g = dL/dy ({m}x{m})", numbers=".1f")
    common.show_signed(ax["y"], dw_loops, "dL/dw = corr(x, g)\n(loops = autograd)",
                       numbers=".1f")
    common.show_signed(ax["p"], np.pad(gs, k - 1), f"g zero-padded by k - 1 = {k - 1}",
                       numbers=".1f")
    common.show_signed(ax["k"], ws[::-1, ::-1], "w flipped (turned 180 degrees)",
                       numbers=".1f")
    common.show_signed(ax["f"], dx_loops, "dL/dx = full corr(g, flipped w)\n(loops = "
                       "autograd = fold)", numbers=".1f")
    common.show_signed(ax["d"], x.grad[0, 0].numpy() - correlate(np.pad(gs, k - 1), ws),
                       "autograd - full corr(g, w):\nforgetting the flip is wrong",
                       numbers=".1f")
    common.save(fig, out, "conv_backward", args.dpi)


# %% run it
if __name__ == "__main__":
    main()
