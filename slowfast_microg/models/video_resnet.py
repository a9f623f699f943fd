"""The ResNet family of video detectors: ``ResNet`` (C2D, I3D, Slow) and ``SlowFast``."""

from __future__ import annotations

import logging

import torch
from fvcore.common.config import CfgNode
from torch import nn

from slowfast_microg.models.act_checkpoint import checkpointed
from slowfast_microg.models.fusion import FuseFastToSlow
from slowfast_microg.models.head import ResNetRoIHead, warn_if_scale_differs
from slowfast_microg.models.norm import NormFactory, norm_factory
from slowfast_microg.models.registry import MODEL_REGISTRY
from slowfast_microg.models.res_stage import ResStage
from slowfast_microg.models.resnet_spec import FusionSpec, backbone_spec
from slowfast_microg.models.stem import MultiPathwayStem
from slowfast_microg.models.weight_init import init_weights

logger = logging.getLogger(__name__)


class VideoResNet(nn.Module):
    """Stem ``s1``, residual stages ``s2``..``s5``, pool ``pathway{p}_pool`` after ``s2``, RoI head.

    Subclasses set ``num_pathways``; with two pathways, lateral connections ``s1_fuse``..
    ``s4_fuse`` feed the fast pathway into the slow one. Module names and registration order
    equal PySlowFast's, so ``state_dict()`` keys, shapes and order match its checkpoints.

    Attributes:
        feature_strides: spatial stride of each pathway's head input (16 for the MicroG-4M
            configs, whose res5 has stride 1 and dilation 2).
    """

    num_pathways = 1

    def __init__(self, cfg: CfgNode) -> None:
        """Build the model described by ``cfg`` and initialise it as PySlowFast does.

        Args:
            cfg: config with MODEL, RESNET, NONLOCAL, SLOWFAST, DETECTION, DATA and BN nodes.
        """
        super().__init__()
        if not cfg.DETECTION.ENABLE:
            raise ValueError(
                f"{type(self).__name__} is built in detection mode only: set DETECTION.ENABLE True."
            )
        spec = backbone_spec(cfg, num_pathways=self.num_pathways)
        norm = norm_factory(cfg.BN.NORM_TYPE)
        relu = cfg.RESNET.INPLACE_RELU
        self.feature_strides = list(spec.feature_strides)
        self.act_checkpoint = bool(cfg.MODEL.ACT_CHECKPOINT)
        self.s1 = MultiPathwayStem(
            dim_in=spec.stem_dim_in,
            dim_out=spec.stem_dim_out,
            temporal_kernels=spec.stem_kernels,
            norm=norm,
            inplace_relu=relu,
        )
        if spec.fusion is not None:
            self.s1_fuse = self._fusion(spec.fusion, index=0, norm=norm, relu=relu)
        for index, pathways in enumerate(spec.stages):
            stage = ResStage(
                pathways=pathways,
                num_groups=cfg.RESNET.NUM_GROUPS,
                norm=norm,
                nonlocal_instantiation=cfg.NONLOCAL.INSTANTIATION,
                stride_1x1=cfg.RESNET.STRIDE_1X1,
                inplace_relu=relu,
            )
            self.add_module(f"s{index + 2}", stage)
            if spec.fusion is not None and index < 3:
                fuse = self._fusion(spec.fusion, index=index + 1, norm=norm, relu=relu)
                self.add_module(f"s{index + 2}_fuse", fuse)
            if index == 0:
                for p, size in enumerate(spec.pool1):
                    pool = nn.MaxPool3d(kernel_size=tuple(size), stride=tuple(size))
                    self.add_module(f"pathway{p}_pool", pool)
                # A 1x1x1 pool (Slow, SlowFast) is the identity: kept as a module, as in
                # PySlowFast, but not run (it would copy the res2 output and its gradient).
                self._pool_active = [any(s != 1 for s in size) for size in spec.pool1]
        resolution = cfg.DETECTION.ROI_XFORM_RESOLUTION
        self.head = ResNetRoIHead(
            dim_in=spec.head_dims,
            num_classes=cfg.MODEL.NUM_CLASSES,
            resolution=[resolution, resolution],
            scale_factor=cfg.DETECTION.SPATIAL_SCALE_FACTOR,
            dropout_rate=cfg.MODEL.DROPOUT_RATE,
            act_func=cfg.MODEL.HEAD_ACT,
            aligned=cfg.DETECTION.ALIGNED,
            detach_final_fc=cfg.MODEL.DETACH_FINAL_FC,
        )
        warn_if_scale_differs(
            model_name=type(self).__name__,
            scale_factor=cfg.DETECTION.SPATIAL_SCALE_FACTOR,
            strides=self.feature_strides,
        )
        init_weights(
            self,
            fc_init_std=cfg.MODEL.FC_INIT_STD,
            zero_init_final_bn=cfg.RESNET.ZERO_INIT_FINAL_BN,
            zero_init_final_conv=cfg.RESNET.ZERO_INIT_FINAL_CONV,
        )

    @staticmethod
    def _fusion(fusion: FusionSpec, *, index: int, norm: NormFactory, relu: bool) -> FuseFastToSlow:
        return FuseFastToSlow(
            dim_in=fusion.fast_dims[index],
            channel_ratio=fusion.channel_ratio,
            fusion_kernel=fusion.kernel,
            alpha=fusion.alpha,
            norm=norm,
            inplace_relu=relu,
        )

    def _check_inputs(self, x: list[torch.Tensor], bboxes: torch.Tensor) -> None:
        if not isinstance(x, (list, tuple)) or len(x) != self.num_pathways:
            got = f"a list of {len(x)}" if isinstance(x, (list, tuple)) else type(x).__name__
            raise ValueError(
                f"{type(self).__name__} expects a list of {self.num_pathways} (B, C, T, H, W) "
                f"tensor(s), one per pathway (slow first); got {got}."
            )
        for p, tensor in enumerate(x):
            if tensor.dim() != 5:
                raise ValueError(
                    f"pathway {p} input must be (B, C, T, H, W), got shape {tuple(tensor.shape)}."
                )
        if bboxes.dim() != 2 or bboxes.shape[1] != 5:
            raise ValueError(
                "bboxes must be (N, 5) rows of (batch_index, x1, y1, x2, y2) in input pixels, "
                f"got shape {tuple(bboxes.shape)}."
            )

    def _stage(self, name: str, x: list[torch.Tensor]) -> list[torch.Tensor]:
        stage = getattr(self, name)
        if self.act_checkpoint and self.training and torch.is_grad_enabled():
            return checkpointed(stage, x)
        return stage(x)

    def forward(self, x: list[torch.Tensor], bboxes: torch.Tensor) -> torch.Tensor:
        """Score every box.

        Args:
            x: one (B, 3, T_p, H, W) clip per pathway, slow first.
            bboxes: (N, 5) rows of (batch_index, x1, y1, x2, y2) in input pixels.

        Returns:
            (N, MODEL.NUM_CLASSES) scores after ``MODEL.HEAD_ACT``.
        """
        self._check_inputs(x, bboxes)
        features = list(x)
        for k in range(1, 6):
            features = self._stage(f"s{k}", features)
            if hasattr(self, f"s{k}_fuse"):
                features = getattr(self, f"s{k}_fuse")(features)
            if k == 2:
                features = [
                    getattr(self, f"pathway{p}_pool")(x) if self._pool_active[p] else x
                    for p, x in enumerate(features)
                ]
        return self.head(features, bboxes)


@MODEL_REGISTRY.register()
class ResNet(VideoResNet):
    """Single-pathway ResNet detector; ``MODEL.ARCH`` selects c2d, i3d or slow."""

    num_pathways = 1


@MODEL_REGISTRY.register()
class SlowFast(VideoResNet):
    """Two-pathway SlowFast detector (``MODEL.ARCH`` slowfast)."""

    num_pathways = 2
