"""Qualitative panels: label status and colours, run matching, and ``tools/visualize.py``."""

from __future__ import annotations

import html
import logging
import math
import re
import struct
from collections import Counter

import numpy as np
import pytest
from demo_synthetic import SLOWFAST_CFG, read_video

from slowfast_microg.datasets.frame_sources import decode_image_bytes
from slowfast_microg.demo.cli_config import config_from_arguments, split_config_arguments
from slowfast_microg.demo.panel_inputs import Person, Selection, add_run, predicted_ids
from slowfast_microg.demo.panels import (
    COLUMN_WIDTH_IN,
    DPI,
    GREY,
    LABEL_WIDTH_IN,
    RED,
    RUN_COLOURS,
    classify_labels,
    label_colour,
)
from slowfast_microg.demo.visualize import build_parser, frame_reader, main
from slowfast_microg.evaluation import Detections, read_gt_csv, write_detections_csv


def test_classify_labels():
    assert classify_labels({12, 9}, {9, 20, 5}) == [
        (9, "correct"),
        (12, "missed"),
        (5, "false"),
        (20, "false"),
    ]
    assert classify_labels({3}, None) == [(3, "missed")]
    assert classify_labels(set(), {7}) == [(7, "false")]
    assert classify_labels({4}, {4}) == [(4, "correct")]


def test_label_colours():
    run = RUN_COLOURS[0]
    assert [label_colour(s, run) for s in ("correct", "missed", "false")] == [run, GREY, RED]
    assert RED not in RUN_COLOURS and GREY not in RUN_COLOURS


def test_predicted_ids_threshold_top_k_and_absent_classes():
    scores = np.array([0.9, np.nan, 0.4, 0.7])
    ids = np.array([1, 2, 3, 4])
    assert predicted_ids(scores, ids, Selection(threshold=0.5)) == {1, 4}
    assert predicted_ids(scores, ids, Selection(top_k=1)) == {1}
    assert predicted_ids(scores, ids, Selection()) == {1, 3, 4}
    assert predicted_ids(scores, ids, Selection(threshold=0.5, top_k=5)) == {1, 4}
    assert Selection(threshold=0.5, top_k=3).describe() == "top-3, score >= 0.5"


def test_runs_match_by_iou_once_and_keep_unmatched_boxes():
    persons = [Person(box=(0.0, 0.0, 0.5, 0.5), gt={1}), Person(box=(0.5, 0.5, 1.0, 1.0), gt={2})]
    detections = Detections(
        keys=np.array(["v,0001"] * 3 + ["v,0002"]),
        boxes=np.array(
            [[0.0, 0.0, 0.5, 0.45], [0.0, 0.0, 0.5, 0.5], [0.9, 0.0, 1.0, 0.1], [0.5, 0.5, 1, 1]]
        ),
        scores=np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.0], [0.9, 0.9]]),
        class_ids=np.array([1, 2]),
    )
    extra = add_run(persons, detections, key="v,0001", run="A", selection=Selection(threshold=0.5))
    assert persons[0].predicted == {"A": {2}}  # the exact box (IoU 1) wins over IoU 0.9
    assert persons[1].predicted == {}
    assert [(p.box, p.gt, p.predicted) for p in extra] == [
        ((0.0, 0.0, 0.5, 0.45), set(), {"A": {1}}),
        ((0.9, 0.0, 1.0, 0.1), set(), {"A": {1}}),
    ]


@pytest.mark.parametrize("layout", ["frames", "videos"])
def test_key_frame_is_the_annotated_frame(sample_root, layout):
    args = build_parser().parse_args(
        ["--cfg", str(SLOWFAST_CFG), "DATA.PATH_TO_DATA_DIR", str(sample_root),
         "MICROG.LAYOUT", layout, "--run", "x=y", "--out", "z"]
    )  # fmt: skip
    cfg = config_from_arguments(split_config_arguments(args))
    frame = frame_reader(cfg, split="val")("synth00_002", 52)
    if layout == "videos":
        decoded = read_video(sample_root / "videos" / "synth00_002.mp4")[0]
        np.testing.assert_array_equal(frame, decoded[51])  # stamp 52 is the 52nd frame
        assert not np.array_equal(frame, decoded[52])
    else:
        jpeg = sample_root / "frames" / "synth00_002" / "synth00_002_000052.jpg"
        expected = decode_image_bytes(jpeg.read_bytes()).permute(1, 2, 0).numpy()
        np.testing.assert_array_equal(frame, expected)


def _svg_texts(path) -> list[tuple[str, str | None]]:
    texts = []
    for style, body in re.findall(r'<text style="([^"]*)"[^>]*>([^<]*)</text>', path.read_text()):
        fill = re.search(r"fill: (#[0-9a-f]{6})", style)
        texts.append((html.unescape(body), fill.group(1) if fill else None))
    return texts


