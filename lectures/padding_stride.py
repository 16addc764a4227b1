"""Padding, stride and loss of information; and the other kinds of convolution (groups,
dilation, transposed) "for your own research".

    python lectures/padding_stride.py --out DIR

Without padding a k x k kernel fits H - k + 1 times across H pixels, so every layer shrinks the
image, and a border pixel is seen by fewer patches than a central one. ``padding`` adds lines
of zeros around the image: ``padding = kernel_size // 2`` (odd kernels) keeps the size.
``stride`` jumps over positions: stride 2 halves the size. In general
out = floor((H + 2 * padding - kernel_size) / stride) + 1.

Dilation spreads the kernel's taps apart (a 3x3 kernel with dilation 2 sees a 5x5 area with
holes); groups split the channels, each output channel seeing only its group's inputs. A
transposed convolution goes the other way, from small to large (upsampling): it is the adjoint
of a convolution, exactly what backpropagation through conv2d computes for its input.
"""

from __future__ import annotations

# %% the imports (common first: it puts the repository root on the path)
import argparse

import common

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

# %% what the lecture uses
KERNELS, PADDINGS, STRIDES = (3, 5), (0, 1, 2), (1, 2)


def formula(size: int, kernel_size: int, padding: int, stride: int) -> int:
    """The output size of a convolution (dilation 1)."""
    return (size + 2 * padding - kernel_size) // stride + 1


def coverage(size: int, kernel_size: int, padding: int, stride: int) -> mg.Tensor:
    """How many of the convolution's patches see each input pixel: the gradient of the sum of
    all outputs of a kernel of ones, with respect to the input."""
    x = mg.zeros(1, 1, size, size, requires_grad=True)
    ones = mg.ones(1, 1, kernel_size, kernel_size)
    F.conv2d(x, ones, padding=padding, stride=stride).sum().backward()
    return x.grad[0, 0]


def sees(x: mg.Tensor, y: mg.Tensor, unit: tuple[int, ...]) -> mg.Tensor:
    """Which entries of ``x`` the outputs ``y[unit]`` depend on: the size of the gradient of
    their sum with respect to ``x``."""
    (grad,) = mg.autograd.grad(y[unit].sum(), x, retain_graph=True)
    return grad.abs()


# %% the command line (in a notebook: the defaults)
def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the common flags (``--out DIR`` ...) and this script's own."""
    p = common.parser(__doc__)
    p.add_argument("--size", type=int, default=28, help="input height and width (default 28)")
    return p.parse_args(common.command_line(argv))


