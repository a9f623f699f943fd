"""Stage ``filter``: keep clips with a persistent person and no scene cut; never delete any.

A clip is kept when person frames (a class-0 box with confidence > 0.6) make up at least 60 % of
its frames and PySceneDetect's ContentDetector (threshold 40) finds no cut. A rejected clip is
recorded with its reason and figures, then moved to ``<out>/rejected/`` (or only listed). A clip
that cannot be read, or whose scene detection fails, is recorded as failed and left in place; the
authors' script kept such clips silently (scene detection) or crashed (detection). The YOLO +
BoT-SORT pass of every clip is cached (``<out>/cache/``) for the track stage.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from data_prep.clip_pass import ClipPass, find_clips, run_clip
from data_prep.config import FilterParams, PipelineConfig
from data_prep.detection import Detector, LazyDetector
from data_prep.ids import source_of
from data_prep.logs import progress
from data_prep.manifest import DONE, FAILED, REJECTED, Manifest, Timer, read_records
from data_prep.pass_cache import cache_path, pass_digest, save_pass
from data_prep.sharding import NO_SHARD, Shard
from data_prep.tracking import load_tracker_args, write_tracker_yaml
from data_prep.ultralytics_env import require

logger = logging.getLogger(__name__)


def person_frames(clip: ClipPass, params: FilterParams) -> int:
    """Number of frames with a person box (class ``person_class``, conf > ``person_conf``)."""
    per_frame = clip.tracked if params.presence_from == "tracker" else clip.detections
    conf_col = 5 if params.presence_from == "tracker" else 4
    cls_col = 6 if params.presence_from == "tracker" else 5
    count = 0
    for boxes in per_frame:
        boxes = np.asarray(boxes)
        if len(boxes) and np.any(
            (boxes[:, cls_col].astype(int) == params.person_class)
            & (boxes[:, conf_col].astype(np.float32) > np.float32(params.person_conf))
        ):
            count += 1
    return count


def scene_cuts(path: Path, params: FilterParams) -> list[int]:
    """Frame numbers (0-based) where PySceneDetect's ContentDetector starts a new scene."""
    from scenedetect import ContentDetector, SceneManager, open_video

    video = open_video(str(path), backend=params.scene_backend)
    manager = SceneManager()
    manager.add_detector(
        ContentDetector(threshold=params.content_threshold, min_scene_len=params.min_scene_len)
    )
    manager.detect_scenes(video=video, show_progress=False)
    scenes = manager.get_scene_list()
    return [start.frame_num for start, _ in scenes[1:]]


def judge(clip: ClipPass, cuts: list[int], params: FilterParams) -> tuple[bool, str, dict]:
    """Decide keep / reject.

    Returns:
        ``(keep, reason, figures)``; ``reason`` is empty for a kept clip.
    """
    persons = person_frames(clip, params)
    percent = 100.0 * persons / clip.frames
    figures = {
        "frames": clip.frames,
        "person_frames": persons,
        "person_percent": round(percent, 2),
        "scene_changes": len(cuts),
        "cut_frames": cuts,
    }
    reasons = []
    if percent < params.min_person_percent:
        reasons.append(f"persons in {percent:.2f}% of frames (< {params.min_person_percent:g}%)")
    if len(cuts) > params.max_scene_changes:
        reasons.append(
            f"{len(cuts)} scene change(s) at frame(s) {cuts} (> {params.max_scene_changes} allowed)"
        )
    return not reasons, "; ".join(reasons), figures


def _move_rejected(path: Path, clips_dir: Path, out_dir: Path) -> Path:
    """Move a rejected clip to ``out_dir/rejected/<same relative path>``."""
    target = out_dir / "rejected" / path.relative_to(clips_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(path), str(target))
    return target


