"""Sparse n-gram count tables of references and predictions, shared by BLEU-4 and CIDEr-D.

Texts are split on whitespace (``str.split()``), case and punctuation kept, as the authors'
BLEU and CIDEr scorers do. Each distinct n-gram (n = 1..4) over all texts is one column.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

logger = logging.getLogger(__name__)


@dataclass
class NgramTable:
    """n-gram counts of N reference / prediction pairs over a shared vocabulary of V n-grams.

    Attributes:
        ref: (N, V) CSR matrix, count of each n-gram in each reference.
        hyp: (N, V) CSR matrix, count of each n-gram in each prediction.
        order: (V,) int array, n - 1 for each column.
        ref_len: (N,) int array, words per reference.
        hyp_len: (N,) int array, words per prediction.
        max_n: the largest n.
    """

    ref: sparse.csr_matrix
    hyp: sparse.csr_matrix
    order: np.ndarray
    ref_len: np.ndarray
    hyp_len: np.ndarray
    max_n: int

    def per_order(self, matrix: sparse.spmatrix) -> np.ndarray:
        """Sum the columns of ``matrix`` by n-gram order.

        Args:
            matrix: (N, V) sparse matrix over this table's columns.

        Returns:
            (N, max_n) dense array; column k holds the sum over the (k+1)-grams.
        """
        onehot = sparse.csr_matrix(
            (np.ones(len(self.order)), (np.arange(len(self.order)), self.order)),
            shape=(len(self.order), self.max_n),
        )
        return np.asarray((matrix @ onehot).todense())


def _word_ids(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    vocab: dict[str, int] = {}
    ids: list[int] = []
    lengths = np.empty(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        words = text.split()
        lengths[i] = len(words)
        ids.extend(vocab.setdefault(word, len(vocab)) for word in words)
    return np.asarray(ids, dtype=np.int64), lengths


def build_ngram_table(refs: Sequence[str], hyps: Sequence[str], *, max_n: int = 4) -> NgramTable:
    """Count the 1..``max_n``-grams of every reference and prediction.

    Args:
        refs: N reference texts.
        hyps: N predicted texts.
        max_n: largest n-gram order.

    Returns:
        The count table.
    """
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} predictions")
    n_items = len(refs)
    ids, lengths = _word_ids([*refs, *hyps])
    vocab_size = int(ids.max()) + 1 if len(ids) else 1
    text_of_word = np.repeat(np.arange(2 * n_items), lengths)
    end_of_text = np.cumsum(lengths)[text_of_word]
    starts = np.arange(len(ids))
    code = ids
    rows, cols, orders = [], [], []
    n_cols = 0
    for k in range(1, max_n + 1):
        # An n-gram starting at word p is coded from the (n-1)-gram code at p and word p+n-1,
        # then the codes are renumbered densely, so they never overflow.
        valid = starts[starts + k <= end_of_text]
        if len(valid) == 0:
            break
        key = code[valid] if k == 1 else code[valid] * vocab_size + ids[valid + k - 1]
        distinct, inverse = np.unique(key, return_inverse=True)
        code = np.full(len(ids), -1, dtype=np.int64)
        code[valid] = inverse
        rows.append(text_of_word[valid])
        cols.append(n_cols + inverse)
        orders.append(np.full(len(distinct), k - 1, dtype=np.int64))
        n_cols += len(distinct)
    if rows:
        row = np.concatenate(rows)
        col = np.concatenate(cols)
    else:
        row = col = np.zeros(0, dtype=np.int64)
    counts = sparse.csr_matrix((np.ones(len(row)), (row, col)), shape=(2 * n_items, n_cols))
    counts.sum_duplicates()
    order = np.concatenate(orders) if orders else np.zeros(0, dtype=np.int64)
    return NgramTable(
        ref=counts[:n_items],
        hyp=counts[n_items:],
        order=order,
        ref_len=lengths[:n_items],
        hyp_len=lengths[n_items:],
        max_n=max_n,
    )
