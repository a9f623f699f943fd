"""What a qualitative panel shows: a key frame, its persons, their true and predicted labels.

Ground truth comes from an AVA-format ground-truth CSV, predictions from detections CSVs
(``detections_<split>.csv`` of test runs), both read with ``slowfast_microg.evaluation``. The
rows of one (clip, stamp, box) form one person. A run's detection box belongs to the
ground-truth person it overlaps most (IoU >= ``MATCH_IOU``, each detection used once, best
pairs first); detection boxes without such a person are kept as extra persons without ground
truth, so their labels count as false. A run predicts the classes whose score reaches its
threshold, optionally only its ``top_k`` best.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from slowfast_microg.evaluation import Detections, GroundTruth, make_key

logger = logging.getLogger(__name__)

MATCH_IOU = 0.5


@dataclass(frozen=True)
class Selection:
    """How a run's scores become predicted labels.

    Attributes:
        threshold: minimum score (on the scores as written, e.g. logits); -inf for none.
        top_k: keep at most this many of the best classes; None for no limit.
    """

    threshold: float = -math.inf
    top_k: int | None = None

    def describe(self) -> str:
        """A short text for figure legends, e.g. "top-3" or "score >= 0.5"."""
        parts = []
        if self.top_k is not None:
            parts.append(f"top-{self.top_k}")
        if math.isfinite(self.threshold):
            parts.append(f"score >= {self.threshold:g}")
        return ", ".join(parts) or "all classes"


@dataclass
class Person:
    """One person box of a key frame.

    Attributes:
        box: (x1, y1, x2, y2) normalised.
        gt: true action ids (empty for a detection without ground truth).
        predicted: run name -> predicted action ids (absent: the run has no box here).
    """

    box: tuple[float, float, float, float]
    gt: set[int]
    predicted: dict[str, set[int]] = field(default_factory=dict)


def predicted_ids(scores: np.ndarray, class_ids: np.ndarray, selection: Selection) -> set[int]:
    """Action ids a score row predicts (NaN scores are absent classes).

    Args:
        scores: (K,) scores of one box.
        class_ids: (K,) action id of each column.
        selection: threshold and top-k.

    Returns:
        The predicted ids.
    """
    valid = np.flatnonzero(~np.isnan(scores) & (scores >= selection.threshold))
    order = valid[np.argsort(-scores[valid], kind="stable")]
    if selection.top_k is not None:
        order = order[: selection.top_k]
    return {int(class_ids[c]) for c in order}


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, m) IoU of boxes ``a`` (n, 4) and ``b`` (m, 4), x1 y1 x2 y2."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def gt_persons(gt: GroundTruth, key: str) -> list[Person]:
    """The ground-truth persons of ``key`` (``make_key`` form), in file order."""
    persons: dict[tuple[float, ...], Person] = {}
    for row in np.flatnonzero(gt.keys == key).tolist():
        box = tuple(float(v) for v in gt.boxes[row])
        persons.setdefault(box, Person(box=box, gt=set())).gt.add(int(gt.labels[row]))
    return list(persons.values())


def add_run(
    persons: list[Person],
    detections: Detections,
    *,
    key: str,
    run: str,
    selection: Selection,
) -> list[Person]:
    """Attach ``run``'s predictions at ``key`` to ``persons``; returns extra detection persons.

    Args:
        persons: the key frame's persons (updated in place).
        detections: the run's detections.
        key: the key frame.
        run: the run's name.
        selection: how scores become labels.

    Returns:
        New persons for detection boxes that match no ground-truth person.
    """
    rows = np.flatnonzero(detections.keys == key)
    labels = [
        predicted_ids(detections.scores[r], detections.class_ids, selection) for r in rows.tolist()
    ]
    det_boxes = detections.boxes[rows]
    gt_boxes = np.asarray([p.box for p in persons], dtype=np.float64).reshape(-1, 4)
    overlap = iou(gt_boxes, det_boxes) if len(persons) and len(rows) else np.zeros((0, 0))
    used: set[int] = set()
    for flat in np.argsort(-overlap, axis=None, kind="stable").tolist():
        g, d = divmod(flat, max(1, overlap.shape[1]))
        if overlap[g, d] < MATCH_IOU:
            break
        if d in used or run in persons[g].predicted:
            continue
        persons[g].predicted[run] = labels[d]
        used.add(d)
    extra = []
    for d in range(len(rows)):
        if d not in used:
            box = tuple(float(v) for v in det_boxes[d])
            extra.append(Person(box=box, gt=set(), predicted={run: labels[d]}))
    return extra


def key_persons(
    key: str,
    *,
    gt: GroundTruth,
    runs: dict[str, tuple[Detections, Selection]],
) -> list[Person]:
    """Ground-truth persons of ``key`` with every run's predictions, then unmatched detections."""
    key = make_key(*key.rsplit(",", 1))
    persons = gt_persons(gt, key)
    extra: list[Person] = []
    for run, (detections, selection) in runs.items():
        extra += add_run(persons, detections, key=key, run=run, selection=selection)
    return persons + extra
