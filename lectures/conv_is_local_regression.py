"""A convolution is one small linear regression applied to every patch of the image.

    python lectures/conv_is_local_regression.py --out DIR

``nn.Conv2d(1, 1, kernel_size=2)`` holds the parameters of one linear regression on 2x2 = 4
pixels: ``weight`` (4 numbers, shaped 1x1x2x2) and ``bias``. ``F.unfold`` cuts the image into
all its 2x2 patches, one column each; the regression on every patch at once is a matrix product
``weight.flatten() @ patches + bias``; reshaped to the grid of patch positions, it is exactly
the layer's output.
"""

from __future__ import annotations

# %% the imports (common first: it puts the repository root on the path)
import argparse

import common

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


# %% what the lecture uses
def regression_on_each_patch(x: mg.Tensor, weight: mg.Tensor, bias: mg.Tensor) -> mg.Tensor:
    """The same linear regression ``w . patch + b`` on every k x k patch of a 2-D image,
    written as two loops over the positions: the definition, with nothing hidden."""
    k = weight.shape[0]
    rows, cols = x.shape[0] - k + 1, x.shape[1] - k + 1
    return mg.tensor([[((weight * x[i:i + k, j:j + k]).sum() + bias).item()
                       for j in range(cols)] for i in range(rows)])


# %% the command line (in a notebook: the defaults)
def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the common flags (``--out DIR`` ...) and this script's own."""
    p = common.parser(__doc__)
    p.add_argument("--size", type=int, default=5, help="the image is SIZE x SIZE (default 5)")
    p.add_argument("--kernel-size", type=int, default=2, help="patch size (default 2)")
    return p.parse_args(common.command_line(argv))


# %% the lecture
def main(argv: list[str] | None = None) -> None:
    """Compare the layer with the patch-wise regression (loops, and unfold + matmul); draw."""
    args = arguments(argv)
    out = common.start(args)
    k = args.kernel_size

    model = nn.Conv2d(1, 1, kernel_size=k)                 # the lecture's layer
    x = mg.randint(0, 10, (1, 1, args.size, args.size)).float()  # one small grayscale image
    with mg.no_grad():
        layer_out = model(x)                                # (1, 1, size-k+1, size-k+1)

        # 1. unfold: every k x k patch becomes one column of k*k pixels
        patches = F.unfold(x, kernel_size=k)                # (1, k*k, number of patches)
        # 2. one linear regression on every column: weights (k*k) times patches, plus bias
        w, b = model.weight.flatten(), model.bias
        scores = w @ patches[0] + b                         # (number of patches,)
        # 3. back to the grid of patch positions
        by_unfold = scores.reshape(layer_out.shape)
        by_loops = regression_on_each_patch(x[0, 0], model.weight[0, 0], model.bias[0])

    unfold_error = (by_unfold - layer_out).abs().max().item()
    loop_error = (by_loops - layer_out[0, 0]).abs().max().item()
    print(f"nn.Conv2d(1, 1, kernel_size={k}): weight {list(model.weight.shape)}, "
          f"bias {list(model.bias.shape)}")
    print(f"  w = {[round(v, 3) for v in w.tolist()]}, b = {b.item():.3f}")
    print(f"unfold: {patches.shape[2]} patches of {patches.shape[1]} pixels, "
          f"shape {list(patches.shape)}")
    print(f"max |conv(x) - reshape(w @ patches + b)| = {unfold_error:.1e}")
    print(f"max |conv(x) - loops of w . patch + b|   = {loop_error:.1e}")
    print("first patch", [int(v) for v in patches[0, :, 0].tolist()],
          f"-> w . patch + b = {scores[0].item():.3f} = output[0, 0] "
          f"{layer_out[0, 0, 0, 0].item():.3f}")

    fig, ax = common.mosaic("iwo;ppp", height_ratios=[1.4, 1])
    common.show(ax["i"], x[0, 0], f"input {args.size}x{args.size}", cmap="Blues", numbers=".0f")
    common.box(ax["i"], 0, 0, k, k, color="red")
    common.show_signed(ax["w"], model.weight[0, 0],
                       f"weight {k}x{k}, bias {b.item():.2f}\n(one linear regression)",
                       numbers=".2f")
    common.show(ax["o"], layer_out[0, 0], "conv(x) = w . patch + b at every patch",
                cmap="viridis", numbers=".2f")
    common.box(ax["o"], 0, 0, 1, 1, color="red")
    common.show(ax["p"], patches[0], f"F.unfold(x, {k}): one column per patch "
                "(first one in red); below each, w . patch + b", cmap="Blues", numbers=".0f",
                aspect="auto")
    common.box(ax["p"], 0, 0, patches.shape[1], 1, color="red")
    ax["p"].set_xticks(range(patches.shape[2]), [f"{v:.2f}" for v in scores.tolist()], rotation=90)
    common.save(fig, out, "conv_is_local_regression", args.dpi)


# %% run it
if __name__ == "__main__":
    main()
