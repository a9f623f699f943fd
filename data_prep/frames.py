"""Clip sizes and frame counts, JPEG frame extraction (layout a) and clip placement (layout b)."""

from __future__ import annotations

import csv
import logging
import os
import shutil
from pathlib import Path

from PIL import Image

from data_prep.ids import source_of
from data_prep.layout import frame_path
from data_prep.to_ava import ClipInfo
from data_prep.video_io import PARTIAL_SUFFIX, VideoReader

logger = logging.getLogger(__name__)

CLIP_INFO_HEADER = ["video_id", "source", "width", "height", "frames"]


def probe_clip(path: Path) -> ClipInfo:
    """Width, height and frame count of a clip (decodes it when the container has no count)."""
    with VideoReader(path) as reader:
        info = reader.info
        frames = info.frames or sum(1 for _ in reader.frames())
    return ClipInfo(video_id=Path(path).stem, width=info.width, height=info.height, frames=frames)


def read_clip_info(path: Path) -> dict[str, ClipInfo]:
    """Read ``clip_info.csv`` (empty dict when the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        return {
            r["video_id"]: ClipInfo(
                r["video_id"], int(r["width"]), int(r["height"]), int(r["frames"])
            )
            for r in csv.DictReader(handle)
        }


def write_clip_info(path: Path, infos: dict[str, ClipInfo]) -> None:
    """Write ``clip_info.csv`` sorted by clip id."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CLIP_INFO_HEADER)
        for key in sorted(infos):
            i = infos[key]
            writer.writerow([i.video_id, source_of(i.video_id), i.width, i.height, i.frames])
    tmp.replace(path)


def extract_frames(*, clip_path: Path, frames_dir: Path, clip: str, quality: int) -> int:
    """Write every frame of a clip as ``frames_dir/<clip>/<clip>_%06d.jpg`` from 000001.

    Frames are written to ``<clip>.partial/`` and the folder is renamed when complete.

    Returns:
        The number of frames written.
    """
    partial = Path(frames_dir) / f"{clip}{PARTIAL_SUFFIX}"
    final = Path(frames_dir) / clip
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    count = 0
    with VideoReader(clip_path) as reader:
        for count, frame in enumerate(reader.frames(), start=1):
            image: Image.Image = frame.to_image()
            image.save(partial / Path(frame_path(clip, count)).name, format="JPEG", quality=quality)
    if final.exists():
        shutil.rmtree(final)
    partial.rename(final)
    return count


def count_jpegs(frames_dir: Path, clip: str) -> int:
    """Number of ``<clip>_*.jpg`` files in ``frames_dir/<clip>/`` (0 when absent)."""
    folder = Path(frames_dir) / clip
    return len(list(folder.glob(f"{clip}_*.jpg"))) if folder.is_dir() else 0


def place_video(*, clip_path: Path, videos_dir: Path, clip: str) -> Path:
    """Hard-link (or copy) a clip to ``videos_dir/<clip>.mp4`` (layout b)."""
    target = Path(videos_dir) / f"{clip}{Path(clip_path).suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    try:
        os.link(clip_path, target)
    except OSError:
        shutil.copy2(clip_path, target)
    return target
