"""The run's own checkpoints: atomic, verified, exact-resume state in PySlowFast's format.

Layout (``OUTPUT_DIR/checkpoints``):

- ``checkpoint_epoch_%05d.pyth``: after epoch N (1-based), PySlowFast's format
  ``{"epoch": N - 1, "model_state", "optimizer_state", "cfg"}`` plus this engine's fields.
- ``partial_epoch_%05d_iter_%06d.pyth``: mid-epoch state after ``iter`` iterations of epoch N
  (``TRAIN.CHECKPOINT_ITER_PERIOD``); the newest two are kept.
- ``diverged_epoch_%05d_iter_%06d.pyth``: state just before a non-finite or exploding loss;
  never used for resuming.
- ``<name>.sha256``: digest of each file, checked before a checkpoint is trusted.
"""

from __future__ import annotations

import logging
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from fvcore.common.config import CfgNode
from torch import nn

from slowfast_microg.utils import distributed as du
from slowfast_microg.utils.atomic_io import atomic_write, atomic_write_text, file_sha256

logger = logging.getLogger(__name__)

CHECKPOINT_DIR = "checkpoints"
DIGEST_SUFFIX = ".sha256"
KEEP_PARTIAL = 2
FORMAT_VERSION = 1
_EPOCH_NAME = re.compile(r"^checkpoint_epoch_(\d{5})\.pyth$")
_PARTIAL_NAME = re.compile(r"^partial_epoch_(\d{5})_iter_(\d{6})\.pyth$")


class CorruptCheckpointError(RuntimeError):
    """A checkpoint that is truncated, fails its digest or lacks required fields."""


class CheckpointSaveError(RuntimeError):
    """A checkpoint could not be written; the previous checkpoints are intact."""


@dataclass
class TrainProgress:
    """Position of a training run.

    Attributes:
        epoch: last completed epoch (0-based; -1 before the first), as PySlowFast's "epoch".
        iteration: iterations already done in epoch ``epoch + 1``.
        global_step: optimisation steps taken since the start of training.
        extra: engine bookkeeping restored on resume (loss window, decode failures, meters).
    """

    epoch: int = -1
    iteration: int = 0
    global_step: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def checkpoint_folder(output_dir: str | Path) -> Path:
    """``output_dir/checkpoints``."""
    return Path(output_dir) / CHECKPOINT_DIR


def epoch_checkpoint_path(output_dir: str | Path, epoch_number: int) -> Path:
    """Path of the checkpoint written after 1-based epoch ``epoch_number``."""
    return checkpoint_folder(output_dir) / f"checkpoint_epoch_{epoch_number:05d}.pyth"


def partial_checkpoint_path(output_dir: str | Path, epoch_number: int, iteration: int) -> Path:
    """Path of the mid-epoch checkpoint after ``iteration`` iterations of epoch ``epoch_number``."""
    name = f"partial_epoch_{epoch_number:05d}_iter_{iteration:06d}.pyth"
    return checkpoint_folder(output_dir) / name


def diverged_checkpoint_path(output_dir: str | Path, epoch_number: int, iteration: int) -> Path:
    """Path of the state saved when the loss diverged at ``iteration`` of ``epoch_number``."""
    name = f"diverged_epoch_{epoch_number:05d}_iter_{iteration:06d}.pyth"
    return checkpoint_folder(output_dir) / name


def unwrap_model(model: nn.Module) -> nn.Module:
    """The model inside a DDP/DataParallel wrapper (so state_dict keys have no ``module.``)."""
    wrappers = (nn.parallel.DistributedDataParallel, nn.DataParallel)
    return model.module if isinstance(model, wrappers) else model


def capture_rng_state(*, use_cuda: bool) -> dict[str, Any]:
    """This process's Python, numpy, torch (and current CUDA device) generator states."""
    np_state = np.random.get_state(legacy=False)
    state = {
        "python": random.getstate(),
        "numpy": {
            "pos": int(np_state["state"]["pos"]),
            "key": np_state["state"]["key"].tolist(),
            "has_gauss": int(np_state["has_gauss"]),
            "gauss": float(np_state["gauss"]),
        },
        "torch": torch.get_rng_state(),
    }
    if use_cuda:
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Inverse of ``capture_rng_state``."""
    python = state["python"]
    random.setstate((python[0], tuple(python[1]), python[2]))
    np_state = state["numpy"]
    np.random.set_state(
        {
            "bit_generator": "MT19937",
            "state": {"key": np.asarray(np_state["key"], dtype=np.uint32), "pos": np_state["pos"]},
            "has_gauss": np_state["has_gauss"],
            "gauss": np_state["gauss"],
        }
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"])


def _progress_key(path: Path) -> tuple[int, int] | None:
    """(completed epochs, iterations into the next) encoded in a resumable checkpoint's name."""
    match = _EPOCH_NAME.match(path.name)
    if match:
        return int(match.group(1)), 0
    match = _PARTIAL_NAME.match(path.name)
    if match:
        return int(match.group(1)) - 1, int(match.group(2))
    return None


