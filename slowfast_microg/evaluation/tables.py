"""Build the paper's Table 1 (fine-tuned, val + test) and Table 2 (zero-shot) as MD, LaTeX or CSV.

Metrics are shown in % with two decimals, rounded half up from the logged value (``0.46405`` ->
``46.41``), which reproduces the paper's numbers from the authors' logs; #Params in millions.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from slowfast_microg.evaluation.run_folder import MATCHED_SUFFIX, METRIC_NAMES, RunSummary

logger = logging.getLogger(__name__)

FORMATS = ("md", "latex", "csv")
VARIANTS = ("paper", "matched")
METRIC_LABELS = ("mAP (%)", "F1 (%)", "Recall (%)", "AUROC (%)")
TABLE1_TITLE = "Table 1: models fine-tuned on MicroG-4M, validation and test sets."
TABLE2_TITLE = (
    "Table 2: zero-shot on the MicroG-4M test set (Kinetics pre-training, AVA fine-tuning)."
)
MISSING = "–"


def percent(value: float | None) -> str | None:
    """A fraction as a percentage with 2 decimals, rounded half up; None stays None."""
    if value is None:
        return None
    return str((Decimal(repr(float(value))) * 100).quantize(Decimal("0.01"), ROUND_HALF_UP))


def millions(count: int | None) -> str | None:
    """A parameter count in millions with 2 decimals, rounded half up."""
    if count is None:
        return None
    return str((Decimal(count) / Decimal(10**6)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _metric_cells(values: dict[str, float] | None, variant: str) -> list[str | None]:
    """mAP, F1, recall, AUROC cells of one split; the matched variant reads ``*_matched``."""
    if values is None:
        return [None] * len(METRIC_NAMES)
    cells = []
    for name in METRIC_NAMES:
        key = name if variant == "paper" or name == "map" else name + MATCHED_SUFFIX
        cells.append(percent(values.get(key)))
    return cells


def table1_rows(runs: Sequence[RunSummary], *, variant: str = "paper") -> list[list[str | None]]:
    """Rows: Arch, TC, Backbone, #Params (M), val mAP/F1/Recall/AUROC, test mAP/F1/Recall/AUROC."""
    return [
        [run.arch, run.tc, run.backbone, millions(run.params)]
        + _metric_cells(run.val, variant)
        + _metric_cells(run.test, variant)
        for run in runs
    ]


def table2_rows(runs: Sequence[RunSummary], *, variant: str = "paper") -> list[list[str | None]]:
    """Rows: Arch, TC, Backbone, Pretrain, Fine-tune, test mAP/F1/Recall/AUROC."""
    return [
        [run.arch, run.tc, run.backbone, run.pretrain, run.finetune]
        + _metric_cells(run.test, variant)
        for run in runs
    ]


TABLE1_HEADER = ["Arch", "TC", "Backbone", "#Params (M)"] + [
    f"{split} {label}" for split in ("Val", "Test") for label in METRIC_LABELS
]
TABLE2_HEADER = ["Arch", "TC", "Backbone", "Pretrain", "Fine-tune"] + [
    f"Test {label}" for label in METRIC_LABELS
]


def _markdown(title: str, header: list[str], rows: list[list[str | None]]) -> str:
    numeric = [i >= 3 and not h.startswith(("Pretrain", "Fine")) for i, h in enumerate(header)]
    lines = [f"**{title}**", "", "| " + " | ".join(header) + " |"]
    lines.append("| " + " | ".join("---:" if n else "---" for n in numeric) + " |")
    lines += [
        "| " + " | ".join(c if c is not None else MISSING for c in row) + " |" for row in rows
    ]
    return "\n".join(lines) + "\n"


def _latex_text(text: str | None) -> str:
    """Escape LaTeX specials; a TC like 8x8 becomes $8\\times8$."""
    if text is None:
        return MISSING
    if text.replace("x", "").isdigit() and text.count("x") == 1:
        frames, rate = text.split("x")
        return f"${frames}\\times{rate}$"
    for char, escaped in (
        ("\\", "\\textbackslash{}"),
        ("&", "\\&"),
        ("%", "\\%"),
        ("_", "\\_"),
        ("#", "\\#"),
    ):
        text = text.replace(char, escaped)
    return text


def _latex(
    title: str, header: list[str], rows: list[list[str | None]], groups: list[tuple[str, int, int]]
) -> str:
    """A booktabs tabular; ``groups`` are (label, first, last) 1-based column spans."""
    first_metric = groups[0][1]
    align = "l" * (first_metric - 1) + "r" * (len(header) - first_metric + 1)
    lines = [f"% {title}", f"\\begin{{tabular}}{{{align}}}", "\\toprule"]
    lead = " & ".join(_latex_text(h) for h in header[: first_metric - 1])
    lines.append(
        lead
        + "".join(f" & \\multicolumn{{{b - a + 1}}}{{c}}{{{g}}}" for g, a, b in groups)
        + " \\\\"
    )
    lines.append(" ".join(f"\\cmidrule(lr){{{a}-{b}}}" for _, a, b in groups))
    sub = [""] * (first_metric - 1) + [
        _latex_text(h.split(" ", 1)[1]) for h in header[first_metric - 1 :]
    ]
    lines += [" & ".join(sub) + " \\\\", "\\midrule"]
    lines += [" & ".join(_latex_text(c) for c in row) + " \\\\" for row in rows]
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"


def _csv(header: list[str], rows: list[list[str | None]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if c is None else c for c in row] for row in rows])
    return out.getvalue()


def format_tables(
    runs: Sequence[RunSummary], *, fmt: str = "md", variant: str = "paper", which: str = "all"
) -> str:
    """Render Table 1 (runs with ``zero_shot=False``) and/or Table 2 (``zero_shot=True``).

    Args:
        runs: Run summaries in the order the rows should appear.
        fmt: "md", "latex" or "csv". With both tables, CSV output holds two blocks (each
            with its header) separated by a blank line.
        variant: "paper" or "matched" (the ``*_matched`` F1/recall/AUROC fields).
        which: "1", "2" or "all"; a table without runs is left out.

    Returns:
        The rendered text.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    parts = []
    finetuned = [r for r in runs if not r.zero_shot]
    zero_shot = [r for r in runs if r.zero_shot]
    specs: list[tuple[str, list[str], list[list[str | None]], Any]] = []
    if which in ("1", "all") and finetuned:
        groups = [("Validation", 5, 8), ("Test", 9, 12)]
        specs.append((TABLE1_TITLE, TABLE1_HEADER, table1_rows(finetuned, variant=variant), groups))
    if which in ("2", "all") and zero_shot:
        groups = [("Test", 6, 9)]
        specs.append((TABLE2_TITLE, TABLE2_HEADER, table2_rows(zero_shot, variant=variant), groups))
    for title, header, rows, groups in specs:
        if variant == "matched":
            title += " F1/Recall/AUROC: matched variant."
        if fmt == "md":
            parts.append(_markdown(title, header, rows))
        elif fmt == "latex":
            parts.append(_latex(title, header, rows, groups))
        else:
            parts.append(_csv(header, rows))
    return "\n".join(parts)
