"""Checkpoint files: atomic writes, disk-full safety, damage detection, pruning, RNG state."""

import errno
import logging
import random

import numpy as np
import pytest
import torch
from torch import nn

from slowfast_microg.config import get_cfg
from slowfast_microg.engine import checkpointer as ck
from slowfast_microg.utils.atomic_io import atomic_write, atomic_write_text


def _payload(value: float, epoch: int = 0) -> dict:
    model = nn.Linear(2, 1)
    nn.init.constant_(model.weight, value)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return ck.checkpoint_payload(
        model=nn.DataParallel(model),
        optimizer=optimizer,
        scaler=None,
        cfg=get_cfg(),
        progress=ck.TrainProgress(epoch=epoch, iteration=0, global_step=3),
        rng_states=[ck.capture_rng_state(use_cuda=False)],
    )


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = atomic_write_text(tmp_path / "a.txt", "old")

    def failing(handle):
        handle.write(b"partial")
        raise OSError(errno.EIO, "I/O error")

    with pytest.raises(OSError):
        atomic_write(path, failing)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_payload_is_pyslowfast_compatible(tmp_path):
    payload = _payload(0.5, epoch=4)
    assert {"epoch", "model_state", "optimizer_state", "cfg"} <= set(payload)
    assert payload["epoch"] == 4
    assert sorted(payload["model_state"]) == ["bias", "weight"]
    assert "SOLVER:" in payload["cfg"]
    path = ck.epoch_checkpoint_path(tmp_path, 5)
    ck.write_checkpoint(path, payload)
    assert path.name == "checkpoint_epoch_00005.pyth"
    loaded = ck.read_checkpoint(path)
    assert torch.equal(loaded["model_state"]["weight"], torch.full((1, 2), 0.5))
    # A PySlowFast reader needs nothing beyond torch.load.
    plain = torch.load(path, map_location="cpu", weights_only=False)
    assert plain["epoch"] == 4 and "optimizer_state" in plain


