"""Config -> structure of the ResNet-family backbones (C2D, I3D, Slow, SlowFast)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from math import prod

from fvcore.common.config import CfgNode

from slowfast_microg.models.res_stage import PathwayStageSpec

logger = logging.getLogger(__name__)

# Temporal kernels per MODEL.ARCH: for the stem and res2..res5, per pathway, the pattern of
# conv-``a`` temporal kernels that repeats over a stage's blocks (the stem uses the first).
# RESNET.NUM_BLOCK_TEMP_KERNEL then keeps the pattern for the first blocks and gives the
# rest a kernel of 1. C2D and I3D (3x1x1 kernels in every other block) are the ResNet-50
# baselines of Wang et al., "Non-local Neural Networks"; Slow and SlowFast are the
# instantiations of Feichtenhofer et al., "SlowFast Networks for Video Recognition".
TEMPORAL_KERNEL_BASIS: dict[str, tuple[list[list[int]], ...]] = {
    "c2d": ([[1]], [[1]], [[1]], [[1]], [[1]]),
    "i3d": ([[5]], [[3]], [[3, 1]], [[3, 1]], [[1, 3]]),
    "slow": ([[1]], [[1]], [[1]], [[3]], [[3]]),
    "slowfast": ([[1], [5]], [[1], [3]], [[1], [3]], [[3], [3]], [[3], [3]]),
}

# Max-pool [t, h, w] (kernel = stride) per pathway between res2 and res3: C2D and I3D halve
# the frame count there, the Slow and SlowFast pathways keep every frame.
POOL1: dict[str, list[list[int]]] = {
    "c2d": [[2, 1, 1]],
    "i3d": [[2, 1, 1]],
    "slow": [[1, 1, 1]],
    "slowfast": [[1, 1, 1], [1, 1, 1]],
}

# Bottleneck blocks in res2..res5 per RESNET.DEPTH.
STAGE_DEPTHS: dict[int, tuple[int, int, int, int]] = {
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
}

STEM_STRIDE = 4


@dataclass(frozen=True)
class FusionSpec:
    """SlowFast lateral connections, one after the stem and after each of res2..res4.

    Attributes:
        fast_dims: fast-pathway channels entering each of the four fusions.
        channel_ratio: ``SLOWFAST.FUSION_CONV_CHANNEL_RATIO``.
        kernel: ``SLOWFAST.FUSION_KERNEL_SZ``.
        alpha: ``SLOWFAST.ALPHA``.
    """

    fast_dims: tuple[int, int, int, int]
    channel_ratio: int
    kernel: int
    alpha: int


@dataclass(frozen=True)
class BackboneSpec:
    """Everything needed to build a ResNet-family backbone.

    Attributes:
        stem_dim_in: input channels per pathway.
        stem_dim_out: stem channels per pathway.
        stem_kernels: stem temporal kernel per pathway.
        stages: res2..res5, each a list of per-pathway specs.
        pool1: [t, h, w] pool between res2 and res3 per pathway.
        fusion: lateral connections (SlowFast) or None.
        head_dims: channels of each pathway's head input.
        feature_strides: true spatial stride of each pathway's head input.
    """

    stem_dim_in: list[int]
    stem_dim_out: list[int]
    stem_kernels: list[int]
    stages: list[list[PathwayStageSpec]]
    pool1: list[list[int]]
    fusion: FusionSpec | None
    head_dims: list[int]
    feature_strides: list[int]


def _per_pathway(value: list, *, key: str, num_pathways: int) -> list:
    """Check a RESNET/NONLOCAL setting has 4 stages with an entry for every pathway."""
    if len(value) != 4 or any(len(stage) < num_pathways for stage in value):
        raise ValueError(
            f"{key} must list res2..res5 (4 entries), each with a value per pathway "
            f"({num_pathways}); got {value}."
        )
    return [list(stage)[:num_pathways] for stage in value]


def stage_kernels(pattern: list[int], *, num_blocks: int, num_temporal: int) -> tuple[int, ...]:
    """Temporal kernels of a stage's blocks: ``pattern`` repeated, 1 after ``num_temporal``."""
    if not 0 <= num_temporal <= num_blocks:
        raise ValueError(
            f"RESNET.NUM_BLOCK_TEMP_KERNEL entry {num_temporal} must be between 0 and the "
            f"stage's {num_blocks} blocks."
        )
    repeated = (list(pattern) * num_blocks)[:num_temporal]
    return tuple(repeated + [1] * (num_blocks - num_temporal))


