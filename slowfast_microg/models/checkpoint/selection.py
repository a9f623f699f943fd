"""Which checkpoint a run loads (a pure rule) and ``load_cfg_checkpoint`` applying it.

Testing tries, in order: ``TEST.CHECKPOINT_FILE_PATH``, the last checkpoint in
``OUTPUT_DIR/checkpoints``, ``TRAIN.CHECKPOINT_FILE_PATH``, and otherwise keeps the random
initialisation with a warning. Training resumes from the last checkpoint in ``OUTPUT_DIR``
when ``TRAIN.AUTO_RESUME`` is set and one exists, otherwise it initialises from
``TRAIN.CHECKPOINT_FILE_PATH`` with the ``TRAIN.CHECKPOINT_*`` options.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from fvcore.common.config import CfgNode
from torch import nn

from slowfast_microg.models.checkpoint.loader import load_checkpoint
from slowfast_microg.models.checkpoint.report import LoadReport

logger = logging.getLogger(__name__)

CHECKPOINT_NAME = re.compile(r"^checkpoint_epoch_(\d+)\.pyth$")
SPLITS = ("train", "test")


@dataclass(frozen=True)
class CheckpointChoice:
    """A checkpoint to load and how.

    Attributes:
        path: the file.
        checkpoint_type: "pytorch" or "caffe2".
        source: the config key or folder it came from.
        inflate: inflate 2D kernels.
        clear_name_patterns: substrings removed from keys.
        image_init: image-checkpoint initialisation.
        epoch_reset: ignore the stored epoch and training state.
    """

    path: str
    checkpoint_type: str
    source: str
    inflate: bool = False
    clear_name_patterns: tuple[str, ...] = ()
    image_init: bool = False
    epoch_reset: bool = False


def checkpoint_dir(output_dir: str | Path) -> Path:
    """``OUTPUT_DIR/checkpoints``, where runs save ``checkpoint_epoch_%05d.pyth``."""
    return Path(output_dir) / "checkpoints"


def last_checkpoint(output_dir: str | Path) -> str | None:
    """The checkpoint with the highest epoch in ``OUTPUT_DIR/checkpoints``, or None."""
    folder = checkpoint_dir(output_dir)
    if not folder.is_dir():
        return None
    found = [
        (int(match.group(1)), entry)
        for entry in folder.iterdir()
        if (match := CHECKPOINT_NAME.match(entry.name)) and entry.is_file()
    ]
    return str(max(found)[1]) if found else None


def choose_checkpoint(
    cfg: CfgNode, *, split: str, last_in_output_dir: str | None
) -> CheckpointChoice | None:
    """Decide which checkpoint ``split`` loads; reads nothing from disk.

    Args:
        cfg: the run config (TRAIN.*, TEST.*).
        split: "train" or "test".
        last_in_output_dir: the last checkpoint of this run's OUTPUT_DIR, if any.

    Returns:
        The choice, or None when the model keeps its random initialisation.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}.")
    train = cfg.TRAIN
    if split == "test":
        if cfg.TEST.CHECKPOINT_FILE_PATH:
            return CheckpointChoice(
                path=cfg.TEST.CHECKPOINT_FILE_PATH,
                checkpoint_type=cfg.TEST.CHECKPOINT_TYPE,
                source="TEST.CHECKPOINT_FILE_PATH",
            )
        if last_in_output_dir:
            return CheckpointChoice(
                path=last_in_output_dir, checkpoint_type="pytorch", source="OUTPUT_DIR"
            )
        if train.CHECKPOINT_FILE_PATH:
            return CheckpointChoice(
                path=train.CHECKPOINT_FILE_PATH,
                checkpoint_type=train.CHECKPOINT_TYPE,
                source="TRAIN.CHECKPOINT_FILE_PATH",
            )
        return None
    if train.AUTO_RESUME and last_in_output_dir:
        return CheckpointChoice(
            path=last_in_output_dir, checkpoint_type="pytorch", source="OUTPUT_DIR"
        )
    if train.CHECKPOINT_FILE_PATH:
        return CheckpointChoice(
            path=train.CHECKPOINT_FILE_PATH,
            checkpoint_type=train.CHECKPOINT_TYPE,
            source="TRAIN.CHECKPOINT_FILE_PATH",
            inflate=train.CHECKPOINT_INFLATE,
            clear_name_patterns=tuple(train.CHECKPOINT_CLEAR_NAME_PATTERN),
            image_init=train.CHECKPOINT_IN_INIT,
            epoch_reset=train.CHECKPOINT_EPOCH_RESET,
        )
    return None


def load_cfg_checkpoint(
    cfg: CfgNode,
    model: nn.Module,
    *,
    split: str,
    optimizer: torch.optim.Optimizer | None = None,
    scaler: Any | None = None,
) -> LoadReport | None:
    """Load the checkpoint ``choose_checkpoint`` picks for ``split`` into ``model``.

    Args:
        cfg: the run config.
        model: the model (DDP-wrapped models are handled).
        split: "train" (may restore ``optimizer``/``scaler`` and the epoch) or "test".
        optimizer: restored when training resumes or continues a checkpoint's epochs.
        scaler: AMP grad scaler, restored like the optimizer.

    Returns:
        The load report, or None when nothing was loaded.
    """
    choice = choose_checkpoint(cfg, split=split, last_in_output_dir=last_checkpoint(cfg.OUTPUT_DIR))
    if choice is None:
        if split == "test":
            logger.warning(
                "No checkpoint to test (TEST.CHECKPOINT_FILE_PATH, %s and "
                "TRAIN.CHECKPOINT_FILE_PATH are all empty): testing a RANDOMLY INITIALISED model.",
                checkpoint_dir(cfg.OUTPUT_DIR),
            )
        else:
            logger.info("No checkpoint given: training starts from random initialisation.")
        return None
    logger.info("Loading %s checkpoint %s (from %s).", split, choice.path, choice.source)
    training = split == "train"
    return load_checkpoint(
        choice.path,
        model,
        checkpoint_type=choice.checkpoint_type,
        optimizer=optimizer if training else None,
        scaler=scaler if training else None,
        inflate=choice.inflate,
        clear_name_patterns=choice.clear_name_patterns,
        image_init=choice.image_init,
        epoch_reset=choice.epoch_reset,
    )
