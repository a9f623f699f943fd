"""Sections of the dataset suite besides the main rows: paired comparisons in one process.

Each pairs two loaders over the same items, in the main process (0 workers, the per-clip CPU
cost), alternating their passes:

- ``baseline``: an earlier commit's loader (``loader_baseline``) against the current one;
- ``compare``: the current loader with and without some config overrides;
- ``threads``: mp4 decoding with FFmpeg threads against one thread;
- ``profile``: cProfile's top costs per item (no pairing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from loader_measure import (
    CURRENT_API,
    LAYOUT_NAMES,
    build_items,
    interleaved,
    make_loader,
    one_pass,
    pattern_cfg,
    profile_items,
    rate,
)


def _paired(
    makers: dict[str, Callable[[], Any]], *, items: int, batch_size: int, repeats: int
) -> dict[str, dict[str, Any]]:
    """Time two in-process loaders (name -> (dataset, collate) maker) alternately."""
    passes = {}
    for name, make in makers.items():
        dataset, collate = make()
        loader = make_loader(
            dataset, items=items, batch_size=batch_size, workers=0, collate=collate
        )
        passes[name] = lambda lo=loader: one_pass(lo)
    return interleaved(passes, repeats=repeats)


def _grid(args) -> list[tuple[str, str, str]]:
    return [
        (pattern, layout, transform)
        for pattern in args.patterns.split(",")
        for layout in args.layouts.split(",")
        for transform in args.transforms.split(",")
    ]


def _maker(args, root: Path, short: int, key, *, opts: Sequence[str], api: dict = CURRENT_API):
    pattern, layout, transform = key

    def make():
        cfg = pattern_cfg(pattern, root=root, layout=layout, short_side=short, opts=opts, api=api)
        return build_items(cfg, transform=transform, api=api), api["collate_detection"]

    return make


def _row(key, timing, *, first: str, second: str, items: int) -> dict[str, Any]:
    pattern, layout, transform = key
    return {
        "pattern": pattern,
        "layout": LAYOUT_NAMES[layout],
        "transform": transform,
        f"{first}_ms_per_clip": rate(timing[first], items=items)["ms_per_clip"],
        f"{second}_ms_per_clip": rate(timing[second], items=items)["ms_per_clip"],
        f"speedup_{second}_over_{first}": timing[first]["median_s"] / timing[second]["median_s"],
    }


def baseline_rows(args, root: Path, short: int, *, api: dict, opts: Sequence[str]):
    """Per pattern, layout and transform: the baseline's ms/clip, ours, and the speed-up.

    Args:
        api: the baseline package's functions.
        opts: overrides for the baseline's config (its own keys only).
    """
    rows = []
    for key in _grid(args):
        makers = {
            "baseline": _maker(args, root, short, key, opts=opts, api=api),
            "current": _maker(args, root, short, key, opts=args.opts),
        }
        timing = _paired(makers, items=args.items, batch_size=args.batch_size, repeats=args.repeats)
        rows.append(_row(key, timing, first="baseline", second="current", items=args.items))
    return rows


def compare_rows(args, root: Path, short: int) -> list[dict[str, Any]]:
    """Per pattern, layout and transform: with ``--compare`` overrides against without."""
    rows = []
    for key in _grid(args):
        makers = {
            "default": _maker(args, root, short, key, opts=args.opts),
            "compare": _maker(args, root, short, key, opts=[*args.opts, *args.compare]),
        }
        timing = _paired(makers, items=args.items, batch_size=args.batch_size, repeats=args.repeats)
        rows.append(_row(key, timing, first="default", second="compare", items=args.items))
    return rows


def thread_rows(args, root: Path, short: int) -> list[dict[str, Any]]:
    """Per pattern (mp4, train transform): FFmpeg's threaded decoding against one thread."""
    rows = []
    for pattern in args.patterns.split(","):
        key = (pattern, "videos", "train")
        flag = "DATA_LOADER.ENABLE_MULTI_THREAD_DECODE"
        makers = {
            "single": _maker(args, root, short, key, opts=[*args.opts, flag, "False"]),
            "threaded": _maker(args, root, short, key, opts=[*args.opts, flag, "True"]),
        }
        timing = _paired(makers, items=args.items, batch_size=args.batch_size, repeats=args.repeats)
        rows.append(_row(key, timing, first="single", second="threaded", items=args.items))
    return rows


def profiles(args, root: Path, short: int) -> dict[str, list[dict[str, Any]]]:
    """cProfile top costs per item of 8x8 train and 16x5 test, each layout."""
    out = {}
    for pattern, transform in (("8x8", "train"), ("16x5", "test")):
        for layout in args.layouts.split(","):
            cfg = pattern_cfg(pattern, root=root, layout=layout, short_side=short, opts=args.opts)
            dataset = build_items(cfg, transform=transform)
            out[f"{pattern}_{transform}_{LAYOUT_NAMES[layout]}"] = profile_items(
                dataset, items=args.items
            )
    return out
