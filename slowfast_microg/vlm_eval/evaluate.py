"""Scoring aligned caption / VQA items with the paper's metrics, in the paper's column order."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
from fvcore.common.config import CfgNode

from slowfast_microg.vlm_eval.align import EvalItems
from slowfast_microg.vlm_eval.bertscore import bertscore, resolve_bertscore_model
from slowfast_microg.vlm_eval.bleu import corpus_bleu
from slowfast_microg.vlm_eval.cache import ScoreCache
from slowfast_microg.vlm_eval.cider import cider_d
from slowfast_microg.vlm_eval.config import METRIC_CHOICES, get_vlm_eval_cfg
from slowfast_microg.vlm_eval.errors import DependencyError
from slowfast_microg.vlm_eval.meteor import MeteorScorer
from slowfast_microg.vlm_eval.ngrams import NgramTable, build_ngram_table
from slowfast_microg.vlm_eval.rouge import rouge_l
from slowfast_microg.vlm_eval.sbert import resolve_sbert_model, sbert_score
from slowfast_microg.vlm_eval.tokenize import prepare_texts
from slowfast_microg.vlm_eval.weights import ResolvedModel

logger = logging.getLogger(__name__)

AGGREGATION = {
    "cider": "mean over items of CIDEr-D (document frequencies from the evaluated references)",
    "bleu4": "corpus-level (n-gram matches and lengths pooled over items)",
    "rouge_l": "mean over items of ROUGE-L F (beta 1.2)",
    "meteor": "corpus-level aggregate of METEOR 1.5 (pooled statistics)",
    "sbert": "mean over items of the embedding cosine",
    "bertscore": "mean over items of BERTScore F1",
}


@dataclass
class EvalOptions:
    """How to compute the metrics (mirrors the ``VLM_EVAL`` config node)."""

    metrics: tuple[str, ...] = METRIC_CHOICES
    tokenize: str = "none"
    java: str = "java"
    meteor_memory: str = "2G"
    meteor_timeout_s: float = 300.0
    sbert_model: str = "sentence-transformers/all-MiniLM-L6-v2"
    sbert_batch_size: int = 32
    bertscore_model: str = "roberta-large"
    bertscore_layer: int = 17
    bertscore_batch_size: int = 64
    device: str = "auto"
    progress: bool = True
    cache: str = ""

    @classmethod
    def from_cfg(cls, cfg: CfgNode | None = None) -> EvalOptions:
        """Build the options from a config holding ``VLM_EVAL`` (defaults when ``None``)."""
        node = (cfg or get_vlm_eval_cfg()).VLM_EVAL
        return cls(
            metrics=tuple(node.METRICS),
            tokenize=node.TOKENIZE,
            java=node.METEOR.JAVA,
            meteor_memory=node.METEOR.MEMORY,
            meteor_timeout_s=float(node.METEOR.TIMEOUT_S),
            sbert_model=node.SBERT.MODEL,
            sbert_batch_size=int(node.SBERT.BATCH_SIZE),
            bertscore_model=node.BERTSCORE.MODEL,
            bertscore_layer=int(node.BERTSCORE.LAYER),
            bertscore_batch_size=int(node.BERTSCORE.BATCH_SIZE),
            device=node.DEVICE,
            progress=bool(node.PROGRESS),
            cache=node.CACHE,
        )


@dataclass
class MetricScore:
    """One metric's result.

    Attributes:
        raw: the value as the scorer returns it (CIDEr-D in [0, 10], the others in [0, 1]).
        per_item: (N,) item values (sentence-level for the corpus metrics).
        seconds: wall time spent.
        extra: further values (BLEU-1..3, BERTScore precision and recall).
    """

    raw: float
    per_item: np.ndarray
    seconds: float
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def scaled(self) -> float:
        """The paper's 0-100 value (raw times 100, CIDEr included)."""
        return 100.0 * self.raw


@dataclass
class Evaluation:
    """Everything a report needs.

    Attributes:
        items: the scored items.
        scores: metric name to result, in the paper's column order.
        models: resolved neural models by metric name.
        options: the options used.
    """

    items: EvalItems
    scores: dict[str, MetricScore]
    models: dict[str, ResolvedModel]
    options: EvalOptions

    @property
    def comparable_to_paper(self) -> bool:
        """False when a non-default model or the PTB tokenization was used."""
        return self.options.tokenize == "none" and all(m.comparable for m in self.models.values())


def resolve_device(device: str) -> str:
    """Map ``"auto"`` to ``"cuda"`` when available, else ``"cpu"``; check any other value.

    Args:
        device: ``VLM_EVAL.DEVICE`` (``--device``): ``auto``, ``cpu``, ``cuda``, ``cuda:1``...

    Returns:
        A torch device string that exists on this machine.

    Raises:
        DependencyError: the value is not a torch device, or names a CUDA device that is absent.
    """
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise DependencyError(
            f"--device {device!r} is not a torch device ({exc}); use auto, cpu, cuda or cuda:N"
        ) from None
    if parsed.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (parsed.index or 0) >= count:
            raise DependencyError(
                f"--device {device!r}: this machine has {count} usable CUDA device(s); use "
                "--device cpu (or auto), or install a CUDA build of torch with a working driver"
            )
    return device


