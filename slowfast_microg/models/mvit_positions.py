"""MViT positional tables: absolute embeddings and relative-position biases on any token grid.

The tables of an MViT are sized at construction for the token grid of
``DATA.NUM_FRAMES x DATA.TRAIN_CROP_SIZE^2``. Detection tests feed other sizes (a full frame
resized to ``DATA.TEST_CROP_SIZE`` on its shorter side, so usually not square), so every table
is resampled at forward time to the grid actually present, exactly as PySlowFast does:

- absolute embeddings (``pos_embed`` or the separable ``pos_embed_spatial`` +
  ``pos_embed_temporal``) are laid out on their (T, H, W) grid and resampled with trilinear
  interpolation (``align_corners=False``);
- relative-position tables (``rel_pos_h``, ``rel_pos_w``, ``rel_pos_t``; one row per offset)
  are resampled along the offset axis with linear interpolation to ``2 * max(q, k) - 1`` rows.

At the native size both are the identity (the stored tensor is returned unchanged).
"""

from __future__ import annotations

import logging
import math

import torch
import torch.nn.functional as F

logger = logging.getLogger(__name__)


def resize_grid_embedding(
    table: torch.Tensor, *, src: tuple[int, int, int], dst: tuple[int, int, int]
) -> torch.Tensor:
    """Resample a (1, T*H*W, C) table whose tokens are ordered (t, h, w) to another grid.

    Args:
        table: (1, src_t * src_h * src_w, C) absolute embedding without a class row.
        src: the (T, H, W) grid the table was built for.
        dst: the (T, H, W) token grid of the current input.

    Returns:
        (1, dst_t * dst_h * dst_w, C); ``table`` itself when ``src == dst``.
    """
    src, dst = tuple(int(s) for s in src), tuple(int(d) for d in dst)
    if table.shape[1] != math.prod(src):
        raise ValueError(f"table has {table.shape[1]} tokens but grid {src} needs {math.prod(src)}")
    if src == dst:
        return table
    channels = table.shape[-1]
    grid = table.reshape(1, *src, channels).permute(0, 4, 1, 2, 3)
    grid = F.interpolate(grid, size=dst, mode="trilinear", align_corners=False)
    return grid.reshape(1, channels, -1).transpose(1, 2)


def resize_rel_table(table: torch.Tensor, length: int) -> torch.Tensor:
    """Resample a (L, C) relative-position table to ``length`` rows (linear interpolation).

    Returns:
        (length, C); ``table`` itself when it already has ``length`` rows.
    """
    if table.shape[0] == length:
        return table
    resized = F.interpolate(table.t().unsqueeze(0), size=length, mode="linear")
    return resized[0].t()


def relative_offsets(
    q_len: int, k_len: int, *, device: torch.device | str | None = None
) -> torch.Tensor:
    """Row index into a relative table for each (query, key) pair along one axis.

    When query and key grids differ in length (pooled keys), the shorter axis is stretched
    so both span the same extent; offsets are shifted to start at 0 and truncated.

    Returns:
        (q_len, k_len) int64 indices in ``[0, 2 * max(q_len, k_len) - 1)``.
    """
    q_ratio = max(k_len / q_len, 1.0)
    k_ratio = max(q_len / k_len, 1.0)
    q_pos = torch.arange(q_len, device=device)[:, None] * q_ratio
    offsets = q_pos - torch.arange(k_len, device=device)[None, :] * k_ratio
    offsets += (k_len - 1) * k_ratio
    return offsets.long()


