"""X3D with the RoI detection head (X3D-S 13x6, X3D-L 16x5 of the MicroG-4M paper).

Upstream PySlowFast builds X3D without any head when ``DETECTION.ENABLE`` is set and its
forward then returns the backbone features instead of per-box scores. The paper's X3D numbers
(2,015,828 and 4,374,938 parameters) include a ``ResNetRoIHead`` on the last stage: temporal
mean, RoIAlign, spatial max, dropout, ``Linear(192 -> NUM_CLASSES)``; X3D's classification
head (conv_5, lin_5) is not part of it. This module builds exactly that model.
"""

from __future__ import annotations

import logging
import math

import torch
from fvcore.common.config import CfgNode
from torch import nn

from slowfast_microg.config import ConfigError
from slowfast_microg.models.head import ResNetRoIHead, warn_if_scale_differs
from slowfast_microg.models.registry import MODEL_REGISTRY
from slowfast_microg.models.x3d_blocks import X3DStage, X3DStemStage, round_width

logger = logging.getLogger(__name__)

# Per stage res2..res5: (base number of blocks, spatial stride). Widths double per stage.
STAGE_BLOCKS = (1, 2, 5, 3)
STAGE_STRIDE = 2
STEM_STRIDE = 2
STEM_TEMPORAL_KERNEL = 5
BLOCK_TEMPORAL_KERNEL = 3
STAGE_WIDTH_EXPANSION = 2.0


def stage_widths(*, dim_c1: int, scale_res2: bool) -> list[int]:
    """Base widths of res2..res5 before ``WIDTH_FACTOR`` (X3D doubles them stage by stage).

    Args:
        dim_c1: ``X3D.DIM_C1``, the base stem width.
        scale_res2: ``X3D.SCALE_RES2``, double the width of res2 too.

    Returns:
        Four channel counts.
    """
    width = round_width(dim_c1, STAGE_WIDTH_EXPANSION) if scale_res2 else dim_c1
    widths = [width]
    for _ in range(3):
        width = round_width(width, STAGE_WIDTH_EXPANSION)
        widths.append(width)
    return widths


def stage_depths(*, depth_factor: float) -> list[int]:
    """Blocks per stage: ``ceil(DEPTH_FACTOR * base)`` for the base depths 1, 2, 5, 3."""
    if not depth_factor:
        return list(STAGE_BLOCKS)
    return [int(math.ceil(depth_factor * blocks)) for blocks in STAGE_BLOCKS]


def init_weights(model: nn.Module, *, fc_init_std: float, zero_init_final_bn: bool) -> None:
    """PySlowFast's initialisation: MSRA fill for convs, unit BN (zero for final BNs), N(0, std) FC.

    Args:
        model: the network, changed in place.
        fc_init_std: standard deviation of linear weights.
        zero_init_final_bn: start the last BN of every residual branch at zero weight.
    """
    for module in model.modules():
        if isinstance(module, nn.Conv3d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm3d):
            final = getattr(module, "final_bn", False) and zero_init_final_bn
            nn.init.constant_(module.weight, 0.0 if final else 1.0)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=fc_init_std)
            nn.init.zeros_(module.bias)


