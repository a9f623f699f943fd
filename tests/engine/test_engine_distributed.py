"""Two gloo processes on CPU give the single-process results, and files are written once."""

from pathlib import Path

import numpy as np
import pytest
import torch

from slowfast_microg.engine.launch import launch_job, run_tasks
from slowfast_microg.engine.stats import read_json_stats

# No dropout: per-rank random masks would make the runs differ by design.
OVERRIDES = {"MODEL.DROPOUT_RATE": 0.0, "TRAIN.BATCH_SIZE": 4, "TEST.BATCH_SIZE": 4}


def _outputs(run: Path) -> dict:
    return {
        "records": read_json_stats(run / "json_stats.log"),
        "predictions": sorted(p.name for p in run.glob("predictions_*.npz")),
        "checkpoints": sorted(p.name for p in (run / "checkpoints").iterdir()),
        "params_lines": (run / "stdout.log").read_text().count("Params: 6,244"),
    }


def test_two_cpu_processes_match_one_process(toys, tmp_path):
    data = tmp_path / "data"
    single, double = tmp_path / "one", tmp_path / "two"
    run_tasks(toys.toy_cfg(single, data, OVERRIDES))
    cfg = toys.toy_cfg(double, data, {**OVERRIDES, "NUM_CPU_PROCESSES": 2})
    launch_job(cfg, init_method=f"tcp://127.0.0.1:{toys.free_port()}", func=toys.run_installed)

    one, two = _outputs(single), _outputs(double)
    # Rank 0 alone writes: the same files and log lines as the single-process run.
    assert (
        two["predictions"]
        == one["predictions"]
        == [
            "predictions_test_0.npz",
            "predictions_val_0.npz",
            "predictions_val_1.npz",
        ]
    )
    assert two["checkpoints"] == one["checkpoints"]
    assert two["params_lines"] == one["params_lines"] == 2
    assert [r["_type"] for r in two["records"]] == [r["_type"] for r in one["records"]]
    for first, second in zip(one["records"], two["records"], strict=True):
        if first["_type"] in ("val_epoch", "test_epoch"):
            assert second["map"] == pytest.approx(first["map"], abs=1e-4)
            assert second["num_scored"] == first["num_scored"] == 10
        else:
            assert second["loss"] == pytest.approx(first["loss"], abs=1e-4)

    # Gathered predictions: every box once, in dataset order, with the same scores.
    for name in one["predictions"]:
        a, b = np.load(single / name), np.load(double / name)
        np.testing.assert_array_equal(b["item_indices"], np.arange(10))
        np.testing.assert_array_equal(b["item_indices"], a["item_indices"])
        np.testing.assert_allclose(b["scores"], a["scores"], atol=1e-4)

    weights = [
        torch.load(run / "checkpoints" / "checkpoint_epoch_00002.pyth", weights_only=True)
        for run in (single, double)
    ]
    for key, value in weights[0]["model_state"].items():
        torch.testing.assert_close(weights[1]["model_state"][key], value, atol=1e-5, rtol=1e-4)
