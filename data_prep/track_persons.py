"""Stage ``track``: YOLO11 + BoT-SORT person boxes with motion-adaptive post-processing.

Every clip's rows go to a part file ``<out>/boxes/<source>/<clip>.csv`` (written atomically, then
recorded in the manifest). ``bounding_boxes.csv`` is assembled from the part files of all finished
clips, ordered by clip id, so a resumed, sharded or interrupted run yields the same file as one
uninterrupted run.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from data_prep.boxes_csv import HEADER, format_rows, read_rows, write_rows
from data_prep.clip_pass import find_clips, run_clip
from data_prep.config import PipelineConfig
from data_prep.detection import Detector, LazyDetector
from data_prep.ids import source_of
from data_prep.logs import progress
from data_prep.manifest import DONE, FAILED, Manifest, Timer, read_records
from data_prep.motion import motion_level
from data_prep.pass_cache import cache_path, gray_frames, load_pass, pass_digest
from data_prep.postprocess import PersonRecorder, Recorded, choose
from data_prep.preview import write_preview
from data_prep.sharding import NO_SHARD, Shard
from data_prep.tracking import load_tracker_args, write_tracker_yaml

logger = logging.getLogger(__name__)

BOXES_FILE = "bounding_boxes.csv"


def track_clip(
    path: Path,
    *,
    clip_id: str,
    detector: Detector,
    tracker_args: Any,
    cfg: PipelineConfig,
    cache: Path | None = None,
) -> tuple[list[Recorded], dict[str, Any], float]:
    """Track persons in one clip.

    Args:
        path: the clip.
        clip_id: its id (for logs).
        detector, tracker_args: YOLO detector and pinned BoT-SORT values.
        cfg: pipeline config.
        cache: a cached pass of this clip (from the filter stage) to use instead of detecting.

    Returns:
        ``(recorded, figures, fps)``: the recorded boxes in recording order, the per-clip
        figures (motion, chosen parameters, counts) and the clip's frame rate.
    """
    clip = load_pass(cache, pass_digest(cfg)) if cache is not None else None
    reused = clip is not None
    if clip is not None:
        clip.gray = gray_frames(path)
        if len(clip.gray) != clip.frames:
            logger.warning("%s: cached pass does not match the clip; detecting again", clip_id)
            clip, reused = None, False
    if clip is None:
        clip = run_clip(
            path,
            detector=detector,
            tracker_args=tracker_args,
            batch=cfg.detector.batch,
            keep_gray=True,
        )
    level, value = motion_level(clip.gray, cfg.motion)
    adaptive = choose(motion_level=level, fps=clip.fps, params=cfg.adaptive)
    recorder = PersonRecorder(
        adaptive=adaptive,
        frame_size=(clip.height, clip.width),
        params=cfg.adaptive,
        boxes_mode=cfg.track.boxes_mode,
    )
    recorded: list[Recorded] = []
    for frame_id, tracked in enumerate(clip.tracked, start=1):
        recorded.extend(recorder.step(frame_id, tracked))
    figures = {
        "frames": clip.frames,
        "fps": clip.fps,
        "fps_class": adaptive.fps_class,
        "motion_value": None if value is None else round(value, 3),
        "motion_level": adaptive.motion_level,
        "frame_interval": adaptive.frame_interval,
        "min_detections": adaptive.min_detections,
        "min_box_area_ratio": adaptive.min_box_area_ratio,
        "persons": len({r.person_id for r in recorded}),
        "rows": len(recorded),
        "dominant_updates": recorder.dominant_frames,
        "bad_packets": clip.bad_packets,
        "reused_filter_pass": reused,
    }
    logger.debug("%s: %s", clip_id, figures)
    return recorded, figures, clip.fps


def part_path(out_dir: Path, clip_id: str) -> Path:
    """Part file of a clip's rows."""
    return Path(out_dir) / "boxes" / source_of(clip_id) / f"{clip_id}.csv"


def assemble(out_dir: Path) -> dict[str, int]:
    """Write ``<out>/bounding_boxes.csv`` from the part files of every finished clip (all shards).

    Returns:
        Counts of clips and rows written.

    Raises:
        FileNotFoundError: a clip recorded as done has no part file.
    """
    out_dir = Path(out_dir)
    records = read_records(out_dir / "manifests", "track")
    done = sorted(key for key, rec in records.items() if rec.status == DONE)
    rows: list[list[str]] = []
    for key in done:
        part = part_path(out_dir, key)
        if not part.exists():
            raise FileNotFoundError(
                f"{part}: clip {key} is recorded as tracked but its rows are missing; "
                "remove its line from the track manifest and rerun the track stage"
            )
        rows.extend(read_rows(part))
    write_rows(out_dir / BOXES_FILE, rows, header=HEADER)
    return {"clips_in_csv": len(done), "rows_in_csv": len(rows)}


