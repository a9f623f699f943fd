"""Exact resume: a run killed with SIGKILL mid-epoch and resumed ends in the identical state."""

import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import torch

from slowfast_microg.engine.checkpointer import resume_candidates
from slowfast_microg.engine.stats import read_json_stats
from slowfast_microg.engine.trainer import train

ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = {
    "SOLVER.MAX_EPOCH": 3,
    "TRAIN.CHECKPOINT_ITER_PERIOD": 2,
    "DATA_LOADER.NUM_WORKERS": 1,
    "MODEL.DROPOUT_RATE": 0.3,
    "SOLVER.OPTIMIZING_METHOD": "adamw",
    "SOLVER.BASE_LR": 0.01,
}
ITERS_PER_EPOCH = 6  # 24 toy training items, batch 4
# The training iteration (1-based, over the 3 epochs) whose forward pass is killed: random in
# each run (from 3 on, so that a mid-epoch checkpoint exists); set it to reproduce a failure.
KILL_AT_ENV = "ENGINE_RESUME_KILL_AT"
RUN_NET = (
    "import sys, engine_toys; engine_toys.install(); "
    "from slowfast_microg.engine.launch import main; sys.exit(main(sys.argv[1:]))"
)


def _final_state(run: Path) -> dict:
    return torch.load(run / "checkpoints" / "checkpoint_epoch_00003.pyth", weights_only=True)


def _assert_identical(first, second, where: str = "checkpoint") -> None:
    """Recursively equal: tensors bit for bit, every other value exactly."""
    if isinstance(first, torch.Tensor):
        assert isinstance(second, torch.Tensor) and first.dtype == second.dtype, where
        assert torch.equal(first, second), where
    elif isinstance(first, dict):
        assert first.keys() == second.keys(), where
        for key in first:
            _assert_identical(first[key], second[key], f"{where}[{key!r}]")
    elif isinstance(first, (list, tuple)):
        assert len(first) == len(second), where
        for index, (a, b) in enumerate(zip(first, second, strict=True)):
            _assert_identical(a, b, f"{where}[{index}]")
    else:
        assert first == second, where


def _assert_same_final_state(reference: dict, resumed: dict, kill_at: int) -> None:
    """Everything but the config text (which names the run's own OUTPUT_DIR) is identical."""
    assert reference.keys() == resumed.keys()
    assert reference["optimizer_state"]["state"], "the optimizer has moments to compare"
    for key in reference.keys() - {"cfg"}:
        _assert_identical(reference[key], resumed[key], f"killed at {kill_at}: {key}")


def _expected_newest(kill_at: int) -> str:
    """Newest checkpoint left by a run killed in the forward pass of iteration ``kill_at``."""
    done = kill_at - 1
    epochs, into = divmod(done, ITERS_PER_EPOCH)
    saved = into - into % 2
    if saved:
        return f"partial_epoch_{epochs + 1:05d}_iter_{saved:06d}.pyth"
    return f"checkpoint_epoch_{epochs:05d}.pyth"


def test_sigkill_mid_epoch_then_auto_resume_matches_uninterrupted_run(toys, tmp_path):
    total = ITERS_PER_EPOCH * OVERRIDES["SOLVER.MAX_EPOCH"]
    kill_at = int(os.environ.get(KILL_AT_ENV, 0)) or random.SystemRandom().randint(3, total)
    print(f"killing the training process in iteration {kill_at} of {total}")
    data = tmp_path / "data"
    reference = tmp_path / "uninterrupted"
    train(toys.toy_cfg(reference, data, OVERRIDES))

    killed = tmp_path / "killed"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(Path(toys.__file__).parent)]),
        toys.KILL_ENV: str(kill_at),
    }
    argv = toys.toy_opts(killed, data, {**OVERRIDES, "TEST.ENABLE": False})
    result = subprocess.run(
        [sys.executable, "-c", RUN_NET, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == -signal.SIGKILL, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Training finished" not in result.stdout
    candidates = resume_candidates(killed)
    assert candidates[0].name == _expected_newest(kill_at), kill_at
    damaged = tmp_path / "damaged"
    shutil.copytree(killed, damaged)
    newest = damaged / "checkpoints" / candidates[0].name
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])

    train(toys.toy_cfg(killed, data, OVERRIDES))
    log = (killed / "stdout.log").read_text()
    assert f"Resuming from {candidates[0]}" in log
    _assert_same_final_state(_final_state(reference), _final_state(killed), kill_at)

    # The truncated newest checkpoint is rejected with a clear message; the previous is used.
    train(toys.toy_cfg(damaged, data, OVERRIDES))
    log = (damaged / "stdout.log").read_text()
    assert f"Skipping damaged checkpoint: {newest}: SHA-256" in log
    assert "the file is damaged. Trying the previous one." in log
    if len(candidates) > 1:
        assert f"Resuming from {damaged / 'checkpoints' / candidates[1].name}" in log
    else:
        assert "Training from random initialisation." in log
    _assert_same_final_state(_final_state(reference), _final_state(damaged), kill_at)

    def val_maps(run):
        records = read_json_stats(run / "json_stats.log")
        return [(r["cur_epoch"], r["map"]) for r in records if r["mode"] == "val"]

    assert [epoch for epoch, _ in val_maps(reference)] == ["1", "2", "3"]
    assert val_maps(killed) == val_maps(reference)
    # Epochs replayed from an older checkpoint are validated (and logged) again, identically.
    assert set(val_maps(damaged)) == set(val_maps(reference))


def test_interrupted_validation_runs_on_resume(toys, tmp_path):
    run = tmp_path / "run"
    cfg = toys.toy_cfg(run, tmp_path / "data")
    train(cfg)
    stats = run / "json_stats.log"
    lines = stats.read_text().splitlines()
    assert '"val_epoch"' in lines[-1]
    stats.write_text("\n".join(lines[:-1]) + "\n")  # as if killed during the last validation
    train(cfg)
    records = read_json_stats(stats)
    assert [(r["_type"], r["cur_epoch"]) for r in records] == [
        ("train_epoch", "1"),
        ("val_epoch", "1"),
        ("train_epoch", "2"),
        ("val_epoch", "2"),
    ]
    assert (
        "Running the validation of epoch 2 that was interrupted" in (run / "stdout.log").read_text()
    )
