"""PyTorchVideo counterparts of our models, with the same structure, input and weights.

For each shared architecture this module builds PyTorchVideo 0.1.5's network with the widths,
depths, kernels, strides and dilations of our ``configs/MicroG`` row, copies our weights into
it and checks that both give the same output, so that a timing comparison compares the two
implementations of one computation:

- ``detection``: the whole detector, ours against ``create_slowfast_with_roi_head`` /
  ``create_resnet_with_roi_head`` (SlowFast and Slow rows; PyTorchVideo has no detection
  builder for X3D or MViT).
- ``backbone``: everything before RoIAlign: ours with its head replaced by the identity
  against PyTorchVideo's classification builders without their head.

Differences that do not change the amount of work are aligned after building (recorded in
``notes``): RoIAlign ``aligned=True`` (our configs' DETECTION.ALIGNED), LayerNorm eps 1e-6 in
MViT's pooling norms, and an identity BatchNorm where PySlowFast's X3D has a res2 shortcut BN
that PyTorchVideo's lacks.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import torch
from fvcore.common.config import CfgNode
from torch import nn

from slowfast_microg.models.checkpoint.pytorchvideo_names import map_pytorchvideo_names

PTV_ROWS = (
    "SLOWFAST_8x8.yaml",
    "SLOWFAST_4x16.yaml",
    "SLOW_8x8.yaml",
    "SLOW_4x16.yaml",
    "X3D_S_13x6.yaml",
    "X3D_L_16x5.yaml",
    "MVITv1_B_16x4.yaml",
)


class ReturnFeatures(nn.Module):
    """Stands in for a detection head: returns the per-pathway feature maps it receives."""

    def forward(self, inputs: list[torch.Tensor], bboxes: torch.Tensor) -> list[torch.Tensor]:
        """Return ``inputs`` (one (B, C, T, H, W) map per pathway) unchanged."""
        return inputs


@dataclass
class Pair:
    """Our module and PyTorchVideo's for one comparison, and how to call each."""

    ours: nn.Module
    theirs: nn.Module
    call_theirs: str  # "list_boxes", "tensor_boxes" or "tensor"
    notes: list[str] = field(default_factory=list)


