"""configs/MicroG/improved: each file fixes one documented flaw of its paper config, nothing else.

- MViT and X3D: DETECTION.SPATIAL_SCALE_FACTOR 32, the true stride of their head features (the
  paper kept 16); the paper config warns at build time, the improved one does not.
- SlowFast: 32 input frames at sampling rate 2, the clip of the Kinetics SlowFast models the
  runs start from (the paper fed 8 or 4 frames); 4x16 also takes alpha 8 and the kernel-5
  laterals of its checkpoint, so every Kinetics blob but the classifier loads.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest
import torch

from slowfast_microg.config import assert_and_infer_cfg, get_cfg, merge_from_file
from slowfast_microg.config.loader import all_keys
from slowfast_microg.models import MODEL_REGISTRY
from slowfast_microg.models.checkpoint import load_state
from slowfast_microg.models.complexity import params_count
from tests.models.checkpoint_fakes import FIXTURES, free_tensor

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "MicroG"
ROI_SCALE_FIX = {"DETECTION.SPATIAL_SCALE_FACTOR", "OUTPUT_DIR"}
FRAMES_FIX = {"DATA.NUM_FRAMES", "DATA.SAMPLING_RATE", "OUTPUT_DIR"}
# improved file -> (keys that differ from the paper's file, parameters, frames per pathway)
IMPROVED = {
    "MVITv1_B_16x4": (ROI_SCALE_FIX, 36_341_522, [16]),
    "MVITv2_S_16x4": (ROI_SCALE_FIX, 34_268_594, [16]),
    "X3D_S_13x6": (ROI_SCALE_FIX, 2_015_828, [13]),
    "X3D_L_16x5": (ROI_SCALE_FIX, 4_374_938, [16]),
    "SLOWFAST_8x8": (FRAMES_FIX, 33_759_738, [8, 32]),
    "SLOWFAST_4x16": (
        FRAMES_FIX | {"SLOWFAST.ALPHA", "SLOWFAST.FUSION_KERNEL_SZ"},
        33_673_466,
        [4, 32],
    ),
}
SCALE_WARNING = "SPATIAL_SCALE_FACTOR"


def _load(path: Path):
    cfg = get_cfg()
    assert merge_from_file(cfg, path) == []
    return assert_and_infer_cfg(cfg)


def _shape(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(","))


def _value(cfg, key: str):
    for part in key.split("."):
        cfg = cfg[part]
    return cfg


def _build(cfg, caplog: pytest.LogCaptureFixture) -> tuple[torch.nn.Module, list[str]]:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="slowfast_microg.models"):
        with torch.device("meta"):
            model = MODEL_REGISTRY.get(cfg.MODEL.MODEL_NAME)(cfg)
    return model, [r.getMessage() for r in caplog.records if SCALE_WARNING in r.getMessage()]


def test_every_improved_config_is_checked() -> None:
    assert {path.stem for path in (CONFIGS / "improved").glob("*.yaml")} == set(IMPROVED)


@pytest.mark.parametrize("name", sorted(IMPROVED))
def test_improved_config_changes_only_the_fix(name: str) -> None:
    paper, improved = _load(CONFIGS / f"{name}.yaml"), _load(CONFIGS / "improved" / f"{name}.yaml")
    differing = {key for key in all_keys(paper) if _value(paper, key) != _value(improved, key)}
    assert differing == IMPROVED[name][0]
    assert improved.OUTPUT_DIR == f"output/improved/{name}"


@pytest.mark.parametrize("name", sorted(IMPROVED))
def test_improved_model_uses_its_true_stride_and_clip(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    paper, improved = _load(CONFIGS / f"{name}.yaml"), _load(CONFIGS / "improved" / f"{name}.yaml")
    paper_model, paper_warnings = _build(paper, caplog)
    model, warnings = _build(improved, caplog)
    assert params_count(model) == IMPROVED[name][1]
    assert warnings == []
    assert model.feature_strides == [improved.DETECTION.SPATIAL_SCALE_FACTOR] * len(
        model.feature_strides
    )
    # The paper config warns exactly when its RoI scale is not its stride (MViT, X3D).
    stride_mismatch = paper_model.feature_strides != [paper.DETECTION.SPATIAL_SCALE_FACTOR] * len(
        paper_model.feature_strides
    )
    assert bool(paper_warnings) == stride_mismatch == ("SLOWFAST" not in name)
    frames = improved.DATA.NUM_FRAMES
    pathways = [frames // improved.SLOWFAST.ALPHA, frames] if "SLOWFAST" in name else [frames]
    assert pathways == IMPROVED[name][2]
    # The clip spans the same frames as the paper's.
    span = improved.DATA.NUM_FRAMES * improved.DATA.SAMPLING_RATE
    assert span == paper.DATA.NUM_FRAMES * paper.DATA.SAMPLING_RATE


@pytest.mark.filterwarnings("ignore:for .*copying from a non-meta parameter")
@pytest.mark.parametrize("name", ["SLOWFAST_8x8", "SLOWFAST_4x16"])
def test_improved_slowfast_loads_every_kinetics_blob(name: str) -> None:
    """The blob shapes the authors' log printed for the Kinetics checkpoint all fit, but pred."""
    rows_file = FIXTURES / "caffe2_names" / f"{name}_R50.tsv"
    with rows_file.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    with torch.device("meta"):
        model = MODEL_REGISTRY.get("SlowFast")(_load(CONFIGS / "improved" / f"{name}.yaml"))
    blobs = {row["c2_blob"]: free_tensor(_shape(row["c2_shape"])) for row in rows}
    report = load_state(blobs, model, from_caffe2=True)
    assert {key for key, _, _ in report.skipped} == {
        "head.projection.weight",
        "head.projection.bias",
    }
    assert report.missing == report.unexpected == [] and report.beyond_head() == []
    assert len(report.loaded) == len(rows) - 2


@pytest.mark.parametrize("name", ["SLOWFAST_8x8", "SLOWFAST_4x16"])
def test_improved_slowfast_scores_boxes_on_32_frames(name: str) -> None:
    """A narrow copy of the improved model runs its 32-frame clip (slow 8 or 4) to box scores."""
    cfg = _load(CONFIGS / "improved" / f"{name}.yaml")
    cfg.defrost()
    cfg.RESNET.WIDTH_PER_GROUP = 8
    torch.manual_seed(0)
    model = MODEL_REGISTRY.get("SlowFast")(cfg).eval()
    fast = torch.randn(1, 3, 32, 64, 64)
    slow = fast[:, :, torch.linspace(0, 31, 32 // cfg.SLOWFAST.ALPHA).long()]
    boxes = torch.tensor([[0.0, 8.0, 8.0, 40.0, 56.0], [0.0, 0.0, 0.0, 64.0, 64.0]])
    with torch.no_grad():
        scores = model([slow, fast], boxes)
    assert scores.shape == (2, 50) and torch.isfinite(scores).all()
    assert not torch.allclose(scores[0], scores[1])
