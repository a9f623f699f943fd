"""Timing of the MicroG data loader: datasets per sampling pattern, loaders, interleaved passes.

A pattern is one paper config (``configs/MicroG``): its frames, stride and crop sizes. Crop
sizes are scaled by ``short side / 480`` for frames smaller than MicroG-4M's 480 lines, so the
geometry relative to the frame stays the paper's. Items are the train split's keyframes
(cycled to the requested count) under the train or the test transform.
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from torch.utils.data import DataLoader

from slowfast_microg.config import get_cfg
from slowfast_microg.config.loader import merge_all, merge_from_list
from slowfast_microg.datasets import build_dataset, collate_detection
from slowfast_microg.datasets.detection_transform import DetectionTransform

# The package functions the suite calls; ``loader_baseline.baseline_api`` gives an earlier
# commit's.
CURRENT_API = {
    "get_cfg": get_cfg,
    "merge_all": merge_all,
    "merge_from_list": merge_from_list,
    "build_dataset": build_dataset,
    "collate_detection": collate_detection,
    "DetectionTransform": DetectionTransform,
}

ROOT = Path(__file__).resolve().parent.parent
PATTERNS = {
    "8x8": "SLOWFAST_8x8.yaml",
    "16x4": "MVITv1_B_16x4.yaml",
    "13x6": "X3D_S_13x6.yaml",
    "16x5": "X3D_L_16x5.yaml",
}
LAYOUT_NAMES = {"frames": "jpeg", "videos": "mp4"}
PAPER_SHORT_SIDE = 480


def pattern_cfg(
    pattern: str,
    *,
    root: Path,
    layout: str,
    short_side: int,
    opts: Sequence[str] = (),
    api: dict = CURRENT_API,
):
    """The config of ``pattern`` reading ``root`` in ``layout``, crops scaled to the frames.

    Args:
        pattern: a key of ``PATTERNS``.
        root: dataset folder.
        layout: "frames" or "videos".
        short_side: short side of the clips' frames.
        opts: extra ``KEY VALUE`` overrides applied last.
        api: the package's functions (``CURRENT_API`` or a baseline's).
    """
    path = ROOT / "configs" / "MicroG" / PATTERNS[pattern]
    cfg = api["merge_all"](api["get_cfg"](), files=[path], opts=[])
    cfg.DATA.PATH_TO_DATA_DIR = str(root)
    cfg.MICROG.LAYOUT = layout
    scale = min(1.0, short_side / PAPER_SHORT_SIDE)
    if scale < 1.0:
        low, high = (max(8, round(s * scale)) for s in cfg.DATA.TRAIN_JITTER_SCALES)
        cfg.DATA.TRAIN_JITTER_SCALES = [low, high]
        cfg.DATA.TRAIN_CROP_SIZE = min(low, max(8, round(cfg.DATA.TRAIN_CROP_SIZE * scale)))
        cfg.DATA.TEST_CROP_SIZE = max(8, round(cfg.DATA.TEST_CROP_SIZE * scale))
    api["merge_from_list"](cfg, list(opts))
    return cfg


def pattern_settings(cfg) -> dict[str, Any]:
    """The data settings of a pattern's config, for the result JSON."""
    return {
        "num_frames": cfg.DATA.NUM_FRAMES,
        "sampling_rate": cfg.DATA.SAMPLING_RATE,
        "train_jitter_scales": list(cfg.DATA.TRAIN_JITTER_SCALES),
        "train_crop_size": cfg.DATA.TRAIN_CROP_SIZE,
        "test_crop_size": cfg.DATA.TEST_CROP_SIZE,
        "pathways": "slowfast" if cfg.MODEL.ARCH == "slowfast" else "single",
    }


def build_items(cfg, *, transform: str, api: dict = CURRENT_API):
    """The train split's keyframes under the ``transform`` ("train" or "test") pipeline."""
    dataset = api["build_dataset"]("microg", cfg, "train")
    if transform != "train":
        dataset.transform = api["DetectionTransform"].from_cfg(cfg, transform)
    return dataset


def make_loader(
    dataset,
    *,
    items: int,
    batch_size: int,
    workers: int,
    persistent: bool = True,
    prefetch_factor: int = 2,
    pin_memory: bool = False,
    collate: Callable[[list[dict]], dict] = collate_detection,
) -> DataLoader:
    """A loader visiting ``items`` indices (the dataset cycled), in order."""
    indices = [k % len(dataset) for k in range(items)]
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=indices,
        num_workers=workers,
        collate_fn=collate,
        persistent_workers=persistent and workers > 0,
        prefetch_factor=prefetch_factor if workers > 0 else None,
        pin_memory=pin_memory,
    )


def one_pass(loader: DataLoader) -> int:
    """Iterate the loader once; return the number of clips seen."""
    return sum(len(batch["clip_ids"]) for batch in loader)


def interleaved(
    passes: dict[str, Callable[[], Any]], *, repeats: int, warmup: int = 1
) -> dict[str, dict[str, Any]]:
    """Time several passes alternately (A, B, A, B, ...) so drift hits them alike.

    Returns:
        name -> per-repeat wall and CPU seconds of this process, and their medians.
    """
    for _ in range(warmup):
        for fn in passes.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in passes}
    cpu: dict[str, list[float]] = {name: [] for name in passes}
    for _ in range(repeats):
        for name, fn in passes.items():
            wall, proc = time.perf_counter(), time.process_time()
            fn()
            times[name].append(time.perf_counter() - wall)
            cpu[name].append(time.process_time() - proc)
    return {
        name: {
            "seconds": times[name],
            "median_s": statistics.median(times[name]),
            "main_process_cpu_median_s": statistics.median(cpu[name]),
        }
        for name in passes
    }


def rate(timing: dict[str, Any], *, items: int) -> dict[str, float]:
    """clips/s and ms/clip of a timed pass over ``items`` clips."""
    median = timing["median_s"]
    return {"clips_per_s": items / median, "ms_per_clip": 1000.0 * median / items}


def profile_items(dataset, *, items: int, top: int = 10) -> list[dict[str, Any]]:
    """cProfile ``items`` in-process loads; the ``top`` functions by own time, in ms per item."""
    dataset[0]
    profiler = cProfile.Profile()
    profiler.enable()
    for k in range(items):
        dataset[k % len(dataset)]
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (path, line, name), (_, calls, own, total, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{Path(path).name}:{line}({name})" if line else name
        rows.append(
            {
                "function": where,
                "own_ms_per_item": 1000.0 * own / items,
                "cumulative_ms_per_item": 1000.0 * total / items,
                "calls_per_item": calls / items,
            }
        )
    rows.sort(key=lambda row: -row["own_ms_per_item"])
    return rows[:top]
