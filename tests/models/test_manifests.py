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
