"""AVA-format CSV reading and writing: published files, format variants and every bad-input case."""

import gzip
from pathlib import Path

import numpy as np
import pytest

from slowfast_microg.evaluation import (
    Detections,
    EvaluationInputError,
    GroundTruth,
    make_key,
    read_ap_per_class_csv,
    read_detections_csv,
    read_exclusions,
    read_gt_csv,
    read_label_map,
    write_ap_per_class_csv,
    write_detections_csv,
)

LABELS = {1: "walk", 3: "sit", 80: "watch (a person)"}


@pytest.fixture(scope="module")
def eval_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "eval"


def test_published_ground_truth_counts(eval_dir: Path) -> None:
    label_map = read_label_map(eval_dir / "label_map.pbtxt")
    gt = read_gt_csv(eval_dir / "ava_test_gt.csv", label_map=label_map)
    # Counts stated in the dataset documentation: 2,656 rows, 1,091 frames, 1,136 boxes.
    assert len(gt) == 2656
    assert np.unique(gt.keys).size == 1091
    assert (
        np.unique(
            np.column_stack([np.unique(gt.keys, return_inverse=True)[1], gt.boxes]), axis=0
        ).shape[0]
        == 1136
    )
    # Duplicate rows are kept (6 exact duplicates in the test split).
    rows = [
        (k, *b, c)
        for k, b, c in zip(gt.keys.tolist(), gt.boxes.tolist(), gt.labels.tolist(), strict=True)
    ]
    assert len(rows) - len(set(rows)) == 6
    assert gt.keys[0] == "SE4HsMi3KoU_359,0052"


def test_published_detections_round_trip_byte_identical(eval_dir: Path, tmp_path: Path) -> None:
    label_map = read_label_map(eval_dir / "label_map.pbtxt")
    det = read_detections_csv(
        eval_dir / "I3D_8x8_R50" / "detections_test.csv.gz", label_map=label_map
    )
    assert det.scores.shape == (1137, 50)
    assert det.scores_rounded
    assert not np.isnan(det.scores).any()
    # DistributedSampler's padded copy of the first frame stays a second box.
    assert det.keys[0] == det.keys[1] == "zAxtRSNBXtM_001,0052"
    np.testing.assert_array_equal(det.scores[0], det.scores[1])
    out = tmp_path / "detections_test.csv"
    write_detections_csv(out, det)
    with gzip.open(eval_dir / "I3D_8x8_R50" / "detections_test.csv.gz", "rb") as handle:
        assert out.read_bytes() == handle.read()


def test_stamps_compare_as_integers_and_rows_group_by_box(tmp_path: Path) -> None:
    path = tmp_path / "det.csv"
    path.write_text(
        "v1,52,0.1,0.1,0.5,0.5,1,0.9\n"
        "v2,7,0.2,0.2,0.6,0.6,1,0.3\n"
        "v1,0052,0.1,0.1,0.5,0.5,80,0.8\n"
        "v1,52,0.100,0.1,0.5,0.5,1,0.7\n",
        encoding="utf-8",
    )
    det = read_detections_csv(path, label_map=LABELS)
    assert det.keys.tolist() == ["v1,0052", "v2,0007", "v1,0052"]
    np.testing.assert_array_equal(det.class_ids, [1, 3, 80])
    np.testing.assert_array_equal(det.scores[0], [0.9, np.nan, 0.8])
    np.testing.assert_array_equal(det.scores[2], [0.7, np.nan, np.nan])
    assert make_key("v1", "0052") == make_key("v1", 52) == "v1,0052"


def test_ground_truth_with_7_or_mixed_columns(tmp_path: Path) -> None:
    path = tmp_path / "gt.csv"
    path.write_text("v,1,0,0,1,1,1\nv,1,0,0,1,1,3,2\n", encoding="utf-8")
    gt = read_gt_csv(path, label_map=LABELS)
    np.testing.assert_array_equal(gt.labels, [1, 3])
    assert gt.keys.tolist() == ["v,0001", "v,0001"]


