"""Boxes + labels -> AVA-style rows: one row per (person, action) at the person's frame stamp.

The paper's rules (``processCSV.ipynb``): a person's stamp is the frame among its recorded frames
closest to their median (ties: the earlier row in the file; tracked 15..90 -> 52); its box there is
normalised by the clip's width and height and rounded to 3 decimals (numpy rounding, as pandas);
each of the person's labels gives one row. Rows are ordered by the stamp row's place in
``bounding_boxes.csv``, labels in ``actions.csv`` order. Everything that cannot be converted is
returned as a Problem, never dropped silently (the authors' merge lost 10 labels unreported).
"""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data_prep.actions_csv import ActionRow
from data_prep.boxes_csv import BoxRow, Problem

logger = logging.getLogger(__name__)

COMBINED_HEADER = [
    "video_id",
    "frame_stamp",
    "xmin",
    "ymin",
    "xmax",
    "ymax",
    "action_id",
    "person_id",
]


@dataclass(frozen=True)
class ClipInfo:
    """Size and frame count of a clip."""

    video_id: str
    width: int
    height: int
    frames: int


@dataclass(frozen=True)
class AvaRow:
    """One label at a frame stamp, box normalised to [0, 1]."""

    video_id: str
    frame_stamp: int
    x1: float
    y1: float
    x2: float
    y2: float
    action_id: int
    person_id: int


def fmt_float(value: float) -> str:
    """Shortest round-trip text of a float, as pandas writes it (``0.99``, ``1.0``)."""
    return repr(float(value))


def format_row(row: AvaRow) -> list[str]:
    """CSV fields of a row in the released column order."""
    return [
        row.video_id,
        str(row.frame_stamp),
        fmt_float(row.x1),
        fmt_float(row.y1),
        fmt_float(row.x2),
        fmt_float(row.y2),
        str(row.action_id),
        str(row.person_id),
    ]


def pick_stamp(rows: list[BoxRow]) -> BoxRow:
    """The row whose frame is closest to the median of the person's frames (first on ties)."""
    frames = np.array([r.frame_id for r in rows], dtype=np.float64)
    return rows[int(np.argmin(np.abs(frames - np.median(frames))))]


def normalise(row: BoxRow, clip: ClipInfo, *, decimals: int, clip_boxes: bool) -> tuple:
    """Box of ``row`` divided by the clip size and rounded like pandas' ``round``."""
    values = np.array(
        [
            row.xmin / clip.width,
            row.ymin / clip.height,
            row.xmax / clip.width,
            row.ymax / clip.height,
        ]
    )
    if clip_boxes:
        values = values.clip(0.0, 1.0)
    return tuple(float(v) for v in np.round(values, decimals))


