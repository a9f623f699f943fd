"""Command line: Tables 1 and 2 (and Figures 7/8) from run folders (``make_tables.py``)."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path

from slowfast_microg.evaluation.csv_io import read_ap_per_class_csv
from slowfast_microg.evaluation.errors import EvaluationInputError
from slowfast_microg.evaluation.run_folder import MICROG_TEST_SET, RunSummary, read_run_folder
from slowfast_microg.evaluation.tables import FORMATS, VARIANTS, format_tables

logger = logging.getLogger(__name__)

RUN_LOGS = ("json_stats.log", "stdout.log")


def build_parser() -> argparse.ArgumentParser:
    """The ``make_tables`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="make_tables.py",
        description="Table 1 (fine-tuned: val + test) and Table 2 (zero-shot) rows from run "
        "folders: this project's OUTPUT_DIRs or PySlowFast-style folders with json_stats.log "
        "and stdout.log. Rows keep the order of the folders given.",
    )
    parser.add_argument(
        "runs",
        nargs="+",
        type=Path,
        metavar="RUN_DIR",
        help="run folders; a folder that only holds run folders stands for all of them",
    )
    parser.add_argument("--format", choices=FORMATS, default="md", help="output format")
    parser.add_argument("--out", type=Path, help="write the tables here instead of stdout")
    parser.add_argument(
        "--variant", choices=VARIANTS, default="paper", help="F1/recall/AUROC variant"
    )
    parser.add_argument("--table", choices=("1", "2", "all"), default="all", help="which tables")
    parser.add_argument(
        "--zero-shot",
        type=Path,
        action="append",
        default=[],
        metavar="RUN_DIR",
        help="treat this run folder as zero-shot (Table 2); may repeat. "
        "Default: 80-class AVA models are zero-shot",
    )
    parser.add_argument(
        "--plots",
        action="store_true",
        help="also draw per-class test AP bars of the Table 1 runs (Figure 7) and of the "
        "Table 2 runs (Figure 8) from their ap_per_class_test.csv",
    )
    parser.add_argument(
        "--plots-dir", type=Path, help="folder for the figures (default: the folder of --out, or .)"
    )
    return parser


def _has_logs(folder: Path) -> bool:
    return any((folder / name).is_file() for name in RUN_LOGS)


def expand_run_dirs(paths: list[Path]) -> list[Path]:
    """Replace a folder of run folders (e.g. the authors' ``test_on_ava_model``) by its runs.

    A folder without ``json_stats.log`` or ``stdout.log`` whose sub-folders have them stands for
    those sub-folders, in name order; every other path is kept as given (a missing or log-less
    folder then fails in ``read_run_folder`` with its own message).
    """
    expanded = []
    for path in paths:
        children = []
        if path.is_dir() and not _has_logs(path):
            children = sorted(c for c in path.iterdir() if c.is_dir() and _has_logs(c))
        if children:
            names = ", ".join(c.name for c in children)
            print(f"note: {path}: holds run folders; reading {names}", file=sys.stderr)
        expanded += children or [path]
    return expanded


def _run_label(run: RunSummary) -> str:
    return " ".join(part for part in (run.arch, run.tc, run.backbone) if part) or run.path.name


def draw_figures(runs: list[RunSummary], out_dir: Path) -> list[Path]:
    """Per-class AP bar charts: fine-tuned runs and zero-shot runs, one figure each."""
    from slowfast_microg.evaluation.plots import plot_ap_per_class

    written = []
    groups = (
        ("per_class_ap_finetuned", "Per-class AP, fine-tuned on MicroG-4M (test)", False),
        ("per_class_ap_zero_shot", "Per-class AP, fine-tuned on AVA, zero-shot (test)", True),
    )
    for stem, title, zero_shot in groups:
        ap_by_run: dict[str, dict[int, float]] = {}
        names: dict[int, str] = {}
        for run in runs:
            if run.zero_shot != zero_shot or run.ap_per_class_csv is None:
                continue
            table = read_ap_per_class_csv(run.ap_per_class_csv)
            ap_by_run[_run_label(run)] = {c: ap for c, (ap, _) in table.items()}
            for class_id, (_, name) in table.items():
                names.setdefault(class_id, name)
        if any(math.isfinite(v) for ap in ap_by_run.values() for v in ap.values()):
            written += plot_ap_per_class(
                ap_by_run, dict(sorted(names.items())), out_dir / stem, title=title
            )
    return written


def main(argv: list[str] | None = None) -> int:
    """Print or write the tables; return 0 on success, 2 on bad input."""
    args = build_parser().parse_args(argv)
    paths = expand_run_dirs(list(args.runs))
    zero_shot_paths = expand_run_dirs(args.zero_shot)
    listed = {path.resolve() for path in paths}
    paths += [path for path in zero_shot_paths if path.resolve() not in listed]
    forced = {path.resolve() for path in zero_shot_paths}
    try:
        runs = [
            read_run_folder(path, zero_shot=True if path.resolve() in forced else None)
            for path in paths
        ]
    except EvaluationInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for run in runs:
        for note in run.notes:
            print(f"note: {run.path}: {note}", file=sys.stderr)
    other_sets = [run for run in runs if run.test_set not in (None, MICROG_TEST_SET)]
    for run in other_sets:
        print(
            f"note: {run.path}: tested on {run.test_set}, not MicroG-4M; left out of Tables 1 "
            "and 2 (tools/make_cross_domain_table.py builds the cross-domain table)",
            file=sys.stderr,
        )
    runs = [run for run in runs if run.test_set in (None, MICROG_TEST_SET)]
    text = format_tables(runs, fmt=args.format, variant=args.variant, which=args.table)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    if args.plots:
        plots_dir = args.plots_dir or (args.out.parent if args.out is not None else Path("."))
        try:
            written = draw_figures(runs, plots_dir)
        except EvaluationInputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for path in written:
            print(f"wrote {path}", file=sys.stderr)
        if not written:
            print("note: no run folder has a per-class AP CSV; no figure drawn", file=sys.stderr)
    return 0
