"""PySlowFast keys outside this project's schema, and where an unknown key sits in a YAML file.

A PySlowFast config dump (such as the MicroG-4M authors' effective configs) carries nodes and
keys this project does not use: contrastive learning, masking, multigrid, the detectron2 demo,
Kinetics decoding options. They are dropped with a warning. A key that is neither in the schema
nor in this list is most likely a typo in a hand-written file; ``config/loader.py`` reports it
with its file, line and the nearest valid key.
"""

from __future__ import annotations

from pathlib import Path

import yaml

# Whole nodes (every key below them) and single keys of PySlowFast's defaults (plus the
# MicroG-4M authors' fork, which adds MODEL.BLIP2) that have no effect on AVA-format detection.
PYSLOWFAST_ONLY_KEYS = frozenset(
    {
        "AUG",
        "BENCHMARK",
        "CONTRASTIVE",
        "DEMO",
        "MASK",
        "MIXUP",
        "MULTIGRID",
        "TASK",
        "VIS_MASK",
        "AVA.IMG_PROC_BACKEND",
        "BN.NUM_SPLITS",
        "DATA.COLOR_RND_GRAYSCALE",
        "DATA.DECODING_BACKEND",
        "DATA.DECODING_SHORT_SIZE",
        "DATA.DUMMY_LOAD",
        "DATA.ENSEMBLE_METHOD",
        "DATA.IN22K_TRAINVAL",
        "DATA.IN22k_VAL_IN1K",
        "DATA.INV_UNIFORM_SAMPLE",
        "DATA.IN_VAL_CROP_RATIO",
        "DATA.LOADER_CHUNK_OVERALL_SIZE",
        "DATA.LOADER_CHUNK_SIZE",
        "DATA.MULTI_LABEL",
        "DATA.PATH_LABEL_SEPARATOR",
        "DATA.PATH_PREFIX",
        "DATA.PATH_TO_PRELOAD_IMDB",
        "DATA.SKIP_ROWS",
        "DATA.SSL_BLUR_SIGMA_MAX",
        "DATA.SSL_BLUR_SIGMA_MIN",
        "DATA.SSL_COLOR_BRI_CON_SAT",
        "DATA.SSL_COLOR_HUE",
        "DATA.SSL_COLOR_JITTER",
        "DATA.SSL_MOCOV2_AUG",
        "DATA.TARGET_FPS",
        "DATA.TIME_DIFF_PROB",
        "DATA.TRAIN_CROP_NUM_SPATIAL",
        "DATA.TRAIN_CROP_NUM_TEMPORAL",
        "DATA.TRAIN_JITTER_ASPECT_RELATIVE",
        "DATA.TRAIN_JITTER_FPS",
        "DATA.TRAIN_JITTER_MOTION_SHIFT",
        "DATA.TRAIN_JITTER_SCALES_RELATIVE",
        "DATA.USE_OFFSET_SAMPLING",
        "MODEL.BLIP2",
        "MVIT.REV",
        "SOLVER.GAMMA",
        "SOLVER.LARS_ON",
        "SOLVER.STEP_SIZE",
        "SOLVER.WARMUP_FACTOR",
        "TENSORBOARD.CATEGORIES_PATH",
        "TENSORBOARD.CLASS_NAMES_PATH",
        "TENSORBOARD.CONFUSION_MATRIX",
        "TENSORBOARD.HISTOGRAM",
        "TENSORBOARD.MODEL_VIS",
        "TENSORBOARD.PREDICTIONS_PATH",
        "TENSORBOARD.WRONG_PRED_VIS",
        "TEST.NUM_ENSEMBLE_VIEWS",
        "TEST.NUM_SPATIAL_CROPS",
        "TEST.NUM_TEMPORAL_CLIPS",
    }
)


def is_pyslowfast_only(key: str) -> bool:
    """Whether dotted ``key`` is (or lies below) one of ``PYSLOWFAST_ONLY_KEYS``."""
    parts = key.split(".")
    return any(".".join(parts[:n]) in PYSLOWFAST_ONLY_KEYS for n in range(1, len(parts) + 1))


def _mapping_lines(node: yaml.Node, prefix: str, found: dict[str, int]) -> None:
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        full = f"{prefix}{key_node.value}"
        found[full] = key_node.start_mark.line + 1
        _mapping_lines(value_node, f"{full}.", found)


def key_lines(path: Path) -> dict[str, int]:
    """Map every dotted key written in the YAML file ``path`` to its 1-based line number."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    found: dict[str, int] = {}
    if root is not None:
        _mapping_lines(root, "", found)
    return found


def locate_key(key: str, *, path: Path, base_key: str = "_BASE_") -> str:
    """Return ``file:line`` of the file that sets ``key``: ``path`` or one of its ``_BASE_`` files.

    The file itself wins over its bases, as in ``_BASE_`` merging. Falls back to the file name.
    """
    pending, seen = [path], set()
    while pending:
        current = pending.pop(0)
        if current in seen or not current.is_file():
            continue
        seen.add(current)
        lines = key_lines(current)
        if key in lines:
            return f"{current}:{lines[key]}"
        try:
            base = (yaml.safe_load(current.read_text(encoding="utf-8")) or {}).get(base_key)
        except (yaml.YAMLError, AttributeError):
            base = None
        for name in [base] if isinstance(base, str) else list(base or []):
            pending.append(current.parent / name)
    return str(path)
