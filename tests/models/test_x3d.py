"""X3D detector: PySlowFast goldens (through the checkpoint loader), layout, head, options."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import torch

from slowfast_microg.config import ConfigError, get_cfg, merge_from_file
from slowfast_microg.models import MODEL_REGISTRY
from slowfast_microg.models.checkpoint import load_checkpoint
from slowfast_microg.models.x3d import X3D
from slowfast_microg.models.x3d_blocks import round_width
from tests.models.checkpoint_fakes import FIXTURES

TOLERANCE = 1e-4
MODELS = ["X3D_S", "X3D_L"]


def _rel_err(value: np.ndarray, reference: np.ndarray) -> float:
    return float(np.abs(value - reference).max() / max(1.0, np.abs(reference).max()))


class GoldenRun:
    """A golden model loaded through the checkpoint loader, and its outputs on the inputs."""

    def __init__(self, name: str) -> None:
        folder = FIXTURES / "goldens" / name
        cfg = get_cfg()
        merge_from_file(cfg, folder / "config.yaml")
        torch.manual_seed(123)
        self.model = MODEL_REGISTRY.get(cfg.MODEL.MODEL_NAME)(cfg)
        self.report = load_checkpoint(folder / "checkpoint.pyth", self.model)
        self.model.eval()
        self.data = dict(np.load(folder / "io.npz"))
        with torch.no_grad():
            self.single = self._run("input_0", "boxes")
            self.batch = self._run("batch2_input_0", "batch2_boxes")

    def _run(self, clip: str, boxes: str) -> np.ndarray:
        out = self.model([torch.from_numpy(self.data[clip])], torch.from_numpy(self.data[boxes]))
        return out.numpy()


@pytest.fixture(scope="module", params=MODELS)
def golden(request: pytest.FixtureRequest) -> GoldenRun:
    return GoldenRun(request.param)


def test_golden_checkpoint_loads_strictly(golden: GoldenRun) -> None:
    report = golden.report
    assert report.missing == report.skipped == report.unexpected == []
    assert len(report.loaded) == report.source_keys == len(golden.model.state_dict())


def test_matches_pyslowfast_golden(golden: GoldenRun) -> None:
    data = golden.data
    assert golden.single.shape == data["output"].shape
    assert _rel_err(golden.single, data["output"]) <= TOLERANCE
    assert _rel_err(golden.single, data["output_f64"]) <= TOLERANCE
    assert _rel_err(golden.batch, data["batch2_output"]) <= TOLERANCE
    assert _rel_err(golden.batch, data["batch2_output_f64"]) <= TOLERANCE
    assert _rel_err(golden.batch[[1, 2, 4]], data["output"]) <= TOLERANCE


def test_box_outside_the_stride16_map_scores_the_bias(golden: GoldenRun) -> None:
    """Scale 1/16 on a stride-32 map puts the corner box of clip 1 fully outside the map."""
    bias = golden.model.head.projection.bias.detach().numpy()
    np.testing.assert_allclose(golden.batch[0], bias, rtol=0, atol=1e-6)
    np.testing.assert_allclose(golden.data["batch2_output"][0], bias, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_full_size_layout_equals_pyslowfast_manifest(name: str) -> None:
    manifest = json.loads((FIXTURES / "manifests" / f"{name}.json").read_text())
    cfg = get_cfg()
    merge_from_file(cfg, FIXTURES / "configs" / "authors" / f"{name}.yaml")
    model = MODEL_REGISTRY.get("X3D")(cfg)
    layout = [
        [key, list(value.shape), str(value.dtype).removeprefix("torch.")]
        for key, value in model.state_dict().items()
    ]
    assert layout == manifest["state_dict"]  # keys, order, shapes and dtypes
    params = sum(p.numel() for p in model.parameters())
    assert params == manifest["params"] == {"X3D_S": 2_015_828, "X3D_L": 4_374_938}[name]
    head = [key for key in model.state_dict() if key.startswith("head.")]
    assert head == ["head.projection.weight", "head.projection.bias"]
    assert model.head.projection.in_features == 192


def test_round_width_matches_x3d_widths() -> None:
    assert [round_width(w, 2.0) for w in (12, 24, 48, 96)] == [24, 48, 96, 192]
    assert round_width(432, 0.0625) == 32  # 27 rounds to 24 (< 90 %), so one divisor is added
    assert round_width(54, 0.0625) == 8


def _small(**overrides: object) -> X3D:
    options = dict(num_classes=5, dim_c1=4, depth_factor=1.0, dropout_rate=0.0)
    options.update(overrides)
    return X3D(**options)


def test_feature_stride_and_scale_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="slowfast_microg.models.x3d"):
        model = _small(spatial_scale_factor=16)
    assert model.feature_strides == [32]
    assert any("stride 32" in record.getMessage() for record in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="slowfast_microg.models.x3d"):
        _small(spatial_scale_factor=32)
    assert not caplog.records


def test_true_stride_feature_map() -> None:
    model = _small(spatial_scale_factor=32).eval()
    clip = torch.randn(1, 3, 2, 64, 96)
    with torch.no_grad():
        features = model.s5(model.s4(model.s3(model.s2(model.s1([clip])))))
    assert features[0].shape == (1, 64, 2, 64 // 32, 96 // 32)


@pytest.mark.parametrize("act", ["none", "sigmoid", "softmax"])
def test_head_activation(act: str) -> None:
    torch.manual_seed(0)
    model = _small(head_act=act).eval()
    logits_model = _small(head_act="none").eval()
    logits_model.load_state_dict(model.state_dict())
    clip = torch.randn(1, 3, 2, 32, 32)
    boxes = torch.tensor([[0.0, 2, 2, 30, 30], [0.0, 5, 10, 15, 25]])
    with torch.no_grad():
        out, logits = model([clip], boxes), logits_model([clip], boxes)
    expected = {"none": logits, "sigmoid": logits.sigmoid(), "softmax": logits.softmax(dim=1)}
    torch.testing.assert_close(out, expected[act])


def test_drop_connect_only_in_training() -> None:
    torch.manual_seed(0)
    model = _small(drop_connect_rate=0.5, zero_init_final_bn=False)
    clip = torch.randn(4, 3, 2, 32, 32)
    boxes = torch.tensor([[float(i), 2, 2, 30, 30] for i in range(4)])
    model.eval()
    with torch.no_grad():
        first, second = model([clip], boxes), model([clip], boxes)
    assert torch.equal(first, second)
    rates = [block.drop_connect_rate for block in model.s5.children()]
    assert rates and all(rate == pytest.approx(0.5 * 5 / 5) for rate in rates)
    assert model.s2.pathway0_res0.drop_connect_rate == pytest.approx(0.5 * 2 / 5)
    model.train()
    torch.manual_seed(1)
    with torch.no_grad():
        noisy = model([clip], boxes)
    assert not torch.allclose(noisy, model([clip], boxes))


def test_channelwise_switch_changes_groups() -> None:
    grouped = _small(channelwise_3x3x3=False, num_groups=2)
    conv = grouped.s2.pathway0_res0.branch2.b
    assert conv.groups == 2
    assert _small().s2.pathway0_res0.branch2.b.groups == conv.out_channels


def test_zero_init_final_bn() -> None:
    model = _small(zero_init_final_bn=True)
    assert torch.count_nonzero(model.s3.pathway0_res1.branch2.c_bn.weight) == 0
    assert torch.all(model.s3.pathway0_res1.branch2.b_bn.weight == 1)


def test_sync_batchnorm_keeps_the_state_dict_layout() -> None:
    cfg = _x3d_cfg()
    plain = MODEL_REGISTRY.get("X3D")(cfg)
    cfg.BN.NORM_TYPE = "sync_batchnorm"
    synced = MODEL_REGISTRY.get("X3D")(cfg)
    assert isinstance(synced.s1.pathway0_stem.bn, torch.nn.SyncBatchNorm)
    assert list(synced.state_dict()) == list(plain.state_dict())


def _x3d_cfg() -> object:
    cfg = get_cfg()
    merge_from_file(cfg, FIXTURES / "goldens" / "X3D_S" / "config.yaml")
    return cfg


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("MODEL.ARCH", "i3d", "MODEL.ARCH x3d"),
        ("RESNET.TRANS_FUNC", "bottleneck_transform", "x3d_transform"),
        ("DATA.INPUT_CHANNEL_NUM", [3, 3], "one pathway"),
        ("NONLOCAL.LOCATION", [[[0]], [[]], [[]], [[]]], "Non-local"),
    ],
)
def test_unsupported_settings_are_named(key: str, value: object, message: str) -> None:
    cfg = _x3d_cfg()
    node, leaf = key.split(".")
    cfg[node][leaf] = value
    with pytest.raises(ConfigError, match=message):
        MODEL_REGISTRY.get("X3D")(cfg)