def test_box_tolerance_and_exclusions(tmp_path: Path) -> None:
    ok = tmp_path / "gt.csv"
    ok.write_text("v,1,-0.001,0,1.001,1,1\n", encoding="utf-8")
    assert len(read_gt_csv(ok)) == 1
    excl = tmp_path / "excl.csv"
    excl.write_text("v,52\nw,0007\n", encoding="utf-8")
    assert read_exclusions(excl) == {"v,0052", "w,0007"}
    empty = tmp_path / "none.csv"
    empty.write_text("", encoding="utf-8")
    assert read_exclusions(empty) == set()


DET_ROW = "v,52,0.1,0.2,0.5,0.6,1,0.9"


@pytest.mark.parametrize(
    ("content", "line", "fragments"),
    [
        (f"{DET_ROW}\nv,52,0.1,0.2,0.5,0.6,1\n", 2, ["row has 7 columns", "Expected 8 columns"]),
        (f"{DET_ROW}\nv,52,0.1,0.2,0.5,0.6,1,0.9,4\n", 2, ["row has 9 columns"]),
        (
            f"{DET_ROW}\nv,52,0.1,abc,0.5,0.6,1,0.9\n",
            2,
            ["column 4 (y1) is not a finite number", "'abc'"],
        ),
        (
            f"{DET_ROW}\nv,52,0.1,0.2,0.5,0.6,1,nan\n",
            2,
            ["column 8 (score) is not a finite number"],
        ),
        (
            f"{DET_ROW}\nv,x52,0.1,0.2,0.5,0.6,1,0.9\n",
            2,
            ["column 2 (stamp) is not an integer", "'x52'"],
        ),
        (f"{DET_ROW}\nv,52,0.6,0.2,0.5,0.6,1,0.9\n", 2, ["x1 > x2", "0.6 > 0.5"]),
        (f"{DET_ROW}\nv,52,0.1,0.7,0.5,0.6,1,0.9\n", 2, ["y1 > y2"]),
        (f"{DET_ROW}\nv,52,0.1,0.2,1.2,0.6,1,0.9\n", 2, ["x2 is outside [0, 1]", "'1.2'"]),
        (
            f"{DET_ROW}\nv,52,0.1,0.2,0.5,0.6,2,0.9\n",
            2,
            ["action id is not in the label map", "'2'"],
        ),
        (
            f"{DET_ROW}\nv,52,0.1,0.2,0.5,0.6,1.5,0.9\n",
            2,
            ["column 7 (action_id) is not an integer"],
        ),
        (f"{DET_ROW}\n\n{DET_ROW}\n", 2, ["blank line"]),
        ("video,stamp,x1,y1,x2,y2,action,score\n", 1, ["not an integer", "no header row"]),
        (f"{DET_ROW}\n,52,0.1,0.2,0.5,0.6,1,0.9\n", 2, ["video id is empty"]),
    ],
)
def test_bad_detection_rows_name_file_line_and_value(
    tmp_path: Path, content: str, line: int, fragments: list[str]
) -> None:
    path = tmp_path / "dets.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EvaluationInputError) as info:
        read_detections_csv(path, label_map=LABELS, label_map_name=" (labels.pbtxt)")
    message = str(info.value)
    assert f"dets.csv:{line}:" in message
    for fragment in fragments:
        assert fragment in message
    assert info.value.line == line


