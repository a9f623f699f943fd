"""Command lines: ``tools/make_model_zoo.py`` and ``tools/make_cross_domain_table.py``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from slowfast_microg.zoo.catalog import ZooEntry, build_entries, read_paper_results
from slowfast_microg.zoo.complexity import (
    Complexity,
    ComplexityCache,
    complexity_key,
    measure,
)
from slowfast_microg.zoo.cross_domain import FORMATS, format_cross_domain_table
from slowfast_microg.zoo.render import read_results, render_model_zoo

logger = logging.getLogger(__name__)


def zoo_parser(repo_root: Path) -> argparse.ArgumentParser:
    """Arguments of make_model_zoo.py; paths default to ``repo_root``'s files."""
    parser = argparse.ArgumentParser(
        prog="make_model_zoo.py",
        description="Generate MODEL_ZOO.md from the configs, the paper's results and the "
        "cached parameter/FLOP counts.",
    )
    parser.add_argument("--configs", type=Path, default=repo_root / "configs")
    parser.add_argument(
        "--paper", type=Path, default=repo_root / "docs" / "model_zoo" / "paper_results.yaml"
    )
    parser.add_argument(
        "--cache", type=Path, default=repo_root / "docs" / "model_zoo" / "complexity.json"
    )
    parser.add_argument("--out", type=Path, default=repo_root / "MODEL_ZOO.md")
    parser.add_argument(
        "--recompute",
        action="store_true",
        help="count parameters and FLOPs of every model again (minutes on a CPU) and rewrite "
        "the cache",
    )
    parser.add_argument(
        "--compute-missing", action="store_true", help="count only models absent from the cache"
    )
    parser.add_argument(
        "--results",
        type=Path,
        help="add an 'Ours' column from run folders RESULTS/<config path without .yaml>",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if --out is out of date"
    )
    return parser


def _figures(
    entries: list[ZooEntry], cache: ComplexityCache, *, recompute: bool, missing: bool
) -> tuple[dict[str, Complexity], set[str], list[str]]:
    """(config -> figures, cache keys in use, configs without figures)."""
    figures, keys, stale = {}, set(), []
    for entry in entries:
        key = complexity_key(entry.cfg)
        keys.add(key)
        cached = None if recompute else cache.get(key)
        if cached is None and (recompute or missing):
            print(f"counting {entry.config} ...", file=sys.stderr)
            cached = measure(entry.cfg)
            cache.put(key, cached, config=entry.config)
        if cached is None:
            stale.append(entry.config)
            continue
        figures[entry.config] = cached
    return figures, keys, stale


def make_model_zoo(argv: Sequence[str] | None = None, *, repo_root: Path) -> int:
    """Entry point of make_model_zoo.py; returns the exit status."""
    args = zoo_parser(repo_root).parse_args(argv)
    try:
        entries = build_entries(args.configs, read_paper_results(args.paper))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    cache = ComplexityCache(args.cache)
    figures, keys, stale = _figures(
        entries, cache, recompute=args.recompute, missing=args.compute_missing
    )
    if stale:
        print(
            f"error: no cached parameter/FLOP counts in {args.cache} for the model of "
            f"{', '.join(stale)} (its definition changed or it is new); run with "
            "--compute-missing (or --recompute).",
            file=sys.stderr,
        )
        return 1
    if args.recompute or args.compute_missing:
        cache.prune(keys)
        cache.save()
    runs = read_results(args.results, entries) if args.results else None
    text = render_model_zoo(entries, figures, runs)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
        if current != text:
            print(f"{args.out} is out of date: run tools/make_model_zoo.py", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(entries)} configs)")
    return 0


def cross_domain_table(argv: Sequence[str] | None = None) -> int:
    """Entry point of make_cross_domain_table.py; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="make_cross_domain_table.py",
        description="Paper v2 Table 3 (AVA models zero-shot on JHMDB-21 and MicroG-4M) from "
        "run folders.",
    )
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (OUTPUT_DIR of tests)")
    parser.add_argument("--format", choices=FORMATS, default="md")
    parser.add_argument("--out", type=Path, help="write here instead of printing")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.runs if not path.is_dir()]
    if missing:
        print(f"error: not a folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    text = format_cross_domain_table(args.runs, fmt=args.format)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0
