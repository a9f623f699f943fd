"""Stage ``stats``: the dataset statistics the paper reports, as CSV files and plots.

From ``actions.csv``, for all clips and for the movie (``m``) and real (``r``) subsets:

* ``overall_result.csv``: clips, label rows, distinct classes and person instances per subset;
* ``action_result_<subset>.csv``: ``action_id,action_name,count,ratio(%)``, by count (ties by id);
* ``person_count_<subset>.csv``: ``person_count,video_count,ratio(%)`` (distinct persons per clip);
* ``label_type_result_<subset>.csv``: ``label_type,count,ratio(%)`` (AVA label types);
* ``plots/*.png``.

Ratios are percentages rounded to 2 decimals, written as the released files (``1.9``, ``24.27``).
"""

from __future__ import annotations

import csv
import logging
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from data_prep.actions_csv import ActionRow, read_actions
from data_prep.label_map import ACTION_NAMES, label_type
from data_prep.plots import plot_stats

logger = logging.getLogger(__name__)

SUBSETS = {"all": None, "movie": "m", "real": "r"}


def ratio(count: int, total: int) -> str:
    """Percentage rounded to 2 decimals, as text."""
    return repr(round(100.0 * count / total, 2)) if total else "0.0"


def subset_stats(rows: list[ActionRow], names: dict[int, str]) -> dict[str, Any]:
    """Counts of one subset: clips, labels, classes, persons per clip, per class, per type."""
    persons: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        persons[row.video_id].add(row.person_id)
    per_class = Counter(row.action for row in rows)
    per_type = Counter(label_type(row.action) for row in rows)
    per_clip = Counter(len(p) for p in persons.values())
    return {
        "clips": len(persons),
        "labels": len(rows),
        "classes": len(per_class),
        "person_instances": sum(len(p) for p in persons.values()),
        "actions": sorted(per_class.items(), key=lambda kv: (-kv[1], kv[0])),
        "label_types": sorted(per_type.items()),
        "persons_per_clip": sorted(per_clip.items()),
        "names": names,
    }


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def run_stats(
    *, actions_csv: Path, out_dir: Path, names: dict[int, str] | None = None
) -> dict[str, Any]:
    """Compute and write the statistics of ``actions_csv`` into ``out_dir``.

    Returns:
        ``{subset: {"clips", "labels", "classes", "person_instances"}}``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = names or ACTION_NAMES
    rows, problems = read_actions(actions_csv)
    for problem in problems:
        logger.warning("%s:%d: %s: %s", problem.file, problem.line, problem.issue, problem.detail)
    kinds = defaultdict(set)
    for row in rows:
        kinds[row.video_id].add(row.movie_or_real)
    mixed = sorted(v for v, k in kinds.items() if len(k) > 1)
    if mixed:
        logger.warning("%d clips have both 'm' and 'r' rows, e.g. %s", len(mixed), mixed[:3])
    results = {}
    overall = []
    for subset, kind in SUBSETS.items():
        part = [r for r in rows if kind is None or r.movie_or_real == kind]
        s = subset_stats(part, names)
        results[subset] = s
        overall.append([subset, s["clips"], s["labels"], s["classes"], s["person_instances"]])
        total = s["labels"]
        _write(
            out_dir / f"action_result_{subset}.csv",
            ["action_id", "action_name", "count", "ratio(%)"],
            [[a, names.get(a, ""), c, ratio(c, total)] for a, c in s["actions"]],
        )
        _write(
            out_dir / f"person_count_{subset}.csv",
            ["person_count", "video_count", "ratio(%)"],
            [[p, c, ratio(c, s["clips"])] for p, c in s["persons_per_clip"]],
        )
        _write(
            out_dir / f"label_type_result_{subset}.csv",
            ["label_type", "count", "ratio(%)"],
            [[t, c, ratio(c, total)] for t, c in s["label_types"]],
        )
    _write(
        out_dir / "overall_result.csv",
        ["subset", "clips", "action_labels", "action_classes", "person_instances"],
        overall,
    )
    plot_stats(results, out_dir / "plots")
    logger.info("stats written to %s", out_dir)
    return {
        k: {f: v[f] for f in ("clips", "labels", "classes", "person_instances")}
        for k, v in results.items()
    }
