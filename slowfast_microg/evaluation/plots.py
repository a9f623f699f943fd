"""Per-class AP bar charts (the paper's Figures 7 and 8) and per-class precision-recall curves.

Figures are drawn on ``matplotlib.figure.Figure`` objects (no pyplot global state) and saved as
PNG and SVG next to each other.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

FORMATS = ("png", "svg")


def _save(figure: Figure, out_stem: Path) -> list[Path]:
    """Save ``figure`` as ``<out_stem>.png`` and ``.svg``; return the paths."""
    out_stem = Path(out_stem)
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in FORMATS:
        path = out_stem.with_name(f"{out_stem.name}.{fmt}")
        figure.savefig(path, dpi=150, bbox_inches="tight")
        paths.append(path)
    return paths


def plot_ap_per_class(
    ap_by_run: Mapping[str, Mapping[int, float]],
    class_names: Mapping[int, str],
    out_stem: str | Path,
    *,
    title: str = "Per-class AP@0.5",
) -> list[Path]:
    """Grouped bars of per-class AP (%) for one or several runs.

    Classes are those of ``class_names`` (in its order) where at least one run has a finite
    AP; a run without a value for a class shows no bar there.

    Args:
        ap_by_run: Run label -> (action id -> AP in [0, 1], NaN for no ground truth).
        class_names: Action id -> name, e.g. the label map.
        out_stem: Output path without suffix; ``.png`` and ``.svg`` are written.
        title: Figure title.

    Returns:
        The written paths.

    Raises:
        ValueError: No run has a finite AP for any class.
    """
    classes = [
        c
        for c in class_names
        if any(math.isfinite(run.get(c, math.nan)) for run in ap_by_run.values())
    ]
    if not classes:
        raise ValueError("no finite per-class AP to plot")
    num_runs = len(ap_by_run)
    width = 0.8 / num_runs
    positions = np.arange(len(classes))
    figure = Figure(figsize=(max(8.0, 0.28 * len(classes) * max(1, num_runs) ** 0.5), 4.8))
    axes = figure.add_subplot()
    for i, (label, ap) in enumerate(ap_by_run.items()):
        values = [100.0 * ap.get(c, math.nan) for c in classes]
        axes.bar(positions + (i - (num_runs - 1) / 2) * width, values, width, label=label)
    axes.set_xticks(positions, [class_names[c] for c in classes], rotation=90, fontsize=7)
    axes.set_ylabel("AP@0.5 (%)")
    axes.set_ylim(0, 100)
    axes.set_xlim(-0.6, len(classes) - 0.4)
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.3)
    if num_runs > 1:
        axes.legend(fontsize=7, ncols=min(num_runs, 4))
    return _save(figure, Path(out_stem))


def plot_pr_curves(
    pr_curves: Mapping[int, tuple[np.ndarray, np.ndarray]],
    class_names: Mapping[int, str],
    out_stem: str | Path,
    *,
    ap_per_class: Mapping[int, float] | None = None,
    columns: int = 7,
) -> list[Path]:
    """A grid of per-class precision-recall curves (classes with ground truth only).

    Args:
        pr_curves: Action id -> (precision, recall) over the class's ranked detections, as
            in ``DetectionMetrics.pr_curves``.
        class_names: Action id -> name.
        out_stem: Output path without suffix; ``.png`` and ``.svg`` are written.
        ap_per_class: If given, each panel title shows the class AP.
        columns: Panels per row.

    Returns:
        The written paths.

    Raises:
        ValueError: No class has a curve.
    """
    classes = [c for c in class_names if c in pr_curves and pr_curves[c][0].size]
    if not classes:
        raise ValueError("no precision-recall curve to plot")
    rows = math.ceil(len(classes) / columns)
    figure = Figure(figsize=(2.2 * min(columns, len(classes)), 2.0 * rows))
    for i, class_id in enumerate(classes):
        precision, recall = pr_curves[class_id]
        axes = figure.add_subplot(rows, min(columns, len(classes)), i + 1)
        axes.step(np.r_[0.0, recall], np.r_[precision[0], precision], where="post", linewidth=1)
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1.02)
        axes.tick_params(labelsize=6)
        name = class_names[class_id]
        label = name if len(name) <= 22 else name[:21] + "…"
        if ap_per_class is not None:
            label += f"\nAP {100 * ap_per_class[class_id]:.1f}"
        axes.set_title(label, fontsize=7)
    figure.supxlabel("recall", fontsize=8)
    figure.supylabel("precision", fontsize=8)
    figure.tight_layout()
    return _save(figure, Path(out_stem))
