"""A residual stage (res2..res5) over one or more pathways, with optional non-local blocks."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch
from torch import nn

from slowfast_microg.models.bottleneck import ResBlock
from slowfast_microg.models.nonlocal_block import NonLocal
from slowfast_microg.models.norm import NormFactory

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PathwayStageSpec:
    """Structure of one pathway within one stage.

    Attributes:
        dim_in: input channels.
        dim_out: output channels.
        dim_inner: bottleneck channels.
        temporal_kernels: temporal kernel of conv ``a`` for each block (its length is the
            number of blocks).
        stride: spatial stride of the first block.
        dilation: spatial dilation of every block.
        nonlocal_after: indices of the blocks followed by a non-local block.
        nonlocal_pool: [t, h, w] key/value max-pool of the non-local blocks.
        nonlocal_group: the non-local blocks attend within this many equal chunks of time.
    """

    dim_in: int
    dim_out: int
    dim_inner: int
    temporal_kernels: tuple[int, ...]
    stride: int
    dilation: int
    nonlocal_after: tuple[int, ...] = ()
    nonlocal_pool: tuple[int, ...] = (1, 2, 2)
    nonlocal_group: int = 1


class ResStage(nn.Module):
    """Blocks ``pathway{p}_res{i}`` and non-local blocks ``pathway{p}_nonlocal{i}``.

    Names follow PySlowFast: the non-local block that follows block ``i`` of pathway ``p`` is
    ``pathway{p}_nonlocal{i}``.
    """

    def __init__(
        self,
        *,
        pathways: list[PathwayStageSpec],
        num_groups: int,
        norm: NormFactory,
        nonlocal_instantiation: str = "softmax",
        stride_1x1: bool = False,
        inplace_relu: bool = True,
    ) -> None:
        """Create the stage.

        Args:
            pathways: structure of each pathway (slow first).
            num_groups: groups of each block's ``[1, 3, 3]`` conv.
            norm: normalisation layer constructor.
            nonlocal_instantiation: "softmax" or "dot_product".
            stride_1x1: put the stride on the first conv of each block.
            inplace_relu: use in-place ReLUs.
        """
        super().__init__()
        self.specs = list(pathways)
        for p, spec in enumerate(self.specs):
            num_blocks = len(spec.temporal_kernels)
            unknown = [i for i in spec.nonlocal_after if not 0 <= i < num_blocks]
            if unknown:
                raise ValueError(
                    f"NONLOCAL.LOCATION names block(s) {unknown} of pathway {p}, but the stage "
                    f"has {num_blocks} blocks (0..{num_blocks - 1})."
                )
            for i, kernel in enumerate(spec.temporal_kernels):
                block = ResBlock(
                    dim_in=spec.dim_in if i == 0 else spec.dim_out,
                    dim_out=spec.dim_out,
                    dim_inner=spec.dim_inner,
                    temporal_kernel=kernel,
                    stride=spec.stride if i == 0 else 1,
                    num_groups=num_groups,
                    dilation=spec.dilation,
                    norm=norm,
                    stride_1x1=stride_1x1,
                    inplace_relu=inplace_relu,
                )
                self.add_module(f"pathway{p}_res{i}", block)
                if i in spec.nonlocal_after:
                    attention = NonLocal(
                        dim=spec.dim_out,
                        dim_inner=spec.dim_out // 2,
                        pool_size=list(spec.nonlocal_pool),
                        instantiation=nonlocal_instantiation,
                        norm=norm,
                    )
                    self.add_module(f"pathway{p}_nonlocal{i}", attention)

    def _nonlocal(self, block: nn.Module, x: torch.Tensor, group: int) -> torch.Tensor:
        if group == 1:
            return block(x)
        batch, channels, time, height, width = x.shape
        if time % group:
            raise ValueError(f"NONLOCAL.GROUP {group} does not divide the {time} frames.")
        chunks = x.reshape(batch, channels, group, time // group, height, width)
        chunks = chunks.transpose(1, 2).reshape(
            batch * group, channels, time // group, height, width
        )
        out = block(chunks).reshape(batch, group, channels, time // group, height, width)
        return out.transpose(1, 2).reshape(batch, channels, time, height, width)

    def forward(self, x: list[torch.Tensor]) -> list[torch.Tensor]:
        """Apply the stage to one (B, C, T, H, W) tensor per pathway."""
        outputs = []
        for p, spec in enumerate(self.specs):
            features = x[p]
            for i in range(len(spec.temporal_kernels)):
                features = getattr(self, f"pathway{p}_res{i}")(features)
                if i in spec.nonlocal_after:
                    attention = getattr(self, f"pathway{p}_nonlocal{i}")
                    features = self._nonlocal(attention, features, spec.nonlocal_group)
            outputs.append(features)
        return outputs
