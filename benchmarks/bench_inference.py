"""Benchmark: test-time inference over the sample's test split, per keyframe against batched.

``python benchmarks/run.py inference [--config sample/SLOWFAST_8x8.yaml] [--crop 256]
[--batch-sizes 1,8] [--repeats 3] [--threads N]``

The test split's items are decoded once and kept in memory, so the figures measure what the
engine's ``predict_split`` does per keyframe (collate, forward, score gathering), not JPEG
decoding (timed once and reported separately). For each ``TEST.BATCH_SIZE`` and with
``TEST.FLIP_ENSEMBLE`` off and on it reports keyframes/s (median of the repeats) and checks
that every setting gives the scores of the per-keyframe pass with the same flip setting
(eval-mode BatchNorm makes the scores independent of the batch). The ratios: batched over
per-keyframe, and the flip ensemble's cost relative to its own single view.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np
import torch
from common import time_repeats
from model_inputs import ROOT, code_version, load_row
from torch.utils.data import Dataset

from slowfast_microg.datasets.registry import build_dataset
from slowfast_microg.engine.data import build_split_loader, ensure_sample_data
from slowfast_microg.engine.predict import SplitPredictions, predict_split
from slowfast_microg.models import build_model


class CachedSplit(Dataset):
    """A dataset split decoded once: items served from memory, attributes from the original."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.items = [dataset[i] for i in range(len(dataset))]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return self.items[index]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["dataset"], name)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Suite options."""
    parser.add_argument("--config", default="sample/SLOWFAST_8x8.yaml")
    parser.add_argument("--crop", type=int, default=256, help="DATA.TEST_CROP_SIZE (paper: 256)")
    parser.add_argument("--batch-sizes", default="1,8")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None)


def _predict(cfg, model, split: CachedSplit, *, batch: int, flip: bool) -> SplitPredictions:
    cfg.defrost()
    cfg.TEST.BATCH_SIZE = batch
    cfg.freeze()
    loader = build_split_loader(cfg, "test", rank=0, world_size=1, dataset=split)
    return predict_split(
        model=model,
        split_loader=loader,
        device=torch.device("cpu"),
        num_model_classes=cfg.MODEL.NUM_CLASSES,
        autocast_dtype=None,
        show_progress=False,
        desc="test",
        flip_ensemble=flip,
        boxes_aligned=bool(cfg.DETECTION.ALIGNED),
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the suite; returns the figures written to the result JSON."""
    code = code_version()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_row(args.config)
    cfg.defrost()
    cfg.DATA.PATH_TO_DATA_DIR = str(ROOT / cfg.DATA.PATH_TO_DATA_DIR)
    cfg.DATA.TEST_CROP_SIZE = args.crop
    cfg.DATA_LOADER.NUM_WORKERS = 0
    cfg.freeze()
    ensure_sample_data(cfg)
    start = time.perf_counter()
    split = CachedSplit(build_dataset(cfg.TEST.DATASET, cfg, "test"))
    decode_s = time.perf_counter() - start
    keyframes = len(split)
    boxes = sum(len(item["boxes"]) for item in split.items)
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    reference = {
        flip: _predict(cfg, model, split, batch=1, flip=flip).scores for flip in (False, True)
    }
    settings: dict[str, Any] = {}
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        for flip in (False, True):
            name = f"batch{batch}" + ("_flip" if flip else "")
            print(f"[inference] {name}", file=sys.stderr, flush=True)
            scores: list[np.ndarray] = []

            def step(batch=batch, flip=flip, scores=scores) -> None:
                scores.append(_predict(cfg, model, split, batch=batch, flip=flip).scores)

            timing = time_repeats(step, repeats=args.repeats, warmup=args.warmup)
            settings[name] = {
                "test_batch_size": batch,
                "flip_ensemble": flip,
                "forwards": -(-keyframes // batch),
                "timing": timing,
                "keyframes_per_s": keyframes / timing["median_s"],
                "max_abs_score_difference_vs_batch1": float(
                    np.abs(scores[-1] - reference[flip]).max()
                ),
            }
    return {
        "settings": {
            "code": code,
            "config": args.config,
            "test_crop": args.crop,
            "device": "cpu",
            "gpu": "not run: no GPU" if not torch.cuda.is_available() else "not run: CPU suite",
            "keyframes": keyframes,
            "boxes": boxes,
            "repeats": args.repeats,
            "threads": torch.get_num_threads(),
            "measures": "engine.predict_split over the decoded test split held in memory",
        },
        "decode_once_s": decode_s,
        "runs": settings,
        "ratios": _ratios(settings),
    }


def _ratios(settings: dict[str, dict]) -> dict[str, float]:
    """Batched over per-keyframe keyframes/s (same flip setting), and flip cost per batch."""
    ratios: dict[str, float] = {}
    base = {flip: settings.get("batch1" + flip) for flip in ("", "_flip")}
    for name, entry in settings.items():
        flip = "_flip" if entry["flip_ensemble"] else ""
        if base[flip] is not None and name != "batch1" + flip:
            ratios[f"{name}_over_batch1{flip}"] = (
                entry["keyframes_per_s"] / base[flip]["keyframes_per_s"]
            )
        if flip and name[: -len(flip)] in settings:
            single = settings[name[: -len(flip)]]
            ratios[f"{name}_time_over_single_view"] = (
                single["keyframes_per_s"] / entry["keyframes_per_s"]
            )
    return ratios
