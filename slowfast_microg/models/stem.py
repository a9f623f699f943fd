"""The ResNet stem (stage ``s1``): per pathway a 3D conv, BN, ReLU and spatial max-pool."""

from __future__ import annotations

import logging

import torch
from torch import nn

from slowfast_microg.models.norm import NormFactory

logger = logging.getLogger(__name__)


class BasicStem(nn.Module):
    """Conv ``[t, 7, 7]`` (spatial stride 2), BN, ReLU, then a ``[1, 3, 3]`` max-pool of stride 2.

    The total spatial stride is 4. Submodule names (``conv``, ``bn``, ``pool_layer``) are
    PySlowFast's, so its checkpoints load unchanged.
    """

    def __init__(
        self,
        *,
        dim_in: int,
        dim_out: int,
        temporal_kernel: int,
        norm: NormFactory,
        inplace_relu: bool = True,
    ) -> None:
        """Create the stem of one pathway.

        Args:
            dim_in: input channels (3 for RGB).
            dim_out: output channels.
            temporal_kernel: temporal size of the convolution (odd; padded to keep T).
            norm: normalisation layer constructor.
            inplace_relu: use an in-place ReLU.
        """
        super().__init__()
        self.conv = nn.Conv3d(
            dim_in,
            dim_out,
            kernel_size=(temporal_kernel, 7, 7),
            stride=(1, 2, 2),
            padding=(temporal_kernel // 2, 3, 3),
            bias=False,
        )
        self.bn = norm(dim_out)
        self.relu = nn.ReLU(inplace=inplace_relu)
        self.pool_layer = nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (B, C_in, T, H, W) to (B, C_out, T, H/4, W/4)."""
        return self.pool_layer(self.relu(self.bn(self.conv(x))))


class MultiPathwayStem(nn.Module):
    """One :class:`BasicStem` per pathway, registered as ``pathway{i}_stem``."""

    def __init__(
        self,
        *,
        dim_in: list[int],
        dim_out: list[int],
        temporal_kernels: list[int],
        norm: NormFactory,
        inplace_relu: bool = True,
    ) -> None:
        """Create the stems.

        Args:
            dim_in: input channels per pathway.
            dim_out: output channels per pathway.
            temporal_kernels: temporal conv size per pathway.
            norm: normalisation layer constructor.
            inplace_relu: use in-place ReLUs.
        """
        super().__init__()
        if not len(dim_in) == len(dim_out) == len(temporal_kernels):
            raise ValueError(
                f"stem settings disagree on the number of pathways: dim_in {dim_in}, "
                f"dim_out {dim_out}, temporal_kernels {temporal_kernels}"
            )
        self.num_pathways = len(dim_in)
        for pathway in range(self.num_pathways):
            stem = BasicStem(
                dim_in=dim_in[pathway],
                dim_out=dim_out[pathway],
                temporal_kernel=temporal_kernels[pathway],
                norm=norm,
                inplace_relu=inplace_relu,
            )
            self.add_module(f"pathway{pathway}_stem", stem)

    def forward(self, x: list[torch.Tensor]) -> list[torch.Tensor]:
        """Apply each pathway's stem to its (B, C, T, H, W) clip."""
        return [getattr(self, f"pathway{p}_stem")(x[p]) for p in range(self.num_pathways)]
