"""Activation checkpointing of a multi-pathway stage (``MODEL.ACT_CHECKPOINT``)."""

from __future__ import annotations

import logging

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

logger = logging.getLogger(__name__)

_BN_BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


class _StageRun:
    """Calls a stage; on the backward-pass recomputation it leaves BN statistics untouched.

    Without this, recomputing a stage in training mode would update every BatchNorm's running
    statistics a second time per step.
    """

    def __init__(self, stage: nn.Module) -> None:
        self.stage = stage
        self.calls = 0

    def __call__(self, *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        self.calls += 1
        if self.calls == 1:
            return tuple(self.stage(list(tensors)))
        saved = [
            (buffer, buffer.clone())
            for module in self.stage.modules()
            if isinstance(module, nn.modules.batchnorm._BatchNorm)
            for buffer in (getattr(module, name) for name in _BN_BUFFERS)
            if buffer is not None
        ]
        try:
            return tuple(self.stage(list(tensors)))
        finally:
            with torch.no_grad():
                for buffer, value in saved:
                    buffer.copy_(value)


def checkpointed(stage: nn.Module, x: list[torch.Tensor]) -> list[torch.Tensor]:
    """Run ``stage`` on the pathway tensors without keeping its inner activations.

    Args:
        stage: a module mapping a list of (B, C, T, H, W) tensors to a list.
        x: the stage input, one tensor per pathway.

    Returns:
        The stage output; its activations are recomputed during the backward pass.
    """
    return list(checkpoint(_StageRun(stage), *x, use_reentrant=False))
