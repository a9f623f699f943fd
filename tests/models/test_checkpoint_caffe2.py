"""Caffe2 checkpoints: name conversion on the authors' 3,033 logged blobs, loading, safety."""

from __future__ import annotations

import csv
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from slowfast_microg.models.checkpoint import (
    CheckpointError,
    convert_caffe2_name,
    load_checkpoint,
    load_state,
)
from tests.models.checkpoint_fakes import FIXTURES, free_tensor, shape_module

TSV_DIR = FIXTURES / "caffe2_names"
TSV_FILES = sorted(TSV_DIR.glob("*.tsv"))


def _shape(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(","))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_fixture_has_all_authors_rows() -> None:
    assert len(TSV_FILES) == 9
    assert sum(len(_rows(path)) for path in TSV_FILES) == 3033


@pytest.mark.parametrize("path", TSV_FILES, ids=lambda p: p.stem)
def test_every_logged_blob_converts_to_the_logged_key(path: Path) -> None:
    wrong = [
        (row["c2_blob"], convert_caffe2_name(row["c2_blob"]), row["key"])
        for row in _rows(path)
        if convert_caffe2_name(row["c2_blob"]) != row["key"]
    ]
    assert wrong == []


@pytest.mark.filterwarnings("ignore:for .*copying from a non-meta parameter")
@pytest.mark.parametrize("path", TSV_FILES, ids=lambda p: p.stem)
def test_logged_load_decisions_are_reproduced(path: Path) -> None:
    """Blobs with the logged shapes into a model with the logged key shapes: same outcome."""
    rows = _rows(path)
    model = shape_module([(row["key"], _shape(row["key_shape"])) for row in rows])
    blobs = {row["c2_blob"]: free_tensor(_shape(row["c2_shape"])) for row in rows}
    blobs["res2_0_branch2a_w_momentum"] = free_tensor((4,))
    blobs["model_iter"] = free_tensor((1,))
    report = load_state(blobs, model, from_caffe2=True)
    expected_loaded = {row["key"] for row in rows if row["status"] == "loaded"}
    expected_skipped = {
        (row["key"], _shape(row["c2_shape"]), _shape(row["key_shape"]))
        for row in rows
        if row["status"] == "shape_mismatch"
    }
    assert set(report.loaded) == expected_loaded
    assert set(report.skipped) == expected_skipped
    assert report.missing == []
    assert report.unexpected == []
    assert sorted(report.ignored) == ["model_iter", "res2_0_branch2a_w_momentum"]
    assert report.source_keys == len(blobs)


class TinyNet(nn.Module):
    """Stem conv + BN and a linear head, with PySlowFast names."""

    def __init__(self, num_classes: int = 3) -> None:
        super().__init__()
        self.s1 = nn.Module()
        self.s1.pathway0_stem = nn.Module()
        self.s1.pathway0_stem.conv = nn.Conv3d(3, 4, kernel_size=(1, 3, 3), bias=False)
        self.s1.pathway0_stem.bn = nn.BatchNorm3d(4)
        self.head = nn.Module()
        self.head.projection = nn.Linear(4, num_classes)
        self.head.pointwise = nn.Conv3d(4, 2, kernel_size=1)


def _write_pickle(path: Path, content: object) -> None:
    with path.open("wb") as handle:
        pickle.dump(content, handle, protocol=2)


def _blobs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "conv1_w": rng.standard_normal((4, 3, 1, 3, 3)).astype(np.float32),
        "res_conv1_bn_s": rng.uniform(0.5, 1.5, 4).astype(np.float32),
        "res_conv1_bn_b": rng.standard_normal(4).astype(np.float32),
        "res_conv1_bn_rm": rng.standard_normal(4).astype(np.float32),
        "res_conv1_bn_riv": rng.uniform(0.5, 1.5, 4).astype(np.float32),
        "pred_w": rng.standard_normal((3, 4)).astype(np.float32),
        "pred_b": rng.standard_normal(3).astype(np.float32),
        "conv1_w_momentum": np.zeros((4, 3, 1, 3, 3), np.float32),
        "lr": np.float32(0.1),
    }


