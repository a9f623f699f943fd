"""CIDEr-D as the COCO caption scorer computes it (the authors' CIDEr column).

Per item and order n = 1..4: tf-idf vectors of the n-grams (raw counts times
``log(N) - log(max(1, df))``, df counted over the references of the evaluated items), the
prediction's weights clipped by the reference's, a cosine-style product, and a Gaussian penalty
``exp(-delta^2 / (2 sigma^2))`` on the length difference (sigma = 6). The item score is the mean
over n times 10; the corpus score is the mean over items. Lengths are counted, as in the COCO
code, as the number of bigrams (words - 1, at least 0).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from slowfast_microg.vlm_eval.ngrams import NgramTable

logger = logging.getLogger(__name__)


@dataclass
class CiderResult:
    """CIDEr-D scores.

    Attributes:
        corpus: mean of the item scores (raw; the paper's column is this times 100).
        per_item: (N,) item scores.
    """

    corpus: float
    per_item: np.ndarray


def cider_d(table: NgramTable, *, sigma: float = 6.0) -> CiderResult:
    """Compute CIDEr-D with document frequencies from the table's references.

    Args:
        table: n-gram counts of the N reference / prediction pairs (one reference each).
        sigma: width of the Gaussian length penalty.

    Returns:
        The corpus score and the (N,) item scores.
    """
    n_items = table.ref.shape[0]
    doc_freq = np.asarray((table.ref > 0).sum(axis=0)).reshape(-1).astype(np.float64)
    log_n = np.log(float(n_items))
    weight = log_n - np.log(np.maximum(1.0, doc_freq))
    vec_hyp = table.hyp.multiply(weight[None, :]).tocsr()
    vec_ref = table.ref.multiply(weight[None, :]).tocsr()
    norm_hyp = np.sqrt(table.per_order(vec_hyp.multiply(vec_hyp)))
    norm_ref = np.sqrt(table.per_order(vec_ref.multiply(vec_ref)))
    val = table.per_order(vec_hyp.minimum(vec_ref).multiply(vec_ref))
    both = (norm_hyp != 0) & (norm_ref != 0)
    val = np.where(both, val / np.where(both, norm_hyp * norm_ref, 1.0), val)
    bigrams_hyp = np.maximum(table.hyp_len - 1, 0).astype(np.float64)
    bigrams_ref = np.maximum(table.ref_len - 1, 0).astype(np.float64)
    delta = bigrams_hyp - bigrams_ref
    val = val * (np.e ** (-(delta**2) / (2 * sigma**2)))[:, None]
    per_item = val.mean(axis=1) * 10.0
    return CiderResult(corpus=float(np.mean(per_item)), per_item=per_item)
