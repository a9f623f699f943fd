"""METEOR 1.5 through our wrapper against pycocoevalcap's own wrapper, and its failure modes."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from slowfast_microg.vlm_eval.errors import DependencyError, MetricRuntimeError
from slowfast_microg.vlm_eval.meteor import MeteorScorer, score_line
from tests.vlm_eval.oracles import authors_scores
from tests.vlm_eval.synth import caption_set, collapse, vqa_set


def test_equal_to_pycocoevalcap_on_captions_with_newlines(meteor_scorer, coco_meteor):
    gt, preds = caption_set(seed=21, n_clips=120, odd_whitespace=0.1)
    refs = [g["caption"] for g in gt]
    hyps = [preds[g["video_id"]] for g in gt]
    hyps[0] = "a hypothesis ||| with the separator |||inside"
    hyps[1] = ""
    assert sum("\n" in h for h in hyps) > 50
    oracle = authors_scores(refs, hyps, coco_meteor=coco_meteor)
    ours = meteor_scorer.score(refs, hyps)
    assert ours.corpus == oracle["meteor"]
    np.testing.assert_array_equal(ours.per_item, oracle["meteor_items"])
    assert 0.1 < ours.corpus < 0.9
    assert ours.corpus != pytest.approx(float(np.mean(ours.per_item)), abs=1e-4)


def test_equal_to_pycocoevalcap_on_answers(meteor_scorer, coco_meteor):
    gt, preds = vqa_set(seed=22, n_clips=30)
    refs = [p["A"].strip() for g in gt for p in g["qa_pairs"]]
    hyps = [p["A"].strip() for c in preds for p in c["qa_pairs"]]
    oracle = authors_scores(refs, hyps, coco_meteor=coco_meteor)
    assert meteor_scorer.score(refs, hyps).corpus == oracle["meteor"]


def test_newlines_change_nothing_and_do_not_hang(meteor_scorer):
    refs = ["An astronaut floats near the\nhatch.", "Blue bags line the wall."]
    hyps = ["The astronaut\n\nfloats by\r\nthe hatch", "Blue\tbags\u2028on a wall"]
    start = time.perf_counter()
    broken = meteor_scorer.score(refs, hyps)
    clean = meteor_scorer.score([collapse(r) for r in refs], [collapse(h) for h in hyps])
    assert time.perf_counter() - start < 60
    assert broken.corpus == clean.corpus and broken.corpus > 0.2


def test_score_line_is_one_line_without_separator_in_hypothesis():
    line = score_line("ref ||| with bars\n", "hyp |||\nline\ttwo")
    assert line == "SCORE ||| ref ||| with bars ||| hyp line two"
    assert score_line("a ref", "") == "SCORE ||| a ref ||| "


def test_missing_java_says_how_to_install(tmp_path):
    scorer = MeteorScorer(java=str(tmp_path / "no-such-java"))
    with pytest.raises(DependencyError, match=r"not found on PATH.*JRE 8 or newer"):
        scorer.score(["a"], ["a"])


def _fake_java(tmp_path, body):
    path = tmp_path / "java"
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    os.chmod(path, 0o755)
    return str(path)


def test_process_that_dies_is_reported_with_its_stderr(tmp_path):
    java = _fake_java(tmp_path, 'echo "Error: could not create the JVM" >&2; exit 1')
    with pytest.raises(MetricRuntimeError, match=r"ended unexpectedly(.|\n)*could not create"):
        MeteorScorer(java=java, timeout_s=30).score(["a b"], ["a b"])


def test_silent_process_times_out_instead_of_hanging(tmp_path):
    java = _fake_java(tmp_path, "exec sleep 60")
    start = time.perf_counter()
    with pytest.raises(MetricRuntimeError, match=r"no reply within 1 s while scoring item 0"):
        MeteorScorer(java=java, timeout_s=1).score(["a b"], ["a b"])
    assert time.perf_counter() - start < 15


def test_lone_surrogate_is_refused_before_the_jar_is_started(tmp_path):
    scorer = MeteorScorer(java=_fake_java(tmp_path, "exec sleep 60"), timeout_s=30)
    with pytest.raises(ValueError, match=r"METEOR item 1: .*'\\udc80'.*lone surrogate"):
        scorer.score(["a b", "c d"], ["a b", "c \udc80 d"])
    assert scorer._proc is None
