"""Command line of ``tools/visualize.py``: qualitative panels (the paper's Figures 3 and 4).

Example::

    python tools/visualize.py --cfg configs/MicroG/SLOW_8x8.yaml \
        --run "MicroG-4M=output/MicroG/SLOW_8x8" --run "AVA=output/zero_shot/SLOW_8x8_AVA" \
        --keys clipA,52 clipB,45 --top-k 3 --out figures/qualitative

Data paths (frame lists, frames or mp4 clips, label map, ground truth) come from the config
and ``--split``; a ``--run`` is ``NAME=PATH`` with PATH a detections CSV or a run folder (its
``detections_<split>.csv``). The key frame shown is the annotated frame itself
(``stamp - MICROG.STAMP_BASE``).
"""

from __future__ import annotations

import argparse
import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from fvcore.common.config import CfgNode

from slowfast_microg.config import ConfigError
from slowfast_microg.datasets.errors import DataError
from slowfast_microg.datasets.frame_lists import read_frame_lists
from slowfast_microg.datasets.frame_sources import FrameSource, JpegFrameSource, VideoFrameSource
from slowfast_microg.datasets.paths import split_files
from slowfast_microg.datasets.sampling import center_index
from slowfast_microg.demo.cli_config import (
    add_config_arguments,
    config_from_arguments,
    split_config_arguments,
)
from slowfast_microg.demo.errors import DemoError
from slowfast_microg.demo.panel_inputs import Selection, key_persons
from slowfast_microg.evaluation import (
    EvaluationInputError,
    GroundTruth,
    make_key,
    read_detections_csv,
    read_gt_csv,
    read_label_map,
)
from slowfast_microg.utils.logging import setup_logging

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The tool's arguments."""
    parser = argparse.ArgumentParser(
        description="Draw key frames with ground-truth and predicted labels of several runs."
    )
    add_config_arguments(parser)
    parser.add_argument(
        "--run",
        dest="runs",
        action="append",
        required=True,
        metavar="NAME=PATH",
        help="a run: detections CSV or run folder; repeat for several runs (one row each)",
    )
    parser.add_argument("--split", choices=("val", "test"), default="test", help="(%(default)s)")
    parser.add_argument("--gt", type=Path, help="ground-truth CSV (default: the split's)")
    parser.add_argument("--keys", nargs="+", metavar="CLIP,STAMP", help="key frames to draw")
    parser.add_argument(
        "--num-clips", type=int, default=5, help="without --keys: the first N (%(default)s)"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        nargs="+",
        help="minimum score of a predicted label, one value or one per run "
        "(default: MICROG.EVAL_THRESHOLD unless --top-k is given)",
    )
    parser.add_argument(
        "--top-k", type=int, nargs="+", help="keep the K best labels, one value or one per run"
    )
    parser.add_argument("--out", type=Path, required=True, help="output path without suffix")
    return parser


def parse_runs(specs: list[str], *, split: str) -> list[tuple[str, Path]]:
    """``NAME=PATH`` items -> (name, detections CSV); a folder means its detections file."""
    runs = []
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise DemoError(f"--run {spec!r}: expected NAME=PATH.")
        csv_path = Path(path)
        if csv_path.is_dir():
            csv_path = csv_path / f"detections_{split}.csv"
        if not csv_path.is_file():
            raise DemoError(f"--run {name}: {csv_path} does not exist.")
        runs.append((name, csv_path))
    if len({name for name, _ in runs}) != len(runs):
        raise DemoError("--run names must differ.")
    return runs


def _per_run(values: list | None, count: int, option: str) -> list:
    if values is None:
        return [None] * count
    if len(values) == 1:
        return values * count
    if len(values) != count:
        raise DemoError(f"{option} takes one value or one per run ({count}), got {len(values)}.")
    return list(values)


def selections(args: argparse.Namespace, *, num_runs: int, default: float) -> list[Selection]:
    """One ``Selection`` per run from ``--threshold`` and ``--top-k``."""
    thresholds = _per_run(args.threshold, num_runs, "--threshold")
    top_ks = _per_run(args.top_k, num_runs, "--top-k")
    chosen = []
    for threshold, top_k in zip(thresholds, top_ks, strict=True):
        if threshold is None:
            threshold = -math.inf if top_k is not None else default
        chosen.append(Selection(threshold=threshold, top_k=top_k))
    return chosen