def resolve_models(options: EvalOptions) -> dict[str, ResolvedModel]:
    """Resolve the neural metrics' models before any scoring, so that a missing model fails fast."""
    models: dict[str, ResolvedModel] = {}
    if "sbert" in options.metrics:
        models["sbert"] = resolve_sbert_model(options.sbert_model)
    if "bertscore" in options.metrics:
        models["bertscore"] = resolve_bertscore_model(
            options.bertscore_model, layer=options.bertscore_layer
        )
    return models


def _zero_missing(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    values = np.array(values, dtype=np.float64)
    values[missing] = 0.0
    return values


def evaluate_items(
    items: EvalItems,
    options: EvalOptions | None = None,
    *,
    meteor_scorer: MeteorScorer | None = None,
) -> Evaluation:
    """Compute the requested metrics on aligned items.

    Missing items (``--missing zero``) get per-item score 0 in the item-mean metrics and count
    as empty predictions, with their references, in the corpus metrics (BLEU-4, METEOR).

    Args:
        items: aligned items (see :mod:`slowfast_microg.vlm_eval.align`).
        options: metric options; defaults from the config node when ``None``.
        meteor_scorer: a running METEOR process to reuse (a temporary one otherwise).

    Returns:
        The scores, in the paper's column order.
    """
    options = options or EvalOptions.from_cfg()
    models = resolve_models(options)
    wanted = [m for m in METRIC_CHOICES if m in options.metrics]
    neural = {"sbert", "bertscore"} & set(wanted)
    device = resolve_device(options.device) if neural else "cpu"
    missing = np.asarray(items.missing, dtype=bool)
    scores: dict[str, MetricScore] = {}
    refs, hyps = prepare_texts(
        items.references, items.predictions, mode=options.tokenize, java=options.java
    )
    table = None
    if {"bleu4", "cider"} & set(wanted):
        table = build_ngram_table(refs, hyps)
    for name in wanted:
        start = time.perf_counter()
        logger.info("computing %s on %d items", name, len(items))
        scores[name] = _compute(
            name,
            items=items,
            refs=refs,
            hyps=hyps,
            table=table,
            missing=missing,
            models=models,
            options=options,
            device=device,
            meteor_scorer=meteor_scorer,
        )
        scores[name].seconds = time.perf_counter() - start
        logger.info("%s = %.6f (raw) in %.1f s", name, scores[name].raw, scores[name].seconds)
    return Evaluation(items=items, scores=scores, models=models, options=options)


def _compute(
    name: str,
    *,
    items: EvalItems,
    refs: list[str],
    hyps: list[str],
    table: NgramTable | None,
    missing: np.ndarray,
    models: dict[str, ResolvedModel],
    options: EvalOptions,
    device: str,
    meteor_scorer: MeteorScorer | None,
) -> MetricScore:
    if name == "bleu4":
        bleu = corpus_bleu(table)
        extra = {f"bleu{k + 1}": bleu.corpus[k] for k in range(3)}
        return MetricScore(bleu.corpus[3], bleu.per_item[:, 3], 0.0, extra)
    if name == "cider":
        per_item = _zero_missing(cider_d(table).per_item, missing)
        return MetricScore(float(np.mean(per_item)), per_item, 0.0)
    if name == "rouge_l":
        per_item = _zero_missing(rouge_l(refs, hyps).per_item, missing)
        return MetricScore(float(np.mean(per_item)), per_item, 0.0)
    if name == "meteor":
        if meteor_scorer is not None:
            result = meteor_scorer.score(refs, hyps)
        else:
            with MeteorScorer(
                java=options.java,
                memory=options.meteor_memory,
                timeout_s=options.meteor_timeout_s,
                progress=options.progress,
            ) as scorer:
                result = scorer.score(refs, hyps)
        return MetricScore(result.corpus, result.per_item, 0.0)
    present = np.nonzero(~missing)[0]
    sub_refs = [items.references[i] for i in present]
    sub_hyps = [items.predictions[i] for i in present]
    cache = ScoreCache(options.cache or None)
    per_item = np.zeros(len(items), dtype=np.float64)
    if name == "sbert":
        result = sbert_score(
            sub_refs,
            sub_hyps,
            batch_size=options.sbert_batch_size,
            device=device,
            cache=cache,
            progress=options.progress,
            resolved=models["sbert"],
        )
        per_item[present] = result.per_item
        return MetricScore(float(np.mean(per_item)), per_item, 0.0)
    result = bertscore(
        sub_refs,
        sub_hyps,
        layer=options.bertscore_layer,
        batch_size=options.bertscore_batch_size,
        device=device,
        cache=cache,
        progress=options.progress,
        resolved=models["bertscore"],
    )
    prf = np.zeros((len(items), 3), dtype=np.float64)
    prf[present] = result.per_item
    extra = {"precision": float(np.mean(prf[:, 0])), "recall": float(np.mean(prf[:, 1]))}
    return MetricScore(float(np.mean(prf[:, 2])), prf[:, 2], 0.0, extra)