class X3D(nn.Module):
    """X3D backbone (stem ``s1``, stages ``s2``..``s5``) with PySlowFast's RoI head ``head``.

    Forward: ``model([clip], bboxes)`` with ``clip`` (B, 3, T, H, W) and ``bboxes`` (N, 5) rows
    (batch_index, x1, y1, x2, y2) in input pixels; returns (N, num_classes) scores.
    """

    def __init__(
        self,
        *,
        num_classes: int,
        input_channels: int = 3,
        dim_c1: int = 12,
        width_factor: float = 2.0,
        depth_factor: float = 2.2,
        bottleneck_factor: float = 2.25,
        scale_res2: bool = False,
        channelwise_3x3x3: bool = True,
        num_groups: int = 1,
        stride_1x1: bool = False,
        inplace_relu: bool = True,
        spatial_dilations: tuple[int, int, int, int] = (1, 1, 1, 1),
        drop_connect_rate: float = 0.0,
        dropout_rate: float = 0.5,
        head_act: str = "none",
        roi_resolution: int = 7,
        spatial_scale_factor: float = 16,
        aligned: bool = True,
        detach_final_fc: bool = False,
        fc_init_std: float = 0.01,
        zero_init_final_bn: bool = True,
    ) -> None:
        """Create the model (defaults: X3D-S as in the paper).

        Args:
            num_classes: scores per box (``MODEL.NUM_CLASSES``).
            input_channels: channels of the clip (``DATA.INPUT_CHANNEL_NUM[0]``).
            dim_c1: ``X3D.DIM_C1``.
            width_factor: ``X3D.WIDTH_FACTOR``.
            depth_factor: ``X3D.DEPTH_FACTOR``.
            bottleneck_factor: ``X3D.BOTTLENECK_FACTOR`` (inner width / block width).
            scale_res2: ``X3D.SCALE_RES2``.
            channelwise_3x3x3: ``X3D.CHANNELWISE_3x3x3`` (depth-wise middle conv).
            num_groups: ``RESNET.NUM_GROUPS``, used when ``channelwise_3x3x3`` is False.
            stride_1x1: ``RESNET.STRIDE_1X1``.
            inplace_relu: ``RESNET.INPLACE_RELU``.
            spatial_dilations: ``RESNET.SPATIAL_DILATIONS`` per stage.
            drop_connect_rate: ``MODEL.DROPCONNECT_RATE``; stage k (2..5) uses rate * k / 5.
            dropout_rate: ``MODEL.DROPOUT_RATE`` before the classifier.
            head_act: ``MODEL.HEAD_ACT`` (none, sigmoid, softmax).
            roi_resolution: ``DETECTION.ROI_XFORM_RESOLUTION``.
            spatial_scale_factor: ``DETECTION.SPATIAL_SCALE_FACTOR`` (boxes / factor = map).
            aligned: ``DETECTION.ALIGNED``.
            detach_final_fc: ``MODEL.DETACH_FINAL_FC``.
            fc_init_std: ``MODEL.FC_INIT_STD``.
            zero_init_final_bn: ``RESNET.ZERO_INIT_FINAL_BN``.
        """
        super().__init__()
        dim_stem = round_width(dim_c1, width_factor)
        self.s1 = X3DStemStage(
            dim_in=input_channels,
            dim_out=dim_stem,
            temporal_kernel=STEM_TEMPORAL_KERNEL,
            spatial_stride=STEM_STRIDE,
            inplace_relu=inplace_relu,
        )
        widths = stage_widths(dim_c1=dim_c1, scale_res2=scale_res2)
        depths = stage_depths(depth_factor=depth_factor)
        dim_in = dim_stem
        num_stages = len(STAGE_BLOCKS)
        for stage, (base_width, blocks) in enumerate(zip(widths, depths, strict=True)):
            dim_out = round_width(base_width, width_factor)
            dim_inner = int(bottleneck_factor * dim_out)
            stage_module = X3DStage(
                dim_in=dim_in,
                dim_out=dim_out,
                dim_inner=dim_inner,
                num_blocks=blocks,
                stride=STAGE_STRIDE,
                num_groups=dim_inner if channelwise_3x3x3 else num_groups,
                temporal_kernel=BLOCK_TEMPORAL_KERNEL,
                stride_1x1=stride_1x1,
                inplace_relu=inplace_relu,
                dilation=spatial_dilations[stage],
                drop_connect_rate=drop_connect_rate * (stage + 2) / (num_stages + 1),
            )
            self.add_module(f"s{stage + 2}", stage_module)
            dim_in = dim_out
        self.feature_strides = [STEM_STRIDE * STAGE_STRIDE**num_stages]
        self.head = ResNetRoIHead(
            dim_in=[dim_in],
            num_classes=num_classes,
            resolution=[roi_resolution, roi_resolution],
            scale_factor=spatial_scale_factor,
            dropout_rate=dropout_rate,
            act_func=head_act,
            aligned=aligned,
            detach_final_fc=detach_final_fc,
        )
        init_weights(self, fc_init_std=fc_init_std, zero_init_final_bn=zero_init_final_bn)
        warn_if_scale_differs(
            model_name="X3D", scale_factor=spatial_scale_factor, strides=self.feature_strides
        )

    @classmethod
    def from_cfg(cls, cfg: CfgNode) -> X3D:
        """Build from a config: X3D.*, RESNET.*, MODEL.*, DETECTION.*, DATA.INPUT_CHANNEL_NUM."""
        check_x3d_cfg(cfg)
        return cls(
            num_classes=cfg.MODEL.NUM_CLASSES,
            input_channels=cfg.DATA.INPUT_CHANNEL_NUM[0],
            dim_c1=cfg.X3D.DIM_C1,
            width_factor=cfg.X3D.WIDTH_FACTOR,
            depth_factor=cfg.X3D.DEPTH_FACTOR,
            bottleneck_factor=cfg.X3D.BOTTLENECK_FACTOR,
            scale_res2=cfg.X3D.SCALE_RES2,
            channelwise_3x3x3=cfg.X3D.CHANNELWISE_3x3x3,
            num_groups=cfg.RESNET.NUM_GROUPS,
            stride_1x1=cfg.RESNET.STRIDE_1X1,
            inplace_relu=cfg.RESNET.INPLACE_RELU,
            spatial_dilations=tuple(int(d[0]) for d in cfg.RESNET.SPATIAL_DILATIONS),
            drop_connect_rate=cfg.MODEL.DROPCONNECT_RATE,
            dropout_rate=cfg.MODEL.DROPOUT_RATE,
            head_act=cfg.MODEL.HEAD_ACT,
            roi_resolution=cfg.DETECTION.ROI_XFORM_RESOLUTION,
            spatial_scale_factor=cfg.DETECTION.SPATIAL_SCALE_FACTOR,
            aligned=cfg.DETECTION.ALIGNED,
            detach_final_fc=cfg.MODEL.DETACH_FINAL_FC,
            fc_init_std=cfg.MODEL.FC_INIT_STD,
            zero_init_final_bn=cfg.RESNET.ZERO_INIT_FINAL_BN,
        )

    def forward(self, inputs: list[torch.Tensor], bboxes: torch.Tensor) -> torch.Tensor:
        """Score each box.

        Args:
            inputs: one (B, C, T, H, W) clip tensor.
            bboxes: (N, 5) rows (batch_index, x1, y1, x2, y2) in input pixels.

        Returns:
            (N, num_classes) scores after the head activation.
        """
        x = self.s1(inputs)
        x = self.s2(x)
        x = self.s3(x)
        x = self.s4(x)
        x = self.s5(x)
        return self.head(x, bboxes)


