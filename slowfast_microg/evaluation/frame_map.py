"""Frame-level PASCAL average precision at an IoU threshold, vectorised over frames and classes.

The protocol is the one of the AVA evaluator (PASCAL VOC, IoU >= 0.5) that PySlowFast ships:

- In every frame and class, detections are taken in order of score (descending; ties keep input
  order). Each one looks only at the ground-truth box of its class with the highest IoU (the
  first such row on ties). It is a true positive if that IoU is >= the threshold and no earlier
  detection took the box; otherwise it is a false positive.
- Duplicate ground-truth rows are separate instances; the copy that no detection points to
  stays unmatched and lowers recall.
- Per class, all detections are ranked by score (stable: ties keep input order), precision is
  made monotone from the right, and AP is its mean over the ground-truth instances
  (VOC 2010+ all-point AP). Classes without ground truth get NaN.
- A detection box with zero width or height is ignored, as the reference evaluator drops it.

Because each detection's target box is fixed by IoU alone, "first detection in score order
among those aiming at the same box" decides every match, so the greedy loop becomes two sorts.
"""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)


def pairs_sharing_key(det_key: np.ndarray, gt_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (detection, ground-truth row) index pairs that lie in the same frame.

    Args:
        det_key: (M,) integer frame id of each detection.
        gt_key: (N,) integer frame id of each ground-truth row.

    Returns:
        Two (P,) arrays ``det_idx, gt_idx``; for each detection its rows come in ground-truth
        input order.
    """
    num_keys = int(max(det_key.max(initial=-1), gt_key.max(initial=-1))) + 1
    gt_order = np.argsort(gt_key, kind="stable")
    counts = np.bincount(gt_key, minlength=num_keys)
    starts = np.cumsum(counts) - counts
    per_det = counts[det_key]
    det_idx = np.repeat(np.arange(det_key.size), per_det)
    offsets = np.arange(det_idx.size) - np.repeat(np.cumsum(per_det) - per_det, per_det)
    gt_idx = gt_order[np.repeat(starts[det_key], per_det) + offsets]
    return det_idx, gt_idx


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Element-wise IoU of two (P, 4) arrays of ``x1, y1, x2, y2`` boxes.

    Uses the reference evaluator's arithmetic (intersection height times width over
    area_a + area_b - intersection), so values on the 0.5 edge compare identically.
    A pair whose union is empty has IoU 0.

    Returns:
        (P,) IoU values.
    """
    heights = np.maximum(
        0.0, np.minimum(boxes_a[:, 3], boxes_b[:, 3]) - np.maximum(boxes_a[:, 1], boxes_b[:, 1])
    )
    widths = np.maximum(
        0.0, np.minimum(boxes_a[:, 2], boxes_b[:, 2]) - np.maximum(boxes_a[:, 0], boxes_b[:, 0])
    )
    intersection = heights * widths
    area_a = (boxes_a[:, 3] - boxes_a[:, 1]) * (boxes_a[:, 2] - boxes_a[:, 0])
    area_b = (boxes_b[:, 3] - boxes_b[:, 1]) * (boxes_b[:, 2] - boxes_b[:, 0])
    union = area_a + area_b - intersection
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = intersection / union
    return np.where(union > 0, iou, 0.0)


def first_of_groups(sorted_group: np.ndarray) -> np.ndarray:
    """Boolean mask of the first element of each run of equal values in a sorted array."""
    first = np.ones(sorted_group.size, dtype=bool)
    first[1:] = sorted_group[1:] != sorted_group[:-1]
    return first


def pascal_true_positives(
    *,
    scores: np.ndarray,
    valid: np.ndarray,
    gt_class: np.ndarray,
    det_idx: np.ndarray,
    gt_idx: np.ndarray,
    iou: np.ndarray,
    iou_threshold: float,
) -> np.ndarray:
    """Mark which (detection, class) entries are true positives under the PASCAL protocol.

    Args:
        scores: (M, K) detection scores.
        valid: (M, K) entries that take part (finite score, usable box, frame not excluded).
        gt_class: (N,) class column of each ground-truth row.
        det_idx: (P,) detection of each same-frame pair (see ``pairs_sharing_key``).
        gt_idx: (P,) ground-truth row of each pair.
        iou: (P,) IoU of each pair.
        iou_threshold: Minimum IoU of a match.

    Returns:
        (M, K) boolean true-positive mask (False for invalid entries).
    """
    num_det, num_classes = scores.shape
    cls = gt_class[gt_idx]
    keep = valid[det_idx, cls]
    det_idx, gt_idx, cls, iou = det_idx[keep], gt_idx[keep], cls[keep], iou[keep]
    # The target of each (detection, class): its highest-IoU row of that class, first on ties.
    order = np.lexsort((gt_idx, -iou, cls, det_idx))
    entry = det_idx[order] * num_classes + cls[order]
    target = order[first_of_groups(entry)]
    target = target[iou[target] >= iou_threshold]
    # The winner for each targeted row: highest score, then earliest detection.
    det_t, gt_t, cls_t = det_idx[target], gt_idx[target], cls[target]
    claim_order = np.lexsort((det_t, -scores[det_t, cls_t], gt_t))
    winners = claim_order[first_of_groups(gt_t[claim_order])]
    true_positive = np.zeros((num_det, num_classes), dtype=bool)
    true_positive[det_t[winners], cls_t[winners]] = True
    return true_positive


def average_precision(
    *, scores: np.ndarray, valid: np.ndarray, true_positive: np.ndarray, num_gt: np.ndarray
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Per-class VOC all-point AP from per-entry true-positive flags.

    Args:
        scores: (M, K) scores.
        valid: (M, K) entries that count as detections.
        true_positive: (M, K) true-positive flags (only set on valid entries).
        num_gt: (K,) ground-truth instances per class.

    Returns:
        (K,) AP (NaN where ``num_gt`` is 0) and, per class, the (precision, recall) curve
        over that class's ranked detections (empty arrays where it has no ground truth).
    """
    num_det, num_classes = scores.shape
    ranked = np.ascontiguousarray(np.where(valid, -scores, np.inf).T)
    order = np.argsort(ranked, axis=1, kind="stable")
    hits = np.take_along_axis(np.ascontiguousarray(true_positive.T), order, axis=1)
    cumulative_hits = np.cumsum(hits, axis=1)
    precision = cumulative_hits / np.arange(1, num_det + 1, dtype=np.float64)
    envelope = np.flip(np.maximum.accumulate(np.flip(precision, axis=1), axis=1), axis=1)
    has_gt = num_gt > 0
    ap = np.full(num_classes, np.nan)
    ap[has_gt] = (envelope * hits).sum(axis=1)[has_gt] / num_gt[has_gt]
    num_valid = valid.sum(axis=0)
    curves = []
    for c in range(num_classes):
        if has_gt[c]:
            n = int(num_valid[c])
            curves.append((precision[c, :n].copy(), cumulative_hits[c, :n] / num_gt[c]))
        else:
            curves.append((np.empty(0), np.empty(0)))
    return ap, curves
