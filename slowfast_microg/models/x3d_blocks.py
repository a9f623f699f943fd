"""X3D building blocks: stem, squeeze-excitation, bottleneck transform, residual block and stage.

Module and attribute names follow PySlowFast's X3D (``pathway0_stem.conv_xy``,
``pathway0_res3.branch2.se.fc1``, ``branch1_bn``, ...) so that state-dict keys and shapes equal
PySlowFast's and its checkpoints load with strict key matching.
"""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F
from torch import nn

logger = logging.getLogger(__name__)

BN_EPS = 1e-5
BN_MOMENTUM = 0.1


def round_width(width: float, multiplier: float, *, min_width: int = 8, divisor: int = 8) -> int:
    """Scale a channel count and round it to a multiple of ``divisor`` (X3D's rule).

    The scaled width is rounded to the nearest multiple of ``divisor`` (halves round up), never
    below ``min_width``; if rounding lost more than 10 % of the width, one ``divisor`` is added.

    Args:
        width: channel count before scaling.
        multiplier: scale factor; 0 keeps ``width`` unchanged.
        min_width: smallest result.
        divisor: the result is a multiple of this.

    Returns:
        The rounded channel count.
    """
    if not multiplier:
        return int(width)
    scaled = width * multiplier
    rounded = max(min_width, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


class Swish(nn.Module):
    """x * sigmoid(x), as one fused kernel (``F.silu``) that saves only ``x`` for backward."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the activation elementwise."""
        return F.silu(x)


class X3DStem(nn.Module):
    """Separable stem: a 1xkxk spatial conv then a depth-wise kx1x1 temporal conv, BN, ReLU."""

    def __init__(
        self,
        *,
        dim_in: int,
        dim_out: int,
        temporal_kernel: int,
        spatial_kernel: int = 3,
        spatial_stride: int = 2,
        inplace_relu: bool = True,
    ) -> None:
        """Create the stem.

        Args:
            dim_in: input channels (3 for RGB).
            dim_out: output channels.
            temporal_kernel: kernel of the depth-wise temporal conv (5 in X3D).
            spatial_kernel: kernel of the spatial conv.
            spatial_stride: spatial stride of the stem.
            inplace_relu: use an in-place ReLU.
        """
        super().__init__()
        self.conv_xy = nn.Conv3d(
            dim_in,
            dim_out,
            kernel_size=(1, spatial_kernel, spatial_kernel),
            stride=(1, spatial_stride, spatial_stride),
            padding=(0, spatial_kernel // 2, spatial_kernel // 2),
            bias=False,
        )
        self.conv = nn.Conv3d(
            dim_out,
            dim_out,
            kernel_size=(temporal_kernel, 1, 1),
            padding=(temporal_kernel // 2, 0, 0),
            groups=dim_out,
            bias=False,
        )
        self.bn = nn.BatchNorm3d(dim_out, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=inplace_relu)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (B, C_in, T, H, W) to (B, C_out, T, H / stride, W / stride)."""
        return self.relu(self.bn(self.conv(self.conv_xy(x))))


class X3DStemStage(nn.Module):
    """Stage ``s1``: the stem of the single pathway, stored as ``pathway0_stem``."""

    def __init__(
        self,
        *,
        dim_in: int,
        dim_out: int,
        temporal_kernel: int,
        spatial_stride: int = 2,
        inplace_relu: bool = True,
    ) -> None:
        """Create the stage; see ``X3DStem`` for the arguments."""
        super().__init__()
        self.pathway0_stem = X3DStem(
            dim_in=dim_in,
            dim_out=dim_out,
            temporal_kernel=temporal_kernel,
            spatial_stride=spatial_stride,
            inplace_relu=inplace_relu,
        )

    def forward(self, inputs: list[torch.Tensor]) -> list[torch.Tensor]:
        """Apply the stem to the one (B, C, T, H, W) pathway tensor."""
        if len(inputs) != 1:
            raise ValueError(f"X3D takes one pathway, got {len(inputs)} input tensors.")
        return [self.pathway0_stem(inputs[0])]


class SqueezeExcitation(nn.Module):
    """Channel gating: global average pool, 1x1x1 conv, ReLU, 1x1x1 conv, sigmoid, rescale."""

    def __init__(self, *, dim: int, ratio: float) -> None:
        """Create the gate.

        Args:
            dim: channels of the gated tensor.
            ratio: bottleneck width relative to ``dim`` (rounded with ``round_width``).
        """
        super().__init__()
        dim_fc = round_width(dim, ratio)
        self.avg_pool = nn.AdaptiveAvgPool3d((1, 1, 1))
        self.fc1 = nn.Conv3d(dim, dim_fc, kernel_size=1, bias=True)
        self.fc1_act = nn.ReLU()
        self.fc2 = nn.Conv3d(dim_fc, dim, kernel_size=1, bias=True)
        self.fc2_sig = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return x scaled per (sample, channel); shape unchanged (B, C, T, H, W)."""
        gate = self.fc2_sig(self.fc2(self.fc1_act(self.fc1(self.avg_pool(x)))))
        return x * gate


class X3DTransform(nn.Module):
    """X3D bottleneck: 1x1x1 expand, (grouped) kx3x3, optional SE, swish, 1x1x1 project.

    SE sits on every other block (block index 0, 2, 4, ...), between the kx3x3 conv's BN and
    the swish, as in X3D.
    """

    def __init__(
        self,
        *,
        dim_in: int,
        dim_out: int,
        dim_inner: int,
        temporal_kernel: int,
        stride: int,
        num_groups: int,
        block_idx: int,
        stride_1x1: bool = False,
        inplace_relu: bool = True,
        dilation: int = 1,
        se_ratio: float = 0.0625,
    ) -> None:
        """Create the transform.

        Args:
            dim_in: input channels.
            dim_out: output channels.
            dim_inner: channels of the expanded middle.
            temporal_kernel: temporal size of the middle conv.
            stride: spatial stride of the block.
            num_groups: groups of the middle conv (``dim_inner`` = channel-wise).
            block_idx: index of the block in its stage (decides whether SE is used).
            stride_1x1: put the stride on the first 1x1x1 conv instead of the middle conv.
            inplace_relu: use an in-place ReLU.
            dilation: spatial dilation of the middle conv.
            se_ratio: SE bottleneck ratio; 0 disables SE.
        """
        super().__init__()
        stride_a, stride_b = (stride, 1) if stride_1x1 else (1, stride)
        self.a = nn.Conv3d(
            dim_in, dim_inner, kernel_size=1, stride=(1, stride_a, stride_a), bias=False
        )
        self.a_bn = nn.BatchNorm3d(dim_inner, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.a_relu = nn.ReLU(inplace=inplace_relu)
        self.b = nn.Conv3d(
            dim_inner,
            dim_inner,
            kernel_size=(temporal_kernel, 3, 3),
            stride=(1, stride_b, stride_b),
            padding=(temporal_kernel // 2, dilation, dilation),
            dilation=(1, dilation, dilation),
            groups=num_groups,
            bias=False,
        )
        self.b_bn = nn.BatchNorm3d(dim_inner, eps=BN_EPS, momentum=BN_MOMENTUM)
        if se_ratio > 0.0 and block_idx % 2 == 0:
            self.se = SqueezeExcitation(dim=dim_inner, ratio=se_ratio)
        self.b_relu = Swish()
        self.c = nn.Conv3d(dim_inner, dim_out, kernel_size=1, bias=False)
        self.c_bn = nn.BatchNorm3d(dim_out, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.c_bn.final_bn = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (B, C_in, T, H, W) to (B, C_out, T, H / stride, W / stride)."""
        x = self.a_relu(self.a_bn(self.a(x)))
        x = self.b_bn(self.b(x))
        if hasattr(self, "se"):
            x = self.se(x)
        x = self.b_relu(x)
        return self.c_bn(self.c(x))


def drop_connect(x: torch.Tensor, *, rate: float, training: bool) -> torch.Tensor:
    """Zero whole samples of a residual branch with probability ``rate`` (training only).

    Kept samples are scaled by 1 / (1 - rate) so the expectation is unchanged.

    Args:
        x: (B, C, T, H, W) branch output.
        rate: drop probability.
        training: apply only when True.

    Returns:
        A tensor shaped like ``x``.
    """
    if rate <= 0.0 or not training:
        return x
    keep = 1.0 - rate
    mask = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device)
    mask.bernoulli_(keep)
    return x / keep * mask


class X3DResBlock(nn.Module):
    """Residual block: ``relu(shortcut(x) + drop_connect(transform(x)))``.

    The shortcut is a strided 1x1x1 conv + BN (``branch1``/``branch1_bn``) when the channel
    count or the resolution changes, otherwise the identity.
    """

    def __init__(
        self,
        *,
        dim_in: int,
        dim_out: int,
        dim_inner: int,
        temporal_kernel: int,
        stride: int,
        num_groups: int,
        block_idx: int,
        stride_1x1: bool = False,
        inplace_relu: bool = True,
        dilation: int = 1,
        drop_connect_rate: float = 0.0,
    ) -> None:
        """Create the block; arguments as in ``X3DTransform`` plus ``drop_connect_rate``."""
        super().__init__()
        self.drop_connect_rate = drop_connect_rate
        if dim_in != dim_out or stride != 1:
            self.branch1 = nn.Conv3d(
                dim_in, dim_out, kernel_size=1, stride=(1, stride, stride), bias=False
            )
            self.branch1_bn = nn.BatchNorm3d(dim_out, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.branch2 = X3DTransform(
            dim_in=dim_in,
            dim_out=dim_out,
            dim_inner=dim_inner,
            temporal_kernel=temporal_kernel,
            stride=stride,
            num_groups=num_groups,
            block_idx=block_idx,
            stride_1x1=stride_1x1,
            inplace_relu=inplace_relu,
            dilation=dilation,
        )
        self.relu = nn.ReLU(inplace=inplace_relu)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (B, C_in, T, H, W) to (B, C_out, T, H / stride, W / stride)."""
        residual = drop_connect(
            self.branch2(x), rate=self.drop_connect_rate, training=self.training
        )
        shortcut = self.branch1_bn(self.branch1(x)) if hasattr(self, "branch1") else x
        return self.relu(shortcut + residual)


class X3DStage(nn.Module):
    """A stage of ``num_blocks`` residual blocks named ``pathway0_res{i}``; the first strides."""

    def __init__(
        self,
        *,
        dim_in: int,
        dim_out: int,
        dim_inner: int,
        num_blocks: int,
        stride: int,
        num_groups: int,
        temporal_kernel: int = 3,
        stride_1x1: bool = False,
        inplace_relu: bool = True,
        dilation: int = 1,
        drop_connect_rate: float = 0.0,
    ) -> None:
        """Create the stage; see ``X3DResBlock`` for the arguments."""
        super().__init__()
        self.num_blocks = num_blocks
        for idx in range(num_blocks):
            block = X3DResBlock(
                dim_in=dim_in if idx == 0 else dim_out,
                dim_out=dim_out,
                dim_inner=dim_inner,
                temporal_kernel=temporal_kernel,
                stride=stride if idx == 0 else 1,
                num_groups=num_groups,
                block_idx=idx,
                stride_1x1=stride_1x1,
                inplace_relu=inplace_relu,
                dilation=dilation,
                drop_connect_rate=drop_connect_rate,
            )
            self.add_module(f"pathway0_res{idx}", block)

    def forward(self, inputs: list[torch.Tensor]) -> list[torch.Tensor]:
        """Run the blocks on the single pathway; returns a one-element list like PySlowFast."""
        x = inputs[0]
        for idx in range(self.num_blocks):
            x = getattr(self, f"pathway0_res{idx}")(x)
        return [x]
