"""Train a tiny MLP on two interleaving half-moons with nothing but minigrad's core.

Every line of the training loop is visible: parameters are plain tensors with
``requires_grad=True``, the loss is written by hand, and the update runs under ``no_grad``.

    python demos/two_moons.py                 # CPU
    python demos/two_moons.py --device cuda   # the same on a GPU (needs CuPy)
"""

from __future__ import annotations

import argparse
import math

import numpy as np

import minigrad as mg


def make_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points on two interleaving half circles (class 0 and 1), with Gaussian noise."""
    half = n // 2
    angle = rng.uniform(0, math.pi, n)
    upper = np.stack([np.cos(angle[:half]), np.sin(angle[:half])], axis=1)
    lower = np.stack([1 - np.cos(angle[half:]), 0.5 - np.sin(angle[half:])], axis=1)
    x = np.concatenate([upper, lower]) + rng.normal(0, noise, (n, 2))
    y = np.concatenate([np.zeros(half), np.ones(n - half)])
    return x.astype(np.float32), y.astype(np.int64)


def init_layer(fan_in: int, fan_out: int, device: str) -> tuple[mg.Tensor, mg.Tensor]:
    """Weights and bias drawn uniformly from +-1/sqrt(fan_in), as torch.nn.Linear does."""
    bound = 1 / math.sqrt(fan_in)
    w = (mg.rand(fan_in, fan_out, device=device) * 2 - 1) * bound
    b = (mg.rand(fan_out, device=device) * 2 - 1) * bound
    return w.requires_grad_(), b.requires_grad_()


def cross_entropy(logits: mg.Tensor, target: mg.Tensor) -> mg.Tensor:
    """Mean of -log softmax(logits)[target]: the classification loss, written out."""
    log_probs = logits.log_softmax(dim=1)
    return -log_probs[mg.arange(len(target), device=logits.device), target].mean()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    mg.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x_np, y_np = make_moons(512, 0.1, rng)
    x = mg.tensor(x_np, device=args.device)
    y = mg.tensor(y_np, device=args.device)

    params = [*init_layer(2, args.hidden, args.device), *init_layer(args.hidden, 2, args.device)]
    w1, b1, w2, b2 = params
    first_loss = None
    for step in range(args.steps + 1):
        logits = (x @ w1 + b1).tanh() @ w2 + b2
        loss = cross_entropy(logits, y)
        for p in params:
            p.grad = None
        loss.backward()
        with mg.no_grad():
            for p in params:
                p -= args.lr * p.grad
        first_loss = loss.item() if first_loss is None else first_loss
        if step % 50 == 0:
            accuracy = (logits.argmax(dim=1) == y).float().mean().item()
            print(f"step {step:4d}  loss {loss.item():.4f}  accuracy {accuracy:.1%}")
    print(f"loss fell from {first_loss:.4f} to {loss.item():.4f} on {args.device}")


if __name__ == "__main__":
    main()
