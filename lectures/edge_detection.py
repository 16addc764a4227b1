"""One convolution is enough for simple image processing: edge detection.

    python lectures/edge_detection.py --out DIR

The kernel [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]] compares each pixel with its eight
neighbours. Its weights sum to zero, so on a flat region (all nine pixels alike) the answer is
zero, and where the brightness changes (an edge) the answer is large. Shown on a photograph
(one of scikit-learn's two bundled sample images) and on a handwritten digit.
"""

from __future__ import annotations

# %% the imports (common first: it puts the repository root on the path)
import argparse

import common

import minigrad as mg
import minigrad.nn.functional as F

# %% what the lecture uses
LAPLACIAN = [[-1.0, -1.0, -1.0],
             [-1.0, 8.0, -1.0],
             [-1.0, -1.0, -1.0]]


def photograph(name: str) -> mg.Tensor:
    """A bundled sample photograph in gray, halved in size (2x2 average pooling): (1, 1, H, W)
    with values in [0, 1]."""
    from sklearn.datasets import load_sample_image

    rgb = mg.tensor(load_sample_image(name)).float() / 255.0   # (H, W, 3)
    gray = rgb.mean(dim=2).reshape(1, 1, *rgb.shape[:2])
    return F.avg_pool2d(gray, 2)


def local_range(image: mg.Tensor) -> mg.Tensor:
    """Largest minus smallest pixel of every 3x3 patch: 0 where the patch is flat."""
    return F.max_pool2d(image, 3, stride=1) + F.max_pool2d(-image, 3, stride=1)


def flat_and_edges(image: mg.Tensor, response: mg.Tensor) -> tuple[float, float]:
    """The mean size of the response on flat patches (range below 0.02) and on the 10% of
    patches where the brightness changes most."""
    spread = local_range(image).flatten()
    size = response.abs().flatten()
    flat = spread < 0.02
    edges = spread >= spread.sort().values[int(0.9 * len(spread))]
    return size[flat].mean().item(), size[edges].mean().item()


def parse_kernel(text: str) -> list[list[float]]:
    """Nine numbers, row by row ("-1,-1,-1,-1,8,-1,-1,-1,-1"), as a 3x3 list."""
    values = [float(v) for v in text.split(",")]
    if len(values) != 9:
        raise ValueError(f"--kernel needs 9 numbers, got {len(values)}")
    return [values[0:3], values[3:6], values[6:9]]


# %% the command line (in a notebook: the defaults)
def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the common flags (``--out DIR`` ...) and this script's own."""
    p = common.parser(__doc__)
    p.add_argument("--image", default="china.jpg", choices=["china.jpg", "flower.jpg"],
                   help="which bundled photograph (default: china.jpg)")
    p.add_argument("--kernel", type=parse_kernel, default=LAPLACIAN, metavar="K1,...,K9",
                   help="the 3x3 kernel, nine numbers row by row (try a blur: --kernel "
                        "1,1,1,1,1,1,1,1,1, or vertical edges: --kernel=-1,0,1,-2,0,2,-1,0,1; "
                        "with '=' when the first number is negative)")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="a folder with MNIST's IDX files, to filter one of its 28x28 digits "
                        "(default: from minigrad's download cache if there, else "
                        "scikit-learn's 8x8 digits)")
    return p.parse_args(common.command_line(argv))


# %% the lecture
def main(argv: list[str] | None = None) -> None:
    """Filter the photograph and a digit; measure flat regions and edges; draw."""
    args = arguments(argv)
    out = common.start(args)
    kernel = mg.tensor(args.kernel).reshape(1, 1, 3, 3)

    photo = photograph(args.image)
    digit, what = common.a_digit(args.data_dir)          # (1, 1, 28, 28), values in [0, 1]
    results = {}
    responses = {}
    for name, image in (("photo", photo), ("digit", digit)):
        response = F.conv2d(image, kernel)               # no padding: inner pixels only
        responses[name] = response
        flat, edges = flat_and_edges(image, response)
        results[name] = (flat, edges)
        print(f"{name} {list(image.shape[2:])}: mean |response| on flat patches {flat:.3f}, "
              f"on edges {edges:.3f}")

    fig, ax = common.mosaic("pPb;dDb", width_ratios=[1, 1, 0.6])
    common.show(ax["p"], photo[0, 0], f"{args.image} (gray)")
    common.show(ax["d"], digit[0, 0], what.replace(" (", "\n("))
    for key, name in (("P", "photo"), ("D", "digit")):
        size = responses[name][0, 0].abs()
        top = size.flatten().sort().values[int(0.99 * size.numel())].item()
        common.show(ax[key], size, "|response| (white: large)", vmin=0, vmax=top)
    names = list(results)
    ax["b"].bar([n + "\nflat" for n in names], [results[n][0] for n in names], color="tab:blue")
    ax["b"].bar([n + "\nedges" for n in names], [results[n][1] for n in names],
                color="tab:orange")
    ax["b"].set_title("mean |response|")
    common.save(fig, out, "edge_detection", args.dpi)


# %% run it
if __name__ == "__main__":
    main()