def resume_candidates(output_dir: str | Path) -> list[Path]:
    """Resumable checkpoints of the run, newest training position first."""
    folder = checkpoint_folder(output_dir)
    if not folder.is_dir():
        return []
    keyed = [(key, path) for path in folder.iterdir() if (key := _progress_key(path)) is not None]
    return [path for _, path in sorted(keyed, reverse=True)]


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint after checking its digest and required fields.

    Raises:
        CorruptCheckpointError: the file is unreadable, truncated, fails its ``.sha256``
            digest, or lacks "epoch"/"model_state".
    """
    path = Path(path)
    digest_file = path.with_name(path.name + DIGEST_SUFFIX)
    if digest_file.exists():
        expected = digest_file.read_text().strip()
        actual = file_sha256(path)
        if actual != expected:
            raise CorruptCheckpointError(
                f"{path}: SHA-256 {actual[:12]}... does not match {digest_file.name} "
                f"({expected[:12]}...); the file is damaged."
            )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch reports truncation as RuntimeError, pickle errors vary
        raise CorruptCheckpointError(f"{path}: cannot be loaded ({err}).") from err
    if not isinstance(payload, dict) or not {"epoch", "model_state"} <= set(payload):
        raise CorruptCheckpointError(f"{path}: lacks the 'epoch'/'model_state' fields.")
    return payload


def find_resume_checkpoint(output_dir: str | Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest checkpoint of the run that loads and verifies, with its content.

    A damaged newer checkpoint is reported with an error and skipped in favour of the
    previous one.
    """
    for path in resume_candidates(output_dir):
        try:
            return path, read_checkpoint(path)
        except CorruptCheckpointError as err:
            logger.error("Skipping damaged checkpoint: %s Trying the previous one.", err)
    return None


