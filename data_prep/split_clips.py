"""Stage ``split``: every raw video -> clips of ``clip_seconds`` at ``fps``, scaled, audio dropped.

Output frames are taken by nearest presentation time (a frame-rate change duplicates or drops
frames, as ffmpeg's ``-r`` does); clip k holds output frames ``k*N .. k*N+N-1`` (N = 90) and is
named ``<source>_<k>``; the tail shorter than N frames is dropped for every source. A source's
clips are written under ``clips/<source>.partial/`` and moved to ``clips/<source>/`` only when the
source is complete, so an interrupted source leaves no half clip behind.
"""

from __future__ import annotations

import logging
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from data_prep.config import PipelineConfig, SplitParams
from data_prep.ids import clip_id, name_problem
from data_prep.logs import progress
from data_prep.manifest import DONE, FAILED, Manifest
from data_prep.pool import results
from data_prep.sharding import NO_SHARD, Shard
from data_prep.video_io import (
    PARTIAL_SUFFIX,
    VideoError,
    VideoInfo,
    VideoReader,
    VideoWriter,
    encoder_options,
    list_videos,
)

logger = logging.getLogger(__name__)

# Decoded duration this far short of the declared one is reported as a possible truncation.
TRUNCATION_TOLERANCE_S = 0.25


def output_size(info: VideoInfo, height: int) -> tuple[int, int]:
    """(width, height) of the clips: ``height`` (or the source's, if 0), display aspect kept.

    Both are even (yuv420p needs it); the width is the nearest even number.
    """
    out_h = height if height > 0 else info.height - info.height % 2
    display_w = Fraction(info.width) * info.sample_aspect
    out_w = int(round(display_w * out_h / info.height / 2)) * 2
    return max(out_w, 2), max(out_h, 2)


def discover_sources(
    input_dir: Path, *, params: SplitParams, all_files: bool
) -> tuple[list[tuple[str, Path]], list[tuple[str, Path, str]]]:
    """Find source videos and name them by file stem.

    Returns:
        ``(sources, problems)``: ``sources`` is a sorted list of ``(name, path)``; ``problems``
        lists ``(key, path, reason)`` for files that cannot be sources (unsafe names, a stem
        already used by another file), keyed by their path relative to ``input_dir``.
    """
    paths = list_videos(input_dir, extensions=None if all_files else params.video_extensions)
    sources: list[tuple[str, Path]] = []
    problems: list[tuple[str, Path, str]] = []
    seen: dict[str, Path] = {}
    for path in paths:
        name = path.stem
        rel = path.relative_to(input_dir).as_posix()
        problem = name_problem(name)
        if problem is None and name in seen:
            problem = (
                f"source name {name!r} is already used by {seen[name]}; clip ids would collide, "
                "so rename one of the files"
            )
        if problem is not None:
            problems.append((rel, path, problem))
            continue
        seen[name] = path
        sources.append((name, path))
    return sources, problems


def _frame_time(frame: av.VideoFrame, index: int, fps: Fraction | None) -> Fraction:
    """Presentation time of a decoded frame in seconds (exact), falling back to its index."""
    if frame.pts is not None and frame.time_base is not None:
        return frame.pts * Fraction(frame.time_base)
    return Fraction(index) / (fps or 30)


def split_source(*, path: Path, source: str, clips_dir: Path, params: SplitParams) -> dict:
    """Cut one source into clips under ``clips_dir/<source>/``.

    Returns:
        ``{"clips": [relative clip paths], "figures": {...}}``.

    Raises:
        VideoError: unreadable file, no video stream or no decodable frame.
    """
    partial = clips_dir / f"{source}{PARTIAL_SUFFIX}"
    shutil.rmtree(partial, ignore_errors=True)
    n_frames, fps = params.clip_frames, Fraction(params.fps)
    options = encoder_options(params.codec, crf=params.crf, preset=params.preset)
    done: list[Path] = []
    with VideoReader(path) as reader:
        info = reader.info
        width, height = output_size(info, params.height)
        state: dict[str, Any] = {"writer": None, "slot": 0}

        def emit(frame: av.VideoFrame) -> None:
            if state["writer"] is None:
                name = clip_id(source, len(done))
                state["writer"] = VideoWriter(
                    path=partial / f"{name}.mp4",
                    width=width,
                    height=height,
                    fps=params.fps,
                    codec=params.codec,
                    pix_fmt=params.pix_fmt,
                    options=options,
                )
            state["writer"].write(frame)
            state["slot"] += 1
            if state["writer"].count == n_frames:
                done.append(state["writer"].commit())
                state["writer"] = None

        prev, prev_t, start, step = None, Fraction(0), None, None
        decoded = out_of_order = 0
        try:
            for index, frame in enumerate(reader.frames()):
                decoded += 1
                t = _frame_time(frame, index, info.fps)
                start = t if start is None else start
                t -= start
                if prev is not None and t <= prev_t:
                    out_of_order += 1
                    continue
                scaled = frame.reformat(
                    width=width,
                    height=height,
                    format=params.pix_fmt,
                    interpolation=params.interpolation,
                )
                if prev is not None:
                    step = t - prev_t
                    while Fraction(state["slot"]) / fps < (prev_t + t) / 2:
                        emit(prev)
                prev, prev_t = scaled, t
            if prev is None:
                raise VideoError(f"{path}: no decodable video frame")
            duration = 1 / info.fps if info.fps else (step or 1 / fps)
            while Fraction(state["slot"]) / fps < prev_t + duration:
                emit(prev)
        except BaseException:
            if state["writer"] is not None:
                state["writer"].discard()
            shutil.rmtree(partial, ignore_errors=True)
            raise
        tail = 0
        if state["writer"] is not None:
            tail = state["writer"].count
            state["writer"].discard()
    decoded_seconds = float(prev_t + duration)
    final_dir = clips_dir / source
    final_dir.mkdir(parents=True, exist_ok=True)
    clips = []
    for clip_path in done:
        target = final_dir / clip_path.name
        clip_path.replace(target)
        clips.append(target.relative_to(clips_dir.parent).as_posix())
    shutil.rmtree(partial, ignore_errors=True)
    figures = {
        "source_width": info.width,
        "source_height": info.height,
        "source_fps": float(info.fps) if info.fps else None,
        "frames_declared": info.frames,
        "frames_decoded": decoded,
        "bad_packets": reader.bad_packets,
        "out_of_order_frames": out_of_order,
        "width": width,
        "height": height,
        "clips": len(clips),
        "tail_frames_dropped": tail,
        "seconds_declared": None if info.duration is None else round(info.duration, 3),
        "seconds_decoded": round(decoded_seconds, 3),
    }
    figures["warnings"] = decode_warnings(
        info=info, decoded=decoded, seconds=decoded_seconds, bad_packets=reader.bad_packets
    )
    for warning in figures["warnings"]:
        logger.warning("%s: %s", path, warning)
    return {"clips": clips, "figures": figures}