def backbone_spec(cfg: CfgNode, *, num_pathways: int) -> BackboneSpec:
    """Derive the backbone structure from ``cfg`` (MODEL, RESNET, NONLOCAL, SLOWFAST, DATA).

    Args:
        cfg: a config.
        num_pathways: 1 for ``ResNet`` (c2d, i3d, slow), 2 for ``SlowFast``.

    Returns:
        The structure; channel counts follow PySlowFast, so state-dict shapes match its models.
    """
    arch = cfg.MODEL.ARCH
    if arch not in TEMPORAL_KERNEL_BASIS or len(POOL1[arch]) != num_pathways:
        valid = sorted(a for a in POOL1 if len(POOL1[a]) == num_pathways)
        raise ValueError(
            f"MODEL.ARCH {arch!r} cannot be built by MODEL.MODEL_NAME {cfg.MODEL.MODEL_NAME!r}; "
            f"it builds {valid}."
        )
    if cfg.RESNET.TRANS_FUNC != "bottleneck_transform":
        raise ValueError(
            f"RESNET.TRANS_FUNC {cfg.RESNET.TRANS_FUNC!r} is not supported by the ResNet family; "
            "use bottleneck_transform."
        )
    if cfg.RESNET.DEPTH not in STAGE_DEPTHS:
        raise ValueError(
            f"RESNET.DEPTH must be one of {sorted(STAGE_DEPTHS)}, got {cfg.RESNET.DEPTH}."
        )
    if len(cfg.DATA.INPUT_CHANNEL_NUM) != num_pathways:
        raise ValueError(
            f"DATA.INPUT_CHANNEL_NUM {list(cfg.DATA.INPUT_CHANNEL_NUM)} needs {num_pathways} "
            f"entr{'y' if num_pathways == 1 else 'ies'} for MODEL.ARCH {arch!r}."
        )
    strides = _per_pathway(
        cfg.RESNET.SPATIAL_STRIDES, key="RESNET.SPATIAL_STRIDES", num_pathways=num_pathways
    )
    dilations = _per_pathway(
        cfg.RESNET.SPATIAL_DILATIONS, key="RESNET.SPATIAL_DILATIONS", num_pathways=num_pathways
    )
    num_temporal = _per_pathway(
        cfg.RESNET.NUM_BLOCK_TEMP_KERNEL,
        key="RESNET.NUM_BLOCK_TEMP_KERNEL",
        num_pathways=num_pathways,
    )
    locations = _per_pathway(
        cfg.NONLOCAL.LOCATION, key="NONLOCAL.LOCATION", num_pathways=num_pathways
    )
    groups = _per_pathway(cfg.NONLOCAL.GROUP, key="NONLOCAL.GROUP", num_pathways=num_pathways)
    pools = _per_pathway(cfg.NONLOCAL.POOL, key="NONLOCAL.POOL", num_pathways=num_pathways)

    width = cfg.RESNET.WIDTH_PER_GROUP
    inner = cfg.RESNET.NUM_GROUPS * width
    beta_inv = cfg.SLOWFAST.BETA_INV if num_pathways == 2 else 1
    ratio = cfg.SLOWFAST.FUSION_CONV_CHANNEL_RATIO
    divisors = [1, beta_inv][:num_pathways]
    basis = TEMPORAL_KERNEL_BASIS[arch]

    stem_out = [width // d for d in divisors]
    stages: list[list[PathwayStageSpec]] = []
    previous_out = stem_out
    for index, depth in enumerate(STAGE_DEPTHS[cfg.RESNET.DEPTH]):
        scale = 2**index
        fused = previous_out[1] * ratio if num_pathways == 2 else 0
        dim_in = [previous_out[0] + fused] + previous_out[1:]
        specs = [
            PathwayStageSpec(
                dim_in=dim_in[p],
                dim_out=width * 4 * scale // divisors[p],
                dim_inner=inner * scale // divisors[p],
                temporal_kernels=stage_kernels(
                    basis[index + 1][p], num_blocks=depth, num_temporal=num_temporal[index][p]
                ),
                stride=strides[index][p],
                dilation=dilations[index][p],
                nonlocal_after=tuple(locations[index][p]),
                nonlocal_pool=tuple(pools[index][p]),
                nonlocal_group=groups[index][p],
            )
            for p in range(num_pathways)
        ]
        stages.append(specs)
        previous_out = [spec.dim_out for spec in specs]

    fusion = None
    if num_pathways == 2:
        fast_dims = (stem_out[1],) + tuple(stage[1].dim_out for stage in stages[:3])
        fusion = FusionSpec(
            fast_dims=fast_dims,
            channel_ratio=ratio,
            kernel=cfg.SLOWFAST.FUSION_KERNEL_SZ,
            alpha=cfg.SLOWFAST.ALPHA,
        )
    return BackboneSpec(
        stem_dim_in=list(cfg.DATA.INPUT_CHANNEL_NUM),
        stem_dim_out=stem_out,
        stem_kernels=[basis[0][p][0] for p in range(num_pathways)],
        stages=stages,
        pool1=[list(pool) for pool in POOL1[arch]],
        fusion=fusion,
        head_dims=previous_out,
        feature_strides=[
            STEM_STRIDE * prod(strides[s][p] for s in range(4)) for p in range(num_pathways)
        ],
    )
