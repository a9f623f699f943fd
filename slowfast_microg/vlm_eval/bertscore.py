"""BERTScore F1 through the ``bert_score`` package, with the paper's settings made explicit.

The authors called ``bert_score.score(cands, refs, lang="en")``: roberta-large, layer 17, no idf
weighting, no baseline rescaling, the slow tokenizer; the corpus score is the mean item F1.
Here the same computation runs through ``bert_score``'s own embedding and greedy-matching code,
chunk by chunk (progress, resumable cache). One difference in loading: byte-level BPE tokenizers
(RoBERTa, GPT-2) are created with ``add_prefix_space=True``, because recent ``transformers``
releases ignore the ``add_prefix_space`` argument ``bert_score`` passes at encoding time; this
restores the tokenization the authors' environment produced.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from slowfast_microg.vlm_eval.cache import ScoreCache, score_pairs
from slowfast_microg.vlm_eval.deps import require
from slowfast_microg.vlm_eval.errors import DependencyError, VlmEvalError
from slowfast_microg.vlm_eval.weights import (
    ResolvedModel,
    hub_cached_file,
    hub_offline,
    loading_progress,
)

logger = logging.getLogger(__name__)

DEFAULT_BERTSCORE_MODEL = "roberta-large"
DEFAULT_BERTSCORE_LAYER = 17
_PAPER_IDS = ("roberta-large", "FacebookAI/roberta-large")
# Architecture of roberta-large, used to recognise a local copy of it.
_ROBERTA_LARGE = {
    "model_type": "roberta",
    "hidden_size": 1024,
    "num_hidden_layers": 24,
    "vocab_size": 50265,
}
_HOW_TO_PROVIDE = (
    "BERTScore as in the paper needs roberta-large (about 1.4 GB), which is not on the package "
    "index. Either download it on a connected machine (`huggingface-cli download "
    "FacebookAI/roberta-large --local-dir roberta-large`), copy the folder here and pass "
    "--bertscore-model /path/to/roberta-large --bertscore-layer 17, or copy a filled Hugging "
    "Face cache (HF_HOME) here; or leave bertscore out of --metrics."
)


@dataclass
class BertScoreResult:
    """BERTScore values.

    Attributes:
        corpus: mean item F1 (raw; the paper's column is this times 100).
        per_item: (N, 3) precision, recall and F1 of each pair.
    """

    corpus: float
    per_item: np.ndarray


def resolve_bertscore_model(name: str = DEFAULT_BERTSCORE_MODEL, *, layer: int) -> ResolvedModel:
    """Decide where the BERTScore backbone is loaded from and whether results are comparable.

    Args:
        name: hub id or local folder of a ``transformers`` encoder.
        layer: the hidden layer used (17 in the paper).

    Returns:
        The resolution.

    Raises:
        DependencyError: the model is neither a folder nor in the cache while the hub is off
            limits; the message says how to provide roberta-large.
    """
    notes: list[str] = []
    folder = Path(name)
    if folder.is_dir():
        config_path = folder / "config.json"
        if not config_path.is_file():
            raise DependencyError(f"{folder} has no config.json; it is not a transformers model")
        config = json.loads(config_path.read_text(encoding="utf-8"))
        same = all(config.get(k) == v for k, v in _ROBERTA_LARGE.items())
        comparable = same and layer == DEFAULT_BERTSCORE_LAYER
        if same:
            notes.append("local folder with roberta-large's architecture; weights not verified")
        source = "local folder"
    else:
        comparable = name in _PAPER_IDS and layer == DEFAULT_BERTSCORE_LAYER
        cached = hub_cached_file(name, "config.json")
        if cached is None and hub_offline():
            raise DependencyError(
                f"BERTScore model {name!r} is not available offline. {_HOW_TO_PROVIDE}"
            )
        source = "Hugging Face cache" if cached is not None else "hub download"
        if cached is not None:
            folder = cached.parent
    if not comparable:
        notes.append(
            f"not comparable to paper: BERTScore with {name!r} layer {layer} instead of "
            f"{DEFAULT_BERTSCORE_MODEL} layer {DEFAULT_BERTSCORE_LAYER}"
        )
    return ResolvedModel(
        name, str(folder) if folder.is_dir() else name, source, comparable, None, notes
    )


def load_bertscore_backbone(
    resolved: ResolvedModel, *, layer: int, device: str, progress: bool = True
) -> tuple[Any, Any]:
    """Load tokenizer and truncated encoder the way ``bert_score`` does.

    Args:
        resolved: the model resolution.
        layer: hidden layer whose output is used (the encoder is cut after it).
        device: torch device.
        progress: show the weight-loading progress bar.

    Returns:
        ``(tokenizer, model)``.

    Raises:
        VlmEvalError: ``layer`` is outside the model's layers.
    """
    transformers = require("transformers", purpose="BERTScore")
    bs_utils = require("bert_score.utils", purpose="BERTScore")
    try:
        config = transformers.AutoConfig.from_pretrained(resolved.load_path)
        tokenizer = transformers.AutoTokenizer.from_pretrained(resolved.load_path, use_fast=False)
        if isinstance(tokenizer, (transformers.GPT2Tokenizer, transformers.RobertaTokenizer)):
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                resolved.load_path, use_fast=False, add_prefix_space=True
            )
    except OSError as exc:
        raise DependencyError(
            f"cannot load BERTScore model {resolved.requested!r} ({exc}). {_HOW_TO_PROVIDE}"
        ) from exc
    depth = getattr(config, "num_hidden_layers", None)
    if depth is not None and not 0 <= layer <= depth:
        raise VlmEvalError(
            f"--bertscore-layer {layer} is outside 0..{depth} for {resolved.requested!r}; "
            f"choose a layer of this model ({DEFAULT_BERTSCORE_LAYER} for roberta-large)"
        )
    with tempfile.TemporaryDirectory(prefix="bertscore_") as tmp, loading_progress(progress):
        model = bs_utils.get_model(
            _name_for_bert_score(resolved.load_path, config.model_type, Path(tmp)), layer, False
        )
    model.to(device)
    return tokenizer, model


def _name_for_bert_score(load_path: str, model_type: str, tmp: Path) -> str:
    """A path ``bert_score.get_model`` reads as intended.

    ``get_model`` picks the T5 loader for any name containing "t5" and a download routine for
    names starting with "scibert"; a local folder whose path merely contains those letters is
    reached through a neutral symbolic link instead.
    """
    misread = ("t5" in load_path and "t5" not in model_type) or load_path.startswith("scibert")
    if not misread or not Path(load_path).is_dir():
        return load_path
    link = tmp / "model"
    link.symlink_to(Path(load_path).resolve(), target_is_directory=True)
    return str(link)


def bertscore(
    refs: Sequence[str],
    hyps: Sequence[str],
    *,
    model_name: str = DEFAULT_BERTSCORE_MODEL,
    layer: int = DEFAULT_BERTSCORE_LAYER,
    batch_size: int = 64,
    device: str = "cpu",
    cache: ScoreCache | None = None,
    progress: bool = False,
    resolved: ResolvedModel | None = None,
) -> BertScoreResult:
    """BERTScore (no idf, no rescaling) of N pairs; the corpus value is the mean F1.

    Args:
        refs: N reference texts.
        hyps: N predicted texts.
        model_name: hub id or local folder (ignored when ``resolved`` is given).
        layer: hidden layer of the backbone.
        batch_size: sentences per forward pass.
        device: torch device.
        cache: optional per-pair cache (resume).
        progress: show a progress bar.
        resolved: a model already resolved with :func:`resolve_bertscore_model`.

    Returns:
        The corpus F1 and the (N, 3) precision / recall / F1 values.
    """
    bs_utils = require("bert_score.utils", purpose="BERTScore")
    resolved = resolved or resolve_bertscore_model(model_name, layer=layer)
    tokenizer, model = load_bertscore_backbone(
        resolved, layer=layer, device=device, progress=progress
    )
    idf = defaultdict(lambda: 1.0)
    idf[tokenizer.sep_token_id] = 0
    idf[tokenizer.cls_token_id] = 0

    def score_chunk(chunk_refs: list[str], chunk_hyps: list[str]) -> np.ndarray:
        prf = bs_utils.bert_cos_score_idf(
            model,
            chunk_refs,
            chunk_hyps,
            tokenizer,
            idf,
            verbose=False,
            device=device,
            batch_size=batch_size,
        )
        return prf.cpu().double().numpy()

    values = score_pairs(
        refs,
        hyps,
        scorer=score_chunk,
        fingerprint=f"bertscore|{resolved.load_path}|{layer}",
        width=3,
        cache=cache or ScoreCache(None),
        chunk_size=max(batch_size * 4, 256),
        desc="BERTScore",
        progress=progress,
    )
    return BertScoreResult(corpus=float(np.mean(values[:, 2])), per_item=values)
