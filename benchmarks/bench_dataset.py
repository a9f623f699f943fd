"""Data-loading speed: clips/s of the MicroG loader per pattern, transform, layout and workers.

``python benchmarks/run.py dataset [--frame-size 854x480] [--encoding authors] [--num-clips 12]
[--items 16] [--repeats 3] [--workers 0,1,2,N] [--patterns 8x8,16x4,13x6,16x5]
[--transforms train,test] [--layouts frames,videos] [--opts KEY VALUE ...]
[--compare KEY VALUE ...] [--no-variants]``

Generates synthetic clips (``loader_data``: MicroG-4M's 854x480, 90 frames at 30 fps, encoded
as the authors' clips were, JPEGs extracted from them; or the sample's own 160x120 files), then
for each sampling pattern (the paper configs' frames, stride and crops), transform (train:
jitter + crop + flip; test: short side, whole frame), and number of DataLoader workers
(0 = in the main process), loads the same items from the JPEG and the mp4 layout alternately
and reports the medians over ``--repeats`` passes: clips/s, ms/clip and the ratio mp4 / JPEG.

Also, unless ``--no-variants``: ``--compare`` (the rows again with those overrides, in-process,
alternating with the defaults: the before/after of an option), threaded mp4 decoding on and off,
persistent workers and prefetch depth, the collate function, and a cProfile of the top costs
per item. Everything runs with one torch thread per process, as in loader workers.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from loader_data import ENCODINGS, prepare_clips
from loader_measure import (
    LAYOUT_NAMES,
    PATTERNS,
    build_items,
    interleaved,
    make_loader,
    one_pass,
    pattern_cfg,
    pattern_settings,
    profile_items,
    rate,
)
from loader_variants import collate_figures, loader_options_figures

import slowfast_microg
from slowfast_microg.datasets import collate_detection

ROOT = Path(__file__).resolve().parent.parent


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Suite options."""
    parser.add_argument("--frame-size", default="854x480", help="WxH of the generated clips")
    parser.add_argument("--encoding", choices=ENCODINGS, default="authors")
    parser.add_argument("--num-clips", type=int, default=12, help="clips generated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--items", type=int, default=16, help="clips per timed pass")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes (median)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--workers", default="0,1,2,N", help="worker counts; N = cpu count")
    parser.add_argument("--patterns", default=",".join(PATTERNS))
    parser.add_argument("--transforms", default="train,test")
    parser.add_argument("--layouts", default="frames,videos")
    parser.add_argument("--opts", nargs="*", default=[], help="config overrides of every row")
    parser.add_argument("--compare", nargs="*", default=[], help="overrides timed against rows")
    parser.add_argument("--no-variants", action="store_true", help="main rows only")


def _code_version() -> dict[str, Any]:
    """Commit of the measured code and whether the data-loading files differ from it."""

    def git(*command: str) -> str:
        result = subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    paths = ["slowfast_microg/datasets", "slowfast_microg/config", "benchmarks"]
    changed = git("status", "--porcelain", "--untracked-files=no", "--", *paths)
    return {
        "commit": git("rev-parse", "--short", "HEAD") or "unknown",
        "changed_files": changed.splitlines(),
        "package": str(Path(slowfast_microg.__file__).parent),
    }


def _workers(text: str) -> list[int]:
    counts = {(os.cpu_count() or 1) if part == "N" else int(part) for part in text.split(",")}
    return sorted(counts)


def _close(*loaders) -> None:
    for loader in loaders:
        del loader
    gc.collect()


def _main_rows(args, root: Path, short: int) -> tuple[list[dict], list[dict], dict]:
    rows, ratios, settings = [], [], {}
    layouts = args.layouts.split(",")
    for pattern in args.patterns.split(","):
        cfgs = {
            layout: pattern_cfg(pattern, root=root, layout=layout, short_side=short, opts=args.opts)
            for layout in layouts
        }
        settings[pattern] = pattern_settings(next(iter(cfgs.values())))
        for transform in args.transforms.split(","):
            datasets = {
                layout: build_items(cfg, transform=transform) for layout, cfg in cfgs.items()
            }
            for workers in _workers(args.workers):
                loaders = {
                    layout: make_loader(
                        dataset,
                        items=args.items,
                        batch_size=args.batch_size,
                        workers=workers,
                        prefetch_factor=cfgs[layout].DATA_LOADER.PREFETCH_FACTOR,
                    )
                    for layout, dataset in datasets.items()
                }
                timing = interleaved(
                    {
                        layout: (lambda lo=loader: one_pass(lo))
                        for layout, loader in loaders.items()
                    },
                    repeats=args.repeats,
                )
                for layout in layouts:
                    rows.append(
                        {
                            "pattern": pattern,
                            "transform": transform,
                            "layout": LAYOUT_NAMES[layout],
                            "workers": workers,
                            "items": args.items,
                            **rate(timing[layout], items=args.items),
                            **timing[layout],
                        }
                    )
                if set(layouts) == {"frames", "videos"}:
                    ratios.append(
                        {
                            "pattern": pattern,
                            "transform": transform,
                            "workers": workers,
                            "mp4_over_jpeg": timing["frames"]["median_s"]
                            / timing["videos"]["median_s"],
                        }
                    )
                _close(*loaders.values())
    return rows, ratios, settings


