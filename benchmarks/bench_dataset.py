"""Dataset speed: sample generation time and keyframe throughput of both frame layouts.

``python benchmarks/run.py dataset [--num-clips 48] [--height 120 --width 160] [--items 40]``
generates the synthetic sample into a temporary folder (timed), then loads train keyframes with
the SlowFast 8x8 settings (8 frames at stride 8, jitter [256, 320], crop 224 scaled down to
the frame size) from the JPEG and the mp4 layout, single-process and on one torch thread as in
a data-loader worker. Run it once at the sample's size and once at MicroG-4M's 854x480.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from typing import Any

import torch

from slowfast_microg.config import get_cfg
from slowfast_microg.datasets import build_dataset, generate_sample


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Suite options."""
    parser.add_argument("--num-clips", type=int, default=48, help="clips of the sample")
    parser.add_argument("--height", type=int, default=120)
    parser.add_argument("--width", type=int, default=160)
    parser.add_argument("--items", type=int, default=40, help="keyframes loaded per layout")
    parser.add_argument("--seed", type=int, default=0)


def _cfg(root: str, *, layout: str, short_side: int):
    cfg = get_cfg()
    cfg.DATA.PATH_TO_DATA_DIR = root
    cfg.MICROG.LAYOUT = layout
    cfg.DATA.NUM_FRAMES, cfg.DATA.SAMPLING_RATE, cfg.SLOWFAST.ALPHA = 8, 8, 4
    scale = min(1.0, short_side / 256)
    cfg.DATA.TRAIN_JITTER_SCALES = [int(256 * scale), int(320 * scale)]
    cfg.DATA.TRAIN_CROP_SIZE = int(224 * scale)
    return cfg


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Time generation and per-layout loading; return the figures."""
    torch.set_num_threads(1)
    figures: dict[str, Any] = {"frame_size": f"{args.width}x{args.height}"}
    with tempfile.TemporaryDirectory() as root:
        wall, cpu = time.perf_counter(), time.process_time()
        info = generate_sample(
            root, num_clips=args.num_clips, seed=args.seed, height=args.height, width=args.width
        )
        figures["generate_sample"] = {
            "clips": args.num_clips,
            "frames": args.num_clips * 90,
            "wall_s": time.perf_counter() - wall,
            "cpu_s": time.process_time() - cpu,
            "boxes": info.num_boxes,
        }
        for layout in ("frames", "videos"):
            cfg = _cfg(root, layout=layout, short_side=min(args.height, args.width))
            dataset = build_dataset("microg", cfg, "train")
            count = min(args.items, len(dataset))
            dataset[0]
            wall, cpu = time.perf_counter(), time.process_time()
            for index in range(count):
                dataset[index % len(dataset)]
            elapsed = time.perf_counter() - wall
            figures[layout] = {
                "items": count,
                "items_per_s": count / elapsed,
                "ms_per_item_wall": 1000 * elapsed / count,
                "ms_per_item_cpu": 1000 * (time.process_time() - cpu) / count,
                "crop": cfg.DATA.TRAIN_CROP_SIZE,
            }
    return figures
