"""F1/recall/AUROC per class against scikit-learn, and the paper vs matched variant definitions."""

import math

import numpy as np
import pytest
from sklearn.metrics import f1_score, recall_score, roc_auc_score

from slowfast_microg.evaluation import (
    Detections,
    EvaluationInputError,
    GroundTruth,
    evaluate_detections,
)
from slowfast_microg.evaluation.multilabel import (
    auroc_per_class,
    f1_and_recall_per_class,
    predict_positive,
    score_ranks,
)


def test_per_class_metrics_equal_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    y_true = rng.random((300, 8)) < np.linspace(0.02, 0.6, 8)
    y_true[:, 0] = False  # no positives: F1 and recall are 0, AUROC undefined
    scores = np.round(rng.normal(size=(300, 8)) + y_true, 1)  # rounding makes ties
    y_pred = predict_positive(scores, 0.5, strict=False)
    f1, recall = f1_and_recall_per_class(y_true, y_pred)
    np.testing.assert_allclose(
        f1, f1_score(y_true, y_pred, average=None, zero_division=0), atol=1e-15
    )
    np.testing.assert_allclose(
        recall, recall_score(y_true, y_pred, average=None, zero_division=0), atol=1e-15
    )
    auroc = auroc_per_class(y_true, score_ranks(scores))
    assert math.isnan(auroc[0])
    expected = [roc_auc_score(y_true[:, c], scores[:, c]) for c in range(1, 8)]
    np.testing.assert_allclose(auroc[1:], expected, atol=1e-12)


def test_score_ranks_equal_scipy_with_ties_and_missing_scores() -> None:
    from scipy.stats import rankdata

    values = np.round(np.random.default_rng(1).normal(size=(400, 6)), 1)
    values[:7, 2] = np.nan
    values[:, 5] = 3.0
    expected = rankdata(np.where(np.isnan(values), -np.inf, values), axis=0)
    np.testing.assert_array_equal(score_ranks(values), expected)


def test_threshold_rule_for_exact_and_rounded_scores() -> None:
    scores = np.array([[0.4999, 0.5, 0.5001, np.nan]])
    np.testing.assert_array_equal(
        predict_positive(scores, 0.5, strict=False), [[False, True, True, False]]
    )
    np.testing.assert_array_equal(
        predict_positive(scores, 0.5, strict=True), [[False, False, True, False]]
    )


def _two_frames() -> tuple[GroundTruth, Detections]:
    """Frame 1: person p1 'sit' (1) and p2 'talk' (2), plus a detection touching nobody.
    Frame 2: person q 'run' (3). Scores are logits."""
    p1, p2, far, q = (
        (0.0, 0.0, 0.4, 1.0),
        (0.6, 0.0, 1.0, 1.0),
        (0.4, 0.0, 0.6, 0.2),
        (0.2, 0.2, 0.8, 0.8),
    )
    gt = GroundTruth(keys=["v,1", "v,1", "v,2"], boxes=np.array([p1, p2, q]), labels=[1, 2, 3])
    det = Detections(
        keys=["v,1", "v,1", "v,1", "v,2"],
        boxes=np.array([p1, p2, far, q]),
        scores=np.array(
            [[2.0, 1.0, -3.0], [-2.0, 0.7, -3.0], [-1.0, -1.0, -3.0], [0.1, -0.5, 0.6]]
        ),
        class_ids=[1, 2, 3],
    )
    return gt, det


def test_paper_and_matched_variants_by_hand() -> None:
    gt, det = _two_frames()
    m = evaluate_detections(gt=gt, detections=det, label_map={1: "sit", 2: "talk", 3: "run"})
    assert m.score_type == "logits"
    # Paper: boxes 0-2 are positive for {1, 2} (their frame has both), box 3 for {3}.
    # Raw score >= 0.5 predicts box0 {1, 2}, box1 {2}, box3 {3}.
    # Class 1: TP 1, FN 2 -> F1 2/4, recall 1/3; class 2: TP 2, FN 1 -> F1 4/5, recall 2/3;
    # class 3: F1 1, recall 1.
    assert m.f1_macro == pytest.approx((0.5 + 0.8 + 1.0) / 3, abs=1e-15)
    assert m.recall_macro == pytest.approx((1 / 3 + 2 / 3 + 1.0) / 3, abs=1e-15)
    # AUROC: class 1 positives 2, -2, -1 vs negative 0.1 -> 1/3; class 2 positives 1, 0.7, -1
    # vs -0.5 -> 2/3; class 3 -> 1.
    assert m.auroc_macro == pytest.approx(2 / 3, abs=1e-15)
    # Matched: box0 -> {1}, box1 -> {2}, box2 -> {} (IoU 0), box3 -> {3}. Probabilities
    # >= 0.5 predict box0 {1, 2}, box1 {2}, box3 {1 (sigmoid .1 = .52), 3}.
    # Class 1: TP 1, FP 1 -> F1 2/3; class 2: TP 1, FP 1 -> 2/3; class 3: 1. Recall 1 each.
    assert m.f1_macro_matched == pytest.approx((2 / 3 + 2 / 3 + 1.0) / 3, abs=1e-15)
    assert m.recall_macro_matched == 1.0
    # AUROC: class 1 2 vs (-2, -1, .1) -> 1; class 2 .7 vs (1, -1, -.5) -> 2/3; class 3 -> 1.
    assert m.auroc_macro_matched == pytest.approx(8 / 9, abs=1e-15)


