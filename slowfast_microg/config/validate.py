"""Validation and derived values of a merged config, in one place."""

from __future__ import annotations

import logging

from fvcore.common.config import CfgNode

from slowfast_microg.config.loader import ConfigError

logger = logging.getLogger(__name__)

HEAD_ACTS = ("none", "sigmoid", "softmax")
LOSSES = ("bce_logit", "bce", "cross_entropy")
LR_POLICIES = ("steps_with_relative_lrs", "cosine", "constant")
OPTIMIZERS = ("sgd", "adamw")
LAYOUTS = ("frames", "videos")
NORM_TYPES = ("batchnorm", "sync_batchnorm")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _choice(value: str, *, key: str, choices: tuple[str, ...]) -> None:
    _require(value in choices, f"{key} must be one of {list(choices)}, got {value!r}.")


def num_pathways(cfg: CfgNode) -> int:
    """Number of input pathways of ``cfg.MODEL.ARCH`` (2 for SlowFast, else 1)."""
    return 2 if cfg.MODEL.ARCH in cfg.MODEL.MULTI_PATHWAY_ARCH else 1


def _check_model(cfg: CfgNode) -> None:
    arches = list(cfg.MODEL.SINGLE_PATHWAY_ARCH) + list(cfg.MODEL.MULTI_PATHWAY_ARCH)
    _choice(cfg.MODEL.ARCH, key="MODEL.ARCH", choices=tuple(arches))
    _choice(cfg.MODEL.HEAD_ACT, key="MODEL.HEAD_ACT", choices=HEAD_ACTS)
    _choice(cfg.MODEL.LOSS_FUNC, key="MODEL.LOSS_FUNC", choices=LOSSES)
    _require(
        not (cfg.MODEL.HEAD_ACT == "sigmoid" and cfg.MODEL.LOSS_FUNC == "bce_logit"),
        "MODEL.HEAD_ACT sigmoid with MODEL.LOSS_FUNC bce_logit applies the sigmoid twice; "
        "use HEAD_ACT none with bce_logit (the paper) or HEAD_ACT sigmoid with bce.",
    )
    _require(
        not (cfg.MODEL.HEAD_ACT == "none" and cfg.MODEL.LOSS_FUNC == "bce"),
        "MODEL.LOSS_FUNC bce needs probabilities; with HEAD_ACT none use bce_logit.",
    )
    _require(
        cfg.MODEL.NUM_CLASSES > 0, f"MODEL.NUM_CLASSES must be > 0, got {cfg.MODEL.NUM_CLASSES}."
    )
    _require(
        cfg.DETECTION.ENABLE,
        "DETECTION.ENABLE must be true: MicroG-4M models score person boxes (RoI head).",
    )
    _require(
        cfg.DETECTION.SPATIAL_SCALE_FACTOR > 0,
        f"DETECTION.SPATIAL_SCALE_FACTOR must be > 0, got {cfg.DETECTION.SPATIAL_SCALE_FACTOR}.",
    )
    pathways = num_pathways(cfg)
    _require(
        len(cfg.DATA.INPUT_CHANNEL_NUM) == pathways,
        f"DATA.INPUT_CHANNEL_NUM has {len(cfg.DATA.INPUT_CHANNEL_NUM)} entries but "
        f"MODEL.ARCH {cfg.MODEL.ARCH!r} has {pathways} pathway(s).",
    )
    _choice(cfg.BN.NORM_TYPE, key="BN.NORM_TYPE", choices=NORM_TYPES)


def _check_data(cfg: CfgNode) -> None:
    _choice(cfg.MICROG.LAYOUT, key="MICROG.LAYOUT", choices=LAYOUTS)
    _require(cfg.DATA.NUM_FRAMES > 0, f"DATA.NUM_FRAMES must be > 0, got {cfg.DATA.NUM_FRAMES}.")
    _require(
        cfg.DATA.SAMPLING_RATE > 0, f"DATA.SAMPLING_RATE must be > 0, got {cfg.DATA.SAMPLING_RATE}."
    )
    if num_pathways(cfg) == 2:
        _require(
            cfg.DATA.NUM_FRAMES % cfg.SLOWFAST.ALPHA == 0,
            f"DATA.NUM_FRAMES ({cfg.DATA.NUM_FRAMES}) must be a multiple of SLOWFAST.ALPHA "
            f"({cfg.SLOWFAST.ALPHA}) so the slow pathway gets whole frames.",
        )
    scales = list(cfg.DATA.TRAIN_JITTER_SCALES)
    _require(
        len(scales) == 2 and 0 < scales[0] <= scales[1],
        f"DATA.TRAIN_JITTER_SCALES must be [min, max] with 0 < min <= max, got {scales}.",
    )
    _require(
        len(cfg.DATA.MEAN) == len(cfg.DATA.STD) == 3,
        "DATA.MEAN and DATA.STD need one value per RGB channel.",
    )
    _require(
        cfg.AVA.DETECTION_SCORE_THRESH >= 0.0,
        f"AVA.DETECTION_SCORE_THRESH must be >= 0, got {cfg.AVA.DETECTION_SCORE_THRESH}.",
    )
    _require(
        cfg.DATA_LOADER.NUM_WORKERS >= 0,
        f"DATA_LOADER.NUM_WORKERS must be >= 0, got {cfg.DATA_LOADER.NUM_WORKERS}.",
    )
    _require(
        cfg.DATA_LOADER.PREFETCH_FACTOR >= 1,
        f"DATA_LOADER.PREFETCH_FACTOR must be >= 1, got {cfg.DATA_LOADER.PREFETCH_FACTOR}.",
    )


