"""One training epoch: forward, guarded loss, backward, clipping, step, logging, checkpoints."""

from __future__ import annotations

import logging
import time
from typing import Any

import torch
from fvcore.common.config import CfgNode
from torch import nn

from slowfast_microg.engine.checkpointer import RunCheckpointer, TrainProgress
from slowfast_microg.engine.data import SplitLoader
from slowfast_microg.engine.guards import DecodeFailures, LossDivergedError, LossGuard
from slowfast_microg.engine.losses import build_loss
from slowfast_microg.engine.lr_policy import LRSchedule, set_lr
from slowfast_microg.engine.monitor import ScalarWriter, TrainMeter, progress_bar
from slowfast_microg.engine.runtime import Runtime, set_train_mode
from slowfast_microg.engine.stats import log_json_stats
from slowfast_microg.models.acceleration import to_channels_last
from slowfast_microg.utils import distributed as du

logger = logging.getLogger(__name__)


class TrainLoop:
    """Runs training epochs for one process of a (possibly distributed) job.

    Args:
        cfg: the run's config.
        model: the model, DDP-wrapped when distributed.
        optimizer: its optimiser.
        scaler: fp16 grad scaler or None.
        train_loader: the training split's loader.
        runtime: this process's runtime.
        checkpointer: writes mid-epoch and divergence checkpoints.
        writer: TensorBoard scalars.
    """

    def __init__(
        self,
        *,
        cfg: CfgNode,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        scaler: torch.amp.GradScaler | None,
        train_loader: SplitLoader,
        runtime: Runtime,
        checkpointer: RunCheckpointer,
        writer: ScalarWriter,
    ) -> None:
        self.cfg = cfg
        self.model = model
        self.optimizer = optimizer
        self.scaler = scaler
        self.loader = train_loader
        self.runtime = runtime
        self.checkpointer = checkpointer
        self.writer = writer
        self.loss_fn = build_loss(cfg.MODEL.LOSS_FUNC)
        self.schedule = LRSchedule.from_cfg(cfg)
        self.iters_per_epoch = train_loader.iterations_per_epoch
        if self.iters_per_epoch == 0:
            raise ValueError(
                f"The training split has {len(train_loader.dataset)} items, fewer than one "
                f"batch of TRAIN.BATCH_SIZE={cfg.TRAIN.BATCH_SIZE}."
            )
        self.guard = LossGuard(factor=cfg.TRAIN.KILL_LOSS_EXPLOSION_FACTOR)
        self.decode_failures = DecodeFailures(budget=cfg.TRAIN.MAX_DECODE_FAILURES)
        self.meter = TrainMeter(
            max_epoch=cfg.SOLVER.MAX_EPOCH,
            iters_per_epoch=self.iters_per_epoch,
            global_batch_size=cfg.TRAIN.BATCH_SIZE,
        )

    def load_state(self, extra: dict[str, Any]) -> None:
        """Restore guard windows, failures and the epoch's meter from a checkpoint."""
        self.guard.load_state(extra.get("loss_window"))
        self.decode_failures.load_state(extra.get("decode_failures"))
        self.meter.load_state(extra.get("meter"))

    def state(self) -> dict[str, Any]:
        """Bookkeeping stored in checkpoints (``TrainProgress.extra``)."""
        return {
            "loss_window": self.guard.state(),
            "decode_failures": self.decode_failures.state(),
            "meter": self.meter.state(),
        }

    def _sync_failures(self, batch: dict, *, epoch: int, iteration: int) -> bool:
        """Account for clips that failed on any process; True when a process has no items."""
        local = torch.tensor(
            [float(len(batch["failures"])), float(len(batch["indices"]) == 0)],
            device=self.runtime.device,
        )
        if self.runtime.world_size > 1:
            torch.distributed.all_reduce(local)
        if local[0].item() > 0:
            gathered = du.all_gather_objects(batch["failures"])
            failures = [failure for part in gathered for failure in part]
            self.decode_failures.add(failures, epoch=epoch, iteration=iteration)
        return local[1].item() > 0

    def _forward_loss(self, batch: dict) -> torch.Tensor:
        device = self.runtime.device
        inputs = [x.to(device, non_blocking=True) for x in batch["inputs"]]
        if self.runtime.channels_last:
            inputs = to_channels_last(inputs)
        boxes = batch["boxes"].to(device, non_blocking=True)
        labels = batch["labels"].to(device, non_blocking=True).float()
        dtype = self.runtime.autocast_dtype
        with torch.autocast(device_type=device.type, dtype=dtype, enabled=dtype is not None):
            scores = self.model(inputs, boxes)
        return self.loss_fn(scores.float(), labels) * self._box_share(len(boxes))

    def _box_share(self, local_boxes: int) -> float:
        """``world x local boxes / global boxes``: weight of this process's mean loss.

        DDP averages the processes' gradients; weighting each process's per-box mean by its
        share of the global batch's boxes makes that average the gradient of the mean over
        all boxes, as one process with the whole batch computes (ranks may hold different
        numbers of persons). 1 in a single process.
        """
        world = self.runtime.world_size
        if world == 1:
            return 1.0
        total = torch.tensor([float(local_boxes)], device=self.runtime.device)
        torch.distributed.all_reduce(total)
        return world * local_boxes / max(total.item(), 1.0)

    def _stop_diverged(
        self, reason: str, batch: dict, *, epoch: int, iteration: int, progress: TrainProgress
    ) -> None:
        clip_ids = [cid for part in du.all_gather_objects(list(batch["clip_ids"])) for cid in part]
        progress.extra = self.state()
        path = self.checkpointer.save_diverged(progress)
        raise LossDivergedError(
            f"Training stopped at epoch {epoch + 1}, iteration {iteration + 1} (global step "
            f"{progress.global_step + 1}): {reason}. Clips of this batch: {clip_ids}. The "
            f"state before this step is saved in {path}."
        )

    def _step(self, loss: torch.Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        solver = self.cfg.SOLVER
        clip = solver.CLIP_GRAD_VAL is not None or solver.CLIP_GRAD_L2NORM is not None
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            if clip:
                self.scaler.unscale_(self.optimizer)
        else:
            loss.backward()
        params = [p for group in self.optimizer.param_groups for p in group["params"]]
        if solver.CLIP_GRAD_VAL is not None:
            torch.nn.utils.clip_grad_value_(params, solver.CLIP_GRAD_VAL)
        if solver.CLIP_GRAD_L2NORM is not None:
            torch.nn.utils.clip_grad_norm_(params, solver.CLIP_GRAD_L2NORM)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()

    def _log_iteration(self, *, epoch: int, iteration: int, step: int) -> None:
        if not self.runtime.is_master or (iteration + 1) % self.cfg.LOG_PERIOD:
            return
        log_json_stats(self.meter.iter_stats(epoch=epoch, iteration=iteration))
        self.writer.add_scalars(
            {
                "Train/loss": self.meter.last_loss,
                "Train/lr": self.meter.last_lr,
                "Train/throughput": self.meter.throughput(),
            },
            step=step,
        )

    def run_epoch(self, epoch: int, progress: TrainProgress) -> None:
        """Train 0-based ``epoch`` from ``progress.iteration`` to its end; update ``progress``.

        Raises:
            LossDivergedError: non-finite or exploding loss (a checkpoint is saved first).
            DecodeBudgetExceededError: too many clips failed to decode.
        """
        set_train_mode(self.model, frozen_bn=self.cfg.MODEL.FROZEN_BN)
        start = progress.iteration
        period = self.cfg.TRAIN.CHECKPOINT_ITER_PERIOD
        batches = progress_bar(
            self.loader.batches(epoch, skip_batches=start),
            total=self.iters_per_epoch - start,
            desc=f"epoch {epoch + 1}/{self.cfg.SOLVER.MAX_EPOCH}",
            enabled=self.runtime.show_progress,
        )
        tic = time.perf_counter()
        for iteration, batch in enumerate(batches, start=start):
            data_done = time.perf_counter()
            if self._sync_failures(batch, epoch=epoch, iteration=iteration):
                logger.warning(
                    "Epoch %d iteration %d skipped: a process has no loadable item.",
                    epoch + 1,
                    iteration + 1,
                )
            else:
                lr = self.schedule(epoch + iteration / self.iters_per_epoch)
                set_lr(self.optimizer, lr)
                loss = self._forward_loss(batch)
                loss_value = du.all_reduce_mean(loss.detach()).item()
                reason = self.guard.problem(loss_value)
                if reason is not None:
                    self._stop_diverged(
                        reason, batch, epoch=epoch, iteration=iteration, progress=progress
                    )
                self._step(loss)
                self.guard.record(loss_value)
                done = time.perf_counter()
                self.meter.update(
                    loss=loss_value, lr=lr, dt_data=data_done - tic, dt_net=done - data_done
                )
                progress.global_step += 1
                self._log_iteration(epoch=epoch, iteration=iteration, step=progress.global_step)
            progress.iteration = iteration + 1
            if period and progress.iteration % period == 0:
                if progress.iteration < self.iters_per_epoch:
                    progress.extra = self.state()
                    self.checkpointer.save_partial(progress)
            tic = time.perf_counter()
        self._finish_epoch(epoch, progress)

    def _finish_epoch(self, epoch: int, progress: TrainProgress) -> None:
        if self.runtime.is_master:
            stats = self.meter.epoch_stats(epoch=epoch)
            log_json_stats(stats, output_dir=self.runtime.output_dir)
            self.writer.add_scalars({"Train/epoch_loss": stats["loss"]}, step=progress.global_step)
        progress.epoch = epoch
        progress.iteration = 0
        self.meter.load_state(None)
        progress.extra = self.state()
