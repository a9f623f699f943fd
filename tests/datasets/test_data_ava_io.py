"""Label-map and box-CSV readers: the released files parse, every malformed input is an error."""

from __future__ import annotations

import csv
import re
from collections import Counter

import pytest

from slowfast_microg.datasets.ava_io import read_box_csv, read_label_map
from slowfast_microg.datasets.errors import DataError
from slowfast_microg.datasets.keyframes import group_keyframes
from slowfast_microg.datasets.microg_classes import MICROG_CLASSES, label_map_pbtxt

# The 50 ids of the MicroG-4M label map, as listed in the authors' statistics.
MICROG_IDS = [1, 3, 5, 6, 7, 8, 9, 10, 11, 12, 14, 17, 20, 22, 24, 26, 27, 28, 29, 30, 34, 36]
MICROG_IDS += [38, 41, 43, 45, 46, 47, 48, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68]
MICROG_IDS += [69, 70, 72, 74, 76, 78, 79, 80]


@pytest.fixture
def label_map(fixtures_dir):
    return read_label_map(fixtures_dir / "datasets" / "label_map.pbtxt")


def test_released_label_map_parses(label_map, fixtures_dir):
    assert label_map.ids == MICROG_IDS
    assert label_map.names[28] == "operate spaceship"
    assert label_map.names[12] == "stand"
    assert label_map.index[80] == 49
    csv_map = read_label_map(fixtures_dir / "datasets" / "label_map.csv")
    assert csv_map.names == label_map.names


def test_embedded_classes_equal_the_released_map(label_map, fixtures_dir):
    assert dict(MICROG_CLASSES) == label_map.names
    released = (fixtures_dir / "datasets" / "label_map.pbtxt").read_text(encoding="utf-8")
    assert label_map_pbtxt() == released


def test_pbtxt_layout_variants(tmp_path):
    path = tmp_path / "map.pbtxt"
    path.write_text(
        '# comment\nitem { id: 5 name: "fall down" }\nitem{\n name:"b {x}" label_type: X\n'
        "  id: 3\n}\n"
    )
    parsed = read_label_map(path)
    assert parsed.ids == [3, 5]
    assert parsed.names == {3: "b {x}", 5: "fall down"}


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", r"map\.pbtxt: label map is empty"),
        ('item {\n  name: "a"\n', r"map\.pbtxt:3: label map ends while .* expected"),
        ('item {\n  name: "a"\n}\n', r"map\.pbtxt:1: item has no 'id' field"),
        (
            'item {\n  name: "a"\n  id: x\n}\n',
            r"map\.pbtxt:3: label id is not an integer \(value 'x'\)",
        ),
        (
            'item { name: "a" id: 1 }\nitem { name: "b" id: 1 }\n',
            r"map\.pbtxt:2: label id 1 appears twice",
        ),
        ('entry { name: "a" id: 1 }\n', r"map\.pbtxt:1: expected 'item \{' \(value 'entry'\)"),
        ('item { name: "a id: 1 }\n', r"map\.pbtxt:1: unexpected character"),
    ],
)
def test_bad_label_maps(tmp_path, text, pattern):
    path = tmp_path / "map.pbtxt"
    path.write_text(text)
    with pytest.raises(DataError, match=pattern):
        read_label_map(path)


def test_missing_label_map_names_the_key(tmp_path):
    with pytest.raises(DataError, match=r"does not exist\. It is named by AVA\.LABEL_MAP_FILE"):
        read_label_map(tmp_path / "nope.pbtxt")


def test_released_ground_truth_rows_parse(label_map, fixtures_dir):
    path = fixtures_dir / "datasets" / "ava_test_gt_head.csv"
    rows = read_box_csv(path, kind="gt", label_map=label_map, config_key="AVA.GROUNDTRUTH_FILE")
    with path.open() as handle:
        expected = list(csv.reader(handle))
    assert len(rows) == len(expected) == 40
    for row, cols in zip(rows, expected, strict=True):
        assert (row.clip_id, row.stamp, row.action_id) == (cols[0], int(cols[1]), int(cols[6]))
        assert row.box == tuple(float(v) for v in cols[2:6])
        assert row.box_key == ",".join(cols[2:6])
        assert row.score is None
    assert rows[3].source == f"{path}:4"


def _write(tmp_path, lines):
    path = tmp_path / "boxes.csv"
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


GOOD = "clipA,52,0.1,0.2,0.5,0.9,12,1"


