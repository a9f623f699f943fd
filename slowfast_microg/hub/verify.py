"""Check a train-ready MicroG-4M folder the way the dataset reads it, listing every problem.

Unlike the dataset, which stops at the first bad row, :func:`verify_layout` reads everything
with the same readers in collect mode (``slowfast_microg.datasets.ava_io`` and
``frame_lists``) and reports all findings, grouped:

- files: the label map, the frame lists, box files and ground truth each split reads exist;
- label map: it parses and has MODEL.NUM_CLASSES classes, or its ids are outputs ``id - 1``
  of a larger AVA model (zero-shot); a 50-class map should hold the MicroG-4M release's ids
  and every class should have training boxes (warnings otherwise);
- frame lists / annotation rows: every line parses (column counts, numbers, boxes in [0, 1],
  action ids in the label map);
- consistency: every clip with boxes is in its split's frame lists, every stamp lies inside
  its clip, listed clips without boxes and ground-truth frames without a box to score are
  warned about, a clip in two splits is warned about;
- frames: every listed JPEG exists (layout "frames"), every clip has ``<clip>.mp4`` (layout
  "videos"), or either of the two ("either"); layout "none" checks the annotations only.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from pathlib import Path

from fvcore.common.config import CfgNode

from slowfast_microg.config import get_cfg
from slowfast_microg.datasets.ava_io import BoxRow, LabelMap, read_box_csv, read_label_map
from slowfast_microg.datasets.errors import DataError
from slowfast_microg.datasets.frame_lists import read_frame_lists
from slowfast_microg.datasets.microg_classes import MICROG_CLASSES
from slowfast_microg.datasets.paths import SPLITS, SplitFiles, data_path, split_files
from slowfast_microg.hub.report import WARNING, Report

logger = logging.getLogger(__name__)

LAYOUTS = ("frames", "videos", "either", "none")
_GT_KEYS = {"val": "MICROG.VAL_GROUNDTRUTH_FILE", "test": "AVA.GROUNDTRUTH_FILE"}
# Offending names quoted in one aggregated message.
_NAMED = 5


def _names(items: list[str]) -> str:
    shown = ", ".join(items[:_NAMED])
    return shown + (f" and {len(items) - _NAMED} more" if len(items) > _NAMED else "")


def _label_map(cfg: CfgNode, report: Report) -> LabelMap | None:
    path = data_path(cfg, cfg.AVA.ANNOTATION_DIR) / cfg.AVA.LABEL_MAP_FILE
    try:
        label_map = read_label_map(path, config_key="AVA.LABEL_MAP_FILE")
    except DataError as error:
        report.add("label map", str(error))
        return None
    report.count("classes", len(label_map.ids))
    outputs = cfg.MODEL.NUM_CLASSES
    # An AVA model (output i = AVA id i + 1) may score a subset of AVA ids (zero-shot).
    ava_model = outputs != len(label_map.ids) and all(1 <= i <= outputs for i in label_map.ids)
    if len(label_map.ids) != outputs and not ava_model:
        report.add(
            "label map",
            f"{label_map.path} has {len(label_map.ids)} classes but MODEL.NUM_CLASSES is "
            f"{outputs}; use the label map the models were trained with or set "
            "MODEL.NUM_CLASSES.",
        )
    _release_ids(label_map, outputs=outputs, report=report)
    return label_map


def _release_ids(label_map: LabelMap, *, outputs: int, report: Report) -> None:
    """Warn when a 50-class map's ids differ from the MicroG-4M release's.

    The MicroG-4M configs and the authors' checkpoints map output ``i`` to the ``i``-th
    smallest release id, so other ids give those models' outputs other meanings. A dataset
    of its own with 50 classes may differ on purpose, hence a warning, not an error.
    """
    release = sorted(cid for cid, _ in MICROG_CLASSES)
    if outputs != len(release) or len(label_map.ids) != len(release):
        return
    ids = set(label_map.ids)
    if ids == set(release):
        return
    missing = [str(cid) for cid in release if cid not in ids]
    extra = [str(cid) for cid in sorted(ids - set(release))]
    report.add(
        "label map",
        f"{label_map.path} has 50 classes but not the MicroG-4M release's ids (missing: "
        f"{_names(missing)}; not in the release: {_names(extra)}); the MicroG-4M configs and "
        "the authors' checkpoints give output i to the i-th smallest release id, so use the "
        "released label map with them.",
        severity=WARNING,
    )


def _frame_lists(files: SplitFiles, report: Report) -> dict[str, list[str]]:
    present = []
    for path in files.frame_lists:
        if path.is_file():
            present.append(path)
        else:
            report.add("files", f"{path} does not exist (named by {files.frame_lists_key}).")
    errors: list[DataError] = []
    frames = read_frame_lists(present, config_key=files.frame_lists_key, errors=errors)
    for error in errors:
        report.add("frame lists", str(error))
    report.count("clips", len(frames))
    report.count("frames listed", sum(len(paths) for paths in frames.values()))
    return frames


def _box_files(
    split: str, files: SplitFiles, label_map: LabelMap | None, report: Report
) -> tuple[list[BoxRow], list[BoxRow]]:
    """(rows of the split's box files, rows of its ground truth)."""
    targets = [(f.path, f.kind, f.config_key, False) for f in files.box_files]
    if files.groundtruth is not None:
        targets.append((files.groundtruth, "gt", _GT_KEYS[split], True))
    boxes: list[BoxRow] = []
    truth: list[BoxRow] = []
    for path, kind, key, is_truth in targets:
        if not path.is_file():
            report.add("files", f"{path} does not exist (named by {key}).")
            continue
        if label_map is None:
            report.add(
                "annotation rows",
                f"{path}: not checked, because the label map could not be read.",
            )
            continue
        errors: list[DataError] = []
        rows = read_box_csv(path, kind=kind, label_map=label_map, config_key=key, errors=errors)
        for error in errors:
            report.add("annotation rows", str(error))
        report.count("annotation rows", len(rows) + len(errors))
        (truth if is_truth else boxes).extend(rows)
    return boxes, truth


def _consistency(
    split: str,
    frames: dict[str, list[str]],
    boxes: list[BoxRow],
    truth: list[BoxRow],
    *,
    stamp_base: int,
    report: Report,
) -> None:
    unlisted: dict[str, list[BoxRow]] = {}
    for row in boxes + truth:
        if row.clip_id not in frames:
            unlisted.setdefault(row.clip_id, []).append(row)
            continue
        length = len(frames[row.clip_id])
        if not stamp_base <= row.stamp < stamp_base + length:
            report.add(
                "consistency",
                f"{row.source}: stamp {row.stamp} is outside clip {row.clip_id!r}, whose "
                f"{length} listed frames have stamps {stamp_base}..{stamp_base + length - 1}.",
            )
    for clip, rows in unlisted.items():
        report.add(
            "consistency",
            f"{rows[0].source}: clip {clip!r} has {len(rows)} box row(s) but is not in the "
            f"{split} frame lists; add it to them or remove its rows.",
        )
    boxed = {row.clip_id for row in boxes}
    unboxed = [clip for clip in frames if clip not in boxed]
    if unboxed and boxes:
        report.add(
            "consistency",
            f"{split}: {len(unboxed)} clip(s) in the frame lists have no box rows and give no "
            f"keyframe: {_names(unboxed)}.",
            severity=WARNING,
        )
    scored = {(row.clip_id, row.stamp) for row in boxes}
    missed = sorted({f"{r.clip_id},{r.stamp}" for r in truth if (r.clip_id, r.stamp) not in scored})
    if missed:
        report.add(
            "consistency",
            f"{split}: {len(missed)} ground-truth frame(s) have no box to score in the box "
            f"files, so their instances count as missed: {_names(missed)}.",
            severity=WARNING,
        )


class _Folders:
    """File names of frame folders, listed once each."""

    def __init__(self) -> None:
        self._names: dict[Path, set[str] | None] = {}

    def names(self, folder: Path) -> set[str] | None:
        if folder not in self._names:
            self._names[folder] = set(os.listdir(folder)) if folder.is_dir() else None
        return self._names[folder]


def _frames_problem(frame_dir: Path, paths: list[str], folders: _Folders) -> str | None:
    """Why a clip's listed frames are not all there, or None."""
    missing = []
    absent_folders = []
    for rel in paths:
        folder = (frame_dir / rel).parent
        names = folders.names(folder)
        if names is None:
            if folder not in absent_folders:
                absent_folders.append(folder)
            missing.append(rel)
        elif Path(rel).name not in names:
            missing.append(rel)
    if not missing:
        return None
    if absent_folders and len(missing) == len(paths):
        return f"frame folder {absent_folders[0]} does not exist"
    return (
        f"{len(missing)} of {len(paths)} listed frames are missing from {frame_dir} "
        f"(first: {_names(missing)})"
    )


def _media(
    clips: dict[str, list[str]], *, frame_dir: Path, video_dir: Path, layout: str, report: Report
) -> None:
    folders = _Folders()
    for clip, paths in clips.items():
        frames_problem = _frames_problem(frame_dir, paths, folders) if layout != "videos" else None
        video = video_dir / f"{clip}.mp4"
        video_problem = None
        if layout != "frames" and not video.is_file():
            video_problem = f"{video} does not exist"
        if layout == "frames" and frames_problem:
            report.add("frames", f"clip {clip!r}: {frames_problem}.")
        elif layout == "videos" and video_problem:
            report.add("videos", f"clip {clip!r}: {video_problem}.")
        elif layout == "either" and frames_problem and video_problem:
            report.add("frames or videos", f"clip {clip!r}: {frames_problem}, and {video_problem}.")


def _class_usage(label_map: LabelMap | None, train_rows: list[BoxRow], report: Report) -> None:
    if label_map is None or not train_rows:
        return
    used = Counter(row.action_id for row in train_rows if row.action_id is not None)
    unused = [cid for cid in label_map.ids if cid not in used]
    if unused:
        report.add(
            "label map",
            f"{len(unused)} class(es) of {label_map.path} have no training box: ids "
            f"{', '.join(map(str, unused))}.",
            severity=WARNING,
        )


def verify_layout(
    root: str | Path, *, cfg: CfgNode | None = None, layout: str = "either"
) -> Report:
    """Check the train-ready layout under ``root`` and collect every problem.

    Args:
        root: the dataset root (DATA.PATH_TO_DATA_DIR), holding frames/, frame_lists/,
            annotations/ (names from ``cfg``'s AVA and MICROG keys).
        cfg: a config giving file names and MODEL.NUM_CLASSES (defaults: the MicroG-4M
            release's names and 50 classes); its DATA.PATH_TO_DATA_DIR is replaced by ``root``.
        layout: "frames" (JPEG folders), "videos" (``<clip>.mp4``), "either", or "none" (no
            media check: an annotations-only download).

    Returns:
        The report; ``report.ok`` is False when any error was found.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    cfg = (cfg if cfg is not None else get_cfg()).clone()
    cfg.defrost()
    cfg.DATA.PATH_TO_DATA_DIR = str(root)
    report = Report(root=Path(root))
    label_map = _label_map(cfg, report)
    clips: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    train_rows: list[BoxRow] = []
    for split in SPLITS:
        try:
            files = split_files(cfg, split)
        except DataError as error:
            report.add("files", str(error))
            continue
        frames = _frame_lists(files, report)
        boxes, truth = _box_files(split, files, label_map, report)
        _consistency(split, frames, boxes, truth, stamp_base=cfg.MICROG.STAMP_BASE, report=report)
        if split == "train":
            train_rows = boxes
        for clip, paths in frames.items():
            if clip in owner:
                report.add(
                    "consistency",
                    f"clip {clip!r} is listed in both the {owner[clip]} and the {split} "
                    "frame lists (the splits overlap).",
                    severity=WARNING,
                )
                continue
            owner[clip] = split
            clips[clip] = paths
    _class_usage(label_map, train_rows, report)
    if layout == "none":
        return report
    _media(
        clips,
        frame_dir=data_path(cfg, cfg.AVA.FRAME_DIR),
        video_dir=data_path(cfg, cfg.MICROG.VIDEO_DIR),
        layout=layout,
        report=report,
    )
    return report
