"""What to download: the three hub repositories and allow-pattern presets per task.

The repositories' file layouts are not documented; the patterns below assume the layouts the
authors' pipeline writes (the train-ready ``frame_lists/``, ``annotations/`` and ``frames/``
folders, possibly under a top folder such as ``ava/``; one folder per fine-tuned run in the
model repository). ``--include PATTERN`` replaces a preset's patterns when a layout differs.
Patterns are shell-style and ``*`` also matches ``/`` (the hub's ``allow_patterns`` rule).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slowfast_microg.hub.runs import AUTHORS_RUNS, find_run

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HubRepo:
    """A repository on the hub: id, type ("dataset" or "model") and local folder name."""

    repo_id: str
    repo_type: str

    @property
    def folder(self) -> str:
        """The local folder it is downloaded to, inside ``--dest``."""
        return self.repo_id.rsplit("/", 1)[-1]


RAW = HubRepo("LEI-QI-233/MicroG-4M", "dataset")
TRAIN_READY = HubRepo("LEI-QI-233/MicroG-HAR-train-ready", "dataset")
MODELS = HubRepo("LEI-QI-233/MicroG-4M-models", "model")
DOCS = ("*.md", "*.txt")
TRAIN_READY_ANNOTATIONS = ("*frame_lists/*", "*annotations/*")


@dataclass(frozen=True)
class Preset:
    """A task: which repository and which files (None: every file)."""

    repo: HubRepo
    patterns: tuple[str, ...] | None
    help: str
    verify: str  # "layout", "checkpoints" or "files": the check run after the download
    media: str = "either"  # with verify "layout": the media checked ("none": annotations only)


PRESETS: dict[str, Preset] = {
    "train-ready": Preset(
        TRAIN_READY,
        (*TRAIN_READY_ANNOTATIONS, "*frames/*", *DOCS),
        "the train-ready layout (frames, frame lists, annotations): what training reads",
        "layout",
    ),
    "train-ready-annotations": Preset(
        TRAIN_READY,
        (*TRAIN_READY_ANNOTATIONS, *DOCS),
        "only the frame lists and annotations of the train-ready layout (small)",
        "layout",
        media="none",
    ),
    "raw-annotations": Preset(
        RAW,
        ("*.csv", "*.pbtxt", *DOCS),
        "the released annotation files (bounding_boxes.csv, actions.csv, label map)",
        "files",
    ),
    "videos": Preset(RAW, ("*.mp4", *DOCS), "the released 3-second mp4 clips", "files"),
    "captions": Preset(RAW, ("*.json", *DOCS), "the caption and VQA JSON files", "files"),
    "raw": Preset(RAW, None, "every file of the MicroG-4M dataset repository", "files"),
    "checkpoints": Preset(
        MODELS,
        None,
        "the authors' fine-tuned checkpoints (all, or those of --model)",
        "checkpoints",
    ),
}
# "all" fetches every file of the three repositories.
ALL = "all"
CHOICES = (*PRESETS, ALL)


@dataclass(frozen=True)
class FetchRequest:
    """One ``snapshot_download`` call.

    Attributes:
        preset: the preset it comes from.
        repo: the repository.
        revision: branch, tag or commit.
        local_dir: where the files go (``dest/<repository name>``).
        allow_patterns: files to fetch (None: all).
        ignore_patterns: files to skip (None: none).
        models: the fine-tuned runs asked for (checkpoints preset), empty for all.
    """

    preset: str
    repo: HubRepo
    revision: str
    local_dir: Path
    allow_patterns: list[str] | None
    ignore_patterns: list[str] | None = None
    models: tuple[str, ...] = field(default=())

    def snapshot_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``huggingface_hub.snapshot_download`` for this request."""
        return {
            "repo_id": self.repo.repo_id,
            "repo_type": self.repo.repo_type,
            "revision": self.revision,
            "local_dir": str(self.local_dir),
            "allow_patterns": self.allow_patterns,
            "ignore_patterns": self.ignore_patterns,
        }


def model_patterns(models: Sequence[str]) -> list[str]:
    """Allow-patterns of the run folders of ``models`` (our config names or the authors')."""
    patterns = []
    for name in models:
        run = find_run(name).run
        patterns += [f"{run}/*", f"*/{run}/*"]
    return patterns


def build_requests(
    *,
    what: str,
    dest: str | Path,
    revision: str = "main",
    models: Sequence[str] = (),
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> list[FetchRequest]:
    """Turn command-line choices into download requests.

    Args:
        what: a preset name (``PRESETS``) or "all".
        dest: folder receiving one sub-folder per repository.
        revision: branch, tag or commit of the repositories.
        models: fine-tuned runs to fetch (only with the checkpoints preset).
        include: patterns replacing the preset's allow-patterns.
        exclude: patterns of files to skip.

    Returns:
        One request per repository.

    Raises:
        ValueError: unknown preset, or ``models`` with a preset other than checkpoints.
        KeyError: an unknown model name.
    """
    if what not in CHOICES:
        raise ValueError(f"Unknown --what {what!r}; choose one of {', '.join(CHOICES)}.")
    if models and what != "checkpoints":
        raise ValueError("--model only applies to --what checkpoints.")
    dest = Path(dest)
    if what == ALL:
        plan = [(name, PRESETS[name], None) for name in ("raw", "train-ready", "checkpoints")]
    else:
        patterns = model_patterns(models) if models else PRESETS[what].patterns
        plan = [(what, PRESETS[what], None if patterns is None else list(patterns))]
    requests = []
    for name, preset, patterns in plan:
        if include:
            patterns = list(include)
        requests.append(
            FetchRequest(
                preset=name,
                repo=preset.repo,
                revision=revision,
                local_dir=dest / preset.repo.folder,
                allow_patterns=patterns,
                ignore_patterns=list(exclude) or None,
                models=tuple(find_run(m).run for m in models),
            )
        )
    return requests


def known_models() -> list[str]:
    """Our config names of the fine-tuned runs (``--model`` choices; theirs work too)."""
    return [run.config.rsplit("/", 1)[-1].removesuffix(".yaml") for run in AUTHORS_RUNS]
