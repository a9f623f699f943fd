"""``bounding_boxes.csv``: one row per recorded person box, pixel coordinates, frames from 1.

Columns: ``video_id, frame_id, person_id, xmin, ymin, xmax, ymax, confidence``. The released
MicroG-4M file has no ``confidence`` column; the reader accepts both, and also strips a video
extension from ``video_id`` (the authors' tracker wrote ``<clip>.mp4``).
"""

from __future__ import annotations

import csv
import logging
import math
from dataclasses import dataclass
from pathlib import Path

from data_prep.config import VIDEO_EXTENSIONS
from data_prep.postprocess import Recorded

logger = logging.getLogger(__name__)

REQUIRED = ["video_id", "frame_id", "person_id", "xmin", "ymin", "xmax", "ymax"]
HEADER = [*REQUIRED, "confidence"]


@dataclass(frozen=True)
class BoxRow:
    """One row of ``bounding_boxes.csv`` (``line`` is its 1-based line in the file)."""

    video_id: str
    frame_id: int
    person_id: int
    xmin: float
    ymin: float
    xmax: float
    ymax: float
    confidence: float | None
    line: int


@dataclass(frozen=True)
class Problem:
    """A row that could not be used, with where it is and why."""

    file: str
    line: int
    video_id: str
    person_id: str
    issue: str
    detail: str


def pixel(value: float, mode: str) -> int:
    """Integer pixel coordinate: ``truncate`` (int(), the paper) or ``round`` (half up)."""
    return int(value) if mode == "truncate" else int(math.floor(value + 0.5))


def format_rows(video_id: str, recorded: list[Recorded], coords_mode: str) -> list[list[str]]:
    """CSV fields for a clip's recorded boxes, in recording order."""
    return [
        [
            video_id,
            str(r.frame_id),
            str(r.person_id),
            str(pixel(r.x1, coords_mode)),
            str(pixel(r.y1, coords_mode)),
            str(pixel(r.x2, coords_mode)),
            str(pixel(r.y2, coords_mode)),
            f"{r.conf:.4f}",
        ]
        for r in recorded
    ]


def write_rows(path: Path, rows: list[list[str]], *, header: list[str] | None = HEADER) -> None:
    """Write CSV rows (with ``header`` unless None) atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        if header is not None:
            writer.writerow(header)
        writer.writerows(rows)
    tmp.replace(path)


def read_rows(path: Path) -> list[list[str]]:
    """Rows of a headerless CSV part file."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [row for row in csv.reader(handle) if row]


def bare_clip_id(video_id: str) -> str:
    """``video_id`` without a trailing video extension (``X_001.mp4`` -> ``X_001``)."""
    stem, dot, ext = video_id.rpartition(".")
    return stem if dot and f".{ext.lower()}" in VIDEO_EXTENSIONS else video_id


def read_boxes(path: Path) -> tuple[list[BoxRow], list[Problem]]:
    """Read ``bounding_boxes.csv`` (with or without ``confidence``).

    Returns:
        ``(rows, problems)``; a row that cannot be parsed becomes a Problem naming its line.

    Raises:
        ValueError: the header lacks a required column.
    """
    path = Path(path)
    rows: list[BoxRow] = []
    problems: list[Problem] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise ValueError(
                f"{path}:1: header {header} lacks {missing}; expected {', '.join(HEADER)} "
                "(confidence optional)"
            )
        col = {name: header.index(name) for name in header}
        for line, fields in enumerate(reader, start=2):
            if not fields:
                continue
            try:
                conf = fields[col["confidence"]] if "confidence" in col else ""
                rows.append(
                    BoxRow(
                        video_id=bare_clip_id(fields[col["video_id"]].strip()),
                        frame_id=int(fields[col["frame_id"]]),
                        person_id=int(fields[col["person_id"]]),
                        xmin=float(fields[col["xmin"]]),
                        ymin=float(fields[col["ymin"]]),
                        xmax=float(fields[col["xmax"]]),
                        ymax=float(fields[col["ymax"]]),
                        confidence=float(conf) if conf != "" else None,
                        line=line,
                    )
                )
            except (ValueError, IndexError) as err:
                problems.append(
                    Problem(str(path), line, fields[0] if fields else "", "", "bad_row", str(err))
                )
    return rows, problems
