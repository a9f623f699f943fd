"""The model registry and ``build_model``."""

from __future__ import annotations

import logging

import torch
from fvcore.common.config import CfgNode

from slowfast_microg.utils.registry import NamedRegistry

logger = logging.getLogger(__name__)

MODEL_REGISTRY = NamedRegistry("MODEL")
MODEL_REGISTRY.__doc__ = """Registry of video models, selected by ``MODEL.MODEL_NAME``.

Contract: ``MODEL_REGISTRY.get(name)(cfg)`` returns an ``nn.Module`` whose forward is
``model(inputs: list[Tensor], bboxes: Tensor)``: ``inputs`` holds one (B, C, T, H, W) clip
tensor per pathway (slow first), ``bboxes`` is (N, 5) with rows (batch_index, x1, y1, x2, y2)
in input pixels, and the output is (N, MODEL.NUM_CLASSES) per-box scores after HEAD_ACT.
"""


def build_model(cfg: CfgNode, gpu_id: int | None = None) -> torch.nn.Module:
    """Build ``cfg.MODEL.MODEL_NAME`` from the registry and move it to its device.

    Args:
        cfg: a validated config.
        gpu_id: CUDA device index; defaults to the current device when ``cfg.NUM_GPUS > 0``.

    Returns:
        The model, on CPU when ``cfg.NUM_GPUS == 0``.
    """
    model = MODEL_REGISTRY.get(cfg.MODEL.MODEL_NAME)(cfg)
    if cfg.NUM_GPUS > 0:
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"NUM_GPUS is {cfg.NUM_GPUS} but no CUDA device is available; set NUM_GPUS 0 "
                "to run on the CPU."
            )
        device = torch.cuda.current_device() if gpu_id is None else gpu_id
        model = model.cuda(device=device)
    return model