def convert(
    *,
    boxes: list[BoxRow],
    actions: list[ActionRow],
    clips: dict[str, ClipInfo],
    boxes_file: str,
    actions_file: str,
    decimals: int = 3,
    clip_boxes: bool = False,
    dedupe_actions: bool = False,
) -> tuple[list[AvaRow], list[Problem]]:
    """Convert boxes and labels to AVA rows.

    Args:
        boxes: rows of ``bounding_boxes.csv`` in file order.
        actions: rows of ``actions.csv`` in file order.
        clips: size and frame count of every clip that has boxes.
        boxes_file, actions_file: file names used in problem reports.
        decimals: decimals of the normalised coordinates.
        clip_boxes: clip normalised coordinates to [0, 1].
        dedupe_actions: drop repeated (clip, person, action) labels (reported either way).

    Returns:
        ``(rows, problems)``.
    """
    problems: list[Problem] = []
    by_person: dict[tuple[str, int], list[BoxRow]] = defaultdict(list)
    for row in boxes:
        by_person[(row.video_id, row.person_id)].append(row)
    labels: dict[tuple[str, int], list[ActionRow]] = defaultdict(list)
    for act in actions:
        key = (act.video_id, act.person_id)
        if any(a.action == act.action for a in labels[key]):
            problems.append(
                Problem(
                    actions_file,
                    act.line,
                    act.video_id,
                    str(act.person_id),
                    "duplicate_action",
                    f"action {act.action} repeated for this person"
                    + ("; dropped" if dedupe_actions else "; kept (as in the released data)"),
                )
            )
            if dedupe_actions:
                continue
        labels[key].append(act)
    stamps: list[BoxRow] = []
    for key, rows in by_person.items():
        if key not in labels:
            problems.append(
                Problem(
                    boxes_file,
                    rows[0].line,
                    key[0],
                    str(key[1]),
                    "unlabelled_person",
                    f"{len(rows)} boxes but no label in {actions_file}",
                )
            )
            continue
        stamp = pick_stamp(rows)
        twins = [r for r in rows if r.frame_id == stamp.frame_id and r is not stamp]
        for twin in twins:
            problems.append(
                Problem(
                    boxes_file,
                    twin.line,
                    key[0],
                    str(key[1]),
                    "duplicate_box_at_stamp",
                    f"another box at stamp frame {stamp.frame_id}; line {stamp.line} is used",
                )
            )
        stamps.append(stamp)
    for key, acts in labels.items():
        if key not in by_person:
            for act in acts:
                problems.append(
                    Problem(
                        actions_file,
                        act.line,
                        key[0],
                        str(key[1]),
                        "no_boxes",
                        f"label {act.action}: no box of this person in {boxes_file}",
                    )
                )
    out: list[AvaRow] = []
    for stamp in sorted(stamps, key=lambda r: r.line):
        key = (stamp.video_id, stamp.person_id)
        clip = clips.get(stamp.video_id)
        issue = None
        if clip is None:
            issue = ("clip_not_found", "no clip video to take the frame size from")
        elif not 1 <= stamp.frame_id <= clip.frames:
            issue = ("stamp_out_of_range", f"stamp {stamp.frame_id} not in 1..{clip.frames}")
        if issue is not None:
            for act in labels[key]:
                problems.append(
                    Problem(actions_file, act.line, key[0], str(key[1]), issue[0], issue[1])
                )
            continue
        box = normalise(stamp, clip, decimals=decimals, clip_boxes=clip_boxes)
        if min(box) < 0 or max(box) > 1:
            problems.append(
                Problem(
                    boxes_file,
                    stamp.line,
                    key[0],
                    str(key[1]),
                    "box_outside_frame",
                    f"normalised box {box} leaves [0, 1]; kept"
                    + (" after clipping" if clip_boxes else ""),
                )
            )
        for act in labels[key]:
            out.append(AvaRow(stamp.video_id, stamp.frame_id, *box, act.action, stamp.person_id))
    return out, problems


def write_combined(path: Path, rows: list[AvaRow]) -> None:
    """Write all rows with a header (the released ``ava_format_with_header.csv`` format)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COMBINED_HEADER)
        writer.writerows(format_row(r) for r in rows)
    tmp.replace(path)


def read_combined(path: Path) -> list[AvaRow]:
    """Read rows written by ``write_combined`` (or the released file).

    Raises:
        ValueError: a bad header or row, naming the line.
    """
    path = Path(path)
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        if [h.strip() for h in header] != COMBINED_HEADER:
            raise ValueError(f"{path}:1: header {header}; expected {','.join(COMBINED_HEADER)}")
        for line, f in enumerate(reader, start=2):
            if not f:
                continue
            try:
                rows.append(
                    AvaRow(
                        f[0],
                        int(f[1]),
                        float(f[2]),
                        float(f[3]),
                        float(f[4]),
                        float(f[5]),
                        int(f[6]),
                        int(f[7]),
                    )
                )
            except (ValueError, IndexError) as err:
                raise ValueError(f"{path}:{line}: bad row {f} ({err})") from err
    return rows


def write_problems(path: Path, problems: list[Problem]) -> None:
    """Write the conversion report (one line per problem, with file and line)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["file", "line", "video_id", "person_id", "issue", "detail"])
        for p in problems:
            writer.writerow([p.file, p.line, p.video_id, p.person_id, p.issue, p.detail])
