"""Full-size MViT v1-B and v2-S from the authors' configs: PySlowFast's state dict and counts."""

import json
import logging

import pytest
import torch

from slowfast_microg.config import assert_and_infer_cfg, get_cfg, merge_from_file
from slowfast_microg.models import MODEL_REGISTRY, build_model
from slowfast_microg.models.mvit import MViT

# Parameter counts logged by the authors' runs (and Table 1: 36.34M, 34.27M).
EXPECTED_PARAMS = {"MVIT_B_16x4": 36_341_522, "MVITv2_S_16x4": 34_268_594}


def authors_cfg(fixtures_dir, name):
    cfg = get_cfg()
    merge_from_file(cfg, fixtures_dir / "configs" / "authors" / f"{name}.yaml")
    cfg.NUM_GPUS = 0
    return assert_and_infer_cfg(cfg)


@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMS))
def test_state_dict_matches_manifest(name, fixtures_dir):
    manifest = json.loads((fixtures_dir / "manifests" / f"{name}.json").read_text())
    with torch.device("meta"):
        model = build_model(authors_cfg(fixtures_dir, name))
    assert isinstance(model, MViT)
    ours = [
        [key, list(value.shape), str(value.dtype).removeprefix("torch.")]
        for key, value in model.state_dict().items()
    ]
    assert ours == manifest["state_dict"]  # keys, order, shapes and dtypes
    params = sum(p.numel() for p in model.parameters())
    assert params == manifest["params"] == EXPECTED_PARAMS[name]
    assert model.feature_strides == [32]


@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMS))
def test_builder_warns_about_roi_scale(name, fixtures_dir, caplog):
    cfg = authors_cfg(fixtures_dir, name)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="slowfast_microg.models.mvit"):
        with torch.device("meta"):
            build_model(cfg)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(messages) == 1
    assert "SPATIAL_SCALE_FACTOR is 16" in messages[0] and "stride 32" in messages[0]
    cfg.defrost()
    cfg.DETECTION.SPATIAL_SCALE_FACTOR = 32
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="slowfast_microg.models.mvit"):
        with torch.device("meta"):
            build_model(cfg)
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


def test_registry_name_is_case_insensitive():
    assert MODEL_REGISTRY.get("MViT") is MODEL_REGISTRY.get("mvit")
