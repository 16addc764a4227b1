"""Invalid arguments to minigrad.nn fail as PyTorch's do (issue 13: nothing bad passes silently).

Every case builds a layer (or calls a function of ``nn.functional`` or ``nn.init``) with one bad
argument and runs it, written once for both libraries: ``lib`` is minigrad or torch. minigrad
must raise torch's exception type, from its own code (never from inside NumPy, never a
ZeroDivisionError), its message naming the argument and the value (the shapes, for shape
errors); torch, where installed, must raise the same type (tests/invalid.py). Edges torch
accepts (an empty batch, an output size of 0) are accepted here too, with torch's shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from tests.invalid import assert_accepts, assert_raised_by_minigrad, assert_rejects

Build = Callable[[Any], Any]


def image(lib: Any, *shape: int) -> Any:
    """A batch of images (N, C, H, W) of ones, (2, 4, 8, 8) unless told."""
    return lib.ones(*(shape or (2, 4, 8, 8)))


def signal(lib: Any, *shape: int) -> Any:
    """A batch of signals (N, C, L) of ones, (2, 4, 8) unless told."""
    return lib.ones(*(shape or (2, 4, 8)))


def logits(lib: Any) -> Any:
    """Scores of 4 samples over 3 classes."""
    return lib.arange(12.0).reshape(4, 3) / 10


def classes(lib: Any, *values: int) -> Any:
    """Class indices for ``logits`` (0, 1, 2, 1 unless told)."""
    return lib.tensor(list(values or (0, 1, 2, 1)))


def probabilities(lib: Any, *shape: int) -> Any:
    """Values strictly inside (0, 1)."""
    return lib.full(shape or (3,), 0.25)


def case(name: str, build: Build, error: type[BaseException], *names: str) -> Any:
    """One row of the table: a call, the exception torch raises, what the message must name."""
    return pytest.param(build, error, names, id=name)


# ---- the table: each call is invalid, in torch as here --------------------------------------
POOLING = [
    case("MaxPool2d-negative-padding", lambda lib: lib.nn.MaxPool2d(2, padding=-1)(image(lib)),
         RuntimeError, "padding", "-1"),
    case("AvgPool2d-negative-padding", lambda lib: lib.nn.AvgPool2d(3, padding=-1)(image(lib)),
         RuntimeError, "padding", "-1"),
    case("MaxPool2d-kernel-0", lambda lib: lib.nn.MaxPool2d(0)(image(lib)),
         RuntimeError, "kernel_size", "0"),
    case("AvgPool2d-kernel-(2, 0)", lambda lib: lib.nn.AvgPool2d((2, 0))(image(lib)),
         RuntimeError, "kernel_size", "(2, 0)"),
    case("MaxPool2d-kernel-0-stride-1", lambda lib: lib.nn.MaxPool2d(0, 1)(image(lib)),
         RuntimeError, "kernel_size", "0"),
    case("MaxPool2d-stride-0", lambda lib: lib.nn.MaxPool2d(2, stride=0)(image(lib)),
         RuntimeError, "stride", "0"),
    case("AvgPool2d-stride-negative", lambda lib: lib.nn.AvgPool2d(2, stride=-1)(image(lib)),
         RuntimeError, "stride", "-1"),
    case("MaxPool2d-stride-float", lambda lib: lib.nn.MaxPool2d(2, stride=1.5)(image(lib)),
         TypeError, "stride", "1.5"),
    case("AvgPool2d-kernel-float", lambda lib: lib.nn.AvgPool2d(2.0)(image(lib)),
         TypeError, "kernel_size", "2.0"),
    case("MaxPool2d-kernel-float-in-pair", lambda lib: lib.nn.MaxPool2d((2, 2.0))(image(lib)),
         TypeError, "kernel_size", "2.0"),
    case("MaxPool2d-kernel-bool", lambda lib: lib.nn.MaxPool2d(True)(image(lib)),
         TypeError, "kernel_size", "True"),
    case("MaxPool2d-kernel-str", lambda lib: lib.nn.MaxPool2d("a")(image(lib)),
         TypeError, "kernel_size", "'a'"),
    case("MaxPool2d-dilation-0", lambda lib: lib.nn.MaxPool2d(2, dilation=0)(image(lib)),
         RuntimeError, "dilation", "0"),
    case("MaxPool2d-dilation-float", lambda lib: lib.nn.MaxPool2d(2, dilation=1.5)(image(lib)),
         TypeError, "dilation", "1.5"),
    case("MaxPool2d-padding-three-ints",
         lambda lib: lib.nn.MaxPool2d(2, padding=(1, 1, 1))(image(lib)),
         RuntimeError, "padding", "(1, 1, 1)"),
    case("AvgPool2d-padding-over-half-kernel",
         lambda lib: lib.nn.AvgPool2d(2, padding=2)(image(lib)), RuntimeError, "pad", "2"),
    case("AvgPool2d-divisor-0",
         lambda lib: lib.nn.AvgPool2d(2, divisor_override=0)(image(lib)),
         RuntimeError, "divisor", "0"),
    case("AvgPool2d-divisor-float",
         lambda lib: lib.nn.AvgPool2d(2, divisor_override=1.5)(image(lib)),
         TypeError, "divisor_override", "1.5"),
    case("MaxPool2d-no-channels", lambda lib: lib.nn.MaxPool2d(2)(image(lib, 2, 0, 8, 8)),
         RuntimeError, "[2, 0, 8, 8]"),
    case("AvgPool2d-no-rows", lambda lib: lib.nn.AvgPool2d(2)(image(lib, 2, 3, 0, 8)),
         RuntimeError, "[2, 3, 0, 8]"),
    case("MaxPool1d-negative-padding", lambda lib: lib.nn.MaxPool1d(2, padding=-1)(signal(lib)),
         RuntimeError, "padding", "-1"),
    case("MaxPool1d-kernel-0", lambda lib: lib.nn.MaxPool1d(0)(signal(lib)),
         RuntimeError, "kernel_size", "0"),
    case("AvgPool1d-stride-0", lambda lib: lib.nn.AvgPool1d(2, stride=0)(signal(lib)),
         RuntimeError, "stride", "0"),
    case("MaxPool1d-dilation-0", lambda lib: lib.nn.MaxPool1d(2, dilation=0)(signal(lib)),
         RuntimeError, "dilation", "0"),
    case("AvgPool1d-stride-float", lambda lib: lib.nn.AvgPool1d(2, stride=1.5)(signal(lib)),
         TypeError, "stride", "1.5"),
    case("MaxPool1d-kernel-pair", lambda lib: lib.nn.MaxPool1d((2, 2))(signal(lib)),
         RuntimeError, "kernel_size", "(2, 2)"),
    case("AvgPool1d-no-channels", lambda lib: lib.nn.AvgPool1d(2)(signal(lib, 2, 0, 8)),
         RuntimeError, "[2, 0"),
    case("AdaptiveAvgPool2d-negative", lambda lib: lib.nn.AdaptiveAvgPool2d((-3, 2))(image(lib)),
         RuntimeError, "output_size", "-3"),
    case("AdaptiveMaxPool2d-negative", lambda lib: lib.nn.AdaptiveMaxPool2d(-1)(image(lib)),
         RuntimeError, "output_size", "-1"),
    case("AdaptiveAvgPool2d-negative-after-None",
         lambda lib: lib.nn.AdaptiveAvgPool2d((None, -1))(image(lib)),
         RuntimeError, "output_size", "-1"),
    case("AdaptiveAvgPool2d-float", lambda lib: lib.nn.AdaptiveAvgPool2d((2, 2.0))(image(lib)),
         TypeError, "output_size", "2.0"),
    case("AdaptiveMaxPool2d-three-sizes",
         lambda lib: lib.nn.AdaptiveMaxPool2d((2, 2, 2))(image(lib)),
         RuntimeError, "output_size", "(2, 2, 2)"),
    case("AdaptiveAvgPool2d-no-rows", lambda lib: lib.nn.AdaptiveAvgPool2d(2)(
        image(lib, 2, 3, 0, 8)), RuntimeError, "[2, 3, 0, 8]"),
    case("AdaptiveMaxPool2d-no-channels", lambda lib: lib.nn.AdaptiveMaxPool2d(2)(
        image(lib, 2, 0, 8, 8)), RuntimeError, "[2, 0, 8, 8]"),
]

CONVOLUTION = [
    case("Conv2d-negative-padding", lambda lib: lib.nn.Conv2d(4, 4, 3, padding=-1)(image(lib)),
         RuntimeError, "padding", "-1"),
    case("Conv1d-negative-padding", lambda lib: lib.nn.Conv1d(4, 4, 3, padding=-2)(signal(lib)),
         RuntimeError, "padding", "-2"),
    case("ConvTranspose2d-negative-padding",
         lambda lib: lib.nn.ConvTranspose2d(4, 4, 2, padding=-2)(image(lib)),
         RuntimeError, "padding", "-2"),
    case("ConvTranspose2d-negative-output-padding",
         lambda lib: lib.nn.ConvTranspose2d(4, 4, 2, output_padding=-1)(image(lib)),
         RuntimeError, "output_padding", "-1"),
    case("ConvTranspose2d-output-padding-not-below-stride",
         lambda lib: lib.nn.ConvTranspose2d(4, 4, 3, stride=2, output_padding=2)(image(lib)),
         RuntimeError, "output_padding", "2"),
    case("Conv2d-no-out-channels", lambda lib: lib.nn.Conv2d(4, 0, 3)(image(lib)),
         RuntimeError, "weight", "[0, 4, 3, 3]"),
    case("Conv1d-no-out-channels", lambda lib: lib.nn.Conv1d(4, 0, 3)(signal(lib)),
         RuntimeError, "weight", "[0, 4, 3]"),
    case("ConvTranspose2d-no-out-channels",
         lambda lib: lib.nn.ConvTranspose2d(4, 0, 3)(image(lib)), RuntimeError, "[4, 0, 3, 3]"),
    case("Conv2d-negative-out-channels", lambda lib: lib.nn.Conv2d(4, -1, 3),
         RuntimeError, "out_channels", "-1"),
    case("Conv2d-kernel-0", lambda lib: lib.nn.Conv2d(4, 4, 0)(image(lib)),
         RuntimeError, "kernel_size", "(0, 0)"),
    case("ConvTranspose2d-kernel-(3, 0)",
         lambda lib: lib.nn.ConvTranspose2d(4, 4, (3, 0))(image(lib)),
         RuntimeError, "kernel_size", "(3, 0)"),
    case("Conv1d-negative-kernel", lambda lib: lib.nn.Conv1d(4, 4, -2),
         RuntimeError, "kernel_size", "-2"),
    case("Conv2d-stride-0", lambda lib: lib.nn.Conv2d(4, 4, 3, stride=0)(image(lib)),
         RuntimeError, "stride", "0"),
    case("Conv2d-dilation-0", lambda lib: lib.nn.Conv2d(4, 4, 3, dilation=0)(image(lib)),
         RuntimeError, "dilation", "0"),
    case("Conv1d-dilation-negative", lambda lib: lib.nn.Conv1d(4, 4, 3, dilation=-1)(
        signal(lib)), RuntimeError, "dilation", "-1"),
    case("ConvTranspose2d-dilation-0",
         lambda lib: lib.nn.ConvTranspose2d(4, 4, 3, dilation=0)(image(lib)),
         RuntimeError, "dilation", "0"),
    case("Conv2d-stride-float", lambda lib: lib.nn.Conv2d(4, 4, 3, stride=1.5)(image(lib)),
         TypeError, "stride", "1.5"),
    case("Conv1d-kernel-float", lambda lib: lib.nn.Conv1d(4, 4, 2.0)(signal(lib)),
         TypeError, "kernel_size", "2.0"),
    case("Conv2d-padding-bool", lambda lib: lib.nn.Conv2d(4, 4, 3, padding=True)(image(lib)),
         TypeError, "padding", "True"),
    case("Conv2d-out-channels-float", lambda lib: lib.nn.Conv2d(4, 4.0, 3),
         TypeError, "out_channels", "4.0"),
    case("Conv2d-kernel-three-ints", lambda lib: lib.nn.Conv2d(4, 4, (3, 3, 3))(image(lib)),
         RuntimeError, "kernel_size", "(3, 3, 3)"),
    case("Conv2d-groups-0", lambda lib: lib.nn.Conv2d(4, 4, 3, groups=0),
         ValueError, "groups"),
    case("ConvTranspose2d-string-padding",
         lambda lib: lib.nn.ConvTranspose2d(4, 4, 3, padding="same")(image(lib)),
         TypeError, "padding", "same"),
    case("ConvTranspose2d-output-size-out-of-range",
         lambda lib: lib.nn.ConvTranspose2d(4, 4, 3, stride=2)(image(lib), output_size=(30, 30)),
         ValueError, "output size", "30", "17", "18"),
    case("ConvTranspose2d-output-size-three-ints",
         lambda lib: lib.nn.ConvTranspose2d(4, 4, 3, stride=2)(image(lib), output_size=(1, 18, 18)),
         ValueError, "output_size", "3"),
    case("conv2d-groups-0", lambda lib: lib.nn.functional.conv2d(
        image(lib), lib.ones(4, 4, 3, 3), groups=0), RuntimeError, "groups", "0"),
    case("conv2d-groups-float", lambda lib: lib.nn.functional.conv2d(
        image(lib), lib.ones(4, 2, 3, 3), groups=2.0), TypeError, "groups", "2.0"),
    case("conv1d-bias-size", lambda lib: lib.nn.functional.conv1d(
        signal(lib), lib.ones(4, 4, 3), lib.ones(2)), RuntimeError, "bias", "[2]", "[4, 4, 3]"),
    case("conv_transpose2d-bias-size", lambda lib: lib.nn.functional.conv_transpose2d(
        image(lib), lib.ones(4, 4, 3, 3), lib.ones(3)), RuntimeError, "bias", "[3]"),
    case("conv_transpose2d-groups-0", lambda lib: lib.nn.functional.conv_transpose2d(
        image(lib), lib.ones(4, 4, 3, 3), groups=0), RuntimeError, "groups", "0"),
    case("conv_transpose2d-weight-3d", lambda lib: lib.nn.functional.conv_transpose2d(
        image(lib), lib.ones(4, 4, 3)), RuntimeError, "weight", "[4, 4, 3]"),
    case("Linear-features-float", lambda lib: lib.nn.Linear(3.0, 4),
         TypeError, "in_features", "3.0"),
    case("Linear-negative-features", lambda lib: lib.nn.Linear(3, -4),
         RuntimeError, "out_features", "-4"),
    case("linear-bias-widens-the-output", lambda lib: lib.nn.functional.linear(
        lib.ones(2, 3), lib.ones(1, 3), lib.ones(1, 2)), RuntimeError, "bias", "[1, 2]", "[2, 1]"),
    case("linear-bias-longer-than-out", lambda lib: lib.nn.functional.linear(
        lib.ones(2, 3), lib.ones(1, 3), lib.ones(2)), RuntimeError, "bias", "[2]", "[2, 1]"),
    case("unfold-kernel-0", lambda lib: lib.nn.functional.unfold(image(lib), 0),
         RuntimeError, "kernel_size", "0"),
    case("unfold-stride-0", lambda lib: lib.nn.functional.unfold(image(lib), 2, stride=0),
         RuntimeError, "stride", "0"),
    case("unfold-negative-padding", lambda lib: lib.nn.functional.unfold(image(lib), 2,
                                                                         padding=-1),
         RuntimeError, "padding", "-1"),
    case("unfold-dilation-0", lambda lib: lib.nn.functional.unfold(image(lib), 2, dilation=0),
         RuntimeError, "dilation", "0"),
    case("unfold-kernel-float", lambda lib: lib.nn.functional.unfold(image(lib), 2.0),
         TypeError, "kernel_size", "2.0"),
    case("fold-output-size-float", lambda lib: lib.nn.functional.fold(
        lib.ones(1, 8, 9), (4.0, 4), 2), TypeError, "output_size", "4.0"),
    case("fold-kernel-0", lambda lib: lib.nn.functional.fold(lib.ones(1, 8, 9), (4, 4), 0),
         RuntimeError, "kernel_size", "0"),
]

NORMALIZATION = [
    case("BatchNorm2d-negative-eps-training",
         lambda lib: lib.nn.BatchNorm2d(4, eps=-1)(image(lib, 2, 4, 3, 3)),
         ValueError, "eps", "-1"),
    case("BatchNorm1d-eps-0-training", lambda lib: lib.nn.BatchNorm1d(4, eps=0)(lib.ones(3, 4)),
         ValueError, "eps", "0"),
    case("BatchNorm2d-negative-eps-eval",
         lambda lib: lib.nn.BatchNorm2d(4, eps=-1).eval()(image(lib, 2, 4, 3, 3)),
         ValueError, "eps", "-1"),
    case("batch_norm-negative-eps", lambda lib: lib.nn.functional.batch_norm(
        lib.ones(2, 4), None, None, training=True, eps=-0.5), ValueError, "eps", "-0.5"),
    case("batch_norm-1d-input", lambda lib: lib.nn.functional.batch_norm(
        lib.ones(4), None, None, training=True), IndexError, "(4,)"),
    case("BatchNorm2d-features-float", lambda lib: lib.nn.BatchNorm2d(4.0),
         TypeError, "num_features", "4.0"),
    case("BatchNorm2d-wrong-channels", lambda lib: lib.nn.BatchNorm2d(3).eval()(image(lib)),
         RuntimeError, "running_mean", "3", "4"),
    case("GroupNorm-groups-not-dividing", lambda lib: lib.nn.GroupNorm(3, 4),
         ValueError, "num_groups", "3", "4"),
    case("GroupNorm-wrong-channels", lambda lib: lib.nn.GroupNorm(2, 4)(signal(lib, 2, 6, 3)),
         RuntimeError, "weight", "[4]", "[2, 6, 3]"),
    case("GroupNorm-groups-float", lambda lib: lib.nn.GroupNorm(2.0, 4)(signal(lib)),
         TypeError, "num_groups", "2.0"),
    case("GroupNorm-negative-groups", lambda lib: lib.nn.GroupNorm(-2, 4)(signal(lib)),
         RuntimeError, "groups", "-2"),
    case("LayerNorm-shape-mismatch", lambda lib: lib.nn.LayerNorm(5)(lib.ones(2, 3, 4)),
         RuntimeError, "normalized_shape", "[5]", "[2, 3, 4]"),
    case("LayerNorm-shape-float", lambda lib: lib.nn.LayerNorm((4.0,)),
         TypeError, "normalized_shape", "4.0"),
    case("layer_norm-weight-shape", lambda lib: lib.nn.functional.layer_norm(
        lib.ones(2, 4), (4,), lib.ones(3)), RuntimeError, "weight", "[3]", "[4]"),
    case("InstanceNorm2d-wrong-channels",
         lambda lib: lib.nn.InstanceNorm2d(3, affine=True)(image(lib, 2, 4, 3, 3)),
         ValueError, "num_features", "3", "4"),
]

SHAPES_AND_ACTIVATIONS = [
    case("Dropout-p-above-1", lambda lib: lib.nn.Dropout(1.5), ValueError, "probability", "1.5"),
    case("Dropout2d-p-negative", lambda lib: lib.nn.Dropout2d(-0.1), ValueError, "-0.1"),
    case("Upsample-size-and-scale", lambda lib: lib.nn.Upsample(size=4, scale_factor=2)(
        image(lib)), ValueError, "size", "scale_factor"),
    case("Upsample-neither", lambda lib: lib.nn.Upsample()(image(lib)),
         ValueError, "size", "scale_factor"),
    case("Upsample-negative-size", lambda lib: lib.nn.Upsample(size=-1)(image(lib)),
         RuntimeError, "output", "-1"),
    case("Upsample-infinite-scale", lambda lib: lib.nn.Upsample(scale_factor=float("inf"))(
        image(lib)), RuntimeError, "scale_factor", "inf"),
    case("Upsample-size-float", lambda lib: lib.nn.Upsample(size=(4.5, 4))(image(lib)),
         TypeError, "size"),
    case("Upsample-corners-nearest", lambda lib: lib.nn.Upsample(size=4, align_corners=True)(
        image(lib)), ValueError, "align_corners"),
    case("interpolate-integer-image", lambda lib: lib.nn.functional.interpolate(
        image(lib).long(), size=3), NotImplementedError, "Long"),
    case("interpolate-no-channels", lambda lib: lib.nn.functional.interpolate(
        image(lib, 1, 0, 4, 4), size=3), RuntimeError, "[1, 0, 4, 4]"),
    case("ZeroPad2d-float", lambda lib: lib.nn.ZeroPad2d((1, 1.5, 1, 1))(image(lib)),
         TypeError, "padding", "1.5"),
    case("Hardtanh-min-above-max", lambda lib: lib.nn.Hardtanh(1.0, -1.0),
         AssertionError, "max_val", "min_val"),
    case("hardtanh-min-above-max", lambda lib: lib.nn.functional.hardtanh(
        lib.ones(3), 1.0, -1.0), ValueError, "min_val", "max_val"),
    case("GELU-approximate-unknown", lambda lib: lib.nn.GELU("bad")(lib.ones(3)),
         RuntimeError, "approximate"),
    case("GELU-approximate-None", lambda lib: lib.nn.GELU(None)(lib.ones(3)),
         TypeError, "approximate", "NoneType"),
    case("gelu-integers", lambda lib: lib.nn.functional.gelu(lib.ones(3).long()),
         NotImplementedError, "gelu", "Long"),
    case("softplus-integers", lambda lib: lib.nn.functional.softplus(lib.ones(3).long()),
         NotImplementedError, "softplus", "Long"),
    case("ELU-integers", lambda lib: lib.nn.ELU()(lib.ones(3).long()),
         NotImplementedError, "elu", "Long"),
    case("Softmax-integers", lambda lib: lib.nn.Softmax(0)(lib.ones(3).long()),
         NotImplementedError, "softmax", "Long"),
    case("Softmax-dim-out-of-range", lambda lib: lib.nn.Softmax(dim=2)(lib.ones(2, 3)),
         IndexError, "range", "2"),
    case("LogSoftmax-dim-float", lambda lib: lib.nn.LogSoftmax(dim=1.5)(lib.ones(2, 3)),
         TypeError, "dim", "1.5"),
    case("Unflatten-float-size", lambda lib: lib.nn.Unflatten(1, (2.0, 6)),
         TypeError, "unflattened_size", "2.0"),
    case("Unflatten-int-size", lambda lib: lib.nn.Unflatten(1, 12),
         TypeError, "unflattened_size", "12"),
    case("grid_sample-mode", lambda lib: lib.nn.functional.grid_sample(
        image(lib, 1, 2, 4, 4), lib.zeros(1, 3, 3, 2), mode="bad", align_corners=False),
        ValueError, "mode", "bad"),
    case("grid_sample-no-rows", lambda lib: lib.nn.functional.grid_sample(
        image(lib, 1, 2, 0, 4), lib.zeros(1, 3, 3, 2), align_corners=False),
        RuntimeError, "[1, 2, 0, 4]"),
    case("grid_sample-integers", lambda lib: lib.nn.functional.grid_sample(
        image(lib, 1, 2, 4, 4).long(), lib.zeros(1, 3, 3, 2).long(), align_corners=False),
        NotImplementedError, "Long"),
]

LOSSES = [
    case("MSELoss-reduction-avg", lambda lib: lib.nn.MSELoss(reduction="avg")(
        lib.ones(3), lib.ones(3)), ValueError, "avg", "reduction"),
    case("CrossEntropyLoss-reduction-None", lambda lib: lib.nn.CrossEntropyLoss(reduction=None)(
        logits(lib), classes(lib)), ValueError, "None", "reduction"),
    case("KLDivLoss-reduction-typo", lambda lib: lib.nn.KLDivLoss(reduction="batch_mean")(
        lib.ones(3), lib.ones(3)), ValueError, "batch_mean", "reduction"),
    case("cross_entropy-weight-too-long", lambda lib: lib.nn.functional.cross_entropy(
        logits(lib), classes(lib), weight=lib.ones(5)), RuntimeError, "weight", "3 classes", "[5]"),
    case("CrossEntropyLoss-weight-too-short", lambda lib: lib.nn.CrossEntropyLoss(
        weight=lib.ones(2))(logits(lib), classes(lib)), RuntimeError, "weight", "[2]"),
    case("nll_loss-weight-2d", lambda lib: lib.nn.functional.nll_loss(
        logits(lib), classes(lib), weight=lib.ones(1, 3)), RuntimeError, "weight", "[1, 3]"),
    case("NLLLoss-weight-too-short", lambda lib: lib.nn.NLLLoss(weight=lib.ones(2))(
        logits(lib), classes(lib)), RuntimeError, "weight", "[2]"),
    case("cross_entropy-weight-dtype", lambda lib: lib.nn.functional.cross_entropy(
        logits(lib), classes(lib), weight=lib.ones(3).double()),
        RuntimeError, "weight", "Double"),
    case("cross_entropy-class-out-of-range", lambda lib: lib.nn.functional.cross_entropy(
        logits(lib), classes(lib, 0, 1, 3, 1)), IndexError, "Target 3"),
    case("nll_loss-negative-class", lambda lib: lib.nn.functional.nll_loss(
        logits(lib), classes(lib, 0, -1, 2, 1)), IndexError, "Target -1"),
    case("cross_entropy-batch-sizes", lambda lib: lib.nn.functional.cross_entropy(
        logits(lib), classes(lib, 0, 1, 2)), ValueError, "batch_size", "4", "3"),
    case("nll_loss-target-size", lambda lib: lib.nn.functional.nll_loss(
        lib.zeros(4, 3, 2), lib.zeros(4, 3).long()), RuntimeError, "target size", "[4, 2]",
        "[4, 3]"),
    case("cross_entropy-int32-classes", lambda lib: lib.nn.functional.cross_entropy(
        logits(lib), classes(lib).int()), RuntimeError, "target dtype", "Int"),
    case("cross_entropy-float-classes", lambda lib: lib.nn.functional.cross_entropy(
        logits(lib), lib.zeros(4)), RuntimeError, "target dtype", "Float"),
    case("cross_entropy-integer-scores", lambda lib: lib.nn.functional.cross_entropy(
        logits(lib).long(), classes(lib)), NotImplementedError, "Long"),
    case("cross_entropy-ignore-index-float", lambda lib: lib.nn.functional.cross_entropy(
        logits(lib), classes(lib), ignore_index=1.5), TypeError, "ignore_index", "1.5"),
    case("cross_entropy-label-smoothing-above-1", lambda lib: lib.nn.functional.cross_entropy(
        logits(lib), classes(lib), label_smoothing=1.5), RuntimeError, "label_smoothing", "1.5"),
    case("cross_entropy-probabilities-ignore-index", lambda lib: lib.nn.functional.cross_entropy(
        logits(lib), lib.full((4, 3), 1 / 3), ignore_index=1), RuntimeError, "ignore_index"),
    case("cross_entropy-probabilities-integers", lambda lib: lib.nn.functional.cross_entropy(
        logits(lib), lib.zeros(4, 3).long()), RuntimeError, "probabilities", "Long"),
    case("cross_entropy-1d-scores-2-targets", lambda lib: lib.nn.functional.cross_entropy(
        lib.zeros(3), classes(lib, 1, 2)), ValueError, "target size", "2"),
    case("nll_loss-0d-input", lambda lib: lib.nn.functional.nll_loss(
        lib.zeros(()), lib.tensor(0)), ValueError, "dimensions", "0"),
    case("binary_cross_entropy-input-above-1", lambda lib: lib.nn.functional.binary_cross_entropy(
        lib.tensor([1.5]), lib.tensor([1.0])), RuntimeError, "input", "between 0 and 1"),
    case("binary_cross_entropy-input-nan", lambda lib: lib.nn.functional.binary_cross_entropy(
        lib.tensor([float("nan")]), lib.tensor([1.0])), RuntimeError, "input", "between 0 and 1"),
    case("BCELoss-target-above-1", lambda lib: lib.nn.BCELoss()(
        lib.tensor([0.5]), lib.tensor([2.0])), RuntimeError, "target", "between 0 and 1"),
    case("binary_cross_entropy-weight-widens", lambda lib: lib.nn.functional.binary_cross_entropy(
        probabilities(lib), probabilities(lib), weight=lib.ones(2, 3)),
        RuntimeError, "weight", "[2, 3]", "[3]"),
    case("binary_cross_entropy-target-dtype", lambda lib: lib.nn.functional.binary_cross_entropy(
        probabilities(lib), probabilities(lib).double()), RuntimeError, "Double", "Float"),
    case("BCEWithLogitsLoss-pos-weight-widens", lambda lib: lib.nn.BCEWithLogitsLoss(
        pos_weight=lib.ones(2, 3))(probabilities(lib), probabilities(lib)),
        RuntimeError, "pos_weight", "[2, 3]", "[3]"),
    case("binary_cross_entropy_with_logits-weight-size",
         lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(
             probabilities(lib), probabilities(lib), weight=lib.ones(4)),
         RuntimeError, "weight", "[4]", "[3]"),
    case("binary_cross_entropy_with_logits-integer-target",
         lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(
             probabilities(lib), lib.ones(3).long()), RuntimeError, "Long"),
    case("kl_div-integer-target", lambda lib: lib.nn.functional.kl_div(
        probabilities(lib), lib.ones(3).long(), reduction="batchmean"),
        RuntimeError, "Integral", "int64"),
    case("mse_loss-integers", lambda lib: lib.nn.functional.mse_loss(
        lib.ones(3).long(), lib.ones(3).long()), NotImplementedError, "Long"),
    case("mse_loss-weight-size", lambda lib: lib.nn.functional.mse_loss(
        lib.ones(3), lib.ones(3), weight=lib.ones(4)), ValueError, "Weights"),
    case("huber_loss-delta-0", lambda lib: lib.nn.functional.huber_loss(
        lib.ones(3), lib.ones(3), delta=0.0), RuntimeError, "delta"),
    case("SmoothL1Loss-negative-beta", lambda lib: lib.nn.SmoothL1Loss(beta=-1.0)(
        lib.ones(3), lib.ones(3)), RuntimeError, "beta"),
    case("smooth_l1_loss-beta-str", lambda lib: lib.nn.functional.smooth_l1_loss(
        lib.ones(3), lib.ones(3), beta="a"), TypeError, "beta", "str"),
    case("HuberLoss-delta-str", lambda lib: lib.nn.HuberLoss(delta="a"), TypeError, "delta"),
]


def linear_state(lib: Any, state: Callable[[Any], Any]) -> Any:
    """Load ``state(lib)`` into a Linear(3, 2)."""
    return lib.nn.Linear(3, 2).load_state_dict(state(lib))


def in_a_module(lib: Any, register: Callable[[Any, Any], Any]) -> Any:
    """Call ``register(lib, module)`` on an empty Module."""
    return register(lib, lib.nn.Module())


INIT_AND_MODULES = [
    case("kaiming_uniform_-1d", lambda lib: lib.nn.init.kaiming_uniform_(lib.empty(3)),
         ValueError, "fewer than 2 dimensions"),
    case("xavier_normal_-0d", lambda lib: lib.nn.init.xavier_normal_(lib.empty(())),
         ValueError, "fewer than 2 dimensions"),
    case("kaiming_normal_-mode", lambda lib: lib.nn.init.kaiming_normal_(
        lib.empty(3, 3), mode="fan_avg"), ValueError, "fan_avg"),
    case("calculate_gain-unknown", lambda lib: lib.nn.init.calculate_gain("swish"),
         ValueError, "swish"),
    case("uniform_-empty-range", lambda lib: lib.nn.init.uniform_(lib.empty(3), 1.0, 0.0),
         RuntimeError, "from=1", "to=0"),
    case("normal_-negative-std", lambda lib: lib.nn.init.normal_(lib.empty(3), 0.0, -1.0),
         RuntimeError, "std", "-1"),
    case("uniform_-integers", lambda lib: lib.nn.init.uniform_(lib.empty(3).long()),
         NotImplementedError, "Long"),
    case("xavier_uniform_-integers", lambda lib: lib.nn.init.xavier_uniform_(
        lib.empty(3, 3).long()), NotImplementedError, "Long"),
    case("load_state_dict-shape", lambda lib: linear_state(
        lib, lambda lib: {"weight": lib.ones(3, 3), "bias": lib.ones(2)}),
        RuntimeError, "size mismatch for weight", "3, 3", "2, 3"),
    case("load_state_dict-missing", lambda lib: linear_state(
        lib, lambda lib: {"weight": lib.ones(2, 3)}), RuntimeError, "Missing", '"bias"'),
    case("load_state_dict-unexpected", lambda lib: linear_state(
        lib, lambda lib: {"weight": lib.ones(2, 3), "bias": lib.ones(2), "scale": lib.ones(1)}),
        RuntimeError, "Unexpected", '"scale"'),
    case("load_state_dict-not-a-mapping", lambda lib: linear_state(
        lib, lambda lib: [("weight", lib.ones(2, 3))]), TypeError, "dict-like", "list"),
    case("load_state_dict-None-value", lambda lib: linear_state(
        lib, lambda lib: {"weight": None, "bias": lib.ones(2)}), RuntimeError, "weight",
        "NoneType"),
    case("register_buffer-dotted", lambda lib: in_a_module(
        lib, lambda lib, m: m.register_buffer("a.b", lib.ones(1))), KeyError, "buffer", "a.b"),
    case("register_buffer-not-a-tensor", lambda lib: in_a_module(
        lib, lambda lib, m: m.register_buffer("a", 3)), TypeError, "buffer", "'a'", "int"),
    case("register_parameter-empty-name", lambda lib: in_a_module(
        lib, lambda lib, m: m.register_parameter("", None)), KeyError, "parameter", "empty"),
    case("register_parameter-plain-tensor", lambda lib: in_a_module(
        lib, lambda lib, m: m.register_parameter("w", lib.ones(1))), TypeError, "parameter",
        "'w'"),
    case("add_module-dotted", lambda lib: in_a_module(
        lib, lambda lib, m: m.add_module("a.b", lib.nn.ReLU())), KeyError, "module", "a.b"),
    case("add_module-int-name", lambda lib: in_a_module(
        lib, lambda lib, m: m.add_module(1, lib.nn.ReLU())), TypeError, "module name", "int"),
    case("add_module-not-a-module", lambda lib: in_a_module(
        lib, lambda lib, m: m.add_module("a", 3)), TypeError, "int", "Module"),
    case("Sequential-index-str", lambda lib: lib.nn.Sequential(lib.nn.ReLU())["a"],
         TypeError, "str"),
    case("ModuleList-index-out-of-range", lambda lib: lib.nn.ModuleList([lib.nn.ReLU()])[3],
         IndexError, "3"),
    case("Module.to-integer-dtype", lambda lib: lib.nn.Linear(2, 2).to(lib.int64),
         TypeError, "dtype", "int64"),
    case("Module.train-not-bool", lambda lib: lib.nn.ReLU().train("yes"),
         ValueError, "boolean"),
]


@pytest.mark.parametrize(("build", "error", "names"),
                         POOLING + CONVOLUTION + NORMALIZATION + SHAPES_AND_ACTIVATIONS + LOSSES
                         + INIT_AND_MODULES)
def test_invalid_argument_is_refused_as_torch(build: Build, error: type[BaseException],
                                               names: tuple[str, ...]) -> None:
    assert_rejects(build, error, names)


# ---- edges torch accepts are accepted here, with torch's shape -------------------------------
ACCEPTED = {
    "MaxPool2d-empty-batch": lambda lib: lib.nn.MaxPool2d(2)(image(lib, 0, 3, 8, 8)),
    "AvgPool2d-empty-batch": lambda lib: lib.nn.AvgPool2d(2)(image(lib, 0, 3, 8, 8)),
    "MaxPool1d-empty-batch": lambda lib: lib.nn.MaxPool1d(2)(signal(lib, 0, 3, 8)),
    "AvgPool1d-empty-batch": lambda lib: lib.nn.AvgPool1d(2)(signal(lib, 0, 3, 8)),
    "MaxPool2d-stride-one-int": lambda lib: lib.nn.MaxPool2d(2, stride=(1,))(image(lib)),
    "MaxPool2d-stride-empty": lambda lib: lib.nn.MaxPool2d(2, stride=())(image(lib)),
    "AvgPool2d-negative-divisor": lambda lib: lib.nn.AvgPool2d(2, divisor_override=-1)(
        image(lib)),
    "AdaptiveAvgPool2d-output-0": lambda lib: lib.nn.AdaptiveAvgPool2d(0)(image(lib)),
    "AdaptiveMaxPool2d-output-(0, 2)": lambda lib: lib.nn.AdaptiveMaxPool2d((0, 2))(image(lib)),
    "AdaptiveMaxPool2d-indices-output-(2, 0)": lambda lib: lib.nn.AdaptiveMaxPool2d(
        (2, 0), return_indices=True)(image(lib))[1],
    "AdaptiveMaxPool2d-empty-batch": lambda lib: lib.nn.AdaptiveMaxPool2d(2)(
        image(lib, 0, 3, 8, 8)),
    "AdaptiveAvgPool2d-no-channels": lambda lib: lib.nn.AdaptiveAvgPool2d(2)(
        image(lib, 1, 0, 4, 4)),
    "Conv2d-empty-batch": lambda lib: lib.nn.Conv2d(4, 4, 3)(image(lib, 0, 4, 8, 8)),
    "ConvTranspose2d-empty-batch": lambda lib: lib.nn.ConvTranspose2d(4, 4, 3)(
        image(lib, 0, 4, 8, 8)),
    "ConvTranspose2d-output-size": lambda lib: lib.nn.ConvTranspose2d(4, 4, 3, stride=2)(
        image(lib), output_size=(18, 17)),
    "ConvTranspose2d-output-size-NCHW": lambda lib: lib.nn.ConvTranspose2d(4, 4, 3, stride=2)(
        image(lib), output_size=(2, 4, 18, 18)),
    "Linear-no-inputs": lambda lib: lib.nn.Linear(0, 4)(lib.ones(2, 0)),
    "Linear-no-outputs": lambda lib: lib.nn.Linear(3, 0)(lib.ones(2, 3)),
    "linear-bias-of-one": lambda lib: lib.nn.functional.linear(
        lib.ones(2, 3), lib.ones(2, 3), lib.ones(1)),
    "linear-scalar-bias": lambda lib: lib.nn.functional.linear(
        lib.ones(2, 3), lib.ones(2, 3), lib.ones(())),
    "BatchNorm2d-eps-0-eval": lambda lib: lib.nn.BatchNorm2d(4, eps=0).eval()(image(lib)),
    "interpolate-empty-batch": lambda lib: lib.nn.functional.interpolate(
        image(lib, 0, 2, 4, 4), size=3, mode="bilinear"),
    "interpolate-area-no-channels": lambda lib: lib.nn.functional.interpolate(
        image(lib, 1, 0, 4, 4), size=3, mode="area"),
    "cross_entropy-1d-scores-one-target": lambda lib: lib.nn.functional.cross_entropy(
        lib.zeros(3), classes(lib, 1), reduction="none"),
    "nll_loss-1d-scores-0d-target": lambda lib: lib.nn.functional.nll_loss(
        lib.zeros(3), lib.tensor(2), reduction="none"),
    "cross_entropy-uint8-classes": lambda lib: lib.nn.functional.cross_entropy(
        logits(lib), classes(lib).to(lib.uint8)),
    "cross_entropy-empty-batch": lambda lib: lib.nn.functional.cross_entropy(
        lib.zeros(0, 3), lib.zeros(0).long()),
    "cross_entropy-probabilities-double-weight": lambda lib: lib.nn.functional.cross_entropy(
        logits(lib), lib.full((4, 3), 1 / 3), weight=lib.ones(3).double()),
    "binary_cross_entropy-weight-broadcasts": lambda lib: lib.nn.functional.binary_cross_entropy(
        lib.full((2, 3), 0.5), lib.full((2, 3), 0.5), weight=lib.ones(2, 1)),
    "mse_loss-weight": lambda lib: lib.nn.functional.mse_loss(
        lib.ones(3), lib.zeros(3), weight=lib.ones(3)),
    "hardtanh-min-equals-max": lambda lib: lib.nn.functional.hardtanh(lib.ones(3), 1.0, 1.0),
}


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_edge_torch_accepts_is_accepted(name: str) -> None:
    assert_accepts(ACCEPTED[name])


def test_accepted_edges_give_torch_values() -> None:
    """Where an edge is accepted, the numbers agree with torch's too (not only the shapes)."""
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle")
    for build in (ACCEPTED["cross_entropy-1d-scores-one-target"],
                  ACCEPTED["cross_entropy-uint8-classes"],
                  ACCEPTED["mse_loss-weight"]):
        np.testing.assert_allclose(build(mg).numpy(), build(torch).numpy(), rtol=1e-6)


