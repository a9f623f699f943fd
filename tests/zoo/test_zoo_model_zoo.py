"""MODEL_ZOO.md: regenerates byte for byte, lists every config, and every command is valid."""

import re
import shlex
import shutil
from pathlib import Path

import pytest

from slowfast_microg.config import assert_and_infer_cfg, get_cfg, merge_from_file, merge_from_list
from slowfast_microg.hub.cli import parse_args as parse_download_args
from slowfast_microg.hub.presets import build_requests
from slowfast_microg.utils.parser import parse_args
from slowfast_microg.zoo.catalog import config_files
from slowfast_microg.zoo.catalog import load_config as load_zoo_config
from slowfast_microg.zoo.cli import make_model_zoo
from slowfast_microg.zoo.commands import results_dir

ROOT = Path(__file__).resolve().parents[2]
ZOO = ROOT / "MODEL_ZOO.md"
CONFIG = re.compile(r"^\| `([^`]+\.yaml)` \|", re.MULTILINE)


def _commands(text: str) -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", text, re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if not line.startswith("#")]


def test_regenerates_byte_identically(tmp_path):
    out = tmp_path / "MODEL_ZOO.md"
    assert make_model_zoo(["--out", str(out)], repo_root=ROOT) == 0
    assert out.read_bytes() == ZOO.read_bytes()
    assert make_model_zoo(["--check"], repo_root=ROOT) == 0


def test_lists_every_config_once_and_each_loads():
    listed = CONFIG.findall(ZOO.read_text())
    # Every YAML under configs/ except the shared Base-*.yaml settings, found independently.
    expected = [
        path.relative_to(ROOT / "configs").as_posix()
        for path in (ROOT / "configs").rglob("*.yaml")
        if not path.name.startswith("Base-")
    ]
    assert sorted(listed) == sorted(expected) and len(listed) == len(set(listed))
    assert sorted(config for _, config in config_files(ROOT / "configs")) == sorted(expected)
    for config in listed:
        cfg = load_zoo_config(ROOT / "configs" / config)
        assert cfg.MODEL.NUM_CLASSES in (50, 80)


def test_every_command_is_valid():
    commands = _commands(ZOO.read_text())
    run_net = [c for c in commands if c.startswith("python tools/run_net.py")]
    downloads = [c for c in commands if c.startswith("python tools/download.py")]
    tables = [c for c in commands if c.startswith("python tools/make_cross_domain_table.py")]
    assert len(run_net) == len(CONFIG.findall(ZOO.read_text()))
    assert len(downloads) == 12 and len(tables) == 1
    assert len(commands) == len(run_net) + len(downloads) + len(tables)
    for command in run_net:
        args = parse_args(shlex.split(command.replace("$CHECKPOINT", "x.pyth"))[2:])
        (config_file,) = args.cfg_files
        cfg = get_cfg()
        merge_from_file(cfg, ROOT / config_file)
        merge_from_list(cfg, [*args.overrides, *args.opts])
        assert_and_infer_cfg(cfg)
        if not cfg.MICROG.GENERATE_SAMPLE:
            assert cfg.OUTPUT_DIR == results_dir(config_file.removeprefix("configs/"))
        if "TEST.CHECKPOINT_FILE_PATH" in command:
            assert cfg.TRAIN.ENABLE is False and cfg.MICROG.AUTHORS_FRAME_OFFSET is True
    for command in downloads:
        args = parse_download_args(shlex.split(command)[2:])
        (request,) = build_requests(what=args.what, dest=args.dest, models=args.model)
        assert request.repo.repo_id == "LEI-QI-233/MicroG-4M-models"
    folders = shlex.split(tables[0])[2:]
    assert folders == [
        "output/zoo/JHMDB/SLOWFAST_32x2_R101_AVA",
        "output/zoo/MicroG/zero_shot/SLOWFAST_32x2_R101_AVA",
        "output/zoo/JHMDB/SLOW_8x8_AVA",
        "output/zoo/MicroG/zero_shot/SLOW_8x8_AVA",
    ]


