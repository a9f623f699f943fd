"""``LoadReport``: what a checkpoint load did, tensor by tensor, in a form a user can read."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

HEAD_PREFIX = "head.projection."
SHOWN_NAMES = 5


def _preview(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN_NAMES])
    more = len(names) - SHOWN_NAMES
    return f"{shown}, ... (+{more} more)" if more > 0 else shown


@dataclass
class LoadReport:
    """Outcome of loading one checkpoint into a model.

    Attributes:
        epoch: epoch stored in the checkpoint; -1 when there is none, for Caffe2 files, or
            when the epoch was reset.
        loaded: model keys that received a checkpoint tensor.
        skipped: (key, checkpoint shape, model shape) of tensors whose shapes differ; the model
            keeps its own initialisation for them.
        missing: model keys the checkpoint has no tensor for (``num_batches_tracked`` not
            counted; keys with a tensor of the wrong shape are in ``skipped`` instead).
        unexpected: checkpoint keys (after renaming) that the model does not have.
        resized: keys interpolated or tiled to the model's shape.
        inflated: keys inflated from 2D to 3D kernels.
        source_keys: number of tensors in the checkpoint.
        ignored: Caffe2 optimiser leftovers (momentum, lr, model_iter blobs), not loaded.
        path: the checkpoint file.
    """

    epoch: int = -1
    loaded: list[str] = field(default_factory=list)
    skipped: list[tuple[str, tuple, tuple]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    resized: list[str] = field(default_factory=list)
    inflated: list[str] = field(default_factory=list)
    source_keys: int = 0
    ignored: list[str] = field(default_factory=list)
    path: str = ""

    def beyond_head(self) -> list[str]:
        """Model keys outside ``head.projection.*`` that were missing or skipped."""
        names = self.missing + [key for key, _, _ in self.skipped]
        return sorted({name for name in names if not name.startswith(HEAD_PREFIX)})

    def summary(self) -> str:
        """Human-readable summary: one line per category with its count and first names."""
        skipped = [
            f"{key}: checkpoint {tuple(src)} vs model {tuple(dst)}"
            for key, src, dst in self.skipped
        ]
        epoch = "none" if self.epoch < 0 else str(self.epoch)
        lines = [
            f"Checkpoint {self.path or '(state dict)'}: {self.source_keys} tensors, epoch {epoch}",
            f"  loaded: {len(self.loaded)}",
            f"  skipped (shape mismatch): {len(self.skipped)} {_preview(skipped)}".rstrip(),
            f"  missing (kept their initialisation): {len(self.missing)} "
            f"{_preview(self.missing)}".rstrip(),
            f"  unexpected (not in the model): {len(self.unexpected)} "
            f"{_preview(self.unexpected)}".rstrip(),
            f"  resized: {len(self.resized)} {_preview(self.resized)}".rstrip(),
            f"  inflated 2D->3D: {len(self.inflated)} {_preview(self.inflated)}".rstrip(),
        ]
        if self.ignored:
            lines.append(f"  ignored optimiser blobs: {len(self.ignored)}")
        return "\n".join(lines)

    def log(self) -> None:
        """Log the summary: WARNING when anything beyond the classifier is missing or skipped."""
        problems = self.beyond_head()
        if problems:
            logger.warning(
                "%s\n  %d tensor(s) outside head.projection were NOT loaded and keep their "
                "random initialisation (%s). Check that the checkpoint matches the model "
                "(MODEL.ARCH, TRAIN.CHECKPOINT_TYPE, TRAIN.CHECKPOINT_INFLATE).",
                self.summary(),
                len(problems),
                _preview(problems),
            )
        else:
            logger.info("%s", self.summary())
