"""BN.USE_PRECISE_STATS: running means become the exact mean over the first training batches."""

import pytest
import torch

from slowfast_microg.engine.data import GuardedDataset
from slowfast_microg.engine.sampler import EpochSampler
from slowfast_microg.engine.trainer import train


def test_precise_bn_uses_the_epoch_first_batches(toys, tmp_path):
    cfg = toys.toy_cfg(
        tmp_path / "run",
        tmp_path / "data",
        {
            "MODEL.MODEL_NAME": "EngineToyBN",
            "MODEL.DROPOUT_RATE": 0.0,
            "SOLVER.MAX_EPOCH": 1,
            "BN.USE_PRECISE_STATS": True,
            "BN.NUM_BATCHES_PRECISE": 3,
        },
    )
    train(cfg)
    state = torch.load(tmp_path / "run/checkpoints/checkpoint_epoch_00001.pyth", weights_only=True)
    weights = state["model_state"]
    # Independently: fc1 activations of the 12 items of epoch 0's first three batches.
    order = EpochSampler(24, shuffle=True, seed=cfg.RNG_SEED, global_batch_size=4)
    order.set_epoch(0)
    items = GuardedDataset(
        toys.EngineToyDataset(cfg, "train"), seed=cfg.RNG_SEED, catch_errors=False
    )
    clips = torch.stack([items[i][1]["inputs"][0] for i in list(order)[:12]])
    activations = clips.flatten(1) @ weights["fc1.weight"].T + weights["fc1.bias"]
    torch.testing.assert_close(
        weights["bn.running_mean"], activations.mean(0), atol=1e-5, rtol=1e-5
    )
    assert (
        "Precise BN statistics from 3 training batches" in (tmp_path / "run/stdout.log").read_text()
    )


def test_precise_bn_and_frozen_bn_conflict(toys, tmp_path):
    cfg = toys.toy_cfg(
        tmp_path / "run",
        tmp_path / "data",
        {"BN.USE_PRECISE_STATS": True, "MODEL.FROZEN_BN": True},
    )
    with pytest.raises(ValueError, match="enable only one"):
        train(cfg)