def test_averaging_sets_of_the_two_variants() -> None:
    gt, det = _two_frames()
    label_map = {1: "a", 2: "b", 3: "c", 9: "d", 10: "e"}
    wider = evaluate_detections(gt=gt, detections=det, label_map=label_map)
    # Paper: over all 5 label-map classes; matched: over the 3 classes with ground truth.
    assert wider.f1_macro == pytest.approx((0.5 + 0.8 + 1.0) / 5, abs=1e-15)
    assert wider.f1_macro_matched == pytest.approx((2 / 3 + 2 / 3 + 1.0) / 3, abs=1e-15)
    assert math.isnan(wider.ap_per_class[9])
    # A class in the ground truth whose person nobody detected counts 0 in the matched mean.
    missed = GroundTruth(
        keys=[*gt.keys, "w,5"],
        boxes=np.vstack([gt.boxes, [0.0, 0.0, 1.0, 1.0]]),
        labels=[1, 2, 3, 9],
    )
    scores = np.hstack([det.scores, np.full((4, 2), -9.0)])
    wide_det = Detections(keys=det.keys, boxes=det.boxes, scores=scores, class_ids=[1, 2, 3, 9, 10])
    with_missed = evaluate_detections(gt=missed, detections=wide_det, label_map=label_map)
    assert with_missed.f1_macro_matched == pytest.approx((2 / 3 + 2 / 3 + 1.0 + 0.0) / 4, abs=1e-15)
    assert with_missed.recall_macro_matched == pytest.approx(3 / 4, abs=1e-15)
    assert with_missed.ap_per_class[9] == 0.0


def test_rounded_scores_at_the_threshold_count_as_below() -> None:
    gt = GroundTruth(keys=["v,1"], boxes=np.array([(0.0, 0.0, 1.0, 1.0)]), labels=[1])
    scores = np.array([[0.5], [0.2]])
    boxes = np.array([(0.0, 0.0, 1.0, 1.0), (0.0, 0.0, 0.1, 0.1)])
    exact = Detections(keys=["v,1", "v,1"], boxes=boxes, scores=scores, class_ids=[1])
    rounded = Detections(
        keys=["v,1", "v,1"], boxes=boxes, scores=scores, class_ids=[1], scores_rounded=True
    )
    label_map = {1: "a"}
    assert evaluate_detections(gt=gt, detections=exact, label_map=label_map).recall_macro == 0.5
    assert evaluate_detections(gt=gt, detections=rounded, label_map=label_map).recall_macro == 0.0
    probs = evaluate_detections(gt=gt, detections=exact, label_map=label_map, score_type="auto")
    assert probs.score_type == "probabilities"
    assert probs.recall_macro_matched == 1.0  # p = 0.5 >= 0.5 on the matched box


def test_unknown_ids_and_bad_score_type_are_errors() -> None:
    gt, det = _two_frames()
    extra = Detections(
        keys=det.keys,
        boxes=det.boxes,
        scores=np.hstack([det.scores, det.scores[:, :1]]),
        class_ids=[1, 2, 3, 7],
    )
    with pytest.raises(EvaluationInputError, match="detection action id is not in the label map"):
        evaluate_detections(gt=gt, detections=extra, label_map={1: "sit", 2: "talk", 3: "run"})
    with pytest.raises(
        EvaluationInputError, match="ground-truth action id is not in the label map"
    ):
        evaluate_detections(gt=gt, detections=det, label_map={1: "sit", 3: "run", 4: "x"})
    with pytest.raises(EvaluationInputError, match="score_type"):
        evaluate_detections(
            gt=gt, detections=det, label_map={1: "a", 2: "b", 3: "c"}, score_type="raw"
        )
    with pytest.raises(EvaluationInputError, match="no ground truth left"):
        evaluate_detections(
            gt=gt, detections=det, label_map={1: "a", 2: "b", 3: "c"}, exclusions=["v,1", "v,2"]
        )
