"""Resizing of position tables and kernels when checkpoint and model input sizes differ.

- ``attn.rel_pos_*`` tables (L, C): linear interpolation along L.
- ``pos_embed_temporal`` (1, T, C): linear interpolation along T.
- ``pos_embed_spatial`` (1, S*S, C): bicubic interpolation of the S x S grid.
- 2D -> 3D kernels: I3D inflation (repeat over T, divide by T) for ``inflate``; the image
  initialisation of MViT repeats the patch-embedding kernel without dividing.
"""

from __future__ import annotations

import logging
import math

import torch
import torch.nn.functional as F

logger = logging.getLogger(__name__)


def resize_rel_pos(table: torch.Tensor, *, length: int) -> torch.Tensor:
    """Linearly interpolate a relative-position table (L, C) to (length, C)."""
    resized = F.interpolate(table.t().unsqueeze(0), size=length, mode="linear")
    return resized[0].t()


def resize_pos_embed_temporal(embed: torch.Tensor, *, frames: int) -> torch.Tensor:
    """Linearly interpolate a temporal position embedding (1, T, C) to (1, frames, C)."""
    resized = F.interpolate(embed.permute(0, 2, 1), size=frames, mode="linear")
    return resized.permute(0, 2, 1)


def square_side(count: int) -> int | None:
    """Side of a square grid with ``count`` cells, or None when ``count`` is not a square."""
    side = math.isqrt(count)
    return side if side * side == count else None


def resize_pos_embed_spatial(embed: torch.Tensor, *, tokens: int) -> torch.Tensor | None:
    """Bicubically resize a spatial position embedding (1, S*S, C) to (1, tokens, C).

    Returns:
        The resized embedding, or None when either grid is not square.
    """
    src_side = square_side(embed.shape[1])
    dst_side = square_side(tokens)
    if src_side is None or dst_side is None:
        return None
    grid = embed.reshape(1, src_side, src_side, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(dst_side, dst_side), mode="bicubic")
    return grid.reshape(1, -1, dst_side * dst_side).permute(0, 2, 1)


def resize_position_table(
    key: str, value: torch.Tensor, *, shape: tuple[int, ...]
) -> torch.Tensor | None:
    """Resize ``value`` to ``shape`` if ``key`` is a resizable position table.

    Args:
        key: the model key.
        value: the checkpoint tensor.
        shape: the model tensor's shape.

    Returns:
        The resized tensor, or None when ``key`` is not resizable or the shapes do not allow it.
    """
    if value.dim() != len(shape) or value.shape[-1] != shape[-1]:
        return None
    if "rel_pos" in key and value.dim() == 2:
        return resize_rel_pos(value, length=shape[0])
    if "pos_embed_temporal" in key and value.dim() == 3:
        return resize_pos_embed_temporal(value, frames=shape[1])
    if "pos_embed_spatial" in key and value.dim() == 3:
        return resize_pos_embed_spatial(value, tokens=shape[1])
    return None


def inflate_kernel(
    value: torch.Tensor, *, shape: tuple[int, ...], divide: bool = True
) -> torch.Tensor | None:
    """Inflate a 2D kernel (O, I, kh, kw) to the 3D shape (O, I, T, kh, kw).

    Args:
        value: the 2D kernel.
        shape: the model's 5-D kernel shape.
        divide: divide by T (I3D inflation: a static clip gives the 2D response); False repeats
            the kernel unchanged (MViT image initialisation).

    Returns:
        The inflated kernel, or None when the shapes are not a 2D/3D pair of the same kernel.
    """
    if value.dim() != 4 or len(shape) != 5:
        return None
    if tuple(value.shape) != (shape[0], shape[1], shape[3], shape[4]):
        return None
    frames = shape[2]
    inflated = value.unsqueeze(2).repeat(1, 1, frames, 1, 1)
    return inflated / frames if divide else inflated
