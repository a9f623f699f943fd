"""The checkpoint loader on real PySlowFast checkpoints (the goldens), beyond the strict load.

- a MViT-B checkpoint renamed to PyTorchVideo's names loads completely and gives PySlowFast's
  outputs; one whose names cannot be mapped warns loudly, naming the tensors left random;
- an 80-class AVA checkpoint loads into the 50-class model of the same network with only the
  classifier dropped, and zero-shot column selection of the 80-class model gives the stored
  outputs of the 50 MicroG-4M ids.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from golden_utils import GOLDENS, golden_config, golden_inputs, golden_io, relative_error

from slowfast_microg.models import build_model
from slowfast_microg.models.checkpoint import SelectClasses, load_checkpoint, select_class_columns

TOLERANCE = 1e-4
# The 50 MicroG-4M label ids (original AVA ids) of the dataset's label_map.pbtxt.
MICROG_IDS = [
    1, 3, 5, 6, 7, 8, 9, 10, 11, 12, 14, 17, 20, 22, 24, 26, 27, 28, 29, 30, 34, 36, 38, 41,
    43, 45, 46, 47, 48, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 72, 74,
    76, 78, 79, 80,
]  # fmt: skip


def _pytorchvideo_names(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """PySlowFast MViT keys -> PyTorchVideo's (separate q/k/v, patch_model, ...)."""
    renamed: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if ".attn.qkv." in key:
            for part, chunk in zip("qkv", value.chunk(3, dim=0), strict=True):
                renamed[key.replace(".qkv.", f".{part}.")] = chunk.clone()
        elif key.startswith("patch_embed.proj."):
            renamed["patch_embed.patch_model." + key.removeprefix("patch_embed.proj.")] = value
        elif key == "cls_token" or key.startswith("pos_embed"):
            renamed["cls_positional_encoding." + key] = value
        elif key.startswith("norm."):
            renamed["norm_embed." + key.removeprefix("norm.")] = value
        elif key.startswith("head.projection."):
            renamed["head.proj." + key.removeprefix("head.projection.")] = value
        else:
            renamed[key] = value
    return renamed


def _save_model_state(path: Path, state: dict[str, torch.Tensor]) -> Path:
    torch.save({"epoch": 3, "model_state": state}, path)
    return path


def _run(model: torch.nn.Module, io: dict[str, np.ndarray]) -> np.ndarray:
    with torch.no_grad():
        return model.eval()(golden_inputs(io), torch.from_numpy(io["boxes"])).numpy()


def _loader_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("slowfast_microg.models.checkpoint") and r.levelno >= logging.WARNING
    ]


def _golden_state(name: str) -> dict[str, torch.Tensor]:
    checkpoint = torch.load(GOLDENS / name / "checkpoint.pyth", weights_only=True)
    return checkpoint["model_state"]


def test_pytorchvideo_named_mvit_checkpoint_reproduces_pyslowfast(tmp_path: Path) -> None:
    name = "MVIT_B_16x4"
    original = _golden_state(name)
    renamed = _pytorchvideo_names(original)
    assert len(renamed) == len(original) + 2 * 2 * 16  # q, k, v instead of qkv in 16 blocks
    assert not set(renamed) & {"patch_embed.proj.weight", "cls_token", "norm.weight"}
    path = _save_model_state(tmp_path / "pytorchvideo.pyth", renamed)
    model = build_model(golden_config(name))
    report = load_checkpoint(path, model)
    assert report.missing == report.skipped == report.unexpected == []
    assert len(report.loaded) == len(original)
    io = golden_io(name)
    assert relative_error(_run(model, io), io["output"]) <= TOLERANCE


def test_unmapped_names_warn_about_every_tensor_left_random(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The authors' MViT-B failure: names the loader cannot map leave the backbone random."""
    name = "MVIT_B_16x4"
    original = _golden_state(name)
    # The PyTorchVideo-only names under an extra prefix: nothing maps them back.
    unmappable = {
        (key if key in original else "model." + key): value
        for key, value in _pytorchvideo_names(original).items()
    }
    path = _save_model_state(tmp_path / "unmapped.pyth", unmappable)
    model = build_model(golden_config(name))
    with caplog.at_level(logging.WARNING, logger="slowfast_microg.models.checkpoint"):
        report = load_checkpoint(path, model)
    # patch embedding (2), cls/pos embeddings (4), qkv of 16 blocks (32), final norm (2), head (2)
    assert len(report.missing) == 42
    assert len(report.beyond_head()) == 40
    # As in the authors' log: 106 checkpoint tensors "not used", 40 model tensors "not loaded".
    assert len(report.unexpected) == 2 + 4 + 3 * 32 + 2 + 2 == 106
    warnings = _loader_warnings(caplog)
    assert len(warnings) == 1
    assert "40 tensor(s) outside head.projection were NOT loaded" in warnings[0]
    assert "blocks.0.attn.qkv.bias" in warnings[0]


def test_80_class_checkpoint_drops_only_the_classifier(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """SLOW_8x8_R50_K400 (80 AVA classes) into the 50-class SLOWONLY_8x8 network."""
    model = build_model(golden_config("SLOWONLY_8x8_R50"))
    before = model.head.projection.weight.detach().clone()
    with caplog.at_level(logging.WARNING, logger="slowfast_microg.models.checkpoint"):
        report = load_checkpoint(GOLDENS / "SLOW_8x8_R50_K400" / "checkpoint.pyth", model)
    assert sorted(report.skipped) == [
        ("head.projection.bias", (80,), (50,)),
        ("head.projection.weight", (80, 256), (50, 256)),
    ]
    assert report.missing == report.unexpected == [] and report.beyond_head() == []
    assert len(report.loaded) == report.source_keys - 2
    assert torch.equal(model.head.projection.weight, before)
    assert _loader_warnings(caplog) == []


def test_zero_shot_columns_of_the_ava_golden() -> None:
    name = "SLOW_8x8_R50_K400"
    model = build_model(golden_config(name))
    load_checkpoint(GOLDENS / name / "checkpoint.pyth", model)
    columns = select_class_columns(range(1, 81), MICROG_IDS)
    io = golden_io(name)
    scores = _run(SelectClasses(model, columns), io)
    assert scores.shape == (3, 50)
    expected = io["output"][:, [label - 1 for label in MICROG_IDS]]
    assert relative_error(scores, expected) <= TOLERANCE
    # Column 0 is AVA id 1 and the last is AVA id 80; id 2 (its column 1) is not scored.
    assert relative_error(scores[:, [0, -1]], io["output"][:, [0, 79]]) <= TOLERANCE
    assert relative_error(scores[:, 1], io["output"][:, 1]) > TOLERANCE
