"""Process launch (single process, torchrun variables) and the synthetic-sample hook."""

import pytest

from slowfast_microg.config import ConfigError
from slowfast_microg.engine.data import ensure_sample_data
from slowfast_microg.engine.launch import launch_job, processes_per_shard
from slowfast_microg.utils import distributed as du


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