def relative_position_bias(
    q: torch.Tensor,
    *,
    q_thw: tuple[int, int, int],
    k_thw: tuple[int, int, int],
    rel_pos_h: torch.Tensor | None,
    rel_pos_w: torch.Tensor | None,
    rel_pos_t: torch.Tensor | None,
) -> torch.Tensor:
    """Decomposed relative-position bias added to the attention logits of grid tokens.

    Each query gets, for each key, ``q . R_h[dh] + q . R_w[dw] + q . R_t[dt]`` (the terms whose
    table is ``None`` are left out), where d* are the query-key offsets along each axis.

    Args:
        q: (B, heads, Tq*Hq*Wq, C) queries of the grid tokens (no class token), unscaled.
        q_thw: query grid (T, H, W).
        k_thw: key grid (T, H, W).
        rel_pos_h: (L_h, C) table over height offsets, or None.
        rel_pos_w: (L_w, C) table over width offsets, or None.
        rel_pos_t: (L_t, C) table over time offsets, or None.

    Returns:
        (B, heads, Tq*Hq*Wq, Tk*Hk*Wk) bias.
    """
    batch, heads, _, channels = q.shape
    qt, qh, qw = q_thw
    kt, kh, kw = k_thw
    r_q = q.reshape(batch, heads, qt, qh, qw, channels)
    bias = None
    for axis, table, q_len, k_len in (
        ("h", rel_pos_h, qh, kh),
        ("w", rel_pos_w, qw, kw),
        ("t", rel_pos_t, qt, kt),
    ):
        if table is None:
            continue
        table = resize_rel_table(table, 2 * max(q_len, k_len) - 1)
        rel = table[relative_offsets(q_len, k_len, device=table.device)]
        if axis == "h":
            term = torch.einsum("bnthwc,hkc->bnthwk", r_q, rel)[..., None, :, None]
        elif axis == "w":
            term = torch.einsum("bnthwc,wkc->bnthwk", r_q, rel)[..., None, None, :]
        else:
            term = torch.einsum("bnthwc,tkc->bnthwk", r_q, rel)[..., :, None, None]
        bias = term if bias is None else bias + term
    if bias is None:
        raise ValueError("relative_position_bias needs at least one table")
    full = (batch, heads, qt, qh, qw, kt, kh, kw)
    return bias.expand(full).reshape(batch, heads, qt * qh * qw, kt * kh * kw)


def sincos_1d(dim: int, positions: torch.Tensor) -> torch.Tensor:
    """(M, dim) fixed sine-cosine code of M positions: [sin(p * w_i), cos(p * w_i)]."""
    if dim % 2:
        raise ValueError(f"sine-cosine code needs an even width, got {dim}")
    omega = torch.arange(dim // 2, dtype=torch.float64) / (dim / 2.0)
    omega = 1.0 / 10000**omega
    angles = positions.to(torch.float64).reshape(-1, 1) * omega[None, :]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def sincos_3d(dim: int, *, grid: tuple[int, int, int], cls_token: bool) -> torch.Tensor:
    """Fixed 3D sine-cosine table (PySlowFast's ``USE_FIXED_SINCOS_POS`` layout).

    A quarter of the channels code time, the rest code space: half of those the column (w),
    half the row (h). Tokens are ordered (t, h, w); the class row, if any, is zeros.

    Returns:
        (1, [1 +] T*H*W, dim) float32.
    """
    t_size, h_size, w_size = grid
    if dim % 4 or (dim // 4 * 3) % 4:
        raise ValueError(f"MVIT.USE_FIXED_SINCOS_POS needs EMBED_DIM divisible by 16, got {dim}")
    dim_t, dim_s = dim // 4, dim // 4 * 3
    rows = torch.arange(h_size).repeat_interleave(w_size)
    cols = torch.arange(w_size).repeat(h_size)
    spatial = torch.cat([sincos_1d(dim_s // 2, cols), sincos_1d(dim_s // 2, rows)], dim=1)
    temporal = sincos_1d(dim_t, torch.arange(t_size))
    table = torch.cat(
        [
            temporal.repeat_interleave(h_size * w_size, dim=0),
            spatial.repeat(t_size, 1),
        ],
        dim=1,
    )
    if cls_token:
        table = torch.cat([table.new_zeros(1, dim), table], dim=0)
    return table.float().unsqueeze(0)
