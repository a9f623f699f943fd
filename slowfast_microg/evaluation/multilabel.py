"""Per-class F1, recall and AUROC of per-box multi-label predictions, vectorised over classes."""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)


def predict_positive(scores: np.ndarray, threshold: float, *, strict: bool) -> np.ndarray:
    """Threshold scores into positive predictions.

    Args:
        scores: (B, K) scores; NaN (no score) is never positive.
        threshold: The decision threshold.
        strict: Use ``score > threshold`` instead of ``score >= threshold``. Set it for
            scores rounded to a few decimals, where a value equal to the threshold may have
            been just below it before rounding.

    Returns:
        (B, K) boolean predictions.
    """
    with np.errstate(invalid="ignore"):
        return scores > threshold if strict else scores >= threshold


def f1_and_recall_per_class(
    y_true: np.ndarray, y_pred: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-class F1 and recall; a 0/0 ratio counts as 0 (scikit-learn's ``zero_division=0``).

    Args:
        y_true: (B, K) boolean ground truth.
        y_pred: (B, K) boolean predictions.

    Returns:
        (K,) F1 and (K,) recall.
    """
    true_pos = (y_true & y_pred).sum(axis=0).astype(np.float64)
    positives = y_true.sum(axis=0).astype(np.float64)
    predicted = y_pred.sum(axis=0).astype(np.float64)
    f1_denominator = positives + predicted
    f1 = np.divide(
        2.0 * true_pos, f1_denominator, out=np.zeros_like(true_pos), where=f1_denominator > 0
    )
    recall = np.divide(true_pos, positives, out=np.zeros_like(true_pos), where=positives > 0)
    return f1, recall


def score_ranks(scores: np.ndarray) -> np.ndarray:
    """1-based ranks of each column's scores, tied scores sharing their mean rank.

    NaN (no score) ranks below every score. Sorting works on the transposed, contiguous
    scores; the order inside a tie does not matter, so numpy's default sort is used.

    Args:
        scores: (B, K) scores.

    Returns:
        (B, K) float ranks.
    """
    values = np.ascontiguousarray(np.where(np.isnan(scores), -np.inf, scores).T)
    num = values.shape[1]
    order = np.argsort(values, axis=1)
    ordered = np.take_along_axis(values, order, axis=1)
    starts = np.ones(ordered.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    ends = np.ones(ordered.shape, dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    position = np.broadcast_to(np.arange(num), ordered.shape)
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
    last = np.flip(np.minimum.accumulate(np.flip(np.where(ends, position, num), 1), axis=1), 1)
    ranks = np.empty(ordered.shape)
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=1)
    return ranks.T


def auroc_per_class(y_true: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Per-class area under the ROC curve, with tied scores counted half (Mann-Whitney U).

    Args:
        y_true: (B, K) boolean ground truth.
        ranks: (B, K) score ranks from ``score_ranks`` (shared by several ground truths).

    Returns:
        (K,) AUROC, NaN for a class whose boxes are all positive or all negative.
    """
    positives = y_true.sum(axis=0).astype(np.float64)
    negatives = y_true.shape[0] - positives
    defined = (positives > 0) & (negatives > 0)
    auroc = np.full(y_true.shape[1], np.nan)
    pos = positives[defined]
    rank_sum = (ranks[:, defined] * y_true[:, defined]).sum(axis=0)
    auroc[defined] = (rank_sum - pos * (pos + 1) / 2.0) / (pos * negatives[defined])
    return auroc