# %% the lecture
def main(argv: list[str] | None = None) -> None:
    """Output sizes, what the border contributes, dilation, groups, transposed conv; draw."""
    args = arguments(argv)
    out = common.start(args)

    # ---- output sizes, measured on real layers, beside the formula --------------------------
    sizes = {}
    print(f"output size of nn.Conv2d(1, 1, kernel_size, padding, stride) on {args.size}x"
          f"{args.size}")
    print("kernel  padding  stride  measured  formula")
    x = mg.zeros(1, 1, args.size, args.size)
    for k in KERNELS:
        for pad in PADDINGS:
            for s in STRIDES:
                measured = nn.Conv2d(1, 1, kernel_size=k, padding=pad, stride=s)(x).shape[-1]
                sizes[k, pad, s] = measured
                expected = formula(args.size, k, pad, s)
                print(f"{k:>6}  {pad:>7}  {s:>6}  {measured:>8}  {expected:>7}")
    mismatches = sum(m != formula(args.size, *key) for key, m in sizes.items())
    lecture = nn.Conv2d(in_channels=16, out_channels=32, kernel_size=3, padding=1, stride=2)
    shape = lecture(mg.zeros(1, 16, 32, 32)).shape
    print(f"{mismatches} sizes differ from the formula")
    print(f"the lecture's nn.Conv2d(16, 32, kernel_size=3, padding=1, stride=2): "
          f"[1, 16, 32, 32] -> {list(shape)}")

    # ---- why kernels are odd: an odd kernel has a centre, an even one cannot stay centred ----
    impulse = mg.zeros(1, 1, 9, 9)
    impulse[0, 0, 4, 4] = 1.0
    for k in (3, 4):
        answer = F.conv2d(impulse, mg.ones(1, 1, k, k), padding="same")[0, 0]
        rows, cols = (answer > 0).nonzero().unbind(1)   # where the impulse is felt
        centre = ((rows.min() + rows.max()).item() / 2, (cols.min() + cols.max()).item() / 2)
        print(f"kernel {k}x{k}, padding='same' ({(k - 1) // 2} before, {k // 2} after): an "
              f"impulse at (4, 4) answers over rows {rows.min().item()}-{rows.max().item()}, "
              f"centred at {centre}")

    # ---- what the border pixels contribute ---------------------------------------------------
    cases = [(3, 0, 1), (3, 1, 1), (3, 1, 2), (2, 0, 3)]
    maps = {case: coverage(8, *case) for case in cases}
    print("patches that see each pixel of an 8x8 image (kernel, padding, stride):")
    for (k, pad, s), seen in maps.items():
        print(f"  k={k} p={pad} s={s}: corner {seen[0, 0].item():.0f}, centre "
              f"{seen[4, 4].item():.0f}, pixels never seen {(seen == 0).sum().item()}")

    # ---- dilation and groups: what the kernel sees ------------------------------------------
    x = mg.randn(1, 1, 9, 9, requires_grad=True)
    dilated = nn.Conv2d(1, 1, kernel_size=3, dilation=2)
    footprint = sees(x, dilated(x), (0, 0, 2, 2))[0, 0]
    height, width = common.extent(footprint)
    print(f"dilation 2: one output of a 3x3 kernel reaches over {height}x{width} pixels, "
          f"{(footprint > 0).sum().item()} of them used")
    grouped = nn.Conv2d(4, 4, kernel_size=3, groups=2)
    x4 = mg.randn(1, 4, 6, 6, requires_grad=True)
    y4 = grouped(x4)
    links = mg.stack([sees(x4, y4, (0, o)).sum(dim=(0, 2, 3)) > 0 for o in range(4)]).float()
    print(f"groups=2: weight {list(grouped.weight.shape)}; output channel o sees input "
          f"channels {[[c for c in range(4) if links[o, c].item()] for o in range(4)]}")

    # ---- transposed convolution: upsampling, and the adjoint of conv2d -----------------------
    up = nn.ConvTranspose2d(1, 1, kernel_size=2, stride=2, bias=False)
    small = mg.tensor([[[[1.0, 2.0], [0.0, -1.0]]]])
    with mg.no_grad():  # each input pixel stamps the kernel, scaled, on its 2x2 block
        up.weight.copy_(mg.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
        big = up(small)
    print(f"nn.ConvTranspose2d(1, 1, kernel_size=2, stride=2): {list(small.shape)} -> "
          f"{list(big.shape)}; each input pixel times the kernel: {big[0, 0].int().tolist()}")
    w = mg.randn(1, 1, 3, 3)
    x = mg.randn(1, 1, 9, 9, requires_grad=True)
    y = F.conv2d(x, w, stride=2, padding=1)                      # 9x9 -> 5x5
    g = mg.randn(*y.shape)                                      # any gradient of the output
    (by_autograd,) = mg.autograd.grad(y, x, grad_outputs=g)     # backprop through conv2d
    transposed = F.conv_transpose2d(g, w, stride=2, padding=1)  # 5x5 -> 9x9
    adjoint = (by_autograd - transposed).abs().max().item()
    print(f"max |d(conv2d)/d(input) applied to g - conv_transpose2d(g)| = {adjoint:.1e}")
    # the same with g = 1 at one output: both put the kernel on the patch that output read
    w_seen = mg.arange(1, 10).float().reshape(1, 1, 3, 3)
    one = mg.zeros(*y.shape)
    one[0, 0, 2, 3] = 1.0
    (one_by_autograd,) = mg.autograd.grad(F.conv2d(x, w_seen, stride=2, padding=1), x,
                                          grad_outputs=one)
    one_transposed = F.conv_transpose2d(one, w_seen, stride=2, padding=1)

    # ---- figures ---------------------------------------------------------------------------
    fig, ax = common.mosaic("Aab;Bcd")
    for key, s in (("A", 1), ("B", 2)):
        grid = mg.tensor([[sizes[k, pad, s] for pad in PADDINGS] for k in KERNELS])
        common.show(ax[key], grid, f"output size, stride {s} (input {args.size})",
                    cmap="Blues", numbers=".0f", vmin=0, vmax=args.size)
        ax[key].set_xticks(range(len(PADDINGS)), [f"pad {v}" for v in PADDINGS])
        ax[key].set_yticks(range(len(KERNELS)), [f"k {v}" for v in KERNELS])
    for key, (case, seen) in zip("abcd", maps.items()):
        common.show(ax[key], seen, "patches seeing each pixel:\nk={}, padding {}, stride {}"
                    .format(*case), cmap="viridis", numbers=".0f", vmin=0, vmax=9)
    common.save(fig, out, "padding_stride", args.dpi)

    fig, ax = common.mosaic("dgsKb;wGATt")
    ax["t"].axis("off")
    ax["t"].text(0, 0.5, "backprop puts the kernel\nback on the patch that\noutput read, "
                 "times\nits gradient: that is\nthe transposed convolution", va="center")
    common.show(ax["d"], footprint > 0, "dilation 2: the 9 pixels\none 3x3 output reads",
                cmap="Blues", vmin=0, vmax=1.6)
    common.pixel_grid(ax["d"], *footprint.shape)
    common.show(ax["g"], links, "groups=2: output (row)\nsees input (column)",
                cmap="Blues", numbers=".0f", vmin=0, vmax=1.6)
    ax["g"].set(xlabel="input channel", ylabel="output channel")
    common.show(ax["s"], small[0, 0], "transposed, stride 2:\ninput 2x2", cmap="RdBu_r",
                numbers=".0f", vmin=-8, vmax=8)
    common.show(ax["K"], up.weight[0, 0], "kernel 2x2", cmap="RdBu_r", numbers=".0f",
                vmin=-8, vmax=8)
    common.show(ax["b"], big[0, 0], "output 4x4: each input\npixel times the kernel",
                cmap="RdBu_r", numbers=".0f", vmin=-8, vmax=8)
    for line in (1.5,):
        ax["b"].axhline(line, color="k")
        ax["b"].axvline(line, color="k")
    common.show(ax["w"], w_seen[0, 0], "conv2d kernel 3x3,\nstride 2, padding 1",
                cmap="Blues", numbers=".0f", vmin=0, vmax=12)
    common.show(ax["G"], one[0, 0], "gradient of the 5x5\noutput: 1 at (2, 3)", cmap="Blues",
                numbers=".0f", vmin=0, vmax=1.6)
    common.show(ax["A"], one_by_autograd[0, 0], "autograd: gradient\nof the 9x9 input",
                cmap="Blues", numbers=".0f", vmin=0, vmax=12)
    common.show(ax["T"], one_transposed[0, 0], "conv_transpose2d: the same\n"
                f"(random g: max diff {adjoint:.0e})", cmap="Blues", numbers=".0f",
                vmin=0, vmax=12)
    common.save(fig, out, "conv_kinds", args.dpi)


# %% run it
if __name__ == "__main__":
    main()
