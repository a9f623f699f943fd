"""Training meters, TensorBoard scalars and progress bars (timing and logging only)."""

from __future__ import annotations

import datetime
import logging
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from fvcore.common.config import CfgNode
from tqdm import tqdm

from slowfast_microg.engine.stats import gpu_mem_usage, ram_usage

logger = logging.getLogger(__name__)

T = TypeVar("T")


def progress_bar(iterable: Iterable[T], *, total: int, desc: str, enabled: bool) -> Iterator[T]:
    """A tqdm progress bar with ETA over ``iterable`` when ``enabled`` and stderr is a terminal."""
    return iter(
        tqdm(
            iterable,
            total=total,
            desc=desc,
            disable=None if enabled else True,
            leave=False,
            dynamic_ncols=True,
        )
    )


class ScalarWriter:
    """TensorBoard scalars (Train/loss, Train/lr, Train/throughput, Val/mAP, ...) or nothing.

    Args:
        log_dir: event folder; None disables writing.
    """

    def __init__(self, log_dir: str | Path | None) -> None:
        self._writer = None
        if log_dir is not None:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(log_dir))
            logger.info("TensorBoard scalars go to %s", log_dir)

    @classmethod
    def from_cfg(cls, cfg: CfgNode, *, is_master: bool) -> ScalarWriter:
        """Enabled on the main process with ``TENSORBOARD.ENABLE``; folder from LOG_DIR."""
        if not (cfg.TENSORBOARD.ENABLE and is_master):
            return cls(None)
        log_dir = cfg.TENSORBOARD.LOG_DIR or f"runs-{cfg.TRAIN.DATASET}"
        path = Path(log_dir)
        return cls(path if path.is_absolute() else Path(cfg.OUTPUT_DIR) / path)

    def add_scalars(self, values: Mapping[str, float], *, step: int) -> None:
        """Write each ``tag: value`` at ``step``."""
        if self._writer is None:
            return
        for tag, value in values.items():
            self._writer.add_scalar(tag, value, global_step=step)
        self._writer.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class TrainMeter:
    """Per-iteration timing and loss statistics of the training loop.

    Args:
        max_epoch: SOLVER.MAX_EPOCH.
        iters_per_epoch: iterations of one epoch.
        global_batch_size: clips per optimisation step over all processes.
        window: iterations averaged for the ETA and the logged timings.
    """

    def __init__(
        self, *, max_epoch: int, iters_per_epoch: int, global_batch_size: int, window: int = 20
    ) -> None:
        self.max_epoch = max_epoch
        self.iters_per_epoch = iters_per_epoch
        self.global_batch_size = global_batch_size
        self._dt: deque[float] = deque(maxlen=window)
        self._dt_data: deque[float] = deque(maxlen=window)
        self._dt_net: deque[float] = deque(maxlen=window)
        self.loss_sum = 0.0
        self.loss_count = 0
        self.last_loss = float("nan")
        self.last_lr = float("nan")

    def load_state(self, state: Mapping[str, Any] | None) -> None:
        """Restore the epoch's running loss (after resuming mid-epoch); None starts afresh."""
        state = state or {}
        self.loss_sum = float(state.get("loss_sum", 0.0))
        self.loss_count = int(state.get("loss_count", 0))

    def state(self) -> dict[str, Any]:
        """The epoch's running loss, for mid-epoch checkpoints."""
        return {"loss_sum": self.loss_sum, "loss_count": self.loss_count}

    def update(self, *, loss: float, lr: float, dt_data: float, dt_net: float) -> None:
        """Record one iteration."""
        self._dt_data.append(dt_data)
        self._dt_net.append(dt_net)
        self._dt.append(dt_data + dt_net)
        self.loss_sum += loss
        self.loss_count += 1
        self.last_loss = loss
        self.last_lr = lr

    def _mean(self, values: deque[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    def throughput(self) -> float:
        """Clips per second over the recent window (all processes)."""
        dt = self._mean(self._dt)
        return self.global_batch_size / dt if dt > 0 else 0.0

    def eta(self, *, epoch: int, iteration: int) -> str:
        """Time left for the whole training, from the recent iteration time."""
        done = epoch * self.iters_per_epoch + iteration + 1
        left = self.max_epoch * self.iters_per_epoch - done
        return str(datetime.timedelta(seconds=int(self._mean(self._dt) * max(0, left))))

    def iter_stats(self, *, epoch: int, iteration: int) -> dict[str, Any]:
        """A "train_iter" json_stats record (0-based ``epoch`` and ``iteration``)."""
        return {
            "_type": "train_iter",
            "cur_epoch": f"{epoch + 1}/{self.max_epoch}",
            "cur_iter": str(iteration + 1),
            "eta": self.eta(epoch=epoch, iteration=iteration),
            "dt": self._mean(self._dt),
            "dt_data": self._mean(self._dt_data),
            "dt_net": self._mean(self._dt_net),
            "mode": "train",
            "loss": self.last_loss,
            "lr": self.last_lr,
            "throughput": self.throughput(),
            "gpu_mem": gpu_mem_usage(),
        }

    def epoch_stats(self, *, epoch: int) -> dict[str, Any]:
        """A "train_epoch" json_stats record for 0-based ``epoch``."""
        mean_loss = self.loss_sum / self.loss_count if self.loss_count else float("nan")
        return {
            "_type": "train_epoch",
            "epoch": f"{epoch + 1}/{self.max_epoch}",
            "cur_epoch": str(epoch + 1),
            "mode": "train",
            "loss": mean_loss,
            "lr": self.last_lr,
            "dt": self._mean(self._dt),
            "dt_data": self._mean(self._dt_data),
            "dt_net": self._mean(self._dt_net),
            "throughput": self.throughput(),
            "gpu_mem": gpu_mem_usage(),
            "RAM": ram_usage(),
        }
