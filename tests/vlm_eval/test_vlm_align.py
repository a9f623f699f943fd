"""Matching predictions to ground truth: counts, the --missing policies, VQA question keys."""

from __future__ import annotations

import pytest

from slowfast_microg.vlm_eval.align import align_captions, align_vqa
from slowfast_microg.vlm_eval.errors import AlignmentError, InputFormatError
from slowfast_microg.vlm_eval.inputs import GtClip, VqaPredictions


def _clips(n):
    return [
        GtClip(
            video_id=f"v{i}",
            caption=f" caption {i} ",
            qa_pairs=((f"Q{i}a? ", " A "), (f"Q{i}b?", "B")),
        )
        for i in range(n)
    ]


def test_caption_counts_and_texts_kept_raw():
    gt = _clips(4)
    preds = {"v0": " pred zero ", "v1": "   ", "v2": "pred two", "v3": "x", "ghost": "y"}
    items = align_captions(gt, preds, missing="error")
    assert items.references == [" caption 0 ", " caption 1 ", " caption 2 ", " caption 3 "]
    assert items.predictions == [" pred zero ", "   ", "pred two", "x"]
    c = items.counts
    assert (
        c["ground_truth"],
        c["predictions"],
        c["matched"],
        c["missing"],
        c["extra"],
        c["empty"],
        c["scored"],
    ) == (4, 5, 4, 0, 1, 1, 4)
    assert c["first_extra"] == ["ghost"]


def test_missing_error_lists_first_ids():
    gt = _clips(30)
    preds = {f"v{i}": "p" for i in range(0, 30, 3)}
    with pytest.raises(AlignmentError) as err:
        align_captions(gt, preds, missing="error", list_ids=4)
    message = str(err.value)
    assert "20 of 30 ground-truth captions have no prediction" in message
    assert "['v1', 'v2', 'v4', 'v5']" in message and "--missing zero" in message


def test_missing_zero_and_skip():
    gt = _clips(5)
    preds = {"v0": "a", "v2": "b", "v4": "c"}
    zero = align_captions(gt, preds, missing="zero")
    assert zero.predictions == ["a", "", "b", "", "c"]
    assert zero.missing == [False, True, False, True, False]
    assert zero.counts["missing"] == 2 and zero.counts["scored"] == 5
    skip = align_captions(gt, preds, missing="skip")
    assert skip.video_ids == ["v0", "v2", "v4"] and skip.counts["scored"] == 3
    assert skip.counts["first_missing"] == ["v1", "v3"]


def test_no_overlap_is_an_error_even_when_skipping():
    with pytest.raises(AlignmentError, match="no prediction matches"):
        align_captions(_clips(3), {"other": "x"}, missing="skip")


def test_vqa_pools_all_pairs_and_matches_stripped_questions():
    gt = _clips(3)
    preds = VqaPredictions(
        answers={
            ("v0", "Q0a?"): "a0",
            ("v0", "Q0b?"): "",
            ("v1", "Q1a?"): "a1",
            ("v1", "Q1b?"): "b1",
            ("v2", "Q2a?"): "a2",
            ("v2", "Q2b?"): "b2",
            ("v2", "Extra?"): "e",
        }
    )
    items = align_vqa(gt, preds, missing="error")
    assert len(items) == 6
    assert items.questions[:2] == ["Q0a?", "Q0b?"]
    assert items.references[:2] == ["A", "B"]
    assert items.predictions[:2] == ["a0", ""]
    assert items.counts["empty"] == 1 and items.counts["extra"] == 1
    assert items.counts["first_extra"] == ["v2 | Extra?"]


def test_vqa_duplicate_ground_truth_questions():
    gt = [GtClip(video_id="v0", caption=None, qa_pairs=(("Who?", "first"), ("Who? ", "second")))]
    preds = VqaPredictions(answers={("v0", "Who?"): "second"})
    items = align_vqa(gt, preds, missing="error", duplicate_questions="last")
    assert items.references == ["second"] and items.counts["duplicate_questions_ground_truth"] == 1
    with pytest.raises(InputFormatError, match="asks 'Who\\?' twice"):
        align_vqa(gt, preds, missing="error", duplicate_questions="error")


def test_streaming_evaluator_equals_file_based_alignment():
    from slowfast_microg.vlm_eval.evaluate import EvalOptions
    from slowfast_microg.vlm_eval.evaluator import CaptionVqaEvaluator
    from tests.vlm_eval.oracles import authors_scores

    gt = _clips(6)
    options = EvalOptions(metrics=("cider", "bleu4", "rouge_l"), progress=False)
    evaluator = CaptionVqaEvaluator(ground_truth=gt, task="vqa", options=options)
    questions = [
        (c.video_id, q, f"answer {i} {q}") for i, c in enumerate(gt) for q, _ in c.qa_pairs
    ]
    for start in range(0, len(questions), 5):
        batch = questions[start : start + 5]
        evaluator.process(
            [{"video_id": v, "question": q} for v, q, _ in batch], [a for *_, a in batch]
        )
    scores = evaluator.evaluate()
    oracle = authors_scores(
        [a.strip() for c in gt for _, a in c.qa_pairs], [a for *_, a in questions]
    )
    assert scores["cider"] == pytest.approx(100 * oracle["cider"], rel=1e-12)
    assert scores["rouge_l"] == pytest.approx(100 * oracle["rouge_l"], rel=1e-12)
    evaluator.reset()
    with pytest.raises(AlignmentError, match="no prediction matches"):
        evaluator.evaluate()
