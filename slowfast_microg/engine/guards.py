"""Guard rails of the training loop: diverging losses and clips that fail to decode."""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Sequence
from typing import Any

logger = logging.getLogger(__name__)


class LossDivergedError(RuntimeError):
    """The loss became non-finite or exploded; the message names the step and its clips."""


class DecodeBudgetExceededError(RuntimeError):
    """More training clips failed to decode than TRAIN.MAX_DECODE_FAILURES allows."""


class LossGuard:
    """Flags non-finite losses and, with ``factor > 0``, exploding ones (PySlowFast's rule).

    A loss explodes when it exceeds ``factor`` times the mean of the 5 previous losses; the
    check starts once 6 losses have been accepted.

    Args:
        factor: TRAIN.KILL_LOSS_EXPLOSION_FACTOR (0 disables the explosion check).
    """

    WINDOW = 5
    WARMUP = 6

    def __init__(self, *, factor: float) -> None:
        self.factor = factor
        self.recent: deque[float] = deque(maxlen=self.WINDOW)
        self.accepted = 0

    def problem(self, loss: float) -> str | None:
        """Why ``loss`` must stop the run, or None when it is acceptable."""
        if not math.isfinite(loss):
            return f"the loss is {loss}"
        if self.factor > 0 and self.accepted >= self.WARMUP:
            mean = sum(self.recent) / len(self.recent)
            if loss > self.factor * mean:
                return (
                    f"the loss {loss:.5f} exceeds TRAIN.KILL_LOSS_EXPLOSION_FACTOR "
                    f"({self.factor}) x the mean of the previous {self.WINDOW} losses "
                    f"({mean:.5f})"
                )
        return None

    def record(self, loss: float) -> None:
        """Add an accepted loss to the window."""
        self.recent.append(loss)
        self.accepted += 1

    def state(self) -> dict[str, Any]:
        """Recent losses and their count, for checkpoints."""
        return {"recent": list(self.recent), "accepted": self.accepted}

    def load_state(self, state: dict[str, Any] | None) -> None:
        """Restore what ``state`` returned (None starts afresh)."""
        state = state or {}
        self.recent.clear()
        self.recent.extend(state.get("recent", []))
        self.accepted = int(state.get("accepted", 0))


class DecodeFailures:
    """Counts training clips that failed to load against TRAIN.MAX_DECODE_FAILURES.

    Args:
        budget: failures tolerated over the whole run; one more stops it.
    """

    def __init__(self, *, budget: int) -> None:
        self.budget = budget
        self.failures: list[dict[str, Any]] = []

    def add(self, failures: Sequence[tuple[int, str]], *, epoch: int, iteration: int) -> None:
        """Record ``[(dataset index, message)]`` seen at a step; raise past the budget.

        Raises:
            DecodeBudgetExceededError: listing every failure of the run.
        """
        for index, message in failures:
            self.failures.append(
                {"index": int(index), "epoch": epoch + 1, "iter": iteration + 1, "error": message}
            )
            logger.warning(
                "Training item %d skipped at epoch %d iteration %d: %s (%d of %d tolerated)",
                index,
                epoch + 1,
                iteration + 1,
                message,
                len(self.failures),
                self.budget,
            )
        if len(self.failures) > self.budget:
            listing = "\n".join(
                f"  item {f['index']} (epoch {f['epoch']}, iter {f['iter']}): {f['error']}"
                for f in self.failures
            )
            raise DecodeBudgetExceededError(
                f"{len(self.failures)} training clips failed to load, more than "
                f"TRAIN.MAX_DECODE_FAILURES={self.budget}. Fix or remove them and resume:\n"
                f"{listing}"
            )

    def state(self) -> list[dict[str, Any]]:
        """Failures so far, for checkpoints."""
        return list(self.failures)

    def load_state(self, failures: Sequence[dict[str, Any]] | None) -> None:
        """Restore failures saved by ``state``."""
        self.failures = list(failures or [])