# ---- where minigrad is stricter than torch, or torch's type is an accident -------------------
def raised_here(call: Callable[[], Any], error: type[BaseException]) -> BaseException:
    """The ``error`` ``call`` raises from minigrad's own code."""
    with pytest.raises(error) as info:
        call()
    assert_raised_by_minigrad(info.value)
    return info.value


def test_negative_label_smoothing_is_refused() -> None:
    """torch ignores a negative label_smoothing (computing without smoothing); here it is the
    RuntimeError torch gives above 1, rather than a silently different loss."""
    e = raised_here(lambda: mg.nn.functional.cross_entropy(logits(mg), classes(mg),
                                                            label_smoothing=-0.1), RuntimeError)
    assert "label_smoothing" in str(e) and "-0.1" in str(e)


def test_zero_groups_is_a_runtime_error_not_a_division_by_zero() -> None:
    """torch's GroupNorm(0, 4) fails with Python's ZeroDivisionError; here the forward says what
    is wrong, as torch's does for negative num_groups."""
    norm = mg.nn.GroupNorm(0, 4)
    e = raised_here(lambda: norm(signal(mg)), RuntimeError)
    assert "num groups" in str(e) and "0" in str(e)


# ---- drawn: bad window numbers for every pooling and convolution layer ------------------------
WINDOW_ARGUMENTS = {  # layer: the arguments its window takes
    "MaxPool2d": ("kernel_size", "stride", "padding", "dilation"),
    "AvgPool2d": ("kernel_size", "stride", "padding"),
    "MaxPool1d": ("kernel_size", "stride", "padding", "dilation"),
    "AvgPool1d": ("kernel_size", "stride", "padding"),
    "Conv2d": ("kernel_size", "stride", "padding", "dilation"),
    "Conv1d": ("kernel_size", "stride", "padding", "dilation"),
    "ConvTranspose2d": ("kernel_size", "stride", "padding", "dilation", "output_padding"),
}
GOOD = {"kernel_size": 3, "stride": 1, "padding": 0, "dilation": 1, "output_padding": 0}


