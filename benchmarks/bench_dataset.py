"""Data-loading speed: clips/s of the MicroG loader per pattern, transform, layout and workers.

``python benchmarks/run.py dataset [--frame-size 854x480] [--encoding authors|intra|sample]
[--intra-crf 15] [--num-clips 12]
[--items 16] [--repeats 3] [--workers 0,1,2,N] [--patterns 8x8,16x4,13x6,16x5]
[--transforms train,test] [--layouts frames,videos] [--opts KEY VALUE ...]
[--sections rows,threads,options,collate,profile] [--baseline COMMIT [--baseline-opts ...]]
[--compare KEY VALUE ...]``

Generates synthetic clips (``loader_data``: MicroG-4M's 854x480, 90 frames at 30 fps, encoded
as the authors' clips were, JPEGs extracted from them; or the sample's own 160x120 files), then:

- ``rows``: for each sampling pattern (the paper configs' frames, stride and crops), transform
  (train: jitter + crop + flip; test: short side, whole frame) and number of DataLoader workers
  (0 = in the main process), loads the same items from the JPEG and the mp4 layout, alternating
  passes, and reports the medians over ``--repeats`` passes: clips/s, ms/clip and the ratio
  mp4 / JPEG of clips/s;
- ``baseline`` (with ``--baseline COMMIT``): that commit's loader against the current one;
- ``compare`` (with ``--compare KEY VALUE ...``): the current loader with those overrides
  against without (e.g. ``DATA_LOADER.RESIZE_IN_DECODER False``);
- ``threads``: threaded mp4 decoding against one thread;
- ``options``: persistent workers, prefetch depth, pinned memory (CUDA only);
- ``collate``: ``collate_detection`` with few and many boxes per item;
- ``profile``: cProfile's top costs per item.

Paired sections run in the main process, alternating passes. Every process uses one torch
thread, as loader workers do.
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
from loader_baseline import baseline_api, import_baseline
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
    rate,
)
from loader_sections import baseline_rows, compare_rows, profiles, thread_rows
from loader_variants import collate_figures, loader_options_figures

import slowfast_microg
from slowfast_microg.datasets import collate_detection

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("rows", "threads", "options", "collate", "profile")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Suite options."""
    parser.add_argument("--frame-size", default="854x480", help="WxH of the generated clips")
    parser.add_argument("--encoding", choices=ENCODINGS, default="authors")
    parser.add_argument("--intra-crf", type=int, help="reencode CRF for --encoding intra")
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
    parser.add_argument("--sections", default=",".join(SECTIONS), help="what to measure")
    parser.add_argument("--baseline", default="", help="commit whose loader to compare with")
    parser.add_argument("--baseline-opts", nargs="*", default=[], help="baseline's overrides")
    parser.add_argument("--compare", nargs="*", default=[], help="overrides timed against none")


def _code_version() -> dict[str, Any]:
    """Commit of the measured code and whether the data-loading files differ from it."""

    def git(*command: str) -> str:
        result = subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    paths = ["slowfast_microg/datasets", "slowfast_microg/config", "benchmarks"]
    changed = git("status", "--porcelain", "--untracked-files=no", "--", *paths)
    package = Path(slowfast_microg.__file__).resolve().parent
    return {
        "commit": git("rev-parse", "--short", "HEAD") or "unknown",
        "changed_files": changed.splitlines(),
        "package": (
            str(package.relative_to(ROOT))
            if package.is_relative_to(ROOT)
            else "installed outside this checkout"
        ),
    }


def _workers(text: str) -> list[int]:
    counts = {(os.cpu_count() or 1) if part == "N" else int(part) for part in text.split(",")}
    return sorted(counts)


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
                loaders.clear()  # persistent workers stop with their loader
                gc.collect()
    return rows, ratios, settings


def _sections(args, root: Path, short: int, figures: dict[str, Any]) -> None:
    sections = set(args.sections.split(","))
    if "rows" in sections:
        rows, ratios, patterns = _main_rows(args, root, short)
        figures.update(rows=rows, mp4_over_jpeg=ratios, patterns=patterns)
    if args.baseline:
        with tempfile.TemporaryDirectory() as folder:
            api = baseline_api(import_baseline(args.baseline, Path(folder)))
            figures["baseline"] = {
                "commit": args.baseline,
                "overrides": args.baseline_opts,
                "rows": baseline_rows(args, root, short, api=api, opts=args.baseline_opts),
            }
    if args.compare:
        figures["compare"] = {"overrides": args.compare, "rows": compare_rows(args, root, short)}
    if "threads" in sections and "videos" in args.layouts.split(","):
        figures["threaded_decode"] = thread_rows(args, root, short)
    if "options" in sections:
        cfg = pattern_cfg("8x8", root=root, layout="frames", short_side=short, opts=args.opts)
        figures["loader_options"] = loader_options_figures(
            build_items(cfg, transform="train"),
            items=args.items,
            batch_size=args.batch_size,
            workers=max(_workers(args.workers)),
            repeats=args.repeats,
        )
    if "collate" in sections:
        figures["collate"] = collate_figures(collate_detection, repeats=args.repeats)
    if "profile" in sections:
        figures["profile_top_costs"] = profiles(args, root, short)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate the clips, time the chosen sections; return the figures."""
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
            intra_crf=args.intra_crf,
        )
        start = time.perf_counter()
        _sections(args, root, short, figures)
        figures["measure_seconds"] = time.perf_counter() - start
    return figures