def run_filter(
    *,
    clips_dir: Path,
    out_dir: Path,
    cfg: PipelineConfig,
    shard: Shard = NO_SHARD,
    retry_failed: bool = False,
    detector: Detector | None = None,
) -> dict[str, Any]:
    """Run the ``filter`` stage over every clip under ``clips_dir``; resumable.

    Args:
        clips_dir: folder of clips (searched recursively).
        out_dir: run folder (manifest, logs, ``rejected/``).
        cfg: pipeline config (``detector``, ``botsort`` and ``filter`` sections).
        shard: the part of the sources this process handles.
        retry_failed: process clips that failed in an earlier run again.
        detector: detector to use instead of building YOLO from ``cfg.detector``.

    Returns:
        Summary counts.
    """
    clips_dir, out_dir = Path(clips_dir), Path(out_dir)
    params = cfg.filter
    manifest = Manifest(
        out_dir=out_dir, stage="filter", shard=shard, params=cfg.stage_params("filter")
    )
    clips, problems = find_clips(clips_dir, cfg.split.video_extensions)
    records = manifest.records()
    if params.on_reject == "move":
        for key, rec in records.items():
            if rec.status == REJECTED and key in clips and shard.owns(source_of(key)):
                logger.info("%s: completing the move of a rejected clip", key)
                _move_rejected(clips.pop(key), clips_dir, out_dir)
    finished = manifest.finished(retry_failed=retry_failed)
    for key, path, reason in problems:
        if shard.owns(source_of(Path(key).stem)) and key not in finished:
            manifest.add(key, FAILED, reason=reason, figures={"path": str(path)})
    todo = sorted(k for k in clips if shard.owns(source_of(k)) and k not in finished)
    logger.info("filter: %d clips found, %d to do", len(clips), len(todo))
    tracker_args = None
    if todo:
        require("scenedetect", "the filter's scene-cut detection")
        detector = detector or LazyDetector(cfg.detector)
        tracker_args = load_tracker_args(
            write_tracker_yaml(cfg.botsort, out_dir / "tracker" / "botsort.yaml")
        )
    digest = pass_digest(cfg)
    counts = {DONE: 0, REJECTED: 0, FAILED: 0}
    for key in progress(todo, total=len(todo), desc="filter"):
        timer = Timer()
        path = clips[key]
        try:
            clip = run_clip(
                path,
                detector=detector,
                tracker_args=tracker_args,
                batch=cfg.detector.batch,
                keep_gray=False,
            )
            save_pass(cache_path(out_dir, key), clip, digest)
            cuts = scene_cuts(path, params)
        except Exception as err:  # one bad clip must not stop the run
            reason = f"{type(err).__name__}: {err}"
            logger.error("%s: failed: %s", key, reason)
            manifest.add(key, FAILED, reason=reason, seconds=timer.seconds)
            counts[FAILED] += 1
            continue
        keep, reason, figures = judge(clip, cuts, params)
        if keep:
            manifest.add(key, DONE, figures=figures, seconds=timer.seconds)
            logger.info(
                "%s: kept (persons %.2f%%, %d scene changes)",
                key,
                figures["person_percent"],
                figures["scene_changes"],
            )
            counts[DONE] += 1
            continue
        dest = out_dir / "rejected" / path.relative_to(clips_dir)
        outputs = [str(dest)] if params.on_reject == "move" else [str(path)]
        manifest.add(
            key, REJECTED, reason=reason, figures=figures, outputs=outputs, seconds=timer.seconds
        )
        if params.on_reject == "move":
            _move_rejected(path, clips_dir, out_dir)
        logger.info("%s: rejected: %s", key, reason)
        counts[REJECTED] += 1
    manifest.close()
    summary: dict[str, Any] = {"stage": "filter", "processed": len(todo)}
    summary.update({f"{k}_this_run": v for k, v in counts.items()})
    summary.update(manifest.summary())
    return summary


def kept_clips(out_dir: Path) -> set[str]:
    """Clip ids the filter kept in the run folder ``out_dir`` (all shards)."""
    manifest_dir = Path(out_dir) / "manifests"
    if not (manifest_dir / "filter.params.json").exists():
        raise FileNotFoundError(f"{manifest_dir}: no filter manifest; run the filter stage first")
    return {key for key, rec in read_records(manifest_dir, "filter").items() if rec.status == DONE}
