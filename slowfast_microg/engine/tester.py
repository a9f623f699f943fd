"""``test(cfg)``: score the test split with the chosen weights and write the result files."""

from __future__ import annotations

import logging

from fvcore.common.config import CfgNode
from torch import nn

from slowfast_microg.engine import weights
from slowfast_microg.engine.checkpointer import find_last_epoch_checkpoint
from slowfast_microg.engine.data import build_split_loader, ensure_sample_data
from slowfast_microg.engine.inference import evaluate_model
from slowfast_microg.engine.model_info import log_model_info
from slowfast_microg.engine.monitor import ScalarWriter
from slowfast_microg.engine.run_folder import prepare_output_dir
from slowfast_microg.engine.runtime import accelerate_model, setup_runtime
from slowfast_microg.models.registry import build_model
from slowfast_microg.utils import distributed as du

logger = logging.getLogger(__name__)


def load_test_weights(cfg: CfgNode, model: nn.Module) -> int | None:
    """Load the weights to test, in PySlowFast's order of preference.

    1. ``TEST.CHECKPOINT_FILE_PATH`` (any supported format);
    2. the newest valid ``checkpoint_epoch_*.pyth`` of OUTPUT_DIR (this run, strict);
    3. ``TRAIN.CHECKPOINT_FILE_PATH`` (e.g. an AVA model tested zero-shot);
    4. none: the randomly initialised model, with a warning.

    Returns:
        ``checkpoint_epoch``: the number of completed epochs the weights have (the number in
        ``checkpoint_epoch_%05d.pyth``), or None when unknown.
    """
    if cfg.TEST.CHECKPOINT_FILE_PATH:
        epoch = weights.load_external_test_weights(cfg, model, split="test")
        return None if epoch is None else epoch + 1
    found = find_last_epoch_checkpoint(cfg.OUTPUT_DIR)
    if found is not None:
        path, payload = found
        model.load_state_dict(payload["model_state"], strict=True)
        logger.info("Testing the run's last checkpoint %s", path)
        return int(payload["epoch"]) + 1
    if cfg.TRAIN.CHECKPOINT_FILE_PATH:
        epoch = weights.load_external_test_weights(cfg, model, split="train")
        return None if epoch is None else epoch + 1
    logger.warning(
        "No TEST.CHECKPOINT_FILE_PATH, no checkpoint in %s and no TRAIN.CHECKPOINT_FILE_PATH: "
        "testing a randomly initialised model.",
        cfg.OUTPUT_DIR,
    )
    return None


def test(cfg: CfgNode) -> dict[str, float] | None:
    """Score every box of the test split and write detections, per-class AP and metrics.

    Writes ``detections_test.csv``, ``ap_per_class_test.csv`` and ``metrics_test.json``
    (into TEST.SAVE_RESULTS_PATH or OUTPUT_DIR) and a ``"mode": "test"`` json_stats line with
    ``checkpoint_epoch``. Run it on every process of a job.

    Args:
        cfg: a validated config.

    Returns:
        The scalar metrics on rank 0, None on other ranks.
    """
    runtime = setup_runtime(cfg)
    if runtime.is_master:
        prepare_output_dir(cfg)
        ensure_sample_data(cfg)
    du.barrier()
    model = build_model(cfg, gpu_id=runtime.device.index if runtime.use_cuda else None)
    if runtime.is_master:
        log_model_info(model, cfg, device=runtime.device)
    checkpoint_epoch = load_test_weights(cfg, model)
    model = accelerate_model(model, runtime)
    test_loader = build_split_loader(cfg, "test", rank=runtime.rank, world_size=runtime.world_size)
    writer = ScalarWriter.from_cfg(cfg, is_master=runtime.is_master)
    try:
        return evaluate_model(
            cfg=cfg,
            model=model,
            split_loader=test_loader,
            runtime=runtime,
            split="test",
            epoch_info={"checkpoint_epoch": checkpoint_epoch},
            writer=writer,
            step=checkpoint_epoch or 0,
        )
    finally:
        writer.close()


# ``test`` is PySlowFast's name for this entry point; keep pytest from collecting it when a
# test module imports it.
test.__test__ = False
