"""Full-size models built from the authors' configs have PySlowFast's exact state dicts."""

import json

import pytest
import torch
from golden_utils import AUTHORS_CONFIGS, FIXTURES, PAPER_PARAMS, RESNET_FAMILY

from slowfast_microg.config import get_cfg, merge_from_file
from slowfast_microg.models import MODEL_REGISTRY
from slowfast_microg.models.complexity import params_count


def build_meta(name: str) -> torch.nn.Module:
    """Build the full-size model of the authors' config without allocating its weights."""
    cfg = get_cfg()
    merge_from_file(cfg, AUTHORS_CONFIGS / f"{name}.yaml")
    with torch.device("meta"):
        return MODEL_REGISTRY.get(cfg.MODEL.MODEL_NAME)(cfg)


@pytest.mark.parametrize("name", RESNET_FAMILY)
def test_state_dict_matches_manifest(name):
    manifest = json.loads((FIXTURES / "manifests" / f"{name}.json").read_text())
    model = build_meta(name)
    ours = [
        [key, list(value.shape), str(value.dtype).removeprefix("torch.")]
        for key, value in model.state_dict().items()
    ]
    expected = manifest["state_dict"]
    missing = {e[0] for e in expected} - {o[0] for o in ours}
    unexpected = {o[0] for o in ours} - {e[0] for e in expected}
    assert not missing and not unexpected, (sorted(missing)[:5], sorted(unexpected)[:5])
    assert ours == expected
    assert params_count(model) == manifest["params"] == manifest["params_log"]
    assert params_count(model) == PAPER_PARAMS[name]
    # res5 has stride 1 and dilation 2: every pathway's head input has stride 16.
    assert model.feature_strides == [16] * (2 if "SLOWFAST" in name else 1)


# Table 1 of the paper, parameters in millions, by the authors' run name.
TABLE_1_MILLIONS = {
    "C2D_8x8_R50": 23.61,
    "C2D_NLN_8x8_R50": 30.97,
    "I3D_8x8_R50": 27.33,
    "I3D_NLN_8x8_R50": 34.68,
    "SLOWONLY_8x8_R50": 31.74,
    "SLOWONLY_4x16_R50": 31.74,
    "SLOWFAST_8x8_R50": 33.76,
    "SLOWFAST_4x16_R50": 33.76,
    "MVIT_B_16x4": 36.34,
    "MVITv2_S_16x4": 34.27,
    "X3D_S": 2.02,
    "X3D_L": 4.37,
}
# The other two manifest families and the test modules that compare them key by key.
OTHER_FAMILIES = {
    "MVIT_B_16x4": "test_mvit_manifest.py",
    "MVITv2_S_16x4": "test_mvit_manifest.py",
    "X3D_S": "test_x3d.py",
    "X3D_L": "test_x3d.py",
}


def test_every_manifest_is_compared_and_table1_counts_hold():
    manifests = {path.stem: path for path in (FIXTURES / "manifests").glob("*.json")}
    assert set(manifests) == set(RESNET_FAMILY) | set(OTHER_FAMILIES)
    assert len(manifests) == 14
    here = FIXTURES.parent / "models"
    for name, module in OTHER_FAMILIES.items():
        assert f'"{name}"' in (here / module).read_text(), (name, module)
    for name, millions in TABLE_1_MILLIONS.items():
        manifest = json.loads(manifests[name].read_text())
        assert round(manifest["params"] / 1e6, 2) == millions, name
        assert manifest["params"] == manifest.get("params_log", manifest["params"])
