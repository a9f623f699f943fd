"""Index a JHMDB-21 split: its videos, per-frame person boxes, keyframes and AVA-format files.

Every frame of a test video with a person box is a keyframe (or every ``stride``-th frame,
counted from frame 1), scored like a MicroG-4M keyframe: one box, labelled with the video's
class. The ground truth the evaluation reads is written as an AVA CSV
(``video,frame,x1,y1,x2,y2,ava_id``) next to an AVA label map of the scored classes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slowfast_microg.datasets.errors import DataError
from slowfast_microg.datasets.jhmdb_release import (
    JOINT_FILE,
    MASK_FILE,
    joint_boxes,
    list_frames,
    mask_boxes,
    png_size,
    read_split,
)
from slowfast_microg.utils.atomic_io import atomic_write_text

logger = logging.getLogger(__name__)

BOX_SOURCES = ("mask", "joints")
SPLIT_NUMBERS = (1, 2, 3)
# Decimals of the normalised boxes (the dataset's boxes and the ground-truth CSV agree exactly).
BOX_DECIMALS = 6
# Characters a video id may not contain: it is a field of comma-separated AVA files.
_FORBIDDEN = (",", " ", "\t", "\n", '"')


@dataclass(frozen=True)
class ReleaseFolders:
    """The release's folders (see ``jhmdb_release``)."""

    frames: Path
    splits: Path
    masks: Path
    joints: Path


@dataclass(frozen=True)
class JhmdbVideo:
    """One video of the split.

    Attributes:
        action: its JHMDB class.
        name: the video name (the release's file name without ``.avi``): the clip id.
        frames: frame paths relative to the frames folder, frame 1 first.
        boxes: (n, 4) float32 normalised person box per frame; NaN rows have no person.
    """

    action: str
    name: str
    frames: list[str]
    boxes: np.ndarray


@dataclass(frozen=True)
class JhmdbKeyframe:
    """A scored frame: the video's index, the 1-based frame number, its box and class index."""

    video_index: int
    stamp: int
    box: np.ndarray
    class_index: int


def _boxes(
    folders: ReleaseFolders, *, action: str, video: str, source: str, margin: float
) -> np.ndarray:
    first_frame = folders.frames / action / video / "00001.png"
    size = png_size(first_frame)
    if source == "mask":
        path = folders.masks / action / video / MASK_FILE
        if not path.is_file():
            raise DataError(
                f"{path} does not exist: every scored video needs its puppet mask under "
                "JHMDB.MASK_DIR, or set JHMDB.BOX_SOURCE joints to take boxes from the joint "
                "positions."
            )
        boxes, mask_size = mask_boxes(path)
        if mask_size != size:
            raise DataError(
                f"{path}: the mask is {mask_size[1]}x{mask_size[0]} but the frames "
                f"({first_frame}) are {size[1]}x{size[0]}; the mask must match its video."
            )
        return boxes
    path = folders.joints / action / video / JOINT_FILE
    if not path.is_file():
        raise DataError(
            f"{path} does not exist: with JHMDB.BOX_SOURCE joints every scored video needs its "
            "joint positions under JHMDB.JOINT_DIR (or use BOX_SOURCE mask)."
        )
    return joint_boxes(path, size=size, margin=margin)


def load_videos(
    folders: ReleaseFolders,
    *,
    actions: list[str],
    split: int,
    subset: str,
    box_source: str,
    joint_margin: float,
) -> list[JhmdbVideo]:
    """Read the videos of ``actions`` in ``subset`` of official split ``split``, with boxes.

    A video whose annotation has a different number of frames than its folder keeps the
    frames both cover; the videos concerned are named in a warning.

    Raises:
        DataError: a missing or malformed file, a box source other than mask/joints, a split
            other than 1, 2 or 3, a video name used by two classes or containing a comma,
            quote or whitespace.
    """
    if box_source not in BOX_SOURCES:
        raise DataError(f"JHMDB.BOX_SOURCE must be one of {BOX_SOURCES}, got {box_source!r}.")
    if split not in SPLIT_NUMBERS:
        raise DataError(
            f"JHMDB.SPLIT must be one of {SPLIT_NUMBERS} (the release's official splits), "
            f"got {split!r}."
        )
    if not folders.splits.is_dir():
        raise DataError(
            f"{folders.splits} does not exist: JHMDB.SPLIT_DIR (relative to "
            "DATA.PATH_TO_DATA_DIR) must be the release's splits/ folder."
        )
    videos, seen, trimmed = [], {}, []
    for action in actions:
        for name in read_split(folders.splits, action=action, split=split, subset=subset):
            if any(char in name for char in _FORBIDDEN):
                raise DataError(
                    f"video {action}/{name}: its name contains a comma, quote or whitespace, "
                    "which AVA-format CSV files cannot hold; rename the video's folders."
                )
            if name in seen:
                raise DataError(
                    f"video name {name!r} is used by classes {seen[name]} and {action}."
                )
            seen[name] = action
            frames = list_frames(folders.frames, action=action, video=name)
            boxes = _boxes(
                folders, action=action, video=name, source=box_source, margin=joint_margin
            )
            if len(boxes) != len(frames):
                trimmed.append(f"{action}/{name} ({len(frames)} frames, {len(boxes)} boxes)")
                count = min(len(boxes), len(frames))
                frames, boxes = frames[:count], boxes[:count]
            videos.append(JhmdbVideo(action=action, name=name, frames=frames, boxes=boxes))
    if trimmed:
        logger.warning(
            "%d video(s) have annotations for a different number of frames than their folder; "
            "only the frames both cover are used: %s",
            len(trimmed),
            ", ".join(trimmed),
        )
    if not videos:
        raise DataError(
            f"JHMDB split {split} has no {subset} video of the classes {', '.join(actions)}."
        )
    return videos


def select_keyframes(
    videos: list[JhmdbVideo], *, class_index: dict[str, int], stride: int
) -> list[JhmdbKeyframe]:
    """Keyframes: frames 1, 1 + stride, ... of each video that have a person box.

    Frames without a box (empty puppet mask) are skipped and counted in a log line.
    """
    if stride < 1:
        raise DataError(f"JHMDB.FRAME_STRIDE must be >= 1, got {stride}.")
    keyframes, empty = [], 0
    for video_index, video in enumerate(videos):
        for position in range(0, len(video.frames), stride):
            box = video.boxes[position]
            if np.isnan(box).any():
                empty += 1
                continue
            keyframes.append(
                JhmdbKeyframe(
                    video_index=video_index,
                    stamp=position + 1,
                    box=np.round(box.astype(np.float64), BOX_DECIMALS).astype(np.float32),
                    class_index=class_index[video.action],
                )
            )
    if empty:
        logger.info("Skipped %d frame(s) without a person (empty puppet mask)", empty)
    return keyframes


def groundtruth_csv(
    videos: list[JhmdbVideo], keyframes: list[JhmdbKeyframe], *, class_ids: list[int]
) -> str:
    """The AVA ground-truth CSV of the keyframes: ``video,frame,x1,y1,x2,y2,ava_id``."""
    lines = []
    for keyframe in keyframes:
        coords = ",".join(f"{value:.{BOX_DECIMALS}f}" for value in keyframe.box.tolist())
        video = videos[keyframe.video_index].name
        lines.append(f"{video},{keyframe.stamp},{coords},{class_ids[keyframe.class_index]}")
    return "\n".join(lines) + "\n"


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` atomically unless it already holds exactly that text.

    Returns:
        True if the file was written.
    """
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    atomic_write_text(path, text)
    logger.info("Wrote %s", path)
    return True
