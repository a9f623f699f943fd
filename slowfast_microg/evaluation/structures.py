"""In-memory ground truth and detections for frame-level action detection evaluation."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from slowfast_microg.evaluation.errors import EvaluationInputError

logger = logging.getLogger(__name__)


def make_key(video: str, stamp: int | str) -> str:
    """Return the image key ``"<video>,<stamp as %04d>"`` used by AVA-format files.

    Stamps compare as integers, so ``make_key("v", "52") == make_key("v", "0052")``.
    """
    return f"{video},{int(stamp):04d}"


def canonical_keys(keys: np.ndarray | list[str], *, what: str) -> np.ndarray:
    """Normalise keys ``"video,stamp"`` to ``make_key`` form (stamp as ``%04d``).

    Args:
        keys: (N,) keys; the stamp is the text after the last comma.
        what: Name of the array, for the error message.

    Returns:
        (N,) array of canonical key strings.

    Raises:
        EvaluationInputError: A key has no comma or a non-integer stamp.
    """
    keys = np.asarray(keys, dtype=str)
    if keys.ndim != 1:
        raise EvaluationInputError(f"{what} must be a 1-D array of keys, got shape {keys.shape}")
    if keys.size == 0:
        return keys
    unique, inverse = np.unique(keys, return_inverse=True)
    fixed = []
    for key in unique.tolist():
        video, sep, stamp = key.rpartition(",")
        if not sep or not video:
            raise EvaluationInputError(
                f"{what} key must read 'video,stamp'", value=key, hint="Use make_key(video, stamp)"
            )
        try:
            fixed.append(make_key(video, stamp))
        except ValueError:
            raise EvaluationInputError(f"{what} key has a non-integer stamp", value=key) from None
    return np.asarray(fixed, dtype=str)[inverse]


def _as_boxes(boxes: object, n: int, what: str) -> np.ndarray:
    """Check and convert boxes to a float64 (n, 4) array of finite x1, y1, x2, y2."""
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.shape != (n, 4):
        raise EvaluationInputError(f"{what} boxes must have shape ({n}, 4), got {boxes.shape}")
    if not np.isfinite(boxes).all():
        row = int(np.flatnonzero(~np.isfinite(boxes).all(axis=1))[0])
        raise EvaluationInputError(f"{what} box {row} is not finite", value=boxes[row].tolist())
    return boxes


@dataclass(frozen=True)
class GroundTruth:
    """Ground-truth action labels, one row per (person box, action) as in AVA CSVs.

    A person with three actions is three rows with the same key and box. Duplicate rows are
    kept: each counts as a separate instance (the PASCAL protocol can match only one of them).

    Attributes:
        keys: (N,) image keys ``"video,stamp"`` (see ``make_key``); canonicalised on creation.
        boxes: (N, 4) normalised ``x1, y1, x2, y2``.
        labels: (N,) action ids (label-map ids, not contiguous indices).
    """

    keys: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        keys = canonical_keys(self.keys, what="ground-truth")
        labels = np.asarray(self.labels)
        if labels.shape != keys.shape:
            raise EvaluationInputError(
                f"ground-truth labels must have shape {keys.shape}, got {labels.shape}"
            )
        if labels.size and not np.issubdtype(labels.dtype, np.integer):
            raise EvaluationInputError("ground-truth labels must be integer action ids")
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "boxes", _as_boxes(self.boxes, keys.size, "ground-truth"))
        object.__setattr__(self, "labels", labels.astype(np.int64))

    def __len__(self) -> int:
        return int(self.keys.size)


@dataclass(frozen=True)
class Detections:
    """Detected person boxes, each with a score for every class (a model's per-box output).

    Attributes:
        keys: (M,) image keys ``"video,stamp"``; canonicalised on creation.
        boxes: (M, 4) normalised ``x1, y1, x2, y2``.
        scores: (M, K) float scores (logits or probabilities). NaN means "no detection of
            this class for this box" (an AVA CSV that lists only some classes per box).
        class_ids: (K,) distinct action ids of the score columns.
        scores_rounded: True when the scores were read from text with few decimals (the
            PySlowFast CSV writes ``%.4f``). A rounded score equal to the F1/recall threshold
            may have been just below it, so it is then counted as below; exact scores use
            ``score >= threshold``.
    """

    keys: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray
    scores_rounded: bool = False

    def __post_init__(self) -> None:
        keys = canonical_keys(self.keys, what="detection")
        class_ids = np.asarray(self.class_ids)
        if class_ids.ndim != 1 or (
            class_ids.size and not np.issubdtype(class_ids.dtype, np.integer)
        ):
            raise EvaluationInputError("detection class_ids must be a 1-D array of integer ids")
        if np.unique(class_ids).size != class_ids.size:
            raise EvaluationInputError("detection class_ids repeat an id", value=class_ids.tolist())
        scores = np.asarray(self.scores, dtype=np.float64)
        if scores.shape != (keys.size, class_ids.size):
            raise EvaluationInputError(
                f"detection scores must have shape ({keys.size}, {class_ids.size}), "
                f"got {scores.shape}"
            )
        if np.isinf(scores).any():
            raise EvaluationInputError("detection scores must be finite (NaN marks no score)")
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "boxes", _as_boxes(self.boxes, keys.size, "detection"))
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "class_ids", class_ids.astype(np.int64))

    def __len__(self) -> int:
        return int(self.keys.size)
