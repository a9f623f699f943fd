"""Multi-scale (pooling) attention of MViT v1/v2, with PySlowFast's parameter names."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from slowfast_microg.models.mvit_positions import relative_position_bias

logger = logging.getLogger(__name__)

POOL_MODES = ("conv", "conv_unshared", "avg", "max")


def pool_tokens(
    tokens: torch.Tensor,
    *,
    pool: nn.Module | None,
    thw: Sequence[int],
    has_cls: bool,
    norm: nn.Module | None = None,
) -> tuple[torch.Tensor, list[int]]:
    """Pool the grid tokens of a sequence in (T, H, W); the class token passes through.

    Args:
        tokens: (B, N, L, C) per-head tokens or (B, L, C) tokens; L = [1 +] T*H*W, ordered
            (t, h, w) after the optional class token.
        pool: a 3D pooling module (or None for the identity).
        thw: the (T, H, W) grid of ``tokens``.
        has_cls: whether the first token is a class token.
        norm: optional norm applied to all tokens (class token included) after pooling.

    Returns:
        The pooled tokens (same rank as ``tokens``) and the pooled grid [T', H', W'].
    """
    if pool is None:
        return tokens, list(thw)
    squeeze = tokens.ndim == 3
    if squeeze:
        tokens = tokens.unsqueeze(1)
    if tokens.ndim != 4:
        raise ValueError(f"expected (B, L, C) or (B, N, L, C) tokens, got {tuple(tokens.shape)}")
    if has_cls:
        cls_tok, tokens = tokens[:, :, :1, :], tokens[:, :, 1:, :]
    batch, heads, _, channels = tokens.shape
    grid = tokens.reshape(batch * heads, *thw, channels).permute(0, 4, 1, 2, 3).contiguous()
    grid = pool(grid)
    new_thw = list(grid.shape[2:])
    tokens = grid.reshape(batch, heads, channels, -1).transpose(2, 3)
    if has_cls:
        tokens = torch.cat((cls_tok, tokens), dim=2)
    if norm is not None:
        tokens = norm(tokens)
    if squeeze:
        tokens = tokens.squeeze(1)
    return tokens, new_thw


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, scale: float) -> torch.Tensor:
    """softmax(q k^T * scale) v over the last two dimensions.

    On CUDA, and for float32 on the CPU, one fused kernel (flash / memory-efficient attention)
    computes it without materialising the (L_q, L_kv) weights or saving them for backward. For
    bfloat16/float16 on the CPU the unfused products are used: oneDNN's reduced-precision
    matrix products are about twice as fast there as the CPU attention kernel.

    Args:
        q: (B, heads, L_q, C) queries.
        k: (B, heads, L_kv, C) keys.
        v: (B, heads, L_kv, C_v) values.
        scale: factor on the logits (head_dim ** -0.5).

    Returns:
        (B, heads, L_q, C_v).
    """
    if q.is_cuda or q.dtype == torch.float32:
        return F.scaled_dot_product_attention(q, k, v, scale=scale)
    return ((q * scale) @ k.transpose(-2, -1)).softmax(dim=-1) @ v


def _is_identity(kernel: Sequence[int], stride: Sequence[int]) -> bool:
    return math.prod(kernel) == 1 and math.prod(stride) == 1


class MultiScaleAttention(nn.Module):
    """Self-attention whose queries and keys/values are pooled in space-time.

    Parameter names follow PySlowFast: ``qkv`` (or ``q``/``k``/``v`` with ``pool_first`` or
    ``separate_qkv``), ``proj``, ``pool_{q,k,v}`` + ``norm_{q,k,v}`` in conv modes, and
    ``rel_pos_{h,w,t}`` (MViT v2). Relative tables are sized for ``input_size`` and resampled
    to the actual grid at forward time (``mvit_positions``).
    """

    def __init__(
        self,
        *,
        dim: int,
        dim_out: int,
        input_size: Sequence[int],
        num_heads: int,
        qkv_bias: bool,
        drop_rate: float,
        kernel_q: Sequence[int],
        kernel_kv: Sequence[int],
        stride_q: Sequence[int],
        stride_kv: Sequence[int],
        norm_layer: Callable[[int], nn.Module],
        has_cls_embed: bool,
        mode: str,
        pool_first: bool,
        rel_pos_spatial: bool,
        rel_pos_temporal: bool,
        rel_pos_zero_init: bool,
        residual_pooling: bool,
        separate_qkv: bool,
    ) -> None:
        """Create the attention.

        Args:
            dim: input width.
            dim_out: output width (= width of q, k, v).
            input_size: (T, H, W) token grid at build time, sizing the relative tables.
            num_heads: attention heads.
            qkv_bias: bias in the q/k/v projections.
            drop_rate: dropout after the output projection.
            kernel_q: query pooling kernel ([] or all ones with unit stride: no pooling).
            kernel_kv: key/value pooling kernel.
            stride_q: query pooling stride ([] means 1).
            stride_kv: key/value pooling stride.
            norm_layer: norm constructor for the pooled q/k/v (conv modes).
            has_cls_embed: the first token is a class token (never pooled).
            mode: "conv" (depth-wise conv shared by heads), "conv_unshared", "avg" or "max".
            pool_first: pool the input, then project q/k/v (else project, then pool).
            rel_pos_spatial: add decomposed relative-position bias over height and width.
            rel_pos_temporal: add relative-position bias over time.
            rel_pos_zero_init: start the relative tables at zero.
            residual_pooling: add the pooled query to the attention output.
            separate_qkv: separate q, k, v projections instead of one ``qkv``.
        """
        super().__init__()
        if mode not in POOL_MODES:
            raise ValueError(f"MVIT.MODE must be one of {list(POOL_MODES)}, got {mode!r}.")
        if mode == "conv_unshared" and not pool_first:
            raise ValueError("MVIT.MODE conv_unshared needs MVIT.POOL_FIRST true.")
        self.pool_first = pool_first
        self.separate_qkv = separate_qkv
        self.num_heads = num_heads
        self.dim_out = dim_out
        self.mode = mode
        self.has_cls_embed = has_cls_embed
        self.residual_pooling = residual_pooling
        head_dim = dim_out // num_heads
        self.scale = head_dim**-0.5
        stride_q = list(stride_q) or [1, 1, 1]
        stride_kv = list(stride_kv) or [1, 1, 1]

        if rel_pos_spatial or rel_pos_temporal:
            self._init_rel_pos(
                input_size=input_size,
                stride_q=stride_q,
                stride_kv=stride_kv,
                head_dim=head_dim,
                spatial=rel_pos_spatial,
                temporal=rel_pos_temporal,
                zero_init=rel_pos_zero_init,
            )
        if pool_first or separate_qkv:
            self.q = nn.Linear(dim, dim_out, bias=qkv_bias)
            self.k = nn.Linear(dim, dim_out, bias=qkv_bias)
            self.v = nn.Linear(dim, dim_out, bias=qkv_bias)
        else:
            self.qkv = nn.Linear(dim, dim_out * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim_out, dim_out)
        self.proj_drop = nn.Dropout(drop_rate) if drop_rate > 0.0 else nn.Identity()

        width = dim if pool_first else dim_out
        pool_channels = width if mode == "conv_unshared" else width // num_heads
        for name, kernel, stride in (
            ("q", kernel_q, stride_q),
            ("k", kernel_kv, stride_kv),
            ("v", kernel_kv, stride_kv),
        ):
            pool, norm = self._make_pool(
                kernel=list(kernel), stride=stride, channels=pool_channels, norm_layer=norm_layer
            )
            setattr(self, f"pool_{name}", pool)
            setattr(self, f"norm_{name}", norm)

    def _init_rel_pos(
        self,
        *,
        input_size: Sequence[int],
        stride_q: Sequence[int],
        stride_kv: Sequence[int],
        head_dim: int,
        spatial: bool,
        temporal: bool,
        zero_init: bool,
    ) -> None:
        """Create ``rel_pos_h``/``rel_pos_w`` ((2 max(q, kv) - 1, head_dim)) and ``rel_pos_t``."""
        if spatial:
            if input_size[1] != input_size[2]:
                raise ValueError(f"relative positions need a square token grid, got {input_size}")
            q_size = input_size[1] // stride_q[1]
            kv_size = input_size[1] // stride_kv[1]
            length = 2 * max(q_size, kv_size) - 1
            self.rel_pos_h = nn.Parameter(torch.zeros(length, head_dim))
            self.rel_pos_w = nn.Parameter(torch.zeros(length, head_dim))
        if temporal:
            self.rel_pos_t = nn.Parameter(torch.zeros(2 * input_size[0] - 1, head_dim))
        if not zero_init:
            for name in ("rel_pos_h", "rel_pos_w", "rel_pos_t"):
                if hasattr(self, name):
                    nn.init.trunc_normal_(getattr(self, name), std=0.02)

    def _make_pool(
        self,
        *,
        kernel: list[int],
        stride: Sequence[int],
        channels: int,
        norm_layer: Callable[[int], nn.Module],
    ) -> tuple[nn.Module | None, nn.Module | None]:
        """Return (pool, norm) for one of q/k/v; (None, None) when pooling is the identity."""
        if not kernel or _is_identity(kernel, stride):
            return None, None
        padding = [k // 2 for k in kernel]
        if self.mode == "avg":
            return nn.AvgPool3d(kernel, stride, padding, ceil_mode=False), None
        if self.mode == "max":
            return nn.MaxPool3d(kernel, stride, padding, ceil_mode=False), None
        conv = nn.Conv3d(
            channels,
            channels,
            kernel,
            stride=stride,
            padding=padding,
            groups=channels,
            bias=False,
        )
        return conv, norm_layer(channels)

    def _split_heads(self, x: torch.Tensor, proj: nn.Linear) -> torch.Tensor:
        """(B, L, C_in) -> projected (B, heads, L, C_out / heads)."""
        batch, length, _ = x.shape
        return proj(x).reshape(batch, length, self.num_heads, -1).permute(0, 2, 1, 3)

    def _merge_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(B, N, L, C') -> (B, L, N * C')."""
        batch, _, length, _ = x.shape
        return x.permute(0, 2, 1, 3).reshape(batch, length, -1)

    def forward(self, x: torch.Tensor, thw: Sequence[int]) -> tuple[torch.Tensor, list[int]]:
        """Attend over ``x``.

        Args:
            x: (B, [1 +] T*H*W, dim) tokens on grid ``thw``.
            thw: (T, H, W).

        Returns:
            (B, [1 +] T'*H'*W', dim_out) and the query grid [T', H', W'].
        """
        batch, length, _ = x.shape
        if self.pool_first:
            fold = 1 if self.mode == "conv_unshared" else self.num_heads
            q = k = v = x.reshape(batch, length, fold, -1).permute(0, 2, 1, 3)
        elif self.separate_qkv:
            q, k, v = (self._split_heads(x, proj) for proj in (self.q, self.k, self.v))
        else:
            qkv = self.qkv(x).reshape(batch, length, 3, self.num_heads, -1)
            q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)

        q, q_thw = pool_tokens(
            q, pool=self.pool_q, thw=thw, has_cls=self.has_cls_embed, norm=self.norm_q
        )
        k, k_thw = pool_tokens(
            k, pool=self.pool_k, thw=thw, has_cls=self.has_cls_embed, norm=self.norm_k
        )
        v, _ = pool_tokens(
            v, pool=self.pool_v, thw=thw, has_cls=self.has_cls_embed, norm=self.norm_v
        )
        if self.pool_first:
            q = self._split_heads(self._merge_heads(q), self.q)
            k = self._split_heads(self._merge_heads(k), self.k)
            v = self._split_heads(self._merge_heads(v), self.v)

        rel_h = getattr(self, "rel_pos_h", None)
        rel_t = getattr(self, "rel_pos_t", None)
        if rel_h is None and rel_t is None:
            out = attend(q, k, v, scale=self.scale)
        else:
            attn = (q * self.scale) @ k.transpose(-2, -1)
            start = 1 if self.has_cls_embed else 0
            bias = relative_position_bias(
                q[:, :, start:],
                q_thw=tuple(q_thw),
                k_thw=tuple(k_thw),
                rel_pos_h=rel_h,
                rel_pos_w=getattr(self, "rel_pos_w", None),
                rel_pos_t=rel_t,
            )
            attn[:, :, start:, start:] += bias
            out = attn.softmax(dim=-1) @ v
        if self.residual_pooling:
            if self.has_cls_embed:
                out = torch.cat((out[:, :, :1], out[:, :, 1:] + q[:, :, 1:]), dim=2)
            else:
                out = out + q
        out = self._merge_heads(out)
        return self.proj_drop(self.proj(out)), q_thw
