"""The run_net command line: config files, overrides, dispatch and the OUTPUT_DIR guards."""

import errno
import os
import re
import runpy
import sys
from pathlib import Path

import pytest
import torch
import yaml

from slowfast_microg.engine import run_folder
from slowfast_microg.engine.launch import main
from slowfast_microg.engine.run_folder import RunFolderError
from slowfast_microg.engine.stats import read_json_stats
from slowfast_microg.engine.trainer import train

ROOT = Path(__file__).resolve().parents[2]


def _yaml_config(toys, path: Path, run: Path, data: Path) -> Path:
    """Write the toy settings as a nested PySlowFast-style YAML file."""
    opts = toys.toy_opts(run, data)
    tree: dict = {}
    for key, raw in zip(opts[0::2], opts[1::2], strict=True):
        node = tree
        *parents, leaf = key.split(".")
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = yaml.safe_load(raw)
    path.write_text(yaml.safe_dump(tree))
    return path


def _types(run: Path) -> list[str]:
    return [r["_type"] for r in read_json_stats(run / "json_stats.log")]


def test_cfg_trailing_pairs_and_opts(toys, tmp_path):
    run, data = tmp_path / "run", tmp_path / "data"
    config = _yaml_config(toys, tmp_path / "toy.yaml", run, data)
    argv = ["--cfg", str(config), "SOLVER.MAX_EPOCH", "1", "--opts", "SOLVER.BASE_LR", "0.07"]
    assert main(argv) == 0
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["SOLVER"]["MAX_EPOCH"] == 1 and saved["SOLVER"]["BASE_LR"] == 0.07
    assert _types(run) == ["train_epoch", "val_epoch", "test_epoch"]


def test_output_dir_of_another_config_is_refused_unless_forced(toys, tmp_path):
    run, data = tmp_path / "run", tmp_path / "data"
    config = str(_yaml_config(toys, tmp_path / "toy.yaml", run, data))
    main(["--cfg", config, "SOLVER.MAX_EPOCH", "1", "TEST.ENABLE", "False"])
    assert _types(run) == ["train_epoch", "val_epoch"]

    # Runtime keys may change: a test-only run with another batch size reuses the folder.
    main(
        ["--cfg", config, "SOLVER.MAX_EPOCH", "1", "TRAIN.ENABLE", "False", "TEST.BATCH_SIZE", "2"]
    )
    test_line = read_json_stats(run / "json_stats.log")[-1]
    assert (test_line["mode"], test_line["checkpoint_epoch"]) == ("test", 1)

    changed = ["--cfg", config, "SOLVER.MAX_EPOCH", "1", "SOLVER.BASE_LR", "0.5"]
    with pytest.raises(RunFolderError, match=r"SOLVER.BASE_LR: 0.05 -> 0.5") as info:
        main(changed + ["TEST.ENABLE", "False"])
    assert "--force" in str(info.value)
    assert len(_types(run)) == 3  # nothing ran

    main(changed + ["TEST.ENABLE", "False", "--force"])
    assert yaml.safe_load((run / "config.yaml").read_text())["SOLVER"]["BASE_LR"] == 0.5
    assert len(list(run.glob("config.yaml.*.bak"))) == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["SOLVER.BASE_LRR", "0.1"],
            r"Unknown config key 'SOLVER\.BASE_LRR'\. Did you mean SOLVER\.BASE_LR",
        ),
        (
            ["--opts", "TRAIN.BATCHSIZE", "4"],
            r"Unknown config key 'TRAIN\.BATCHSIZE'\. Did you mean TRAIN\.BATCH_SIZE",
        ),
        (["SOLVER.MAX_EPOCH", "ten"], r"Override SOLVER.MAX_EPOCH='ten'"),
        (["MODEL.HEAD_ACT", "relu"], r"MODEL.HEAD_ACT must be one of .*got 'relu'"),
    ],
)
def test_config_mistakes_exit_2_with_the_message(toys, tmp_path, capsys, extra, message):
    run, data = tmp_path / "run", tmp_path / "data"
    config = _yaml_config(toys, tmp_path / "toy.yaml", run, data)
    assert main(["--cfg", str(config), *extra]) == 2
    err = capsys.readouterr().err
    assert re.search(r"^run_net: error: " + message, err), err
    assert "Traceback" not in err
    assert not run.exists()  # nothing ran


def test_more_gpus_than_the_machine_has_exits_2(toys, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    run, data = tmp_path / "run", tmp_path / "data"
    config = _yaml_config(toys, tmp_path / "toy.yaml", run, data)
    assert main(["--cfg", str(config), "NUM_GPUS", "4"]) == 2
    err = capsys.readouterr().err
    assert "NUM_GPUS is 4 but this machine has 0 CUDA device(s). Set NUM_GPUS 0" in err
    assert not run.exists()  # nothing was spawned or written


def test_missing_config_file_exits_2(tmp_path, capsys):
    assert main(["--cfg", str(tmp_path / "nope.yaml")]) == 2
    assert f"Config file not found: {tmp_path / 'nope.yaml'}" in capsys.readouterr().err


def test_run_net_tool_is_a_thin_shim(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["run_net.py", "--help"])
    with pytest.raises(SystemExit) as info:
        runpy.run_path(str(ROOT / "tools" / "run_net.py"), run_name="__main__")
    assert info.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--cfg", "--opts", "--init_method", "--num_shards", "--shard_id", "--force"):
        assert flag in text
    assert len((ROOT / "tools" / "run_net.py").read_text().splitlines()) <= 30


def test_read_only_output_dir_is_a_clear_error(toys, tmp_path, monkeypatch):
    run = tmp_path / "run"
    run.mkdir()
    run.chmod(0o555)
    if os.access(run, os.W_OK):  # root ignores permission bits: fail as a read-only mount does

        def read_only(*args, **kwargs):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))

        monkeypatch.setattr(run_folder.tempfile, "mkstemp", read_only)
    argv = toys.toy_opts(run, tmp_path / "data")
    try:
        with pytest.raises(RunFolderError, match=r"OUTPUT_DIR .*run is not writable \(") as info:
            main(argv)
        assert "Set OUTPUT_DIR to a writable folder" in str(info.value)
        with pytest.raises(RunFolderError, match="is not writable"):
            train(toys.toy_cfg(run, tmp_path / "data"))
    finally:
        run.chmod(0o755)
    assert list(run.iterdir()) == []
