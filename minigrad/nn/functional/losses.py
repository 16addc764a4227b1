"""Losses, with torch.nn.functional's reductions and weights; only binary cross-entropy has its
own backward, for PyTorch's finite gradient at 0 and 1.
"""

from __future__ import annotations

import math
from typing import Any, cast

from minigrad import ops
from minigrad.autograd import Function
from minigrad.factory import ones_like
from minigrad.nn.functional import checks
from minigrad.nn.functional.activations import log_softmax, logsigmoid
from minigrad.ops import gather_in_range
from minigrad.tensor import Tensor


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _weighted(loss: Tensor, weight: Tensor | None, reduction: str) -> Tensor:
    """The loss times ``weight``, reduced: its mean divides by the summed weights, as torch's."""
    if weight is None:
        return _reduce(loss, reduction)
    loss = loss * weight
    return loss.sum() / weight.sum() if reduction == "mean" else _reduce(loss, reduction)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Mean squared error (x - y)^2 (times ``weight``; its mean divides by the summed weights).

    Shape: input and target (*), the same; weight too; output scalar, or (*) with
    reduction='none'.
    """
    checks.pointwise_loss_arguments(input, target, reduction, weight, "mse")
    return _weighted((input - target) ** 2, weight, reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Mean absolute error |x - y| (times ``weight``; its mean divides by the summed weights).

    Shape: input and target (*), the same; weight too; output scalar, or (*) with
    reduction='none'.
    """
    checks.pointwise_loss_arguments(input, target, reduction, weight)
    return _weighted((input - target).abs(), weight, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0
                   ) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, for d = x - y: quadratic near 0,
    then linear (the two pieces meet with the same slope); beta = 0 is the L1 loss.

    Shape: input and target (*), the same; output scalar, or (*) with reduction='none'.
    """
    checks.pointwise_loss_arguments(input, target, reduction, None, "smooth_l1")
    checks.loss_parameter("smooth_l1_loss", "beta", beta, zero_allowed=True)
    d = input - target
    if beta == 0:
        return _reduce(d.abs(), reduction)
    return _reduce(ops.where(d.abs() < beta, 0.5 * d * d / beta, d.abs() - 0.5 * beta),
                   reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), for d = x - y (smooth_l1_loss
    times delta); times ``weight`` if given.

    Shape: input and target (*), the same; weight too; output scalar, or (*) with
    reduction='none'.
    """
    checks.pointwise_loss_arguments(input, target, reduction, weight, "huber")
    checks.loss_parameter("huber_loss", "delta", delta, zero_allowed=False)
    d = input - target
    loss = ops.where(d.abs() < delta, 0.5 * d * d, delta * (d.abs() - 0.5 * delta))
    return _reduce(loss if weight is None else loss * weight, reduction)


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean", log_target: bool = False
           ) -> Tensor:
    """Kullback-Leibler divergence of the target distribution p from q, with log q as input:
    p (log p - log q) per element (0 where p = 0), from log p when ``log_target``.

    reduction='batchmean' sums and divides by the batch size, the KL divergence per sample
    ('mean' divides by every element, as torch's, which warns about it).
    Shape: input (*), target (*), the same; output scalar, or (*) with reduction='none'.
    """
    checks.kl_div_arguments(input, target, reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        nonzero = ops.where(target == 0, 1.0, target)   # 0 log 0 = 0
        loss = target * nonzero.log() - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def _nll(logp: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int
         ) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """Per element -logp[n, t_n] (class dim 1), times the weights w = weight[t_n] (0 where
    ignored); w and the mask of kept targets, both None when every target counts unweighted."""
    keep = checks.class_targets(logp, target, ignore_index)  # checked: in range
    safe = target.long() if keep is None else ops.where(keep, target.long(), 0)
    loss = -gather_in_range(logp, 1, safe.unsqueeze(1)).squeeze(1)
    if keep is None and weight is None:  # the textbook case: -log p of each sample's class
        return loss, None, None
    w = ones_like(loss) if keep is None else keep.to(logp.dtype)
    if weight is not None:
        w = w * weight[safe]
    return loss * w, w, keep


def _weighted_reduce(loss: Tensor, w: Tensor | None, reduction: str, unbatched: bool) -> Tensor:
    """The mean divides by the summed weights of the kept targets, as torch's (when every
    target is ignored that is 0/0: NaN, with a gradient of 0, as torch's)."""
    if w is None or reduction != "mean":
        return _reduce(loss.squeeze(0) if unbatched else loss, reduction)
    total = w.sum()
    none = total.detach() == 0
    return loss.sum() / ops.where(none, 1.0, total) + ops.where(none, math.nan, 0 * total)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: -input[n, target[n]] * weight[target[n]].

    The mean divides by the summed weights of the kept targets (ignore_index drops some).
    Shape: input (N, C) or (N, C, d1, ...) or (C,); target (N) or (N, d1, ...) or () (or (1,)).
    """
    checks.check_reduction(reduction)
    if input.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0) for the input of nll_loss")
    checks.class_target_arguments(input, target, weight, ignore_index, "nll_loss")
    unbatched = input.ndim == 1
    if unbatched:  # (C,): a batch of one
        input, target = input.unsqueeze(0), target.reshape(1)
    loss, w, _ = _nll(input, target, weight, ignore_index)
    return _weighted_reduce(loss, w, reduction, unbatched)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """log_softmax then nll_loss; targets are class indices or class probabilities.

    With ``label_smoothing`` = e the target mixes (1 - e) of itself with e spread evenly over
    the C classes, as torch's. Shape: input (N, C) or (N, C, d1, ...) or (C,); target class
    indices (N, ...) or probabilities of the input's shape.
    """
    probabilities = checks.cross_entropy_arguments(input, target, weight, ignore_index, reduction,
                                                   label_smoothing)
    unbatched = input.ndim == 1
    if unbatched:  # (C,): a batch of one
        input = input.unsqueeze(0)
        target = target.unsqueeze(0) if probabilities else target.reshape(1)
    n_classes = input.shape[1]
    logp = log_softmax(input, 1)

    def weighted() -> Tensor:  # log p times each class's weight (made only where needed)
        return logp if weight is None else logp * weight.reshape(
            (1, n_classes) + (1,) * (input.ndim - 2))

    if probabilities:
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        loss = -(weighted() * target).sum(dim=1)
        return _reduce(loss.squeeze(0) if unbatched else loss, reduction)
    loss, w, keep = _nll(logp, target, weight, ignore_index)
    if label_smoothing > 0:  # plus e/C times the (weighted) -log p of every class
        smooth = -weighted().sum(dim=1)
        smooth = smooth if keep is None else ops.where(keep, smooth, 0.0)
        loss = loss * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)
    return _weighted_reduce(loss, w, reduction, unbatched)


class BinaryCrossEntropy(Function):
    """-(t log x + (1 - t) log(1 - x)) with each log clamped at -100, as torch's."""

    layout = "elementwise"

    def forward(self, x: Any, t: Any) -> Any:
        self.save_for_backward(x, t)
        xp = self.xp

        def log(v: Any) -> Any:  # log(0) = -100, without a NumPy warning
            return xp.where(v > 0, xp.log(xp.where(v > 0, v, 1.0)), -100.0)

        return -(t * xp.maximum(log(x), -100.0) + (1 - t) * xp.maximum(log(1 - x), -100.0))

    # d/dx = (x - t) / (x (1 - x)), its denominator at least 1e-12 (torch's, finite at 0 and 1);
    # d/dt = log(1 - x) - log(x)
    def backward(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        x, t = self.inputs
        gx = gt = None
        if self.needs_input_grad[0]:
            gx = g * (x - t) / (x * (1 - x)).clamp(min=1e-12)
        if self.needs_input_grad[1]:
            gt = g * (cast(Tensor, 1 - x).log().clamp(min=-100) - x.log().clamp(min=-100))
        return gx, gt


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy between probabilities ``input`` and targets in [0, 1].

    Shape: input and target (*), the same; weight broadcasts to them.
    """
    checks.binary_cross_entropy_arguments(input, target, weight, reduction)
    loss = BinaryCrossEntropy.apply(input, target)
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid and binary cross-entropy in one stable expression:
    (1 - t) x - (1 + (pos_weight - 1) t) log(sigmoid(x)).

    Shape: input and target (*), the same; pos_weight broadcasts over the last dim (classes).
    """
    checks.bce_with_logits_arguments(input, target, weight, reduction, pos_weight)
    log_weight = 1.0 if pos_weight is None else (pos_weight - 1) * target + 1
    loss = input * (1 - target) - log_weight * logsigmoid(input)
    return _reduce(loss if weight is None else loss * weight, reduction)
