"""to_ava rules: median frame stamp, pandas-style rounding, row order, and reported losses."""

from __future__ import annotations

from dataclasses import replace

from data_prep.actions_csv import ActionRow, read_actions
from data_prep.boxes_csv import BoxRow, read_boxes
from data_prep.to_ava import AvaRow, ClipInfo, convert, format_row, normalise, pick_stamp


def boxes_for(clip, person, frames, box=(64, 48, 320, 432), start_line=2):
    return [BoxRow(clip, f, person, *box, 0.9, start_line + i) for i, f in enumerate(frames)]


def test_stamp_is_the_frame_closest_to_the_median():
    assert pick_stamp(boxes_for("a", 1, range(15, 91))).frame_id == 52  # median 52.5, tie -> 52
    assert pick_stamp(boxes_for("a", 1, range(6, 91))).frame_id == 48  # median 48
    assert pick_stamp(boxes_for("a", 1, [10, 20])).frame_id == 10
    assert pick_stamp(boxes_for("a", 1, [20, 10])).frame_id == 20, "ties: earlier row in the file"


def test_rounding_follows_numpy_like_pandas():
    clip = ClipInfo("a", 2000, 1000, 90)
    row = BoxRow("a", 1, 1, 1.0, 0.5, 1999.0, 1000.0, None, 2)
    # 1 / 2000 = 0.0005: numpy rounds half to even on the scaled value -> 0.0 (Python's
    # round() would give 0.001).
    assert normalise(row, clip, decimals=3, clip_boxes=False) == (0.0, 0.0, 1.0, 1.0)
    clip = ClipInfo("a", 640, 480, 90)
    row = BoxRow("a", 1, 1, 179.0, 47.0, 634.0, 480.0, None, 2)
    assert normalise(row, clip, decimals=3, clip_boxes=False) == (0.28, 0.098, 0.991, 1.0)


def test_released_rows_are_reproduced_byte_for_byte(fixtures_data_prep):
    lines = (fixtures_data_prep / "ava_val_gt_sample.csv").read_text().splitlines()
    for line in lines:
        f = line.split(",")
        row = AvaRow(f[0], int(f[1]), *map(float, f[2:6]), int(f[6]), int(f[7]))
        assert ",".join(format_row(row)) == line


def test_convert_orders_rows_and_reports_every_loss():
    boxes = (
        boxes_for("A_000", 1, range(15, 91), start_line=2)
        + boxes_for("A_000", 2, range(6, 91), box=(0, 0, 640, 480), start_line=100)
        + boxes_for("A_000", 3, range(20, 40), start_line=200)
        + boxes_for("B_000", 1, range(1, 50), start_line=300)
    )
    # Rows sorted by frame as a tracker writes them: person 2's stamp (48) comes before
    # person 1's (52) in the file.
    boxes.sort(key=lambda r: (r.video_id, r.frame_id, r.person_id))
    boxes = [replace(r, line=i + 2) for i, r in enumerate(boxes)]
    actions = [
        ActionRow("A_000", "r", 1, 12, 2),
        ActionRow("A_000", "r", 1, 17, 3),
        ActionRow("A_000", "r", 2, 14, 4),
        ActionRow("A_000", "r", 1, 17, 5),
        ActionRow("A_000", "r", 4, 79, 6),
        ActionRow("B_000", "r", 1, 80, 7),
    ]
    clips = {"A_000": ClipInfo("A_000", 640, 480, 90)}
    rows, problems = convert(
        boxes=boxes, actions=actions, clips=clips, boxes_file="b.csv", actions_file="a.csv"
    )
    assert [(r.person_id, r.frame_stamp, r.action_id) for r in rows] == [
        (2, 48, 14), (1, 52, 12), (1, 52, 17), (1, 52, 17),
    ]  # fmt: skip
    assert (rows[0].x1, rows[0].y1, rows[0].x2, rows[0].y2) == (0.0, 0.0, 1.0, 1.0)
    assert (rows[1].x1, rows[1].y1, rows[1].x2, rows[1].y2) == (0.1, 0.1, 0.5, 0.9)
    issues = {(p.issue, p.line) for p in problems}
    assert ("duplicate_action", 5) in issues
    assert ("no_boxes", 6) in issues, "a label without boxes is reported, not dropped silently"
    assert ("clip_not_found", 7) in issues
    assert any(p.issue == "unlabelled_person" and p.person_id == "3" for p in problems)
    deduped, _ = convert(
        boxes=boxes, actions=actions, clips=clips, boxes_file="b.csv", actions_file="a.csv",
        dedupe_actions=True,
    )  # fmt: skip
    assert len(deduped) == 3


def test_stamp_outside_the_clip_is_reported():
    boxes = boxes_for("A_000", 1, [95, 96, 97])
    actions = [ActionRow("A_000", "m", 1, 12, 2)]
    rows, problems = convert(
        boxes=boxes, actions=actions, clips={"A_000": ClipInfo("A_000", 64, 48, 90)},
        boxes_file="b.csv", actions_file="a.csv",
    )  # fmt: skip
    assert rows == [] and [p.issue for p in problems] == ["stamp_out_of_range"]


def test_readers_accept_the_released_boxes_file_and_report_bad_lines(tmp_path):
    boxes = tmp_path / "bounding_boxes.csv"
    boxes.write_text(
        "video_id,frame_id,person_id,xmin,ymin,xmax,ymax\n"
        "X_001.mp4,15,1,10,20,30,40\n"
        "X_001.mp4,16,1,10,20,oops,40\n"
    )
    rows, problems = read_boxes(boxes)
    assert rows[0].video_id == "X_001" and rows[0].confidence is None
    assert [(p.line, p.issue) for p in problems] == [(3, "bad_row")]
    actions = tmp_path / "actions.csv"
    actions.write_text(
        "video_id,movie_or_real,person_id,action\n"
        "X_001,r,1,12\nX_001,x,1,12\nX_001,r,1,99\nX_001,r,one,12\n"
    )
    rows, problems = read_actions(actions)
    assert len(rows) == 1
    assert [(p.line, p.issue) for p in problems] == [
        (3, "bad_movie_or_real"), (4, "bad_action_id"), (5, "bad_row"),
    ]  # fmt: skip
