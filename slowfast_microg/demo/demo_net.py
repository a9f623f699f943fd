"""Command line of the action-detection demo (``tools/demo_net.py``).

PySlowFast's demo without detectron2: YOLO person boxes, the action model on a sliding window,
an annotated video and a per-box CSV.

Example::

    python tools/demo_net.py --cfg configs/MicroG/SLOWFAST_8x8.yaml --input clip.mp4 \
        --checkpoint checkpoint_epoch_00030.pyth --output clip_actions.mp4

Config overrides follow the ``--cfg`` files as ``KEY VALUE`` pairs or come after ``--opts``.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

import torch
from fvcore.common.config import CfgNode

from slowfast_microg.config import ConfigError
from slowfast_microg.datasets.errors import DataError
from slowfast_microg.demo.cli_config import (
    add_config_arguments,
    config_from_arguments,
    split_config_arguments,
)
from slowfast_microg.demo.demo_csv import read_boxes_csv
from slowfast_microg.demo.errors import DemoError
from slowfast_microg.demo.labels import label_map_path, resolve_class_names
from slowfast_microg.demo.person_detector import (
    DEFAULT_WEIGHTS,
    BoxFileDetector,
    PersonDetector,
    YoloPersonDetector,
)
from slowfast_microg.demo.pipeline import DemoResult, run_demo
from slowfast_microg.demo.predictor import ActionPredictor
from slowfast_microg.demo.video_io import probe_video
from slowfast_microg.models import build_model
from slowfast_microg.models.checkpoint import CheckpointError, load_cfg_checkpoint
from slowfast_microg.utils.logging import setup_logging

logger = logging.getLogger(__name__)

HEAD_PREFIX = "head.projection."


def build_parser() -> argparse.ArgumentParser:
    """The demo's arguments (defaults shown by ``--help``)."""
    parser = argparse.ArgumentParser(
        description="Detect persons, recognise their actions and write an annotated video + CSV.",
    )
    add_config_arguments(parser)
    parser.add_argument("--input", type=Path, required=True, help="input video")
    parser.add_argument("--output", type=Path, help="annotated mp4 (default: <input>_actions.mp4)")
    parser.add_argument("--csv", type=Path, help="per-box CSV (default: the output with .csv)")
    parser.add_argument("--checkpoint", help="model weights (sets TEST.CHECKPOINT_FILE_PATH)")
    parser.add_argument(
        "--checkpoint-type", choices=("pytorch", "caffe2"), help="sets TEST.CHECKPOINT_TYPE"
    )
    parser.add_argument("--label-map", type=Path, help="label map (default: AVA.LABEL_MAP_FILE)")
    parser.add_argument(
        "--every", type=int, default=4, help="keyframe period in frames (%(default)s)"
    )
    parser.add_argument(
        "--top-k", type=int, default=3, help="actions shown per person (%(default)s)"
    )
    parser.add_argument(
        "--threshold", type=float, default=0.0, help="minimum action score shown (%(default)s)"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (%(default)s)")
    parser.add_argument("--boxes", type=Path, help="precomputed person boxes CSV (skips YOLO)")
    parser.add_argument(
        "--detector", default=DEFAULT_WEIGHTS, help="YOLO weights or model yaml (%(default)s)"
    )
    parser.add_argument(
        "--det-conf", type=float, default=0.5, help="YOLO confidence threshold (%(default)s)"
    )
    parser.add_argument(
        "--det-iou", type=float, default=0.7, help="YOLO NMS IoU threshold (%(default)s)"
    )
    parser.add_argument(
        "--det-imgsz", type=int, default=640, help="YOLO inference size (%(default)s)"
    )
    parser.add_argument(
        "--det-max", type=int, default=100, help="most persons per frame (%(default)s)"
    )
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; items after the ``--cfg`` YAML files are config overrides."""
    args = split_config_arguments(build_parser().parse_args(argv))
    if args.every < 1 or args.top_k < 1:
        raise DemoError(f"--every and --top-k must be >= 1, got {args.every} and {args.top_k}.")
    return args


def resolve_device(name: str) -> torch.device:
    """``auto`` is the first CUDA device when there is one, else the CPU."""
    if name == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DemoError(f"--device {name}: no CUDA device is available; use --device cpu.")
    return device


def demo_config(args: argparse.Namespace) -> CfgNode:
    """The validated config with the checkpoint arguments applied (built on the CPU)."""
    if args.checkpoint:
        args.opts += ["TEST.CHECKPOINT_FILE_PATH", args.checkpoint]
    if args.checkpoint_type:
        args.opts += ["TEST.CHECKPOINT_TYPE", args.checkpoint_type]
    return config_from_arguments(args)


def load_action_model(cfg: CfgNode) -> torch.nn.Module:
    """Build the model and load its weights; warn loudly when they are random."""
    torch.manual_seed(cfg.RNG_SEED)
    model = build_model(cfg)
    report = load_cfg_checkpoint(cfg, model, split="test")
    if report is None:
        logger.warning(
            "NO CHECKPOINT: the action model has RANDOM weights and its actions are "
            "meaningless. Pass --checkpoint (or set TEST.CHECKPOINT_FILE_PATH)."
        )
        return model
    report.log()
    untrained = [
        k for k in report.missing + [s[0] for s in report.skipped] if k.startswith(HEAD_PREFIX)
    ]
    if untrained:
        logger.warning(
            "The checkpoint %s has no classifier for this model (%s): the action scores come "
            "from a RANDOM classifier. Use a checkpoint fine-tuned with MODEL.NUM_CLASSES %d.",
            report.path,
            ", ".join(untrained),
            cfg.MODEL.NUM_CLASSES,
        )
    return model


def build_detector(
    args: argparse.Namespace, *, width: int, height: int, device: torch.device
) -> PersonDetector:
    """Precomputed boxes (``--boxes``) or a YOLO detector."""
    if args.boxes is not None:
        boxes = read_boxes_csv(args.boxes, width=width, height=height)
        skipped = sorted(frame for frame in boxes if frame % args.every)
        if skipped:
            logger.warning(
                "%s: %d frame(s) with boxes are not keyframes (every %d-th frame) and are not "
                "scored: %s. Use --every 1 to score every frame.",
                args.boxes,
                len(skipped),
                args.every,
                ", ".join(map(str, skipped[:10])),
            )
        return BoxFileDetector(boxes)
    yolo_device = "cpu" if device.type == "cpu" else str(device.index or 0)
    return YoloPersonDetector(
        weights=args.detector,
        conf=args.det_conf,
        iou=args.det_iou,
        imgsz=args.det_imgsz,
        max_det=args.det_max,
        device=yolo_device,
    )


def run(args: argparse.Namespace) -> DemoResult:
    """Run the demo for parsed arguments."""
    cfg = demo_config(args)
    device = resolve_device(args.device)
    info = probe_video(args.input)
    output = args.output or args.input.with_name(f"{args.input.stem}_actions.mp4")
    csv_path = args.csv or output.with_suffix(".csv")
    if output.resolve() == args.input.resolve():
        raise DemoError(f"--output {output} is the input video; choose another file.")
    class_names = resolve_class_names(
        num_classes=cfg.MODEL.NUM_CLASSES,
        label_map=args.label_map or label_map_path(cfg),
        explicit=args.label_map is not None,
    )
    logger.info("Action names: %d classes from %s", len(class_names.ids), class_names.source)
    detector = build_detector(args, width=info.width, height=info.height, device=device)
    predictor = ActionPredictor.from_cfg(cfg, load_action_model(cfg), device=device)
    result = run_demo(
        input_path=args.input,
        output_path=output,
        csv_path=csv_path,
        predictor=predictor,
        detector=detector,
        class_names=class_names,
        every=args.every,
        top_k=args.top_k,
        threshold=args.threshold,
    )
    if isinstance(detector, BoxFileDetector):
        beyond = sorted(frame for frame in detector.boxes if frame >= result.num_frames)
        if beyond:
            logger.warning(
                "%s: %d frame(s) with boxes lie beyond the video's %d frames: %s.",
                args.boxes,
                len(beyond),
                result.num_frames,
                ", ".join(map(str, beyond[:10])),
            )
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; 0 on success, 2 on bad input or a missing extra (the reason is logged)."""
    setup_logging(None)
    try:
        run(parse_args(argv))
    except (DemoError, ConfigError, DataError, CheckpointError, ImportError) as error:
        logger.error("%s", error)
        return 2
    return 0
