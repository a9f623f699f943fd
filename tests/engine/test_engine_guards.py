"""Guard rails: non-finite and exploding losses, clips that fail to decode, a full disk."""

import errno
import math

import pytest
import torch

from slowfast_microg.engine.checkpointer import CheckpointSaveError, read_checkpoint
from slowfast_microg.engine.guards import DecodeBudgetExceededError, LossDivergedError
from slowfast_microg.engine.sampler import EpochSampler
from slowfast_microg.engine.trainer import train


def test_nan_loss_stops_with_iteration_clips_and_checkpoint(toys, tmp_path):
    toys.write_spec(tmp_path / "data", nan_clips=["train_0005"])
    cfg = toys.toy_cfg(tmp_path / "run", tmp_path / "data")
    sampler = EpochSampler(24, shuffle=True, seed=cfg.RNG_SEED, global_batch_size=4)
    iteration = list(sampler).index(5) // 4 + 1
    with pytest.raises(LossDivergedError) as info:
        train(cfg)
    message = str(info.value)
    assert f"epoch 1, iteration {iteration} " in message
    assert "the loss is nan" in message and "train_0005" in message
    path = tmp_path / "run" / "checkpoints" / f"diverged_epoch_00001_iter_{iteration:06d}.pyth"
    assert str(path) in message
    saved = read_checkpoint(path)
    assert saved["iteration"] == iteration - 1
    assert all(torch.isfinite(v).all() for v in saved["model_state"].values())
    assert not (tmp_path / "run" / "checkpoints" / "checkpoint_epoch_00001.pyth").exists()


def test_loss_explosion_factor_stops_the_run(toys, tmp_path):
    cfg = toys.toy_cfg(
        tmp_path / "run", tmp_path / "data", {"TRAIN.KILL_LOSS_EXPLOSION_FACTOR": 0.5}
    )
    with pytest.raises(LossDivergedError, match="KILL_LOSS_EXPLOSION_FACTOR") as info:
        train(cfg)
    # As PySlowFast: checked once 6 losses were accepted (one epoch of 6 iterations here),
    # against the mean of the last 5; the window carries over into the next epoch.
    assert "epoch 2, iteration 1 (global step 7)" in str(info.value)


def test_failed_clips_are_skipped_within_the_budget(toys, tmp_path):
    toys.write_spec(tmp_path / "data", failing_items={"train": [3, 7]})
    cfg = toys.toy_cfg(tmp_path / "run", tmp_path / "data", {"TRAIN.MAX_DECODE_FAILURES": 4})
    train(cfg)
    log = (tmp_path / "run" / "stdout.log").read_text()
    assert log.count("skipped at epoch") == 4
    assert "cannot decode frames of train_0003" in log and "(4 of 4 tolerated)" in log
    saved = read_checkpoint(tmp_path / "run" / "checkpoints" / "checkpoint_epoch_00002.pyth")
    failures = saved["extra"]["decode_failures"]
    assert sorted((f["epoch"], f["index"]) for f in failures) == [(1, 3), (1, 7), (2, 3), (2, 7)]
    assert all(math.isfinite(v.sum().item()) for v in saved["model_state"].values())


def test_failed_clips_beyond_the_budget_fail_with_the_list(toys, tmp_path):
    toys.write_spec(tmp_path / "data", failing_items={"train": [3, 7]})
    cfg = toys.toy_cfg(tmp_path / "run", tmp_path / "data", {"TRAIN.MAX_DECODE_FAILURES": 1})
    with pytest.raises(DecodeBudgetExceededError) as info:
        train(cfg)
    message = str(info.value)
    assert "MAX_DECODE_FAILURES=1" in message
    assert "item 3" in message and "item 7" in message
    assert "cannot decode frames of train_0007" in message


def test_validation_clips_must_decode(toys, tmp_path):
    toys.write_spec(tmp_path / "data", failing_items={"val": [2]})
    cfg = toys.toy_cfg(tmp_path / "run", tmp_path / "data", {"SOLVER.MAX_EPOCH": 1})
    with pytest.raises(RuntimeError, match="Item 2 of the dataset failed to load"):
        train(cfg)


def test_disk_full_while_saving_stops_the_run_and_resume_uses_the_last_good(
    toys, tmp_path, monkeypatch
):
    cfg = toys.toy_cfg(tmp_path / "run", tmp_path / "data")
    folder = tmp_path / "run" / "checkpoints"
    real_save = torch.save

    def disk_full_at_epoch_2(obj, handle, *args, **kwargs):
        if obj.get("epoch") != 1:  # the checkpoint after epoch 2 hits the full disk
            return real_save(obj, handle, *args, **kwargs)
        handle.write(b"\0" * 4096)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full_at_epoch_2)
    with pytest.raises(CheckpointSaveError) as info:
        train(cfg)
    message = str(info.value)
    assert "No space left on device" in message and "checkpoint_epoch_00002.pyth" in message
    assert "newest: checkpoint_epoch_00001.pyth" in message
    assert sorted(p.name for p in folder.iterdir()) == [
        "checkpoint_epoch_00001.pyth",
        "checkpoint_epoch_00001.pyth.sha256",
    ]
    first = read_checkpoint(folder / "checkpoint_epoch_00001.pyth")

    monkeypatch.setattr(torch, "save", real_save)  # space freed: the run continues
    train(cfg)
    assert (
        f"Resuming from {folder / 'checkpoint_epoch_00001.pyth'}"
        in (tmp_path / "run" / "stdout.log").read_text()
    )
    assert read_checkpoint(folder / "checkpoint_epoch_00002.pyth")["epoch"] == 1
    assert first["epoch"] == 0
