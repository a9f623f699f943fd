"""Per-block layout of an MViT (widths, heads, pooling kernels/strides, grids) from MVIT.* keys."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import torch

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BlockSpec:
    """Layout of one multi-scale block.

    Attributes:
        dim: input width.
        dim_out: output width.
        num_heads: attention heads.
        input_size: (T, H, W) token grid entering the block at the build-time input size.
        kernel_q: query pooling kernel ([] = none).
        stride_q: query pooling stride ([] = none).
        kernel_kv: key/value pooling kernel ([] = none).
        stride_kv: key/value pooling stride ([] = none).
        drop_path: stochastic-depth probability.
    """

    dim: int
    dim_out: int
    num_heads: int
    input_size: tuple[int, int, int]
    kernel_q: list[int]
    stride_q: list[int]
    kernel_kv: list[int]
    stride_kv: list[int]
    drop_path: float


def round_width(width: float, multiplier: float, *, min_width: int = 1, divisor: int = 1) -> int:
    """``width * multiplier`` rounded to a multiple of ``divisor`` (PySlowFast's rounding).

    Rounds to the nearest multiple, at least ``min_width``, and never more than 10% below the
    exact product (one more ``divisor`` is added in that case).
    """
    if not multiplier:
        return int(width)
    width = width * multiplier
    min_width = min_width or divisor
    rounded = max(min_width, int(width + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * width:
        rounded += divisor
    return int(rounded)


def _per_block(
    entries: Sequence[Sequence[float]], *, depth: int, key: str, limit: int, values: int
) -> dict[int, list]:
    """Map ``[[index, v1, ..., v_values], ...]`` to {index: [v1, ...]}, checking each entry."""
    table: dict[int, list] = {}
    for entry in entries:
        if len(entry) != values + 1 or not 0 <= int(entry[0]) < limit:
            raise ValueError(
                f"MVIT.{key} entry {list(entry)} must be [block index in [0, {limit}) for "
                f"MVIT.DEPTH {depth}, then {values} value(s)]."
            )
        index = int(entry[0])
        table[index] = list(entry[1:])
    return table


def _kernel_for(stride: list[int], kvq_kernel: Sequence[int] | None) -> list[int]:
    """Pooling kernel of a stride: MVIT.POOL_KVQ_KERNEL, else stride + 1 where stride > 1."""
    if kvq_kernel is not None:
        return [int(k) for k in kvq_kernel]
    return [s + 1 if s > 1 else s for s in stride]


def block_specs(
    *,
    depth: int,
    embed_dim: int,
    num_heads: int,
    dim_mul: Sequence[Sequence[float]],
    head_mul: Sequence[Sequence[float]],
    pool_q_stride: Sequence[Sequence[int]],
    pool_kv_stride: Sequence[Sequence[int]],
    pool_kv_stride_adaptive: Sequence[int] | None,
    pool_kvq_kernel: Sequence[int] | None,
    dim_mul_in_att: bool,
    drop_path_rate: float,
    patch_grid: Sequence[int],
) -> list[BlockSpec]:
    """Lay out every block as PySlowFast's MViT does.

    Args:
        depth: number of blocks (MVIT.DEPTH).
        embed_dim: width after the patch embedding (MVIT.EMBED_DIM).
        num_heads: heads of the first block (MVIT.NUM_HEADS).
        dim_mul: [index, multiplier] pairs (MVIT.DIM_MUL); index in [0, depth].
        head_mul: [index, multiplier] pairs (MVIT.HEAD_MUL).
        pool_q_stride: [index, st, sh, sw] query strides (MVIT.POOL_Q_STRIDE).
        pool_kv_stride: [index, st, sh, sw] key/value strides (MVIT.POOL_KV_STRIDE); ignored
            when ``pool_kv_stride_adaptive`` is given.
        pool_kv_stride_adaptive: initial key/value stride, divided by every query stride so
            keys keep the same absolute resolution (MVIT.POOL_KV_STRIDE_ADAPTIVE).
        pool_kvq_kernel: pooling kernel for q, k, v (MVIT.POOL_KVQ_KERNEL).
        dim_mul_in_att: widen in the attention of block i (v2) or in the MLP of block i - 1 (v1).
        drop_path_rate: stochastic-depth rate of the last block (linear from 0).
        patch_grid: (T, H, W) token grid after the patch embedding at the build-time size.

    Returns:
        One ``BlockSpec`` per block.
    """
    dim_muls = _per_block(dim_mul, depth=depth, key="DIM_MUL", limit=depth + 1, values=1)
    head_muls = _per_block(head_mul, depth=depth, key="HEAD_MUL", limit=depth + 1, values=1)
    dim_factor = [float(dim_muls.get(i, [1.0])[0]) for i in range(depth + 1)]
    head_factor = [float(head_muls.get(i, [1.0])[0]) for i in range(depth + 1)]
    strides_q = _per_block(pool_q_stride, depth=depth, key="POOL_Q_STRIDE", limit=depth, values=3)
    if pool_kv_stride_adaptive is not None:
        if len(pool_kv_stride_adaptive) != 3:
            raise ValueError(
                "MVIT.POOL_KV_STRIDE_ADAPTIVE must be [stride_t, stride_h, stride_w], got "
                f"{list(pool_kv_stride_adaptive)}."
            )
        current = [int(s) for s in pool_kv_stride_adaptive]
        strides_kv = {}
        for i in range(depth):
            if i in strides_q:
                current = [max(c // s, 1) for c, s in zip(current, strides_q[i], strict=True)]
            strides_kv[i] = list(current)
    else:
        strides_kv = _per_block(
            pool_kv_stride, depth=depth, key="POOL_KV_STRIDE", limit=depth, values=3
        )
    drop_paths = [x.item() for x in torch.linspace(0, drop_path_rate, depth, device="cpu")]

    specs = []
    dim = embed_dim
    grid = tuple(int(g) for g in patch_grid)
    for i in range(depth):
        num_heads = round_width(num_heads, head_factor[i])
        if dim_mul_in_att:
            dim_out = round_width(
                dim, dim_factor[i], divisor=round_width(num_heads, head_factor[i])
            )
        else:
            dim_out = round_width(
                dim, dim_factor[i + 1], divisor=round_width(num_heads, head_factor[i + 1])
            )
        stride_q = [int(s) for s in strides_q.get(i, [])]
        stride_kv = [int(s) for s in strides_kv.get(i, [])]
        specs.append(
            BlockSpec(
                dim=dim,
                dim_out=dim_out,
                num_heads=num_heads,
                input_size=grid,
                kernel_q=_kernel_for(stride_q, pool_kvq_kernel) if stride_q else [],
                stride_q=stride_q,
                kernel_kv=_kernel_for(stride_kv, pool_kvq_kernel) if stride_kv else [],
                stride_kv=stride_kv,
                drop_path=drop_paths[i],
            )
        )
        if stride_q:
            grid = tuple(g // s for g, s in zip(grid, stride_q, strict=True))
        dim = dim_out
    return specs


def spatial_stride(*, patch_stride: Sequence[int], specs: Sequence[BlockSpec]) -> tuple[int, int]:
    """(height, width) stride in input pixels of the last block's token grid."""
    stride_h, stride_w = int(patch_stride[1]), int(patch_stride[2])
    for spec in specs:
        if spec.stride_q:
            stride_h *= spec.stride_q[1]
            stride_w *= spec.stride_q[2]
    return stride_h, stride_w
