"""d2l's CNN chapters as d2l writes them, run with minigrad and with PyTorch from the same
weights and batches: LeNet (7.6), VGG (8.2), NiN (8.3), ResNet (8.6) and DenseNet (8.7).

The chapter code below is written once, against a ``torch`` namespace, the way d2l-en's
PyTorch edition writes it (Lazy layers, ``nn.Sequential`` blocks, ``Residual`` and
``DenseBlock`` as Module classes, ``torch.cat``, ``F.relu``, d2l's ``init_cnn`` that tests
``type(module) == nn.Conv2d``); only the sizes are small, and dropout is 0 so that both
libraries draw nothing at random. Each model is built in both libraries, materialized by a
first batch, given torch's weights, and trained for a few SGD steps on the same images:
the losses and the weights must follow torch's.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import minigrad as mg


def chapter_code(torch: Any) -> SimpleNamespace:
    """d2l's model code, with ``torch`` being torch or minigrad."""
    nn, F = torch.nn, torch.nn.functional

    def init_cnn(module: Any) -> None:  # d2l's, verbatim
        if type(module) == nn.Linear or type(module) == nn.Conv2d:  # noqa: E721
            nn.init.xavier_uniform_(module.weight)

    def lenet(num_classes: int = 10) -> Any:
        return nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.LazyLinear(120), nn.Sigmoid(),
            nn.LazyLinear(84), nn.Sigmoid(),
            nn.LazyLinear(num_classes))

    def vgg_block(num_convs: int, out_channels: int) -> Any:
        layers = []
        for _ in range(num_convs):
            layers.append(nn.LazyConv2d(out_channels, kernel_size=3, padding=1))
            layers.append(nn.ReLU())
        layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        return nn.Sequential(*layers)

    def vgg(arch: tuple, num_classes: int = 10) -> Any:
        conv_blks = []
        for (num_convs, out_channels) in arch:
            conv_blks.append(vgg_block(num_convs, out_channels))
        return nn.Sequential(
            *conv_blks, nn.Flatten(),
            nn.LazyLinear(64), nn.ReLU(), nn.Dropout(0.0),
            nn.LazyLinear(64), nn.ReLU(), nn.Dropout(0.0),
            nn.LazyLinear(num_classes))

    def nin_block(out_channels: int, kernel_size: int, strides: int, padding: int) -> Any:
        return nn.Sequential(
            nn.LazyConv2d(out_channels, kernel_size, strides, padding), nn.ReLU(),
            nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU(),
            nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU())

    def nin(num_classes: int = 10) -> Any:
        return nn.Sequential(
            nin_block(8, kernel_size=5, strides=2, padding=0),
            nn.MaxPool2d(3, stride=2),
            nin_block(16, kernel_size=3, strides=1, padding=1),
            nn.MaxPool2d(3, stride=2),
            nn.Dropout(0.0),
            nin_block(num_classes, kernel_size=3, strides=1, padding=1),
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Flatten())

    class Residual(nn.Module):
        """The Residual block of ResNet models."""

        def __init__(self, num_channels: int, use_1x1conv: bool = False,
                     strides: int = 1) -> None:
            super().__init__()
            self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1,
                                       stride=strides)
            self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
            if use_1x1conv:
                self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
            else:
                self.conv3 = None
            self.bn1 = nn.LazyBatchNorm2d()
            self.bn2 = nn.LazyBatchNorm2d()

        def forward(self, X: Any) -> Any:  # noqa: N803 (d2l's name)
            Y = F.relu(self.bn1(self.conv1(X)))  # noqa: N806
            Y = self.bn2(self.conv2(Y))  # noqa: N806
            if self.conv3:
                X = self.conv3(X)  # noqa: N806
            Y += X  # noqa: N806
            return F.relu(Y)

    def resnet(num_classes: int = 10) -> Any:
        b1 = nn.Sequential(nn.LazyConv2d(8, kernel_size=7, stride=2, padding=3),
                           nn.LazyBatchNorm2d(), nn.ReLU(),
                           nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        blk = []
        for i, (num_residuals, num_channels) in enumerate(((2, 8), (2, 16))):
            for j in range(num_residuals):
                if j == 0 and i != 0:
                    blk.append(Residual(num_channels, use_1x1conv=True, strides=2))
                else:
                    blk.append(Residual(num_channels))
        return nn.Sequential(b1, nn.Sequential(*blk), nn.AdaptiveAvgPool2d((1, 1)),
                             nn.Flatten(), nn.LazyLinear(num_classes))

    def conv_block(num_channels: int) -> Any:
        return nn.Sequential(
            nn.LazyBatchNorm2d(), nn.ReLU(),
            nn.LazyConv2d(num_channels, kernel_size=3, padding=1))

    class DenseBlock(nn.Module):
        def __init__(self, num_convs: int, num_channels: int) -> None:
            super().__init__()
            layer = []
            for _ in range(num_convs):
                layer.append(conv_block(num_channels))
            self.net = nn.Sequential(*layer)

        def forward(self, X: Any) -> Any:  # noqa: N803 (d2l's name)
            for blk in self.net:
                Y = blk(X)  # noqa: N806
                # Concatenate input and output of each block along the channels
                X = torch.cat((X, Y), dim=1)  # noqa: N806
            return X

    def transition_block(num_channels: int) -> Any:
        return nn.Sequential(
            nn.LazyBatchNorm2d(), nn.ReLU(),
            nn.LazyConv2d(num_channels, kernel_size=1),
            nn.AvgPool2d(kernel_size=2, stride=2))

    def densenet(num_classes: int = 10) -> Any:
        net = nn.Sequential(nn.Sequential(
            nn.LazyConv2d(16, kernel_size=7, stride=2, padding=3),
            nn.LazyBatchNorm2d(), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1)))
        num_channels, growth_rate = 16, 8
        for i, num_convs in enumerate((2, 2)):
            net.add_module(f"dense_blk{i + 1}", DenseBlock(num_convs, growth_rate))
            num_channels += num_convs * growth_rate
            if i != 1:
                num_channels //= 2
                net.add_module(f"tran_blk{i + 1}", transition_block(num_channels))
        net.add_module("last", nn.Sequential(
            nn.LazyBatchNorm2d(), nn.ReLU(),
            nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
            nn.LazyLinear(num_classes)))
        return net

    return SimpleNamespace(init_cnn=init_cnn, lenet=lenet, nin=nin, resnet=resnet,
                           densenet=densenet, vgg=lambda: vgg(((1, 8), (1, 16), (2, 16))))


