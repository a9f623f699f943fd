"""Command line: ``python -m data_prep <stage> ...``.

Stages: split, filter, track, to_ava, split_dataset, stats, and run, which chains them; reencode
makes fast-loading copies of a dataset's mp4 clips.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from data_prep.config import PipelineConfig, dump_config, load_config
from data_prep.label_map import read_pbtxt
from data_prep.logs import setup_logging
from data_prep.manifest import ParamsMismatchError
from data_prep.sharding import parse_shard
from data_prep.ultralytics_env import MissingDependencyError

logger = logging.getLogger(__name__)

STAGES = ("split", "filter", "track", "to_ava", "split_dataset", "stats", "run", "reencode")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, help="YAML file of parameters (see data_prep/config.py)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one parameter, e.g. --set detector.imgsz=320 (repeatable)",
    )
    p.add_argument("--log-file", type=Path, help="log file (default: <out>/logs/data_prep.log)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--verbose", action="store_true", help="debug lines on the console")


def _work_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--shard", default=None, metavar="K/N", help="process part K (1-based) of N")
    p.add_argument("--retry-failed", action="store_true", help="redo items that failed before")


def _split_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--height", type=int, help="clip height in pixels (default 480; 0 keeps)")
    p.add_argument("--workers", type=int, default=1, help="parallel processes, one source each")
    p.add_argument("--all-files", action="store_true", help="probe every file, not only videos")


def _detector_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", help="YOLO weights (.pt) or model yaml (default yolo11n.pt)")
    p.add_argument("--device", help="cpu, 0, cuda:1, ... (default: CUDA when available)")
    p.add_argument("--imgsz", type=int, help="detector input size (default 640)")
    p.add_argument(
        "--person-only",
        action="store_true",
        help="detect persons only (option; the paper tracked all COCO classes)",
    )


def _track_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preview", action="store_true", help="write annotated preview videos")
    p.add_argument("--boxes-mode", choices=["hold", "fresh"], help="default hold (paper)")
    p.add_argument("--coords-mode", choices=["truncate", "round"], help="default truncate")


def _dataset_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--group-by", choices=["clip", "source"], help="split unit (default clip)")
    p.add_argument("--seed", type=int, help="split seed (default 42)")
    p.add_argument("--label-map", type=Path, help="pbtxt with action names to use")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every stage."""
    parser = argparse.ArgumentParser(
        prog="python -m data_prep",
        description="Turn raw space footage into MicroG-4M-format training data, resumably.",
    )
    sub = parser.add_subparsers(dest="stage", required=True)
    p = sub.add_parser("split", help="raw videos -> 3 s clips at 30 fps, 480p")
    p.add_argument("--input", type=Path, required=True, help="folder of raw videos")
    p.add_argument("--out", type=Path, required=True, help="run folder")
    _split_options(p)
    _work_options(p)
    _common(p)

    p = sub.add_parser("filter", help="keep clips with a persistent person and no scene cut")
    p.add_argument("--out", type=Path, required=True, help="run folder")
    p.add_argument("--clips", type=Path, help="clips folder (default <out>/clips)")
    p.add_argument("--on-reject", choices=["move", "list"], help="default move to <out>/rejected")
    _detector_options(p)
    _work_options(p)
    _common(p)

    p = sub.add_parser("track", help="person boxes -> <out>/bounding_boxes.csv")
    p.add_argument("--out", type=Path, required=True, help="run folder")
    p.add_argument("--clips", type=Path, help="clips folder (default <out>/clips)")
    p.add_argument(
        "--all-clips",
        action="store_true",
        help="track every clip, not only those the filter kept",
    )
    _detector_options(p)
    _track_options(p)
    _work_options(p)
    _common(p)

    p = sub.add_parser("to_ava", help="boxes + labels -> train-ready dataset folder")
    p.add_argument("--boxes", type=Path, required=True, help="bounding_boxes.csv")
    p.add_argument("--actions", type=Path, required=True, help="actions.csv")
    p.add_argument("--clips", type=Path, required=True, help="clips folder")
    p.add_argument("--dataset", type=Path, required=True, help="dataset folder to write")
    p.add_argument("--no-frames", action="store_true", help="do not extract JPEG frames")
    p.add_argument("--videos", action="store_true", help="also place clips as videos/<clip>.mp4")
    _dataset_options(p)
    _work_options(p)
    _common(p)

    p = sub.add_parser("split_dataset", help="(re)split a dataset folder into train/val/test")
    p.add_argument("--dataset", type=Path, required=True, help="dataset folder")
    p.add_argument("--input", type=Path, help="combined rows (default <dataset>/prep/...)")
    _dataset_options(p)
    _common(p)

    p = sub.add_parser("stats", help="dataset statistics as CSV and plots")
    p.add_argument("--actions", type=Path, required=True, help="actions.csv")
    p.add_argument("--out", type=Path, required=True, help="folder for the statistics")
    p.add_argument("--label-map", type=Path, help="pbtxt with action names to use")
    _common(p)

    p = sub.add_parser("run", help="split -> filter -> track (-> to_ava, stats with --actions)")
    p.add_argument("--input", type=Path, required=True, help="folder of raw videos")
    p.add_argument("--out", type=Path, required=True, help="run folder")
    p.add_argument("--actions", type=Path, help="actions.csv: also build the dataset and stats")
    p.add_argument("--dataset", type=Path, help="dataset folder (default <out>/dataset)")
    p.add_argument("--on-reject", choices=["move", "list"], help="default move to <out>/rejected")
    _split_options(p)
    _detector_options(p)
    _track_options(p)
    _dataset_options(p)
    _work_options(p)
    _common(p)

    p = sub.add_parser("reencode", help="dataset mp4 clips -> copies fast to decode at any frame")
    p.add_argument("--dataset", type=Path, required=True, help="dataset folder")
    p.add_argument("--source", default="videos", help="clip folder in the dataset (videos)")
    p.add_argument("--target", default="videos_intra", help="folder for the copies")
    p.add_argument("--keyint", type=int, help="frames per IDR picture (default 1: all-intra)")
    p.add_argument("--crf", type=int, help="x264 CRF (default 15)")
    p.add_argument("--workers", type=int, default=1, help="parallel processes, one clip each")
    _work_options(p)
    _common(p)
    return parser


