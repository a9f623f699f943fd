"""ROUGE-L as the COCO caption scorer computes it (the authors' ROUGE-L column).

Tokens come from splitting on the single space character (newlines do not separate tokens and
a double space yields an empty token), case and punctuation kept. The item score is the
LCS-based F-measure with beta = 1.2 (recall weighted), 0 when precision or recall is 0; the
corpus score is the mean over items. The LCS length is computed with a bit-parallel algorithm
(one big-integer operation per token of the first text) instead of the quadratic table.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

BETA = 1.2


@dataclass
class RougeResult:
    """ROUGE-L scores.

    Attributes:
        corpus: mean of the item scores (raw, in [0, 1]).
        per_item: (N,) item scores.
    """

    corpus: float
    per_item: np.ndarray


def lcs_length(first: Sequence[str], second: Sequence[str]) -> int:
    """Length of the longest common subsequence of two token sequences.

    Bit-parallel formulation: bit j of ``row`` is cleared once a match ending at token j of
    ``second`` extends the LCS; the number of cleared bits is the LCS length.

    Args:
        first: tokens of one text.
        second: tokens of the other text.

    Returns:
        The LCS length.
    """
    positions: dict[str, int] = {}
    for j, token in enumerate(second):
        positions[token] = positions.get(token, 0) | (1 << j)
    full = (1 << len(second)) - 1
    row = full
    for token in first:
        match = positions.get(token)
        if match is None:
            continue
        low = row & match
        row = ((row + low) | (row - low)) & full
    return len(second) - row.bit_count()


def rouge_l_item(hyp: str, ref: str, *, beta: float = BETA) -> float:
    """ROUGE-L F-measure of one prediction against one reference.

    Args:
        hyp: predicted text.
        ref: reference text.
        beta: recall weight.

    Returns:
        The score in [0, 1].
    """
    hyp_tokens = hyp.split(" ")
    ref_tokens = ref.split(" ")
    lcs = lcs_length(ref_tokens, hyp_tokens)
    prec = lcs / float(len(hyp_tokens))
    rec = lcs / float(len(ref_tokens))
    if prec == 0 or rec == 0:
        return 0.0
    return ((1 + beta**2) * prec * rec) / float(rec + beta**2 * prec)


def rouge_l(refs: Sequence[str], hyps: Sequence[str], *, beta: float = BETA) -> RougeResult:
    """Mean ROUGE-L over N reference / prediction pairs.

    Args:
        refs: N reference texts.
        hyps: N predicted texts.
        beta: recall weight (1.2 in the COCO scorer).

    Returns:
        The corpus score and the (N,) item scores.
    """
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} predictions")
    per_item = np.array(
        [rouge_l_item(h, r, beta=beta) for r, h in zip(refs, hyps, strict=True)], dtype=np.float64
    )
    return RougeResult(corpus=float(np.mean(per_item)), per_item=per_item)
