"""BERTScore plumbing with a tiny random RoBERTa built here (values meaningless, code path real),
checked against a direct computation of the BERTScore definition."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from slowfast_microg.vlm_eval.bertscore import bertscore, resolve_bertscore_model
from slowfast_microg.vlm_eval.cache import ScoreCache
from slowfast_microg.vlm_eval.errors import DependencyError, VlmEvalError
from tests.vlm_eval.marks import requires
from tests.vlm_eval.oracles import bertscore_definition
from tests.vlm_eval.synth import vqa_set
from tests.vlm_eval.tiny_roberta import build_tiny_roberta

pytestmark = requires("bert_score", "tokenizers", "transformers")

LAYER = 2


@pytest.fixture(scope="module")
def data():
    gt, preds = vqa_set(seed=51, n_clips=3)
    refs = [p["A"].strip() for g in gt for p in g["qa_pairs"]]
    hyps = [p["A"].strip() for c in preds for p in c["qa_pairs"]]
    return refs, hyps


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, data):
    refs, hyps = data
    return build_tiny_roberta(tmp_path_factory.mktemp("tiny_roberta"), refs + hyps)


def test_equals_definition_with_prefix_space(tiny_model, data):
    refs, hyps = data
    resolved = resolve_bertscore_model(str(tiny_model), layer=LAYER)
    assert not resolved.comparable and "not comparable to paper" in resolved.notes[-1]
    ours = bertscore(refs, hyps, layer=LAYER, batch_size=4, device="cpu", resolved=resolved)
    expected = bertscore_definition(tiny_model, refs, hyps, LAYER)
    np.testing.assert_allclose(ours.per_item, expected, atol=2e-6)
    assert ours.corpus == pytest.approx(expected[:, 2].mean(), abs=2e-6)


def test_cache_resumes_without_recomputing(tiny_model, data, tmp_path):
    refs, hyps = data
    path = tmp_path / "scores.jsonl"
    first = bertscore(
        refs[:10],
        hyps[:10],
        model_name=str(tiny_model),
        layer=LAYER,
        device="cpu",
        cache=ScoreCache(path),
    )
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"k": "truncated')
    cache = ScoreCache(path)
    full = bertscore(refs, hyps, model_name=str(tiny_model), layer=LAYER, device="cpu", cache=cache)
    np.testing.assert_allclose(full.per_item[:10], first.per_item, atol=1e-6)
    assert (
        len(path.read_text(encoding="utf-8").splitlines())
        == len(set(zip(refs, hyps, strict=True))) + 1
    )


def test_folder_whose_path_contains_t5_loads_as_roberta(tiny_model, data, tmp_path):
    refs, hyps = data
    copy = shutil.copytree(tiny_model, tmp_path / "gt5_models" / "tiny")
    ours = bertscore(refs[:4], hyps[:4], model_name=str(copy), layer=LAYER, device="cpu")
    direct = bertscore(refs[:4], hyps[:4], model_name=str(tiny_model), layer=LAYER, device="cpu")
    np.testing.assert_allclose(ours.per_item, direct.per_item, atol=1e-7)


def test_layer_out_of_range_is_refused(tiny_model, data):
    refs, hyps = data
    with pytest.raises(VlmEvalError, match=r"--bertscore-layer 9 is outside 0\.\.3"):
        bertscore(refs[:2], hyps[:2], model_name=str(tiny_model), layer=9, device="cpu")


def test_roberta_large_unavailable_offline_says_how_to_provide(monkeypatch):
    from slowfast_microg.vlm_eval import bertscore as module

    monkeypatch.setattr(module, "hub_cached_file", lambda repo, name: None)
    with pytest.raises(DependencyError, match=r"--bertscore-model /path/to/roberta-large"):
        resolve_bertscore_model("roberta-large", layer=17)


def test_paper_setting_is_comparable_when_cached(monkeypatch, tmp_path):
    from slowfast_microg.vlm_eval import bertscore as module

    monkeypatch.setattr(module, "hub_cached_file", lambda repo, name: tmp_path / name)
    assert resolve_bertscore_model("roberta-large", layer=17).comparable
    assert not resolve_bertscore_model("roberta-large", layer=24).comparable


def test_equals_bert_score_called_the_authors_way(tiny_model, data, monkeypatch):
    """``bert_score.score(cands, refs)`` as the authors called it, with the backbone and layer
    given explicitly and its tokenizer created with ``add_prefix_space=True`` (what recent
    ``transformers`` need to tokenize as the authors' environment did)."""
    import sys

    import bert_score
    from transformers import AutoTokenizer

    refs, hyps = data

    def tokenizer_with_prefix_space(model_type, use_fast=False):
        return AutoTokenizer.from_pretrained(model_type, use_fast=use_fast, add_prefix_space=True)

    monkeypatch.setattr(
        sys.modules["bert_score.score"], "get_tokenizer", tokenizer_with_prefix_space
    )
    precision, recall, f1 = bert_score.score(
        hyps, refs, model_type=str(tiny_model), num_layers=LAYER, batch_size=4
    )
    ours = bertscore(refs, hyps, model_name=str(tiny_model), layer=LAYER, batch_size=4)
    expected = np.stack([precision.numpy(), recall.numpy(), f1.numpy()], axis=1)
    np.testing.assert_allclose(ours.per_item, expected, rtol=0, atol=1e-6)
    assert ours.corpus == pytest.approx(float(f1.mean()), abs=1e-6)
