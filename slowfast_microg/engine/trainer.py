"""``train(cfg)``: build, resume or initialise, train epochs, checkpoint and validate."""

from __future__ import annotations

import logging

import torch
from fvcore.common.config import CfgNode
from torch import nn
from torch.utils.data import Dataset

from slowfast_microg.engine import weights
from slowfast_microg.engine.checkpointer import (
    RunCheckpointer,
    TrainProgress,
    find_resume_checkpoint,
    read_checkpoint,
    restore_training_state,
)
from slowfast_microg.engine.data import build_split_loader, ensure_sample_data
from slowfast_microg.engine.inference import evaluate_model
from slowfast_microg.engine.model_info import log_model_info
from slowfast_microg.engine.monitor import ScalarWriter
from slowfast_microg.engine.optimizer import construct_optimizer
from slowfast_microg.engine.precise_bn import recompute_bn_stats
from slowfast_microg.engine.run_folder import prepare_output_dir
from slowfast_microg.engine.runtime import (
    Runtime,
    accelerate_model,
    freeze_batchnorm,
    setup_runtime,
    wrap_distributed,
)
from slowfast_microg.engine.stats import JSON_STATS_LOG, read_json_stats
from slowfast_microg.engine.train_loop import TrainLoop
from slowfast_microg.models.registry import build_model
from slowfast_microg.utils import distributed as du

logger = logging.getLogger(__name__)


def _is_period(epoch: int, period: int, max_epoch: int) -> bool:
    """PySlowFast's rule: every ``period`` epochs (1-based) and always after the last."""
    return (period > 0 and (epoch + 1) % period == 0) or epoch + 1 == max_epoch


def _check_settings(cfg: CfgNode, dataset: Dataset) -> None:
    if cfg.BN.USE_PRECISE_STATS and cfg.MODEL.FROZEN_BN:
        raise ValueError(
            "BN.USE_PRECISE_STATS recomputes the BatchNorm statistics that MODEL.FROZEN_BN "
            "keeps fixed; enable only one of them."
        )
    if cfg.MODEL.NUM_CLASSES != dataset.num_classes:
        raise ValueError(
            f"MODEL.NUM_CLASSES is {cfg.MODEL.NUM_CLASSES} but the training label map has "
            f"{dataset.num_classes} classes; training needs one output per class."
        )


def _resume_or_initialise(
    cfg: CfgNode,
    *,
    net: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None,
) -> tuple[TrainProgress, bool]:
    """Continue the run in OUTPUT_DIR (AUTO_RESUME), else load TRAIN.CHECKPOINT_FILE_PATH.

    Returns:
        The training position and whether it continues this run's own checkpoint.
    """
    if cfg.TRAIN.AUTO_RESUME:
        found = None
        if du.is_master_proc():
            found = find_resume_checkpoint(cfg.OUTPUT_DIR)
        path = du.broadcast_object(None if found is None else str(found[0]))
        if path is not None:
            if found is None:
                found = (path, read_checkpoint(path))
            logger.info("Resuming from %s", path)
            progress = restore_training_state(
                found[1], model=net, optimizer=optimizer, scaler=scaler, cfg=cfg
            )
            return progress, True
    if cfg.TRAIN.CHECKPOINT_FILE_PATH:
        epoch = weights.load_initial_weights(cfg, net, optimizer=optimizer, scaler=scaler)
        if epoch + 1 >= cfg.SOLVER.MAX_EPOCH:
            logger.warning(
                "TRAIN.CHECKPOINT_FILE_PATH records epoch %d, at or past SOLVER.MAX_EPOCH=%d: "
                "nothing is left to train. Set TRAIN.CHECKPOINT_EPOCH_RESET True to fine-tune.",
                epoch + 1,
                cfg.SOLVER.MAX_EPOCH,
            )
        return TrainProgress(epoch=epoch), False
    logger.info("Training from random initialisation.")
    return TrainProgress(), False


