"""Helpers for the PySlowFast goldens: fixture paths, model building, error measure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from fvcore.common.config import CfgNode
from torch import nn

from slowfast_microg.config import assert_and_infer_cfg, get_cfg, merge_from_file
from slowfast_microg.models import build_model
from slowfast_microg.models.checkpoint import load_checkpoint

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOLDENS = FIXTURES / "goldens"
AUTHORS_CONFIGS = FIXTURES / "configs" / "authors"
CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs" / "MicroG"

# The ten ResNet-family models of Tables 1 and 2.
RESNET_FAMILY = (
    "C2D_8x8_R50",
    "C2D_NLN_8x8_R50",
    "I3D_8x8_R50",
    "I3D_NLN_8x8_R50",
    "SLOWONLY_8x8_R50",
    "SLOWONLY_4x16_R50",
    "SLOWFAST_8x8_R50",
    "SLOWFAST_4x16_R50",
    "SLOW_8x8_R50_K400",
    "SLOWFAST_32x2_R101_K600",
)

# Parameter counts printed in the authors' training logs (Table 1 rounds them to 0.01M).
PAPER_PARAMS = {
    "C2D_8x8_R50": 23_610_482,
    "C2D_NLN_8x8_R50": 30_968_946,
    "I3D_8x8_R50": 27_326_322,
    "I3D_NLN_8x8_R50": 34_684_786,
    "SLOWONLY_8x8_R50": 31_736_946,
    "SLOWONLY_4x16_R50": 31_736_946,
    "SLOWFAST_8x8_R50": 33_759_738,
    "SLOWFAST_4x16_R50": 33_759_738,
    "SLOW_8x8_R50_K400": 31_798_416,
    "SLOWFAST_32x2_R101_K600": 59_342_488,
}


def load_checkpoint_weights(model: nn.Module, path: Path) -> None:
    """Load a golden checkpoint through the project's loader; every tensor must load."""
    report = load_checkpoint(path, model, checkpoint_type="pytorch")
    assert not (report.missing or report.skipped or report.unexpected), report.summary()


def golden_config(name: str) -> CfgNode:
    """The reduced-width config of golden ``name``, merged and validated by our config system."""
    cfg = get_cfg()
    merge_from_file(cfg, GOLDENS / name / "config.yaml")
    return assert_and_infer_cfg(cfg)


def golden_model(name: str) -> nn.Module:
    """Build golden ``name`` from its config, load its checkpoint, switch to eval mode."""
    model = build_model(golden_config(name))
    load_checkpoint_weights(model, GOLDENS / name / "checkpoint.pyth")
    return model.eval()


def golden_io(name: str) -> dict[str, np.ndarray]:
    """The arrays of ``io.npz`` (inputs, boxes, outputs and their float64 references)."""
    with np.load(GOLDENS / name / "io.npz") as data:
        return {key: data[key] for key in data.files}


def golden_inputs(io: dict[str, np.ndarray], prefix: str = "") -> list[torch.Tensor]:
    """Pathway inputs ``{prefix}input_0`` (and ``_1`` for SlowFast) as tensors, slow first."""
    return [
        torch.from_numpy(io[f"{prefix}input_{p}"]) for p in range(2) if f"{prefix}input_{p}" in io
    ]


def relative_error(y: np.ndarray, ref: np.ndarray) -> float:
    """max|y - ref| / max(1, max|ref|), the goldens' error measure."""
    return float(np.abs(y - ref).max() / max(1.0, float(np.abs(ref).max())))
