"""Corpus-level BLEU-4 as the COCO caption scorer computes it (the authors' BLEU column).

Clipped n-gram matches and candidate n-gram counts are summed over all items, together with
the candidate and reference lengths, and one brevity penalty is applied to the corpus. Like the
COCO scorer, precisions use tiny additive constants instead of smoothing (a zero count gives a
score of about 0, not an error). One reference per item, so its length is the effective one.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from slowfast_microg.vlm_eval.ngrams import NgramTable

logger = logging.getLogger(__name__)

_TINY = 1e-15
_SMALL = 1e-9


@dataclass
class BleuResult:
    """BLEU-n scores.

    Attributes:
        corpus: corpus BLEU-1..BLEU-n (index n-1 is BLEU-n).
        per_item: (N, n) sentence-level BLEU-1..n of each item (diagnostic only: the corpus
            score is not their mean).
    """

    corpus: list[float]
    per_item: np.ndarray


def _bleu_from_counts(
    correct: np.ndarray, guess: np.ndarray, hyp_len: np.ndarray, ref_len: np.ndarray
) -> np.ndarray:
    """Cumulative geometric means of the n-gram precisions times the brevity penalty.

    Args:
        correct: (..., n) clipped matches per order.
        guess: (..., n) candidate n-grams per order.
        hyp_len: (...) candidate lengths.
        ref_len: (...) reference lengths.

    Returns:
        (..., n) BLEU-1..n.
    """
    n = correct.shape[-1]
    out = np.empty(correct.shape, dtype=np.float64)
    running = np.ones(correct.shape[:-1], dtype=np.float64)
    for k in range(n):
        running = running * ((correct[..., k] + _TINY) / (guess[..., k] + _SMALL))
        out[..., k] = running ** (1.0 / (k + 1))
    ratio = (hyp_len + _TINY) / (ref_len + _SMALL)
    penalty = np.where(ratio < 1, np.exp(1 - 1 / ratio), 1.0)
    return out * penalty[..., None]


def corpus_bleu(table: NgramTable) -> BleuResult:
    """Compute corpus BLEU-1..n (n = ``table.max_n``) and the per-item sentence scores.

    Args:
        table: n-gram counts of the N reference / prediction pairs.

    Returns:
        The scores; ``corpus[3]`` is the BLEU-4 the paper reports (raw, in [0, 1]).
    """
    correct = table.per_order(table.hyp.minimum(table.ref)).astype(np.float64)
    orders = np.arange(table.max_n)
    guess = np.maximum(0, table.hyp_len[:, None] - orders[None, :]).astype(np.float64)
    hyp_len = table.hyp_len.astype(np.float64)
    ref_len = table.ref_len.astype(np.float64)
    per_item = _bleu_from_counts(correct, guess, hyp_len, ref_len)
    total = _bleu_from_counts(
        np.array([math.fsum(c) for c in correct.T]),
        np.array([math.fsum(g) for g in guess.T]),
        np.array(math.fsum(hyp_len)),
        np.array(math.fsum(ref_len)),
    )
    return BleuResult(corpus=[float(v) for v in total], per_item=per_item)
