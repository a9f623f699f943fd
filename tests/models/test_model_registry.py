"""MODEL_REGISTRY names for the ResNet family and errors for names and architectures."""

import pytest
from tiny_models import tiny_config

from slowfast_microg.models import MODEL_REGISTRY, build_model
from slowfast_microg.models.video_resnet import ResNet, SlowFast


def test_pyslowfast_names_resolve_case_insensitively():
    assert MODEL_REGISTRY.get("ResNet") is ResNet
    assert MODEL_REGISTRY.get("resnet") is ResNet
    assert MODEL_REGISTRY.get("SLOWFAST") is SlowFast


def test_unknown_name_lists_the_registered_models():
    with pytest.raises(KeyError) as error:
        MODEL_REGISTRY.get("SlowFastt")
    message = str(error.value)
    assert "SlowFastt" in message and "ResNet" in message and "SlowFast" in message


@pytest.mark.parametrize(
    "row, model_class, arch",
    [
        ("C2D_8x8.yaml", ResNet, "c2d"),
        ("I3D_8x8.yaml", ResNet, "i3d"),
        ("SLOW_8x8.yaml", ResNet, "slow"),
    ]
    + [("SLOWFAST_8x8.yaml", SlowFast, "slowfast")],
)
def test_build_model_selects_class_by_model_name(row, model_class, arch):
    cfg = tiny_config(row)
    assert cfg.MODEL.ARCH == arch
    assert type(build_model(cfg)) is model_class


@pytest.mark.parametrize(
    "row, opts",
    [
        ("SLOW_8x8.yaml", ["MODEL.MODEL_NAME", "SlowFast"]),
        ("SLOWFAST_8x8.yaml", ["MODEL.MODEL_NAME", "ResNet"]),
        ("SLOW_8x8.yaml", ["MODEL.ARCH", "x3d"]),
    ],
)
def test_architecture_the_model_cannot_build_is_explained(row, opts):
    with pytest.raises(ValueError, match="MODEL.ARCH .* cannot be built by MODEL.MODEL_NAME"):
        build_model(tiny_config(row, opts))