def run_track(
    *,
    clips_dir: Path,
    out_dir: Path,
    cfg: PipelineConfig,
    shard: Shard = NO_SHARD,
    retry_failed: bool = False,
    only: set[str] | None = None,
    detector: Detector | None = None,
) -> dict[str, Any]:
    """Run the ``track`` stage; resumable. Ends by assembling ``bounding_boxes.csv``.

    Args:
        clips_dir: folder of clips (searched recursively).
        out_dir: run folder (manifest, part files, previews, ``bounding_boxes.csv``).
        cfg: pipeline config.
        shard: the part of the sources this process handles.
        retry_failed: process clips that failed in an earlier run again.
        only: track only these clip ids (e.g. the clips the filter kept); None tracks all.
        detector: detector to use instead of building YOLO from ``cfg.detector``.

    Returns:
        Summary counts.
    """
    clips_dir, out_dir = Path(clips_dir), Path(out_dir)
    manifest = Manifest(
        out_dir=out_dir, stage="track", shard=shard, params=cfg.stage_params("track")
    )
    clips, problems = find_clips(clips_dir, cfg.split.video_extensions)
    if only is not None:
        missing = sorted(only - set(clips))
        if missing:
            logger.warning(
                "%d selected clips are not under %s: %s", len(missing), clips_dir, missing[:5]
            )
        clips = {k: v for k, v in clips.items() if k in only}
    finished = manifest.finished(retry_failed=retry_failed)
    for key, path, reason in problems:
        if shard.owns(source_of(Path(key).stem)) and key not in finished:
            manifest.add(key, FAILED, reason=reason, figures={"path": str(path)})
    todo = sorted(k for k in clips if shard.owns(source_of(k)) and k not in finished)
    logger.info("track: %d clips selected, %d to do", len(clips), len(todo))
    tracker_args = None
    if todo:
        detector = detector or LazyDetector(cfg.detector)
        tracker_args = load_tracker_args(
            write_tracker_yaml(cfg.botsort, out_dir / "tracker" / "botsort.yaml")
        )
    failed = 0
    for key in progress(todo, total=len(todo), desc="track"):
        timer = Timer()
        try:
            recorded, figures, fps = track_clip(
                clips[key],
                clip_id=key,
                detector=detector,
                tracker_args=tracker_args,
                cfg=cfg,
                cache=cache_path(out_dir, key),
            )
            part = part_path(out_dir, key)
            write_rows(part, format_rows(key, recorded, cfg.track.coords_mode), header=None)
        except Exception as err:  # one bad clip must not stop the run
            reason = f"{type(err).__name__}: {err}"
            logger.error("%s: failed: %s", key, reason)
            manifest.add(key, FAILED, reason=reason, seconds=timer.seconds)
            failed += 1
            continue
        outputs = [part.relative_to(out_dir).as_posix()]
        if cfg.track.preview:
            preview = out_dir / "previews" / source_of(key) / f"{key}.mp4"
            try:
                write_preview(
                    clip_path=clips[key],
                    out_path=preview,
                    recorded=recorded,
                    fps=fps,
                    coords_mode=cfg.track.coords_mode,
                )
                outputs.append(preview.relative_to(out_dir).as_posix())
            except Exception as err:  # a preview is a by-product; the boxes stand
                logger.warning("%s: preview not written (%s: %s)", key, type(err).__name__, err)
        manifest.add(key, DONE, figures=figures, outputs=outputs, seconds=timer.seconds)
        logger.info(
            "%s: %d persons, %d rows (motion %s, interval %d)",
            key,
            figures["persons"],
            figures["rows"],
            figures["motion_level"],
            figures["frame_interval"],
        )
    manifest.close()
    summary: dict[str, Any] = {"stage": "track", "processed": len(todo), "failed_this_run": failed}
    summary.update(manifest.summary())
    summary.update(assemble(out_dir))
    finished_now = manifest.finished()
    pending = len([k for k in clips if k not in finished_now])
    if pending:
        logger.info("%d selected clips are not tracked yet (other shards or failures)", pending)
    summary["pending"] = pending
    return summary