def _compare_rows(args, root: Path, short: int) -> list[dict]:
    """Each pattern/transform/layout in-process with the defaults and with ``--compare``."""
    out = []
    for pattern in args.patterns.split(","):
        for layout in args.layouts.split(","):
            for transform in args.transforms.split(","):
                passes, built = {}, {}
                for name, opts in (("default", args.opts), ("compare", args.opts + args.compare)):
                    cfg = pattern_cfg(
                        pattern, root=root, layout=layout, short_side=short, opts=opts
                    )
                    dataset = build_items(cfg, transform=transform)
                    built[name] = make_loader(
                        dataset, items=args.items, batch_size=args.batch_size, workers=0
                    )
                    passes[name] = lambda lo=built[name]: one_pass(lo)
                timing = interleaved(passes, repeats=args.repeats)
                out.append(
                    {
                        "pattern": pattern,
                        "layout": LAYOUT_NAMES[layout],
                        "transform": transform,
                        "default_ms_per_clip": rate(timing["default"], items=args.items)[
                            "ms_per_clip"
                        ],
                        "compare_ms_per_clip": rate(timing["compare"], items=args.items)[
                            "ms_per_clip"
                        ],
                        "speedup_default_over_compare": timing["compare"]["median_s"]
                        / timing["default"]["median_s"],
                    }
                )
    return out


def _thread_rows(args, root: Path, short: int) -> list[dict]:
    """mp4 decoding with FFmpeg threads against one thread, in-process, train transform."""
    out = []
    for pattern in args.patterns.split(","):
        passes, loaders = {}, {}
        for name, value in (("single", "False"), ("threads", "True")):
            opts = [*args.opts, "DATA_LOADER.ENABLE_MULTI_THREAD_DECODE", value]
            cfg = pattern_cfg(pattern, root=root, layout="videos", short_side=short, opts=opts)
            loaders[name] = make_loader(
                build_items(cfg, transform="train"),
                items=args.items,
                batch_size=args.batch_size,
                workers=0,
            )
            passes[name] = lambda lo=loaders[name]: one_pass(lo)
        timing = interleaved(passes, repeats=args.repeats)
        out.append(
            {
                "pattern": pattern,
                "single_thread_ms_per_clip": rate(timing["single"], items=args.items)[
                    "ms_per_clip"
                ],
                "threaded_ms_per_clip": rate(timing["threads"], items=args.items)["ms_per_clip"],
                "threaded_speedup": timing["single"]["median_s"] / timing["threads"]["median_s"],
            }
        )
    return out


def _profiles(args, root: Path, short: int) -> dict[str, list[dict]]:
    out = {}
    for pattern, transform in (("8x8", "train"), ("16x5", "test")):
        for layout in args.layouts.split(","):
            cfg = pattern_cfg(pattern, root=root, layout=layout, short_side=short, opts=args.opts)
            dataset = build_items(cfg, transform=transform)
            key = f"{pattern}_{transform}_{LAYOUT_NAMES[layout]}"
            out[key] = profile_items(dataset, items=args.items)
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate the clips, time every row and variant; return the figures."""
    torch.set_num_threads(1)
    width, height = (int(v) for v in args.frame_size.lower().split("x"))
    short = min(width, height)
    figures: dict[str, Any] = {"code": _code_version(), "settings": vars(args).copy()}
    figures["settings"]["workers_resolved"] = _workers(args.workers)
    figures["settings"]["torch_threads"] = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        figures["clips"] = prepare_clips(
            root,
            height=height,
            width=width,
            num_clips=args.num_clips,
            seed=args.seed,
            encoding=args.encoding,
        )
        start = time.perf_counter()
        rows, ratios, patterns = _main_rows(args, root, short)
        figures.update(rows=rows, mp4_over_jpeg=ratios, patterns=patterns)
        if not args.no_variants:
            if args.compare:
                figures["compare"] = {
                    "overrides": args.compare,
                    "rows": _compare_rows(args, root, short),
                }
            if "videos" in args.layouts.split(","):
                figures["threaded_decode"] = _thread_rows(args, root, short)
            cfg = pattern_cfg("8x8", root=root, layout="frames", short_side=short, opts=args.opts)
            figures["loader_options"] = loader_options_figures(
                build_items(cfg, transform="train"),
                items=args.items,
                batch_size=args.batch_size,
                workers=max(_workers(args.workers)),
                repeats=args.repeats,
            )
            figures["collate"] = collate_figures(collate_detection, repeats=args.repeats)
            figures["profile_top_costs"] = _profiles(args, root, short)
        figures["measure_seconds"] = time.perf_counter() - start
    return figures
