"""BLEU-4, CIDEr-D and ROUGE-L against pycocoevalcap (run the authors' way), nltk and sacrebleu."""

from __future__ import annotations

import random

import numpy as np
import pytest

from slowfast_microg.vlm_eval.bleu import corpus_bleu
from slowfast_microg.vlm_eval.cider import cider_d
from slowfast_microg.vlm_eval.ngrams import build_ngram_table
from slowfast_microg.vlm_eval.rouge import lcs_length, rouge_l
from tests.vlm_eval.marks import requires
from tests.vlm_eval.oracles import authors_scores
from tests.vlm_eval.synth import caption_set, vqa_set

pytestmark = requires("pycocoevalcap")


def _caption_pairs():
    gt, preds = caption_set(seed=11, n_clips=250, odd_whitespace=0.05)
    refs = [g["caption"] for g in gt]
    hyps = [preds[g["video_id"]] for g in gt]
    hyps[0], hyps[1], hyps[2] = "", "Single", "  two  spaces\n\tand a tab "
    refs[3] = "x"
    return refs, hyps


def _vqa_pairs():
    gt, preds = vqa_set(seed=12, n_clips=60)
    refs = [p["A"].strip() for g in gt for p in g["qa_pairs"]]
    hyps = [p["A"].strip() for c in preds for p in c["qa_pairs"]]
    return refs, hyps


@pytest.mark.parametrize("pairs", [_caption_pairs, _vqa_pairs], ids=["captions", "vqa"])
def test_equal_to_pycocoevalcap(pairs):
    refs, hyps = pairs()
    oracle = authors_scores(refs, hyps)
    table = build_ngram_table(refs, hyps)
    bleu = corpus_bleu(table)
    cider = cider_d(table)
    rouge = rouge_l(refs, hyps)
    assert bleu.corpus[3] == pytest.approx(oracle["bleu4"], rel=1e-12, abs=1e-15)
    assert cider.corpus == pytest.approx(oracle["cider"], rel=1e-12, abs=1e-15)
    assert rouge.corpus == pytest.approx(oracle["rouge_l"], rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(bleu.per_item[:, 3], oracle["bleu_items"], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(cider.per_item, oracle["cider_items"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(rouge.per_item, oracle["rouge_items"], rtol=0, atol=0)
    assert 0.05 < bleu.corpus[3] < 0.9 and cider.corpus > 0.05 and rouge.corpus > 0.1


@requires("nltk", "sacrebleu", hint="pip install -e '.[dev]' (nltk, sacrebleu)")
def test_bleu4_equals_nltk_and_sacrebleu():
    import sacrebleu
    from nltk.translate import bleu_score as nltk_bleu

    # nltk counts at least one candidate n-gram per sentence and order, so the two agree only
    # when every prediction has 4 words or more.
    kept = [(r, h) for r, h in zip(*_caption_pairs(), strict=True) if len(h.split()) >= 4]
    assert len(kept) > 200
    refs, hyps = [r for r, _ in kept], [h for _, h in kept]
    ours = corpus_bleu(build_ngram_table(refs, hyps)).corpus[3]
    nltk_value = nltk_bleu.corpus_bleu([[r.split()] for r in refs], [h.split() for h in hyps])
    sacre = sacrebleu.corpus_bleu(
        [" ".join(h.split()) for h in hyps],
        [[" ".join(r.split()) for r in refs]],
        tokenize="none",
        force=True,
    )
    assert ours == pytest.approx(nltk_value, rel=1e-9)
    assert ours == pytest.approx(sacre.score / 100.0, rel=1e-9)


def test_bleu_edge_cases_follow_coco_epsilons():
    oracle = authors_scores(["a b c d e", "f g"], ["z y", ""])
    ours = corpus_bleu(build_ngram_table(["a b c d e", "f g"], ["z y", ""]))
    assert ours.corpus[3] == pytest.approx(oracle["bleu4"], rel=1e-9, abs=1e-300)
    assert ours.corpus[3] < 1e-6


def test_cider_single_item_is_zero_like_coco():
    oracle = authors_scores(["a man rides"], ["a man rides"])
    assert (
        cider_d(build_ngram_table(["a man rides"], ["a man rides"])).corpus == oracle["cider"] == 0
    )


def test_cider_depends_on_evaluated_references():
    refs, hyps = _caption_pairs()
    full = cider_d(build_ngram_table(refs, hyps)).per_item[:50]
    subset = cider_d(build_ngram_table(refs[:50], hyps[:50])).per_item
    assert not np.allclose(full, subset)
    np.testing.assert_allclose(
        subset, authors_scores(refs[:50], hyps[:50])["cider_items"], rtol=1e-10
    )


def test_bit_parallel_lcs_matches_dynamic_programming():
    from pycocoevalcap.rouge.rouge import my_lcs

    rng = random.Random(5)
    for _ in range(500):
        a = [rng.choice("abcdef") for _ in range(rng.randint(0, 70))]
        b = [rng.choice("abcdef") for _ in range(rng.randint(0, 70))]
        assert lcs_length(a, b) == my_lcs(a, b) == lcs_length(b, a)