def test_bad_ground_truth_and_empty_or_missing_files(tmp_path: Path) -> None:
    gt = tmp_path / "gt.csv"
    gt.write_text("v,1,0,0,1,1,1\nv,1,0,0,1,1\n", encoding="utf-8")
    with pytest.raises(
        EvaluationInputError, match=r"gt\.csv:2: row has 6 columns.*Expected 7 or 8"
    ):
        read_gt_csv(gt)
    gt.write_text("v,1,0,0,1,1,4\n", encoding="utf-8")
    with pytest.raises(EvaluationInputError, match=r"gt\.csv:1: action id is not in the label map"):
        read_gt_csv(gt, label_map=LABELS)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(EvaluationInputError, match=r"empty\.csv: file is empty"):
        read_detections_csv(empty)
    with pytest.raises(EvaluationInputError, match=r"nope\.csv: ground truth file does not exist"):
        read_gt_csv(tmp_path / "nope.csv")
    excl = tmp_path / "excl.csv"
    excl.write_text("v,52,3\n", encoding="utf-8")
    with pytest.raises(EvaluationInputError, match=r"excl\.csv:1: row has 3 columns"):
        read_exclusions(excl)


def test_in_memory_structures_validate_shapes_and_keys() -> None:
    with pytest.raises(EvaluationInputError, match="boxes must have shape"):
        GroundTruth(keys=["v,1"], boxes=np.zeros((2, 4)), labels=[1])
    with pytest.raises(EvaluationInputError, match="non-integer stamp"):
        GroundTruth(keys=["v,x"], boxes=np.zeros((1, 4)), labels=[1])
    with pytest.raises(EvaluationInputError, match="scores must have shape"):
        Detections(keys=["v,1"], boxes=np.zeros((1, 4)), scores=np.zeros((1, 2)), class_ids=[1])
    with pytest.raises(EvaluationInputError, match="repeat an id"):
        Detections(keys=["v,1"], boxes=np.zeros((1, 4)), scores=np.zeros((1, 2)), class_ids=[1, 1])
    det = Detections(keys=["v,1"], boxes=np.zeros((1, 4)), scores=np.zeros((1, 1)), class_ids=[1])
    assert det.keys.tolist() == ["v,0001"]


def test_ap_per_class_writer_matches_the_published_format(eval_dir: Path, tmp_path: Path) -> None:
    published = eval_dir / "I3D_8x8_R50" / "ap_per_class_test.csv"
    table = read_ap_per_class_csv(published)
    out = tmp_path / "ap.csv"
    write_ap_per_class_csv(
        out, {c: ap for c, (ap, _) in table.items()}, {c: n for c, (_, n) in table.items()}
    )
    assert out.read_text(encoding="utf-8") == published.read_text(encoding="utf-8")
    assert sum(np.isnan(ap) for ap, _ in table.values()) == 9


