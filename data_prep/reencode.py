"""Stage ``reencode``: a dataset's mp4 clips -> copies that decode fast at any frame.

MicroG-4M's clips were encoded with x264's defaults: one IDR picture per 3 s clip, so reading a
sampled frame means decoding the reference frames before it (about 46 frames for SlowFast 8x8's
8). The loader decodes only the packets that wanted frames need and skips every group of
pictures without one, so with an IDR picture every ``keyint`` frames a sampled frame costs at
most ``keyint`` decodes, and all-intra clips (``keyint`` 1) cost one decode per sampled frame.

Each ``<dataset>/<source>/<clip>.mp4`` is decoded and encoded again with libx264, frame for frame
at the same size and rate (audio is dropped), to ``<dataset>/<target>/<clip>.mp4`` through a
temporary name. The copy is then decoded next to its source and checked to hold as many frames;
each clip's record holds its frames, bytes before and after, and the mean absolute difference
and PSNR of its RGB frames against the source's. Point ``MICROG.VIDEO_DIR`` at the target
folder to train from the copies. Resumable, shardable and parallel like every stage.
"""

from __future__ import annotations

import logging
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from data_prep.config import PipelineConfig, ReencodeParams
from data_prep.logs import progress
from data_prep.manifest import DONE, Manifest
from data_prep.pool import results
from data_prep.sharding import NO_SHARD, Shard
from data_prep.video_io import VideoError, VideoReader, VideoWriter

logger = logging.getLogger(__name__)

# A frame whose timestamp is more than this fraction of a frame off the constant-rate grid.
_GRID_TOLERANCE = Fraction(1, 4)


def x264_options(params: ReencodeParams) -> dict[str, str]:
    """libx264 options for ``params`` (an IDR picture every ``keyint`` frames, closed GOPs)."""
    options = {
        "crf": str(params.crf),
        "preset": params.preset,
        "x264-params": f"keyint={params.keyint}:min-keyint={params.keyint}",
    }
    if params.tune:
        options["tune"] = params.tune
    return options


def _check_grid(frame, *, index: int, first_pts: int, fps: Fraction, path: Path) -> None:
    """Raise VideoError unless frame ``index`` lies on the clip's constant-rate grid."""
    if frame.pts is None:
        raise VideoError(f"{path}: frame {index} has no timestamp")
    position = (frame.pts - first_pts) * Fraction(frame.time_base) * fps
    if abs(position - index) > _GRID_TOLERANCE:
        raise VideoError(
            f"{path}: frame {index} is at {float(position):.2f} frames on the {float(fps):g} fps "
            "grid (variable frame rate); the loader cannot index such a clip"
        )


def _encode(*, source: Path, target: Path, params: ReencodeParams) -> int:
    """Encode ``source``'s frames to ``target``; returns the frame count."""
    with VideoReader(source) as reader:
        fps = reader.info.fps
        if fps is None:
            raise VideoError(f"{source}: the video stream has no frame rate")
        writer = VideoWriter(
            path=target,
            width=reader.info.width,
            height=reader.info.height,
            fps=fps,
            options=x264_options(params),
        )
        try:
            first_pts = None
            for index, frame in enumerate(reader.frames()):
                first_pts = frame.pts if first_pts is None else first_pts
                _check_grid(frame, index=index, first_pts=first_pts or 0, fps=fps, path=source)
                writer.write(frame)
            if reader.bad_packets:
                raise VideoError(f"{source}: {reader.bad_packets} packet(s) cannot be decoded")
            if writer.count == 0:
                raise VideoError(f"{source}: no frame could be decoded")
        except BaseException:
            writer.discard()
            raise
        writer.commit()
        return writer.count


def _deviation(*, source: Path, target: Path) -> dict[str, float | int]:
    """Frames of both videos and the mean absolute difference and PSNR of their RGB frames."""
    absolute = squared = values = 0
    with VideoReader(source) as original, VideoReader(target) as copy:
        frames = [0, 0]
        copies = copy.frames()
        for frame in original.frames():
            frames[0] += 1
            other = next(copies, None)
            if other is None:
                continue
            frames[1] += 1
            difference = frame.to_ndarray(format="rgb24").astype(np.int32) - other.to_ndarray(
                format="rgb24"
            )
            absolute += int(np.abs(difference).sum())
            squared += int((difference * difference).sum())
            values += difference.size
        frames[1] += sum(1 for _ in copies)
    mse = squared / max(values, 1)
    return {
        "source_frames": frames[0],
        "frames": frames[1],
        "mean_abs_diff": absolute / max(values, 1),
        "psnr_db": None if mse == 0 else 10 * math.log10(255**2 / mse),
    }