def window_layer(lib: Any, layer: str, argument: str, value: Any) -> Any:
    """``layer`` with ``argument=value`` (a 3 x 3 kernel otherwise), run on a fitting input."""
    arguments = {"kernel_size": 3, argument: value}
    one_d = layer.endswith("1d")
    x = signal(lib) if one_d else image(lib)
    if layer.startswith("Conv"):
        return getattr(lib.nn, layer)(4, 4, **arguments)(x)
    return getattr(lib.nn, layer)(**arguments)(x)


@st.composite
def bad_window_arguments(draw: st.DrawFn) -> tuple[Build, type[BaseException], tuple[str, ...]]:
    """A layer, one of its window arguments, and a value torch refuses for it: a negative int
    (0 too, but for padding), or a float; for a 2-D layer alone or beside a good value."""
    layer = draw(st.sampled_from(sorted(WINDOW_ARGUMENTS)))
    argument = draw(st.sampled_from(WINDOW_ARGUMENTS[layer]))
    lowest = 0 if argument.endswith("padding") else 1
    bad = draw(st.integers(-5, lowest - 1) | st.floats(0.25, 4.0).map(lambda f: round(f, 2)))
    value: Any = bad
    if not layer.endswith("1d") and draw(st.booleans()):
        value = draw(st.sampled_from([(bad, GOOD[argument]), (GOOD[argument], bad)]))
    error = TypeError if isinstance(bad, float) else RuntimeError
    return (lambda lib: window_layer(lib, layer, argument, value)), error, (argument, str(bad))


