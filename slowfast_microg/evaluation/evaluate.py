"""One call from ground truth and detections to the paper's metrics, in both variants.

``evaluate_detections`` returns frame mAP@0.5 (PASCAL/AVA, see ``frame_map``) and the paper's
extra metrics in two clearly named variants (definitions in ``docs/evaluation.md``):

- paper (``f1_macro``, ``recall_macro``, ``auroc_macro``), exactly as the authors logged them:
  a box's true classes are every class of any ground-truth box in the same frame; the threshold
  applies to the raw scores (logits in the published runs); F1 and recall are averaged over all
  label-map classes (classes without ground truth add 0); AUROC over classes with both positive
  and negative boxes.
- matched (``*_matched``), the variant to prefer: a box's true classes are those of the
  ground-truth box it overlaps most, if that IoU is >= 0.5; the threshold applies to
  probabilities; F1 and recall are averaged over the classes present in the ground truth (a
  class whose people were never detected counts 0).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from slowfast_microg.evaluation.errors import EvaluationInputError
from slowfast_microg.evaluation.frame_map import (
    average_precision,
    box_iou,
    first_of_groups,
    pairs_sharing_key,
    pascal_true_positives,
)
from slowfast_microg.evaluation.multilabel import (
    auroc_per_class,
    f1_and_recall_per_class,
    predict_positive,
    score_ranks,
)
from slowfast_microg.evaluation.structures import Detections, GroundTruth, canonical_keys

logger = logging.getLogger(__name__)

SCORE_TYPES = ("auto", "logits", "probabilities")


@dataclass(frozen=True)
class DetectionMetrics:
    """Everything ``evaluate_detections`` measures.

    Attributes:
        map: Frame mAP at ``iou_threshold``: mean AP over classes with ground truth.
        ap_per_class: Label-map id -> AP (NaN for a class without ground truth).
        num_gt_per_class: Label-map id -> ground-truth instances (rows) of that class.
        f1_macro: Paper variant macro F1.
        recall_macro: Paper variant macro recall.
        auroc_macro: Paper variant macro AUROC.
        f1_macro_matched: Matched variant macro F1.
        recall_macro_matched: Matched variant macro recall.
        auroc_macro_matched: Matched variant macro AUROC.
        threshold: The F1/recall threshold (on raw scores for the paper variant, on
            probabilities for the matched variant).
        iou_threshold: The IoU needed for a match.
        score_type: "logits" or "probabilities" (resolved from "auto").
        num_boxes: Detected boxes evaluated (after exclusions).
        num_gt_rows: Ground-truth rows evaluated (after exclusions).
        num_frames: Frames (keys) with ground truth (after exclusions).
        pr_curves: Label-map id -> (precision, recall) arrays over that class's ranked
            detections; empty for a class without ground truth.
    """

    map: float
    ap_per_class: dict[int, float]
    num_gt_per_class: dict[int, int]
    f1_macro: float
    recall_macro: float
    auroc_macro: float
    f1_macro_matched: float
    recall_macro_matched: float
    auroc_macro_matched: float
    threshold: float
    iou_threshold: float
    score_type: str
    num_boxes: int
    num_gt_rows: int
    num_frames: int
    pr_curves: dict[int, tuple[np.ndarray, np.ndarray]] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, float]:
        """The scalar metrics under the names PySlowFast ``json_stats`` lines use."""
        return {
            "map": self.map,
            "f1_macro": self.f1_macro,
            "recall_macro": self.recall_macro,
            "auroc_macro": self.auroc_macro,
            "f1_macro_matched": self.f1_macro_matched,
            "recall_macro_matched": self.recall_macro_matched,
            "auroc_macro_matched": self.auroc_macro_matched,
        }


def _mean_or_nan(values: np.ndarray) -> float:
    """Mean of the finite values, NaN when there are none (no warning)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else math.nan


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    """Logistic function without overflow; exactly 0.5 at 0, NaN stays NaN."""
    return 0.5 * (1.0 + np.tanh(0.5 * logits))


