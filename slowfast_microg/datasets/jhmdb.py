"""The JHMDB-21 dataset (``TEST.DATASET: jhmdb``): AVA-trained models tested zero-shot.

Reads the standard release under ``DATA.PATH_TO_DATA_DIR`` (folders named by the ``JHMDB``
keys), keeps the classes of the JHMDB -> AVA class map, and yields one item per scored frame
of the split's videos, in the item layout of the MicroG-4M dataset (``docs/dataset.md``), so
the engine runs it unchanged. Its label map holds the AVA ids of those classes, so an 80-class
AVA model is scored on them by the engine's zero-shot output selection.

When built, it writes the evaluation inputs the engine reads into ``AVA.ANNOTATION_DIR``
(relative paths resolve against ``DATA.PATH_TO_DATA_DIR``): the label map
``AVA.LABEL_MAP_FILE`` and, for val/test, the ground truth ``MICROG.VAL_GROUNDTRUTH_FILE`` /
``AVA.GROUNDTRUTH_FILE``. They are regenerated from the release at each build (and rewritten
only when their content changes). JHMDB has no validation set: "val" is the test split.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from fvcore.common.config import CfgNode
from torch.utils.data import Dataset

from slowfast_microg.config.validate import num_pathways
from slowfast_microg.datasets.detection_transform import DetectionTransform, pack_pathways
from slowfast_microg.datasets.errors import DataError
from slowfast_microg.datasets.frame_sources import JpegFrameSource
from slowfast_microg.datasets.jhmdb_classes import ClassMap, label_map_pbtxt, read_class_map
from slowfast_microg.datasets.jhmdb_index import (
    ReleaseFolders,
    groundtruth_csv,
    load_videos,
    select_keyframes,
    write_if_changed,
)
from slowfast_microg.datasets.paths import SPLITS, data_path
from slowfast_microg.datasets.registry import DATASET_REGISTRY
from slowfast_microg.datasets.sampling import ClipSampler
from slowfast_microg.utils.label_space import check_output_space

logger = logging.getLogger(__name__)


@DATASET_REGISTRY.register_as("jhmdb")
class Jhmdb(Dataset):
    """JHMDB-21 keyframes of one split (see the module docstring).

    Args:
        cfg: the config (DATA, JHMDB, AVA, MICROG.VAL_GROUNDTRUTH_FILE, MODEL, SLOWFAST keys).
        split: "train" (the official split's training videos), "val" or "test" (its test
            videos).

    Attributes:
        video_names: video_index -> video name.
        class_ids: sorted AVA ids scored (output index ``i`` is ``class_ids[i]``).
        label_names: AVA id -> AVA class name.
        num_classes: number of classes.
        groundtruth_file: the ground-truth CSV written for val/test (None for train).
        label_map_file: the label map written for the engine's evaluation.
    """

    def __init__(self, cfg: CfgNode, split: str) -> None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        if not cfg.DATA.PATH_TO_DATA_DIR:
            raise DataError(
                "DATA.PATH_TO_DATA_DIR is empty: set it to the JHMDB-21 release folder (holding "
                f"{cfg.JHMDB.FRAME_DIR}/, {cfg.JHMDB.SPLIT_DIR}/ and {cfg.JHMDB.MASK_DIR}/)."
            )
        if not Path(cfg.DATA.PATH_TO_DATA_DIR).expanduser().is_dir():
            raise DataError(
                f"DATA.PATH_TO_DATA_DIR {cfg.DATA.PATH_TO_DATA_DIR} is not a folder: set it to "
                "the JHMDB-21 release folder (see docs/jhmdb.md)."
            )
        self.split = split
        class_map = read_class_map(cfg.JHMDB.CLASS_MAP_FILE or None)
        self.class_ids = class_map.class_ids
        check_output_space(
            num_model_classes=cfg.MODEL.NUM_CLASSES,
            class_ids=self.class_ids,
            split=split,
            source=class_map.path,
        )
        folders = ReleaseFolders(
            frames=data_path(cfg, cfg.JHMDB.FRAME_DIR),
            splits=data_path(cfg, cfg.JHMDB.SPLIT_DIR),
            masks=data_path(cfg, cfg.JHMDB.MASK_DIR),
            joints=data_path(cfg, cfg.JHMDB.JOINT_DIR),
        )
        self._videos = load_videos(
            folders,
            actions=sorted(class_map.ava_id),
            split=cfg.JHMDB.SPLIT,
            subset=split,
            box_source=cfg.JHMDB.BOX_SOURCE,
            joint_margin=cfg.JHMDB.JOINT_MARGIN,
        )
        index = {cid: i for i, cid in enumerate(self.class_ids)}
        self._items = select_keyframes(
            self._videos,
            class_index={a: index[cid] for a, cid in class_map.ava_id.items()},
            stride=cfg.JHMDB.FRAME_STRIDE,
        )
        self.video_names = [video.name for video in self._videos]
        self.label_names = dict(class_map.ava_names)
        self.num_classes = len(self.class_ids)
        self.label_map_file, self.groundtruth_file = self._write_annotations(cfg, class_map)
        self.source = JpegFrameSource(
            frame_dir=folders.frames, frame_paths={v.name: v.frames for v in self._videos}
        )
        self.sampler = ClipSampler(
            num_frames=cfg.DATA.NUM_FRAMES, sampling_rate=cfg.DATA.SAMPLING_RATE
        )
        self.transform = DetectionTransform.from_cfg(cfg, split)
        self._num_pathways = num_pathways(cfg)
        self._alpha = cfg.SLOWFAST.ALPHA
        self._reverse_channels = cfg.DATA.REVERSE_INPUT_CHANNEL
        logger.info(
            "JHMDB split %d %s: %d videos of %d classes, %d frames, %d keyframes",
            cfg.JHMDB.SPLIT,
            split,
            len(self._videos),
            len({v.action for v in self._videos}),
            sum(len(v.frames) for v in self._videos),
            len(self._items),
        )

    def _write_annotations(self, cfg: CfgNode, class_map: ClassMap) -> tuple[Path, Path | None]:
        """Write the label map (and the split's ground truth) where the engine reads them."""
        folder = data_path(cfg, cfg.AVA.ANNOTATION_DIR)
        label_map = folder / cfg.AVA.LABEL_MAP_FILE
        write_if_changed(label_map, label_map_pbtxt(class_map))
        if self.split == "train":
            return label_map, None
        name = cfg.MICROG.VAL_GROUNDTRUTH_FILE if self.split == "val" else cfg.AVA.GROUNDTRUTH_FILE
        groundtruth = folder / name
        write_if_changed(
            groundtruth, groundtruth_csv(self._videos, self._items, class_ids=self.class_ids)
        )
        return label_map, groundtruth

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> dict:
        """Load keyframe ``index``.

        Returns:
            A dict with "inputs" (list of (C, T_p, H, W) float32 per pathway, slow first),
            "boxes" ((1, 4) float32 pixels of the inputs), "ori_boxes" ((1, 4) float32
            normalised), "labels" ((1, K) float32 one-hot of the video's class), "metadata"
            ((1, 2) int64 (video_index, frame number)) and "clip_id" (the video name).
        """
        keyframe = self._items[index]
        video = self._videos[keyframe.video_index]
        indices = self.sampler(stamp=keyframe.stamp, clip_length=len(video.frames))
        frames = self.source.read(video.name, indices)
        ori_boxes = torch.from_numpy(keyframe.box.reshape(1, 4).copy())
        clip, boxes = self.transform(frames, ori_boxes)
        inputs = pack_pathways(
            clip,
            num_pathways=self._num_pathways,
            alpha=self._alpha,
            reverse_channels=self._reverse_channels,
        )
        labels = np.zeros((1, self.num_classes), dtype=np.float32)
        labels[0, keyframe.class_index] = 1.0
        return {
            "inputs": inputs,
            "boxes": boxes,
            "ori_boxes": ori_boxes,
            "labels": torch.from_numpy(labels),
            "metadata": torch.tensor([[keyframe.video_index, keyframe.stamp]], dtype=torch.int64),
            "clip_id": video.name,
        }