def find_last_epoch_checkpoint(output_dir: str | Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest epoch checkpoint (``checkpoint_epoch_*.pyth``) that loads and verifies."""
    for path in resume_candidates(output_dir):
        if not _EPOCH_NAME.match(path.name):
            continue
        try:
            return path, read_checkpoint(path)
        except CorruptCheckpointError as err:
            logger.error("Skipping damaged checkpoint: %s", err)
    return None


def write_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` and its digest atomically; the previous files survive any failure.

    Raises:
        CheckpointSaveError: writing failed (for example a full disk); nothing was replaced.
    """
    digest = path.with_name(path.name + DIGEST_SUFFIX)
    try:
        # A digest of a file being replaced would condemn the new file if we stopped between
        # the two renames; without one, a complete file is still accepted by torch.load.
        digest.unlink(missing_ok=True)
        atomic_write(path, lambda handle: torch.save(payload, handle))
        atomic_write_text(digest, file_sha256(path) + "\n")
    except OSError as err:
        previous = [p.name for p in resume_candidates(path.parent.parent) if p != path][:1]
        kept = previous[0] if previous else "none yet"
        raise CheckpointSaveError(
            f"Could not write checkpoint {path} ({err}). Earlier checkpoints are untouched "
            f"(newest: {kept}); free disk space and rerun with TRAIN.AUTO_RESUME True."
        ) from err


def _remove_with_digest(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_name(path.name + DIGEST_SUFFIX).unlink(missing_ok=True)


def prune_partial_checkpoints(output_dir: str | Path, *, keep: int = KEEP_PARTIAL) -> None:
    """Keep the ``keep`` newest mid-epoch checkpoints newer than every epoch checkpoint."""
    newest_epoch = None
    partial_seen = 0
    for path in resume_candidates(output_dir):
        if _EPOCH_NAME.match(path.name):
            newest_epoch = newest_epoch or path
            continue
        if newest_epoch is not None or partial_seen >= keep:
            _remove_with_digest(path)
        else:
            partial_seen += 1


def checkpoint_payload(
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None,
    cfg: CfgNode,
    progress: TrainProgress,
    rng_states: list[dict[str, Any]],
) -> dict[str, Any]:
    """A PySlowFast-compatible checkpoint dict holding everything exact resume needs."""
    return {
        "epoch": progress.epoch,
        "model_state": unwrap_model(model).state_dict(),
        "optimizer_state": optimizer.state_dict(),
        "cfg": cfg.dump(),
        "iteration": progress.iteration,
        "global_step": progress.global_step,
        "scaler_state": scaler.state_dict() if scaler is not None else None,
        "rng_state": rng_states,
        "sampler_state": {
            "seed": cfg.RNG_SEED,
            "epoch": progress.epoch + 1,
            "skip_batches": progress.iteration,
            "global_batch_size": cfg.TRAIN.BATCH_SIZE,
            "world_size": len(rng_states),
        },
        "extra": progress.extra,
        "format_version": FORMAT_VERSION,
    }


def restore_training_state(
    payload: dict[str, Any],
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None,
    cfg: CfgNode,
) -> TrainProgress:
    """Restore model (strict), optimiser, scaler and this rank's RNG from a run checkpoint.

    Fields missing from checkpoints written by other tools are reported: the run continues
    but is not bit-exact.
    """
    unwrap_model(model).load_state_dict(payload["model_state"], strict=True)
    if payload.get("optimizer_state") is not None:
        optimizer.load_state_dict(payload["optimizer_state"])
    else:
        logger.warning("The checkpoint has no optimizer state; the optimizer starts afresh.")
    if scaler is not None and payload.get("scaler_state"):
        scaler.load_state_dict(payload["scaler_state"])
    rng_states = payload.get("rng_state") or []
    world, rank = du.get_world_size(), du.get_rank()
    if len(rng_states) == world:
        restore_rng_state(rng_states[rank])
    else:
        logger.warning(
            "The checkpoint holds random states of %d process(es) and this run has %d: the "
            "continuation is valid but not bit-identical to an uninterrupted run.",
            len(rng_states),
            world,
        )
    sampler_state = payload.get("sampler_state") or {}
    if sampler_state.get("global_batch_size", cfg.TRAIN.BATCH_SIZE) != cfg.TRAIN.BATCH_SIZE:
        logger.warning(
            "TRAIN.BATCH_SIZE changed from %s to %s since the checkpoint: the rest of the epoch "
            "is re-sampled.",
            sampler_state["global_batch_size"],
            cfg.TRAIN.BATCH_SIZE,
        )
    return TrainProgress(
        epoch=int(payload["epoch"]),
        iteration=int(payload.get("iteration", 0)),
        global_step=int(payload.get("global_step", 0)),
        extra=dict(payload.get("extra") or {}),
    )


class RunCheckpointer:
    """Saves the run's checkpoints from every process (collective), writing on rank 0 only.

    Args:
        output_dir: run folder.
        cfg: the run's config (dumped into each checkpoint).
        model: the (possibly DDP-wrapped) model.
        optimizer: its optimiser.
        scaler: the fp16 grad scaler, or None.
        use_cuda: also capture CUDA generator states.
    """

    def __init__(
        self,
        *,
        output_dir: str | Path,
        cfg: CfgNode,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        scaler: torch.amp.GradScaler | None,
        use_cuda: bool,
    ) -> None:
        self.output_dir = Path(output_dir)
        self.cfg = cfg
        self.model = model
        self.optimizer = optimizer
        self.scaler = scaler
        self.use_cuda = use_cuda

    def save(self, path: Path, progress: TrainProgress) -> Path:
        """Write ``progress`` to ``path`` (every rank must call); prune old mid-epoch files.

        Raises:
            CheckpointSaveError: on every rank when rank 0 could not write.
        """
        rng_states = du.all_gather_objects(capture_rng_state(use_cuda=self.use_cuda))
        error = None
        if du.is_master_proc():
            payload = checkpoint_payload(
                model=self.model,
                optimizer=self.optimizer,
                scaler=self.scaler,
                cfg=self.cfg,
                progress=progress,
                rng_states=rng_states,
            )
            try:
                write_checkpoint(path, payload)
            except CheckpointSaveError as err:
                error = str(err)
            else:
                prune_partial_checkpoints(self.output_dir)
                logger.info("Saved checkpoint %s", path)
        error = du.broadcast_object(error)
        if error is not None:
            raise CheckpointSaveError(error)
        return path

    def save_epoch(self, progress: TrainProgress) -> Path:
        """Checkpoint after completed epoch ``progress.epoch``."""
        return self.save(epoch_checkpoint_path(self.output_dir, progress.epoch + 1), progress)

    def save_partial(self, progress: TrainProgress) -> Path:
        """Mid-epoch checkpoint after ``progress.iteration`` iterations of the current epoch."""
        path = partial_checkpoint_path(self.output_dir, progress.epoch + 2, progress.iteration)
        return self.save(path, progress)

    def save_diverged(self, progress: TrainProgress) -> Path:
        """State before the failing iteration ``progress.iteration + 1``; not resumable."""
        path = diverged_checkpoint_path(self.output_dir, progress.epoch + 2, progress.iteration + 1)
        return self.save(path, progress)
