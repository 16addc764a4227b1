"""Convolution and LeNet training speed next to PyTorch, as ratios of medians, with peak memory.

Cases (forward + backward each): conv2d at LeNet's two shapes (batch 256), a larger layer
(64 to 64 channels, 3x3, 32x32, batch 32), a whole LeNet training step (forward,
cross-entropy, backward, SGD update) at batch 64 and 256, and the networks a course reaches
next: pytorch/examples' MNIST net, a VGG block and a ResNet basic block.

    python benchmarks/bench_nn.py                  # CPU, 2 threads for both libraries
    python benchmarks/bench_nn.py --device cuda    # GPU (CuPy for minigrad)
    python benchmarks/bench_nn.py --only vgg_block_b32,resnet_block_b32   # some cases
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness import run


def conv_case(n: int, c_in: int, size: int, c_out: int, k: int, padding: int) -> Callable:
    def case(lib: Any, device: str) -> Callable[[], None]:
        x = lib.randn(n, c_in, size, size, device=device, requires_grad=True)
        w = lib.randn(c_out, c_in, k, k, device=device, requires_grad=True)
        b = lib.randn(c_out, device=device, requires_grad=True)

        def step() -> None:
            lib.nn.functional.conv2d(x, w, b, padding=padding).sum().backward()
            x.grad = w.grad = b.grad = None
        return step
    return case


def sgd_step(lib: Any, model: Any, loss_fn: Any, x: Any, y: Any, lr: float) -> None:
    """One training step as the demo takes it: forward, loss, backward, p -= lr * grad."""
    model.zero_grad()
    loss_fn(model(x), y).backward()
    with lib.no_grad():
        for p in model.parameters():
            p -= lr * p.grad


def lenet_step(batch: int) -> Callable:
    def case(lib: Any, device: str) -> Callable[[], None]:
        from demos.lenet import lenet

        model = lenet(lib.nn).to(device)
        loss_fn = lib.nn.CrossEntropyLoss()
        x = lib.randn(batch, 1, 28, 28, device=device)
        y = lib.randint(0, 10, (batch,), device=device)

        def step() -> None:
            sgd_step(lib, model, loss_fn, x, y, 0.1)
        return step
    return case


def conv_lenet1_b256(lib: Any, device: str) -> Callable[[], None]:
    """conv2d 1 -> 6 channels, 5x5, padding 2, on 256 x 28x28."""
    return conv_case(256, 1, 28, 6, 5, 2)(lib, device)


def conv_lenet2_b256(lib: Any, device: str) -> Callable[[], None]:
    """conv2d 6 -> 16 channels, 5x5, on 256 x 14x14."""
    return conv_case(256, 6, 14, 16, 5, 0)(lib, device)


def conv_64x64_3x3_b32(lib: Any, device: str) -> Callable[[], None]:
    """conv2d 64 -> 64 channels, 3x3, padding 1, on 32 x 32x32."""
    return conv_case(32, 64, 32, 64, 3, 1)(lib, device)


def lenet_step_b64(lib: Any, device: str) -> Callable[[], None]:
    """One LeNet SGD step at batch 64."""
    return lenet_step(64)(lib, device)


def lenet_step_b256(lib: Any, device: str) -> Callable[[], None]:
    """One LeNet SGD step at batch 256."""
    return lenet_step(256)(lib, device)


def loss_step(model: Any, loss: Callable[[Any], Any], x: Any) -> Callable[[], None]:
    """Forward, the loss, backward, as an optimizer step leaves it (its update aside)."""
    def step() -> None:
        model.zero_grad()
        loss(model(x)).backward()
    return step


def mnist_net_b64(lib: Any, device: str) -> Callable[[], None]:
    """pytorch/examples' MNIST net (32- and 64-channel 3x3 convs, ReLU, max-pool, dropout,
    Linear 9216 -> 128 -> 10, log-softmax and NLL), one training step at batch 64."""
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10), nn.LogSoftmax(dim=1)).to(device)
    x = lib.randn(64, 1, 28, 28, device=device)
    y = lib.randint(0, 10, (64,), device=device)
    return loss_step(model, lambda out: nn.functional.nll_loss(out, y), x)


def vgg_block_b32(lib: Any, device: str) -> Callable[[], None]:
    """A VGG block (two 64-channel 3x3 convs with ReLU, then a 2x2 max-pool) on 32 x 32x32,
    forward and backward."""
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
                          nn.MaxPool2d(2, 2)).to(device)
    x = lib.randn(32, 64, 32, 32, device=device)
    return loss_step(model, lambda out: out.sum(), x)


def resnet_block_b32(lib: Any, device: str) -> Callable[[], None]:
    """A ResNet basic block (3x3 conv, batch norm, ReLU, 3x3 conv, batch norm, the input
    added back, ReLU), 64 channels on 32 x 32x32, forward and backward in training mode."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.conv2 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(64)

        def forward(self, x: Any) -> Any:
            y = self.bn1(self.conv1(x)).relu()
            return (self.bn2(self.conv2(y)) + x).relu()

    x = lib.randn(32, 64, 32, 32, device=device)
    return loss_step(Block().to(device), lambda out: out.sum(), x)


CASES = [conv_lenet1_b256, conv_lenet2_b256, conv_64x64_3x3_b32, lenet_step_b64, lenet_step_b256,
         mnist_net_b64, vgg_block_b32, resnet_block_b32]

if __name__ == "__main__":
    run(__file__, __doc__, CASES)
