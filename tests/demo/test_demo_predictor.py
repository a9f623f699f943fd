"""The demo's sliding window gives the model exactly what the dataset loader gives it."""

from __future__ import annotations

import csv

import pytest
import torch
from demo_synthetic import SLOWFAST_CFG

from slowfast_microg.config import assert_and_infer_cfg, get_cfg, merge_from_file, merge_from_list
from slowfast_microg.datasets.loader import collate_detection
from slowfast_microg.datasets.microg import MicroG
from slowfast_microg.demo.labels import ClassNames
from slowfast_microg.demo.person_detector import BoxFileDetector
from slowfast_microg.demo.pipeline import run_demo
from slowfast_microg.demo.predictor import ActionPredictor, top_actions
from slowfast_microg.models import build_model


def _cfg(sample_root, *opts: str):
    cfg = get_cfg()
    merge_from_file(cfg, SLOWFAST_CFG)
    merge_from_list(
        cfg,
        [
            "NUM_GPUS", "0", "RESNET.WIDTH_PER_GROUP", "8", "DATA.TEST_CROP_SIZE", "64",
            "TRAIN.CHECKPOINT_FILE_PATH", "", "DATA.PATH_TO_DATA_DIR", str(sample_root),
            "MICROG.LAYOUT", "videos", *opts,
        ],
    )  # fmt: skip
    return assert_and_infer_cfg(cfg)


def test_demo_scores_equal_the_dataset_path(sample_root, tmp_path):
    # The "test" pipeline (whole frame) on the sample's val clip, which has 3 persons at 2
    # keyframes. SAMPLING_RATE 16 makes the 8-frame window (-13 .. 99 around frame 51) run past
    # both ends of the 90-frame clip, so the clamping at the start and the end is compared too.
    cfg = _cfg(
        sample_root,
        "DATA.SAMPLING_RATE", "16",
        "AVA.TEST_LISTS", "['val.csv']",
        "AVA.TEST_PREDICT_BOX_LISTS", "['ava_val_predicted_boxes.csv']",
    )  # fmt: skip
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    dataset = MicroG(cfg, "test")
    expected = {}
    box_rows = []
    for index in range(len(dataset)):
        item = dataset[index]
        batch = collate_detection([item])
        with torch.inference_mode():
            probabilities = model(batch["inputs"], batch["boxes"]).sigmoid()
        frame = int(item["metadata"][0, 1]) - cfg.MICROG.STAMP_BASE
        expected[frame] = probabilities
        for box in (item["ori_boxes"] * torch.tensor([160, 120, 160, 120])).tolist():
            box_rows.append((frame, box))
    assert sorted(expected) == [48, 51] and len(box_rows) == 3
    boxes = {}
    for frame, box in box_rows:
        boxes.setdefault(frame, []).append([*box, 1.0])
    boxes = {frame: torch.tensor(rows).numpy() for frame, rows in boxes.items()}
    names = ClassNames(ids=list(range(1, 51)), names={i: f"c{i}" for i in range(1, 51)}, source="t")
    result = run_demo(
        input_path=sample_root / "videos" / "synth00_002.mp4",
        output_path=tmp_path / "out.mp4",
        csv_path=tmp_path / "out.csv",
        predictor=ActionPredictor.from_cfg(cfg, model, device=torch.device("cpu")),
        detector=BoxFileDetector(boxes),
        class_names=names,
        every=1,
        top_k=50,
    )
    assert result.num_frames == 90 and result.num_boxes == 3
    with (tmp_path / "out.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    seen = {}
    for row in rows:
        frame = int(row["frame"])
        box_index = seen.get(frame, 0)
        seen[frame] = box_index + 1
        got = torch.zeros(50)
        for k in range(1, 51):
            got[int(row[f"action{k}_id"]) - 1] = float(row[f"action{k}_score"])
        torch.testing.assert_close(got, expected[frame][box_index], atol=6e-5, rtol=0)
    assert seen == {48: 1, 51: 2}


def test_window_reach_matches_the_sampler(sample_root):
    cfg = _cfg(sample_root)
    predictor = ActionPredictor.from_cfg(cfg, torch.nn.Identity(), device=torch.device("cpu"))
    window = predictor.window(keyframe=40, num_frames_read=200)
    assert window.tolist() == [8, 16, 24, 32, 40, 48, 56, 64]
    assert (predictor.frames_before, predictor.frames_after) == (32, 24)
    assert predictor.window(keyframe=2, num_frames_read=20).tolist() == [0, 0, 0, 0, 2, 10, 18, 19]


def test_top_actions_order_threshold_and_size_check():
    names = ClassNames(ids=[3, 7, 9], names={3: "a", 7: "b", 9: "c"}, source="t")
    scores = torch.tensor([0.2, 0.9, 0.2])
    assert top_actions(scores, class_names=names, top_k=2, threshold=0.0) == [
        (7, "b", pytest.approx(0.9)),
        (3, "a", pytest.approx(0.2)),
    ]
    assert top_actions(scores, class_names=names, top_k=3, threshold=0.5) == [
        (7, "b", pytest.approx(0.9))
    ]
    with pytest.raises(ValueError, match="gives 2 scores per box but t names 3"):
        top_actions(scores[:2], class_names=names, top_k=1, threshold=0.0)