def _resolve_score_type(score_type: str, scores: np.ndarray) -> str:
    """Return "logits" or "probabilities"; "auto" picks logits if any score is outside [0, 1]."""
    if score_type not in SCORE_TYPES:
        raise EvaluationInputError(f"score_type must be one of {SCORE_TYPES}", value=score_type)
    if score_type != "auto":
        return score_type
    finite = scores[np.isfinite(scores)]
    outside = finite.size and (finite.min() < 0.0 or finite.max() > 1.0)
    return "logits" if outside else "probabilities"


def _class_columns(ids: np.ndarray, label_ids: np.ndarray, what: str) -> np.ndarray:
    """Map action ids to label-map columns; an id not in the label map is an error."""
    columns = np.searchsorted(label_ids, ids)
    columns = np.minimum(columns, label_ids.size - 1)
    unknown = label_ids[columns] != ids
    if unknown.any():
        raise EvaluationInputError(
            f"{what} action id is not in the label map",
            value=int(ids[np.flatnonzero(unknown)[0]]),
            hint="Evaluate with the label map the model was trained with",
        )
    return columns


def evaluate_detections(
    *,
    gt: GroundTruth,
    detections: Detections,
    label_map: Mapping[int, str],
    threshold: float = 0.5,
    exclusions: Iterable[str] | None = None,
    score_type: str = "auto",
    iou_threshold: float = 0.5,
) -> DetectionMetrics:
    """Evaluate per-box class scores against ground-truth boxes.

    Args:
        gt: Ground-truth rows (one per box and action).
        detections: Detected boxes with a score per class.
        label_map: Action id -> name; its ids are the evaluated classes.
        threshold: F1/recall threshold: applied to raw scores (paper variant) and to
            probabilities (matched variant). A rounded score equal to it counts as below
            (see ``Detections.scores_rounded``).
        exclusions: Keys ``"video,stamp"`` to leave out of every metric.
        score_type: "logits", "probabilities" or "auto" (logits if any score is outside
            [0, 1]); the matched variant applies a sigmoid to logits.
        iou_threshold: IoU needed for a detection to match a ground-truth box.

    Returns:
        The metrics.

    Raises:
        EvaluationInputError: An action id outside the label map, an unknown score type, or
            no ground truth left to evaluate.
    """
    label_ids = np.fromiter(sorted(label_map), dtype=np.int64)
    if label_ids.size == 0:
        raise EvaluationInputError("label map has no classes")
    gt_class = _class_columns(gt.labels, label_ids, "ground-truth")
    det_columns = _class_columns(detections.class_ids, label_ids, "detection")
    scores = np.full((len(detections), label_ids.size), np.nan)
    scores[:, det_columns] = detections.scores
    resolved_type = _resolve_score_type(score_type, detections.scores)

    keys, key_index = np.unique(np.concatenate([gt.keys, detections.keys]), return_inverse=True)
    gt_key, det_key = key_index[: len(gt)], key_index[len(gt) :]
    excluded = np.zeros(keys.size, dtype=bool)
    if exclusions is not None:
        excluded = np.isin(keys, canonical_keys(list(exclusions), what="exclusion"))
    gt_rows = np.flatnonzero(~excluded[gt_key])
    det_rows = np.flatnonzero(~excluded[det_key])
    if gt_rows.size == 0:
        raise EvaluationInputError("no ground truth left to evaluate (all rows excluded or none)")

    gt_key, gt_class, gt_boxes = gt_key[gt_rows], gt_class[gt_rows], gt.boxes[gt_rows]
    det_key, det_boxes, scores = det_key[det_rows], detections.boxes[det_rows], scores[det_rows]
    box_ok = (det_boxes[:, 0] < det_boxes[:, 2]) & (det_boxes[:, 1] < det_boxes[:, 3])
    valid = np.isfinite(scores) & box_ok[:, None]

    det_idx, gt_idx = pairs_sharing_key(det_key, gt_key)
    iou = box_iou(det_boxes[det_idx], gt_boxes[gt_idx])
    true_positive = pascal_true_positives(
        scores=scores,
        valid=valid,
        gt_class=gt_class,
        det_idx=det_idx,
        gt_idx=gt_idx,
        iou=iou,
        iou_threshold=iou_threshold,
    )
    num_gt = np.bincount(gt_class, minlength=label_ids.size)
    ap, curves = average_precision(
        scores=scores, valid=valid, true_positive=true_positive, num_gt=num_gt
    )

    strict = detections.scores_rounded
    frame_classes = np.zeros((keys.size, label_ids.size), dtype=bool)
    frame_classes[gt_key, gt_class] = True
    paper_true = frame_classes[det_key]
    paper_f1, paper_recall = f1_and_recall_per_class(
        paper_true, predict_positive(scores, threshold, strict=strict)
    )
    matched_true = _matched_labels(
        gt_key=gt_key,
        gt_class=gt_class,
        gt_boxes=gt_boxes,
        pairs=(det_idx, gt_idx, iou),
        shape=(det_rows.size, label_ids.size),
        iou_threshold=iou_threshold,
    )
    probabilities = _sigmoid(scores) if resolved_type == "logits" else scores
    matched_f1, matched_recall = f1_and_recall_per_class(
        matched_true, predict_positive(probabilities, threshold, strict=strict)
    )
    present = num_gt > 0
    ranks = score_ranks(scores)

    ids = label_ids.tolist()
    return DetectionMetrics(
        map=_mean_or_nan(ap),
        ap_per_class=dict(zip(ids, ap.tolist(), strict=True)),
        num_gt_per_class=dict(zip(ids, num_gt.tolist(), strict=True)),
        f1_macro=float(paper_f1.mean()),
        recall_macro=float(paper_recall.mean()),
        auroc_macro=_mean_or_nan(auroc_per_class(paper_true, ranks)),
        f1_macro_matched=_mean_or_nan(np.where(present, matched_f1, np.nan)),
        recall_macro_matched=_mean_or_nan(np.where(present, matched_recall, np.nan)),
        auroc_macro_matched=_mean_or_nan(auroc_per_class(matched_true, ranks)),
        threshold=float(threshold),
        iou_threshold=float(iou_threshold),
        score_type=resolved_type,
        num_boxes=int(det_rows.size),
        num_gt_rows=int(gt_rows.size),
        num_frames=int(np.unique(gt_key).size),
        pr_curves=dict(zip(ids, curves, strict=True)),
    )


