"""The --tokenize ptb option against pycocoevalcap's PTBTokenizer (the COCO practice)."""

from __future__ import annotations

from slowfast_microg.vlm_eval.tokenize import prepare_texts, ptb_tokenize
from tests.vlm_eval.marks import requires
from tests.vlm_eval.synth import caption_set


@requires("pycocoevalcap")
def test_equal_to_pycocoevalcap_ptb_tokenizer(java):
    from pycocoevalcap.tokenizer import ptbtokenizer as ptb

    gt, preds = caption_set(seed=31, n_clips=40, odd_whitespace=0.05)
    texts = [g["caption"] for g in gt] + list(preds.values())
    texts += ["The astronaut's (blue) T-shirt -- isn't it?", "", "Line one.\nLine two!"]
    oracle = ptb.PTBTokenizer().tokenize({i: [{"caption": t}] for i, t in enumerate(texts)})
    ours = ptb_tokenize(texts, java=java)
    assert ours == [oracle[i][0] for i in range(len(texts))]
    assert ours[-3] == "the astronaut 's -lrb- blue -rrb- t-shirt is n't it"


def test_empty_and_whitespace_only_texts_keep_alignment(java):
    refs = ["", "  A man.  ", "\n"]
    hyps = ["a\r\nman", "", "end"]
    out_refs, out_hyps = prepare_texts(refs, hyps, mode="ptb", java=java)
    assert out_refs == ["", "a man", ""] and out_hyps == ["a man", "", "end"]


def test_none_mode_returns_text_unchanged():
    refs, hyps = ["A  b\n"], ["C."]
    assert prepare_texts(refs, hyps, mode="none") == (refs, hyps)
