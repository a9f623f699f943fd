"""Read and write AVA-format ground truth, detections, exclusions and per-class AP CSVs.

Formats (headerless; ``.gz`` names are read and written compressed):
- ground truth: ``video,stamp,x1,y1,x2,y2,action_id[,person_id]``
- detections (PySlowFast ``detections_<split>.csv``): ``video,stamp,x1,y1,x2,y2,action_id,score``
  with one row per (box, class); boxes ``%.03f``, scores ``%.04f``, stamps ``%04d``.
- exclusions: ``video,stamp``
Stamps compare as integers (``52`` == ``0052``); boxes are normalised to [0, 1].
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from slowfast_microg.evaluation.csv_parse import UTF8_BOM, CsvTable, split_csv
from slowfast_microg.evaluation.errors import EvaluationInputError
from slowfast_microg.evaluation.structures import Detections, GroundTruth, make_key
from slowfast_microg.evaluation.textio import open_text_for_writing, read_bytes, read_text

logger = logging.getLogger(__name__)

BOX_TOLERANCE = 1e-3
GT_LAYOUT = "video,stamp,x1,y1,x2,y2,action_id[,person_id]"
DET_LAYOUT = "video,stamp,x1,y1,x2,y2,action_id,score"
_COORDS = ("x1", "y1", "x2", "y2")


def _distinct_boxes(table: CsvTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find the distinct (video, stamp, box) of the rows, parsing each run of equal text once.

    Returns:
        (N,) box index of each row, (B,) key of each box and (B, 4) boxes; boxes are numbered
        in order of their first row. Rows with equal values share a box wherever they are in
        the file, even if their text differs (``52`` and ``0052``).

    Raises:
        EvaluationInputError: A non-numeric field, a box outside [0, 1] or a flipped box.
    """
    new_run = table.new_runs(0, 5)
    rows = np.flatnonzero(new_run)
    videos = [table.text(r, 0) for r in rows.tolist()]
    if "" in videos:
        table.fail(int(rows[videos.index("")]), "video id is empty", "")
    stamps = table.ints(1, name="stamp", rows=rows)
    boxes = np.stack([table.floats(2 + j, name=_COORDS[j], rows=rows) for j in range(4)], axis=1)
    _check_boxes(table, rows, boxes)
    keys = np.asarray([make_key(v, s) for v, s in zip(videos, stamps.tolist(), strict=True)])
    key_ids = np.unique(keys, return_inverse=True)[1].reshape(-1)
    _, first, group = np.unique(
        np.column_stack([key_ids, boxes]), axis=0, return_index=True, return_inverse=True
    )
    order = np.argsort(first, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    box_of_run = rank[group.reshape(-1)]
    box_of_row = box_of_run[np.cumsum(new_run) - 1]
    return box_of_row, keys[first[order]], boxes[first[order]]


def _check_boxes(table: CsvTable, rows: np.ndarray, boxes: np.ndarray) -> None:
    """Fail on a coordinate outside [0, 1] (tolerance 1e-3) or x1 > x2 / y1 > y2."""
    outside = (boxes < -BOX_TOLERANCE) | (boxes > 1.0 + BOX_TOLERANCE)
    if outside.any():
        at, col = (int(v) for v in np.argwhere(outside)[0])
        table.fail(
            int(rows[at]),
            f"{_COORDS[col]} is outside [0, 1]",
            table.text(int(rows[at]), 2 + col),
            hint="Boxes must be normalised by the frame width and height",
        )
    for low, high in ((0, 2), (1, 3)):
        flipped = boxes[:, low] > boxes[:, high]
        if flipped.any():
            row = int(rows[np.flatnonzero(flipped)[0]])
            table.fail(
                row,
                f"{_COORDS[low]} > {_COORDS[high]}",
                f"{table.text(row, 2 + low)} > {table.text(row, 2 + high)}",
                hint="Boxes are x1,y1,x2,y2 with x1 <= x2 and y1 <= y2",
            )


def _action_ids(
    table: CsvTable, label_map: Mapping[int, str] | None, label_map_name: str
) -> np.ndarray:
    """Parse column 7 (action ids) and check them against the label map."""
    ids = table.ints(6, name="action_id")
    if label_map is not None:
        known = np.fromiter(label_map, dtype=np.int64)
        unknown = ~np.isin(ids, known)
        if unknown.any():
            row = int(np.flatnonzero(unknown)[0])
            table.fail(
                row,
                f"action id is not in the label map{label_map_name}",
                int(ids[row]),
                hint="Use the label map the file was written with",
            )
    return ids


def read_gt_csv(
    path: str | Path, *, label_map: Mapping[int, str] | None = None, label_map_name: str = ""
) -> GroundTruth:
    """Read an AVA-format ground-truth CSV (7 or 8 columns; the 8th, a person id, is ignored).

    Args:
        path: The CSV file (``.gz`` allowed).
        label_map: If given, every action id must be in it.
        label_map_name: Shown in the unknown-id error (e.g. `` (label_map.pbtxt)``).

    Returns:
        The ground truth, one row per CSV row, in file order.

    Raises:
        EvaluationInputError: Empty file, wrong column count, non-numeric field, box outside
            [0, 1] or flipped, or an action id not in the label map; the message names the line.
    """
    table = split_csv(
        read_bytes(path, what="ground truth"), path=path, allowed_columns=(7, 8), layout=GT_LAYOUT
    )
    box_of_row, keys, boxes = _distinct_boxes(table)
    labels = _action_ids(table, label_map, label_map_name)
    return GroundTruth(keys=keys[box_of_row], boxes=boxes[box_of_row], labels=labels)


def read_detections_csv(
    path: str | Path, *, label_map: Mapping[int, str] | None = None, label_map_name: str = ""
) -> Detections:
    """Read a PySlowFast/AVA detections CSV into per-box score vectors.

    Rows with the same key and box coordinates form one detected box; if a class repeats for
    the same key and box, the repeat starts another box (so DistributedSampler's padded copy of
    a box is kept as a second box, as the authors' logged metrics count it). Boxes are ordered by
    their first row, which fixes the order that breaks score ties.

    Args:
        path: The CSV file (``.gz`` allowed).
        label_map: If given, the score columns are its ids (a class absent for a box gets NaN)
            and every action id must be in it; otherwise the columns are the ids in the file.
        label_map_name: Shown in the unknown-id error.

    Returns:
        Detections with ``scores_rounded=True``.

    Raises:
        EvaluationInputError: As ``read_gt_csv``, plus a non-finite score.
    """
    table = split_csv(
        read_bytes(path, what="detections"), path=path, allowed_columns=(8,), layout=DET_LAYOUT
    )
    box_of_row, keys, boxes = _distinct_boxes(table)
    ids = _action_ids(table, label_map, label_map_name)
    scores = table.floats(7, name="score")
    class_ids = np.sort(
        np.fromiter(label_map, dtype=np.int64) if label_map is not None else np.unique(ids)
    )
    column = np.searchsorted(class_ids, ids)
    detection_of_row, first_rows = _split_repeated_classes(box_of_row, column, class_ids.size)
    matrix = np.full((first_rows.size, class_ids.size), np.nan)
    matrix[detection_of_row, column] = scores
    return Detections(
        keys=keys[box_of_row[first_rows]],
        boxes=boxes[box_of_row[first_rows]],
        scores=matrix,
        class_ids=class_ids,
        scores_rounded=True,
    )


def _split_repeated_classes(
    box_of_row: np.ndarray, column: np.ndarray, num_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split a box into several detections where a class repeats for it.

    The k-th row of a class for a box goes to the box's k-th detection.

    Returns:
        (N,) detection index of each row and (M,) first row of each detection; detections are
        numbered in order of their first row.
    """
    n = box_of_row.size
    pair = box_of_row * num_classes + column
    order = np.argsort(pair, kind="stable")
    sorted_pair = pair[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = sorted_pair[1:] != sorted_pair[:-1]
    run_start = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    occurrence = np.empty(n, dtype=np.int64)
    occurrence[order] = np.arange(n) - run_start
    detection = box_of_row * (int(occurrence.max(initial=0)) + 1) + occurrence
    _, first_rows, inverse = np.unique(detection, return_index=True, return_inverse=True)
    by_first_row = np.argsort(first_rows, kind="stable")
    rank = np.empty(first_rows.size, dtype=np.int64)
    rank[by_first_row] = np.arange(first_rows.size)
    return rank[inverse.reshape(-1)], first_rows[by_first_row]


def read_exclusions(path: str | Path) -> set[str]:
    """Read an AVA exclusions CSV (``video,stamp`` per line) into a set of image keys.

    An empty file means nothing is excluded.

    Raises:
        EvaluationInputError: A row without exactly 2 columns or with a non-integer stamp.
    """
    raw = read_bytes(path, what="exclusions")
    if not raw.removeprefix(UTF8_BOM).strip():
        return set()
    table = split_csv(raw, path=path, allowed_columns=(2,), layout="video,stamp")
    stamps = table.ints(1, name="stamp").tolist()
    return {make_key(table.text(row, 0), stamps[row]) for row in range(table.num_rows)}


def write_detections_csv(path: str | Path, detections: Detections) -> None:
    """Write detections in PySlowFast's format: one row per (box, class) with a score.

    Rows follow box order, classes in ascending id order; NaN scores are skipped.
    Boxes use ``%.03f``, scores ``%.04f`` and the stamp ``%04d``, as PySlowFast writes them.
    """
    class_ids = detections.class_ids.tolist()
    rows = zip(
        detections.keys.tolist(),
        detections.boxes.tolist(),
        detections.scores.tolist(),
        strict=True,
    )
    lines = []
    for key, (x1, y1, x2, y2), scores in rows:
        prefix = f"{key},{x1:.3f},{y1:.3f},{x2:.3f},{y2:.3f},"
        lines.extend(
            f"{prefix}{class_id},{score:.4f}\n"
            for class_id, score in zip(class_ids, scores, strict=True)
            if not math.isnan(score)
        )
    with open_text_for_writing(path) as handle:
        handle.write("".join(lines))


def write_ap_per_class_csv(
    path: str | Path, ap_per_class: Mapping[int, float], label_map: Mapping[int, str]
) -> None:
    """Write ``action_id,ap50,action_name`` rows (AP as ``%.5f``, ``nan`` for no ground truth)."""
    with open_text_for_writing(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["action_id", "ap50", "action_name"])
        for class_id, name in label_map.items():
            ap = ap_per_class.get(class_id, math.nan)
            writer.writerow([class_id, "nan" if math.isnan(ap) else f"{ap:.5f}", name])


def read_ap_per_class_csv(path: str | Path) -> dict[int, tuple[float, str]]:
    """Read an ``action_id,ap50,action_name`` CSV (ours or PySlowFast's) into id -> (AP, name).

    Raises:
        EvaluationInputError: Missing header, wrong column count or a non-numeric field.
    """
    rows = list(csv.reader(read_text(path, what="per-class AP").splitlines()))
    if not rows or [cell.strip() for cell in rows[0]] != ["action_id", "ap50", "action_name"]:
        raise EvaluationInputError(
            "per-class AP CSV must start with the header action_id,ap50,action_name",
            path=path,
            line=1,
        )
    result: dict[int, tuple[float, str]] = {}
    for line_no, row in enumerate(rows[1:], start=2):
        if len(row) != 3:
            raise EvaluationInputError(
                f"row has {len(row)} columns, expected 3",
                path=path,
                line=line_no,
                value=",".join(row),
            )
        try:
            result[int(row[0])] = (float(row[1]), row[2])
        except ValueError:
            raise EvaluationInputError(
                "action_id or ap50 is not a number", path=path, line=line_no, value=",".join(row)
            ) from None
    return result
