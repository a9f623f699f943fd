"""Locating model weights for the neural metrics: local folders and the Hugging Face cache.

Also tells whether the hub may be contacted at all.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass
class ResolvedModel:
    """Where a metric's model comes from and whether its numbers compare to the paper's.

    Attributes:
        requested: the model name or folder the user asked for.
        load_path: what is handed to the loader (a folder or a hub id).
        source: human-readable origin (package, local folder, hub id).
        comparable: whether results can be put next to the paper's numbers.
        weights_sha256: sha256 of the weights file when known.
        notes: remarks for the report (e.g. why a result is not comparable).
    """

    requested: str
    load_path: str
    source: str
    comparable: bool
    weights_sha256: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-ready description."""
        return {
            "requested": self.requested,
            "load_path": self.load_path,
            "source": self.source,
            "comparable_to_paper": self.comparable,
            "weights_sha256": self.weights_sha256,
            "notes": list(self.notes),
        }


def sha256_file(path: str | Path, *, block: int = 1 << 22) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(block), b""):
            digest.update(chunk)
    return digest.hexdigest()


def weights_file(folder: str | Path) -> Path | None:
    """The weights file of a model folder (``model.safetensors`` or ``pytorch_model.bin``)."""
    for name in ("model.safetensors", "pytorch_model.bin"):
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate
    return None


def hub_offline() -> bool:
    """Whether the Hugging Face hub must not be contacted (``HF_HUB_OFFLINE`` and friends)."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on"):
            return True
    return False


def hub_cached_file(repo_id: str, filename: str) -> Path | None:
    """Path of ``filename`` of ``repo_id`` in the local Hugging Face cache, if present."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        found = try_to_load_from_cache(repo_id, filename)
    except ValueError:
        return None
    return Path(found) if isinstance(found, str) else None


@contextmanager
def loading_progress(show: bool) -> Iterator[None]:
    """Show or hide ``transformers``' weight-loading progress bar while a model loads.

    Args:
        show: ``False`` hides the bar (``--no-progress``); the previous setting is restored.
    """
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    if not show:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled and not show:
            hf_logging.enable_progress_bar()
