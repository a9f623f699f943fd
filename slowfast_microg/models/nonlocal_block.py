"""Non-local (space-time self-attention) block of Wang et al., "Non-local Neural Networks"."""

from __future__ import annotations

import logging

import torch
from torch import nn

from slowfast_microg.models.norm import NormFactory

logger = logging.getLogger(__name__)

INSTANTIATIONS = ("softmax", "dot_product")


class NonLocal(nn.Module):
    """Residual non-local block: ``x + BN(W_out(attend(theta(x), phi(x'), g(x'))))``.

    ``theta``, ``phi`` and ``g`` are ``[1, 1, 1]`` convs to ``dim_inner`` channels; ``x'`` is
    ``x`` max-pooled by ``pool_size`` (keys and values only). The affinity between every
    query position and every pooled key position is normalised either by a softmax of the
    logits scaled by ``dim_inner ** -0.5`` ("softmax") or by dividing by the number of key
    positions ("dot_product"). The BN is flagged ``transform_final_bn`` so
    ``RESNET.ZERO_INIT_FINAL_BN`` starts the block as an identity.
    """

    def __init__(
        self,
        *,
        dim: int,
        dim_inner: int,
        pool_size: list[int],
        instantiation: str,
        norm: NormFactory,
    ) -> None:
        """Create the block.

        Args:
            dim: channels in and out.
            dim_inner: channels of the embeddings.
            pool_size: [t, h, w] max-pool kernel and stride for keys and values.
            instantiation: "softmax" or "dot_product".
            norm: normalisation layer constructor.
        """
        super().__init__()
        if instantiation not in INSTANTIATIONS:
            raise ValueError(
                f"NONLOCAL.INSTANTIATION must be one of {list(INSTANTIATIONS)}, got "
                f"{instantiation!r}."
            )
        self.dim_inner = dim_inner
        self.instantiation = instantiation
        self.conv_theta = nn.Conv3d(dim, dim_inner, kernel_size=1)
        self.conv_phi = nn.Conv3d(dim, dim_inner, kernel_size=1)
        self.conv_g = nn.Conv3d(dim, dim_inner, kernel_size=1)
        self.conv_out = nn.Conv3d(dim_inner, dim, kernel_size=1)
        self.bn = norm(dim)
        self.bn.transform_final_bn = True
        if any(size > 1 for size in pool_size):
            self.pool = nn.MaxPool3d(kernel_size=tuple(pool_size), stride=tuple(pool_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (B, C, T, H, W) to a tensor of the same shape."""
        batch, _, time, height, width = x.shape
        queries = self.conv_theta(x).flatten(start_dim=2)
        context = self.pool(x) if hasattr(self, "pool") else x
        keys = self.conv_phi(context).flatten(start_dim=2)
        values = self.conv_g(context).flatten(start_dim=2)
        affinity = torch.bmm(queries.transpose(1, 2), keys)
        if self.instantiation == "softmax":
            affinity = torch.softmax(affinity * self.dim_inner**-0.5, dim=2)
        else:
            affinity = affinity / keys.shape[2]
        attended = torch.bmm(values, affinity.transpose(1, 2))
        attended = attended.reshape(batch, self.dim_inner, time, height, width)
        return x + self.bn(self.conv_out(attended))