def _matched_labels(
    *,
    gt_key: np.ndarray,
    gt_class: np.ndarray,
    gt_boxes: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    shape: tuple[int, int],
    iou_threshold: float,
) -> np.ndarray:
    """Each detection's true classes: those of the ground-truth box it overlaps most.

    Rows with the same frame and coordinates form one person box carrying all their classes.
    A detection whose best IoU is below ``iou_threshold`` has no true class.

    Args:
        gt_key: (N,) frame id of each ground-truth row.
        gt_class: (N,) class column of each row.
        gt_boxes: (N, 4) boxes.
        pairs: Same-frame (detection, row, IoU) triples from ``pairs_sharing_key``.
        shape: (number of detections, number of classes).
        iou_threshold: Minimum IoU of a match.

    Returns:
        (M, K) boolean labels.
    """
    det_idx, gt_idx, iou = pairs
    _, person = np.unique(np.column_stack([gt_key, gt_boxes]), axis=0, return_inverse=True)
    person = person.reshape(-1)
    person_classes = np.zeros((int(person.max(initial=-1)) + 1, shape[1]), dtype=bool)
    person_classes[person, gt_class] = True
    order = np.lexsort((gt_idx, -iou, det_idx))
    best = order[first_of_groups(det_idx[order])]
    best = best[iou[best] >= iou_threshold]
    labels = np.zeros(shape, dtype=bool)
    labels[det_idx[best]] = person_classes[person[gt_idx[best]]]
    return labels