def test_stale_cache_is_an_error_and_missing_models_are_counted(tmp_path, capsys):
    configs = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", configs)
    paper = ROOT / "docs" / "model_zoo" / "paper_results.yaml"
    cache = tmp_path / "complexity.json"
    shutil.copy(ROOT / "docs" / "model_zoo" / "complexity.json", cache)
    sample = configs / "MicroG" / "sample" / "SLOWFAST_8x8.yaml"
    sample.write_text(sample.read_text() + "RESNET:\n  WIDTH_PER_GROUP: 8\n")
    argv = ["--configs", str(configs), "--paper", str(paper), "--cache", str(cache)]
    out = ["--out", str(tmp_path / "ZOO.md")]
    assert make_model_zoo(argv + out, repo_root=ROOT) == 1
    err = capsys.readouterr().err
    assert "no cached parameter/FLOP counts" in err and "MicroG/sample/SLOWFAST_8x8.yaml" in err
    assert make_model_zoo(argv + out + ["--compute-missing"], repo_root=ROOT) == 0
    text = (tmp_path / "ZOO.md").read_text()
    row = next(line for line in text.splitlines() if "`MicroG/sample/SLOWFAST_8x8.yaml`" in line)
    # The narrow model: 8 channels per group instead of 64, far fewer parameters.
    params = int(row.split(" | ")[4].replace(",", ""))
    assert 0 < params < 1_000_000
    # The cache now holds the new model and only models some config uses.
    assert make_model_zoo(argv + out + ["--check"], repo_root=ROOT) == 0


@pytest.mark.parametrize("with_results", [False, True])
def test_results_column(tmp_path, with_results):
    run = tmp_path / "zoo" / "MicroG" / "I3D_8x8"
    run.mkdir(parents=True)
    (run / "json_stats.log").write_text(
        (ROOT / "tests" / "fixtures" / "zoo" / "I3D_8x8_R50_json_stats.log").read_text()
    )
    argv = ["--out", str(tmp_path / "ZOO.md")]
    if with_results:
        argv += ["--results", str(tmp_path / "zoo")]
    assert make_model_zoo(argv, repo_root=ROOT) == 0
    lines = (tmp_path / "ZOO.md").read_text().splitlines()
    row = next(line for line in lines if line.startswith("| `MicroG/I3D_8x8.yaml`"))
    assert row.endswith("| 46.41 / 88.79 |") == with_results
    assert ("Ours test mAP / AUROC" in "\n".join(lines)) == with_results


def test_a_config_outside_every_section_is_an_error(tmp_path, capsys):
    configs = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", configs)
    stray = configs / "MicroG" / "ablation" / "SLOW_8x8_long.yaml"
    stray.parent.mkdir()
    stray.write_text("_BASE_: ../SLOW_8x8.yaml\nSOLVER:\n  MAX_EPOCH: 60\n")
    argv = ["--configs", str(configs), "--out", str(tmp_path / "ZOO.md")]
    assert make_model_zoo(argv, repo_root=ROOT) == 1
    err = capsys.readouterr().err
    assert "MicroG/ablation/SLOW_8x8_long.yaml" in err and "lie in no model-zoo section" in err
    assert not (tmp_path / "ZOO.md").exists()


def test_ava_rows_name_the_kinetics_set_inside_the_ava_model():
    lines = ZOO.read_text().splitlines()
    rows = {config: line for line in lines for config in CONFIG.findall(line)}
    for config, kinetics in (
        ("MicroG/zero_shot/SLOW_8x8_AVA.yaml", "Kinetics 400"),
        ("JHMDB/SLOW_8x8_AVA.yaml", "Kinetics 400"),
        ("MicroG/zero_shot/SLOWFAST_32x2_R101_AVA.yaml", "Kinetics 600"),
        ("JHMDB/SLOWFAST_32x2_R101_AVA.yaml", "Kinetics 600"),
    ):
        assert rows[config].split(" | ")[6] == f"{kinetics}, inside the AVA model"
    assert rows["MicroG/SLOW_8x8.yaml"].split(" | ")[6] == "`SLOWONLY_8x8_R50.pkl`"
