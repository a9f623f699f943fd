"""configs/MicroG MViT files: load, validate, build, and equal the authors' effective config."""

import logging
from pathlib import Path

import pytest
import torch

from slowfast_microg.config import assert_and_infer_cfg, get_cfg, merge_from_file
from slowfast_microg.config.loader import all_keys
from slowfast_microg.models import MODEL_REGISTRY

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "MicroG"
# Our config file -> the authors' run it reproduces, its parameter count, and the file name of
# the pretrained weights the authors loaded (v1) or its model-zoo name (v2, renamed by them).
RUNS = {
    "MVITv1_B_16x4": ("MVIT_B_16x4", 36_341_522, "MVIT_B_16x4.pyth"),
    "MVITv2_S_16x4": ("MVITv2_S_16x4", 34_268_594, "MViTv2_S_16x4_k400_f302660347.pyth"),
}
# Keys allowed to differ from the authors' training dump, each justified in Base-MViT.yaml.
JUSTIFIED = {
    "NUM_GPUS",  # hardware; global batch kept, no BatchNorm in MViT
    "OUTPUT_DIR",  # relative run folder
    "TRAIN.CHECKPOINT_FILE_PATH",  # relative path, same file name or its model-zoo name
    "TEST.CHECKPOINT_FILE_PATH",  # the run's own checkpoints (the epoch is documented)
    "TEST.ENABLE",  # one command trains then tests
    "TRAIN.DATASET",  # "microg" is the same loader as the authors' "ava"
    "TEST.DATASET",
    "DATA.PATH_TO_DATA_DIR",  # relative data paths
    "AVA.FRAME_DIR",
    "AVA.FRAME_LIST_DIR",
    "AVA.ANNOTATION_DIR",
    "AVA.TEST_LISTS",  # val split moved to MICROG.VAL_* (checked below)
    "AVA.TEST_PREDICT_BOX_LISTS",
    "AVA.GROUNDTRUTH_FILE",
    "AVA.EXCLUSION_FILE",  # AVA's file, never applied by the authors' evaluation
    "MODEL.SINGLE_PATHWAY_ARCH",  # the authors' list also names "maskmvit"; unused here
}


def value(cfg, key):
    for part in key.split("."):
        cfg = cfg[part]
    return cfg


def load(path):
    cfg = get_cfg()
    ignored = merge_from_file(cfg, path)
    return cfg, ignored


def differing_keys(ours, theirs):
    return {k for k in all_keys(ours) if value(ours, k) != value(theirs, k)}


@pytest.mark.parametrize("improved", [False, True], ids=["paper", "improved"])
@pytest.mark.parametrize("name", sorted(RUNS))
def test_config_loads_validates_and_builds(name, improved, fixtures_dir, caplog):
    path = CONFIGS / ("improved" if improved else "") / f"{name}.yaml"
    cfg, ignored = load(path)
    assert ignored == []
    cfg = assert_and_infer_cfg(cfg)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="slowfast_microg.models.mvit"):
        with torch.device("meta"):  # the registry entry, without build_model's GPU placement
            model = MODEL_REGISTRY.get(cfg.MODEL.MODEL_NAME)(cfg)
    assert sum(p.numel() for p in model.parameters()) == RUNS[name][1]
    warned = any("SPATIAL_SCALE_FACTOR" in r.getMessage() for r in caplog.records)
    assert warned is not improved
    assert model.feature_strides == [32]
    assert cfg.DETECTION.SPATIAL_SCALE_FACTOR == (32 if improved else 16)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_paper_config_equals_authors_effective_config(name, fixtures_dir):
    ours, _ = load(CONFIGS / f"{name}.yaml")
    theirs, _ = load(fixtures_dir / "configs" / "authors" / f"{RUNS[name][0]}.yaml")
    differences = differing_keys(ours, theirs)
    assert differences <= JUSTIFIED, sorted(differences - JUSTIFIED)
    # The moved validation split is the authors' evaluation split during training.
    assert list(ours.MICROG.VAL_LISTS) == list(theirs.AVA.TEST_LISTS) == ["val.csv"]
    assert list(ours.MICROG.VAL_PREDICT_BOX_LISTS) == list(theirs.AVA.TEST_PREDICT_BOX_LISTS)
    assert ours.MICROG.VAL_GROUNDTRUTH_FILE == theirs.AVA.GROUNDTRUTH_FILE
    # Relative paths and the pretrained file.
    assert ours.DATA.PATH_TO_DATA_DIR == "data/MicroG-HAR-train-ready"
    assert (ours.AVA.FRAME_DIR, ours.AVA.FRAME_LIST_DIR, ours.AVA.ANNOTATION_DIR) == (
        "frames",
        "frame_lists",
        "annotations",
    )
    assert ours.TRAIN.CHECKPOINT_FILE_PATH == f"checkpoints/pretrained/{RUNS[name][2]}"
    assert list(ours.AVA.TEST_LISTS) == ["test.csv"]
    assert ours.AVA.GROUNDTRUTH_FILE == "ava_test_gt.csv"


@pytest.mark.parametrize("name", sorted(RUNS))
def test_improved_config_only_fixes_the_roi_scale(name):
    paper, _ = load(CONFIGS / f"{name}.yaml")
    improved, _ = load(CONFIGS / "improved" / f"{name}.yaml")
    assert differing_keys(improved, paper) == {"DETECTION.SPATIAL_SCALE_FACTOR", "OUTPUT_DIR"}