def _png_size(path) -> tuple[int, int]:
    with path.open("rb") as handle:
        header = handle.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def test_visualize_draws_gt_and_runs(sample_root, tmp_path):
    gt_path = sample_root / "annotations" / "ava_val_gt.csv"
    gt = read_gt_csv(gt_path)
    rows = {(k, tuple(b)): set() for k, b in zip(gt.keys, gt.boxes.tolist(), strict=True)}
    for k, b, label in zip(gt.keys, gt.boxes.tolist(), gt.labels.tolist(), strict=True):
        rows[(k, tuple(b))].add(label)
    # The sample's val clip: at stamp 52 person 1 {9, 17} and person 2 {12}; at 49 {14, 17}.
    assert list(rows.values()) == [{9, 17}, {12}, {14, 17}]
    boxes = [list(box) for _, box in rows]
    class_ids = np.array([9, 12, 14, 17, 20, 36])
    a_scores = np.full((4, 6), -3.0)
    a_scores[0, [0, 4]] = 2.0  # person 1: 9 correct, 17 missed, 20 false
    a_scores[1, 1] = 1.0  # person 2: 12 correct
    a_scores[3, 5] = 1.5  # a box without ground truth: 36 false
    run_a = Detections(
        keys=np.array(["synth00_002,52", "synth00_002,52", "synth00_002,49", "synth00_002,52"]),
        boxes=np.array([*boxes, [0.0, 0.0, 0.1, 0.1]]),
        scores=a_scores,
        class_ids=class_ids,
    )
    run_b = Detections(
        keys=run_a.keys[:3], boxes=run_a.boxes[:3], scores=np.zeros((3, 6)), class_ids=class_ids
    )
    write_detections_csv(tmp_path / "a.csv", run_a)
    (tmp_path / "run_b").mkdir()
    write_detections_csv(tmp_path / "run_b" / "detections_val.csv", run_b)
    code = main(
        ["--cfg", str(SLOWFAST_CFG), "DATA.PATH_TO_DATA_DIR", str(sample_root),
         "--split", "val", "--run", f"A={tmp_path / 'a.csv'}", "--run", f"B={tmp_path / 'run_b'}",
         "--keys", "synth00_002,52", "synth00_002,0049", "--out", str(tmp_path / "fig" / "panels")]
    )  # fmt: skip
    assert code == 0
    png, svg = tmp_path / "fig" / "panels.png", tmp_path / "fig" / "panels.svg"
    width, height = _png_size(png)
    assert width == round((LABEL_WIDTH_IN + 2 * COLUMN_WIDTH_IN) * DPI)
    assert height > COLUMN_WIDTH_IN * 0.75 * DPI
    texts = _svg_texts(svg)
    colour_a, colour_b = RUN_COLOURS[:2]

    def fills(text):
        return Counter(fill for body, fill in texts if body == text)

    # Each label: black in the GT row (no fill), then run A's and run B's colour for it.
    assert fills("[1] martial art") == Counter([None, colour_a, GREY])
    assert fills("[1] carry/hold (an object)") == Counter([None, GREY, GREY])
    assert fills("[1] climb (e.g., a mountain)") == Counter([RED])
    assert fills("[2] stand") == Counter([None, colour_a, GREY])
    assert fills("[3] lift/pick up") == Counter([RED])
    assert fills("walk") == Counter([None, GREY, GREY])  # one person: no number
    assert fills("A") == Counter([colour_a]) and fills("B") == Counter([colour_b])
    assert fills("(score >= 0.5)") == Counter([colour_a, colour_b])  # MICROG.EVAL_THRESHOLD
    assert Counter(body for body, _ in texts if body.isdigit()) == Counter("1231")  # box numbers


def test_visualize_errors_exit_2(sample_root, tmp_path, caplog):
    base = ["--cfg", str(SLOWFAST_CFG), "DATA.PATH_TO_DATA_DIR", str(sample_root), "--split", "val"]
    out = ["--out", str(tmp_path / "x")]
    cases = [
        (["--run", "A"], "expected NAME=PATH"),
        (["--run", f"A={tmp_path / 'none.csv'}"], "none.csv does not exist"),
    ]
    (tmp_path / "bad.csv").write_text("synth00_002,52,0.1,0.1,0.5,0.5,999,0.5\n")
    cases.append((["--run", f"A={tmp_path / 'bad.csv'}"], "bad.csv:1"))
    (tmp_path / "ok.csv").write_text("synth00_002,52,0.1,0.1,0.5,0.5,12,0.5\n")
    cases.append((["--run", f"A={tmp_path / 'ok.csv'}", "--keys", "nope,3"], "no ground truth"))
    cases.append((["--run", f"A={tmp_path / 'ok.csv'}", "--top-k", "1", "2"], "one per run"))
    for extra, message in cases:
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            assert main([*base, *extra, *out]) == 2
        assert message in caplog.text, (extra, caplog.text)
    assert not (tmp_path / "x.png").exists()


def test_selection_defaults(sample_root):
    from slowfast_microg.demo.visualize import selections

    args = build_parser().parse_args(["--cfg", "c.yaml", "--run", "a=b", "--out", "o"])
    assert selections(args, num_runs=2, default=0.5) == [Selection(threshold=0.5)] * 2
    args.top_k, args.threshold = [3], None
    assert selections(args, num_runs=1, default=0.5) == [Selection(-math.inf, 3)]
    args.top_k, args.threshold = [3, 1], [0.2]
    assert selections(args, num_runs=2, default=0.5) == [Selection(0.2, 3), Selection(0.2, 1)]
