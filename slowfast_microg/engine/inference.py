"""Evaluate a model on a split: predict on every process, score and report on rank 0."""

from __future__ import annotations

import logging
from typing import Any

from fvcore.common.config import CfgNode
from torch import nn

from slowfast_microg.engine import evaluate as evaluation_step
from slowfast_microg.engine.data import SplitLoader
from slowfast_microg.engine.monitor import ScalarWriter
from slowfast_microg.engine.predict import predict_split
from slowfast_microg.engine.runtime import Runtime
from slowfast_microg.engine.stats import gpu_mem_usage, log_json_stats, metrics_table, ram_usage

logger = logging.getLogger(__name__)

# TensorBoard tags of the scalar metrics.
TENSORBOARD_TAGS = {
    "map": "mAP",
    "f1_macro": "F1",
    "recall_macro": "Recall",
    "auroc_macro": "AUROC",
}


def evaluate_model(
    *,
    cfg: CfgNode,
    model: nn.Module,
    split_loader: SplitLoader,
    runtime: Runtime,
    split: str,
    epoch_info: dict[str, Any],
    writer: ScalarWriter,
    step: int,
) -> dict[str, float] | None:
    """Score every box of ``split``, write its result files and json_stats line.

    Every process must call this (predictions are gathered collectively).

    Args:
        cfg: the run's config.
        model: the model (DDP-wrapped or not).
        split_loader: the split's loader (val or test).
        runtime: this process's runtime.
        split: "val" or "test".
        epoch_info: identifies the weights: ``{"cur_epoch": "5"}`` during training,
            ``{"checkpoint_epoch": 30}`` when testing.
        writer: TensorBoard scalars.
        step: TensorBoard step.

    Returns:
        The scalar metrics on rank 0, None elsewhere.
    """
    predictions = predict_split(
        model=model,
        split_loader=split_loader,
        device=runtime.device,
        num_model_classes=cfg.MODEL.NUM_CLASSES,
        autocast_dtype=runtime.autocast_dtype,
        channels_last=runtime.channels_last,
        flip_ensemble=bool(cfg.TEST.FLIP_ENSEMBLE),
        boxes_aligned=bool(cfg.DETECTION.ALIGNED),
        show_progress=runtime.show_progress,
        desc=split,
    )
    if predictions is None:
        return None
    logger.info(
        "Evaluating %d boxes of %d %s items",
        len(predictions.video_ids),
        len(split_loader.dataset),
        split,
    )
    metrics = evaluation_step.evaluate_split(
        cfg=cfg, split=split, predictions=predictions, epoch_info=epoch_info
    )
    stats = {"mode": split, "split": split, **epoch_info, **metrics}
    stats.update({"gpu_mem": gpu_mem_usage(), "RAM": ram_usage(), "_type": f"{split}_epoch"})
    log_json_stats(stats, output_dir=runtime.output_dir)
    label = f"{split} " + ", ".join(f"{k}={v}" for k, v in epoch_info.items())
    logger.info("Metrics (%%):\n%s", metrics_table({label: metrics}))
    prefix = "Val" if split == "val" else "Test"
    writer.add_scalars(
        {
            f"{prefix}/{tag}": metrics[key]
            for key, tag in TENSORBOARD_TAGS.items()
            if key in metrics
        },
        step=step,
    )
    return metrics
