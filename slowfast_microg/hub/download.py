"""Download from the hub with ``huggingface_hub.snapshot_download`` (the ``download`` extra).

``snapshot_download`` into a local folder is resumable (huggingface_hub 0.23 or later, which
the ``download`` extra requires): files already complete are skipped and interrupted ones
continue, so re-running the same command finishes a download. It
shows one progress bar per file and overall. Nothing here touches the network until
:func:`fetch` is called.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slowfast_microg.hub.presets import FetchRequest
from slowfast_microg.hub.runs import AUTHORS_RUNS, find_run

logger = logging.getLogger(__name__)

INSTALL_HINT = (
    "Downloading needs huggingface_hub: pip install 'slowfast_microg[download]' "
    "(or pip install huggingface_hub)."
)
# Folders looked into for the train-ready layout root, in this order.
LAYOUT_MARKERS = ("frame_lists", "annotations")


def snapshot_downloader() -> Callable[..., Any]:
    """``huggingface_hub.snapshot_download``, imported on first use.

    Raises:
        ImportError: huggingface_hub is not installed (the message says how to install it).
    """
    try:
        from huggingface_hub import snapshot_download
    except ImportError as error:
        raise ImportError(INSTALL_HINT) from error
    return snapshot_download


def fetch(request: FetchRequest) -> Path:
    """Download the files of ``request`` into ``request.local_dir`` (resumable).

    Returns:
        The local folder.

    Raises:
        ImportError: huggingface_hub is missing.
        OSError: the download failed (network, authentication, missing revision); files
            already complete stay and a re-run resumes.
    """
    download = snapshot_downloader()
    request.local_dir.mkdir(parents=True, exist_ok=True)
    logger.info(
        "Fetching %s (%s, revision %s) into %s, patterns %s",
        request.repo.repo_id,
        request.repo.repo_type,
        request.revision,
        request.local_dir,
        request.allow_patterns or "all files",
    )
    download(**request.snapshot_kwargs())
    return request.local_dir


def find_layout_root(folder: str | Path, *, max_depth: int = 2) -> Path | None:
    """The folder holding ``frame_lists/`` and ``annotations/`` at or below ``folder``.

    The repository may keep the layout at its top or under a folder such as ``ava/``. Hidden
    folders (the hub's ``.cache``) are skipped; the shallowest match wins, then the first in
    sorted order.

    Returns:
        The layout root (the value for DATA.PATH_TO_DATA_DIR), or None if there is none.
    """
    level = [Path(folder)]
    for _ in range(max_depth + 1):
        for candidate in level:
            if all((candidate / marker).is_dir() for marker in LAYOUT_MARKERS):
                return candidate
        level = [
            child
            for parent in level
            for child in sorted(parent.iterdir() if parent.is_dir() else [])
            if child.is_dir() and not child.name.startswith(".")
        ]
    return None


def checkpoint_status(local_dir: str | Path, models: tuple[str, ...]) -> list[str]:
    """Problems with the downloaded checkpoints of ``models`` (all fine-tuned runs if empty).

    A run whose tested checkpoint is known must have that file; any other run must have at
    least one ``.pyth`` file in its folder.

    Returns:
        One message per run that lacks its checkpoint (empty when all are there).
    """
    runs = [find_run(name) for name in models] if models else list(AUTHORS_RUNS)
    local_dir = Path(local_dir)
    problems = []
    for run in runs:
        found = sorted(p for p in local_dir.rglob("*.pyth") if run.run in p.parts)
        if run.checkpoint is not None:
            if not any(p.as_posix().endswith(run.checkpoint) for p in found):
                others = ", ".join(str(p.relative_to(local_dir)) for p in found) or "none"
                problems.append(
                    f"{run.run}: {run.checkpoint} not found under {local_dir} (checkpoints of "
                    f"this run found: {others}). Pass the one to test as "
                    "TEST.CHECKPOINT_FILE_PATH."
                )
        elif not found:
            problems.append(f"{run.run}: no .pyth file under {local_dir}/{run.run}.")
    return problems