def decode_warnings(
    *, info: VideoInfo, decoded: int, seconds: float, bad_packets: int
) -> list[str]:
    """Signs of a damaged source (truncated file, undecodable packets), as sentences.

    Args:
        info: what the file declares.
        decoded: frames decoded.
        seconds: the duration decoded (end of the last frame, from the first frame's time).
        bad_packets: packets that failed to decode.
    """
    warnings = []
    if info.frames and decoded < info.frames:
        warnings.append(
            f"decoded {decoded} of the {info.frames} frames the file lists; it may be truncated"
        )
    if info.duration is not None and seconds < info.duration - TRUNCATION_TOLERANCE_S:
        warnings.append(
            f"decoded {seconds:.2f} s of the {info.duration:.2f} s the file declares; "
            "it may be truncated"
        )
    if bad_packets:
        warnings.append(f"{bad_packets} packets could not be decoded")
    return warnings


def run_split(
    *,
    input_dir: Path,
    out_dir: Path,
    cfg: PipelineConfig,
    shard: Shard = NO_SHARD,
    workers: int = 1,
    retry_failed: bool = False,
    all_files: bool = False,
) -> dict[str, Any]:
    """Run the ``split`` stage over every source under ``input_dir``; resumable.

    Args:
        input_dir: folder of raw videos (searched recursively).
        out_dir: run folder; clips go to ``out_dir/clips/<source>/<clip>.mp4``.
        cfg: pipeline config (``cfg.split`` is used).
        shard: the part of the sources this process handles.
        workers: parallel processes, one source each.
        retry_failed: process sources that failed in an earlier run again.
        all_files: probe every file, not only known video extensions.

    Returns:
        Summary counts (sources done / failed, clips written in this run).
    """
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    clips_dir = out_dir / "clips"
    manifest = Manifest(
        out_dir=out_dir, stage="split", shard=shard, params=cfg.stage_params("split")
    )
    sources, problems = discover_sources(input_dir, params=cfg.split, all_files=all_files)
    finished = manifest.finished(retry_failed=retry_failed)
    for key, path, reason in problems:
        if shard.owns(key) and key not in finished:
            logger.error("%s: %s", path, reason)
            manifest.add(key, FAILED, reason=reason, figures={"path": str(path)})
    todo = [(name, path) for name, path in sources if shard.owns(name) and name not in finished]
    logger.info(
        "split: %d sources found, %d in this shard already finished, %d to do (%d workers)",
        len(sources),
        sum(1 for name, _ in sources if shard.owns(name) and name in finished),
        len(todo),
        workers,
    )
    jobs = [
        (name, {"path": path, "source": name, "clips_dir": clips_dir, "params": cfg.split})
        for name, path in todo
    ]
    new_clips = warned = 0
    outcomes = results(split_source, jobs, workers=workers)
    for result in progress(outcomes, total=len(jobs), desc="split"):
        figures = dict(result.get("figures", {}))
        manifest.add(
            result["key"],
            result["status"],
            reason=result["reason"],
            figures=figures,
            outputs=result.get("clips", []),
            seconds=result["seconds"],
        )
        if result["status"] == DONE:
            new_clips += len(result["clips"])
            warned += bool(figures.get("warnings"))
            logger.info("%s: %d clips", result["key"], len(result["clips"]))
        else:
            logger.error("%s: failed: %s", result["key"], result["reason"])
    manifest.close()
    summary = {
        "stage": "split",
        "sources_processed": len(jobs),
        "clips_written": new_clips,
        "sources_with_warnings": warned,
    }
    summary.update(manifest.summary())
    return summary