def test_synthetic_caffe2_pickle_loads(tmp_path: Path) -> None:
    blobs = _blobs(np.random.default_rng(0))
    path = tmp_path / "tiny.pkl"
    _write_pickle(path, {"blobs": blobs, "name": "tiny"})
    model = TinyNet()
    report = load_checkpoint(path, model, checkpoint_type="caffe2")
    stem = model.s1.pathway0_stem
    assert torch.equal(stem.conv.weight, torch.from_numpy(blobs["conv1_w"]))
    assert torch.equal(stem.bn.weight, torch.from_numpy(blobs["res_conv1_bn_s"]))
    assert torch.equal(stem.bn.running_var, torch.from_numpy(blobs["res_conv1_bn_riv"]))
    assert torch.equal(model.head.projection.bias, torch.from_numpy(blobs["pred_b"]))
    assert report.epoch == -1
    assert len(report.loaded) == 7
    assert sorted(report.ignored) == ["conv1_w_momentum", "lr"]
    assert sorted(report.missing) == ["head.pointwise.bias", "head.pointwise.weight"]


def test_fc_blob_gets_trailing_dims_for_a_conv() -> None:
    fc = np.arange(8, dtype=np.float32).reshape(2, 4)
    model = TinyNet()
    model.head.pointwise.weight.data.zero_()
    load_state({"head.pointwise_w": fc}, model, from_caffe2=True)
    assert torch.equal(model.head.pointwise.weight.flatten(1), torch.from_numpy(fc))


def test_bn_stats_tile_into_a_longer_bn() -> None:
    model = TinyNet()
    report = load_state(
        {"res_conv1_bn_rm": np.array([1.0, 2.0], np.float32)}, model, from_caffe2=True
    )
    assert torch.equal(model.s1.pathway0_stem.bn.running_mean, torch.tensor([1.0, 2.0, 1.0, 2.0]))
    assert report.resized == ["s1.pathway0_stem.bn.running_mean"]


def test_two_blobs_for_one_key_are_an_error() -> None:
    stem = np.zeros((4, 3, 1, 3, 3), np.float32)
    with pytest.raises(CheckpointError, match="res_conv1_w"):
        load_state({"conv1_w": stem, "res_conv1_w": stem}, TinyNet(), from_caffe2=True)


class Exploit:
    """Unpickling this would run a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


class EvalExploit:
    """Unpickling this would evaluate Python code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        import builtins

        return (builtins.eval, (f"open({str(self.marker)!r}, 'w').close()",))


@pytest.mark.parametrize("exploit", [Exploit, EvalExploit])
def test_malicious_pickle_is_refused_without_running(tmp_path: Path, exploit: type) -> None:
    marker = tmp_path / "executed"
    path = tmp_path / "evil.pkl"
    _write_pickle(path, {"blobs": {"conv1_w": exploit(marker)}})
    with pytest.raises(CheckpointError, match="refused") as info:
        load_checkpoint(path, TinyNet(), checkpoint_type="caffe2")
    assert str(path) in str(info.value)
    assert not marker.exists()


def test_truncated_caffe2_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.pkl"
    _write_pickle(path, {"blobs": _blobs(np.random.default_rng(1))})
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(CheckpointError, match="truncated or corrupt") as info:
        load_checkpoint(path, TinyNet(), checkpoint_type="caffe2")
    assert str(path) in str(info.value)


def test_pickle_without_blobs_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "state.pkl"
    _write_pickle(path, {"model_state": {}})
    with pytest.raises(CheckpointError, match="'blobs'"):
        load_checkpoint(path, TinyNet(), checkpoint_type="caffe2")


@pytest.mark.parametrize(
    "blob", [np.array(["a", "b"]), np.array([1.0, "x"], dtype=object)], ids=["str", "object"]
)
def test_non_numeric_blob_is_refused_with_its_name(tmp_path: Path, blob: np.ndarray) -> None:
    path = tmp_path / "odd.pkl"
    _write_pickle(path, {"blobs": {"conv1_w": blob}})
    with pytest.raises(CheckpointError, match="blob 'conv1_w' holds .* values, not numbers"):
        load_checkpoint(path, TinyNet(), checkpoint_type="caffe2")
