"""Two gloo processes on CPU give the single-process results, files are written once; SyncBN."""

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from torch import nn

from slowfast_microg.engine.launch import launch_job, run_tasks
from slowfast_microg.engine.runtime import Runtime, revert_sync_batchnorm, wrap_distributed
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


def _sync_bn_worker(rank: int, port: int, cfg, out: Path) -> None:
    """One of two gloo processes: wrap a SyncBN model as the trainer does, take a step."""
    torch.distributed.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2
    )
    try:
        torch.manual_seed(0)
        net = nn.Sequential(nn.Conv3d(3, 4, 1), nn.BatchNorm3d(4), nn.Flatten(), nn.Linear(64, 1))
        net = nn.SyncBatchNorm.convert_sync_batchnorm(net)  # what BN.NORM_TYPE builds
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        runtime = Runtime(
            device=torch.device("cpu"),
            rank=rank,
            world_size=2,
            output_dir=out,
            autocast_dtype=None,
            show_progress=False,
        )
        model = wrap_distributed(net, cfg, runtime)
        inputs = torch.randn(2, 3, 2, 4, 2, generator=torch.Generator().manual_seed(rank))
        model(inputs).square().mean().backward()
        optimizer.step()
        norms = [type(m).__name__ for m in net.modules() if "Norm" in type(m).__name__]
        torch.save({"norms": norms, "state": net.state_dict()}, out / f"rank{rank}.pt")
    finally:
        torch.distributed.destroy_process_group()


def test_sync_batchnorm_on_cpu_trains_with_per_process_batchnorm(toys, tmp_path):
    cfg = toys.toy_cfg(tmp_path / "run", tmp_path / "data", {"BN.NORM_TYPE": "sync_batchnorm"})
    mp.spawn(_sync_bn_worker, nprocs=2, args=(toys.free_port(), cfg, tmp_path))
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    assert ranks[0]["norms"] == ranks[1]["norms"] == ["BatchNorm3d"]
    # DDP kept the replicas equal; each process's BN statistics are its own batch's.
    for key in ("0.weight", "1.weight", "1.bias", "3.weight"):
        torch.testing.assert_close(ranks[0]["state"][key], ranks[1]["state"][key])
    assert not torch.equal(ranks[0]["state"]["1.running_mean"], ranks[1]["state"]["1.running_mean"])
    assert int(ranks[0]["state"]["1.num_batches_tracked"]) == 1


def test_revert_sync_batchnorm_shares_parameters_and_buffers():
    net = nn.SyncBatchNorm.convert_sync_batchnorm(
        nn.Sequential(nn.Conv3d(3, 4, 1), nn.BatchNorm3d(4))
    )
    net.eval()
    before = {name: tensor for name, tensor in net.state_dict(keep_vars=True).items()}
    optimizer = torch.optim.SGD(net.parameters(), lr=1.0)
    reverted = revert_sync_batchnorm(net)
    assert reverted is net and type(net[1]) is nn.BatchNorm3d and not net[1].training
    after = net.state_dict(keep_vars=True)
    assert after.keys() == before.keys()
    assert all(after[name] is tensor for name, tensor in before.items())
    net[1].weight.grad = torch.ones(4)
    optimizer.step()  # the optimiser built before the swap still updates the new layer
    assert torch.equal(net[1].weight.detach(), torch.zeros(4))
