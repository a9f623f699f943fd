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

from slowfast_microg.evaluation.run_folder import RunSummary, read_run_folder
from slowfast_microg.evaluation.tables import percent

logger = logging.getLogger(__name__)

TITLE = "Table 3: cross-domain transfer under matched AVA fine-tuning (zero-shot evaluation)."
HEADER = ["Model", "TC", "Backbone", "Test Set", "mAP (%)", "AUROC (%)"]
FORMATS = ("md", "csv")
MISSING = "–"


def cross_domain_rows(runs: Sequence[RunSummary]) -> list[list[str]]:
    """Table rows from run summaries, in the given order."""
    rows = []
    for run in runs:
        test = run.test or {}
        rows.append(
            [
                run.arch or MISSING,
                run.tc or MISSING,
                run.backbone or MISSING,
                run.test_set or MISSING,
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
    rows = cross_domain_rows([read_run_folder(folder) for folder in run_folders])
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows([HEADER, *rows])
        return out.getvalue()
    lines = [f"**{TITLE}**", "", "| " + " | ".join(HEADER) + " |"]
    lines.append("| --- | --- | --- | --- | ---: | ---: |")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
