"""Precise BatchNorm statistics (BN.USE_PRECISE_STATS) recomputed on training batches."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import torch
from torch import nn

from slowfast_microg.engine.data import SplitLoader
from slowfast_microg.engine.runtime import batchnorm_modules, set_train_mode

logger = logging.getLogger(__name__)


class _PairInput(nn.Module):
    """Adapts ``model(inputs, boxes)`` to the one-argument call fvcore's precise BN makes."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, pair: tuple[list[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        return self.model(*pair)


def recompute_bn_stats(
    model: nn.Module,
    loader: SplitLoader,
    *,
    epoch: int,
    num_batches: int,
    device: torch.device,
) -> int:
    """Replace BN running statistics by their average over the first training batches.

    The weights are fixed; the batches are the first ``num_batches`` of ``epoch``'s order
    (fewer when the epoch is shorter). Other training-mode layers (dropout) run as in
    training.

    Args:
        model: the unwrapped model.
        loader: the training loader.
        epoch: 0-based epoch whose batch order is used.
        num_batches: BN.NUM_BATCHES_PRECISE.
        device: where the model runs.

    Returns:
        The number of batches used (0 when the model has no BatchNorm layer).
    """
    from fvcore.nn.precise_bn import update_bn_stats

    if not batchnorm_modules(model):
        return 0
    count = min(num_batches, loader.iterations_per_epoch)

    def pairs() -> Iterator[tuple[list[torch.Tensor], torch.Tensor]]:
        for batch in loader.batches(epoch):
            if len(batch["indices"]):
                yield [x.to(device) for x in batch["inputs"]], batch["boxes"].to(device)

    set_train_mode(model, frozen_bn=False)
    update_bn_stats(_PairInput(model), pairs(), num_iters=count)
    logger.info("Precise BN statistics from %d training batches", count)
    return count
