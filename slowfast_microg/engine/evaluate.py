"""The engine's single call into ``slowfast_microg.evaluation``: metrics and result files."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from fvcore.common.config import CfgNode

from slowfast_microg.engine.data import resolve_data_path
from slowfast_microg.engine.predict import SplitPredictions
from slowfast_microg.utils.atomic_io import atomic_write_text

logger = logging.getLogger(__name__)


def groundtruth_file(cfg: CfgNode, split: str) -> Path:
    """Ground-truth CSV of ``split``: MICROG.VAL_GROUNDTRUTH_FILE or AVA.GROUNDTRUTH_FILE."""
    name = cfg.MICROG.VAL_GROUNDTRUTH_FILE if split == "val" else cfg.AVA.GROUNDTRUTH_FILE
    return resolve_data_path(cfg, cfg.AVA.ANNOTATION_DIR, name)


def results_folder(cfg: CfgNode, split: str) -> Path:
    """Where ``split``'s result files go: TEST.SAVE_RESULTS_PATH for test, else OUTPUT_DIR."""
    if split == "test" and cfg.TEST.SAVE_RESULTS_PATH:
        return Path(cfg.TEST.SAVE_RESULTS_PATH)
    return Path(cfg.OUTPUT_DIR)


def scalar_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """The numeric top-level entries of a metrics dict (for json_stats and TensorBoard)."""
    return {
        key: float(value)
        for key, value in metrics.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }


def evaluate_split(
    *,
    cfg: CfgNode,
    split: str,
    predictions: SplitPredictions,
    epoch_info: dict[str, Any],
) -> dict[str, float]:
    """Score ``predictions`` against the split's ground truth and write the result files.

    Writes ``detections_<split>.csv`` (AVA rows), ``ap_per_class_<split>.csv`` and
    ``metrics_<split>.json`` into ``results_folder(cfg, split)``. Call on the main process.

    Args:
        cfg: the run's config (annotation paths, MICROG.EVAL_THRESHOLD).
        split: "val" or "test".
        predictions: every box of the split with its scores over the label map's classes.
        epoch_info: fields identifying the weights ("cur_epoch" or "checkpoint_epoch"),
            stored in the metrics JSON.

    Returns:
        The scalar metrics (``map``, ``f1_macro``, ``recall_macro``, ``auroc_macro`` and the
        matched variants).
    """
    from slowfast_microg import evaluation

    annotations = resolve_data_path(cfg, cfg.AVA.ANNOTATION_DIR)
    label_map = evaluation.read_label_map(annotations / cfg.AVA.LABEL_MAP_FILE)
    gt_path = groundtruth_file(cfg, split)
    gt = evaluation.read_gt_csv(
        gt_path, label_map=label_map, label_map_name=f" ({cfg.AVA.LABEL_MAP_FILE})"
    )
    exclusions = None
    if cfg.AVA.EXCLUSION_FILE:
        exclusion_path = annotations / cfg.AVA.EXCLUSION_FILE
        if not exclusion_path.is_file():
            raise FileNotFoundError(
                f"AVA.EXCLUSION_FILE names {exclusion_path}, which does not exist; set "
                "AVA.EXCLUSION_FILE '' to exclude nothing."
            )
        exclusions = evaluation.read_exclusions(exclusion_path)
    keys = [
        evaluation.make_key(video, stamp)
        for video, stamp in zip(predictions.video_ids, predictions.stamps.tolist(), strict=True)
    ]
    detections = evaluation.Detections(
        keys=keys,
        boxes=predictions.ori_boxes,
        scores=predictions.scores,
        class_ids=predictions.class_ids,
    )
    metrics = evaluation.evaluate_detections(
        gt=gt,
        detections=detections,
        label_map=label_map,
        threshold=cfg.MICROG.EVAL_THRESHOLD,
        exclusions=exclusions,
        score_type="logits" if cfg.MODEL.HEAD_ACT == "none" else "probabilities",
    )
    folder = results_folder(cfg, split)
    folder.mkdir(parents=True, exist_ok=True)
    evaluation.write_detections_csv(folder / f"detections_{split}.csv", detections)
    evaluation.write_ap_per_class_csv(
        folder / f"ap_per_class_{split}.csv", metrics.ap_per_class, label_map=label_map
    )
    report = {"split": split, **epoch_info, "num_boxes": len(predictions.video_ids)}
    report.update(metrics.to_dict())
    atomic_write_text(folder / f"metrics_{split}.json", json.dumps(report, indent=2) + "\n")
    logger.info("Wrote %s results to %s", split, folder)
    return scalar_metrics(metrics.to_dict())
