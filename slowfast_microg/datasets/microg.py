"""The MicroG-4M dataset: AVA-format annotations with frame stamps, frames from JPEGs or mp4.

Registered as "microg" and "ava" (``TRAIN.DATASET`` / ``TEST.DATASET``), built as
``MicroG(cfg, split)``. One item is one keyframe (clip, stamp) with all its boxes; the item
layout is documented in ``docs/dataset.md`` and on :meth:`MicroG.__getitem__`.

Consistency rules between frame lists and box files (checked when the dataset is built):

- a clip with boxes but absent from the split's frame lists is an error (its labels would be
  lost), naming the first such row;
- a clip in the frame lists without any box yields no keyframe; such clips are counted and
  named in a warning;
- a stamp outside its clip's frames is an error naming the row;
- a split with no keyframe at all is an error.
"""

from __future__ import annotations

import logging

import torch
from fvcore.common.config import CfgNode
from torch.utils.data import Dataset

from slowfast_microg.config.loader import ConfigError
from slowfast_microg.config.validate import num_pathways
from slowfast_microg.datasets.ava_io import read_box_csv, read_label_map
from slowfast_microg.datasets.detection_transform import DetectionTransform, pack_pathways
from slowfast_microg.datasets.errors import DataError
from slowfast_microg.datasets.frame_lists import read_frame_lists
from slowfast_microg.datasets.frame_sources import (
    LAYOUTS,
    FrameSource,
    JpegFrameSource,
    VideoFrameSource,
)
from slowfast_microg.datasets.keyframes import Keyframe, group_keyframes, shuffle_box_labels
from slowfast_microg.datasets.paths import SplitFiles, split_files
from slowfast_microg.datasets.registry import DATASET_REGISTRY
from slowfast_microg.datasets.sampling import ClipSampler
from slowfast_microg.utils.label_space import check_output_space

logger = logging.getLogger(__name__)

# How many offending clips an error or warning names before summarising the rest.
_NAMED = 5


def _names(items: list[str]) -> str:
    shown = ", ".join(items[:_NAMED])
    return shown + (f" and {len(items) - _NAMED} more" if len(items) > _NAMED else "")


def _index_keyframes(
    by_clip: dict[str, list[Keyframe]],
    frame_paths: dict[str, list[str]],
    *,
    files: SplitFiles,
    stamp_base: int,
) -> list[tuple[int, Keyframe]]:
    """(video_index, keyframe) in frame-list order, after the consistency checks."""
    unlisted = [clip for clip in by_clip if clip not in frame_paths]
    if unlisted:
        first = by_clip[unlisted[0]][0].source
        raise DataError(
            f"{first}: clip {unlisted[0]!r} has boxes but is not in the frame lists of "
            f"{files.frame_lists_key} ({', '.join(str(p) for p in files.frame_lists)}); "
            f"{len(unlisted)} such clip(s): {_names(unlisted)}. Add them to the frame lists or "
            f"remove their rows."
        )
    unboxed = [clip for clip in frame_paths if clip not in by_clip]
    if unboxed:
        logger.warning(
            "%s split: %d clip(s) in the frame lists have no boxes and give no keyframe: %s",
            files.split,
            len(unboxed),
            _names(unboxed),
        )
    items = []
    for video_index, clip_id in enumerate(frame_paths):
        length = len(frame_paths[clip_id])
        for keyframe in by_clip.get(clip_id, []):
            if not stamp_base <= keyframe.stamp < stamp_base + length:
                raise DataError(
                    f"{keyframe.source}: stamp {keyframe.stamp} is outside clip {clip_id!r}, "
                    f"whose {length} listed frames have stamps {stamp_base}.."
                    f"{stamp_base + length - 1} (MICROG.STAMP_BASE = {stamp_base})."
                )
            items.append((video_index, keyframe))
    if not items:
        box_files = ", ".join(str(f.path) for f in files.box_files)
        raise DataError(
            f"The {files.split} split is empty: no box of {box_files} belongs to a clip of "
            f"{files.frame_lists_key}."
        )
    return items


def _frame_source(
    cfg: CfgNode, files: SplitFiles, frame_paths: dict[str, list[str]]
) -> FrameSource:
    layout = cfg.MICROG.LAYOUT
    if layout == "frames":
        return JpegFrameSource(frame_dir=files.frame_dir, frame_paths=frame_paths)
    if layout == "videos":
        return VideoFrameSource(
            video_dir=files.video_dir, multi_thread=cfg.DATA_LOADER.ENABLE_MULTI_THREAD_DECODE
        )
    raise ConfigError(f"MICROG.LAYOUT must be one of {list(LAYOUTS)}, got {layout!r}.")


