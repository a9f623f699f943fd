"""The 3D bottleneck residual block of the ResNet family (C2D, I3D, Slow, SlowFast)."""

from __future__ import annotations

import logging

import torch
from torch import nn

from slowfast_microg.models.norm import NormFactory

logger = logging.getLogger(__name__)


class BottleneckTransform(nn.Module):
    """Residual branch ``[t, 1, 1]`` conv -> ``[1, 3, 3]`` conv -> ``[1, 1, 1]`` conv, each with BN.

    The temporal kernel sits on the first conv (``a``), spatial stride and dilation on the
    ``[1, 3, 3]`` conv (``b``) unless ``stride_1x1`` moves the stride to ``a``. The final BN
    (``c_bn``) is flagged ``transform_final_bn`` and the final conv ``final_conv`` for the
    zero-init options of :func:`~slowfast_microg.models.weight_init.init_weights`.
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
        dilation: int,
        norm: NormFactory,
        stride_1x1: bool = False,
        inplace_relu: bool = True,
    ) -> None:
        """Create the branch.

        Args:
            dim_in: input channels.
            dim_out: output channels.
            dim_inner: channels of the two inner convolutions.
            temporal_kernel: temporal size of conv ``a`` (odd; padded to keep T).
            stride: spatial stride of the block.
            num_groups: groups of conv ``b`` (ResNeXt when > 1).
            dilation: spatial dilation of conv ``b``.
            norm: normalisation layer constructor.
            stride_1x1: apply the stride in conv ``a`` instead of conv ``b``.
            inplace_relu: use in-place ReLUs.
        """
        super().__init__()
        stride_a, stride_b = (stride, 1) if stride_1x1 else (1, stride)
        self.a = nn.Conv3d(
            dim_in,
            dim_inner,
            kernel_size=(temporal_kernel, 1, 1),
            stride=(1, stride_a, stride_a),
            padding=(temporal_kernel // 2, 0, 0),
            bias=False,
        )
        self.a_bn = norm(dim_inner)
        self.a_relu = nn.ReLU(inplace=inplace_relu)
        self.b = nn.Conv3d(
            dim_inner,
            dim_inner,
            kernel_size=(1, 3, 3),
            stride=(1, stride_b, stride_b),
            padding=(0, dilation, dilation),
            dilation=(1, dilation, dilation),
            groups=num_groups,
            bias=False,
        )
        self.b_bn = norm(dim_inner)
        self.b_relu = nn.ReLU(inplace=inplace_relu)
        self.c = nn.Conv3d(dim_inner, dim_out, kernel_size=1, bias=False)
        self.c.final_conv = True
        self.c_bn = norm(dim_out)
        self.c_bn.transform_final_bn = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (B, dim_in, T, H, W) to (B, dim_out, T, H/stride, W/stride)."""
        x = self.a_relu(self.a_bn(self.a(x)))
        x = self.b_relu(self.b_bn(self.b(x)))
        return self.c_bn(self.c(x))


class ResBlock(nn.Module):
    """Bottleneck branch plus identity (or a strided ``[1, 1, 1]`` projection), then ReLU."""

    def __init__(
        self,
        *,
        dim_in: int,
        dim_out: int,
        dim_inner: int,
        temporal_kernel: int,
        stride: int,
        num_groups: int,
        dilation: int,
        norm: NormFactory,
        stride_1x1: bool = False,
        inplace_relu: bool = True,
    ) -> None:
        """Create the block; arguments as in :class:`BottleneckTransform`."""
        super().__init__()
        if dim_in != dim_out or stride != 1:
            self.branch1 = nn.Conv3d(
                dim_in, dim_out, kernel_size=1, stride=(1, stride, stride), bias=False
            )
            self.branch1_bn = norm(dim_out)
        self.branch2 = BottleneckTransform(
            dim_in=dim_in,
            dim_out=dim_out,
            dim_inner=dim_inner,
            temporal_kernel=temporal_kernel,
            stride=stride,
            num_groups=num_groups,
            dilation=dilation,
            norm=norm,
            stride_1x1=stride_1x1,
            inplace_relu=inplace_relu,
        )
        self.relu = nn.ReLU(inplace=inplace_relu)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (B, dim_in, T, H, W) to (B, dim_out, T, H/stride, W/stride)."""
        residual = self.branch2(x)
        shortcut = self.branch1_bn(self.branch1(x)) if hasattr(self, "branch1") else x
        return self.relu(shortcut + residual)