def _overrides(args: argparse.Namespace) -> list[str]:
    """Translate the convenience flags into ``section.key=value`` overrides."""
    mapping = {
        "height": "split.height",
        "weights": "detector.weights",
        "device": "detector.device",
        "imgsz": "detector.imgsz",
        "on_reject": "filter.on_reject",
        "boxes_mode": "track.boxes_mode",
        "coords_mode": "track.coords_mode",
        "group_by": "dataset.group_by",
        "seed": "dataset.seed",
        "keyint": "reencode.keyint",
        "crf": "reencode.crf",
    }
    out = []
    for attr, key in mapping.items():
        value = getattr(args, attr, None)
        if value is not None:
            out.append(f"{key}={json.dumps(value)}")
    if getattr(args, "person_only", False):
        out.append("detector.classes=[0]")
    if getattr(args, "preview", False):
        out.append("track.preview=true")
    if getattr(args, "no_frames", False):
        out.append("convert.extract_frames=false")
    if getattr(args, "videos", False):
        out.append("convert.link_videos=true")
    return out + list(args.overrides)


def _output_root(args: argparse.Namespace) -> Path:
    return Path(getattr(args, "dataset", None) or args.out)


def dispatch(args: argparse.Namespace, cfg: PipelineConfig) -> dict[str, Any]:
    """Run the chosen stage and return its summary."""
    from data_prep import (
        build_dataset,
        filter_clips,
        pipeline,
        reencode,
        split_clips,
        stats,
        track_persons,
    )

    shard = parse_shard(getattr(args, "shard", None))
    retry = getattr(args, "retry_failed", False)
    names = read_pbtxt(args.label_map) if getattr(args, "label_map", None) else None
    if args.stage == "split":
        return split_clips.run_split(
            input_dir=args.input,
            out_dir=args.out,
            cfg=cfg,
            shard=shard,
            workers=args.workers,
            retry_failed=retry,
            all_files=args.all_files,
        )
    if args.stage == "filter":
        return filter_clips.run_filter(
            clips_dir=args.clips or args.out / "clips",
            out_dir=args.out,
            cfg=cfg,
            shard=shard,
            retry_failed=retry,
        )
    if args.stage == "track":
        filtered = (args.out / "manifests" / "filter.params.json").exists()
        only = None if args.all_clips or not filtered else filter_clips.kept_clips(args.out)
        if only is not None:
            logger.info("tracking the %d clips the filter kept (--all-clips for all)", len(only))
        return track_persons.run_track(
            clips_dir=args.clips or args.out / "clips",
            out_dir=args.out,
            cfg=cfg,
            shard=shard,
            retry_failed=retry,
            only=only,
        )
    if args.stage == "to_ava":
        return build_dataset.run_to_ava(
            boxes_csv=args.boxes,
            actions_csv=args.actions,
            clips_dir=args.clips,
            dataset_dir=args.dataset,
            cfg=cfg,
            label_names=names,
            shard=shard,
            retry_failed=retry,
        )
    if args.stage == "split_dataset":
        return build_dataset.run_split_dataset(
            dataset_dir=args.dataset, cfg=cfg, combined=args.input, label_names=names
        )
    if args.stage == "reencode":
        return reencode.run_reencode(
            dataset_dir=args.dataset,
            cfg=cfg,
            source=args.source,
            target=args.target,
            shard=shard,
            workers=args.workers,
            retry_failed=retry,
        )
    if args.stage == "stats":
        return stats.run_stats(actions_csv=args.actions, out_dir=args.out, names=names)
    return pipeline.run_all(
        input_dir=args.input,
        out_dir=args.out,
        cfg=cfg,
        shard=shard,
        workers=args.workers,
        retry_failed=retry,
        all_files=args.all_files,
        actions_csv=args.actions,
        dataset_dir=args.dataset,
        label_names=names,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 done, 1 error, 2 bad arguments)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config, _overrides(args))
        parse_shard(getattr(args, "shard", None))
    except (ValueError, OSError) as err:
        parser.error(str(err))
    root = _output_root(args)
    setup_logging(
        args.log_file or root / "logs" / "data_prep.log",
        verbose=args.verbose,
        progress=not args.no_progress,
    )
    dump_config(cfg, root / "config.yaml")
    logger.info("data_prep %s: %s", args.stage, " ".join(sys.argv[1:] if argv is None else argv))
    try:
        summary = dispatch(args, cfg)
    except (ParamsMismatchError, MissingDependencyError, FileNotFoundError, ValueError) as err:
        logger.error("%s", err)
        return 1
    print(json.dumps(summary, indent=2, default=str))
    return 0
