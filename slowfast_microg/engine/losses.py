"""Per-box training losses selected by ``MODEL.LOSS_FUNC``."""

from __future__ import annotations

import logging
from collections.abc import Callable

import torch
import torch.nn.functional as F

logger = logging.getLogger(__name__)

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _bce_logit(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(scores, labels, reduction="mean")


def _bce(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy(scores, labels, reduction="mean")


def _cross_entropy(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    if labels.numel() and bool((labels.sum(dim=1) <= 0).any()):
        raise ValueError(
            "MODEL.LOSS_FUNC cross_entropy needs at least one positive label per box; the "
            "batch holds a box with none. Use bce_logit for multi-label boxes."
        )
    return F.cross_entropy(scores, labels.argmax(dim=1), reduction="mean")


LOSSES: dict[str, LossFn] = {
    "bce_logit": _bce_logit,
    "bce": _bce,
    "cross_entropy": _cross_entropy,
}


def build_loss(name: str) -> LossFn:
    """Return ``loss(scores, labels) -> scalar`` for ``MODEL.LOSS_FUNC``.

    Args:
        name: "bce_logit" (binary cross-entropy on raw scores, ``MODEL.HEAD_ACT: none``),
            "bce" (binary cross-entropy on sigmoid outputs, ``HEAD_ACT: sigmoid``) or
            "cross_entropy" (single-label: the target of a box is the first class of its
            multi-hot row with the largest value, i.e. its smallest positive class id;
            use ``HEAD_ACT: none``).

    Returns:
        A function of scores (N, K) and multi-hot float labels (N, K) giving the mean loss
        over boxes (and classes for the BCE losses).
    """
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(
            f"Unknown MODEL.LOSS_FUNC {name!r}; choose one of {sorted(LOSSES)}."
        ) from None
