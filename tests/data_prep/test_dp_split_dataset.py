"""The paper's split, reproduced exactly, and the split grouped by source."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from data_prep.ids import source_of
from data_prep.split_dataset import (
    paper_split,
    seeded_shuffle,
    source_split,
    split_report,
)
from data_prep.to_ava import AvaRow


def synthetic_actions(clips: int, seed: int = 3) -> dict[str, set[int]]:
    """Clip -> action ids: common classes everywhere, a few rare ones in single clips."""
    rng = np.random.default_rng(seed)
    common = [12, 17, 79, 80, 14, 59]
    actions = {}
    for i in range(clips):
        source = ["C-65mBQ7s_Q", "_ikouWcXhd0", "Apollo13", "ISS"][i % 4]
        name = f"{source}_{i // 4:03d}"
        actions[name] = set(rng.choice(common, size=rng.integers(1, 4), replace=False).tolist())
    rare = [1, 20, 72, 56, 41]
    for k, action in enumerate(rare):
        actions[sorted(actions)[7 * k + 3]].add(action)
    return actions


def reference_split(actions: dict[str, set[int]], seed: int = 42) -> dict[str, str]:
    """Independent statement of the authors' procedure (notes section 3), on numpy's global RNG."""
    ordered = sorted(actions)
    total = len(ordered)
    wanted = set().union(*actions.values())
    taken: list[str] = []
    have: set[int] = set()
    while have != wanted:
        gains = [(len(actions[c] - have), -i) for i, c in enumerate(ordered) if c not in taken]
        gain, neg_index = max(gains)
        if gain == 0:
            break
        taken.append(ordered[-neg_index])
        have |= actions[ordered[-neg_index]]
    rest = [c for c in ordered if c not in taken]
    np.random.seed(seed)
    np.random.shuffle(rest)
    extra = max(int(0.7 * total) - len(taken), 0)
    val_end = extra + int(0.1 * total)
    result = dict.fromkeys(taken, "train")
    result.update(
        {c: "train" if i < extra else "val" if i < val_end else "test" for i, c in enumerate(rest)}
    )
    return result


def test_seeded_shuffle_equals_the_global_legacy_shuffle():
    items = [f"clip_{i:04d}" for i in range(4759)]
    np.random.seed(42)
    expected = list(items)
    np.random.shuffle(expected)
    assert seeded_shuffle(items, 42) == expected
    assert items == sorted(items), "the input is not modified"


@pytest.mark.parametrize("clips", [37, 120, 4759])
def test_paper_split_matches_the_notebook_procedure_and_counts(clips):
    actions = synthetic_actions(clips)
    split = paper_split(actions)
    assert split == reference_split(actions)
    counts = {s: sum(v == s for v in split.values()) for s in ("train", "val", "test")}
    assert counts["train"] == int(0.7 * clips) and counts["val"] == int(0.1 * clips)
    assert counts["test"] == clips - int(0.7 * clips) - int(0.1 * clips)
    if clips == 4759:
        assert counts == {"train": 3331, "val": 475, "test": 953}  # the authors' logged counts
    train_ids = set().union(*(actions[c] for c, s in split.items() if s == "train"))
    assert train_ids == set().union(*actions.values()), "greedy coverage: every id in train"


def test_grouped_split_keeps_sources_whole():
    actions = {
        f"src{s:02d}_{c:03d}": {12, 17 + (s % 5)} for s in range(30) for c in range(s % 7 + 1)
    }
    actions["src07_000"].add(72)
    split = source_split(actions)
    for source in {source_of(c) for c in actions}:
        assert len({split[c] for c in actions if source_of(c) == source}) == 1
    train_ids = set().union(*(actions[c] for c, s in split.items() if s == "train"))
    assert train_ids == set().union(*actions.values())
    counts = {s: list(split.values()).count(s) for s in ("train", "val", "test")}
    assert counts["train"] >= int(0.7 * len(actions)) and counts["val"] > 0 and counts["test"] > 0
    rows = [AvaRow(c, 45, 0.1, 0.1, 0.9, 0.9, a, 1) for c in actions for a in actions[c]]
    assert split_report(rows, split)["sources_in_several_splits"] == 0


def test_leakage_report_on_the_released_split(fixtures_data_prep):
    with open(fixtures_data_prep / "val_test_clips.csv", newline="") as handle:
        released = {r["video_id"]: r["split"] for r in csv.DictReader(handle)}
    rows = [AvaRow(c, 52, 0.1, 0.1, 0.9, 0.9, 12, 1) for c in released]
    report = split_report(rows, released)
    assert report["val"]["clips"] == 475 and report["test"]["clips"] == 953
    assert report["val"]["sources"] == 41
    assert report["val_sources_also_in_test"] == 41, "every val source leaks into test"
