"""PyTorchVideo MViT names -> PySlowFast MViT names.

PyTorchVideo's ``create_multiscale_vision_transformers`` stores the same weights as PySlowFast's
MViT under other names: ``patch_embed.patch_model`` (PySlowFast ``patch_embed.proj``),
``cls_positional_encoding.{cls_token,pos_embed*}`` (top-level ``cls_token``, ``pos_embed*``),
separate ``attn.q``/``attn.k``/``attn.v`` projections (one ``attn.qkv`` whose output rows are
q, then k, then v), ``norm_embed`` (``norm``) and ``head.proj`` (``head.projection``). The
authors' MViT-B fine-tune trained 40 such tensors (25 % of the model) from random weights
because these names were not mapped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping

import torch

logger = logging.getLogger(__name__)

_PREFIX_RENAMES = (
    ("patch_embed.patch_model.", "patch_embed.proj."),
    ("cls_positional_encoding.", ""),
    ("norm_embed.", "norm."),
    ("head.proj.", "head.projection."),
)
_SEPARATE_QKV = re.compile(r"^(.*\.attn\.)([qkv])\.(weight|bias)$")


def _renamed(key: str) -> str:
    for old, new in _PREFIX_RENAMES:
        if key.startswith(old):
            return new + key[len(old) :]
    return key


def map_pytorchvideo_names(
    state: Mapping[str, torch.Tensor], *, model_keys: Collection[str]
) -> tuple[dict[str, torch.Tensor], list[tuple[str, str]]]:
    """Rename PyTorchVideo MViT keys that have a PySlowFast counterpart in the model.

    A key is renamed only when it is not a model key and its PySlowFast name is one, so
    PySlowFast checkpoints pass through unchanged. ``attn.q/k/v`` weights (and biases) are
    concatenated along the output dimension into ``attn.qkv`` when the model has ``attn.qkv``
    and the checkpoint does not.

    Args:
        state: checkpoint tensors.
        model_keys: the model's state-dict keys.

    Returns:
        The new state and the (old name, new name) pairs applied; for fused q/k/v the old name
        is the ``attn.q.*`` key.
    """
    model_keys = set(model_keys)
    result: dict[str, torch.Tensor] = {}
    applied: list[tuple[str, str]] = []
    fused: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        match = _SEPARATE_QKV.match(key)
        if match and key not in model_keys:
            prefix, part, kind = match.groups()
            target = f"{prefix}qkv.{kind}"
            if target in model_keys and target not in state:
                fused.setdefault(target, {})[part] = value
                continue
        new_key = _renamed(key)
        if new_key != key and key not in model_keys and new_key in model_keys:
            applied.append((key, new_key))
            key = new_key
        result[key] = value
    for target, parts in fused.items():
        prefix, kind = target.rsplit("qkv.", 1)
        if set(parts) == {"q", "k", "v"}:
            result[target] = torch.cat([parts["q"], parts["k"], parts["v"]], dim=0)
            applied.append((f"{prefix}q.{kind}", target))
        else:
            for part, value in parts.items():
                result[f"{prefix}{part}.{kind}"] = value
    if applied:
        logger.info(
            "Mapped %d PyTorchVideo MViT tensor name(s) to PySlowFast names (e.g. %s -> %s).",
            len(applied),
            *applied[0],
        )
    return result, applied
