"""The engine's calls into ``slowfast_microg.models.checkpoint`` for external weights."""

from __future__ import annotations

import logging

import torch
from fvcore.common.config import CfgNode
from torch import nn

logger = logging.getLogger(__name__)


def load_initial_weights(
    cfg: CfgNode,
    model: nn.Module,
    *,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None,
) -> int:
    """Initialise from ``TRAIN.CHECKPOINT_FILE_PATH`` (pretraining or another run).

    The optimiser (and scaler) states are taken over unless ``TRAIN.CHECKPOINT_EPOCH_RESET``,
    as in PySlowFast.

    Args:
        cfg: config whose TRAIN.CHECKPOINT_* keys select file, format and conversions.
        model: the unwrapped model.
        optimizer: its optimiser.
        scaler: the fp16 grad scaler, or None.

    Returns:
        The checkpoint's epoch (PySlowFast's "epoch" field; -1 when unknown or reset), so
        training starts at epoch ``returned + 1``.
    """
    from slowfast_microg.models.checkpoint import load_cfg_checkpoint

    keep_state = not cfg.TRAIN.CHECKPOINT_EPOCH_RESET
    report = load_cfg_checkpoint(
        cfg,
        model,
        split="train",
        optimizer=optimizer if keep_state else None,
        scaler=scaler if keep_state else None,
    )
    logger.info("Initial weights from %s: %s", cfg.TRAIN.CHECKPOINT_FILE_PATH, report.summary())
    return -1 if report.epoch is None else int(report.epoch)


def load_external_test_weights(cfg: CfgNode, model: nn.Module, *, split: str) -> int | None:
    """Load test weights from ``TEST.CHECKPOINT_FILE_PATH`` (split "test") or, when testing a
    pretrained model without a run of its own, ``TRAIN.CHECKPOINT_FILE_PATH`` (split "train").

    Returns:
        The checkpoint's stored epoch, or None when it records none.
    """
    from slowfast_microg.models.checkpoint import load_cfg_checkpoint

    report = load_cfg_checkpoint(cfg, model, split=split)
    source = cfg.TEST.CHECKPOINT_FILE_PATH if split == "test" else cfg.TRAIN.CHECKPOINT_FILE_PATH
    logger.info("Test weights from %s: %s", source, report.summary())
    if report.epoch is None or int(report.epoch) < 0:
        return None
    return int(report.epoch)
