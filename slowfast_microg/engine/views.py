"""Test-time views: a clip and its horizontal mirror scored in one batched forward.

``TEST.FLIP_ENSEMBLE`` stacks every clip of a batch with its left-right mirror (boxes
mirrored) so that the model sees ``2 B`` clips and ``2 N`` boxes in a single call, then
averages each box's scores over the two views.
"""

from __future__ import annotations

import torch


def mirror_boxes(boxes: torch.Tensor, *, width: int, aligned: bool) -> torch.Tensor:
    """Mirror pixel boxes left-right in frames ``width`` pixels wide.

    With RoIAlign ``aligned=True`` pixel ``i`` covers ``[i, i + 1)``, so the exact mirror of a
    coordinate is ``width - x``; the legacy ``aligned=False`` convention puts pixel centres on
    integers, whose mirror is ``width - 1 - x``. Either way RoIAlign samples the mirrored
    clip at exactly the mirrored points.

    Args:
        boxes: (N, 5) batch index, x1, y1, x2, y2.
        width: frame width W of the clips the boxes refer to.
        aligned: the model's DETECTION.ALIGNED.

    Returns:
        (N, 5) boxes with x1 <= x2 kept (the mirrored x2 becomes the new x1).
    """
    edge = float(width) if aligned else float(width - 1)
    mirrored = boxes.clone()
    mirrored[:, 1] = edge - boxes[:, 3]
    mirrored[:, 3] = edge - boxes[:, 1]
    return mirrored


def add_flipped_view(
    inputs: list[torch.Tensor], boxes: torch.Tensor, *, aligned: bool
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Append the mirrored clips and boxes to a batch.

    Args:
        inputs: one (B, C, T, H, W) tensor per pathway.
        boxes: (N, 5) boxes whose first column indexes the B clips.
        aligned: the model's DETECTION.ALIGNED (see :func:`mirror_boxes`).

    Returns:
        One (2B, C, T, H, W) tensor per pathway (the B clips, then their mirrors) and (2N, 5)
        boxes: the N boxes, then their mirrors pointing at clips ``B..2B-1``.
    """
    clips = inputs[0].shape[0]
    width = inputs[0].shape[-1]
    stacked = [torch.cat([x, x.flip(-1)]) for x in inputs]
    mirrored = mirror_boxes(boxes, width=width, aligned=aligned)
    mirrored[:, 0] += clips
    return stacked, torch.cat([boxes, mirrored])


def average_views(scores: torch.Tensor, *, views: int) -> torch.Tensor:
    """Mean over views of per-box scores laid out view after view.

    Args:
        scores: (views * N, K) scores, the N boxes of view 0 first.
        views: number of views.

    Returns:
        (N, K) mean scores.
    """
    if scores.shape[0] % views:
        raise ValueError(f"{scores.shape[0]} score rows do not split into {views} views.")
    return scores.reshape(views, scores.shape[0] // views, *scores.shape[1:]).mean(dim=0)
