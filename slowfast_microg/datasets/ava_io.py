"""Strict readers of AVA-format files: label maps and box CSVs (ground truth and predicted).

Every malformed line raises :class:`DataError` naming ``file:line``, the column, the value and
what was expected. Formats (MicroG-4M uses AVA's):

- Label map: AVA ``.pbtxt`` (``item { name: "..." id: N }`` blocks, any indentation and key
  order, extra keys such as ``label_type`` ignored) or a CSV ``id,name`` with optional header.
- Box CSV, no header, comma-separated: ``clip_id, stamp, x1, y1, x2, y2, action_id[, extra]``
  with coordinates normalised to [0, 1]. In ground-truth files the optional 8th column is the
  person id; in predicted-box files it is the detection score (required) and the action id may
  be empty.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

from slowfast_microg.datasets.errors import DataError, at, require_file
from slowfast_microg.evaluation.errors import EvaluationInputError
from slowfast_microg.evaluation.label_map import read_label_map as parse_label_map

logger = logging.getLogger(__name__)

# Coordinates may overshoot [0, 1] by this much (rounding in the authors' conversion).
BOX_TOLERANCE = 1e-3
BOX_KINDS = ("gt", "predicted")
_COORD_NAMES = ("x1", "y1", "x2", "y2")


@dataclass(frozen=True)
class LabelMap:
    """Action classes of a label map.

    Attributes:
        ids: the AVA action ids, sorted; model output index ``i`` is ``ids[i]``.
        names: id -> class name.
        path: the file it was read from.
    """

    ids: list[int]
    names: dict[int, str]
    path: str
    index: dict[int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {cid: i for i, cid in enumerate(self.ids)})


@dataclass(frozen=True)
class BoxRow:
    """One row of a box CSV.

    Attributes:
        clip_id: the clip (AVA "video") id.
        stamp: the frame stamp (1-based frame number for MicroG-4M).
        box_key: the four coordinate strings as written, joined by commas (boxes with the same
            key at the same stamp are one box, as in PySlowFast).
        box: (x1, y1, x2, y2) normalised floats.
        action_id: AVA action id, or None for an unlabelled predicted box.
        score: detection score (predicted files), else None.
        source: ``file:line`` of the row.
    """

    clip_id: str
    stamp: int
    box_key: str
    box: tuple[float, float, float, float]
    action_id: int | None
    score: float | None
    source: str


def read_label_map(path: str | Path, *, config_key: str = "AVA.LABEL_MAP_FILE") -> LabelMap:
    """Read an AVA label map (``.pbtxt``, or ``.csv`` with ``id,name`` rows).

    Parsing is ``slowfast_microg.evaluation.read_label_map``'s; this adds the config key to
    the missing-file error and the sorted-id view the model's outputs follow.

    Args:
        path: the label-map file.
        config_key: the config key naming the file (used in the missing-file error).

    Returns:
        The classes, ids sorted ascending (output index ``i`` is the ``i``-th smallest id).

    Raises:
        DataError: missing or empty file, malformed item, non-integer or duplicate id.
    """
    path = require_file(Path(path), config_key=config_key)
    try:
        names = parse_label_map(path)
    except EvaluationInputError as error:
        raise DataError(str(error)) from error
    return LabelMap(ids=sorted(names), names=dict(names), path=str(path))


def _float(value: str, *, name: str, where: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise DataError(f"{where}: {name} is {value!r}, expected a finite number.")
    return number


def _int(value: str, *, name: str, where: str, hint: str = "") -> int:
    try:
        return int(value)
    except ValueError:
        raise DataError(f"{where}: {name} is {value!r}, expected an integer.{hint}") from None


def _parse_box_row(
    cols: list[str], *, kind: str, label_map: LabelMap, where: str, hint: str
) -> BoxRow:
    expected = "8" if kind == "predicted" else "7 or 8"
    if len(cols) not in ((8,) if kind == "predicted" else (7, 8)):
        raise DataError(
            f"{where}: {len(cols)} columns, expected {expected} "
            f"(clip_id, stamp, x1, y1, x2, y2, action_id, "
            f"{'score' if kind == 'predicted' else '[person_id]'}).{hint}"
        )
    clip_id = cols[0]
    if not clip_id:
        raise DataError(f"{where}: the clip id (column 1) is empty.")
    stamp = _int(cols[1], name="the frame stamp (column 2)", where=where, hint=hint)
    box = tuple(
        _float(cols[2 + k], name=f"{_COORD_NAMES[k]} (column {3 + k})", where=where)
        for k in range(4)
    )
    for k, value in enumerate(box):
        if not -BOX_TOLERANCE <= value <= 1.0 + BOX_TOLERANCE:
            raise DataError(
                f"{where}: {_COORD_NAMES[k]} is {cols[2 + k]!r}, outside [0, 1]; box "
                f"coordinates must be normalised by the frame width and height."
            )
    if box[0] > box[2] or box[1] > box[3]:
        raise DataError(
            f"{where}: box {','.join(cols[2:6])} has x1 > x2 or y1 > y2; expected x1,y1,x2,y2."
        )
    action_id = None
    if cols[6] or kind == "gt":
        action_id = _int(cols[6], name="the action id (column 7)", where=where)
        if action_id not in label_map.index:
            raise DataError(
                f"{where}: action id {action_id} is not in the label map {label_map.path} "
                f"(known ids: {label_map.ids[0]}..{label_map.ids[-1]}, {len(label_map.ids)} "
                f"classes). Fix the row or use the label map the annotations were made with."
            )
    score = None
    if kind == "predicted":
        score = _float(cols[7], name="the score (column 8)", where=where)
    elif len(cols) == 8:
        _int(cols[7], name="the person id (column 8)", where=where)
    return BoxRow(
        clip_id=clip_id,
        stamp=stamp,
        box_key=",".join(cols[2:6]),
        box=box,
        action_id=action_id,
        score=score,
        source=where,
    )


def read_box_csv(
    path: str | Path,
    *,
    kind: str,
    label_map: LabelMap,
    config_key: str,
    errors: list[DataError] | None = None,
) -> list[BoxRow]:
    """Read an AVA box CSV.

    Args:
        path: the CSV file.
        kind: "gt" (labelled boxes, 7 or 8 columns) or "predicted" (8 columns with a score;
            the action id may be empty).
        label_map: the classes; an action id outside it is an error.
        config_key: the config key naming the file (used in the missing-file error).
        errors: collect mode: when a list is given, each malformed row (and an empty file) is
            appended to it and reading goes on with the next row instead of raising.

    Returns:
        The rows in file order (blank and, in collect mode, malformed lines skipped).

    Raises:
        DataError: missing file; without ``errors``, an empty file or any malformed row
            (file:line, column, value).
    """
    if kind not in BOX_KINDS:
        raise ValueError(f"kind must be one of {BOX_KINDS}, got {kind!r}")
    path = require_file(Path(path), config_key=config_key)
    rows = []
    lines = 0
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            lines += 1
            hint = " The file must have no header row." if lineno == 1 else ""
            cols = [col.strip() for col in line.rstrip("\r\n").split(",")]
            try:
                row = _parse_box_row(
                    cols, kind=kind, label_map=label_map, where=at(path, lineno), hint=hint
                )
            except DataError as error:
                if errors is None:
                    raise
                errors.append(error)
                continue
            rows.append(row)
    if not lines:
        error = DataError(f"{path}: the file is empty; {config_key} must name a CSV with box rows.")
        if errors is None:
            raise error
        errors.append(error)
    logger.info("Read %d box rows from %s", len(rows), path)
    return rows