def check_x3d_cfg(cfg: CfgNode) -> None:
    """Reject settings PySlowFast's X3D would accept but this model does not build.

    Raises:
        ConfigError: naming the key, its value and the supported value.
    """
    if cfg.MODEL.ARCH != "x3d":
        raise ConfigError(f"MODEL.MODEL_NAME X3D needs MODEL.ARCH x3d, got {cfg.MODEL.ARCH!r}.")
    if cfg.RESNET.TRANS_FUNC != "x3d_transform":
        raise ConfigError(
            f"X3D is built from x3d_transform blocks; RESNET.TRANS_FUNC is "
            f"{cfg.RESNET.TRANS_FUNC!r}. Set RESNET.TRANS_FUNC x3d_transform."
        )
    if len(cfg.DATA.INPUT_CHANNEL_NUM) != 1:
        raise ConfigError(
            f"X3D has one pathway; DATA.INPUT_CHANNEL_NUM is {list(cfg.DATA.INPUT_CHANNEL_NUM)}."
        )
    if any(len(blocks) for stage in cfg.NONLOCAL.LOCATION for blocks in stage):
        raise ConfigError(
            f"Non-local blocks are not available in X3D; NONLOCAL.LOCATION is "
            f"{cfg.NONLOCAL.LOCATION}. Use [[[]], [[]], [[]], [[]]]."
        )
    if len(cfg.RESNET.SPATIAL_DILATIONS) != len(STAGE_BLOCKS):
        raise ConfigError(
            f"RESNET.SPATIAL_DILATIONS needs one entry per stage (4), got "
            f"{cfg.RESNET.SPATIAL_DILATIONS}."
        )
    if not cfg.DETECTION.ENABLE:
        raise ConfigError("X3D is built for detection here; set DETECTION.ENABLE true.")


@MODEL_REGISTRY.register_as("X3D")
def build_x3d(cfg: CfgNode) -> nn.Module:
    """Registry entry ``MODEL.MODEL_NAME: X3D``.

    With ``BN.NORM_TYPE: sync_batchnorm`` every BatchNorm becomes ``torch.nn.SyncBatchNorm``
    (same state-dict keys), which shares training statistics across all processes.
    """
    model = X3D.from_cfg(cfg)
    if cfg.BN.NORM_TYPE == "sync_batchnorm":
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return model