def choose_keys(gt: GroundTruth, keys: list[str] | None, *, count: int, gt_path: Path) -> list[str]:
    """The requested keys (checked against the ground truth) or its first ``count`` keys."""
    present = list(dict.fromkeys(gt.keys.tolist()))
    if not keys:
        return present[:count]
    chosen = []
    for key in keys:
        clip, sep, stamp = key.rpartition(",")
        if not sep or not stamp.strip().isdigit():
            raise DemoError(f"--keys {key!r}: expected CLIP,STAMP.")
        canonical = make_key(clip, stamp)
        if canonical not in present:
            raise DemoError(f"--keys {key!r}: {gt_path} has no ground truth for it.")
        chosen.append(canonical)
    return chosen


def frame_reader(cfg: CfgNode, *, split: str) -> Callable[[str, int], np.ndarray]:
    """A function (clip, stamp) -> (H, W, 3) uint8 RGB key frame, from the split's frames."""
    files = split_files(cfg, split)
    frame_paths = read_frame_lists(files.frame_lists, config_key=files.frame_lists_key)
    if cfg.MICROG.LAYOUT == "frames":
        source: FrameSource = JpegFrameSource(frame_dir=files.frame_dir, frame_paths=frame_paths)
    else:
        source = VideoFrameSource(video_dir=files.video_dir)

    def read(clip: str, stamp: int) -> np.ndarray:
        if clip not in frame_paths:
            raise DemoError(
                f"clip {clip!r} is not in the frame lists of {files.frame_lists_key} "
                f"({', '.join(map(str, files.frame_lists))}); check --split."
            )
        position = center_index(stamp=stamp, stamp_base=cfg.MICROG.STAMP_BASE)
        length = len(frame_paths[clip])
        if not 0 <= position < length:
            raise DemoError(
                f"key frame {clip},{stamp}: stamp outside the clip's {length} listed "
                f"frames (MICROG.STAMP_BASE {cfg.MICROG.STAMP_BASE})."
            )
        frames = source.read(clip, torch.tensor([position]))
        return frames[0].permute(1, 2, 0).numpy()

    return read


def run(args: argparse.Namespace) -> list[Path]:
    """Draw the panels for parsed arguments; returns the written files."""
    from slowfast_microg.demo.panels import PanelClip, render_panels

    cfg = config_from_arguments(args)
    files = split_files(cfg, args.split)
    label_map = read_label_map(files.label_map)
    gt_path = args.gt or files.groundtruth
    gt = read_gt_csv(gt_path, label_map=label_map, label_map_name=f" ({files.label_map})")
    runs = parse_runs(args.runs, split=args.split)
    chosen = selections(args, num_runs=len(runs), default=cfg.MICROG.EVAL_THRESHOLD)
    detections = {
        name: (read_detections_csv(path, label_map=label_map), selection)
        for (name, path), selection in zip(runs, chosen, strict=True)
    }
    read_frame = frame_reader(cfg, split=args.split)
    clips = []
    for key in choose_keys(gt, args.keys, count=args.num_clips, gt_path=gt_path):
        clip, stamp = key.rsplit(",", 1)
        persons = key_persons(key, gt=gt, runs=detections)
        clips.append(PanelClip(key=key, frame=read_frame(clip, int(stamp)), persons=persons))
    legends = [
        (name, f"{name}\n({sel.describe()})") for (name, _), sel in zip(runs, chosen, strict=True)
    ]
    return render_panels(clips, runs=legends, names=label_map, out_stem=args.out)


def main(argv: Sequence[str] | None = None) -> int:
    """Draw the panels; 0 on success, 2 on bad input (the reason is logged)."""
    setup_logging(None)
    try:
        run(split_config_arguments(build_parser().parse_args(argv)))
    except (DemoError, ConfigError, DataError, EvaluationInputError) as error:
        logger.error("%s", error)
        return 2
    return 0
