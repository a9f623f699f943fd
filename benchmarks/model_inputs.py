"""Configs, input clips and boxes of the paper's models for the model benchmark suites."""

from __future__ import annotations

import subprocess
from pathlib import Path

import torch
from fvcore.common.config import CfgNode

from slowfast_microg.config import assert_and_infer_cfg, get_cfg, merge_from_file

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "configs" / "MicroG"

# The twelve Table 1 rows of the MicroG-4M paper.
TABLE1_ROWS = (
    "C2D_8x8.yaml",
    "C2D_NLN_8x8.yaml",
    "I3D_8x8.yaml",
    "I3D_NLN_8x8.yaml",
    "SLOW_8x8.yaml",
    "SLOW_4x16.yaml",
    "SLOWFAST_8x8.yaml",
    "SLOWFAST_4x16.yaml",
    "X3D_S_13x6.yaml",
    "X3D_L_16x5.yaml",
    "MVITv1_B_16x4.yaml",
    "MVITv2_S_16x4.yaml",
)
# The two Table 2 rows: AVA models tested zero-shot (inference only in the paper).
TABLE2_ROWS = (
    "zero_shot/SLOWFAST_32x2_R101_AVA.yaml",
    "zero_shot/SLOW_8x8_AVA.yaml",
)


def load_row(row: str) -> CfgNode:
    """The validated config ``configs/MicroG/<row>``, built for the CPU (NUM_GPUS 0).

    ``row`` may name a sub-folder (``zero_shot/SLOW_8x8_AVA.yaml``).

    Raises:
        FileNotFoundError: naming the missing file and the folder searched.
    """
    path = CONFIG_DIR / row
    if not path.is_file():
        raise FileNotFoundError(
            f"no config {row!r} in {CONFIG_DIR}; pass a file name from that folder "
            f"(e.g. {TABLE1_ROWS[0]})."
        )
    cfg = get_cfg()
    merge_from_file(cfg, path)
    cfg.NUM_GPUS = 0
    return assert_and_infer_cfg(cfg)


def pathway_frames(cfg: CfgNode) -> list[int]:
    """Frames per pathway, slow first (NUM_FRAMES // ALPHA and NUM_FRAMES for SlowFast)."""
    frames = int(cfg.DATA.NUM_FRAMES)
    if cfg.MODEL.ARCH in cfg.MODEL.MULTI_PATHWAY_ARCH:
        return [frames // int(cfg.SLOWFAST.ALPHA), frames]
    return [frames]


def per_gpu_batch(row: str) -> int:
    """The paper's training clips per GPU: TRAIN.BATCH_SIZE / NUM_GPUS of the config file."""
    cfg = get_cfg()
    merge_from_file(cfg, CONFIG_DIR / row)
    return max(1, int(cfg.TRAIN.BATCH_SIZE) // max(1, int(cfg.NUM_GPUS)))


def make_batch(
    cfg: CfgNode,
    *,
    batch: int,
    crop: int,
    boxes_per_clip: int,
    device: torch.device,
    seed: int = 0,
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Random normalised clips and boxes for ``cfg`` at ``crop`` pixels.

    Returns:
        One (batch, 3, T_p, crop, crop) tensor per pathway (slow first) and
        (batch * boxes_per_clip, 5) boxes (batch_index, x1, y1, x2, y2) in pixels, each box
        between a quarter and the whole of the frame side.
    """
    generator = torch.Generator().manual_seed(seed)
    channels = list(cfg.DATA.INPUT_CHANNEL_NUM)
    clips = [
        torch.randn(batch, c, t, crop, crop, generator=generator)
        for c, t in zip(channels, pathway_frames(cfg), strict=True)
    ]
    n = batch * boxes_per_clip
    size = crop * (0.25 + 0.75 * torch.rand(n, 2, generator=generator))
    corner = (crop - size) * torch.rand(n, 2, generator=generator)
    index = torch.arange(batch).repeat_interleave(boxes_per_clip).float()
    boxes = torch.cat([index[:, None], corner, corner + size], dim=1)
    return [c.to(device) for c in clips], boxes.to(device)


def code_version() -> str:
    """The checked-out commit (with "+changes" for uncommitted edits), or "unknown"."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    except OSError:
        return "unknown"
    if commit.returncode != 0:
        return "unknown"
    return commit.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