@given(bad=bad_window_arguments())
def test_drawn_bad_window_arguments_are_refused_as_torch(
        bad: tuple[Build, type[BaseException], tuple[str, ...]]) -> None:
    assert_rejects(*bad)


@st.composite
def bad_sizes(draw: st.DrawFn) -> tuple[Build, type[BaseException], tuple[str, ...]]:
    """A bad size or number elsewhere: a negative (or float) adaptive output size, a batch norm
    eps torch refuses, a negative (or float) channel or feature count."""
    kind = draw(st.sampled_from(["output_size", "eps", "channels", "features"]))
    negative = draw(st.integers(-5, -1))
    fraction = draw(st.floats(0.25, 8.0).map(lambda f: round(f, 2)))
    if kind == "output_size":
        layer = draw(st.sampled_from(["AdaptiveAvgPool2d", "AdaptiveMaxPool2d"]))
        bad: Any = draw(st.sampled_from([negative, fraction]))
        size = draw(st.sampled_from([bad, (bad, 2), (2, bad)]))
        return ((lambda lib: getattr(lib.nn, layer)(size)(image(lib))),
                TypeError if isinstance(bad, float) else RuntimeError, ("output_size", str(bad)))
    if kind == "eps":
        training = draw(st.booleans())
        eps = draw(st.sampled_from([-fraction, float(negative)] + ([0.0] if training else [])))
        return ((lambda lib: lib.nn.BatchNorm2d(4, eps=eps).train(training)(image(lib))),
                ValueError, ("eps", str(eps)))
    # (a float count that divides by groups=1 reaches the type check: 2.5 % 1 fails before it)
    bad = draw(st.sampled_from([negative, float(draw(st.integers(1, 8)))]))
    error = TypeError if isinstance(bad, float) else RuntimeError
    if kind == "features":
        which = draw(st.sampled_from(["in_features", "out_features"]))
        arguments = {"in_features": 3, "out_features": 2, which: bad}
        return (lambda lib: lib.nn.Linear(**arguments)), error, (which, str(bad))
    layer = draw(st.sampled_from(["Conv2d", "Conv1d", "ConvTranspose2d"]))
    which = draw(st.sampled_from(["in_channels", "out_channels"]))
    arguments = {"in_channels": 4, "out_channels": 4, "kernel_size": 3, which: bad}
    return (lambda lib: getattr(lib.nn, layer)(**arguments)), error, (which, str(bad))


@given(bad=bad_sizes())
def test_drawn_bad_sizes_are_refused_as_torch(
        bad: tuple[Build, type[BaseException], tuple[str, ...]]) -> None:
    assert_rejects(*bad)