def _validation_pending(runtime: Runtime, cfg: CfgNode, progress: TrainProgress) -> bool:
    """True when the last completed epoch should have been validated but has no val line."""
    epoch = progress.epoch
    if (
        epoch < 0
        or progress.iteration
        or not _is_period(epoch, cfg.TRAIN.EVAL_PERIOD, cfg.SOLVER.MAX_EPOCH)
    ):
        return False
    pending = False
    if runtime.is_master:
        log = runtime.output_dir / JSON_STATS_LOG
        records = read_json_stats(log) if log.exists() else []
        pending = not any(
            r.get("mode") == "val" and r.get("cur_epoch") == str(epoch + 1) for r in records
        )
    return du.broadcast_object(pending)


def _build_scaler(runtime: Runtime) -> torch.amp.GradScaler | None:
    if runtime.autocast_dtype == torch.float16:
        return torch.amp.GradScaler("cuda")
    return None


def train(cfg: CfgNode) -> None:
    """Train ``cfg.MODEL`` on the training split, validating every TRAIN.EVAL_PERIOD epochs.

    Writes into OUTPUT_DIR: ``stdout.log``, ``json_stats.log`` (train_epoch and val_epoch
    lines), ``checkpoints/`` and the val result files. Run it on every process of a job
    (see ``launch_job``).

    Args:
        cfg: a validated config (``assert_and_infer_cfg``).
    """
    runtime = setup_runtime(cfg)
    if runtime.is_master:
        prepare_output_dir(cfg)
        ensure_sample_data(cfg)
    du.barrier()
    net = build_model(cfg, gpu_id=runtime.device.index if runtime.use_cuda else None)
    if cfg.MODEL.FROZEN_BN:
        freeze_batchnorm(net)
    if runtime.is_master:
        log_model_info(net, cfg, device=runtime.device)
    net = accelerate_model(net, runtime)
    optimizer = construct_optimizer(net, cfg)
    scaler = _build_scaler(runtime)
    train_loader = build_split_loader(
        cfg, "train", rank=runtime.rank, world_size=runtime.world_size
    )
    _check_settings(cfg, train_loader.dataset)
    val_loader = build_split_loader(cfg, "val", rank=runtime.rank, world_size=runtime.world_size)
    progress, resumed = _resume_or_initialise(cfg, net=net, optimizer=optimizer, scaler=scaler)
    model = wrap_distributed(net, cfg, runtime)
    checkpointer = RunCheckpointer(
        output_dir=runtime.output_dir,
        cfg=cfg,
        model=model,
        optimizer=optimizer,
        scaler=scaler,
        use_cuda=runtime.use_cuda,
    )
    writer = ScalarWriter.from_cfg(cfg, is_master=runtime.is_master)
    loop = TrainLoop(
        cfg=cfg,
        model=model,
        optimizer=optimizer,
        scaler=scaler,
        train_loader=train_loader,
        runtime=runtime,
        checkpointer=checkpointer,
        writer=writer,
    )
    loop.load_state(progress.extra)

    def validate(epoch: int) -> None:
        evaluate_model(
            cfg=cfg,
            model=model,
            split_loader=val_loader,
            runtime=runtime,
            split="val",
            epoch_info={"cur_epoch": str(epoch + 1)},
            writer=writer,
            step=progress.global_step,
        )

    try:
        if resumed and _validation_pending(runtime, cfg, progress):
            logger.info(
                "Running the validation of epoch %d that was interrupted", progress.epoch + 1
            )
            validate(progress.epoch)
        for epoch in range(progress.epoch + 1, cfg.SOLVER.MAX_EPOCH):
            loop.run_epoch(epoch, progress)
            save = _is_period(epoch, cfg.TRAIN.CHECKPOINT_PERIOD, cfg.SOLVER.MAX_EPOCH)
            evaluate = _is_period(epoch, cfg.TRAIN.EVAL_PERIOD, cfg.SOLVER.MAX_EPOCH)
            if cfg.BN.USE_PRECISE_STATS and (save or evaluate):
                recompute_bn_stats(
                    net,
                    train_loader,
                    epoch=epoch,
                    num_batches=cfg.BN.NUM_BATCHES_PRECISE,
                    device=runtime.device,
                )
            if save:
                checkpointer.save_epoch(progress)
            if evaluate:
                validate(epoch)
    finally:
        writer.close()
    logger.info("Training finished after %d epoch(s)", progress.epoch + 1)
