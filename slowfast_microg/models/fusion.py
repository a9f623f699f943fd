"""SlowFast lateral connection: fast-pathway features fused into the slow pathway."""

from __future__ import annotations

import logging

import torch
from torch import nn

from slowfast_microg.models.norm import NormFactory

logger = logging.getLogger(__name__)


class FuseFastToSlow(nn.Module):
    """Time-strided conv on the fast pathway, BN, ReLU, concatenated to the slow channels.

    The conv has kernel ``[fusion_kernel, 1, 1]`` and temporal stride ``alpha`` so its output
    has the slow pathway's frame count; it maps ``dim_in`` fast channels to
    ``dim_in * channel_ratio``.
    """

    def __init__(
        self,
        *,
        dim_in: int,
        channel_ratio: int,
        fusion_kernel: int,
        alpha: int,
        norm: NormFactory,
        inplace_relu: bool = True,
    ) -> None:
        """Create the lateral connection.

        Args:
            dim_in: channels of the fast pathway.
            channel_ratio: ``SLOWFAST.FUSION_CONV_CHANNEL_RATIO``.
            fusion_kernel: ``SLOWFAST.FUSION_KERNEL_SZ`` (temporal kernel, padded by half).
            alpha: ``SLOWFAST.ALPHA``, frame-rate ratio fast/slow (temporal stride).
            norm: normalisation layer constructor.
            inplace_relu: use an in-place ReLU.
        """
        super().__init__()
        self.conv_f2s = nn.Conv3d(
            dim_in,
            dim_in * channel_ratio,
            kernel_size=(fusion_kernel, 1, 1),
            stride=(alpha, 1, 1),
            padding=(fusion_kernel // 2, 0, 0),
            bias=False,
        )
        self.bn = norm(dim_in * channel_ratio)
        self.relu = nn.ReLU(inplace=inplace_relu)

    def forward(self, x: list[torch.Tensor]) -> list[torch.Tensor]:
        """Fuse [slow (B, C_s, T/alpha, H, W), fast (B, C_f, T, H, W)].

        Returns:
            [slow with ``C_s + C_f * channel_ratio`` channels, fast unchanged].
        """
        slow, fast = x
        lateral = self.relu(self.bn(self.conv_f2s(fast)))
        if lateral.shape[2] != slow.shape[2]:
            raise ValueError(
                f"SlowFast fusion: the fast pathway gives {lateral.shape[2]} frame(s) after the "
                f"temporal stride but the slow pathway has {slow.shape[2]}; feed the slow "
                "pathway DATA.NUM_FRAMES // SLOWFAST.ALPHA frames."
            )
        return [torch.cat([slow, lateral], dim=1), fast]
