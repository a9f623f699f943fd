"""Process launch (single process, torchrun) and the synthetic-sample hook."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from slowfast_microg.config import ConfigError
from slowfast_microg.engine.data import ensure_sample_data
from slowfast_microg.engine.launch import launch_job, main, processes_per_shard
from slowfast_microg.engine.stats import read_json_stats
from slowfast_microg.utils import distributed as du

ROOT = Path(__file__).resolve().parents[2]
RUN_NET_WITH_TOYS = (
    "import sys\n"
    "import engine_toys\n"
    "engine_toys.install()\n"
    "from slowfast_microg.engine.launch import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _probe(cfg):
    import torch.distributed as dist

    return du.is_initialized(), du.get_world_size(), du.get_rank(), dist.get_backend()


def test_single_process_runs_in_place_without_a_process_group(toys, tmp_path):
    cfg = toys.toy_cfg(tmp_path / "run", tmp_path / "data")
    assert processes_per_shard(cfg) == 1
    assert launch_job(cfg, "tcp://127.0.0.1:1", _run_plain) == "ran"


def _run_plain(cfg):
    assert not du.is_initialized()
    return "ran"


def test_torchrun_variables_start_a_gloo_group_with_env_init(toys, tmp_path, monkeypatch):
    cfg = toys.toy_cfg(tmp_path / "run", tmp_path / "data")
    for name, value in {
        "RANK": "0",
        "WORLD_SIZE": "1",
        "LOCAL_RANK": "0",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(toys.free_port()),
    }.items():
        monkeypatch.setenv(name, value)
    assert launch_job(cfg, "tcp://ignored:1", _probe) == (True, 1, 0, "gloo")
    assert not du.is_initialized()


def test_batch_sizes_must_divide_by_the_cpu_processes(toys, tmp_path):
    with pytest.raises(ConfigError, match=r"TRAIN.BATCH_SIZE \(4\).*NUM_SHARDS = 3\)"):
        toys.toy_cfg(tmp_path / "run", tmp_path / "data", {"NUM_CPU_PROCESSES": 3})


def test_sample_generation_hook(toys, tmp_path):
    data = tmp_path / "data"
    ensure_sample_data(toys.toy_cfg(tmp_path / "run", data))  # GENERATE_SAMPLE off: no-op
    empty = toys.toy_cfg(tmp_path / "run", data, {"MICROG.GENERATE_SAMPLE": True})
    empty.defrost()
    empty.DATA.PATH_TO_DATA_DIR = ""
    with pytest.raises(ValueError, match="DATA.PATH_TO_DATA_DIR"):
        ensure_sample_data(empty)
    (data / "annotations").mkdir(parents=True)
    (data / "annotations" / "label_map.pbtxt").write_text("item { name: 'a' id: 1 }\n")
    # Present already: the generator is not imported (nor needed).
    ensure_sample_data(toys.toy_cfg(tmp_path / "run", data, {"MICROG.GENERATE_SAMPLE": True}))


def test_sample_generation_calls_the_dataset_generator(toys, tmp_path):
    pytest.importorskip("slowfast_microg.datasets.sample")
    data = tmp_path / "fresh"
    cfg = toys.toy_cfg(tmp_path / "run", data, {"MICROG.GENERATE_SAMPLE": True})
    ensure_sample_data(cfg)
    assert (data / cfg.AVA.ANNOTATION_DIR / cfg.AVA.LABEL_MAP_FILE).exists()


def test_torchrun_two_processes_detected_from_the_environment(toys, tmp_path):
    """``torchrun --nproc_per_node 2`` runs the job as 2 gloo processes joined by env://."""
    data = tmp_path / "data"
    single, launched = tmp_path / "one", tmp_path / "two"
    overrides = {"MODEL.DROPOUT_RATE": 0.0, "TEST.ENABLE": False}
    assert main(toys.toy_opts(single, data, overrides)) == 0
    script = tmp_path / "run_net_toys.py"
    script.write_text(RUN_NET_WITH_TOYS)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(Path(toys.__file__).parent)]),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            str(script),
            *toys.toy_opts(launched, data, overrides),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = (launched / "stdout.log").read_text()
    assert "Process 0 of 2, device cpu, backend gloo" in log
    assert "(local rank 0, backend gloo, env://)" in log
    one, two = (read_json_stats(run / "json_stats.log") for run in (single, launched))
    assert [r["_type"] for r in two] == [r["_type"] for r in one]  # each line written once
    for first, second in zip(one, two, strict=True):
        key = "loss" if first["_type"] == "train_epoch" else "map"
        assert second[key] == pytest.approx(first[key], abs=1e-4)
