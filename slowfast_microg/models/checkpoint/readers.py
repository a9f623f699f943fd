"""Read checkpoint files: PyTorch ``.pyth`` (weights only) and Caffe2 ``.pkl`` (restricted)."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from slowfast_microg.models.checkpoint.errors import CheckpointError
from slowfast_microg.models.checkpoint.safe_pickle import ForbiddenGlobalError, restricted_load

logger = logging.getLogger(__name__)

# numpy dtype kinds a blob may have: bool, signed and unsigned integer, float.
NUMERIC_KINDS = "biuf"
CORRUPT_HINT = "The file may be truncated or corrupt: copy or download it again."


def _check_exists(path: Path) -> None:
    if not path.is_file():
        raise CheckpointError(f"Checkpoint file not found: {path}")


def read_pytorch_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a PySlowFast/PyTorch checkpoint with ``torch.load(weights_only=True)`` on the CPU.

    Args:
        path: a ``.pyth``/``.pt`` file holding ``{"model_state": ..., "epoch": ...}`` or a bare
            state dict.

    Returns:
        The checkpoint as a dict; a bare state dict is returned as ``{"model_state": it}``.

    Raises:
        CheckpointError: missing, unreadable or not a checkpoint; the message names the file.
    """
    path = Path(path)
    _check_exists(path)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"{path}: refused to unpickle non-tensor Python objects ({err}). Checkpoints are "
            "read with torch.load(weights_only=True). If the file comes from a source you "
            "trust, re-save it as a dict of tensors, numbers and strings."
        ) from err
    except Exception as err:  # zip/pickle/EOF errors all mean an unreadable file
        raise CheckpointError(f"{path}: cannot read checkpoint ({err}). {CORRUPT_HINT}") from err
    if not isinstance(checkpoint, Mapping):
        raise CheckpointError(
            f"{path}: expected a dict checkpoint, got {type(checkpoint).__name__}."
        )
    if "model_state" in checkpoint:
        return dict(checkpoint)
    if checkpoint and all(isinstance(value, torch.Tensor) for value in checkpoint.values()):
        return {"model_state": dict(checkpoint)}
    raise CheckpointError(
        f"{path}: no 'model_state' entry; top-level keys are {sorted(map(str, checkpoint))}. "
        "Expected a PySlowFast checkpoint or a plain state dict."
    )


def read_caffe2_blobs(path: str | Path) -> dict[str, np.ndarray]:
    """Read the ``blobs`` of a Caffe2 ``.pkl`` checkpoint with the restricted unpickler.

    Args:
        path: a pickle of ``{"blobs": {name: numpy array}, ...}`` (latin-1 strings).

    Returns:
        Blob name -> array (numbers are turned into 0-d arrays).

    Raises:
        CheckpointError: missing, unreadable, unsafe, or without a ``blobs`` dict.
    """
    path = Path(path)
    _check_exists(path)
    try:
        with path.open("rb") as handle:
            content = restricted_load(handle, encoding="latin1")
    except ForbiddenGlobalError as err:
        raise CheckpointError(f"{path}: not loaded: {err}.") from err
    except Exception as err:  # UnpicklingError, EOFError, ValueError from a damaged file
        raise CheckpointError(f"{path}: cannot read Caffe2 pickle ({err}). {CORRUPT_HINT}") from err
    if not isinstance(content, Mapping) or not isinstance(content.get("blobs"), Mapping):
        found = sorted(map(str, content)) if isinstance(content, Mapping) else type(content)
        raise CheckpointError(
            f"{path}: a Caffe2 checkpoint is a dict with a 'blobs' dict; found {found}. "
            "Is TRAIN.CHECKPOINT_TYPE right?"
        )
    blobs = {}
    for name, value in content["blobs"].items():
        if not isinstance(value, np.ndarray | np.generic | int | float):
            raise CheckpointError(
                f"{path}: blob {name!r} is a {type(value).__name__}, not a numpy array."
            )
        array = np.asarray(value)
        if array.dtype.kind not in NUMERIC_KINDS:
            raise CheckpointError(
                f"{path}: blob {name!r} holds {array.dtype} values, not numbers. Caffe2 "
                "checkpoints hold numeric arrays only: is this file a checkpoint?"
            )
        blobs[str(name)] = array
    return blobs
