"""Small CPU versions of the configs/MicroG models for behaviour tests."""

from __future__ import annotations

import torch
from fvcore.common.config import CfgNode
from golden_utils import CONFIG_DIR

from slowfast_microg.config import assert_and_infer_cfg, get_cfg, merge_from_file, merge_from_list
from slowfast_microg.models import build_model

TINY = ["NUM_GPUS", "0", "RESNET.WIDTH_PER_GROUP", "8", "DATA.TEST_CROP_SIZE", "64"]


def tiny_config(row: str, opts: list[str] | None = None) -> CfgNode:
    """``configs/MicroG/<row>`` at width 8 with 64-px test clips on the CPU, plus ``opts``."""
    cfg = get_cfg()
    merge_from_file(cfg, CONFIG_DIR / row)
    merge_from_list(cfg, TINY + list(opts or []))
    return assert_and_infer_cfg(cfg)


def tiny_model(row: str, opts: list[str] | None = None, seed: int = 0) -> torch.nn.Module:
    """Build :func:`tiny_config` with a fixed seed."""
    torch.manual_seed(seed)
    return build_model(tiny_config(row, opts))


def clip_inputs(cfg: CfgNode, *, batch: int = 1, seed: int = 0) -> list[torch.Tensor]:
    """Random (batch, 3, T_p, S, S) clips per pathway for ``cfg`` (slow first)."""
    generator = torch.Generator().manual_seed(seed)
    size, frames = cfg.DATA.TEST_CROP_SIZE, cfg.DATA.NUM_FRAMES
    lengths = [frames // cfg.SLOWFAST.ALPHA, frames] if cfg.MODEL.ARCH == "slowfast" else [frames]
    return [torch.randn(batch, 3, t, size, size, generator=generator) for t in lengths]
