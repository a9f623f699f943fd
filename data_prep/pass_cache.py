"""Cache of a clip's YOLO + BoT-SORT pass, so ``track`` reuses the pass ``filter`` already made.

Both stages run the same detector and the same pinned tracker on the same frames, so the tracker
output is identical; the authors ran it twice. The cache is keyed by a digest of the detector and
tracker parameters and ignored when they differ.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import cv2
import numpy as np

from data_prep.clip_pass import ClipPass
from data_prep.config import PipelineConfig, params_digest
from data_prep.ids import source_of
from data_prep.video_io import VideoReader

logger = logging.getLogger(__name__)


def pass_digest(cfg: PipelineConfig) -> str:
    """Digest of everything that shapes a clip pass (detector and tracker values)."""
    return params_digest(
        {"detector": dataclasses.asdict(cfg.detector), "botsort": dataclasses.asdict(cfg.botsort)}
    )


def cache_path(out_dir: Path, clip_id: str) -> Path:
    """Where a clip's pass is cached."""
    return Path(out_dir) / "cache" / source_of(clip_id) / f"{clip_id}.npz"


def _stack(arrays: list[np.ndarray], width: int) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros((0, width), np.float32)


def save_pass(path: Path, clip: ClipPass, digest: str) -> None:
    """Write the detections and tracker output of ``clip`` (atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        np.savez_compressed(
            handle,
            digest=np.array(digest),
            meta=np.array([clip.frames, clip.height, clip.width, clip.bad_packets]),
            fps=np.array(clip.fps if clip.fps is not None else np.nan),
            det_counts=np.array([len(d) for d in clip.detections]),
            detections=_stack(clip.detections, 6),
            track_counts=np.array([len(t) for t in clip.tracked]),
            tracked=_stack(clip.tracked, 7),
        )
    tmp.replace(path)


def load_pass(path: Path, digest: str) -> ClipPass | None:
    """The cached pass at ``path``, or None when absent, unreadable or made with other values."""
    if not path.exists():
        return None
    try:
        with np.load(path) as data:
            if str(data["digest"]) != digest:
                return None
            frames, height, width, bad = (int(v) for v in data["meta"])
            fps = float(data["fps"])
            det_cuts = np.cumsum(data["det_counts"])[:-1]
            track_cuts = np.cumsum(data["track_counts"])[:-1]
            return ClipPass(
                frames=frames,
                fps=None if np.isnan(fps) else fps,
                height=height,
                width=width,
                detections=list(np.split(data["detections"], det_cuts)),
                tracked=list(np.split(data["tracked"], track_cuts)),
                bad_packets=bad,
            )
    except (OSError, KeyError, ValueError) as err:
        logger.warning("%s: cached pass unreadable (%s); running the detector again", path, err)
        return None


def gray_frames(path: Path) -> list[np.ndarray]:
    """The clip's frames as grayscale images (for the motion level)."""
    with VideoReader(path) as reader:
        return [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in reader.bgr_frames()]
