"""Every paper config (Tables 1 and 2) trains and tests end to end on the embedded sample.

Each run uses the config's full-size model with small-crop overrides: 2 training iterations
(batch 2 over the sample's 4 training keyframes), validation, then the test split. Table 2's
80-class AVA models are test-only (zero-shot on the 50 MicroG-4M classes).
"""

import math
from pathlib import Path

import pytest

from slowfast_microg.datasets.sample import generate_sample
from slowfast_microg.engine.launch import main
from slowfast_microg.engine.stats import read_json_stats

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "MicroG"
TABLE_1 = [
    "C2D_8x8", "C2D_NLN_8x8", "I3D_8x8", "I3D_NLN_8x8", "SLOW_8x8", "SLOW_4x16", "SLOWFAST_8x8",
    "SLOWFAST_4x16", "MVITv1_B_16x4", "MVITv2_S_16x4", "X3D_S_13x6", "X3D_L_16x5",
]  # fmt: skip
TABLE_2 = ["zero_shot/SLOW_8x8_AVA", "zero_shot/SLOWFAST_32x2_R101_AVA"]
SMALL_RUN = [
    "NUM_GPUS", "0", "TRAIN.BATCH_SIZE", "2", "TEST.BATCH_SIZE", "2", "SOLVER.MAX_EPOCH", "1",
    "TRAIN.EVAL_PERIOD", "1", "TRAIN.CHECKPOINT_PERIOD", "1", "TRAIN.CHECKPOINT_FILE_PATH", "",
    "DATA.TRAIN_JITTER_SCALES", "[64, 72]", "DATA.TRAIN_CROP_SIZE", "64",
    "DATA.TEST_CROP_SIZE", "64", "DATA_LOADER.NUM_WORKERS", "0", "PROGRESS_BAR", "False",
    "LOG_MODEL_INFO", "False",
]  # fmt: skip


@pytest.fixture(scope="module")
def sample_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    info = generate_sample(root, layouts=("frames",), num_clips=6, height=96, width=128)
    assert [len(info.clips[s]) for s in ("train", "val", "test")] == [4, 1, 1]
    return root


@pytest.mark.parametrize("name", TABLE_1 + TABLE_2)
def test_paper_config_runs_on_the_sample(name, sample_root, tmp_path):
    zero_shot = name in TABLE_2
    argv = ["--cfg", str(CONFIGS / f"{name}.yaml"), *SMALL_RUN]
    argv += ["DATA.PATH_TO_DATA_DIR", str(sample_root), "OUTPUT_DIR", str(tmp_path)]
    if zero_shot:  # the AVA checkpoint is not available here: random weights, test only
        argv += ["TRAIN.ENABLE", "False", "TEST.CHECKPOINT_FILE_PATH", ""]
    assert main(argv) == 0
    stats = read_json_stats(tmp_path / "json_stats.log")
    expected = ["test_epoch"] if zero_shot else ["train_epoch", "val_epoch", "test_epoch"]
    assert [line["_type"] for line in stats] == expected
    if not zero_shot:
        assert stats[0]["epoch"] == "1/1"
        assert (tmp_path / "checkpoints" / "checkpoint_epoch_00001.pyth").is_file()
    test = stats[-1]
    assert 0.0 <= test["map"] <= 1.0
    # One test keyframe: AUROC is undefined (NaN) unless a class has both outcomes.
    assert math.isnan(test["auroc_macro"]) or 0.0 <= test["auroc_macro"] <= 1.0
    for suffix in ("detections_test.csv", "ap_per_class_test.csv", "metrics_test.json"):
        assert (tmp_path / suffix).is_file()
    rows = (tmp_path / "detections_test.csv").read_text().splitlines()
    assert rows and len(rows) % 50 == 0  # one row per (box, MicroG-4M class)
