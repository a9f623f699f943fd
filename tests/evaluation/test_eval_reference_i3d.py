"""The published I3D 8x8 test split reproduces the authors' logged metrics and per-class AP."""

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score, recall_score, roc_auc_score

from slowfast_microg.evaluation import (
    DetectionMetrics,
    Detections,
    evaluate_detections,
    read_ap_per_class_csv,
    read_detections_csv,
    read_gt_csv,
    read_label_map,
)

TOLERANCE = 2e-5


@pytest.fixture(scope="module")
def i3d(fixtures_dir: Path) -> dict:
    eval_dir = fixtures_dir / "eval"
    label_map = read_label_map(eval_dir / "label_map.pbtxt")
    gt = read_gt_csv(eval_dir / "ava_test_gt.csv", label_map=label_map)
    det = read_detections_csv(
        eval_dir / "I3D_8x8_R50" / "detections_test.csv.gz", label_map=label_map
    )
    metrics = evaluate_detections(gt=gt, detections=det, label_map=label_map)
    return {"dir": eval_dir, "label_map": label_map, "gt": gt, "det": det, "metrics": metrics}


def logged_test_line(path: Path) -> dict:
    """The authors' ``json_stats: {"mode": "test", ...}`` line, parsed independently."""
    for line in path.read_text().splitlines():
        if '"mode": "test"' in line:
            body = line.split("json_stats:", 1)[1]
            return json.loads(body[: body.rindex("}") + 1])
    raise AssertionError("no test line")


def test_reproduces_the_logged_test_metrics(i3d: dict) -> None:
    logged = logged_test_line(i3d["dir"] / "I3D_8x8_R50" / "json_stats.log")
    assert logged == {
        "mode": "test",
        "map": 0.46409,
        "f1_macro": 0.26372,
        "auroc_macro": 0.88787,
        "recall_macro": 0.22252,
    }
    metrics: DetectionMetrics = i3d["metrics"]
    for name in ("map", "f1_macro", "recall_macro", "auroc_macro"):
        assert abs(getattr(metrics, name) - logged[name]) <= TOLERANCE, name
    assert metrics.num_boxes == 1137 and metrics.num_gt_rows == 2656 and metrics.num_frames == 1091


def test_reproduces_the_published_per_class_ap(i3d: dict) -> None:
    published = read_ap_per_class_csv(i3d["dir"] / "I3D_8x8_R50" / "ap_per_class_test.csv")
    metrics: DetectionMetrics = i3d["metrics"]
    assert list(published) == list(metrics.ap_per_class)
    for class_id, (ap, name) in published.items():
        assert name == i3d["label_map"][class_id]
        ours = metrics.ap_per_class[class_id]
        if math.isnan(ap):
            assert math.isnan(ours) and metrics.num_gt_per_class[class_id] == 0
        else:
            assert abs(ours - ap) <= 2e-4, class_id  # the CSV has 5 decimals
    assert sum(n > 0 for n in metrics.num_gt_per_class.values()) == 41


def test_paper_variant_matches_an_independent_recomputation(i3d: dict) -> None:
    """y_true from raw GT lines, score vectors from raw blocks of 50 rows, scikit-learn metrics."""
    gt_pairs = set()
    for line in (i3d["dir"] / "ava_test_gt.csv").read_text().splitlines():
        video, stamp, *_, action, _person = line.split(",")
        gt_pairs.add((video, int(stamp), int(action)))
    with gzip.open(i3d["dir"] / "I3D_8x8_R50" / "detections_test.csv.gz", "rt") as handle:
        rows = [line.split(",") for line in handle.read().splitlines()]
    class_ids = sorted(i3d["label_map"])
    blocks = [rows[i : i + 50] for i in range(0, len(rows), 50)]
    assert all([int(r[6]) for r in block] == class_ids for block in blocks)
    y_score = np.array([[float(r[7]) for r in block] for block in blocks])
    y_true = np.array(
        [[(b[0][0], int(b[0][1]), c) in gt_pairs for c in class_ids] for b in blocks], dtype=int
    )
    y_pred = (y_score >= 0.5).astype(int)
    keep = [c for c in range(50) if 0 < y_true[:, c].sum() < len(blocks)]
    metrics: DetectionMetrics = i3d["metrics"]
    assert metrics.f1_macro == pytest.approx(
        f1_score(y_true, y_pred, average="macro", zero_division=0), abs=1e-12
    )
    assert metrics.recall_macro == pytest.approx(
        recall_score(y_true, y_pred, average="macro", zero_division=0), abs=1e-12
    )
    assert metrics.auroc_macro == pytest.approx(
        roc_auc_score(y_true[:, keep], y_score[:, keep]), abs=1e-12
    )
    # 2,743 positive (box, class) pairs over the 1,136 unique boxes (dataset notes), plus the
    # classes of the padded copy's frame.
    padded_frame = {a for (v, st, a) in gt_pairs if (v, st) == ("zAxtRSNBXtM_001", 52)}
    assert len(keep) == 41
    assert y_true.sum() == 2743 + len(padded_frame)


def test_the_padded_duplicate_box_is_needed_to_match_the_log(i3d: dict) -> None:
    det: Detections = i3d["det"]
    keep = np.r_[0, 2 : len(det)]
    without = Detections(
        keys=det.keys[keep],
        boxes=det.boxes[keep],
        scores=det.scores[keep],
        class_ids=det.class_ids,
        scores_rounded=True,
    )
    metrics = evaluate_detections(gt=i3d["gt"], detections=without, label_map=i3d["label_map"])
    logged = logged_test_line(i3d["dir"] / "I3D_8x8_R50" / "json_stats.log")
    assert abs(metrics.auroc_macro - logged["auroc_macro"]) > TOLERANCE
    assert abs(metrics.map - logged["map"]) > TOLERANCE


def test_matched_variant_is_reported_and_differs(i3d: dict) -> None:
    metrics: DetectionMetrics = i3d["metrics"]
    values = metrics.to_dict()
    assert set(values) == {
        "map",
        "f1_macro",
        "recall_macro",
        "auroc_macro",
        "f1_macro_matched",
        "recall_macro_matched",
        "auroc_macro_matched",
    }
    # Averaging over the 41 present classes instead of 50 and using probabilities both raise F1.
    assert metrics.f1_macro_matched > metrics.f1_macro
    assert 0.5 < metrics.auroc_macro_matched <= 1.0
