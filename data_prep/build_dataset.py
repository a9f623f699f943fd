"""Stages ``to_ava`` and ``split_dataset``: from boxes + labels to the train-ready folder.

``to_ava`` writes ``<dataset>/prep/`` (the combined rows ``ava_with_head.csv``, ``clip_info.csv``
and ``conversion_report.csv``), extracts JPEG frames (resumable, per clip), optionally places the
clips under ``videos/``, then runs ``split_dataset``, which writes the split and the layout
(see ``layout.py``). ``split_dataset`` alone re-splits an existing folder.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

from data_prep.actions_csv import read_actions
from data_prep.boxes_csv import read_boxes
from data_prep.clip_pass import find_clips
from data_prep.config import PipelineConfig
from data_prep.frames import (
    count_jpegs,
    extract_frames,
    place_video,
    probe_clip,
    read_clip_info,
    write_clip_info,
)
from data_prep.ids import source_of
from data_prep.layout import write_layout
from data_prep.logs import progress
from data_prep.manifest import DONE, FAILED, Manifest, Timer
from data_prep.sharding import NO_SHARD, Shard
from data_prep.split_dataset import (
    clip_actions,
    paper_split,
    source_split,
    split_report,
    write_assignment,
    write_report,
)
from data_prep.to_ava import ClipInfo, convert, read_combined, write_combined, write_problems

logger = logging.getLogger(__name__)

COMBINED = "ava_with_head.csv"


def run_to_ava(
    *,
    boxes_csv: Path,
    actions_csv: Path,
    clips_dir: Path,
    dataset_dir: Path,
    cfg: PipelineConfig,
    label_names: dict[int, str] | None = None,
    shard: Shard = NO_SHARD,
    retry_failed: bool = False,
) -> dict[str, Any]:
    """Convert boxes + labels to the train-ready layout (and split it).

    Args:
        boxes_csv: ``bounding_boxes.csv`` (with or without a confidence column).
        actions_csv: ``actions.csv`` (video_id, movie_or_real, person_id, action).
        clips_dir: folder of the clips (frame sizes, frame counts, JPEG extraction).
        dataset_dir: output dataset root.
        cfg: pipeline config (``convert`` and ``dataset`` sections).
        label_names: ``{id: name}`` for the label map (MicroG-4M names by default).
        shard: the part of the clips whose frames this process extracts.
        retry_failed: extract frames again for clips that failed before.

    Returns:
        Summary: rows written, problems per issue, split counts.
    """
    dataset_dir = Path(dataset_dir)
    prep = dataset_dir / "prep"
    boxes, box_problems = read_boxes(boxes_csv)
    actions, action_problems = read_actions(actions_csv)
    clips, clip_problems = find_clips(clips_dir, cfg.split.video_extensions)
    for _key, path, reason in clip_problems:
        logger.warning("%s: %s", path, reason)
    infos = read_clip_info(prep / "clip_info.csv")
    needed = sorted({r.video_id for r in boxes} & set(clips))
    for clip in progress([c for c in needed if c not in infos], desc="probe clips"):
        infos[clip] = probe_clip(clips[clip])
    write_clip_info(prep / "clip_info.csv", infos)
    rows, problems = convert(
        boxes=boxes,
        actions=actions,
        clips=infos,
        boxes_file=Path(boxes_csv).name,
        actions_file=Path(actions_csv).name,
        decimals=cfg.convert.decimals,
        clip_boxes=cfg.convert.clip_boxes,
        dedupe_actions=cfg.convert.dedupe_actions,
    )
    problems = box_problems + action_problems + problems
    write_combined(prep / COMBINED, rows)
    write_problems(prep / "conversion_report.csv", problems)
    issues = Counter(p.issue for p in problems)
    lost = len(actions) + len(action_problems) - len(rows)
    logger.info(
        "to_ava: %d label rows -> %d AVA rows; %d labels not converted; report: %s (%s)",
        len(actions) + len(action_problems),
        len(rows),
        lost,
        prep / "conversion_report.csv",
        dict(issues),
    )
    labelled = sorted({r.video_id for r in rows})
    frames = _materialise(
        clips=clips,
        labelled=labelled,
        expected=infos,
        dataset_dir=dataset_dir,
        cfg=cfg,
        shard=shard,
        retry_failed=retry_failed,
    )
    summary: dict[str, Any] = {
        "stage": "to_ava",
        "label_rows": len(actions) + len(action_problems),
        "ava_rows": len(rows),
        "labels_not_converted": lost,
        "issues": dict(issues),
        "frames": frames,
    }
    summary["split"] = run_split_dataset(dataset_dir=dataset_dir, cfg=cfg, label_names=label_names)
    return summary


def _materialise(
    *,
    clips: dict[str, Path],
    labelled: list[str],
    expected: dict[str, ClipInfo],
    dataset_dir: Path,
    cfg: PipelineConfig,
    shard: Shard,
    retry_failed: bool,
) -> dict[str, int]:
    """Extract JPEG frames and/or place videos for the labelled clips (resumable).

    A clip whose JPEG count differs from its frame count in ``clip_info.csv`` is recorded as
    failed, since the frame lists are written from those counts.
    """
    counts = {"extracted": 0, "failed": 0, "videos": 0}
    if cfg.convert.link_videos:
        for clip in labelled:
            place_video(clip_path=clips[clip], videos_dir=dataset_dir / "videos", clip=clip)
            counts["videos"] += 1
    if not cfg.convert.extract_frames:
        return counts
    manifest = Manifest(
        out_dir=dataset_dir, stage="frames", shard=shard, params=cfg.stage_params("frames")
    )
    finished = manifest.finished(retry_failed=retry_failed)
    todo = [c for c in labelled if shard.owns(source_of(c)) and c not in finished]
    for clip in progress(todo, total=len(todo), desc="frames"):
        timer = Timer()
        try:
            n = extract_frames(
                clip_path=clips[clip],
                frames_dir=dataset_dir / "frames",
                clip=clip,
                quality=cfg.convert.jpeg_quality,
            )
        except Exception as err:  # one bad clip must not stop the run
            manifest.add(clip, FAILED, reason=f"{type(err).__name__}: {err}", seconds=timer.seconds)
            logger.error("%s: frame extraction failed: %s", clip, err)
            counts["failed"] += 1
            continue
        if n != expected[clip].frames:
            reason = f"extracted {n} frames but the clip declares {expected[clip].frames}"
            manifest.add(clip, FAILED, reason=reason, figures={"frames": n}, seconds=timer.seconds)
            logger.error("%s: %s", clip, reason)
            counts["failed"] += 1
            continue
        manifest.add(clip, DONE, figures={"frames": n}, seconds=timer.seconds)
        counts["extracted"] += 1
    manifest.close()
    return counts


def run_split_dataset(
    *,
    dataset_dir: Path,
    cfg: PipelineConfig,
    combined: Path | None = None,
    label_names: dict[int, str] | None = None,
) -> dict[str, Any]:
    """Split the combined rows and write the layout.

    Args:
        dataset_dir: dataset root (reads ``prep/ava_with_head.csv`` unless ``combined``).
        cfg: pipeline config (``dataset`` section: ratios, seed, group_by).
        combined: another combined file (e.g. the released ``ava_format_with_header.csv``).
        label_names: ``{id: name}`` for the label map.

    Returns:
        The split report (counts per split, classes, source leakage).
    """
    dataset_dir = Path(dataset_dir)
    prep = dataset_dir / "prep"
    rows = read_combined(combined or prep / COMBINED)
    actions = clip_actions(rows)
    params = cfg.dataset
    split_fn = source_split if params.group_by == "source" else paper_split
    assignment = split_fn(
        actions, train_ratio=params.train_ratio, val_ratio=params.val_ratio, seed=params.seed
    )
    infos = read_clip_info(prep / "clip_info.csv")
    clip_frames = {}
    for clip in actions:
        n = infos[clip].frames if clip in infos else count_jpegs(dataset_dir / "frames", clip)
        if n == 0:
            raise FileNotFoundError(
                f"frame count of clip {clip} unknown: neither {prep / 'clip_info.csv'} nor "
                f"{dataset_dir / 'frames' / clip} has it; run to_ava with the clips folder"
            )
        clip_frames[clip] = n
    write_layout(
        dataset_dir=dataset_dir,
        rows=rows,
        assignment=assignment,
        clip_frames=clip_frames,
        label_names=label_names,
    )
    report = split_report(rows, assignment)
    report["group_by"] = params.group_by
    report["seed"] = params.seed
    write_assignment(prep / "split.csv", assignment)
    write_report(prep / "split_report.json", report)
    logger.info(
        "split_dataset (%s): %s",
        params.group_by,
        {s: (report[s]["clips"], report[s]["rows"]) for s in ("train", "val", "test")},
    )
    return report