def test_fast_number_parsing_equals_python_float_and_int(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    values = [
        f"{v:.{d}f}"
        for v, d in zip(rng.uniform(-60, 60, 3000), rng.integers(0, 8, 3000), strict=True)
    ]
    values += ["-0.0000", "1e-3", "+2.5", ".5", " 7", "123456789.123456789"]
    lines = [f"v,{i % 97},0.1,0.1,0.2,0.2,1,{v}" for i, v in enumerate(values)]
    path = tmp_path / "det.csv"
    path.write_bytes(("\r\n".join(lines)).encode())  # CRLF, no final newline
    det = read_detections_csv(path)
    parsed = det.scores[:, 0]
    assert parsed.tolist() == [float(v) for v in values]
    assert np.signbit(parsed[values.index("-0.0000")])
    assert sorted({int(k.split(",")[1]) for k in det.keys.tolist()}) == list(range(97))


GT_ROW = "v,52,0.1,0.2,0.5,0.6,1,1"


@pytest.mark.parametrize(
    ("content", "line", "fragments"),
    [
        (f"{GT_ROW}\nv,52,0.1,0.2,0.5\n", 2, ["row has 5 columns", "Expected 7 or 8 columns"]),
        (f"{GT_ROW}\nv,52,0.1,0.2,0.5,0.6,1,1,9\n", 2, ["row has 9 columns"]),
        (f"{GT_ROW}\nv,52,0.1,0.2,0.5,x,1,1\n", 2, ["column 6 (y2) is not a finite number", "'x'"]),
        (f"{GT_ROW}\nv,5.2,0.1,0.2,0.5,0.6,1\n", 2, ["column 2 (stamp) is not an integer"]),
        (f"{GT_ROW}\nv,52,0.7,0.2,0.5,0.6,1,1\n", 2, ["x1 > x2", "'0.7 > 0.5'"]),
        (f"{GT_ROW}\nv,52,0.1,0.9,0.5,0.6,1,1\n", 2, ["y1 > y2", "'0.9 > 0.6'"]),
        (f"{GT_ROW}\nv,52,-0.0011,0.2,0.5,0.6,1\n", 2, ["x1 is outside [0, 1]", "'-0.0011'"]),
        (f"{GT_ROW}\nv,52,0.1,0.2,0.5,1.0011,1\n", 2, ["y2 is outside [0, 1]", "'1.0011'"]),
        (f"{GT_ROW}\nv,52,0.1,0.2,0.5,0.6,2,1\n", 2, ["action id is not in the label map", "'2'"]),
        (f"{GT_ROW}\nv,52,0.1,0.2,0.5,0.6,walk,1\n", 2, ["column 7 (action_id)", "'walk'"]),
    ],
)
def test_bad_ground_truth_rows_name_file_line_and_value(
    tmp_path: Path, content: str, line: int, fragments: list[str]
) -> None:
    path = tmp_path / "gt.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EvaluationInputError) as info:
        read_gt_csv(path, label_map=LABELS)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: ")
    for fragment in fragments:
        assert fragment in message
    assert info.value.line == line and info.value.path == str(path)


def test_byte_order_mark_is_not_part_of_the_first_video_id(tmp_path: Path) -> None:
    bom = "\ufeff"
    gt_path, det_path, excl_path = tmp_path / "gt.csv", tmp_path / "det.csv", tmp_path / "x.csv"
    gt_path.write_text(f"{bom}v,52,0.1,0.2,0.5,0.6,1\n", encoding="utf-8")
    det_path.write_text(f"{bom}{DET_ROW}\n", encoding="utf-8")
    excl_path.write_text(f"{bom}v,0052\n", encoding="utf-8")
    assert read_gt_csv(gt_path).keys.tolist() == ["v,0052"]
    assert read_detections_csv(det_path).keys.tolist() == ["v,0052"]
    assert read_exclusions(excl_path) == {"v,0052"}
    excl_path.write_text(bom, encoding="utf-8")
    assert read_exclusions(excl_path) == set()
    labels = tmp_path / "labels.pbtxt"
    labels.write_text(f'{bom}item {{ name: "walk" id: 1 }}\n', encoding="utf-8")
    assert read_label_map(labels) == {1: "walk"}


def test_a_score_printed_at_the_threshold_counts_as_below(tmp_path: Path) -> None:
    """PySlowFast prints scores with 4 decimals: '0.5000' may have been 0.49996 (EVAL_PROTOCOL:
    the published Slow 4x16 and MViTv2-S CSVs match their logs only with this rule)."""
    from slowfast_microg.evaluation import evaluate_detections

    gt_path, det_path = tmp_path / "gt.csv", tmp_path / "det.csv"
    gt_path.write_text("v,52,0.1,0.2,0.5,0.6,1\n", encoding="utf-8")
    recalls = {}
    for printed in ("0.4999", "0.5000", "0.5001"):
        det_path.write_text(f"v,52,0.1,0.2,0.5,0.6,1,{printed}\n", encoding="utf-8")
        det = read_detections_csv(det_path, label_map={1: "walk"})
        metrics = evaluate_detections(gt=read_gt_csv(gt_path), detections=det, label_map={1: "a"})
        recalls[printed] = metrics.recall_macro
    assert recalls == {"0.4999": 0.0, "0.5000": 0.0, "0.5001": 1.0}
