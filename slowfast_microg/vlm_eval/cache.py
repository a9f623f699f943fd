"""Per-pair scoring in chunks, with progress and an optional resumable JSONL cache.

The neural metrics (S-BERT, BERTScore) are slow on a CPU. Pairs are scored in chunks; each
chunk's values are appended to the cache file (one JSON object per pair) as soon as they are
known, so an interrupted run started again with the same cache only computes what is left.
Identical (prediction, reference) pairs are scored once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

PairScorer = Callable[[list[str], list[str]], np.ndarray]


def pair_key(fingerprint: str, ref: str, hyp: str) -> str:
    """Stable key of one scored pair under one metric configuration."""
    digest = hashlib.sha256()
    for part in (fingerprint, ref, hyp):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


class ScoreCache:
    """Append-only JSONL store of ``{"k": pair key, "v": [values]}`` lines.

    Args:
        path: cache file; ``None`` keeps values in memory only.
    """

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None
        self._values: dict[str, list[float]] = {}
        if self.path is not None and self.path.is_file():
            self._load()

    def _load(self) -> None:
        skipped = 0
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                    self._values[record["k"]] = [float(v) for v in record["v"]]
                except (ValueError, KeyError, TypeError):
                    skipped += 1
        if skipped:
            logger.warning(
                "%s: %d unreadable line(s) ignored (an interrupted write); those pairs are "
                "scored again",
                self.path,
                skipped,
            )
        logger.info("%s: %d cached pair scores", self.path, len(self._values))

    def get(self, key: str) -> list[float] | None:
        """Cached values of ``key`` or ``None``."""
        return self._values.get(key)

    def put_many(self, keys: Sequence[str], values: np.ndarray) -> None:
        """Store (and append to the file) the values of several keys.

        Args:
            keys: K pair keys.
            values: (K, D) values.
        """
        rows = [[float(v) for v in row] for row in np.atleast_2d(values)]
        for key, row in zip(keys, rows, strict=True):
            self._values[key] = row
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a+b") as handle:
                # An interrupted earlier write may have left a partial last line: end it first.
                if handle.tell() > 0:
                    handle.seek(-1, 2)
                    if handle.read(1) != b"\n":
                        handle.write(b"\n")
            with open(self.path, "a", encoding="utf-8") as handle:
                for key, row in zip(keys, rows, strict=True):
                    handle.write(json.dumps({"k": key, "v": row}) + "\n")


def score_pairs(
    refs: Sequence[str],
    hyps: Sequence[str],
    *,
    scorer: PairScorer,
    fingerprint: str,
    width: int,
    cache: ScoreCache,
    chunk_size: int,
    desc: str,
    progress: bool,
) -> np.ndarray:
    """Score N pairs with ``scorer``, chunk by chunk, reusing cached and repeated pairs.

    Args:
        refs: N reference texts.
        hyps: N predicted texts.
        scorer: maps (references, predictions) lists of length K to a (K, width) array.
        fingerprint: identifies the metric configuration in cache keys.
        width: values per pair.
        cache: where values are looked up and stored.
        chunk_size: pairs per scorer call.
        desc: progress bar label.
        progress: show a progress bar.

    Returns:
        (N, width) values.
    """
    keys = [pair_key(fingerprint, r, h) for r, h in zip(refs, hyps, strict=True)]
    todo: dict[str, tuple[str, str]] = {}
    for key, ref, hyp in zip(keys, refs, hyps, strict=True):
        if cache.get(key) is None and key not in todo:
            todo[key] = (ref, hyp)
    if len(todo) < len(set(keys)):
        logger.info(
            "%s: %d of %d distinct pairs cached", desc, len(set(keys)) - len(todo), len(set(keys))
        )
    pending = list(todo.items())
    bar = None
    if progress and pending:
        from tqdm import tqdm

        bar = tqdm(total=len(pending), desc=desc, unit="pair", leave=False)
    try:
        for start in range(0, len(pending), chunk_size):
            chunk = pending[start : start + chunk_size]
            values = np.asarray(
                scorer([p[1][0] for p in chunk], [p[1][1] for p in chunk]), dtype=np.float64
            ).reshape(len(chunk), width)
            cache.put_many([p[0] for p in chunk], values)
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()
    return np.array([cache.get(key) for key in keys], dtype=np.float64).reshape(len(keys), width)
