"""``run``: split -> filter -> track, then (with labels) to_ava + split_dataset + stats."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from data_prep.build_dataset import run_to_ava
from data_prep.config import PipelineConfig
from data_prep.detection import Detector, LazyDetector
from data_prep.filter_clips import kept_clips, run_filter
from data_prep.sharding import NO_SHARD, Shard
from data_prep.split_clips import run_split
from data_prep.stats import run_stats
from data_prep.track_persons import BOXES_FILE, run_track

logger = logging.getLogger(__name__)


def run_all(
    *,
    input_dir: Path,
    out_dir: Path,
    cfg: PipelineConfig,
    shard: Shard = NO_SHARD,
    workers: int = 1,
    retry_failed: bool = False,
    all_files: bool = False,
    actions_csv: Path | None = None,
    dataset_dir: Path | None = None,
    label_names: dict[int, str] | None = None,
    detector: Detector | None = None,
) -> dict[str, Any]:
    """Chain the stages; each one resumes from its manifest.

    Args:
        input_dir: raw videos.
        out_dir: run folder (clips, rejected, boxes, manifests, logs, bounding_boxes.csv).
        cfg: pipeline config.
        shard: this machine's part of the sources (to_ava then waits for a run without shards).
        workers: processes for the split stage.
        retry_failed: retry items that failed in an earlier run.
        all_files: probe every file under ``input_dir``, not only video extensions.
        actions_csv: labels; when given, the train-ready dataset and statistics are built too.
        dataset_dir: dataset root (default ``<out>/dataset``).
        label_names: ``{id: name}`` for the label map.
        detector: detector to use instead of building YOLO from ``cfg.detector``.

    Returns:
        One summary per stage.
    """
    out_dir = Path(out_dir)
    clips_dir = out_dir / "clips"
    summary: dict[str, Any] = {}
    summary["split"] = run_split(
        input_dir=input_dir,
        out_dir=out_dir,
        cfg=cfg,
        shard=shard,
        workers=workers,
        retry_failed=retry_failed,
        all_files=all_files,
    )
    detector = detector or LazyDetector(cfg.detector)
    summary["filter"] = run_filter(
        clips_dir=clips_dir,
        out_dir=out_dir,
        cfg=cfg,
        shard=shard,
        retry_failed=retry_failed,
        detector=detector,
    )
    summary["track"] = run_track(
        clips_dir=clips_dir,
        out_dir=out_dir,
        cfg=cfg,
        shard=shard,
        retry_failed=retry_failed,
        only=kept_clips(out_dir),
        detector=detector,
    )
    if actions_csv is None:
        logger.info("no labels given: stopping after track (%s)", out_dir / BOXES_FILE)
        return summary
    if shard.count > 1:
        logger.info(
            "sharded run: build the dataset once every shard has finished, with "
            "'python -m data_prep to_ava' on %s",
            out_dir / BOXES_FILE,
        )
        return summary
    dataset_dir = Path(dataset_dir) if dataset_dir else out_dir / "dataset"
    summary["to_ava"] = run_to_ava(
        boxes_csv=out_dir / BOXES_FILE,
        actions_csv=actions_csv,
        clips_dir=clips_dir,
        dataset_dir=dataset_dir,
        cfg=cfg,
        label_names=label_names,
        retry_failed=retry_failed,
    )
    summary["stats"] = run_stats(
        actions_csv=actions_csv, out_dir=dataset_dir / "stats", names=label_names
    )
    return summary
