"""The demo's CSV formats: output rows and the precomputed-boxes reader with its errors."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from slowfast_microg.demo.demo_csv import (
    BoxActions,
    format_rows,
    output_header,
    read_boxes_csv,
    rows_to_text,
)
from slowfast_microg.demo.errors import DemoError


def test_output_rows_pad_missing_actions_and_quote_names(tmp_path):
    items = [
        BoxActions(box=(1.0, 2.0, 30.5, 40.25), person_score=0.9, actions=[(20, "a, b", 0.75)]),
        BoxActions(box=(5.0, 6.0, 7.0, 8.0), person_score=1.0, actions=[]),
    ]
    text = rows_to_text(output_header(2), format_rows(12, fps=25.0, boxes=items, top_k=2))
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == [
        "frame", "time_s", "x1", "y1", "x2", "y2", "person_score",
        "action1_id", "action1_name", "action1_score",
        "action2_id", "action2_name", "action2_score",
    ]  # fmt: skip
    assert rows[1] == [
        "12", "0.480", "1.0", "2.0", "30.5", "40.2", "0.9000", "20", "a, b", "0.7500", "", "", "",
    ]  # fmt: skip
    assert rows[2][7:] == [""] * 6


def test_output_is_a_valid_boxes_file(tmp_path):
    items = [BoxActions(box=(1.0, 2.0, 30.0, 40.0), person_score=0.5, actions=[(3, "x", 0.2)])]
    path = tmp_path / "out.csv"
    path.write_text(rows_to_text(output_header(1), format_rows(8, fps=30.0, boxes=items, top_k=1)))
    boxes = read_boxes_csv(path, width=64, height=48)
    assert list(boxes) == [8]
    np.testing.assert_allclose(boxes[8], [[1.0, 2.0, 30.0, 40.0, 0.5]])


def test_boxes_group_by_frame_and_default_score(tmp_path):
    path = tmp_path / "boxes.csv"
    path.write_text("x1,y1,x2,y2,frame,note\n1,2,3,4,0,a\n5,6,7,8,4,b\n9,9,10,10,0,c\n")
    boxes = read_boxes_csv(path, width=20, height=20)
    np.testing.assert_array_equal(boxes[0], [[1, 2, 3, 4, 1], [9, 9, 10, 10, 1]])
    np.testing.assert_array_equal(boxes[4], [[5, 6, 7, 8, 1]])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("frame,x1,y1,x2\n0,1,2,3\n", r"boxes.csv:1: the header lacks y2"),
        ("frame,x1,y1,x2,y2\n0,1,2,3,4\n1.5,1,2,3,4\n", r"boxes.csv:3: column frame is '1.5'"),
        ("frame,x1,y1,x2,y2\n0,5,2,3,4\n", r"boxes.csv:2: box \(5.0, 2.0, 3.0, 4.0\) is empty"),
        ("frame,x1,y1,x2,y2\n0,0,0,0.5,0.5\n0,1,2,99,4\n", r"boxes.csv:3: .* outside the 20x10"),
        ("frame,x1,y1,x2,y2,score\n0,1,2,3,4,nan\n", r"boxes.csv:2: column score is 'nan'"),
        ("frame,x1,y1,x2,y2\n0,1,2,3\n", r"boxes.csv:2: expected 5 columns"),
    ],
)
def test_bad_boxes_name_the_line(tmp_path, text, message):
    path = tmp_path / "boxes.csv"
    path.write_text(text)
    with pytest.raises(DemoError, match=message):
        read_boxes_csv(path, width=20, height=10)


def test_missing_boxes_file(tmp_path):
    with pytest.raises(DemoError, match="nope.csv does not exist"):
        read_boxes_csv(tmp_path / "nope.csv", width=20, height=10)
