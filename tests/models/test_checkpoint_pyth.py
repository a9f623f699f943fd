"""PyTorch ``.pyth`` checkpoints: prefixes, head replacement, training state, errors, reports."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
from torch import nn

from slowfast_microg.models.checkpoint import CheckpointError, LoadReport, load_checkpoint


class SmallNet(nn.Module):
    """Conv + BN + linear head with PySlowFast-style names."""

    def __init__(self, num_classes: int = 50) -> None:
        super().__init__()
        self.s1 = nn.Module()
        self.s1.conv = nn.Conv3d(3, 4, kernel_size=3, bias=False)
        self.s1.bn = nn.BatchNorm3d(4)
        self.head = nn.Module()
        self.head.projection = nn.Linear(4, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.s1.bn(self.s1.conv(x)).mean(dim=(2, 3, 4))
        return self.head.projection(x)


def _randomised(model: nn.Module, seed: int) -> nn.Module:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(torch.randn(tensor.shape, generator=generator))
    return model


def _save(path: Path, **content: object) -> Path:
    torch.save(content, path)
    return path


def _assert_same_state(left: nn.Module, right: nn.Module, *, skip: str = "\0") -> None:
    for key, value in left.state_dict().items():
        if not key.startswith(skip):
            assert torch.equal(value, right.state_dict()[key]), key


def test_checkpoint_loads_every_tensor(tmp_path: Path) -> None:
    source = _randomised(SmallNet(), seed=0)
    path = _save(tmp_path / "a.pyth", epoch=4, model_state=source.state_dict())
    model = SmallNet()
    report = load_checkpoint(path, model)
    _assert_same_state(source, model)
    assert report.epoch == 4
    assert sorted(report.loaded) == sorted(source.state_dict())
    assert report.skipped == report.missing == report.unexpected == []
    assert report.source_keys == len(source.state_dict())


def test_module_prefix_from_a_ddp_run_is_removed(tmp_path: Path) -> None:
    source = _randomised(SmallNet(), seed=1)
    state = {f"module.{key}": value for key, value in source.state_dict().items()}
    path = _save(tmp_path / "ddp.pyth", epoch=0, model_state=state)
    model = SmallNet()
    report = load_checkpoint(path, model)
    _assert_same_state(source, model)
    assert report.missing == report.unexpected == []


def test_clear_name_patterns_remove_first_occurrence(tmp_path: Path) -> None:
    source = _randomised(SmallNet(), seed=2)
    state = {f"backbone.{key}": value for key, value in source.state_dict().items()}
    path = _save(tmp_path / "named.pyth", model_state=state)
    model = SmallNet()
    report = load_checkpoint(path, model, clear_name_patterns=["backbone."])
    _assert_same_state(source, model)
    assert report.unexpected == []


def test_ddp_wrapped_model_is_loaded_through_module(tmp_path: Path) -> None:
    source = _randomised(SmallNet(), seed=3)
    path = _save(tmp_path / "plain.pyth", model_state=source.state_dict())
    wrapped = nn.DataParallel(SmallNet())
    report = load_checkpoint(path, wrapped)
    _assert_same_state(source, wrapped.module)
    assert report.missing == []


def test_400_class_head_is_skipped_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = _randomised(SmallNet(num_classes=400), seed=4)
    path = _save(tmp_path / "k400.pyth", epoch=10, model_state=source.state_dict())
    model = SmallNet(num_classes=50)
    head_before = model.head.projection.weight.clone()
    with caplog.at_level(logging.INFO, logger="slowfast_microg.models.checkpoint"):
        report = load_checkpoint(path, model, epoch_reset=True)
    assert sorted(report.skipped) == [
        ("head.projection.bias", (400,), (50,)),
        ("head.projection.weight", (400, 4), (50, 4)),
    ]
    assert report.missing == [] and report.beyond_head() == []
    assert torch.equal(model.head.projection.weight, head_before)
    _assert_same_state(source, model, skip="head.")
    assert report.epoch == -1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    summary = report.summary()
    assert "skipped (shape mismatch): 2" in summary
    assert "head.projection.weight: checkpoint (400, 4) vs model (50, 4)" in summary


def test_missing_backbone_tensors_warn_loudly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = _randomised(SmallNet(), seed=5).state_dict()
    del state["s1.conv.weight"]
    path = _save(tmp_path / "partial.pyth", model_state=state)
    with caplog.at_level(logging.WARNING, logger="slowfast_microg.models.checkpoint"):
        report = load_checkpoint(path, SmallNet())
    assert report.missing == ["s1.conv.weight"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "s1.conv.weight" in warnings[0]
    assert "NOT loaded" in warnings[0]


class RecordingScaler:
    """Stands in for an AMP grad scaler: records the state it is given."""

    def __init__(self) -> None:
        self.state: dict | None = None

    def load_state_dict(self, state: dict) -> None:
        self.state = state


def _trained_optimizer(model: nn.Module) -> torch.optim.Optimizer:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 3, 4, 4, 4)).sum().backward()
    optimizer.step()
    return optimizer


def test_epoch_optimizer_and_scaler_are_restored(tmp_path: Path) -> None:
    torch.manual_seed(0)
    source = SmallNet()
    optimizer = _trained_optimizer(source)
    path = _save(
        tmp_path / "checkpoint_epoch_00008.pyth",
        epoch=7,
        model_state=source.state_dict(),
        optimizer_state=optimizer.state_dict(),
        scaler_state={"scale": 1024.0},
    )
    model = SmallNet()
    fresh = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    scaler = RecordingScaler()
    report = load_checkpoint(path, model, optimizer=fresh, scaler=scaler)
    assert report.epoch == 7
    assert fresh.param_groups[0]["lr"] == 0.1
    restored = [fresh.state[p]["momentum_buffer"] for p in model.parameters()]
    original = [optimizer.state[p]["momentum_buffer"] for p in source.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(restored, original, strict=True))
    assert scaler.state == {"scale": 1024.0}


def test_epoch_reset_keeps_fresh_training_state(tmp_path: Path) -> None:
    source = SmallNet()
    optimizer = _trained_optimizer(source)
    path = _save(
        tmp_path / "c.pyth",
        epoch=7,
        model_state=source.state_dict(),
        optimizer_state=optimizer.state_dict(),
    )
    model = SmallNet()
    fresh = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    report = load_checkpoint(path, model, optimizer=fresh, epoch_reset=True)
    assert report.epoch == -1
    assert fresh.param_groups[0]["lr"] == 0.5 and not fresh.state


def test_truncated_file_names_the_file(tmp_path: Path) -> None:
    path = _save(tmp_path / "cut.pyth", epoch=1, model_state=SmallNet().state_dict())
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(CheckpointError, match="truncated or corrupt") as info:
        load_checkpoint(path, SmallNet())
    assert str(path) in str(info.value)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="not found.*nothing.pyth"):
        load_checkpoint(tmp_path / "nothing.pyth", SmallNet())


class Payload:
    """A custom class that weights-only loading must refuse."""


def test_python_objects_are_refused(tmp_path: Path) -> None:
    path = _save(tmp_path / "obj.pyth", model_state=SmallNet().state_dict(), extra=Payload())
    with pytest.raises(CheckpointError, match="weights_only"):
        load_checkpoint(path, SmallNet())


def test_unrelated_checkpoint_is_an_error(tmp_path: Path) -> None:
    path = _save(tmp_path / "other.pyth", model_state={"encoder.weight": torch.zeros(3)})
    with pytest.raises(CheckpointError, match="none of its 1 tensors fits"):
        load_checkpoint(path, SmallNet())


def test_file_without_model_state_is_explained(tmp_path: Path) -> None:
    path = _save(tmp_path / "odd.pyth", weights=[1, 2], note="x")
    with pytest.raises(CheckpointError, match="no 'model_state'"):
        load_checkpoint(path, SmallNet())


def test_unknown_checkpoint_type() -> None:
    with pytest.raises(ValueError, match="checkpoint_type"):
        load_checkpoint("x.pyth", SmallNet(), checkpoint_type="onnx")


def test_summary_has_one_line_per_category() -> None:
    report = LoadReport(
        epoch=3,
        loaded=["a"],
        skipped=[("head.projection.weight", (400, 8), (50, 8))],
        missing=[f"m{i}" for i in range(7)],
        unexpected=["u"],
        path="ckpt.pyth",
    )
    lines = report.summary().splitlines()
    assert lines[0] == "Checkpoint ckpt.pyth: 0 tensors, epoch 3"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "loaded",
        "skipped (shape mismatch)",
        "missing (kept their initialisation)",
        "unexpected (not in the model)",
        "resized",
        "inflated 2D->3D",
    ]
    assert "m0, m1, m2, m3, m4, ... (+2 more)" in lines[3]
    assert report.beyond_head() == [f"m{i}" for i in range(7)]
