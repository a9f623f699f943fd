"""Stage stats against the published MicroG-4M statistics files."""

from __future__ import annotations

import csv

from data_prep.stats import run_stats


def released(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def write_actions_like_microg(fixtures, path):
    """actions.csv with the released per-class counts and persons-per-clip distribution.

    Labels are dealt round-robin to the 5 741 persons, so every person has at least one.
    """
    counts = [(int(r[0]), int(r[2])) for r in released(fixtures / "action_result_all.csv")[1:]]
    persons_per_clip = [
        (int(r[0]), int(r[1])) for r in released(fixtures / "person_count_all.csv")[1:]
    ]
    persons = []
    clip = 0
    for n_persons, n_clips in persons_per_clip:
        for _ in range(n_clips):
            kind = "m" if clip % 3 == 0 else "r"
            persons += [(f"SRC{clip % 97}_{clip:04d}", kind, p) for p in range(1, n_persons + 1)]
            clip += 1
    labels = [action for action, count in counts for _ in range(count)]
    lines = ["video_id,movie_or_real,person_id,action"]
    for i, action in enumerate(labels):
        video, kind, person = persons[i % len(persons)]
        lines.append(f"{video},{kind},{person},{action}")
    path.write_text("\n".join(lines) + "\n")
    return len(persons), clip


def test_statistics_reproduce_the_published_figures(tmp_path, fixtures_data_prep):
    persons, clips = write_actions_like_microg(fixtures_data_prep, tmp_path / "actions.csv")
    assert (persons, clips) == (5741, 4759)
    summary = run_stats(actions_csv=tmp_path / "actions.csv", out_dir=tmp_path / "stats")
    out = tmp_path / "stats"
    assert summary["all"] == {
        "clips": 4759, "labels": 13261, "classes": 50, "person_instances": 5741,
    }  # fmt: skip
    for name in ("label_type_result_all.csv", "person_count_all.csv"):
        assert (out / name).read_text() == (fixtures_data_prep / name).read_text(), name
    ours = released(out / "action_result_all.csv")
    theirs = released(fixtures_data_prep / "action_result_all.csv")
    assert ours[0] == theirs[0]
    assert sorted(ours[1:]) == sorted(theirs[1:]), "same ids, names, counts and ratios"
    assert [int(r[2]) for r in ours[1:]] == sorted((int(r[2]) for r in ours[1:]), reverse=True)
    movie = {int(r[0]): int(r[2]) for r in released(out / "action_result_movie.csv")[1:]}
    real = {int(r[0]): int(r[2]) for r in released(out / "action_result_real.csv")[1:]}
    for action_id, _, count, _ in theirs[1:]:
        assert movie.get(int(action_id), 0) + real.get(int(action_id), 0) == int(count)
    overall = released(out / "overall_result.csv")
    assert overall[0] == ["subset", "clips", "action_labels", "action_classes", "person_instances"]
    by_subset = {r[0]: [int(v) for v in r[1:]] for r in overall[1:]}
    assert by_subset["movie"][0] + by_subset["real"][0] == 4759
    assert {p.name for p in (out / "plots").iterdir()} == {
        "action_counts.png", "persons_and_label_types.png",
    }  # fmt: skip
