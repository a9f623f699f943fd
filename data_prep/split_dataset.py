"""Stage ``split_dataset``: train/val/test assignment of clips.

``paper_split`` reproduces the authors' notebook exactly: clips in sorted id order; greedy action
coverage (repeatedly the clip adding the most uncovered action ids, the first in order on ties)
goes to train; the other clips, still sorted, are shuffled in place by numpy's legacy generator
seeded with 42 (``np.random.seed(42); np.random.shuffle(list)``); train is topped up to
int(0.7 N), val takes the next int(0.1 N), test the rest. That split is by clip, so neighbouring
clips of one source land in different splits. ``source_split`` keeps every source inside one
split: the same greedy coverage and seeded shuffle, applied to sources, filling train and then
val up to their clip targets.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from data_prep.ids import source_of
from data_prep.to_ava import AvaRow

logger = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")


def clip_actions(rows: list[AvaRow]) -> dict[str, set[int]]:
    """Action ids of every clip."""
    actions: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        actions[row.video_id].add(row.action_id)
    return dict(actions)


def greedy_cover(items: list[str], actions: dict[str, set[int]]) -> list[str]:
    """Items picked, in order, by greedy coverage of all action ids (first item wins ties)."""
    wanted = set().union(*actions.values()) if actions else set()
    covered: set[int] = set()
    picked: list[str] = []
    chosen: set[str] = set()
    while covered != wanted:
        best, best_gain = None, 0
        for item in items:
            if item in chosen:
                continue
            gain = len(actions[item] - covered)
            if gain > best_gain:
                best, best_gain = item, gain
        if best is None:
            break
        picked.append(best)
        chosen.add(best)
        covered |= actions[best]
    return picked


def seeded_shuffle(items: list[str], seed: int) -> list[str]:
    """Shuffle a copy of ``items`` exactly as ``np.random.seed(seed); np.random.shuffle(items)``."""
    shuffled = list(items)
    np.random.RandomState(seed).shuffle(shuffled)
    return shuffled


def paper_split(
    actions: dict[str, set[int]],
    *,
    train_ratio: float = 0.7,
    val_ratio: float = 0.1,
    seed: int = 42,
) -> dict[str, str]:
    """The authors' split of clips (see the module docstring). Returns ``{clip: split}``."""
    clips = sorted(actions)
    total = len(clips)
    train_target, val_target = int(train_ratio * total), int(val_ratio * total)
    greedy = greedy_cover(clips, actions)
    chosen = set(greedy)
    remaining = seeded_shuffle([c for c in clips if c not in chosen], seed)
    need = max(train_target - len(greedy), 0)
    assignment = {clip: "train" for clip in greedy}
    assignment.update({clip: "train" for clip in remaining[:need]})
    assignment.update({clip: "val" for clip in remaining[need : need + val_target]})
    assignment.update({clip: "test" for clip in remaining[need + val_target :]})
    return assignment


def source_split(
    actions: dict[str, set[int]],
    *,
    train_ratio: float = 0.7,
    val_ratio: float = 0.1,
    seed: int = 42,
    source: Callable[[str], str] = source_of,
) -> dict[str, str]:
    """A split that keeps every source in one split. Returns ``{clip: split}``.

    Clip counts follow the targets int(train_ratio N) and int(val_ratio N) as closely as whole
    sources allow: a source goes to train while train is below its target, then to val while
    val is below its target, then to test.
    """
    members: dict[str, list[str]] = defaultdict(list)
    for clip in sorted(actions):
        members[source(clip)].append(clip)
    source_actions = {s: set().union(*(actions[c] for c in cs)) for s, cs in members.items()}
    sources = sorted(members)
    total = len(actions)
    train_target, val_target = int(train_ratio * total), int(val_ratio * total)
    greedy = greedy_cover(sources, source_actions)
    chosen = set(greedy)
    plan = {s: "train" for s in greedy}
    counts = {"train": sum(len(members[s]) for s in greedy), "val": 0, "test": 0}
    for src in seeded_shuffle([s for s in sources if s not in chosen], seed):
        split = (
            "train"
            if counts["train"] < train_target
            else "val"
            if counts["val"] < val_target
            else "test"
        )
        plan[src] = split
        counts[split] += len(members[src])
    return {clip: plan[src] for src, clips in members.items() for clip in clips}


def split_report(rows: list[AvaRow], assignment: dict[str, str]) -> dict[str, Any]:
    """Per-split counts (clips, rows, persons, keyframes, classes, sources) and source leakage."""
    report: dict[str, Any] = {}
    all_classes = sorted({r.action_id for r in rows})
    sources_of_split: dict[str, set[str]] = {}
    for split in SPLITS:
        part = [r for r in rows if assignment.get(r.video_id) == split]
        classes = sorted({r.action_id for r in part})
        sources_of_split[split] = {source_of(r.video_id) for r in part}
        report[split] = {
            "clips": len({r.video_id for r in part}),
            "rows": len(part),
            "persons": len({(r.video_id, r.person_id) for r in part}),
            "keyframes": len({(r.video_id, r.frame_stamp) for r in part}),
            "classes": len(classes),
            "missing_classes": [c for c in all_classes if c not in classes],
            "sources": len(sources_of_split[split]),
        }
    leaking = sorted(
        s
        for s in set().union(*sources_of_split.values())
        if sum(s in v for v in sources_of_split.values()) > 1
    )
    report["sources_in_several_splits"] = len(leaking)
    report["val_sources_also_in_test"] = len(sources_of_split["val"] & sources_of_split["test"])
    return report


def write_assignment(path: Path, assignment: dict[str, str]) -> None:
    """Write ``video_id,source,split`` for every clip, sorted by id."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["video_id,source,split"]
    lines += [f"{c},{source_of(c)},{assignment[c]}" for c in sorted(assignment)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_report(path: Path, report: dict[str, Any]) -> None:
    """Write the split report as JSON."""
    Path(path).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
