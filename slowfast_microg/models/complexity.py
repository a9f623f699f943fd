"""Model complexity: parameter count and FLOPs per clip at the test input size (fvcore)."""

from __future__ import annotations

import logging
import math

import torch
from fvcore.common.config import CfgNode
from fvcore.nn import FlopCountAnalysis
from fvcore.nn.jit_handles import get_shape
from torch import nn

from slowfast_microg.models.registry import MODEL_REGISTRY

logger = logging.getLogger(__name__)


def params_count(model: nn.Module) -> int:
    """Number of parameters (buffers such as BN statistics excluded), as PySlowFast logs it."""
    return sum(p.numel() for p in model.parameters())


def analysis_inputs(cfg: CfgNode, *, num_boxes: int = 1) -> tuple[list[torch.Tensor], torch.Tensor]:
    """One test clip and ``num_boxes`` full-frame boxes, shaped as the model expects.

    Args:
        cfg: config giving DATA.NUM_FRAMES, DATA.TEST_CROP_SIZE, DATA.INPUT_CHANNEL_NUM and,
            for two-pathway architectures, SLOWFAST.ALPHA.
        num_boxes: boxes per clip.

    Returns:
        ``(inputs, bboxes)``: one (1, C, T_p, S, S) zero tensor per pathway (slow first, with
        NUM_FRAMES // ALPHA frames) and (num_boxes, 5) boxes covering the whole frame.
    """
    size = cfg.DATA.TEST_CROP_SIZE
    frames = cfg.DATA.NUM_FRAMES
    channels = list(cfg.DATA.INPUT_CHANNEL_NUM)
    if cfg.MODEL.ARCH in cfg.MODEL.MULTI_PATHWAY_ARCH:
        lengths = [frames // cfg.SLOWFAST.ALPHA, frames]
    else:
        lengths = [frames]
    inputs = [torch.zeros(1, c, t, size, size) for c, t in zip(channels, lengths, strict=True)]
    box = torch.tensor([[0.0, 0.0, 0.0, float(size), float(size)]])
    return inputs, box.repeat(num_boxes, 1)


def attention_flops(inputs: list, outputs: list) -> int:
    """Multiply-adds of ``aten::scaled_dot_product_attention``: q @ k^T and weights @ v.

    Counted like fvcore's matmul handle would count the two products of the unfused form.
    """
    q, k, v = (get_shape(x) for x in inputs[:3])
    *batch, lq, dim = q
    lk, dim_v = k[-2], v[-1]
    return int(math.prod(batch) * lq * lk * (dim + dim_v))


def model_flops(cfg: CfgNode, *, model: nn.Module | None = None) -> float:
    """GFLOPs of one test clip with one box, counted by ``fvcore.nn.FlopCountAnalysis``.

    fvcore counts one multiply-add as one FLOP (PySlowFast's convention for its model zoo).
    Operators fvcore has no formula for (element-wise adds, pooling, RoIAlign) add nothing;
    they are a negligible share of these networks. Fused attention
    (``scaled_dot_product_attention``) counts its two matrix products.

    Args:
        cfg: the model config; the input is DATA.NUM_FRAMES frames of DATA.TEST_CROP_SIZE
            pixels square.
        model: an already built model for ``cfg``; built on the CPU when omitted.

    Returns:
        Giga-FLOPs (multiply-adds / 1e9) per clip.
    """
    if model is None:
        model = MODEL_REGISTRY.get(cfg.MODEL.MODEL_NAME)(cfg)
    was_training = model.training
    model.eval()
    try:
        inputs, bboxes = analysis_inputs(cfg)
        device = next(model.parameters()).device
        inputs = [x.to(device) for x in inputs]
        analysis = FlopCountAnalysis(model, (inputs, bboxes.to(device)))
        analysis.set_op_handle("aten::scaled_dot_product_attention", attention_flops)
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        with torch.no_grad():
            total = analysis.total()
    finally:
        model.train(was_training)
    return total / 1e9
