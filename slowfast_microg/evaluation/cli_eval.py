"""Command line: evaluate a detections CSV against ground truth (``tools/eval_detections.py``)."""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from pathlib import Path
from typing import Any

from slowfast_microg.evaluation.csv_io import (
    read_detections_csv,
    read_exclusions,
    read_gt_csv,
    write_ap_per_class_csv,
)
from slowfast_microg.evaluation.errors import EvaluationInputError
from slowfast_microg.evaluation.evaluate import SCORE_TYPES, DetectionMetrics, evaluate_detections
from slowfast_microg.evaluation.label_map import read_label_map

logger = logging.getLogger(__name__)

TIE_RULE = "score descending, ties in detection input order (stable sort)"
DESCRIPTIONS = {
    "map": "frame mAP@{iou} (PASCAL/AVA), mean over classes with ground truth",
    "f1_macro": "paper: frame-level labels, raw score >= {thr}, mean over all {k} classes",
    "recall_macro": "paper: frame-level labels, raw score >= {thr}, mean over all {k} classes",
    "auroc_macro": "paper: frame-level labels, classes with positives and negatives",
    "f1_macro_matched": "matched: IoU>={iou} box labels, probability >= {thr}, classes in GT",
    "recall_macro_matched": "matched: IoU>={iou} box labels, probability >= {thr}, classes in GT",
    "auroc_macro_matched": "matched: IoU>={iou} box labels, classes with positives and negatives",
}


def build_parser() -> argparse.ArgumentParser:
    """The ``eval_detections`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="eval_detections.py",
        description="Frame mAP@0.5 and the paper's F1/recall/AUROC (paper and matched variants) "
        "of an AVA/PySlowFast detections CSV. Prints one line per metric and writes "
        "metrics.json and ap_per_class.csv to --out.",
    )
    parser.add_argument("--gt", required=True, type=Path, help="ground-truth CSV (7 or 8 columns)")
    parser.add_argument("--detections", required=True, type=Path, help="detections CSV (8 columns)")
    parser.add_argument("--label-map", required=True, type=Path, help="label map (.pbtxt or .csv)")
    parser.add_argument("--exclusions", type=Path, help="CSV of video,stamp keys to leave out")
    parser.add_argument("--out", type=Path, default=Path("."), help="output folder (default: .)")
    parser.add_argument("--threshold", type=float, default=0.5, help="F1/recall threshold")
    parser.add_argument(
        "--score-type",
        choices=SCORE_TYPES,
        default="auto",
        help="are scores logits or probabilities (auto: logits if any is outside [0, 1])",
    )
    parser.add_argument("--iou", type=float, default=0.5, help="IoU threshold of a match")
    parser.add_argument(
        "--plots", action="store_true", help="also write per-class AP and PR-curve figures"
    )
    return parser


def _finite_or_none(value: float) -> float | None:
    """JSON has no NaN: write null instead."""
    return value if math.isfinite(value) else None


def metrics_report(
    metrics: DetectionMetrics, inputs: dict[str, str | None], seconds: float
) -> dict[str, Any]:
    """The content of ``metrics.json``."""
    present = [c for c, n in metrics.num_gt_per_class.items() if n > 0]
    return {
        "metrics": {k: _finite_or_none(v) for k, v in metrics.to_dict().items()},
        "protocol": {
            "iou_threshold": metrics.iou_threshold,
            "threshold": metrics.threshold,
            "score_type": metrics.score_type,
            "tie_rule": TIE_RULE,
            "paper_variant": "labels: all classes of the frame; threshold on raw scores; "
            "F1/recall averaged over all label-map classes",
            "matched_variant": "labels: classes of the best-IoU ground-truth box; threshold on "
            "probabilities; F1/recall averaged over classes with ground truth",
        },
        "counts": {
            "boxes": metrics.num_boxes,
            "gt_rows": metrics.num_gt_rows,
            "frames_with_gt": metrics.num_frames,
            "classes": len(metrics.ap_per_class),
            "classes_with_gt": len(present),
        },
        "inputs": inputs,
        "ap_per_class": {str(c): _finite_or_none(v) for c, v in metrics.ap_per_class.items()},
        "num_gt_per_class": {str(c): n for c, n in metrics.num_gt_per_class.items()},
        "seconds": seconds,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; return 0 on success, 2 on bad input."""
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    try:
        label_map = read_label_map(args.label_map)
        name = f" ({args.label_map})"
        gt = read_gt_csv(args.gt, label_map=label_map, label_map_name=name)
        detections = read_detections_csv(args.detections, label_map=label_map, label_map_name=name)
        exclusions = read_exclusions(args.exclusions) if args.exclusions else None
        metrics = evaluate_detections(
            gt=gt,
            detections=detections,
            label_map=label_map,
            threshold=args.threshold,
            exclusions=exclusions,
            score_type=args.score_type,
            iou_threshold=args.iou,
        )
    except EvaluationInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started

    num_classes = len(label_map)
    for key, value in metrics.to_dict().items():
        note = DESCRIPTIONS[key].format(iou=args.iou, thr=args.threshold, k=num_classes)
        print(f"{key:<22} {value:.5f}  {note}")
    print(
        f"evaluated {metrics.num_boxes} boxes x {num_classes} classes against "
        f"{metrics.num_gt_rows} ground-truth rows ({metrics.score_type}) in {seconds:.3f} s",
        file=sys.stderr,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    inputs = {
        "gt": str(args.gt),
        "detections": str(args.detections),
        "label_map": str(args.label_map),
        "exclusions": None if args.exclusions is None else str(args.exclusions),
    }
    report = metrics_report(metrics, inputs, seconds)
    (args.out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    write_ap_per_class_csv(args.out / "ap_per_class.csv", metrics.ap_per_class, label_map)
    written = [args.out / "metrics.json", args.out / "ap_per_class.csv"]
    if args.plots:
        from slowfast_microg.evaluation.plots import plot_ap_per_class, plot_pr_curves

        written += plot_ap_per_class(
            {args.detections.name: metrics.ap_per_class}, label_map, args.out / "ap_per_class"
        )
        written += plot_pr_curves(
            metrics.pr_curves, label_map, args.out / "pr_curves", ap_per_class=metrics.ap_per_class
        )
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0
