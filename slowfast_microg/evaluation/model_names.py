"""Name a run's model as the paper's tables do (Arch, TC, Backbone) from its config or folder."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

# PySlowFast's standard X3D clip shapes (frames x sampling rate), used when only the name is known.
X3D_TEMPORAL = {"XS": "4x12", "S": "13x6", "M": "16x5", "L": "16x5"}
MVIT_V2_SIZES = {10: "T", 16: "S", 24: "B", 48: "L"}
ARCH_NAMES = {
    "c2d": "C2D",
    "i3d": "I3D",
    "slow": "Slow",
    "slowonly": "Slow",
    "slowfast": "SlowFast",
    "x3d": "X3D",
    "mvit": "MViTv1",
    "mvitv2": "MViTv2",
}
PRETRAIN_NAMES = {"K400": "Kinetics-400", "K600": "Kinetics-600", "K700": "Kinetics-700"}
_FOLDER = re.compile(
    r"^(?P<arch>C2D|I3D|SLOWONLY|SLOWFAST|SLOW|X3D|MVITV2|MVIT)"
    r"(?P<nln>_NLN)?(?:_(?P<size>XS|S|M|L|B|T))?(?:_(?P<tc>\d+x\d+))?"
    r"(?:_(?P<depth>R\d+))?(?P<nln_after>_NLN)?(?:_(?P<pretrain>K\d+))?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ModelName:
    """How a run is labelled in the tables; None where it cannot be told."""

    arch: str | None
    tc: str | None
    backbone: str | None
    pretrain: str | None


def _get(config: Mapping[str, Any], dotted: str) -> Any:
    """``config["A"]["B"]`` for ``"A.B"``, or None if any level is missing."""
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _has_nonlocal(location: Any) -> bool:
    """True if a NONLOCAL.LOCATION nested list names any block."""
    if isinstance(location, list | tuple):
        return any(_has_nonlocal(item) for item in location)
    return location is not None


def _x3d_size(depth_factor: Any, num_frames: Any) -> str | None:
    """X3D size from its depth factor (2.2: XS/S/M by clip length, 5.0: L)."""
    if depth_factor == 5.0:
        return "L"
    if depth_factor == 2.2:
        return {4: "XS", 13: "S"}.get(num_frames, "M")
    return None


def name_from_config(config: Mapping[str, Any]) -> ModelName:
    """Name a model from its PySlowFast config (MODEL.ARCH, DATA, RESNET, NONLOCAL, MVIT, X3D)."""
    arch_key = str(_get(config, "MODEL.ARCH") or "").lower()
    frames, rate = _get(config, "DATA.NUM_FRAMES"), _get(config, "DATA.SAMPLING_RATE")
    tc = f"{frames}x{rate}" if frames is not None and rate is not None else None
    arch, backbone = ARCH_NAMES.get(arch_key), None
    if arch_key in ("c2d", "i3d", "slow", "slowfast"):
        depth = _get(config, "RESNET.DEPTH")
        backbone = f"R{depth}" if depth is not None else None
        if arch_key != "slowfast" and _has_nonlocal(_get(config, "NONLOCAL.LOCATION")):
            arch = f"{arch} NLN"
    elif arch_key == "x3d":
        backbone = _x3d_size(_get(config, "X3D.DEPTH_FACTOR"), frames)
    elif arch_key == "mvit":
        v2 = bool(_get(config, "MVIT.REL_POS_SPATIAL") or _get(config, "MVIT.RESIDUAL_POOLING"))
        depth = _get(config, "MVIT.DEPTH")
        if v2:
            arch, backbone = "MViTv2", MVIT_V2_SIZES.get(depth)
        elif depth == 16:
            backbone = "B-CONV" if str(_get(config, "MVIT.MODE")).lower() == "conv" else "B"
    return ModelName(arch=arch, tc=tc, backbone=backbone, pretrain=None)


def name_from_folder(folder_name: str) -> ModelName:
    """Name a model from a folder such as ``I3D_NLN_8x8_R50``, ``X3D_S`` or ``MVITv2_S_16x4``.

    Unrecognised names give ``ModelName(folder_name, None, None, None)``.
    """
    match = _FOLDER.match(folder_name)
    if match is None:
        return ModelName(arch=folder_name, tc=None, backbone=None, pretrain=None)
    arch_key = match["arch"].lower()
    arch = ARCH_NAMES[arch_key]
    if match["nln"] or match["nln_after"]:
        arch = f"{arch} NLN"
    size = match["size"].upper() if match["size"] else None
    tc = match["tc"].lower() if match["tc"] else None
    if arch_key == "x3d" and tc is None and size is not None:
        tc = X3D_TEMPORAL.get(size)
    backbone = match["depth"].upper() if match["depth"] else size
    pretrain = match["pretrain"].upper() if match["pretrain"] else None
    return ModelName(
        arch=arch, tc=tc, backbone=backbone, pretrain=PRETRAIN_NAMES.get(pretrain, pretrain)
    )


def describe_model(config: Mapping[str, Any] | None, folder_name: str) -> ModelName:
    """Name a run: config values first, the folder name for anything the config lacks."""
    from_folder = name_from_folder(folder_name)
    if config is None:
        return from_folder
    from_config = name_from_config(config)
    return ModelName(
        arch=from_config.arch or from_folder.arch,
        tc=from_config.tc or from_folder.tc,
        backbone=from_config.backbone or from_folder.backbone,
        pretrain=from_folder.pretrain,
    )
