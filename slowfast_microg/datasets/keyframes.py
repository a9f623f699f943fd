"""Group box rows into keyframes: one (clip, stamp) with its boxes and multi-hot labels.

As in PySlowFast, a box is identified by its coordinate strings: every row with the same
clip, stamp and coordinates adds its action id to that one box, and rows without an action id
(predicted boxes) add none. Keyframes of a clip keep the order in which their stamps first
appear in the files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from slowfast_microg.datasets.ava_io import BoxRow, LabelMap

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Keyframe:
    """One annotated frame of a clip.

    Attributes:
        clip_id: the clip.
        stamp: the frame stamp as written in the CSV.
        boxes: (n, 4) float32 normalised x1, y1, x2, y2.
        labels: (n, K) float32 multi-hot over the label-map classes.
        source: ``file:line`` of the first row of this keyframe.
    """

    clip_id: str
    stamp: int
    boxes: np.ndarray
    labels: np.ndarray
    source: str


def group_keyframes(
    rows: list[BoxRow],
    *,
    label_map: LabelMap,
    score_thresh: float,
    stamp_divisor: int = 1,
) -> dict[str, list[Keyframe]]:
    """Merge box rows into keyframes.

    Args:
        rows: rows of every box file of the split, in reading order.
        label_map: the classes (multi-hot index ``i`` is ``label_map.ids[i]``).
        score_thresh: predicted rows (those with a score) scoring below it are dropped.
        stamp_divisor: keep only stamps divisible by it (PySlowFast's validation subsampling
            when ``AVA.FULL_TEST_ON_VAL`` is false); 1 keeps all.

    Returns:
        clip id -> its keyframes, clips and stamps in order of first appearance.
    """
    grouped: dict[tuple[str, int], dict[str, tuple[tuple[float, ...], set[int]]]] = {}
    sources: dict[tuple[str, int], str] = {}
    below, off_divisor = 0, 0
    for row in rows:
        if row.score is not None and row.score < score_thresh:
            below += 1
            continue
        if row.stamp % stamp_divisor:
            off_divisor += 1
            continue
        key = (row.clip_id, row.stamp)
        boxes = grouped.setdefault(key, {})
        sources.setdefault(key, row.source)
        _, labels = boxes.setdefault(row.box_key, (row.box, set()))
        if row.action_id is not None:
            labels.add(label_map.index[row.action_id])
    if below:
        logger.info("Dropped %d predicted box rows scoring below %g", below, score_thresh)
    if off_divisor:
        logger.warning(
            "Dropped %d box rows whose stamp is not a multiple of %d (AVA.FULL_TEST_ON_VAL false)",
            off_divisor,
            stamp_divisor,
        )
    num_classes = len(label_map.ids)
    keyframes: dict[str, list[Keyframe]] = {}
    for (clip_id, stamp), boxes in grouped.items():
        coords = np.array([box for box, _ in boxes.values()], dtype=np.float32).reshape(-1, 4)
        labels = np.zeros((len(boxes), num_classes), dtype=np.float32)
        for i, (_, indices) in enumerate(boxes.values()):
            labels[i, sorted(indices)] = 1.0
        keyframes.setdefault(clip_id, []).append(
            Keyframe(
                clip_id=clip_id,
                stamp=stamp,
                boxes=coords,
                labels=labels,
                source=sources[(clip_id, stamp)],
            )
        )
    return keyframes


def shuffle_box_labels(
    items: list[tuple[int, Keyframe]], *, seed: int
) -> list[tuple[int, Keyframe]]:
    """Permute the label rows of all boxes across the split (a chance-level control run).

    Every box keeps its position and receives the labels of another box, so the label
    frequencies are unchanged but no longer tied to what the clips show.

    Args:
        items: (video_index, keyframe) pairs of a split.
        seed: seed of the permutation.

    Returns:
        New pairs with the same boxes and permuted (n, K) label rows.
    """
    labels = np.concatenate([keyframe.labels for _, keyframe in items])
    shuffled = labels[np.random.default_rng(seed).permutation(len(labels))]
    out, start = [], 0
    for video_index, keyframe in items:
        stop = start + len(keyframe.labels)
        out.append((video_index, replace(keyframe, labels=shuffled[start:stop])))
        start = stop
    return out
