"""Match checkpoint tensors to model keys, shape by shape, and record what happened.

For each checkpoint key present in the model, in this order:
1. equal shapes: loaded;
2. (Caffe2) fewer dimensions than the model: trailing size-1 dimensions are appended, e.g. an
   FC matrix for a 1x1x1 conv;
3. 1-D BatchNorm tensors whose model length is a whole multiple: tiled;
4. with ``inflate``: a 2D kernel for a 3D kernel of the same (out, in, kh, kw) is repeated over
   T and divided by T (I3D inflation);
5. ``rel_pos`` / ``pos_embed_temporal`` / ``pos_embed_spatial`` tables: interpolated;
6. anything else: skipped (the model keeps its initialisation), with both shapes reported.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import torch

from slowfast_microg.models.checkpoint.report import LoadReport
from slowfast_microg.models.checkpoint.resize import inflate_kernel, resize_position_table

logger = logging.getLogger(__name__)

UNCOUNTED_SUFFIX = "num_batches_tracked"


def is_norm_key(key: str) -> bool:
    """True for BatchNorm tensors in PySlowFast naming (``bn.``, ``a_bn.``, ``branch1_bn.``)."""
    parts = key.rsplit(".", 2)
    return len(parts) >= 2 and "bn" in parts[-2]


def _tile(value: torch.Tensor, *, shape: tuple[int, ...]) -> torch.Tensor | None:
    if value.dim() != 1 or len(shape) != 1 or value.shape[0] == 0:
        return None
    if shape[0] > value.shape[0] and shape[0] % value.shape[0] == 0:
        return value.repeat(shape[0] // value.shape[0])
    return None


def match_state(
    state: Mapping[str, torch.Tensor],
    *,
    shapes: Mapping[str, tuple[int, ...]],
    expand_trailing: bool = False,
    inflate: bool = False,
) -> tuple[dict[str, torch.Tensor], LoadReport]:
    """Decide, for each checkpoint tensor, whether and how it loads into the model.

    Args:
        state: checkpoint key -> tensor, already renamed to model names.
        shapes: model key -> shape.
        expand_trailing: append trailing size-1 dims when the checkpoint tensor has fewer
            dims (Caffe2 checkpoints).
        inflate: inflate 2D kernels into 3D ones.

    Returns:
        The tensors to load (model key -> tensor of the model's shape) and a report with
        ``loaded``, ``skipped``, ``missing``, ``unexpected``, ``resized``, ``inflated`` and
        ``source_keys`` filled in.
    """
    report = LoadReport(source_keys=len(state))
    to_load: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key not in shapes or not isinstance(value, torch.Tensor):
            report.unexpected.append(key)
            continue
        shape = tuple(shapes[key])
        original = tuple(value.shape)
        if expand_trailing and value.dim() < len(shape):
            value = value.reshape(original + (1,) * (len(shape) - value.dim()))
        if tuple(value.shape) == shape:
            to_load[key] = value
            report.loaded.append(key)
            continue
        tiled = _tile(value, shape=shape) if is_norm_key(key) else None
        if tiled is not None:
            to_load[key] = tiled
            report.loaded.append(key)
            report.resized.append(key)
            continue
        grown = inflate_kernel(value, shape=shape) if inflate else None
        if grown is not None:
            to_load[key] = grown
            report.loaded.append(key)
            report.inflated.append(key)
            continue
        resized = resize_position_table(key, value, shape=shape)
        if resized is not None and tuple(resized.shape) == shape:
            to_load[key] = resized
            report.loaded.append(key)
            report.resized.append(key)
            logger.info("%s resized from %s to %s", key, original, shape)
            continue
        report.skipped.append((key, original, shape))
        logger.info("%s: checkpoint shape %s does not match model shape %s", key, original, shape)
    skipped = {key for key, _, _ in report.skipped}
    report.missing = [
        key
        for key in shapes
        if key not in to_load and key not in skipped and not key.endswith(UNCOUNTED_SUFFIX)
    ]
    return to_load, report
