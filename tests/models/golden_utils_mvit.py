"""Utilities for the MViT golden tests: build from a golden config, load its PySlowFast weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from slowfast_microg.config import assert_and_infer_cfg, get_cfg, merge_from_file
from slowfast_microg.models import build_model
from slowfast_microg.models.checkpoint import load_checkpoint

GOLDENS = Path(__file__).resolve().parents[1] / "fixtures" / "goldens"
MVIT_GOLDENS = ("MVIT_B_16x4", "MVITv2_S_16x4")


def rel_err(y: np.ndarray, ref: np.ndarray) -> float:
    """max|y - ref| / max(1, max|ref|), the goldens' error measure."""
    return float(np.abs(y - ref).max() / max(1.0, float(np.abs(ref).max())))


def golden_cfg(name: str, *, opts: dict | None = None):
    """The validated config of golden ``name`` with ``opts`` ({key: value}) applied."""
    cfg = get_cfg()
    merge_from_file(cfg, GOLDENS / name / "config.yaml")
    for key, value in (opts or {}).items():
        node = cfg
        *parents, leaf = key.split(".")
        for part in parents:
            node = node[part]
        node[leaf] = value
    return assert_and_infer_cfg(cfg)


def load_golden_model(name: str, *, opts: dict | None = None) -> torch.nn.Module:
    """Build golden ``name`` from its config and load ``checkpoint.pyth`` strictly (eval mode)."""
    model = build_model(golden_cfg(name, opts=opts))
    report = load_checkpoint(GOLDENS / name / "checkpoint.pyth", model, checkpoint_type="pytorch")
    assert not (report.missing or report.skipped or report.unexpected), report.summary()
    return model.eval()


def golden_io(name: str) -> dict[str, np.ndarray]:
    """The arrays of golden ``name``'s ``io.npz``."""
    with np.load(GOLDENS / name / "io.npz") as data:
        return {key: data[key] for key in data.files}


def run(model: torch.nn.Module, clip: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Per-box outputs of ``model`` for one clip batch, without gradients."""
    with torch.no_grad():
        out = model([torch.from_numpy(clip)], torch.from_numpy(boxes))
    return out.numpy()
