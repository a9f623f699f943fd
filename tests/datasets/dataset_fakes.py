"""Builders of fake dataset inputs for the dataset tests (frames, lossless mp4s, layouts)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image

from slowfast_microg.config import get_cfg
from slowfast_microg.datasets.microg_classes import write_label_map

TINY_HEIGHT, TINY_WIDTH = 48, 64


def make_cfg(root: Path, *, layout: str = "frames", **overrides):
    """A config reading ``root`` with small crops: 8 frames at stride 4, SlowFast alpha 4."""
    cfg = get_cfg()
    cfg.DATA.PATH_TO_DATA_DIR = str(root)
    cfg.MICROG.LAYOUT = layout
    cfg.DATA.NUM_FRAMES = 8
    cfg.DATA.SAMPLING_RATE = 4
    cfg.SLOWFAST.ALPHA = 4
    cfg.DATA.TRAIN_JITTER_SCALES = [48, 64]
    cfg.DATA.TRAIN_CROP_SIZE = 48
    cfg.DATA.TEST_CROP_SIZE = 48
    cfg.DATA_LOADER.NUM_WORKERS = 0
    cfg.TRAIN.BATCH_SIZE = 2
    cfg.TEST.BATCH_SIZE = 2
    for key, value in overrides.items():
        node, name = key.split("__")
        cfg[node][name] = value
    return cfg


def tiny_frames(num_frames: int, *, seed: int = 0) -> np.ndarray:
    """(T, H, W, 3) uint8 frames, each different: noise plus a bright bar at column 2 * t."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 200, size=(num_frames, TINY_HEIGHT, TINY_WIDTH, 3), dtype=np.uint8)
    for t in range(num_frames):
        frames[t, :, (2 * t) % TINY_WIDTH] = 255
    return frames


def moving_texture(
    *,
    seed: int,
    num_frames: int,
    height: int,
    width: int,
    level: float,
    amplitude: float,
    noise: float,
) -> np.ndarray:
    """(num_frames, height, width, 3) uint8: a smooth wave pattern drifting 3 px per frame
    around ``level`` (+- ``amplitude``), plus Gaussian noise of std ``noise`` per pixel."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    frames = np.empty((num_frames, height, width, 3), dtype=np.uint8)
    for t in range(num_frames):
        base = level + amplitude * np.sin((xx + 3 * t) / 9.0) * np.cos(yy / 13.0)
        noisy = base[..., None] + rng.normal(0, noise, size=(height, width, 3))
        frames[t] = np.clip(noisy, 0, 255).astype(np.uint8)
    return frames


def write_lossless_mp4(path: Path, frames: np.ndarray, *, gop: int = 4) -> None:
    """Write RGB frames losslessly (libx264rgb, qp 0) at 30 fps with a keyframe every ``gop``."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264rgb", rate=30)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "rgb24"
        stream.thread_count = 1
        stream.codec_context.gop_size = gop
        stream.options = {"qp": "0", "preset": "ultrafast"}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())


def write_x264_mp4(path: Path, frames: np.ndarray, *, x264_params: str = "") -> None:
    """Write RGB frames with libx264 at its defaults (yuv420p, B-frame pyramid with
    non-reference frames), as MicroG-4M's clips, except for one thread and no rate-control
    lookahead, whose thread makes the output vary from run to run; ``x264_params`` (e.g.
    ``"keyint=8"``) are added to x264's parameters."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.thread_count = 1
        params = ":".join(filter(None, ["threads=1:rc-lookahead=0:mbtree=0", x264_params]))
        stream.options = {"x264-params": params}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())


def write_tiny_dataset(
    root: Path,
    clips: dict[str, np.ndarray],
    *,
    rows: dict[str, list[str]],
    lists: dict[str, list[str]] | None = None,
    lossy: bool = False,
) -> Path:
    """Write a dataset with PNG frames and lossless mp4s of ``clips``.

    Args:
        root: output folder.
        clips: clip id -> (T, H, W, 3) frames (written to both layouts).
        rows: annotation file name -> CSV lines (without newlines).
        lists: frame-list file name -> clip ids (default: every clip in train/val/test.csv).
        lossy: write JPEG frames (quality 95) and x264 mp4s at x264's defaults instead, as
            MicroG-4M's files.

    Returns:
        ``root``.
    """
    suffix = "jpg" if lossy else "png"
    for folder in ("frames", "videos", "frame_lists", "annotations"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for clip_id, frames in clips.items():
        (root / "frames" / clip_id).mkdir(exist_ok=True)
        for k, frame in enumerate(frames, start=1):
            path = root / "frames" / clip_id / f"{clip_id}_{k:06d}.{suffix}"
            Image.fromarray(frame).save(path, **({"quality": 95} if lossy else {}))
        video = root / "videos" / f"{clip_id}.mp4"
        if lossy:
            write_x264_mp4(video, frames)
        else:
            write_lossless_mp4(video, frames)
    lists = lists or {name: list(clips) for name in ("train.csv", "val.csv", "test.csv")}
    for name, clip_ids in lists.items():
        lines = ["original_video_id video_id frame_id path labels"]
        for clip_id in clip_ids:
            lines += [
                f'{clip_id} {clip_id} {k} {clip_id}/{clip_id}_{k:06d}.{suffix} ""'
                for k in range(1, len(clips[clip_id]) + 1)
            ]
        (root / "frame_lists" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name, lines in rows.items():
        (root / "annotations" / name).write_text("".join(f"{line}\n" for line in lines))
    write_label_map(root / "annotations" / "label_map.pbtxt")
    return root