def randomise_batchnorm(model: nn.Module, *, seed: int = 0) -> None:
    """Draw BN affine parameters and statistics so every residual branch reaches the output.

    Freshly initialised models zero the last BN of each branch (ZERO_INIT_FINAL_BN), which
    would let an output comparison ignore the branches.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                n = module.num_features
                module.weight.copy_(0.5 + torch.rand(n, generator=generator))
                module.bias.copy_(0.1 * torch.randn(n, generator=generator))
                module.running_mean.copy_(0.1 * torch.randn(n, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(n, generator=generator))


def copy_in_order(source: dict[str, torch.Tensor], target: nn.Module) -> int:
    """Load ``source`` tensors into ``target`` position by position; shapes must agree.

    Returns:
        The number of tensors copied.

    Raises:
        ValueError: the counts differ or a pair of tensors has different shapes.
    """
    target_state = target.state_dict()
    if len(source) != len(target_state):
        raise ValueError(f"{len(source)} tensors to copy into {len(target_state)}")
    mapped = {}
    for (src_key, value), (dst_key, slot) in zip(source.items(), target_state.items(), strict=True):
        if value.shape != slot.shape:
            raise ValueError(f"{src_key} {tuple(value.shape)} vs {dst_key} {tuple(slot.shape)}")
        mapped[dst_key] = value
    target.load_state_dict(mapped, strict=True)
    return len(mapped)


def _backbone_of(model: nn.Module) -> nn.Module:
    ours = copy.deepcopy(model)
    ours.head = ReturnFeatures()
    return ours


def _slowfast_pairs(cfg: CfgNode, ours: nn.Module) -> dict[str, Pair]:
    from pytorchvideo.models.net import Net
    from pytorchvideo.models.slowfast import create_slowfast_with_roi_head

    slow, fast = cfg.DATA.NUM_FRAMES // cfg.SLOWFAST.ALPHA, cfg.DATA.NUM_FRAMES
    theirs = create_slowfast_with_roi_head(
        model_num_class=cfg.MODEL.NUM_CLASSES,
        dropout_rate=cfg.MODEL.DROPOUT_RATE,
        slowfast_channel_reduction_ratio=(cfg.SLOWFAST.BETA_INV,),
        slowfast_conv_channel_fusion_ratio=cfg.SLOWFAST.FUSION_CONV_CHANNEL_RATIO,
        slowfast_fusion_conv_kernel_size=(cfg.SLOWFAST.FUSION_KERNEL_SZ, 1, 1),
        slowfast_fusion_conv_stride=(cfg.SLOWFAST.ALPHA, 1, 1),
        head_pool_kernel_sizes=((slow, 1, 1), (fast, 1, 1)),
        head_activation=None,
        head_spatial_scale=1.0 / cfg.DETECTION.SPATIAL_SCALE_FACTOR,
    )
    theirs.detection_head.roi_layer.aligned = bool(cfg.DETECTION.ALIGNED)
    backbone = Net(blocks=theirs.model.blocks[:-1])  # Net re-initialises the blocks it wraps
    copy_in_order(ours.state_dict(), theirs)
    note = "RoIAlign aligned set to DETECTION.ALIGNED on PyTorchVideo's head"
    return {
        "detection": Pair(ours, theirs, "list_boxes", [note]),
        "backbone": Pair(_backbone_of(ours), copy.deepcopy(backbone), "list"),
    }


def _slow_pairs(cfg: CfgNode, ours: nn.Module) -> dict[str, Pair]:
    from pytorchvideo.models.resnet import create_resnet_with_roi_head

    theirs = create_resnet_with_roi_head(
        model_num_class=cfg.MODEL.NUM_CLASSES,
        dropout_rate=cfg.MODEL.DROPOUT_RATE,
        stem_conv_kernel_size=(1, 7, 7),
        stage_conv_a_kernel_size=((1, 1, 1), (1, 1, 1), (3, 1, 1), (3, 1, 1)),
        head_pool_kernel_size=(cfg.DATA.NUM_FRAMES, 1, 1),
        head_activation=None,
        head_spatial_scale=1.0 / cfg.DETECTION.SPATIAL_SCALE_FACTOR,
    )
    theirs.detection_head.roi_layer.aligned = bool(cfg.DETECTION.ALIGNED)
    copy_in_order(ours.state_dict(), theirs)
    note = "RoIAlign aligned set to DETECTION.ALIGNED on PyTorchVideo's head"
    return {
        "detection": Pair(ours, theirs, "tensor_boxes", [note]),
        "backbone": Pair(_backbone_of(ours), copy.deepcopy(theirs.model), "tensor"),
    }


def _x3d_pairs(cfg: CfgNode, ours: nn.Module) -> dict[str, Pair]:
    from pytorchvideo.models.net import Net
    from pytorchvideo.models.x3d import create_x3d

    full = create_x3d(
        input_clip_length=cfg.DATA.NUM_FRAMES,
        input_crop_size=cfg.DATA.TEST_CROP_SIZE,
        depth_factor=cfg.X3D.DEPTH_FACTOR,
        width_factor=cfg.X3D.WIDTH_FACTOR,
        bottleneck_factor=cfg.X3D.BOTTLENECK_FACTOR,
        stem_dim_in=cfg.X3D.DIM_C1,
        model_num_class=cfg.MODEL.NUM_CLASSES,
    )
    theirs = Net(blocks=full.blocks[:-1])
    backbone = _backbone_of(ours)
    extra = "s2.pathway0_res0.branch1_bn"
    bn = backbone.get_submodule(extra)
    with torch.no_grad():
        bn.weight.fill_(1.0)
        bn.bias.zero_()
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0 - bn.eps)
    source = {k: v for k, v in backbone.state_dict().items() if not k.startswith(extra + ".")}
    copy_in_order(source, theirs)
    note = (
        f"{extra} (24 channels) has no PyTorchVideo counterpart; set to the identity for the "
        "output check; it runs in ours only"
    )
    return {"backbone": Pair(backbone, theirs, "tensor", [note])}


def _mvit_pairs(cfg: CfgNode, ours: nn.Module) -> dict[str, Pair]:
    from pytorchvideo.models.hub.vision_transformers import mvit_video_base_config
    from pytorchvideo.models.vision_transformers import create_multiscale_vision_transformers

    settings = dict(mvit_video_base_config)
    settings.update(spatial_size=cfg.DATA.TRAIN_CROP_SIZE, temporal_size=cfg.DATA.NUM_FRAMES)
    theirs = create_multiscale_vision_transformers(head=None, **settings)
    for module in theirs.modules():
        if isinstance(module, nn.LayerNorm):
            module.eps = 1e-6
    backbone = _backbone_of(ours)
    state, _ = map_pytorchvideo_names(theirs.state_dict(), model_keys=backbone.state_dict().keys())
    backbone.load_state_dict(state, strict=True)
    note = (
        "PyTorchVideo weights loaded into ours through map_pytorchvideo_names; its pooling "
        "LayerNorms set to eps 1e-6 (PySlowFast's)"
    )
    return {"backbone": Pair(backbone, theirs, "tokens", [note])}


def build_pairs(cfg: CfgNode, ours: nn.Module) -> dict[str, Pair]:
    """The comparisons available for ``cfg``'s architecture: {"detection"?, "backbone"}."""
    randomise_batchnorm(ours)
    arch = cfg.MODEL.ARCH
    if arch == "slowfast":
        return _slowfast_pairs(cfg, ours)
    if arch == "slow":
        return _slow_pairs(cfg, ours)
    if arch == "x3d":
        return _x3d_pairs(cfg, ours)
    if arch == "mvit" and not cfg.MVIT.REL_POS_SPATIAL:
        return _mvit_pairs(cfg, ours)
    raise ValueError(f"PyTorchVideo 0.1.5 has no builder for {arch} as configured")


def call_theirs(pair: Pair, inputs: list[torch.Tensor], boxes: torch.Tensor) -> Any:
    """Run PyTorchVideo's module on our inputs, in the form it takes."""
    if pair.call_theirs == "list_boxes":
        return pair.theirs(list(inputs), boxes)
    if pair.call_theirs == "tensor_boxes":
        return pair.theirs(inputs[0], boxes)
    if pair.call_theirs == "list":
        return pair.theirs(list(inputs))
    return pair.theirs(inputs[0])


def as_ours(pair: Pair, output: Any, like: Any) -> list[torch.Tensor]:
    """PyTorchVideo's output in our layout, for the output check."""
    if pair.call_theirs == "tokens":
        tokens = output[:, 1:]
        return [tokens.transpose(1, 2).reshape(like[0].shape)]
    if isinstance(output, (list, tuple)):
        return list(output)
    return [output.reshape(like.shape)] if isinstance(like, torch.Tensor) else [output]
