"""The run folder's ``config.yaml``: written once, and a guard against mixing experiments."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from fvcore.common.config import CfgNode

from slowfast_microg.utils.atomic_io import atomic_write_text

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.yaml"
# Keys that change how a run executes but not what it computes: they may differ between the
# config.yaml of a run folder and a later invocation on it (resume on other hardware, test
# with another checkpoint or batch size, more frequent checkpoints, ...).
RUNTIME_KEYS = (
    "NUM_GPUS",
    "NUM_SHARDS",
    "SHARD_ID",
    "NUM_CPU_PROCESSES",
    "DIST_BACKEND",
    "DETERMINISTIC",
    "PROGRESS_BAR",
    "OUTPUT_DIR",
    "LOG_PERIOD",
    "LOG_MODEL_INFO",
    "TRAIN.ENABLE",
    "TRAIN.AUTO_RESUME",
    "TRAIN.EVAL_PERIOD",
    "TRAIN.CHECKPOINT_PERIOD",
    "TRAIN.CHECKPOINT_ITER_PERIOD",
    "TRAIN.MAX_DECODE_FAILURES",
    "TEST.",
    "DATA_LOADER.",
    "TENSORBOARD.",
    "DATA.PATH_TO_DATA_DIR",
    "MICROG.GENERATE_SAMPLE",
)


class RunFolderError(RuntimeError):
    """OUTPUT_DIR cannot be used: it is not writable or holds a run of a different config."""


def ensure_writable(folder: str | Path) -> Path:
    """Create ``folder`` if needed and check that files can be created in it.

    Raises:
        RunFolderError: the folder cannot be created or written (read-only file system,
            permissions), naming the folder and the system's reason.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".write_test.", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as err:
        raise RunFolderError(
            f"OUTPUT_DIR {folder} is not writable ({err.strerror or err}). Set OUTPUT_DIR to a "
            "writable folder or fix this one's permissions; nothing was written."
        ) from err
    return folder


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _is_runtime_key(key: str) -> bool:
    return any(key == k or (k.endswith(".") and key.startswith(k)) for k in RUNTIME_KEYS)


def config_differences(saved_yaml: str, cfg: CfgNode) -> list[str]:
    """Keys (outside RUNTIME_KEYS) whose values differ, as ``"KEY: saved -> current"``."""
    saved = _flatten(yaml.safe_load(saved_yaml) or {})
    current = _flatten(yaml.safe_load(cfg.dump()))
    keys = sorted(set(saved) | set(current))
    return [
        f"{key}: {saved.get(key, '<absent>')!r} -> {current.get(key, '<absent>')!r}"
        for key in keys
        if not _is_runtime_key(key) and saved.get(key) != current.get(key)
    ]


def prepare_output_dir(cfg: CfgNode, *, force: bool = False) -> Path:
    """Create OUTPUT_DIR and its ``config.yaml``, refusing a folder of another experiment.

    A folder without ``config.yaml`` gets the current config. A folder whose config differs
    only in RUNTIME_KEYS is reused as is. Otherwise the call fails, unless ``force``, in which
    case the old file is kept as ``config.yaml.<timestamp>.bak`` and replaced.

    Call on the main process only.

    Raises:
        RunFolderError: listing the differing keys, or when the folder is not writable.
    """
    folder = ensure_writable(cfg.OUTPUT_DIR)
    path = folder / CONFIG_FILE
    if path.exists():
        differences = config_differences(path.read_text(encoding="utf-8"), cfg)
        if not differences:
            return path
        listing = "\n  ".join(differences)
        if not force:
            raise RunFolderError(
                f"OUTPUT_DIR {folder} holds a run with a different config ({path}):\n  "
                f"{listing}\nUse another OUTPUT_DIR, or pass --force to reuse this folder."
            )
        backup = path.with_name(f"{CONFIG_FILE}.{time.strftime('%Y%m%d-%H%M%S')}.bak")
        path.replace(backup)
        logger.warning("--force: reusing %s; previous config kept as %s", folder, backup.name)
    atomic_write_text(path, cfg.dump())
    logger.info("Config written to %s", path)
    return path
