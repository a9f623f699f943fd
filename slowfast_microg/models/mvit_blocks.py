"""MViT building blocks: patch embedding, MLP, stochastic depth and the multi-scale block."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from slowfast_microg.models.mvit_attention import MultiScaleAttention, pool_tokens

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BlockOptions:
    """Settings shared by every block of an MViT (the MVIT.* switches, see MultiScaleBlock)."""

    mlp_ratio: float = 4.0
    qkv_bias: bool = True
    drop_rate: float = 0.0
    layer_scale_init_value: float = 0.0
    mode: str = "conv"
    has_cls_embed: bool = True
    pool_first: bool = False
    rel_pos_spatial: bool = False
    rel_pos_temporal: bool = False
    rel_pos_zero_init: bool = False
    residual_pooling: bool = False
    dim_mul_in_att: bool = False
    separate_qkv: bool = False


class PatchEmbed(nn.Module):
    """Space-time patches: a strided Conv3d, flattened to tokens ordered (t, h, w)."""

    def __init__(
        self,
        *,
        dim_in: int,
        dim_out: int,
        kernel: Sequence[int],
        stride: Sequence[int],
        padding: Sequence[int],
    ) -> None:
        """Create the ``proj`` convolution (PySlowFast key ``patch_embed.proj``)."""
        super().__init__()
        self.proj = nn.Conv3d(
            dim_in, dim_out, kernel_size=tuple(kernel), stride=tuple(stride), padding=tuple(padding)
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
        """Map (B, C, T, H, W) to (B, T'*H'*W', dim_out) tokens and their grid [T', H', W']."""
        x = self.proj(x)
        return x.flatten(2).transpose(1, 2), list(x.shape[2:])


class Mlp(nn.Module):
    """Two linear layers with GELU in between (keys ``fc1``, ``fc2``)."""

    def __init__(
        self, *, in_features: int, hidden_features: int, out_features: int, drop_rate: float
    ) -> None:
        """Create the MLP; ``drop_rate`` > 0 adds dropout after each linear layer."""
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_features, out_features)
        self.drop = nn.Dropout(drop_rate) if drop_rate > 0.0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., in_features) -> (..., out_features)."""
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class DropPath(nn.Module):
    """Stochastic depth: in training, zero a residual branch per sample with probability p."""

    def __init__(self, drop_prob: float) -> None:
        """Create the layer; it is the identity in eval mode."""
        super().__init__()
        self.drop_prob = float(drop_prob)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scale kept samples by 1 / (1 - p) so the expectation is unchanged."""
        if not self.training or self.drop_prob == 0.0:
            return x
        keep = 1.0 - self.drop_prob
        mask_shape = (x.shape[0],) + (1,) * (x.ndim - 1)
        mask = torch.empty(mask_shape, dtype=x.dtype, device=x.device).bernoulli_(keep)
        return x * mask / keep

    def extra_repr(self) -> str:
        """Show the drop probability."""
        return f"drop_prob={self.drop_prob}"


class MultiScaleBlock(nn.Module):
    """Pre-norm transformer block with pooling attention and a pooled skip connection.

    The width changes from ``dim`` to ``dim_out`` through ``proj`` (a Linear on the normalised
    tokens): after attention, on the MLP branch (MViT v1), or before it, inside attention,
    with ``dim_mul_in_att`` (MViT v2). The skip path is max-pooled with the query stride.
    """

    def __init__(
        self,
        *,
        dim: int,
        dim_out: int,
        num_heads: int,
        input_size: Sequence[int],
        mlp_ratio: float,
        qkv_bias: bool,
        drop_rate: float,
        drop_path: float,
        layer_scale_init_value: float,
        norm_layer: Callable[[int], nn.Module],
        kernel_q: Sequence[int],
        kernel_kv: Sequence[int],
        stride_q: Sequence[int],
        stride_kv: Sequence[int],
        mode: str,
        has_cls_embed: bool,
        pool_first: bool,
        rel_pos_spatial: bool,
        rel_pos_temporal: bool,
        rel_pos_zero_init: bool,
        residual_pooling: bool,
        dim_mul_in_att: bool,
        separate_qkv: bool,
    ) -> None:
        """Create the block (arguments as in ``MultiScaleAttention`` plus the MLP settings).

        Args:
            mlp_ratio: hidden width of the MLP relative to the attention width.
            drop_path: stochastic-depth probability of both residual branches.
            layer_scale_init_value: > 0 adds learnable per-channel scales ``gamma_1``/``gamma_2``.
            dim_mul_in_att: change the width inside attention (v2) instead of in the MLP (v1).
        """
        super().__init__()
        self.dim = dim
        self.dim_out = dim_out
        self.dim_mul_in_att = dim_mul_in_att
        self.has_cls_embed = has_cls_embed
        att_dim = dim_out if dim_mul_in_att else dim
        self.norm1 = norm_layer(dim)
        self.attn = MultiScaleAttention(
            dim=dim,
            dim_out=att_dim,
            input_size=input_size,
            num_heads=num_heads,
            qkv_bias=qkv_bias,
            drop_rate=drop_rate,
            kernel_q=kernel_q,
            kernel_kv=kernel_kv,
            stride_q=stride_q,
            stride_kv=stride_kv,
            norm_layer=norm_layer,
            has_cls_embed=has_cls_embed,
            mode=mode,
            pool_first=pool_first,
            rel_pos_spatial=rel_pos_spatial,
            rel_pos_temporal=rel_pos_temporal,
            rel_pos_zero_init=rel_pos_zero_init,
            residual_pooling=residual_pooling,
            separate_qkv=separate_qkv,
        )
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()
        self.norm2 = norm_layer(att_dim)
        self.mlp = Mlp(
            in_features=att_dim,
            hidden_features=int(att_dim * mlp_ratio),
            out_features=dim_out,
            drop_rate=drop_rate,
        )
        if layer_scale_init_value > 0:
            self.gamma_1 = nn.Parameter(layer_scale_init_value * torch.ones(att_dim))
            self.gamma_2 = nn.Parameter(layer_scale_init_value * torch.ones(dim_out))
        else:
            self.gamma_1 = self.gamma_2 = None
        if dim != dim_out:
            self.proj = nn.Linear(dim, dim_out)
        stride_q = list(stride_q)
        if stride_q and any(s > 1 for s in stride_q):
            kernel_skip = [s + 1 if s > 1 else s for s in stride_q]
            self.pool_skip = nn.MaxPool3d(
                kernel_skip, stride_q, [k // 2 for k in kernel_skip], ceil_mode=False
            )
        else:
            self.pool_skip = None

    def _scaled(self, x: torch.Tensor, gamma: torch.Tensor | None) -> torch.Tensor:
        return self.drop_path(x if gamma is None else gamma * x)

    def forward(self, x: torch.Tensor, thw: Sequence[int]) -> tuple[torch.Tensor, list[int]]:
        """Apply the block.

        Args:
            x: (B, [1 +] T*H*W, dim) tokens on grid ``thw``.
            thw: (T, H, W).

        Returns:
            (B, [1 +] T'*H'*W', dim_out) and the new grid [T', H', W'].
        """
        x_norm = self.norm1(x)
        x_att, new_thw = self.attn(x_norm, thw)
        if self.dim_mul_in_att and self.dim != self.dim_out:
            x = self.proj(x_norm)
        x_skip, _ = pool_tokens(x, pool=self.pool_skip, thw=thw, has_cls=self.has_cls_embed)
        x = x_skip + self._scaled(x_att, self.gamma_1)
        x_norm = self.norm2(x)
        x_mlp = self.mlp(x_norm)
        if not self.dim_mul_in_att and self.dim != self.dim_out:
            x = self.proj(x_norm)
        return x + self._scaled(x_mlp, self.gamma_2), new_thw
