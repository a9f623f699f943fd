"""``actions.csv``: the human labels, one row per (clip, person, action).

Columns: ``video_id, movie_or_real (m|r), person_id, action`` (original AVA action id).
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

from data_prep.boxes_csv import Problem, bare_clip_id

logger = logging.getLogger(__name__)

COLUMNS = ["video_id", "movie_or_real", "person_id", "action"]


@dataclass(frozen=True)
class ActionRow:
    """One label (``line`` is its 1-based line in the file)."""

    video_id: str
    movie_or_real: str
    person_id: int
    action: int
    line: int


def read_actions(path: Path) -> tuple[list[ActionRow], list[Problem]]:
    """Read and validate ``actions.csv``.

    Returns:
        ``(rows, problems)``; rows with a bad person id, an action id outside AVA's 1-80 or a
        ``movie_or_real`` other than ``m``/``r`` become Problems naming their line.

    Raises:
        ValueError: the header lacks a required column.
    """
    path = Path(path)
    rows: list[ActionRow] = []
    problems: list[Problem] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise ValueError(f"{path}:1: header {header} lacks {missing}; expected {COLUMNS}")
        col = {name: header.index(name) for name in COLUMNS}
        for line, fields in enumerate(reader, start=2):
            if not fields:
                continue
            video = bare_clip_id(fields[col["video_id"]].strip()) if fields else ""
            try:
                person = int(fields[col["person_id"]])
                action = int(float(fields[col["action"]]))
                kind = fields[col["movie_or_real"]].strip()
            except (ValueError, IndexError) as err:
                problems.append(Problem(str(path), line, video, "", "bad_row", str(err)))
                continue
            if not 1 <= action <= 80:
                problems.append(
                    Problem(
                        str(path),
                        line,
                        video,
                        str(person),
                        "bad_action_id",
                        f"action {action} is not an AVA action id (1-80)",
                    )
                )
                continue
            if kind not in {"m", "r"}:
                problems.append(
                    Problem(
                        str(path),
                        line,
                        video,
                        str(person),
                        "bad_movie_or_real",
                        f"movie_or_real {kind!r}; expected 'm' (movie) or 'r' (real footage)",
                    )
                )
                continue
            rows.append(ActionRow(video, kind, person, action, line))
    return rows, problems