@DATASET_REGISTRY.register_as("microg", "ava")
class MicroG(Dataset):
    """MicroG-4M keyframes of one split (see the module docstring).

    Args:
        cfg: the config (DATA, AVA, MICROG, MODEL, SLOWFAST keys).
        split: "train", "val" or "test".

    Attributes:
        video_names: video_index -> clip id (every clip of the split's frame lists, in order).
        class_ids: sorted AVA action ids of the label map (output index ``i`` is ``class_ids[i]``).
        label_names: action id -> class name.
        num_classes: number of classes.
        groundtruth_file: the evaluation ground truth of the split (None for train).
    """

    def __init__(self, cfg: CfgNode, split: str) -> None:
        self.split = split
        files = split_files(cfg, split)
        label_map = read_label_map(files.label_map, config_key="AVA.LABEL_MAP_FILE")
        check_output_space(
            num_model_classes=cfg.MODEL.NUM_CLASSES,
            class_ids=label_map.ids,
            split=split,
            source=label_map.path,
        )
        frame_paths = read_frame_lists(files.frame_lists, config_key=files.frame_lists_key)
        rows = [
            row
            for box_file in files.box_files
            for row in read_box_csv(
                box_file.path,
                kind=box_file.kind,
                label_map=label_map,
                config_key=box_file.config_key,
            )
        ]
        by_clip = group_keyframes(
            rows,
            label_map=label_map,
            score_thresh=cfg.AVA.DETECTION_SCORE_THRESH,
            stamp_divisor=4 if split == "val" and not cfg.AVA.FULL_TEST_ON_VAL else 1,
        )
        self._items = _index_keyframes(
            by_clip, frame_paths, files=files, stamp_base=cfg.MICROG.STAMP_BASE
        )
        if split == "train" and cfg.MICROG.SHUFFLE_TRAIN_LABELS:
            logger.warning(
                "MICROG.SHUFFLE_TRAIN_LABELS: training labels are permuted (control run)"
            )
            self._items = shuffle_box_labels(self._items, seed=cfg.RNG_SEED)
        self._lengths = {clip: len(paths) for clip, paths in frame_paths.items()}
        self.source: FrameSource = _frame_source(cfg, files, frame_paths)
        missing = self.source.missing(sorted({kf.clip_id for _, kf in self._items}))
        if missing:
            raise DataError(
                f"{len(missing)} clip(s) of the {split} split have no "
                f"{'frame folder' if cfg.MICROG.LAYOUT == 'frames' else 'video'} "
                f"(MICROG.LAYOUT {cfg.MICROG.LAYOUT!r}): "
                f"{_names([f'{clip} ({path})' for clip, path in missing])}."
            )
        self.sampler = ClipSampler.from_cfg(cfg)
        self.transform = DetectionTransform.from_cfg(cfg, split)
        self._num_pathways = num_pathways(cfg)
        self._alpha = cfg.SLOWFAST.ALPHA
        self._reverse_channels = cfg.DATA.REVERSE_INPUT_CHANNEL
        self._resize_in_decoder = cfg.DATA_LOADER.RESIZE_IN_DECODER
        self.video_names = list(frame_paths)
        self.class_ids = list(label_map.ids)
        self.label_names = dict(label_map.names)
        self.num_classes = len(self.class_ids)
        self.groundtruth_file = files.groundtruth
        self._log_summary(num_rows=len(rows))

    def _log_summary(self, *, num_rows: int) -> None:
        boxes = sum(len(kf.boxes) for _, kf in self._items)
        logger.info(
            "MicroG %s split: %d clips, %d frames, %d keyframes, %d boxes from %d rows",
            self.split,
            len(self.video_names),
            sum(self._lengths.values()),
            len(self._items),
            boxes,
            num_rows,
        )

    def __len__(self) -> int:
        return len(self._items)

    def keyframe(self, index: int) -> tuple[int, Keyframe]:
        """(video_index, keyframe) of item ``index``, without loading frames."""
        return self._items[index]

    def __getitem__(self, index: int) -> dict:
        """Load keyframe ``index``.

        Returns:
            A dict with "inputs" (list of (C, T_p, H, W) float32 per pathway, slow first),
            "boxes" ((n, 4) float32 pixels of the inputs), "ori_boxes" ((n, 4) float32
            normalised, as in the CSV), "labels" ((n, K) float32 multi-hot), "metadata"
            ((n, 2) int64 rows of (video_index, stamp)) and "clip_id" (str).
        """
        video_index, keyframe = self._items[index]
        clip_id = keyframe.clip_id
        indices = self.sampler(stamp=keyframe.stamp, clip_length=self._lengths[clip_id])
        with self.source.open(clip_id, indices) as reader:
            geometry = self.transform.plan(height=reader.height, width=reader.width)
            frames = reader.read(size=geometry.resized if self._resize_in_decoder else None)
        ori_boxes = torch.from_numpy(keyframe.boxes.copy())
        clip, boxes = self.transform(frames, ori_boxes, geometry=geometry)
        inputs = pack_pathways(
            clip,
            num_pathways=self._num_pathways,
            alpha=self._alpha,
            reverse_channels=self._reverse_channels,
        )
        num_boxes = len(ori_boxes)
        metadata = torch.tensor([[video_index, keyframe.stamp]], dtype=torch.int64)
        return {
            "inputs": inputs,
            "boxes": boxes,
            "ori_boxes": ori_boxes,
            "labels": torch.from_numpy(keyframe.labels.copy()),
            "metadata": metadata.expand(num_boxes, 2).clone(),
            "clip_id": clip_id,
        }