MODELS = {"lenet": 28, "vgg": 32, "nin": 32, "resnet": 32, "densenet": 32}  # name: image size


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_d2l_chapter_trains_as_torchs(name: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    size = MODELS[name]
    rng = np.random.default_rng(7)
    batches = [(rng.random((8, 1, size, size), dtype=np.float32),
                rng.integers(0, 10, 8)) for _ in range(3)]
    torch.manual_seed(0)
    theirs = getattr(chapter_code(torch), name)()
    ours = getattr(chapter_code(mg), name)()
    x0 = batches[0][0]
    theirs(torch.tensor(x0))  # d2l's apply_init: a first batch shapes the Lazy layers,
    ours(mg.tensor(x0))
    theirs.apply(chapter_code(torch).init_cnn)  # then init_cnn (type(m) == nn.Conv2d)
    ours.apply(chapter_code(mg).init_cnn)
    assert [type(m).__name__ for m in ours.modules()] == [
        type(m).__name__ for m in theirs.modules()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    losses = []
    for lib, model in ((torch, theirs), (mg, ours)):
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        loss_fn = lib.nn.CrossEntropyLoss()
        run = []
        for x, y in batches:
            loss = loss_fn(model(lib.tensor(x)), lib.tensor(y))
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.append(float(loss.item()))
        losses.append(run)
    np.testing.assert_allclose(losses[1], losses[0], rtol=2e-4, atol=1e-5)
    for (key, p), q in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=2e-3, atol=2e-4,
                                   err_msg=key)
