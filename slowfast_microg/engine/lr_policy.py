"""Learning-rate policies with linear warm-up, evaluated at fractional epochs (PySlowFast's)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from fvcore.common.config import CfgNode

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LRSchedule:
    """Learning rate as a function of the (fractional) epoch.

    ``cur_epoch`` is ``epoch + iteration / iterations_per_epoch`` with a 0-based epoch, so the
    rate changes every iteration. Policies:

    - ``steps_with_relative_lrs``: ``base_lr * lrs[i]`` while ``steps[i] <= cur_epoch <
      steps[i + 1]`` (the last entry lasts until ``max_epoch`` and beyond).
    - ``cosine``: from ``base_lr`` at epoch 0 (or at the end of the warm-up when
      ``cosine_after_warmup``) to ``cosine_end_lr`` at ``max_epoch``.
    - ``constant``: ``base_lr``.

    During the first ``warmup_epochs`` the rate rises linearly from ``warmup_start_lr`` to the
    policy's value at ``warmup_epochs``.
    """

    policy: str
    base_lr: float
    max_epoch: int
    steps: Sequence[float] = ()
    lrs: Sequence[float] = ()
    cosine_end_lr: float = 0.0
    cosine_after_warmup: bool = False
    warmup_epochs: float = 0.0
    warmup_start_lr: float = 0.0

    @classmethod
    def from_cfg(cls, cfg: CfgNode) -> LRSchedule:
        """Build the schedule from ``cfg.SOLVER``."""
        solver = cfg.SOLVER
        return cls(
            policy=solver.LR_POLICY,
            base_lr=solver.BASE_LR,
            max_epoch=solver.MAX_EPOCH,
            steps=tuple(solver.STEPS),
            lrs=tuple(solver.LRS),
            cosine_end_lr=solver.COSINE_END_LR,
            cosine_after_warmup=solver.COSINE_AFTER_WARMUP,
            warmup_epochs=solver.WARMUP_EPOCHS,
            warmup_start_lr=solver.WARMUP_START_LR,
        )

    def __post_init__(self) -> None:
        if self.policy not in ("steps_with_relative_lrs", "cosine", "constant"):
            raise ValueError(f"Unknown SOLVER.LR_POLICY {self.policy!r}.")
        if self.policy == "cosine" and not self.cosine_end_lr < self.base_lr:
            raise ValueError(
                f"SOLVER.COSINE_END_LR ({self.cosine_end_lr}) must be below SOLVER.BASE_LR "
                f"({self.base_lr}) for the cosine policy."
            )
        if self.policy == "steps_with_relative_lrs" and (
            not self.steps or len(self.steps) != len(self.lrs)
        ):
            raise ValueError(
                f"SOLVER.STEPS {list(self.steps)} and SOLVER.LRS {list(self.lrs)} must be "
                "non-empty and equally long."
            )

    def _policy_lr(self, cur_epoch: float) -> float:
        if self.policy == "constant":
            return self.base_lr
        if self.policy == "cosine":
            offset = self.warmup_epochs if self.cosine_after_warmup else 0.0
            progress = (cur_epoch - offset) / (self.max_epoch - offset)
            span = self.base_lr - self.cosine_end_lr
            return self.cosine_end_lr + span * (math.cos(math.pi * progress) + 1.0) * 0.5
        index = 0
        for i, start in enumerate(self.steps):
            if cur_epoch >= start:
                index = i
        return self.base_lr * self.lrs[index]

    def __call__(self, cur_epoch: float) -> float:
        """Learning rate at fractional epoch ``cur_epoch`` (>= 0)."""
        if cur_epoch < self.warmup_epochs:
            end = self._policy_lr(self.warmup_epochs)
            slope = (end - self.warmup_start_lr) / self.warmup_epochs
            return self.warmup_start_lr + cur_epoch * slope
        return self._policy_lr(cur_epoch)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set every parameter group's rate to ``lr`` times its ``layer_decay`` scale (default 1)."""
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("layer_decay", 1.0)
