"""Which files a split reads, resolved from the config (PySlowFast keys plus the MICROG node).

- train: frame lists ``AVA.TRAIN_LISTS``; boxes ``AVA.TRAIN_GT_BOX_LISTS`` (labelled) and
  ``AVA.TRAIN_PREDICT_BOX_LISTS`` (predicted, filtered by ``AVA.DETECTION_SCORE_THRESH``).
- val: ``MICROG.VAL_LISTS`` and ``MICROG.VAL_PREDICT_BOX_LISTS``; ground truth
  ``MICROG.VAL_GROUNDTRUTH_FILE``.
- test: ``AVA.TEST_LISTS`` and ``AVA.TEST_PREDICT_BOX_LISTS``; ground truth
  ``AVA.GROUNDTRUTH_FILE``.

Relative ``AVA.*_DIR`` and ``MICROG.VIDEO_DIR`` paths resolve against
``DATA.PATH_TO_DATA_DIR``; file names resolve against their folder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fvcore.common.config import CfgNode

from slowfast_microg.datasets.errors import DataError

logger = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
# split -> (frame-list key, [(box-list key, kind)], ground-truth key)
_SPLIT_KEYS = {
    "train": (
        "AVA.TRAIN_LISTS",
        [("AVA.TRAIN_GT_BOX_LISTS", "gt"), ("AVA.TRAIN_PREDICT_BOX_LISTS", "predicted")],
        None,
    ),
    "val": (
        "MICROG.VAL_LISTS",
        [("MICROG.VAL_PREDICT_BOX_LISTS", "predicted")],
        "MICROG.VAL_GROUNDTRUTH_FILE",
    ),
    "test": (
        "AVA.TEST_LISTS",
        [("AVA.TEST_PREDICT_BOX_LISTS", "predicted")],
        "AVA.GROUNDTRUTH_FILE",
    ),
}


def _value(cfg: CfgNode, key: str) -> Any:
    node, name = key.split(".")
    return cfg[node][name]


@dataclass(frozen=True)
class BoxFile:
    """A box CSV of a split: its path, kind ("gt" or "predicted") and the key naming it."""

    path: Path
    kind: str
    config_key: str


@dataclass(frozen=True)
class SplitFiles:
    """Resolved inputs of one split.

    Attributes:
        split: "train", "val" or "test".
        frame_lists: frame-list files; ``frame_lists_key`` is the key naming them.
        box_files: box CSVs in reading order (ground truth first).
        label_map: the label-map file.
        groundtruth: the evaluation ground-truth file (None for train).
        frame_dir: folder of per-clip JPEG folders.
        video_dir: folder of ``<clip>.mp4`` files.
    """

    split: str
    frame_lists: list[Path]
    frame_lists_key: str
    box_files: list[BoxFile]
    label_map: Path
    groundtruth: Path | None
    frame_dir: Path
    video_dir: Path


def data_path(cfg: CfgNode, value: str) -> Path:
    """Resolve a data folder: absolute as is, relative against ``DATA.PATH_TO_DATA_DIR``."""
    path = Path(value).expanduser()
    root = cfg.DATA.PATH_TO_DATA_DIR
    return path if path.is_absolute() or not root else Path(root).expanduser() / path


def split_files(cfg: CfgNode, split: str) -> SplitFiles:
    """Resolve the files ``split`` reads.

    Raises:
        ValueError: unknown split.
        DataError: the split has no frame list or no box file configured.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    ann_dir = data_path(cfg, cfg.AVA.ANNOTATION_DIR)
    list_dir = data_path(cfg, cfg.AVA.FRAME_LIST_DIR)
    lists_key, box_keys, gt_key = _SPLIT_KEYS[split]
    lists = list(_value(cfg, lists_key))
    if not lists:
        raise DataError(f"{lists_key} is empty: the {split} split needs at least one frame list.")
    box_files = [
        BoxFile(path=ann_dir / name, kind=kind, config_key=key)
        for key, kind in box_keys
        for name in _value(cfg, key)
    ]
    if not box_files:
        keys = " / ".join(key for key, _ in box_keys)
        raise DataError(f"{keys} is empty: the {split} split needs at least one box file.")
    return SplitFiles(
        split=split,
        frame_lists=[list_dir / name for name in lists],
        frame_lists_key=lists_key,
        box_files=box_files,
        label_map=ann_dir / cfg.AVA.LABEL_MAP_FILE,
        groundtruth=ann_dir / _value(cfg, gt_key) if gt_key else None,
        frame_dir=data_path(cfg, cfg.AVA.FRAME_DIR),
        video_dir=data_path(cfg, cfg.MICROG.VIDEO_DIR),
    )
