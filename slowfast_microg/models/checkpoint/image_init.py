"""Initialising a video MViT from an image checkpoint (``TRAIN.CHECKPOINT_IN_INIT``).

Applied to the checkpoint tensors before matching:
- ``pos_embed`` (1, 1 + N, C) is split into ``pos_embed_class`` and ``pos_embed_xy`` when the
  model has ``pos_embed_xy`` of N tokens;
- ``patch_embed.proj.weight`` is inflated 4D -> 5D by repeating over T *without* dividing, or
  deflated 5D -> 4D by summing over T; in the deflated case ``pos_embed_spatial`` (with
  ``pos_embed_class`` in front when needed) becomes ``pos_embed`` if the shapes line up;
- attention pooling kernels ``attn.pool_{q,k,v}.weight`` with one frame are repeated over the
  model's temporal kernel size.
Relative-position tables are interpolated by the general matching step.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import torch

from slowfast_microg.models.checkpoint.resize import inflate_kernel

logger = logging.getLogger(__name__)

PATCH_KEY = "patch_embed.proj.weight"
POOL_KEYS = ("attn.pool_q.weight", "attn.pool_k.weight", "attn.pool_v.weight")


def _split_pos_embed(state: dict[str, torch.Tensor], shapes: Mapping[str, tuple]) -> None:
    embed = state.get("pos_embed")
    if embed is None or "pos_embed_xy" not in shapes or embed.dim() != 3:
        return
    if embed.shape[1] == shapes["pos_embed_xy"][1] + 1:
        state["pos_embed_xy"] = embed[:, 1:]
        state["pos_embed_class"] = embed[:, :1]


def _spatial_to_pos_embed(state: dict[str, torch.Tensor], shapes: Mapping[str, tuple]) -> None:
    if "pos_embed_spatial" not in state or "pos_embed" not in shapes:
        return
    embed = state["pos_embed_spatial"]
    if "pos_embed_class" in state and tuple(embed.shape) != tuple(shapes["pos_embed"]):
        embed = torch.cat([state.pop("pos_embed_class"), embed], dim=1)
    if tuple(embed.shape) == tuple(shapes["pos_embed"]):
        state["pos_embed"] = embed
        del state["pos_embed_spatial"]
    else:
        logger.info(
            "pos_embed_spatial %s does not fit pos_embed %s; left as is.",
            tuple(embed.shape),
            tuple(shapes["pos_embed"]),
        )


def _patch_embed(
    state: dict[str, torch.Tensor], shapes: Mapping[str, tuple], inflated: list[str]
) -> None:
    if PATCH_KEY not in state or PATCH_KEY not in shapes:
        return
    weight, shape = state[PATCH_KEY], tuple(shapes[PATCH_KEY])
    if weight.dim() == 4 and len(shape) == 5:
        grown = inflate_kernel(weight, shape=shape, divide=False)
        if grown is not None:
            state[PATCH_KEY] = grown
            inflated.append(PATCH_KEY)
    elif weight.dim() == 5 and len(shape) == 4:
        state[PATCH_KEY] = weight.sum(dim=2)
        _spatial_to_pos_embed(state, shapes)


def _pool_kernels(
    state: dict[str, torch.Tensor], shapes: Mapping[str, tuple], inflated: list[str]
) -> None:
    for key, weight in list(state.items()):
        if not key.endswith(POOL_KEYS) or key not in shapes:
            continue
        shape = tuple(shapes[key])
        if tuple(weight.shape) == shape or len(shape) != 5:
            continue
        if weight.dim() == 4:
            weight = weight.unsqueeze(2)
        if weight.dim() == 5 and weight.shape[2] == 1:
            state[key] = weight.repeat(1, 1, shape[2], 1, 1)
            inflated.append(key)


def apply_image_init(
    state: Mapping[str, torch.Tensor], *, shapes: Mapping[str, tuple]
) -> tuple[dict[str, torch.Tensor], list[str]]:
    """Reshape an image checkpoint's tensors for a video model.

    Args:
        state: checkpoint tensors (PySlowFast names).
        shapes: the model's key -> shape.

    Returns:
        The adapted state and the keys inflated over time.
    """
    adapted = dict(state)
    inflated: list[str] = []
    _split_pos_embed(adapted, shapes)
    _patch_embed(adapted, shapes, inflated)
    _pool_kernels(adapted, shapes, inflated)
    return adapted, inflated
