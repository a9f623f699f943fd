"""configs/MicroG/*X3D*: load, validate, build, and agree with the authors' effective configs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from slowfast_microg.config import assert_and_infer_cfg, get_cfg, merge_from_file
from slowfast_microg.config.loader import all_keys
from slowfast_microg.models import MODEL_REGISTRY
from tests.models.checkpoint_fakes import FIXTURES

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "MicroG"
RUNS = {"X3D_S_13x6": ("X3D_S", 2_015_828), "X3D_L_16x5": ("X3D_L", 4_374_938)}
COMPARED_NODES = ("MODEL", "X3D", "RESNET", "NONLOCAL", "DETECTION", "DATA", "SOLVER", "BN")
COMPARED_KEYS = ("RNG_SEED", "NUM_GPUS", "TRAIN.BATCH_SIZE", "TEST.BATCH_SIZE")
# Keys whose values differ from the authors' on purpose (each is listed in the file header).
DELIBERATE = {
    "DATA.PATH_TO_DATA_DIR": "data/MicroG-HAR-train-ready",
    "MODEL.SINGLE_PATHWAY_ARCH": ["2d", "c2d", "i3d", "slow", "x3d", "mvit"],
}


def _value(cfg: object, key: str) -> object:
    for part in key.split("."):
        cfg = cfg[part]
    return cfg


def _load(path: Path) -> object:
    cfg = get_cfg()
    ignored = merge_from_file(cfg, path)
    assert ignored == [], f"{path.name} has keys outside the schema: {ignored}"
    return cfg


@pytest.mark.parametrize("name", sorted(RUNS))
def test_paper_config_matches_authors_model_data_solver_keys(name: str) -> None:
    ours = _load(CONFIGS / f"{name}.yaml")
    authors = get_cfg()
    merge_from_file(authors, FIXTURES / "configs" / "authors" / f"{RUNS[name][0]}.yaml")
    keys = [key for key in all_keys(ours) if key.split(".")[0] in COMPARED_NODES]
    keys += list(COMPARED_KEYS)
    differing = {key for key in keys if _value(ours, key) != _value(authors, key)}
    assert differing == set(DELIBERATE)
    for key, value in DELIBERATE.items():
        assert _value(ours, key) == value
    assert (
        Path(ours.TRAIN.CHECKPOINT_FILE_PATH)
        == Path("checkpoints/pretrained") / Path(authors.TRAIN.CHECKPOINT_FILE_PATH).name
    )
    for key in ("TRAIN.CHECKPOINT_EPOCH_RESET", "TRAIN.MIXED_PRECISION", "TRAIN.AUTO_RESUME"):
        assert _value(ours, key) == _value(authors, key), key
    assert (ours.AVA.FRAME_DIR, ours.AVA.FRAME_LIST_DIR, ours.AVA.ANNOTATION_DIR) == (
        "frames",
        "frame_lists",
        "annotations",
    )
    assert ours.TEST.CHECKPOINT_FILE_PATH == ""


@pytest.mark.parametrize("name", sorted(RUNS))
def test_configs_validate_and_build_the_paper_model(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    for path, warns in (
        (CONFIGS / f"{name}.yaml", True),
        (CONFIGS / "improved" / f"{name}.yaml", False),
    ):
        cfg = assert_and_infer_cfg(_load(path))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="slowfast_microg.models.x3d"):
            model = MODEL_REGISTRY.get(cfg.MODEL.MODEL_NAME)(cfg)
        assert sum(p.numel() for p in model.parameters()) == RUNS[name][1]
        assert bool(caplog.records) == warns, path


@pytest.mark.parametrize("name", sorted(RUNS))
def test_improved_config_only_fixes_the_roi_scale(name: str) -> None:
    paper = _load(CONFIGS / f"{name}.yaml")
    improved = _load(CONFIGS / "improved" / f"{name}.yaml")
    differing = {key for key in all_keys(paper) if _value(paper, key) != _value(improved, key)}
    assert differing == {"DETECTION.SPATIAL_SCALE_FACTOR", "OUTPUT_DIR"}
    assert (paper.DETECTION.SPATIAL_SCALE_FACTOR, improved.DETECTION.SPATIAL_SCALE_FACTOR) == (
        16,
        32,
    )


@pytest.mark.parametrize("name", sorted(RUNS))
def test_header_names_the_run_and_its_differences(name: str) -> None:
    header = (CONFIGS / f"{name}.yaml").read_text().split("_BASE_")[0]
    assert f"benchmark/evaluation_results/{RUNS[name][0]}/stdout.log" in header
    assert "Deliberate differences" in header
