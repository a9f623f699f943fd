"""Merging files and overrides: authors' dumps, _BASE_, unknown keys, types."""

import logging

import pytest

from slowfast_microg.config import (
    ConfigError,
    assert_and_infer_cfg,
    get_cfg,
    merge_from_file,
    merge_from_list,
)

AUTHORS_CONFIGS = [
    "C2D_8x8_R50",
    "C2D_NLN_8x8_R50",
    "I3D_8x8_R50",
    "I3D_NLN_8x8_R50",
    "SLOWONLY_8x8_R50",
    "SLOWONLY_4x16_R50",
    "SLOWFAST_8x8_R50",
    "SLOWFAST_4x16_R50",
    "MVIT_B_16x4",
    "MVITv2_S_16x4",
    "X3D_S",
    "X3D_L",
    "SLOW_8x8_R50_K400",
    "SLOWFAST_32x2_R101_K600",
]


@pytest.mark.parametrize("name", AUTHORS_CONFIGS)
def test_authors_config_loads_with_one_warning(name, fixtures_dir, caplog):
    cfg = get_cfg()
    with caplog.at_level(logging.WARNING, logger="slowfast_microg.config.loader"):
        ignored = merge_from_file(cfg, fixtures_dir / "configs" / "authors" / f"{name}.yaml")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "CONTRASTIVE" in ignored and "MASK" in ignored
    # Every ignored key is a known PySlowFast key: none is reported as a possible typo.
    assert "typos" not in warnings[0].getMessage()
    assert ("MODEL.BLIP2" in ignored) == (
        name in {"I3D_NLN_8x8_R50", "X3D_L", "SLOW_8x8_R50_K400", "SLOWFAST_32x2_R101_K600"}
    )
    # Values the schema knows are taken from the file.
    assert cfg.TRAIN.DATASET == "ava"
    assert cfg.MODEL.HEAD_ACT == "none"
    assert cfg.MODEL.NUM_CLASSES == (80 if name.endswith(("K400", "K600")) else 50)
    assert_and_infer_cfg(cfg)


def test_values_from_authors_file(fixtures_dir):
    cfg = get_cfg()
    merge_from_file(cfg, fixtures_dir / "configs" / "authors" / "MVITv2_S_16x4.yaml")
    assert cfg.MVIT.POOL_KV_STRIDE_ADAPTIVE == [1, 8, 8]
    assert cfg.MVIT.REL_POS_SPATIAL is True
    assert cfg.SOLVER.OPTIMIZING_METHOD == "adamw"
    assert cfg.SOLVER.CLIP_GRAD_L2NORM == 1.0
    assert cfg.DATA.NUM_FRAMES == 16 and cfg.DATA.SAMPLING_RATE == 4


def test_base_inheritance_and_relative_paths(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "Base.yaml").write_text(
        "SOLVER:\n  BASE_LR: 0.2\n  MAX_EPOCH: 7\nDATA:\n  NUM_FRAMES: 4\n"
    )
    (tmp_path / "child.yaml").write_text("_BASE_: base/Base.yaml\nSOLVER:\n  BASE_LR: 0.05\n")
    cfg = get_cfg()
    assert merge_from_file(cfg, tmp_path / "child.yaml") == []
    assert cfg.SOLVER.BASE_LR == 0.05
    assert cfg.SOLVER.MAX_EPOCH == 7
    assert cfg.DATA.NUM_FRAMES == 4


def test_file_typos_are_located_with_the_nearest_key(tmp_path, caplog):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "Base.yaml").write_text(
        "SOLVER:\n  BASE_LR: 0.2\n  MAX_EPOK: 7\nNUM_GPU: 2\n"
    )
    (tmp_path / "child.yaml").write_text(
        "_BASE_: base/Base.yaml\nSOLVR:\n  BASE_LR: 0.05\nDATA:\n  NUM_FRAMES: 4\n"
        "  DECODING_BACKEND: pyav\nMODEL:\n  BLIP2: {}\n"
    )
    cfg = get_cfg()
    with caplog.at_level(logging.WARNING, logger="slowfast_microg.config.loader"):
        ignored = merge_from_file(cfg, tmp_path / "child.yaml")
    assert ignored == [
        "SOLVER.MAX_EPOK",
        "NUM_GPU",
        "SOLVR",
        "DATA.DECODING_BACKEND",
        "MODEL.BLIP2",
    ]
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    message = record.getMessage()
    assert "5 key(s) outside the slowfast_microg schema were ignored" in message
    assert "3 of them are not PySlowFast keys either; check for typos" in message
    # Each typo is named with the file and line that set it and the nearest valid key.
    base, child = tmp_path / "base" / "Base.yaml", tmp_path / "child.yaml"
    assert f"{base}:3: SOLVER.MAX_EPOK. Did you mean SOLVER.MAX_EPOCH" in message
    assert f"{base}:4: NUM_GPU. Did you mean NUM_GPUS?" in message
    assert f"{child}:2: SOLVR. Did you mean SOLVER" in message
    # PySlowFast's own keys (and the authors' MODEL.BLIP2) are not called typos.
    assert "DECODING_BACKEND. Did" not in message and "BLIP2. Did" not in message
    # The known keys were still merged.
    assert (cfg.SOLVER.BASE_LR, cfg.DATA.NUM_FRAMES, cfg.NUM_GPUS) == (0.2, 4, 1)


def test_file_type_mismatch_names_file_and_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("DATA:\n  NUM_FRAMES: eight\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml.*NUM_FRAMES"):
        merge_from_file(get_cfg(), path)


def test_file_yaml_syntax_error_has_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("DATA:\n  NUM_FRAMES: [1, 2\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml.*line"):
        merge_from_file(get_cfg(), path)


def test_missing_file():
    with pytest.raises(ConfigError, match="not found"):
        merge_from_file(get_cfg(), "does/not/exist.yaml")


def test_override_unknown_key_suggests_nearest():
    with pytest.raises(ConfigError, match=r"SOLVER\.BASE_LRR.*Did you mean SOLVER\.BASE_LR"):
        merge_from_list(get_cfg(), ["SOLVER.BASE_LRR", "0.1"])
    with pytest.raises(ConfigError, match=r"Did you mean DATA\.NUM_FRAMES"):
        merge_from_list(get_cfg(), ["NUM_FRAMES", "4"])


def test_override_odd_count_and_type():
    with pytest.raises(ConfigError, match="odd number"):
        merge_from_list(get_cfg(), ["SOLVER.BASE_LR"])
    with pytest.raises(ConfigError, match="DATA.NUM_FRAMES"):
        merge_from_list(get_cfg(), ["DATA.NUM_FRAMES", "'four'"])


def test_override_int_for_float_and_lists():
    cfg = get_cfg()
    merge_from_list(
        cfg, ["SOLVER.BASE_LR", "1", "DATA.TRAIN_JITTER_SCALES", "[64, 80]", "MODEL.ARCH", "i3d"]
    )
    assert cfg.SOLVER.BASE_LR == 1.0 and isinstance(cfg.SOLVER.BASE_LR, float)
    assert list(cfg.DATA.TRAIN_JITTER_SCALES) == [64, 80]
    assert cfg.MODEL.ARCH == "i3d"
