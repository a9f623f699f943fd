"""Which checkpoint a run loads, loading it from a config, and zero-shot class selection."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from slowfast_microg.config import get_cfg, merge_from_file
from slowfast_microg.models import MODEL_REGISTRY
from slowfast_microg.models.checkpoint import (
    SelectClasses,
    choose_checkpoint,
    last_checkpoint,
    load_cfg_checkpoint,
    select_class_columns,
)
from tests.models.checkpoint_fakes import FIXTURES

GOLDEN = FIXTURES / "goldens" / "X3D_S"
# The 50 MicroG-4M label ids (original AVA ids) of the dataset's label_map.pbtxt.
MICROG_IDS = [
    1, 3, 5, 6, 7, 8, 9, 10, 11, 12, 14, 17, 20, 22, 24, 26, 27, 28, 29, 30, 34, 36, 38, 41,
    43, 45, 46, 47, 48, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 72, 74,
    76, 78, 79, 80,
]  # fmt: skip


def _cfg(tmp_path: Path, **values: object) -> object:
    cfg = get_cfg()
    cfg.OUTPUT_DIR = str(tmp_path / "run")
    for key, value in values.items():
        node, leaf = key.split("__")
        cfg[node][leaf] = value
    return cfg


def _write_run_checkpoints(tmp_path: Path, epochs: list[int]) -> list[Path]:
    folder = tmp_path / "run" / "checkpoints"
    folder.mkdir(parents=True)
    paths = [folder / f"checkpoint_epoch_{epoch:05d}.pyth" for epoch in epochs]
    for path in paths:
        path.write_bytes(b"")
    return paths


def test_last_checkpoint_is_the_highest_epoch(tmp_path: Path) -> None:
    assert last_checkpoint(tmp_path / "run") is None
    paths = _write_run_checkpoints(tmp_path, [5, 40, 35])
    (paths[0].parent / "checkpoint_epoch_00099.pyth.tmp").write_bytes(b"")
    (paths[0].parent / "notes.txt").write_bytes(b"")
    assert last_checkpoint(tmp_path / "run") == str(paths[1])


def test_test_split_order(tmp_path: Path) -> None:
    run_last = str(tmp_path / "run" / "checkpoints" / "checkpoint_epoch_00020.pyth")
    cfg = _cfg(
        tmp_path,
        TEST__CHECKPOINT_FILE_PATH="best.pkl",
        TEST__CHECKPOINT_TYPE="caffe2",
        TRAIN__CHECKPOINT_FILE_PATH="k400.pyth",
    )
    choice = choose_checkpoint(cfg, split="test", last_in_output_dir=run_last)
    assert (choice.path, choice.checkpoint_type, choice.source) == (
        "best.pkl",
        "caffe2",
        "TEST.CHECKPOINT_FILE_PATH",
    )
    cfg.TEST.CHECKPOINT_FILE_PATH = ""
    choice = choose_checkpoint(cfg, split="test", last_in_output_dir=run_last)
    assert (choice.path, choice.checkpoint_type, choice.source) == (
        run_last,
        "pytorch",
        "OUTPUT_DIR",
    )
    choice = choose_checkpoint(cfg, split="test", last_in_output_dir=None)
    assert (choice.path, choice.source) == ("k400.pyth", "TRAIN.CHECKPOINT_FILE_PATH")
    cfg.TRAIN.CHECKPOINT_FILE_PATH = ""
    assert choose_checkpoint(cfg, split="test", last_in_output_dir=None) is None


def test_train_split_resumes_before_initialising(tmp_path: Path) -> None:
    cfg = _cfg(
        tmp_path,
        TRAIN__CHECKPOINT_FILE_PATH="C2D.pkl",
        TRAIN__CHECKPOINT_TYPE="caffe2",
        TRAIN__CHECKPOINT_INFLATE=True,
        TRAIN__CHECKPOINT_EPOCH_RESET=True,
        TRAIN__CHECKPOINT_CLEAR_NAME_PATTERN=["module."],
        TRAIN__CHECKPOINT_IN_INIT=True,
    )
    resumed = choose_checkpoint(cfg, split="train", last_in_output_dir="run/last.pyth")
    assert (resumed.path, resumed.source, resumed.inflate, resumed.epoch_reset) == (
        "run/last.pyth",
        "OUTPUT_DIR",
        False,
        False,
    )
    cfg.TRAIN.AUTO_RESUME = False
    initial = choose_checkpoint(cfg, split="train", last_in_output_dir="run/last.pyth")
    assert initial.path == "C2D.pkl" and initial.checkpoint_type == "caffe2"
    assert initial.inflate and initial.epoch_reset and initial.image_init
    assert initial.clear_name_patterns == ("module.",)
    cfg.TRAIN.CHECKPOINT_FILE_PATH = ""
    assert choose_checkpoint(cfg, split="train", last_in_output_dir=None) is None
    with pytest.raises(ValueError, match="split"):
        choose_checkpoint(cfg, split="val", last_in_output_dir=None)


def _golden_model() -> tuple[object, nn.Module]:
    cfg = get_cfg()
    merge_from_file(cfg, GOLDEN / "config.yaml")
    return cfg, MODEL_REGISTRY.get(cfg.MODEL.MODEL_NAME)(cfg).eval()


def test_cfg_test_checkpoint_reproduces_golden(tmp_path: Path) -> None:
    cfg, model = _golden_model()
    cfg.OUTPUT_DIR = str(tmp_path / "run")
    cfg.TEST.CHECKPOINT_FILE_PATH = str(GOLDEN / "checkpoint.pyth")
    report = load_cfg_checkpoint(cfg, model, split="test")
    assert len(report.loaded) == 561 and report.missing == []
    data = np.load(GOLDEN / "io.npz")
    with torch.no_grad():
        out = model([torch.from_numpy(data["input_0"])], torch.from_numpy(data["boxes"]))
    reference = data["output"]
    err = np.abs(out.numpy() - reference).max() / max(1.0, np.abs(reference).max())
    assert err <= 1e-4


def test_cfg_without_any_checkpoint_warns_for_testing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg, model = _golden_model()
    cfg.OUTPUT_DIR = str(tmp_path / "empty_run")
    cfg.TEST.CHECKPOINT_FILE_PATH = ""
    cfg.TRAIN.CHECKPOINT_FILE_PATH = ""
    with caplog.at_level(logging.WARNING):
        assert load_cfg_checkpoint(cfg, model, split="test") is None
    assert any("RANDOMLY INITIALISED" in record.getMessage() for record in caplog.records)


def test_cfg_training_resumes_epoch_and_optimizer(tmp_path: Path) -> None:
    cfg, model = _golden_model()
    cfg.OUTPUT_DIR = str(tmp_path / "run")
    state = torch.load(GOLDEN / "checkpoint.pyth", weights_only=True)
    saved_optimizer = torch.optim.SGD(model.parameters(), lr=0.0125, momentum=0.9)
    folder = tmp_path / "run" / "checkpoints"
    folder.mkdir(parents=True)
    torch.save(
        {
            "epoch": 11,
            "model_state": state["model_state"],
            "optimizer_state": saved_optimizer.state_dict(),
        },
        folder / "checkpoint_epoch_00012.pyth",
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    report = load_cfg_checkpoint(cfg, model, split="train", optimizer=optimizer)
    assert report.epoch == 11
    assert optimizer.param_groups[0]["lr"] == 0.0125


def test_microg_columns_of_an_ava_model() -> None:
    ava_ids = list(range(1, 81))
    columns = select_class_columns(ava_ids, MICROG_IDS)
    assert columns == [label - 1 for label in MICROG_IDS]
    assert select_class_columns(list(reversed(ava_ids)), [80, 1]) == [0, 79]
    with pytest.raises(ValueError, match="not classes of the source model: \\[81\\]"):
        select_class_columns(ava_ids, [3, 81])
    with pytest.raises(ValueError, match="duplicate"):
        select_class_columns(ava_ids, [3, 3])


class FixedScores(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, inputs: list[torch.Tensor], boxes: torch.Tensor) -> torch.Tensor:
        columns = torch.arange(80, dtype=torch.float32)
        return self.scale * (columns + 100.0 * boxes[:, :1])


def test_select_classes_wrapper() -> None:
    columns = select_class_columns(range(1, 81), MICROG_IDS)
    wrapped = SelectClasses(FixedScores(), columns)
    boxes = torch.tensor([[0.0, 1, 1, 5, 5], [1.0, 2, 2, 6, 6]])
    out = wrapped([torch.zeros(2, 3, 1, 8, 8)], boxes)
    assert out.shape == (2, 50)
    expected = torch.tensor([float(label - 1) for label in MICROG_IDS])
    assert torch.equal(out[0], expected) and torch.equal(out[1], expected + 100.0)
    assert list(wrapped.state_dict()) == ["model.scale"]
