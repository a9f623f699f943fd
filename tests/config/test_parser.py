"""The run_net command line: --cfg files, --opts, trailing pairs, shard flags."""

import pytest

from slowfast_microg.config import ConfigError
from slowfast_microg.utils.parser import load_config, parse_args


def test_trailing_pairs_after_cfg_files(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yml"
    a.write_text("SOLVER:\n  BASE_LR: 0.3\n  MAX_EPOCH: 3\n")
    b.write_text("SOLVER:\n  MAX_EPOCH: 9\n")
    args = parse_args(["--cfg", str(a), str(b), "SOLVER.BASE_LR", "0.05", "--num_shards", "2"])
    assert args.cfg_files == [str(a), str(b)]
    assert args.opts == ["SOLVER.BASE_LR", "0.05"]
    cfg = load_config(args)
    assert cfg.SOLVER.BASE_LR == 0.05 and cfg.SOLVER.MAX_EPOCH == 9 and cfg.NUM_SHARDS == 2


def test_opts_flag_and_positional(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text("")
    args = parse_args(
        ["--cfg", str(a), "--shard_id", "1", "--opts", "NUM_GPUS", "0", "RNG_SEED", "7"]
    )
    cfg = load_config(args)
    assert (cfg.NUM_GPUS, cfg.RNG_SEED, cfg.SHARD_ID) == (0, 7, 1)
    args = parse_args(["TRAIN.ENABLE", "False"])
    assert load_config(args).TRAIN.ENABLE is False


def test_unknown_cli_key_is_an_error(tmp_path):
    args = parse_args(["--opts", "TRAIN.BATCHSIZE", "4"])
    with pytest.raises(ConfigError, match="TRAIN.BATCH_SIZE"):
        load_config(args)


def test_force_flag_anywhere():
    assert parse_args(["--force", "SOLVER.BASE_LR", "0.1"]).force is True
    late = parse_args(["SOLVER.BASE_LR", "0.1", "--force"])
    assert late.force is True and late.opts == ["SOLVER.BASE_LR", "0.1"]
    assert parse_args([]).force is False