def reencode_clip(*, source: Path, target: Path, params: ReencodeParams) -> dict[str, Any]:
    """Re-encode one clip and check the copy.

    Args:
        source: the clip.
        target: where the copy goes (written through a temporary name).
        params: encoding parameters.

    Returns:
        Figures: frames, source_bytes, bytes, mean_abs_diff (0..255 RGB levels), psnr_db.

    Raises:
        VideoError: the clip cannot be read, is damaged or off a constant frame rate, or the
            copy does not hold as many frames (the copy is then removed).
    """
    written = _encode(source=source, target=target, params=params)
    figures = _deviation(source=source, target=target)
    if not figures["source_frames"] == figures["frames"] == written:
        target.unlink(missing_ok=True)
        raise VideoError(
            f"{target}: {figures['frames']} frames decoded from the copy, {written} written, "
            f"{figures['source_frames']} in {source}"
        )
    del figures["source_frames"]
    return {**figures, "source_bytes": source.stat().st_size, "bytes": target.stat().st_size}


def _reencode_item(*, source: Path, target: Path, params: ReencodeParams) -> dict[str, Any]:
    """One clip's work for the pool: its figures under ``figures``."""
    return {"figures": reencode_clip(source=source, target=target, params=params)}


def run_reencode(
    *,
    dataset_dir: Path,
    cfg: PipelineConfig,
    source: str = "videos",
    target: str = "videos_intra",
    shard: Shard = NO_SHARD,
    workers: int = 1,
    retry_failed: bool = False,
) -> dict[str, Any]:
    """Run the ``reencode`` stage over every ``<dataset_dir>/<source>/*.mp4``; resumable.

    Args:
        dataset_dir: dataset folder; the manifest goes to ``dataset_dir/manifests/``.
        cfg: pipeline config (``cfg.reencode`` is used).
        source, target: clip folders inside ``dataset_dir``.
        shard: the part of the clips this process handles.
        workers: parallel processes, one clip each.
        retry_failed: process clips that failed in an earlier run again.

    Returns:
        Summary: clips processed, bytes before and after, the mean of the clips' mean absolute
        differences, and counts per status.

    Raises:
        FileNotFoundError: the source folder does not exist or holds no mp4.
        ValueError: source and target are the same folder.
    """
    dataset_dir = Path(dataset_dir)
    source_dir, target_dir = dataset_dir / source, dataset_dir / target
    if source_dir.resolve() == target_dir.resolve():
        raise ValueError(f"reencode: source and target are both {source_dir}")
    clips = sorted(source_dir.glob("*.mp4"))
    if not clips:
        raise FileNotFoundError(f"reencode: no .mp4 clips in {source_dir}")
    manifest = Manifest(
        out_dir=dataset_dir, stage="reencode", shard=shard, params=cfg.stage_params("reencode")
    )
    finished = manifest.finished(retry_failed=retry_failed)
    mine = [path for path in clips if shard.owns(path.stem)]
    todo = [path for path in mine if path.stem not in finished]
    logger.info(
        "reencode: %d clips in %s, %d in this shard already finished, %d to do (%d workers)",
        len(clips),
        source_dir,
        len(mine) - len(todo),
        len(todo),
        workers,
    )
    target_dir.mkdir(parents=True, exist_ok=True)
    jobs = [
        (p.stem, {"source": p, "target": target_dir / p.name, "params": cfg.reencode}) for p in todo
    ]
    done: list[dict[str, Any]] = []
    outcomes = results(_reencode_item, jobs, workers=workers)
    for result in progress(outcomes, total=len(jobs), desc="reencode"):
        figures = result.get("figures", {})
        manifest.add(
            result["key"],
            result["status"],
            reason=result["reason"],
            figures=figures,
            outputs=[f"{target}/{result['key']}.mp4"] if result["status"] == DONE else [],
            seconds=result["seconds"],
        )
        if result["status"] == DONE:
            done.append(figures)
        else:
            logger.error("%s: failed: %s", result["key"], result["reason"])
    manifest.close()
    summary: dict[str, Any] = {
        "stage": "reencode",
        "clips_processed": len(jobs),
        "source_bytes": sum(f["source_bytes"] for f in done),
        "bytes": sum(f["bytes"] for f in done),
        "mean_abs_diff": float(np.mean([f["mean_abs_diff"] for f in done])) if done else None,
    }
    summary.update(manifest.summary())
    return summary
