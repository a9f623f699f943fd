"""``load_checkpoint``: read a PyTorch or Caffe2 checkpoint into a model and report the result."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from slowfast_microg.models.checkpoint.caffe2_names import convert_caffe2_name, is_optimizer_blob
from slowfast_microg.models.checkpoint.errors import CheckpointError
from slowfast_microg.models.checkpoint.image_init import apply_image_init
from slowfast_microg.models.checkpoint.matching import match_state
from slowfast_microg.models.checkpoint.pytorchvideo_names import map_pytorchvideo_names
from slowfast_microg.models.checkpoint.readers import read_caffe2_blobs, read_pytorch_checkpoint
from slowfast_microg.models.checkpoint.report import LoadReport

logger = logging.getLogger(__name__)

CHECKPOINT_TYPES = ("pytorch", "caffe2")
DDP_PREFIX = "module."


def unwrap_model(model: nn.Module) -> nn.Module:
    """The module inside a ``DistributedDataParallel``/``DataParallel`` wrapper, else ``model``."""
    wrappers = (nn.parallel.DistributedDataParallel, nn.DataParallel)
    return model.module if isinstance(model, wrappers) else model


def remove_name_patterns(state: Mapping[str, Any], *, patterns: Sequence[str]) -> dict[str, Any]:
    """Remove the first occurrence of each pattern, in order, from every key."""
    result = dict(state)
    for pattern in patterns:
        if not pattern:
            continue
        result = {key.replace(pattern, "", 1): value for key, value in result.items()}
    return result


def strip_ddp_prefix(state: Mapping[str, Any], *, model_keys: set[str]) -> dict[str, Any]:
    """Drop a ``module.`` prefix that every checkpoint key has and no model key has."""
    keys = list(state)
    has_prefix = keys and all(key.startswith(DDP_PREFIX) for key in keys)
    if not has_prefix or any(key.startswith(DDP_PREFIX) for key in model_keys):
        return dict(state)
    logger.info("Removing the '%s' prefix of %d checkpoint keys.", DDP_PREFIX, len(keys))
    return {key[len(DDP_PREFIX) :]: value for key, value in state.items()}


def _rename_caffe2(
    blobs: Mapping[str, Any], *, model_keys: set[str], path: str
) -> tuple[dict[str, torch.Tensor], list[str]]:
    state: dict[str, torch.Tensor] = {}
    ignored: list[str] = []
    for blob, value in blobs.items():
        key = convert_caffe2_name(blob)
        if key not in model_keys and is_optimizer_blob(blob):
            ignored.append(blob)
            continue
        if key in state:
            raise CheckpointError(
                f"{path or 'checkpoint'}: two Caffe2 blobs map to the key {key!r} (the second "
                f"is {blob!r}); remove one of them from the file."
            )
        tensor = value if isinstance(value, torch.Tensor) else torch.tensor(np.asarray(value))
        state[key] = tensor
    return state, ignored


def load_state(
    state: Mapping[str, Any],
    model: nn.Module,
    *,
    from_caffe2: bool = False,
    inflate: bool = False,
    clear_name_patterns: Sequence[str] = (),
    image_init: bool = False,
    path: str = "",
) -> LoadReport:
    """Load checkpoint tensors (checkpoint names) into ``model`` and report what happened.

    Args:
        state: checkpoint key (or Caffe2 blob name) -> tensor or numpy array.
        model: the model, possibly wrapped in DDP.
        from_caffe2: ``state`` holds Caffe2 blobs: rename them and expand trailing dims.
        inflate: inflate 2D kernels to 3D (divided by T).
        clear_name_patterns: substrings removed (first occurrence) from every key first.
        image_init: adapt an image checkpoint (see ``image_init.py``).
        path: the file, for messages.

    Returns:
        The report (``epoch`` is -1; ``load_checkpoint`` sets it).

    Raises:
        CheckpointError: not a single tensor fits the model.
    """
    module = unwrap_model(model)
    target = module.state_dict()
    shapes = {key: tuple(value.shape) for key, value in target.items()}
    model_keys = set(shapes)
    source_keys = len(state)
    state = remove_name_patterns(state, patterns=clear_name_patterns)
    ignored: list[str] = []
    if from_caffe2:
        state, ignored = _rename_caffe2(state, model_keys=model_keys, path=path)
    else:
        state = strip_ddp_prefix(state, model_keys=model_keys)
        state, _ = map_pytorchvideo_names(state, model_keys=model_keys)
    inflated: list[str] = []
    if image_init:
        state, inflated = apply_image_init(state, shapes=shapes)
    to_load, report = match_state(
        state, shapes=shapes, expand_trailing=from_caffe2, inflate=inflate
    )
    report.ignored = ignored
    report.source_keys = source_keys
    report.inflated = inflated + report.inflated
    report.path = path
    if state and not to_load:
        raise CheckpointError(
            f"{path or 'checkpoint'}: none of its {len(state)} tensors fits the model "
            f"(checkpoint keys start {sorted(state)[:3]}, model keys start {sorted(shapes)[:3]}). "
            "Check MODEL.ARCH and the checkpoint type (TRAIN/TEST.CHECKPOINT_TYPE)."
        )
    module.load_state_dict(to_load, strict=False)
    return report


def _restore_training_state(
    checkpoint: Mapping[str, Any],
    *,
    path: Path,
    optimizer: torch.optim.Optimizer | None,
    scaler: Any | None,
) -> None:
    for name, target in (("optimizer_state", optimizer), ("scaler_state", scaler)):
        if target is None:
            continue
        if name not in checkpoint:
            logger.warning("%s has no %s; it keeps its fresh state.", path, name)
            continue
        try:
            target.load_state_dict(checkpoint[name])
        except (ValueError, KeyError, RuntimeError) as err:
            raise CheckpointError(f"{path}: cannot restore {name}: {err}") from err


def load_checkpoint(
    path: str | Path,
    model: nn.Module,
    *,
    checkpoint_type: str = "pytorch",
    optimizer: torch.optim.Optimizer | None = None,
    scaler: Any | None = None,
    inflate: bool = False,
    clear_name_patterns: Sequence[str] = (),
    image_init: bool = False,
    epoch_reset: bool = False,
) -> LoadReport:
    """Load a PySlowFast ``.pyth`` or Caffe2 ``.pkl`` checkpoint into ``model``.

    Tensors are matched by name and shape (see ``matching.py``); a classifier with a different
    number of classes is skipped and reported. The summary is logged, at WARNING level when
    anything outside ``head.projection`` is missing or skipped.

    Args:
        path: the checkpoint file.
        model: the model (DDP-wrapped models are handled).
        checkpoint_type: "pytorch" or "caffe2".
        optimizer: restored from ``optimizer_state`` unless ``epoch_reset`` (PyTorch only).
        scaler: AMP grad scaler, restored from ``scaler_state`` unless ``epoch_reset``.
        inflate: inflate 2D kernels into 3D ones (``TRAIN.CHECKPOINT_INFLATE``).
        clear_name_patterns: ``TRAIN.CHECKPOINT_CLEAR_NAME_PATTERN``.
        image_init: ``TRAIN.CHECKPOINT_IN_INIT``.
        epoch_reset: ignore the stored epoch and training state (``TRAIN.CHECKPOINT_EPOCH_RESET``).

    Returns:
        The load report; ``report.epoch`` is the stored epoch or -1.

    Raises:
        CheckpointError: missing, corrupt, unsafe or incompatible file; names the file.
        ValueError: unknown ``checkpoint_type``.
    """
    if checkpoint_type not in CHECKPOINT_TYPES:
        raise ValueError(
            f"checkpoint_type must be one of {list(CHECKPOINT_TYPES)}, got {checkpoint_type!r}."
        )
    path = Path(path)
    options = dict(
        inflate=inflate,
        clear_name_patterns=clear_name_patterns,
        image_init=image_init,
        path=str(path),
    )
    if checkpoint_type == "caffe2":
        report = load_state(read_caffe2_blobs(path), model, from_caffe2=True, **options)
    else:
        checkpoint = read_pytorch_checkpoint(path)
        report = load_state(checkpoint["model_state"], model, **options)
        if "epoch" in checkpoint and not epoch_reset:
            report.epoch = int(checkpoint["epoch"])
            _restore_training_state(checkpoint, path=path, optimizer=optimizer, scaler=scaler)
    report.log()
    return report
