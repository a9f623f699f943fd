"""Optimiser construction with PySlowFast's parameter groups (BN, no-decay, layer decay)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import torch
from fvcore.common.config import CfgNode
from torch import nn

logger = logging.getLogger(__name__)

# Name fragments of MViT parameters that get no weight decay with MVIT.ZERO_DECAY_POS_CLS,
# used when the model does not define ``no_weight_decay()`` itself.
MVIT_NO_DECAY = ("pos_embed", "cls_token", "rel_pos")
# Parameters of the input embedding share MViT's layer 0 for SOLVER.LAYER_DECAY.
EMBEDDING_PREFIXES = ("cls_token", "mask_token", "pos_embed", "patch_embed")


def no_decay_names(model: nn.Module, cfg: CfgNode) -> tuple[str, ...]:
    """Name fragments whose parameters get zero weight decay.

    The model's own ``no_weight_decay()`` wins (PySlowFast's MViT defines one); otherwise MViT
    models with ``MVIT.ZERO_DECAY_POS_CLS`` exclude positional tables and the class token.
    """
    if hasattr(model, "no_weight_decay"):
        return tuple(model.no_weight_decay())
    if cfg.MODEL.ARCH == "mvit" and cfg.MVIT.ZERO_DECAY_POS_CLS:
        return MVIT_NO_DECAY
    return ()


def mvit_layer_id(name: str, *, num_layers: int) -> int:
    """Layer index of a parameter for layer-wise decay: 0 embedding, i + 1 block i, else head."""
    if name.startswith(EMBEDDING_PREFIXES):
        return 0
    if name.startswith("blocks."):
        return int(name.split(".")[1]) + 1
    return num_layers


def build_param_groups(
    model: nn.Module,
    *,
    weight_decay: float,
    bn_weight_decay: float,
    zero_wd_1d: bool,
    no_decay: Iterable[str] = (),
    layer_decay: float = 1.0,
    num_layers: int = 0,
) -> list[dict]:
    """Split trainable parameters into optimiser groups.

    BatchNorm (``_NormBase``) parameters get ``bn_weight_decay``; parameters whose name contains a
    ``no_decay`` fragment, and with ``zero_wd_1d`` every 1-D parameter or bias, get 0; the
    rest get ``weight_decay``. With ``0 < layer_decay < 1`` each group also carries
    ``layer_decay = layer_decay ** (num_layers - layer_id)`` (MViT blocks), applied by
    ``set_lr``. Frozen parameters (``requires_grad`` False) are left out.

    Returns:
        Groups in PySlowFast's order (BN, decayed, no-decay), empty groups dropped.
    """
    no_decay = tuple(no_decay)
    use_layers = 0.0 < layer_decay < 1.0
    groups: dict[tuple[str, int], dict] = {}
    decays = {"bn": bn_weight_decay, "decay": weight_decay, "no_decay": 0.0}
    for module_name, module in model.named_modules():
        is_norm = isinstance(module, nn.modules.batchnorm._NormBase)
        for param_name, param in module.named_parameters(recurse=False):
            if not param.requires_grad:
                continue
            name = f"{module_name}.{param_name}" if module_name else param_name
            if is_norm:
                kind = "bn"
            elif any(fragment in name for fragment in no_decay):
                kind = "no_decay"
            elif zero_wd_1d and (param.ndim == 1 or name.endswith(".bias")):
                kind = "no_decay"
            else:
                kind = "decay"
            layer = mvit_layer_id(name, num_layers=num_layers) if use_layers else 0
            group = groups.setdefault((kind, layer), {"params": [], "weight_decay": decays[kind]})
            if use_layers:
                group["layer_decay"] = layer_decay ** (num_layers - layer)
            group["params"].append(param)
    order = {"bn": 0, "decay": 1, "no_decay": 2}
    return [groups[key] for key in sorted(groups, key=lambda k: (k[1], order[k[0]]))]


def construct_optimizer(model: nn.Module, cfg: CfgNode) -> torch.optim.Optimizer:
    """Build SGD or AdamW over ``model``'s parameter groups from ``cfg.SOLVER``.

    Args:
        model: the unwrapped model (no DDP ``module.`` prefix in parameter names).
        cfg: config with SOLVER, BN, MODEL and MVIT nodes.

    Returns:
        The optimiser; its groups start at ``SOLVER.BASE_LR`` (the schedule sets the rate
        every iteration).
    """
    solver = cfg.SOLVER
    groups = build_param_groups(
        model,
        weight_decay=solver.WEIGHT_DECAY,
        bn_weight_decay=cfg.BN.WEIGHT_DECAY,
        zero_wd_1d=solver.ZERO_WD_1D_PARAM,
        no_decay=no_decay_names(model, cfg),
        layer_decay=solver.LAYER_DECAY,
        num_layers=cfg.MVIT.DEPTH + 1,
    )
    trainable = sum(p.numel() for g in groups for p in g["params"])
    logger.info(
        "Optimizer %s: %d parameter group(s), %d trainable parameters",
        solver.OPTIMIZING_METHOD,
        len(groups),
        trainable,
    )
    if solver.OPTIMIZING_METHOD == "sgd":
        return torch.optim.SGD(
            groups,
            lr=solver.BASE_LR,
            momentum=solver.MOMENTUM,
            weight_decay=solver.WEIGHT_DECAY,
            dampening=solver.DAMPENING,
            nesterov=solver.NESTEROV,
        )
    if solver.OPTIMIZING_METHOD == "adamw":
        return torch.optim.AdamW(
            groups,
            lr=solver.BASE_LR,
            betas=tuple(solver.BETAS),
            weight_decay=solver.WEIGHT_DECAY,
        )
    raise ValueError(f"Unknown SOLVER.OPTIMIZING_METHOD {solver.OPTIMIZING_METHOD!r}.")
