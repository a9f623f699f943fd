"""Exact resume: a run killed with SIGKILL mid-epoch and resumed ends with identical weights."""

import os
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
    "TRAIN.CHECKPOINT_ITER_PERIOD": 2,
    "DATA_LOADER.NUM_WORKERS": 1,
    "MODEL.DROPOUT_RATE": 0.3,
    "SOLVER.OPTIMIZING_METHOD": "adamw",
    "SOLVER.BASE_LR": 0.01,
}
RUN_NET = (
    "import sys, engine_toys; engine_toys.install(); "
    "from slowfast_microg.engine.launch import main; sys.exit(main(sys.argv[1:]))"
)


def _final_state(run: Path) -> dict:
    return torch.load(run / "checkpoints" / "checkpoint_epoch_00002.pyth", weights_only=True)


def _assert_same_weights(first: dict, second: dict) -> None:
    assert first["model_state"].keys() == second["model_state"].keys()
    for key, value in first["model_state"].items():
        assert torch.equal(value, second["model_state"][key]), key
    moments = [
        (a, second["optimizer_state"]["state"][i][name])
        for i, state in first["optimizer_state"]["state"].items()
        for name, a in state.items()
    ]
    assert moments and all(torch.equal(a, b) for a, b in moments)


def test_sigkill_mid_epoch_then_auto_resume_matches_uninterrupted_run(toys, tmp_path):
    data = tmp_path / "data"
    reference = tmp_path / "uninterrupted"
    train(toys.toy_cfg(reference, data, OVERRIDES))

    killed = tmp_path / "killed"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(Path(toys.__file__).parent)]),
        # 6 iterations per epoch: die in the forward of epoch 2, iteration 3, after the
        # iteration-2 checkpoint.
        toys.KILL_ENV: "9",
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
    assert [p.name for p in resume_candidates(killed)] == [
        "partial_epoch_00002_iter_000002.pyth",
        "checkpoint_epoch_00001.pyth",
    ]
    damaged = tmp_path / "damaged"
    shutil.copytree(killed, damaged)
    newest = damaged / "checkpoints" / "partial_epoch_00002_iter_000002.pyth"
    newest.write_bytes(newest.read_bytes()[:1000])

    train(toys.toy_cfg(killed, data, OVERRIDES))
    log = (killed / "stdout.log").read_text()
    resumed_from = killed / "checkpoints" / "partial_epoch_00002_iter_000002.pyth"
    assert f"Resuming from {resumed_from}" in log
    _assert_same_weights(_final_state(reference), _final_state(killed))

    train(toys.toy_cfg(damaged, data, OVERRIDES))
    log = (damaged / "stdout.log").read_text()
    assert "Skipping damaged checkpoint" in log
    assert f"Resuming from {damaged / 'checkpoints' / 'checkpoint_epoch_00001.pyth'}" in log
    _assert_same_weights(_final_state(reference), _final_state(damaged))

    def val_maps(run):
        return [r["map"] for r in read_json_stats(run / "json_stats.log") if r["mode"] == "val"]

    assert len(val_maps(reference)) == 2
    assert val_maps(killed) == val_maps(reference) == val_maps(damaged)


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
