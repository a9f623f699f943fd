"""Qualitative panels in the style of the paper's Figures 3 and 4.

One column per key frame: the frame with its numbered person boxes, then a row of ground-truth
labels and one row per run. In a run's row a correctly predicted label is in the run's colour,
a missed ground-truth label in grey and a false prediction in red (``classify_labels``).
Ground-truth boxes are yellow; detection boxes without ground truth are dashed red. The figure
is saved as PNG (``DPI``, size fixed by the layout constants) and SVG (text kept as text).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from slowfast_microg.demo.panel_inputs import Person

logger = logging.getLogger(__name__)

CORRECT, MISSED, FALSE = "correct", "missed", "false"
GT_COLOUR = "#000000"
GREY = "#9a9a9a"
RED = "#d62728"
# Run colours: no red or grey, which mark false and missed labels.
RUN_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")
GT_BOX_COLOUR = "#ffd700"
# Layout in inches; the PNG is (LABEL_WIDTH_IN + columns * COLUMN_WIDTH_IN) * DPI pixels wide.
COLUMN_WIDTH_IN = 2.4
LABEL_WIDTH_IN = 1.0
TITLE_HEIGHT_IN = 0.25
LINE_HEIGHT_IN = 0.15
ROW_PAD_IN = 0.1
FONT_SIZE = 7
MAX_NAME_CHARS = 30
DPI = 100


@dataclass
class PanelClip:
    """One column of the figure.

    Attributes:
        key: "clip,stamp".
        frame: (H, W, 3) uint8 RGB key frame.
        persons: its persons with ground truth and predictions.
    """

    key: str
    frame: np.ndarray
    persons: list[Person]


def classify_labels(gt: set[int], predicted: set[int] | None) -> list[tuple[int, str]]:
    """Status of every label of one person in one run.

    Args:
        gt: true action ids.
        predicted: the run's predicted ids; None when the run has no box for the person
            (every true label is then missed).

    Returns:
        (action id, status) with status ``correct`` (true and predicted), ``missed`` (true,
        not predicted) or ``false`` (predicted, not true); true labels first by id, then false
        ones by id.
    """
    predicted = set() if predicted is None else predicted
    true = [(cid, CORRECT if cid in predicted else MISSED) for cid in sorted(gt)]
    return true + [(cid, FALSE) for cid in sorted(predicted - gt)]


def label_colour(status: str, run_colour: str) -> str:
    """Text colour of a label: the run's colour, grey (missed) or red (false)."""
    return {CORRECT: run_colour, MISSED: GREY, FALSE: RED}[status]


def _short(name: str) -> str:
    return name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 1] + "…"


def _cell_lines(
    persons: list[Person], run: str | None, names: dict[int, str], colour: str
) -> list[tuple[str, str]]:
    """(text, colour) lines of one cell: the GT row when ``run`` is None, else a run's row."""
    lines = []
    numbered = len(persons) > 1
    for number, person in enumerate(persons, start=1):
        if run is None:
            labelled = [(cid, GT_COLOUR) for cid in sorted(person.gt)]
        else:
            statuses = classify_labels(person.gt, person.predicted.get(run))
            labelled = [(cid, label_colour(status, colour)) for cid, status in statuses]
        prefix = f"[{number}] " if numbered else ""
        lines += [(prefix + _short(names.get(cid, str(cid))), c) for cid, c in labelled]
    return lines


def _draw_frame(axes: Axes, clip: PanelClip) -> None:
    height, width = clip.frame.shape[:2]
    axes.imshow(clip.frame)
    axes.set_axis_off()
    video, stamp = clip.key.rsplit(",", 1)
    axes.set_title(f"{video} @ {int(stamp)}", fontsize=FONT_SIZE)
    for number, person in enumerate(clip.persons, start=1):
        x1, y1, x2, y2 = (v * s for v, s in zip(person.box, (width, height) * 2, strict=True))
        colour, style = (GT_BOX_COLOUR, "-") if person.gt else (RED, "--")
        axes.add_patch(
            Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colour, linestyle=style)
        )
        axes.text(
            x1 + 1,
            y1 + 1,
            str(number),
            color="black",
            fontsize=FONT_SIZE,
            va="top",
            bbox={"facecolor": colour, "pad": 1, "linewidth": 0},
        )


def render_panels(
    clips: list[PanelClip],
    *,
    runs: list[tuple[str, str]],
    names: dict[int, str],
    out_stem: str | Path,
) -> list[Path]:
    """Draw and save the figure.

    Args:
        clips: the columns, left to right.
        runs: (run name, legend text) per run row, top to bottom.
        names: action id -> name.
        out_stem: output path without suffix; ``.png`` and ``.svg`` are written.

    Returns:
        The written paths.
    """
    if not clips:
        raise ValueError("no clip to draw")
    rows: list[tuple[str | None, str, str]] = [(None, "GT", GT_COLOUR)]
    rows += [
        (run, legend, RUN_COLOURS[i % len(RUN_COLOURS)]) for i, (run, legend) in enumerate(runs)
    ]
    cells = [[_cell_lines(c.persons, run, names, colour) for c in clips] for run, _, colour in rows]
    row_heights = [LINE_HEIGHT_IN * max(1, *map(len, row)) + ROW_PAD_IN for row in cells]
    aspect = max(c.frame.shape[0] / c.frame.shape[1] for c in clips)
    image_h = COLUMN_WIDTH_IN * aspect
    fig_w = LABEL_WIDTH_IN + COLUMN_WIDTH_IN * len(clips)
    fig_h = TITLE_HEIGHT_IN + image_h + sum(row_heights)
    figure = Figure(figsize=(fig_w, fig_h), dpi=DPI)
    for col, clip in enumerate(clips):
        left = (LABEL_WIDTH_IN + col * COLUMN_WIDTH_IN) / fig_w
        rect = (
            left,
            1 - (TITLE_HEIGHT_IN + image_h) / fig_h,
            COLUMN_WIDTH_IN / fig_w,
            image_h / fig_h,
        )
        _draw_frame(figure.add_axes(rect), clip)
    top = TITLE_HEIGHT_IN + image_h
    for (_, legend, colour), row, height in zip(rows, cells, row_heights, strict=True):
        y = 1 - (top + ROW_PAD_IN / 2) / fig_h
        figure.text(
            0.05 / fig_w, y, legend, color=colour, fontsize=FONT_SIZE, va="top", fontweight="bold"
        )
        for col, lines in enumerate(row):
            x = (LABEL_WIDTH_IN + col * COLUMN_WIDTH_IN + 0.05) / fig_w
            for i, (text, text_colour) in enumerate(lines):
                figure.text(
                    x,
                    y - i * LINE_HEIGHT_IN / fig_h,
                    text,
                    color=text_colour,
                    fontsize=FONT_SIZE,
                    va="top",
                )
        top += height
    return _save(figure, Path(out_stem))


def _save(figure: Figure, out_stem: Path) -> list[Path]:
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    png = out_stem.with_name(f"{out_stem.name}.png")
    svg = out_stem.with_name(f"{out_stem.name}.svg")
    figure.savefig(png, dpi=DPI)
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        figure.savefig(svg)
    logger.info("Wrote %s and %s", png, svg)
    return [png, svg]
