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
# Keys whose values differ from the authors' on purpose (each is listed in the file header);
# the authors' path-like values are checked separately below.
DELIBERATE = {
    "DATA.PATH_TO_DATA_DIR": "data/MicroG-HAR-train-ready",
    "MODEL.SINGLE_PATHWAY_ARCH": ["2d", "c2d", "i3d", "slow", "x3d", "mvit"],
    "OUTPUT_DIR": None,
    "TRAIN.CHECKPOINT_FILE_PATH": None,
    "TEST.CHECKPOINT_FILE_PATH": "",
    "TEST.ENABLE": True,
    "TRAIN.DATASET": "microg",
    "TEST.DATASET": "microg",
    "AVA.FRAME_DIR": "frames",
    "AVA.FRAME_LIST_DIR": "frame_lists",
    "AVA.ANNOTATION_DIR": "annotations",
    "AVA.TEST_LISTS": ["test.csv"],
    "AVA.TEST_PREDICT_BOX_LISTS": ["ava_test_predicted_boxes.csv"],
    "AVA.GROUNDTRUTH_FILE": "ava_test_gt.csv",
    "AVA.EXCLUSION_FILE": "",
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
def test_paper_config_equals_authors_effective_config(name: str) -> None:
    """Every key of our schema equals the authors' dump except the documented differences."""
    ours = _load(CONFIGS / f"{name}.yaml")
    authors = get_cfg()
    merge_from_file(authors, FIXTURES / "configs" / "authors" / f"{RUNS[name][0]}.yaml")
    keys = all_keys(ours)
    assert len(keys) > 150
    differing = {key for key in keys if _value(ours, key) != _value(authors, key)}
    assert differing == set(DELIBERATE)
    for key, value in DELIBERATE.items():
        if value is not None:
            assert _value(ours, key) == value, key
    assert ours.OUTPUT_DIR == f"output/{name}"
    assert (
        Path(ours.TRAIN.CHECKPOINT_FILE_PATH)
        == Path("checkpoints/pretrained") / Path(authors.TRAIN.CHECKPOINT_FILE_PATH).name
    )
    # The authors evaluated on the val split during training: MICROG.VAL_* holds it here.
    assert list(ours.MICROG.VAL_LISTS) == list(authors.AVA.TEST_LISTS) == ["val.csv"]
    assert list(ours.MICROG.VAL_PREDICT_BOX_LISTS) == list(authors.AVA.TEST_PREDICT_BOX_LISTS)
    assert ours.MICROG.VAL_GROUNDTRUTH_FILE == authors.AVA.GROUNDTRUTH_FILE


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
