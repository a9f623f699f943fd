"""The demo's CSV files: the per-box action output and the precomputed person boxes input.

Output (``--csv``), comma-separated with a header, one row per (keyframe, person box)::

    frame,time_s,x1,y1,x2,y2,person_score,action1_id,action1_name,action1_score,...,actionK_score

``frame`` is the 0-based frame index in the video, ``time_s`` its time (``frame / fps``),
``x1..y2`` the box in pixels of the video frame, ``person_score`` the detector's confidence,
then the top-K actions by descending score (cells left empty where fewer than K classes reach
``--threshold``). Frames between keyframes show the previous keyframe's rows on the video.

Input boxes (``--boxes``): a header naming at least ``frame,x1,y1,x2,y2`` (any order, extra
columns ignored, ``person_score`` or ``score`` optional and 1.0 when absent), boxes in pixels.
The demo's own output CSV is a valid boxes file, so a run can be repeated on the same boxes.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slowfast_microg.demo.errors import DemoError

logger = logging.getLogger(__name__)

BOX_COLUMNS = ("frame", "x1", "y1", "x2", "y2")
SCORE_COLUMNS = ("person_score", "score")
# A box may overshoot the frame by this many pixels (rounding of the writer).
BOX_TOLERANCE_PX = 1.0


def output_header(top_k: int) -> list[str]:
    """Column names of the output CSV for ``top_k`` actions per box."""
    actions = [
        f"action{k}_{field}" for k in range(1, top_k + 1) for field in ("id", "name", "score")
    ]
    return ["frame", "time_s", "x1", "y1", "x2", "y2", "person_score", *actions]


@dataclass(frozen=True)
class BoxActions:
    """One person box of a keyframe with its ranked actions.

    Attributes:
        box: (x1, y1, x2, y2) in pixels.
        person_score: detector confidence.
        actions: (action id, name, score) by descending score.
    """

    box: tuple[float, float, float, float]
    person_score: float
    actions: list[tuple[int, str, float]]


def format_rows(frame: int, *, fps: float, boxes: list[BoxActions], top_k: int) -> list[list[str]]:
    """Output rows (text cells) of one keyframe."""
    rows = []
    for item in boxes:
        cells = [str(frame), f"{frame / fps:.3f}", *(f"{v:.1f}" for v in item.box)]
        cells.append(f"{item.person_score:.4f}")
        for action_id, name, score in item.actions[:top_k]:
            cells += [str(action_id), name, f"{score:.4f}"]
        cells += [""] * (3 * (top_k - min(top_k, len(item.actions))))
        rows.append(cells)
    return rows


def rows_to_text(header: list[str], rows: list[list[str]]) -> str:
    """The CSV text of ``header`` and ``rows`` (names with commas are quoted)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _number(text: str, *, path: Path, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise DemoError(f"{path}:{line}: column {column} is {text!r}, expected a finite number.")
    return value


def _parse_row(
    row: dict[str, str], *, path: Path, line: int, score_column: str | None, size: tuple[int, int]
) -> tuple[int, list[float]]:
    frame_text = row["frame"]
    if not frame_text.strip().isdigit():
        raise DemoError(
            f"{path}:{line}: column frame is {frame_text!r}, expected a 0-based frame index."
        )
    x1, y1, x2, y2 = (_number(row[c], path=path, line=line, column=c) for c in BOX_COLUMNS[1:])
    if not (x1 < x2 and y1 < y2):
        raise DemoError(
            f"{path}:{line}: box ({x1}, {y1}, {x2}, {y2}) is empty or flipped; boxes are "
            f"x1,y1,x2,y2 in pixels with x1 < x2 and y1 < y2."
        )
    width, height = size
    limit = BOX_TOLERANCE_PX
    if min(x1, y1) < -limit or x2 > width + limit or y2 > height + limit:
        raise DemoError(
            f"{path}:{line}: box ({x1}, {y1}, {x2}, {y2}) lies outside the {width}x{height} "
            f"video; boxes are in pixels of the video frame (not normalised)."
        )
    score = 1.0
    if score_column is not None:
        score = _number(row[score_column], path=path, line=line, column=score_column)
    return int(frame_text), [x1, y1, x2, y2, score]


def read_boxes_csv(path: str | Path, *, width: int, height: int) -> dict[int, np.ndarray]:
    """Read precomputed person boxes (format in the module docstring).

    Args:
        path: the CSV file.
        width, height: the video's frame size; boxes must lie inside it.

    Returns:
        0-based frame index -> (n, 5) float32 rows ``x1, y1, x2, y2, score``.

    Raises:
        DemoError: missing file, missing columns, or a bad value (the message names the line).
    """
    path = Path(path)
    if not path.is_file():
        raise DemoError(f"boxes file {path} does not exist; check --boxes.")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = [name.strip() for name in reader.fieldnames or []]
        reader.fieldnames = columns
        absent = [name for name in BOX_COLUMNS if name not in columns]
        if absent:
            raise DemoError(
                f"{path}:1: the header lacks {', '.join(absent)}; a boxes file starts with "
                f"'frame,x1,y1,x2,y2[,person_score]' (pixels, 0-based frames)."
            )
        score_column = next((name for name in SCORE_COLUMNS if name in columns), None)
        by_frame: dict[int, list[list[float]]] = {}
        for line, row in enumerate(reader, start=2):
            if None in row or any(row[name] is None for name in columns):
                raise DemoError(f"{path}:{line}: expected {len(columns)} columns like the header.")
            frame, values = _parse_row(
                row, path=path, line=line, score_column=score_column, size=(width, height)
            )
            by_frame.setdefault(frame, []).append(values)
    if not by_frame:
        logger.warning("%s has no box rows: no person will be labelled.", path)
    return {frame: np.asarray(rows, dtype=np.float32) for frame, rows in by_frame.items()}
