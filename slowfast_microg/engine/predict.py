"""Per-box predictions over a split, gathered from every process in dataset order."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from slowfast_microg.engine.data import SplitLoader
from slowfast_microg.engine.monitor import progress_bar
from slowfast_microg.engine.views import add_flipped_view, average_views
from slowfast_microg.models.acceleration import to_channels_last
from slowfast_microg.utils import distributed as du
from slowfast_microg.utils.label_space import label_map_columns

logger = logging.getLogger(__name__)


@dataclass
class SplitPredictions:
    """Scores of every box of a split, in dataset order (items, then boxes within an item).

    Attributes:
        scores: (N, K) float32 model outputs (after MODEL.HEAD_ACT) over the label map's K
            classes.
        ori_boxes: (N, 4) float32 normalised x1, y1, x2, y2 boxes as read from the CSV.
        video_ids: N clip ids.
        stamps: (N,) int64 frame stamps.
        item_indices: (N,) int64 dataset index of each box's item.
        class_ids: the K AVA ids of the score columns.
    """

    scores: np.ndarray
    ori_boxes: np.ndarray
    video_ids: list[str]
    stamps: np.ndarray
    item_indices: np.ndarray
    class_ids: list[int]


def select_label_map_outputs(
    scores: np.ndarray, *, class_ids: Sequence[int], num_model_classes: int
) -> np.ndarray:
    """Keep the model outputs of the label map's classes (zero-shot AVA models).

    A model trained on the full AVA list has output ``i`` for AVA id ``i + 1``; MicroG-4M ids
    are original AVA ids, so an 80-class model is scored on the 50 MicroG-4M classes by taking
    columns ``id - 1``. When the model already has one output per label-map class the scores
    are returned unchanged.

    Args:
        scores: (N, num_model_classes) model outputs.
        class_ids: sorted AVA ids of the label map (K entries).
        num_model_classes: MODEL.NUM_CLASSES.

    Returns:
        (N, K) scores in ``class_ids`` order.
    """
    if scores.shape[1] != num_model_classes:
        raise ValueError(
            f"Scores have {scores.shape[1]} columns but MODEL.NUM_CLASSES is {num_model_classes}."
        )
    columns = label_map_columns(num_model_classes=num_model_classes, class_ids=class_ids)
    if columns is None:
        return scores
    logger.info(
        "Zero-shot scoring: selecting %d of the model's %d outputs (AVA id = output + 1).",
        len(class_ids),
        num_model_classes,
    )
    return scores[:, columns]


def _batch_rows(batch: dict, scores: torch.Tensor) -> dict[str, np.ndarray]:
    box_item = batch["boxes"][:, 0].long()
    return {
        "scores": scores.float().cpu().numpy(),
        "ori_boxes": batch["ori_boxes"].float().cpu().numpy(),
        "metadata": batch["metadata"].long().cpu().numpy().reshape(-1, 2),
        "item_indices": batch["indices"][box_item.cpu()].numpy(),
    }


@torch.no_grad()
def predict_split(
    *,
    model: nn.Module,
    split_loader: SplitLoader,
    device: torch.device,
    num_model_classes: int,
    autocast_dtype: torch.dtype | None,
    show_progress: bool,
    desc: str,
    channels_last: bool = False,
    flip_ensemble: bool = False,
    boxes_aligned: bool = True,
) -> SplitPredictions | None:
    """Score every box of the split on all processes; gather on rank 0.

    Each process scores its shard, one loader batch (TEST.BATCH_SIZE / processes keyframes)
    per forward; rank 0 receives all shards, checks that every dataset item was scored
    exactly once (no padding duplicates, no gaps), and orders boxes by item index.

    Args:
        model: the model (eval mode is set for the pass).
        split_loader: the split's loader.
        device: where the model runs.
        num_model_classes: MODEL.NUM_CLASSES.
        autocast_dtype: autocast dtype, or None for float32.
        show_progress: draw a progress bar.
        desc: progress bar label.
        channels_last: feed clips in ``torch.channels_last_3d`` (TRAIN.CHANNELS_LAST).
        flip_ensemble: also score each clip's horizontal mirror in the same forward and
            average the two views (TEST.FLIP_ENSEMBLE).
        boxes_aligned: DETECTION.ALIGNED, which fixes how boxes are mirrored.

    Returns:
        The predictions on rank 0, None on other ranks.
    """
    was_training = model.training
    model.eval()
    rows: list[dict[str, np.ndarray]] = []
    visited: list[np.ndarray] = []
    loader = split_loader.loader
    batches = progress_bar(
        split_loader.batches(0), total=len(loader), desc=desc, enabled=show_progress
    )
    for batch in batches:
        visited.append(batch["indices"].numpy())
        inputs = [x.to(device, non_blocking=True) for x in batch["inputs"]]
        boxes = batch["boxes"].to(device, non_blocking=True)
        if flip_ensemble:
            inputs, boxes = add_flipped_view(inputs, boxes, aligned=boxes_aligned)
        if channels_last:
            inputs = to_channels_last(inputs)
        with torch.autocast(
            device_type=device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None
        ):
            scores = model(inputs, boxes)
        if flip_ensemble:
            scores = average_views(scores.float(), views=2)
        rows.append(_batch_rows(batch, scores))
    model.train(was_training)
    local = {
        key: np.concatenate([r[key] for r in rows]) if rows else None
        for key in ("scores", "ori_boxes", "metadata", "item_indices")
    }
    local["visited"] = np.concatenate(visited) if visited else np.zeros(0, dtype=np.int64)
    shards = du.all_gather_objects(local)
    if not du.is_master_proc():
        return None
    return _merge_shards(shards, dataset=split_loader.dataset, num_model_classes=num_model_classes)


def _merge_shards(shards: list[dict], *, dataset, num_model_classes: int) -> SplitPredictions:
    visited = np.concatenate([s["visited"] for s in shards])
    counts = np.bincount(visited, minlength=len(dataset))
    if len(counts) != len(dataset) or (counts != 1).any():
        missing = np.flatnonzero(counts == 0).tolist()[:10]
        repeated = np.flatnonzero(counts > 1).tolist()[:10]
        raise RuntimeError(
            f"Evaluation covered the {len(dataset)} items incorrectly: missing {missing}, "
            f"repeated {repeated} (first 10 of each)."
        )
    filled = [s for s in shards if s["scores"] is not None]
    if not filled:
        raise RuntimeError("The split has no boxes to score.")
    merged = {
        key: np.concatenate([s[key] for s in filled]) for key in filled[0] if key != "visited"
    }
    order = np.argsort(merged["item_indices"], kind="stable")
    class_ids = list(dataset.class_ids)
    scores = select_label_map_outputs(
        merged["scores"][order], class_ids=class_ids, num_model_classes=num_model_classes
    )
    metadata = merged["metadata"][order]
    names = list(dataset.video_names)
    return SplitPredictions(
        scores=scores.astype(np.float32),
        ori_boxes=merged["ori_boxes"][order].astype(np.float32),
        video_ids=[names[i] for i in metadata[:, 0]],
        stamps=metadata[:, 1].astype(np.int64),
        item_indices=merged["item_indices"][order].astype(np.int64),
        class_ids=class_ids,
    )
