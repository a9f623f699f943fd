"""Model summary in the run log: structure, ``Params: N`` (PySlowFast's line), memory, FLOPs."""

from __future__ import annotations

import logging

import torch
from fvcore.common.config import CfgNode
from torch import nn

from slowfast_microg.config.validate import num_pathways

logger = logging.getLogger(__name__)


def params_count(model: nn.Module) -> int:
    """Number of parameter values of ``model`` (trainable or not)."""
    return sum(p.numel() for p in model.parameters())


def dummy_inputs(cfg: CfgNode, *, device: torch.device) -> tuple[list[torch.Tensor], torch.Tensor]:
    """One test-size clip per pathway and one full-frame box, for FLOP counting.

    Returns:
        ``([(1, C, T_p, S, S) per pathway], (1, 5) boxes)`` with ``S = DATA.TEST_CROP_SIZE``.
    """
    size = cfg.DATA.TEST_CROP_SIZE
    frames = [cfg.DATA.NUM_FRAMES]
    if num_pathways(cfg) == 2:
        frames = [cfg.DATA.NUM_FRAMES // cfg.SLOWFAST.ALPHA, cfg.DATA.NUM_FRAMES]
    inputs = [
        torch.zeros(1, channels, t, size, size, device=device)
        for channels, t in zip(cfg.DATA.INPUT_CHANNEL_NUM, frames, strict=True)
    ]
    boxes = torch.tensor([[0.0, 0.0, 0.0, size - 1.0, size - 1.0]], device=device)
    return inputs, boxes


def _count_gflops(model: nn.Module, cfg: CfgNode, *, device: torch.device) -> float:
    from fvcore.nn import FlopCountAnalysis

    was_training = model.training
    model.eval()
    try:
        analysis = FlopCountAnalysis(model, dummy_inputs(cfg, device=device))
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        return analysis.total() / 1e9
    finally:
        model.train(was_training)


def log_model_info(model: nn.Module, cfg: CfgNode, *, device: torch.device) -> int:
    """Log ``Params: 27,326,322`` always; with LOG_MODEL_INFO also structure, memory, FLOPs.

    Returns:
        The parameter count.
    """
    count = params_count(model)
    if cfg.LOG_MODEL_INFO:
        logger.info("Model:\n%s", model)
    logger.info("Params: %s", f"{count:,}")
    if not cfg.LOG_MODEL_INFO:
        return count
    if device.type == "cuda":
        logger.info("Mem: %s MB", torch.cuda.max_memory_allocated() / 1024**2)
    try:
        logger.info("Flops: %s G", _count_gflops(model, cfg, device=device))
    except Exception as err:  # FLOPs are informative only; the tracer rejects some models
        logger.warning("FLOPs not counted (%s: %s)", type(err).__name__, err)
    return count
