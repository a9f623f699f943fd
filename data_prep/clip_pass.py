"""One decoding pass over a clip: detections and tracker output per frame (filter, track)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from data_prep.detection import Detector, batched
from data_prep.ids import name_problem
from data_prep.tracking import make_tracker, track_frame
from data_prep.video_io import VideoError, VideoReader, list_videos

logger = logging.getLogger(__name__)


@dataclass
class ClipPass:
    """What one pass over a clip produced."""

    frames: int
    fps: float | None
    height: int
    width: int
    # Raw detections per frame, (N, 6): x1, y1, x2, y2, conf, cls.
    detections: list[np.ndarray] = field(default_factory=list)
    # Tracker output per frame, (M, 7): x1, y1, x2, y2, id (-1 untracked), conf, cls.
    tracked: list[np.ndarray] = field(default_factory=list)
    # Grayscale frames (H, W), kept only when asked (motion estimation).
    gray: list[np.ndarray] = field(default_factory=list)
    bad_packets: int = 0


def run_clip(
    path: Path, *, detector: Detector, tracker_args: Any, batch: int, keep_gray: bool
) -> ClipPass:
    """Decode ``path`` once, detect on every frame in batches and step a fresh BoT-SORT.

    Raises:
        VideoError: unreadable clip, or no decodable frame.
    """
    tracker = make_tracker(tracker_args)
    with VideoReader(path) as reader:
        info = reader.info
        result = ClipPass(
            frames=0,
            fps=float(info.fps) if info.fps else None,
            height=info.height,
            width=info.width,
        )
        for frames in batched(reader.bgr_frames(), batch):
            for frame, dets in zip(frames, detector.detect(frames), strict=True):
                result.detections.append(dets)
                result.tracked.append(track_frame(tracker, dets, frame))
                if keep_gray:
                    result.gray.append(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
                result.frames += 1
        result.bad_packets = reader.bad_packets
    if result.frames == 0:
        raise VideoError(f"{path}: no decodable video frame")
    if result.fps is None:
        logger.warning("%s: no frame rate in the container; assuming 30 fps", path)
        result.fps = 30.0
    return result


def find_clips(clips_dir: Path, extensions: list[str]) -> tuple[dict[str, Path], list[tuple]]:
    """Clips under ``clips_dir`` keyed by clip id (file stem).

    Returns:
        ``(clips, problems)``; ``problems`` lists ``(key, path, reason)`` for duplicate or unsafe
        ids, keyed by the path relative to ``clips_dir``.
    """
    clips: dict[str, Path] = {}
    problems: list[tuple] = []
    for path in list_videos(clips_dir, extensions=extensions):
        key = path.stem
        reason = name_problem(key)
        if reason is None and key in clips:
            reason = f"clip id {key!r} also used by {clips[key]}; rename one of the files"
        if reason is not None:
            problems.append((path.relative_to(clips_dir).as_posix(), path, reason))
            continue
        clips[key] = path
    return clips, problems