def test_disk_full_while_saving_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    good = ck.epoch_checkpoint_path(tmp_path, 1)
    ck.write_checkpoint(good, _payload(1.0))
    real_save = torch.save

    def disk_full(obj, handle, *args, **kwargs):
        handle.write(b"x" * 128)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(ck.CheckpointSaveError, match="No space left.*checkpoint_epoch_00001"):
        ck.write_checkpoint(ck.epoch_checkpoint_path(tmp_path, 2), _payload(2.0))
    monkeypatch.setattr(torch, "save", real_save)
    folder = ck.checkpoint_folder(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == [good.name, good.name + ".sha256"]
    path, payload = ck.find_resume_checkpoint(tmp_path)
    assert path == good and payload["model_state"]["weight"][0, 0] == 1.0


def test_truncated_newest_checkpoint_falls_back_to_the_previous(tmp_path, caplog):
    first = ck.epoch_checkpoint_path(tmp_path, 1)
    newest = ck.partial_checkpoint_path(tmp_path, 2, 3)
    ck.write_checkpoint(first, _payload(1.0))
    ck.write_checkpoint(newest, _payload(2.0))
    assert ck.resume_candidates(tmp_path) == [newest, first]
    data = newest.read_bytes()
    newest.write_bytes(data[: len(data) // 2])
    newest.with_name(newest.name + ".sha256").unlink()  # only torch.load can notice now
    with caplog.at_level(logging.ERROR):
        path, _ = ck.find_resume_checkpoint(tmp_path)
    assert path == first
    assert "cannot be loaded" in caplog.text and newest.name in caplog.text


def test_flipped_byte_is_caught_by_the_digest(tmp_path):
    path = ck.epoch_checkpoint_path(tmp_path, 1)
    ck.write_checkpoint(path, _payload(1.0))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ck.CorruptCheckpointError, match="SHA-256"):
        ck.read_checkpoint(path)
    assert ck.find_resume_checkpoint(tmp_path) is None


def test_pruning_keeps_two_newest_partials_after_the_last_epoch_checkpoint(tmp_path):
    paths = [
        ck.partial_checkpoint_path(tmp_path, 1, 2),
        ck.epoch_checkpoint_path(tmp_path, 1),
        ck.partial_checkpoint_path(tmp_path, 2, 2),
        ck.partial_checkpoint_path(tmp_path, 2, 4),
        ck.partial_checkpoint_path(tmp_path, 2, 6),
    ]
    for path in paths:
        atomic_write_text(path, "x")
        atomic_write_text(path.with_name(path.name + ".sha256"), "y")
    ck.prune_partial_checkpoints(tmp_path)
    kept = sorted(p.name for p in ck.checkpoint_folder(tmp_path).iterdir())
    expected = sorted(
        n for p in (paths[1], paths[3], paths[4]) for n in (p.name, p.name + ".sha256")
    )
    assert kept == expected


def test_rng_state_round_trip():
    state = ck.capture_rng_state(use_cuda=False)
    first = (random.random(), np.random.rand(), torch.rand(1).item(), np.random.randn())
    ck.restore_rng_state(state)
    assert (random.random(), np.random.rand(), torch.rand(1).item(), np.random.randn()) == first


def test_rewriting_a_checkpoint_never_leaves_a_stale_digest(tmp_path, monkeypatch):
    path = ck.epoch_checkpoint_path(tmp_path, 1)
    ck.write_checkpoint(path, _payload(1.0))
    real_write_text = ck.atomic_write_text

    def stop_before_digest(target, text):  # the process dies between the two renames
        raise OSError(errno.EIO, "killed")

    monkeypatch.setattr(ck, "atomic_write_text", stop_before_digest)
    with pytest.raises(ck.CheckpointSaveError):
        ck.write_checkpoint(path, _payload(2.0))
    monkeypatch.setattr(ck, "atomic_write_text", real_write_text)
    # The complete new file has no digest (the old one would have condemned it): it is used.
    assert not path.with_name(path.name + ".sha256").exists()
    assert ck.read_checkpoint(path)["model_state"]["weight"][0, 0] == 2.0


def test_scaler_optimizer_progress_and_rng_are_restored(tmp_path):
    cfg = get_cfg()
    model = nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=256.0, growth_interval=3)
    for _ in range(2):
        optimizer.zero_grad()
        scaler.scale(model(torch.ones(4, 2)).sum()).backward()
        scaler.step(optimizer)
        scaler.update()
    progress = ck.TrainProgress(epoch=1, iteration=4, global_step=16, extra={"meter": {"n": 3}})
    payload = ck.checkpoint_payload(
        model=model,
        optimizer=optimizer,
        scaler=scaler,
        cfg=cfg,
        progress=progress,
        rng_states=[ck.capture_rng_state(use_cuda=False)],
    )
    path = ck.partial_checkpoint_path(tmp_path, 3, 4)
    ck.write_checkpoint(path, payload)
    expected = (random.random(), np.random.rand(), torch.rand(3))

    fresh = nn.Linear(2, 1)
    fresh_optimizer = torch.optim.AdamW(fresh.parameters(), lr=0.1)
    fresh_scaler = torch.amp.GradScaler("cpu")
    restored = ck.restore_training_state(
        ck.read_checkpoint(path),
        model=fresh,
        optimizer=fresh_optimizer,
        scaler=fresh_scaler,
        cfg=cfg,
    )
    assert (restored.epoch, restored.iteration, restored.global_step) == (1, 4, 16)
    assert restored.extra == {"meter": {"n": 3}}
    assert fresh_scaler.state_dict() == scaler.state_dict()
    assert fresh_scaler.state_dict()["_growth_tracker"] == 2
    for name, value in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[name], value)
    moments = fresh_optimizer.state_dict()["state"][0]
    assert torch.equal(moments["exp_avg"], optimizer.state_dict()["state"][0]["exp_avg"])
    assert (random.random(), np.random.rand()) == expected[:2]
    assert torch.equal(torch.rand(3), expected[2])