@pytest.mark.parametrize(
    ("kind", "line", "pattern"),
    [
        ("gt", "clipA,52,0.1,0.2,0.5,0.9", r":2: 6 columns, expected 7 or 8"),
        ("gt", "clipA,52,0.1,0.2,0.5,0.9,12,1,7", r":2: 9 columns"),
        ("predicted", "clipA,52,0.1,0.2,0.5,0.9,12", r":2: 7 columns, expected 8 .*score"),
        ("gt", "clipA,5x,0.1,0.2,0.5,0.9,12,1", r":2: the frame stamp \(column 2\) is '5x'"),
        ("gt", "clipA,52,0.1,abc,0.5,0.9,12,1", r":2: y1 \(column 4\) is 'abc'"),
        ("gt", "clipA,52,0.1,0.2,nan,0.9,12,1", r":2: x2 \(column 5\) is 'nan'"),
        ("gt", "clipA,52,0.6,0.2,0.5,0.9,12,1", r":2: box 0.6,0.2,0.5,0.9 has x1 > x2"),
        ("gt", "clipA,52,0.1,0.95,0.5,0.9,12,1", r":2: box .* y1 > y2"),
        ("gt", "clipA,52,0.1,0.2,0.5,1.0011,12,1", r":2: y2 is '1.0011', outside \[0, 1\]"),
        ("gt", "clipA,52,-0.002,0.2,0.5,0.9,12,1", r":2: x1 is '-0.002', outside"),
        ("gt", "clipA,52,0.1,0.2,0.5,0.9,2,1", r":2: action id 2 is not in the label map .*pbtxt"),
        ("gt", "clipA,52,0.1,0.2,0.5,0.9,,1", r":2: the action id \(column 7\) is ''"),
        ("gt", "clipA,52,0.1,0.2,0.5,0.9,12,p1", r":2: the person id \(column 8\) is 'p1'"),
        ("predicted", "clipA,52,0.1,0.2,0.5,0.9,,high", r":2: the score \(column 8\) is 'high'"),
        ("gt", ",52,0.1,0.2,0.5,0.9,12,1", r":2: the clip id \(column 1\) is empty"),
    ],
)
def test_each_malformed_row_is_located(tmp_path, label_map, kind, line, pattern):
    good = GOOD if kind == "gt" else "clipA,52,0.1,0.2,0.5,0.9,,1"
    path = _write(tmp_path, [good, line])
    with pytest.raises(DataError, match=re.escape(str(path)) + pattern):
        read_box_csv(path, kind=kind, label_map=label_map, config_key="KEY")


def test_header_row_gets_a_hint(tmp_path, label_map):
    path = _write(tmp_path, ["video_id,frame_stamp,x1,y1,x2,y2,action_id,person_id", GOOD])
    with pytest.raises(DataError, match=r":1: .*'frame_stamp'.*must have no header row"):
        read_box_csv(path, kind="gt", label_map=label_map, config_key="KEY")


def test_tolerance_and_optional_columns(tmp_path, label_map):
    path = _write(tmp_path, ["clipA,52,-0.001,0.2,0.5,1.001,12", "", "clipB,7,0,0,1,1,80,3"])
    rows = read_box_csv(path, kind="gt", label_map=label_map, config_key="KEY")
    assert [(r.clip_id, r.stamp, r.action_id) for r in rows] == [
        ("clipA", 52, 12),
        ("clipB", 7, 80),
    ]
    assert rows[1].source.endswith(":3")
    predicted = _write(
        tmp_path, ["clipA,52,0.1,0.2,0.5,0.9,,0.75", "clipA,52,0.1,0.2,0.5,0.9,17,1"]
    )
    rows = read_box_csv(predicted, kind="predicted", label_map=label_map, config_key="KEY")
    assert [(r.action_id, r.score) for r in rows] == [(None, 0.75), (17, 1.0)]


def test_empty_and_missing_files(tmp_path, label_map):
    empty = _write(tmp_path, ["", "  "])
    with pytest.raises(DataError, match=r"boxes\.csv: the file is empty; AVA\.TEST_PREDICT_BOX"):
        read_box_csv(
            empty, kind="predicted", label_map=label_map, config_key="AVA.TEST_PREDICT_BOX_LISTS"
        )
    with pytest.raises(
        DataError, match=r"missing\.csv does not exist\. It is named by MICROG\.VAL_"
    ):
        read_box_csv(
            tmp_path / "missing.csv",
            kind="predicted",
            label_map=label_map,
            config_key="MICROG.VAL_PREDICT_BOX_LISTS",
        )


def test_released_validation_split_statistics(label_map, fixtures_dir):
    """Grouping the released val ground truth reproduces the split statistics the authors
    logged: 1 329 rows, 475 clips, 542 keyframes, 570 persons; rows per person 1:127 2:196
    3:184 4:57 5:6; boxes per keyframe 1:514 2:28."""
    path = fixtures_dir / "datasets" / "ava_val_gt.csv"
    rows = read_box_csv(
        path, kind="gt", label_map=label_map, config_key="MICROG.VAL_GROUNDTRUTH_FILE"
    )
    keyframes = group_keyframes(rows, label_map=label_map, score_thresh=0.0)
    frames = [kf for clip in keyframes.values() for kf in clip]
    assert (len(rows), len(keyframes), len(frames)) == (1329, 475, 542)
    assert sum(len(kf.boxes) for kf in frames) == 570
    assert Counter(len(kf.boxes) for kf in frames) == {1: 514, 2: 28}
    rows_per_person = Counter(Counter((r.clip_id, r.stamp, r.box_key) for r in rows).values())
    assert rows_per_person == {1: 127, 2: 196, 3: 184, 4: 57, 5: 6}
    # Two persons repeat an action row (ISS_687 person 2: id 80 twice; QvTmdIhYnes_343 person
    # 1: id 17 twice); multi-hot labels count each action once.
    labels_per_person = Counter(int(n) for kf in frames for n in kf.labels.sum(axis=1))
    assert labels_per_person == {1: 127, 2: 196, 3: 185, 4: 57, 5: 5}
