"""Parameter and FLOP counts of the zoo's models, cached by a hash of each model's definition.

Counting FLOPs of a full-size model takes seconds to tens of seconds, so the figures are kept
in a committed JSON file keyed by :func:`complexity_key`, and the model zoo page is rebuilt
from it. The key hashes the config values that define the network and its test input and that
differ from the defaults (nodes MODEL, RESNET, NONLOCAL, SLOWFAST, X3D, MVIT, DETECTION, BN and
DATA.NUM_FRAMES / TEST_CROP_SIZE / INPUT_CHANNEL_NUM): a config edit that changes the model
changes the key, while a new default key elsewhere in the project does not. When a model
default itself changes, refresh the file with ``tools/make_model_zoo.py --recompute``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fvcore.common.config import CfgNode

from slowfast_microg.config import get_cfg

logger = logging.getLogger(__name__)

MODEL_NODES = ("MODEL", "RESNET", "NONLOCAL", "SLOWFAST", "X3D", "MVIT", "DETECTION", "BN")
DATA_KEYS = ("NUM_FRAMES", "TEST_CROP_SIZE", "INPUT_CHANNEL_NUM")
FORMAT_VERSION = 1


def _plain(value: Any) -> Any:
    """Config values as JSON-ready plain data (CfgNode -> dict, tuple -> list)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _model_values(cfg: CfgNode) -> dict[str, Any]:
    values = {f"{node}.{key}": value for node in MODEL_NODES for key, value in cfg[node].items()}
    values.update({f"DATA.{key}": cfg.DATA[key] for key in DATA_KEYS})
    return {key: _plain(value) for key, value in values.items()}


def complexity_key(cfg: CfgNode) -> str:
    """Hash of the config values that define the model and its test clip (see module doc)."""
    defaults = _model_values(get_cfg())
    changed = {k: v for k, v in _model_values(cfg).items() if defaults.get(k, object()) != v}
    text = json.dumps(changed, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Complexity:
    """Size and cost of one model: exact parameter count and GFLOPs per test clip (one box)."""

    params: int
    gflops: float


def measure(cfg: CfgNode) -> Complexity:
    """Build the model of ``cfg`` on the CPU and count its parameters and FLOPs (fvcore)."""
    from slowfast_microg.models.complexity import model_flops, params_count
    from slowfast_microg.models.registry import MODEL_REGISTRY

    model = MODEL_REGISTRY.get(cfg.MODEL.MODEL_NAME)(cfg)
    return Complexity(params=params_count(model), gflops=round(model_flops(cfg, model=model), 3))


class ComplexityCache:
    """The committed figures: ``{"format": 1, "models": {key: {"params", "gflops", "config"}}}``.

    Args:
        path: the JSON file (need not exist yet).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.entries: dict[str, dict[str, Any]] = {}
        if self.path.is_file():
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT_VERSION:
                raise ValueError(f"{self.path}: unknown format {data.get('format')!r}.")
            self.entries = dict(data["models"])

    def get(self, key: str) -> Complexity | None:
        """The cached figures of ``key``, or None."""
        entry = self.entries.get(key)
        return None if entry is None else Complexity(entry["params"], entry["gflops"])

    def put(self, key: str, figures: Complexity, *, config: str) -> None:
        """Store ``figures`` under ``key`` (``config`` names one config with that model)."""
        self.entries[key] = {"params": figures.params, "gflops": figures.gflops, "config": config}

    def prune(self, keep: set[str]) -> None:
        """Drop entries whose key no config uses any more."""
        self.entries = {k: v for k, v in self.entries.items() if k in keep}

    def save(self) -> None:
        """Write the file with sorted keys (stable bytes for the same content)."""
        data = {"format": FORMAT_VERSION, "models": dict(sorted(self.entries.items()))}
        self.path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
