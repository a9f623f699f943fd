"""The cross-domain table (paper v2 Table 3): AVA models tested zero-shot on several datasets.

Rows come from run folders (``read_run_folder``); the test set of a run is its config's
``TEST.DATASET`` (``jhmdb`` -> "JHMDB-21 split N", ``microg``/``ava`` -> "MicroG-4M").
Metrics are test mAP and AUROC in %, rounded half up as in Tables 1 and 2.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Sequence
from pathlib import Path

import yaml

from slowfast_microg.evaluation.run_folder import RunSummary, read_run_folder
from slowfast_microg.evaluation.tables import percent

logger = logging.getLogger(__name__)

TITLE = "Table 3: cross-domain transfer under matched AVA fine-tuning (zero-shot evaluation)."
HEADER = ["Model", "TC", "Backbone", "Test Set", "mAP (%)", "AUROC (%)"]
FORMATS = ("md", "csv")
MISSING = "–"


def test_set_name(run_folder: str | Path) -> str | None:
    """The dataset a run was tested on, from its ``config.yaml`` (None if unknown)."""
    path = Path(run_folder) / "config.yaml"
    if not path.is_file():
        return None
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    dataset = str((config.get("TEST") or {}).get("DATASET", "")).lower()
    if dataset == "jhmdb":
        split = (config.get("JHMDB") or {}).get("SPLIT", 1)
        return f"JHMDB-21 split {split}"
    if dataset in ("microg", "ava"):
        return "MicroG-4M"
    return dataset or None


def cross_domain_rows(runs: Sequence[tuple[RunSummary, str | None]]) -> list[list[str]]:
    """Table rows from (run summary, test set name) pairs, in the given order."""
    rows = []
    for run, test_set in runs:
        test = run.test or {}
        rows.append(
            [
                run.arch or MISSING,
                run.tc or MISSING,
                run.backbone or MISSING,
                test_set or MISSING,
                percent(test.get("map")) or MISSING,
                percent(test.get("auroc_macro")) or MISSING,
            ]
        )
    return rows


def format_cross_domain_table(run_folders: Sequence[str | Path], *, fmt: str = "md") -> str:
    """Read the run folders and render Table 3 as Markdown or CSV.

    Raises:
        ValueError: unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    runs = [(read_run_folder(folder), test_set_name(folder)) for folder in run_folders]
    rows = cross_domain_rows(runs)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows([HEADER, *rows])
        return out.getvalue()
    lines = [f"**{TITLE}**", "", "| " + " | ".join(HEADER) + " |"]
    lines.append("| --- | --- | --- | --- | ---: | ---: |")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
