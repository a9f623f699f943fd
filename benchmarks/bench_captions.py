"""Caption / VQA evaluator speed: each metric on 1,238 caption pairs and 7,428 QA pairs (CPU).

``python benchmarks/run.py captions [--reference] [--bertscore-pairs N] [--no-sbert] [--threads T]``

Data are synthetic (MicroG-4M-like vocabulary): references of 60-80 words, predictions of about
the same length, answers of 12-20 words with one in ten "Not mentioned.". Timed per task:
the n-gram table, BLEU-4, CIDEr-D, ROUGE-L, METEOR (cold: JVM start and paraphrase table
included; warm: second call on the same process), S-BERT (model load and scoring), and
BERTScore. roberta-large is not available offline, so BERTScore is timed on ``--bertscore-pairs``
pairs with a randomly initialised encoder of roberta-large's size cut after layer 17 (the
paper's setting; weights random, cost real) through ``bert_score``'s matching code, and the full
time is extrapolated. ``--reference`` also times pycocoevalcap's scorers (the authors' code).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

WORDS = (
    "the a an astronaut floats drifts hovers grabs holds releases rotates station module cabin "
    "Columbus laboratory ISS crew panel rack locker handrail hatch bag pouch cable laptop camera "
    "tablet wrench shirt hair hand hands arm head blue white turquoise silver black near beside "
    "behind above below inside across toward with while then slowly gently upward in on of to "
    "at by microgravity Velcro experiment payload cargo fan light she he they her his it is and"
).split()


def add_arguments(parser) -> None:
    """Options of this suite."""
    parser.add_argument("--captions", type=int, default=1238, help="caption pairs")
    parser.add_argument("--qa", type=int, default=7428, help="QA pairs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reference", action="store_true", help="also time pycocoevalcap")
    parser.add_argument("--no-sbert", action="store_true", help="skip S-BERT")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument(
        "--bertscore-pairs",
        type=int,
        default=64,
        help="pairs per task for the BERTScore timing (0: skip)",
    )


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _pairs(rng: random.Random, n: int, *, answers: bool) -> tuple[list[str], list[str]]:
    refs, hyps = [], []
    for _ in range(n):
        if answers:
            ref = "Not mentioned." if rng.random() < 0.1 else _sentence(rng, rng.randint(12, 20))
        else:
            ref = _sentence(rng, rng.randint(60, 80))
        kept = [w for w in ref.split() if rng.random() < 0.7]
        extra = _sentence(rng, rng.randint(0, 4 if answers else 20)).split()
        refs.append(ref)
        hyps.append(" ".join(kept + extra))
    return refs, hyps


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _ngram_and_meteor(refs, hyps) -> dict[str, Any]:
    from slowfast_microg.vlm_eval.bleu import corpus_bleu
    from slowfast_microg.vlm_eval.cider import cider_d
    from slowfast_microg.vlm_eval.meteor import MeteorScorer
    from slowfast_microg.vlm_eval.ngrams import build_ngram_table
    from slowfast_microg.vlm_eval.rouge import rouge_l

    out: dict[str, Any] = {}
    out["ngram_table_s"], table = _timed(lambda: build_ngram_table(refs, hyps))
    out["bleu4_s"], bleu = _timed(lambda: corpus_bleu(table))
    out["cider_s"], cider = _timed(lambda: cider_d(table))
    out["rouge_l_s"], rouge = _timed(lambda: rouge_l(refs, hyps))
    with MeteorScorer() as scorer:
        out["meteor_cold_s"], meteor = _timed(lambda: scorer.score(refs, hyps))
        out["meteor_warm_s"], _ = _timed(lambda: scorer.score(refs, hyps))
    out["values"] = {
        "bleu4": bleu.corpus[3],
        "cider": cider.corpus,
        "rouge_l": rouge.corpus,
        "meteor": meteor.corpus,
    }
    return out


def _reference(refs, hyps) -> dict[str, Any]:
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.meteor.meteor import Meteor
    from pycocoevalcap.rouge.rouge import Rouge

    gts = {i: [r] for i, r in enumerate(refs)}
    res = {i: [h] for i, h in enumerate(hyps)}
    out: dict[str, Any] = {}
    out["bleu4_s"], bleu = _timed(lambda: Bleu(4).compute_score(gts, res, verbose=0))
    out["cider_s"], cider = _timed(lambda: Cider().compute_score(gts, res))
    out["rouge_l_s"], rouge = _timed(lambda: Rouge().compute_score(gts, res))
    scorer = Meteor()
    out["meteor_cold_s"], meteor = _timed(lambda: scorer.compute_score(gts, res))
    out["meteor_warm_s"], _ = _timed(lambda: scorer.compute_score(gts, res))
    out["values"] = {
        "bleu4": bleu[0][3],
        "cider": cider[0],
        "rouge_l": rouge[0],
        "meteor": meteor[0],
    }
    return out


def _sbert(refs, hyps) -> dict[str, Any]:
    from slowfast_microg.vlm_eval.sbert import load_sbert, resolve_sbert_model, sbert_cosines

    out: dict[str, Any] = {}
    out["resolve_and_hash_s"], resolved = _timed(resolve_sbert_model)
    out["load_s"], model = _timed(lambda: load_sbert(resolved, device="cpu"))
    out["score_s"], cos = _timed(lambda: sbert_cosines(model, refs, hyps, batch_size=32))
    out["value"] = float(cos.mean())
    return out


def _random_roberta_large(texts: list[str]):
    """A roberta-large-sized encoder with random weights (17 layers kept) and a BPE tokenizer."""
    import tempfile

    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaModel, RobertaTokenizer

    folder = tempfile.mkdtemp(prefix="bench_bpe_")
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        texts,
        vocab_size=2000,
        min_frequency=1,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
    )
    bpe.save_model(folder)
    tokenizer = RobertaTokenizer.from_pretrained(
        folder, model_max_length=512, add_prefix_space=True
    )
    torch.manual_seed(0)
    config = RobertaConfig(
        vocab_size=50265,
        hidden_size=1024,
        num_hidden_layers=24,
        num_attention_heads=16,
        intermediate_size=4096,
        max_position_embeddings=514,
        type_vocab_size=1,
    )
    model = RobertaModel(config).eval()
    model.encoder.layer = torch.nn.ModuleList(model.encoder.layer[:17])
    return tokenizer, model


def _bertscore(tasks: dict[str, tuple[list[str], list[str]]], n_pairs: int) -> dict[str, Any]:
    from collections import defaultdict

    from bert_score.utils import bert_cos_score_idf

    texts = [t for refs, hyps in tasks.values() for t in refs[:n_pairs] + hyps[:n_pairs]]
    build_s, (tokenizer, model) = _timed(lambda: _random_roberta_large(texts))
    idf = defaultdict(lambda: 1.0)
    idf[tokenizer.sep_token_id] = 0
    idf[tokenizer.cls_token_id] = 0
    out: dict[str, Any] = {
        "model_build_s": build_s,
        "pairs_timed": n_pairs,
        "backbone": "random roberta-large-sized encoder, 17 layers",
    }
    for task, (refs, hyps) in tasks.items():
        sub_refs, sub_hyps = refs[:n_pairs], hyps[:n_pairs]
        seconds, _ = _timed(
            lambda r=sub_refs, h=sub_hyps: bert_cos_score_idf(
                model, r, h, tokenizer, idf, verbose=False, device="cpu", batch_size=64
            )
        )
        tokens = sum(len(tokenizer.encode(t)) for t in sub_refs + sub_hyps) / (2 * len(sub_refs))
        out[task] = {
            "seconds": seconds,
            "mean_tokens_per_text": tokens,
            "extrapolated_full_s": seconds * len(refs) / len(sub_refs),
        }
    return out


def run(args) -> dict[str, Any]:
    """Time every metric on both tasks and return the figures."""
    import torch
    from model_inputs import code_version

    code = code_version()  # before the run: the code that is measured
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    tasks = {
        "caption": _pairs(rng, args.captions, answers=False),
        "vqa": _pairs(rng, args.qa, answers=True),
    }
    figures: dict[str, Any] = {
        "code": code,
        "items": {task: len(refs) for task, (refs, _) in tasks.items()},
        "mean_words": {
            task: sum(len(r.split()) for r in refs) / len(refs) for task, (refs, _) in tasks.items()
        },
        "torch_threads": torch.get_num_threads(),
    }
    for task, (refs, hyps) in tasks.items():
        figures[task] = {"ours": _ngram_and_meteor(refs, hyps)}
        if args.reference:
            figures[task]["pycocoevalcap"] = _reference(refs, hyps)
        if not args.no_sbert:
            figures[task]["sbert"] = _sbert(refs, hyps)
        print(f"{task}: {figures[task]}")
    if args.bertscore_pairs > 0:
        figures["bertscore"] = _bertscore(tasks, args.bertscore_pairs)
    return figures