def _check_solver(cfg: CfgNode) -> None:
    solver = cfg.SOLVER
    _choice(solver.LR_POLICY, key="SOLVER.LR_POLICY", choices=LR_POLICIES)
    _choice(solver.OPTIMIZING_METHOD, key="SOLVER.OPTIMIZING_METHOD", choices=OPTIMIZERS)
    _require(solver.MAX_EPOCH > 0, f"SOLVER.MAX_EPOCH must be > 0, got {solver.MAX_EPOCH}.")
    if solver.LR_POLICY == "steps_with_relative_lrs":
        steps, lrs = list(solver.STEPS), list(solver.LRS)
        _require(
            len(steps) == len(lrs) and len(steps) > 0,
            f"SOLVER.STEPS {steps} and SOLVER.LRS {lrs} must be non-empty and equally long.",
        )
        _require(steps[0] == 0, f"SOLVER.STEPS must start at 0, got {steps}.")
        _require(steps == sorted(steps), f"SOLVER.STEPS must be increasing, got {steps}.")


def _check_run(cfg: CfgNode) -> None:
    _require(cfg.NUM_GPUS >= 0, f"NUM_GPUS must be >= 0, got {cfg.NUM_GPUS}.")
    _require(cfg.NUM_SHARDS >= 1, f"NUM_SHARDS must be >= 1, got {cfg.NUM_SHARDS}.")
    _require(
        0 <= cfg.SHARD_ID < cfg.NUM_SHARDS,
        f"SHARD_ID must be in [0, NUM_SHARDS={cfg.NUM_SHARDS}), got {cfg.SHARD_ID}.",
    )
    _require(
        cfg.NUM_CPU_PROCESSES >= 1, f"NUM_CPU_PROCESSES must be >= 1, got {cfg.NUM_CPU_PROCESSES}."
    )
    per_machine, name = (
        (cfg.NUM_GPUS, "NUM_GPUS")
        if cfg.NUM_GPUS > 0
        else (cfg.NUM_CPU_PROCESSES, "NUM_CPU_PROCESSES")
    )
    processes = per_machine * cfg.NUM_SHARDS
    for key in ("TRAIN", "TEST"):
        batch = cfg[key].BATCH_SIZE
        _require(
            batch > 0 and batch % processes == 0,
            f"{key}.BATCH_SIZE ({batch}) must be a positive multiple of the number of processes "
            f"({name} x NUM_SHARDS = {processes}).",
        )
    _require(
        cfg.TRAIN.ENABLE or cfg.TEST.ENABLE,
        "Both TRAIN.ENABLE and TEST.ENABLE are false: nothing to run.",
    )


def assert_and_infer_cfg(cfg: CfgNode) -> CfgNode:
    """Validate ``cfg`` and fill in derived values; return it (frozen).

    Derived values: dataset names are lower-cased; with ``SOLVER.BASE_LR_SCALE_NUM_SHARDS`` the
    learning rates are multiplied by ``NUM_SHARDS``.

    Raises:
        ConfigError: naming the key, its value and what is expected.
    """
    cfg.defrost()
    _check_model(cfg)
    _check_data(cfg)
    _check_solver(cfg)
    _check_run(cfg)
    cfg.TRAIN.DATASET = cfg.TRAIN.DATASET.lower()
    cfg.TEST.DATASET = cfg.TEST.DATASET.lower()
    if cfg.SOLVER.BASE_LR_SCALE_NUM_SHARDS:
        cfg.SOLVER.BASE_LR *= cfg.NUM_SHARDS
        cfg.SOLVER.WARMUP_START_LR *= cfg.NUM_SHARDS
        cfg.SOLVER.COSINE_END_LR *= cfg.NUM_SHARDS
        cfg.SOLVER.BASE_LR_SCALE_NUM_SHARDS = False
    cfg.freeze()
    return cfg
