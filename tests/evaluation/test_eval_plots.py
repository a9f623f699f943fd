"""Per-class AP bars (Figures 7/8 style) and precision-recall curves, as PNG and SVG."""

import math
import re
from pathlib import Path

import numpy as np
import pytest

from slowfast_microg.evaluation import Detections, GroundTruth, evaluate_detections
from slowfast_microg.evaluation.plots import plot_ap_per_class, plot_pr_curves

NAMES = {1: "walk", 2: "sit", 3: "carry/hold (an object)"}


def svg_texts(path: Path) -> list[str]:
    """The texts matplotlib drew into an SVG (it writes each one as a comment)."""
    return re.findall(r"<!-- (.*?) -->", path.read_text(encoding="utf-8"))


def test_ap_bars_for_several_runs(tmp_path: Path) -> None:
    ap_by_run = {"I3D 8x8": {1: 0.5, 2: math.nan, 3: 0.25}, "X3D S": {1: 0.7, 3: 0.1}}
    png, svg = plot_ap_per_class(ap_by_run, NAMES, tmp_path / "figs" / "ap", title="Test AP")
    assert (png.name, svg.name) == ("ap.png", "ap.svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    texts = svg_texts(svg)
    # Class 2 has no finite AP in any run, so it gets no bar group and no tick label.
    assert "walk" in texts and "carry/hold (an object)" in texts and "sit" not in texts
    assert {"I3D 8x8", "X3D S", "Test AP", "AP@0.5 (%)"} <= set(texts)
    with pytest.raises(ValueError, match="no finite per-class AP"):
        plot_ap_per_class({"a": {2: math.nan}}, NAMES, tmp_path / "none")


def test_pr_curves_from_evaluated_metrics(tmp_path: Path) -> None:
    box, other = [0.1, 0.1, 0.5, 0.9], [0.6, 0.1, 0.9, 0.9]
    gt = GroundTruth(keys=["v,1", "v,2"], boxes=np.array([box, box]), labels=[1, 3])
    det = Detections(
        keys=["v,1", "v,1", "v,2"],
        boxes=np.array([other, box, box]),
        scores=np.array([[0.9, 0.1, 0.2], [0.8, 0.2, 0.3], [0.1, 0.3, 0.7]]),
        class_ids=[1, 2, 3],
    )
    metrics = evaluate_detections(gt=gt, detections=det, label_map=NAMES)
    precision, recall = metrics.pr_curves[1]
    np.testing.assert_allclose(precision, [0.0, 0.5, 1 / 3])
    np.testing.assert_allclose(recall, [0.0, 1.0, 1.0])
    assert metrics.pr_curves[2][0].size == 0  # no ground truth: no curve
    png, svg = plot_pr_curves(
        metrics.pr_curves, NAMES, tmp_path / "pr", ap_per_class=metrics.ap_per_class
    )
    assert png.read_bytes()[:4] == b"\x89PNG"
    texts = svg_texts(svg)
    assert "walk" in texts and "AP 50.0" in texts and "AP 100.0" in texts
    assert "sit" not in texts and {"recall", "precision"} <= set(texts)
    with pytest.raises(ValueError, match="no precision-recall curve"):
        plot_pr_curves({2: (np.empty(0), np.empty(0))}, NAMES, tmp_path / "none")
