"""Inconsistent or missing dataset inputs: each is a clear error (or a named warning)."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest
from dataset_fakes import tiny_frames, write_tiny_dataset

from slowfast_microg.config.loader import ConfigError
from slowfast_microg.datasets import DataError, build_dataset

ROWS = ["clip_a,5,0.1,0.2,0.5,0.9,12,1", "clip_b,6,0.2,0.2,0.6,0.9,14,1"]


@pytest.fixture
def root(tmp_path):
    clips = {"clip_a": tiny_frames(10, seed=1), "clip_b": tiny_frames(10, seed=2)}
    predicted = [",".join(row.split(",")[:6]) + ",,0.9" for row in ROWS]
    return write_tiny_dataset(
        tmp_path / "data",
        clips,
        rows={
            "ava_train.csv": ROWS,
            "ava_val_predicted_boxes.csv": predicted,
            "ava_test_predicted_boxes.csv": predicted,
        },
    )


def _rows(root, name, lines):
    (root / "annotations" / name).write_text("".join(f"{line}\n" for line in lines))


def test_clip_without_boxes_is_named_in_a_warning(root, cfg_for, caplog):
    _rows(root, "ava_train.csv", ROWS[:1])
    with caplog.at_level(logging.WARNING):
        dataset = build_dataset("microg", cfg_for(root), "train")
    assert len(dataset) == 1
    assert dataset.video_names == ["clip_a", "clip_b"]
    assert "1 clip(s) in the frame lists have no boxes and give no keyframe: clip_b" in caplog.text


def test_boxes_of_an_unlisted_clip_are_an_error(root, cfg_for):
    _rows(root, "ava_train.csv", [*ROWS, "clip_z,5,0.1,0.2,0.5,0.9,12,1"])
    with pytest.raises(DataError, match=r"ava_train\.csv:3: clip 'clip_z' has boxes but is not in"):
        build_dataset("microg", cfg_for(root), "train")


def test_stamp_outside_the_clip(root, cfg_for):
    _rows(root, "ava_train.csv", [ROWS[0], "clip_b,11,0.2,0.2,0.6,0.9,14,1"])
    with pytest.raises(
        DataError, match=r"ava_train\.csv:2: stamp 11 is outside clip 'clip_b'.*1\.\.10"
    ):
        build_dataset("microg", cfg_for(root), "train")
    _rows(root, "ava_train.csv", ["clip_a,0,0.1,0.2,0.5,0.9,12,1"])
    with pytest.raises(DataError, match=r"ava_train\.csv:1: stamp 0 is outside"):
        build_dataset("microg", cfg_for(root), "train")


def test_empty_split(root, cfg_for):
    with pytest.raises(DataError, match=r"The test split is empty: no box of .*ava_test_predicted"):
        build_dataset("microg", cfg_for(root, AVA__DETECTION_SCORE_THRESH=0.95), "test")


def test_score_threshold_and_extra_predicted_boxes(root, cfg_for):
    _rows(
        root,
        "ava_test_predicted_boxes.csv",
        ["clip_a,5,0.1,0.2,0.5,0.9,,0.4", "clip_b,6,0,0,1,1,,0.8"],
    )
    dataset = build_dataset("microg", cfg_for(root, AVA__DETECTION_SCORE_THRESH=0.5), "test")
    assert [dataset.keyframe(i)[1].clip_id for i in range(len(dataset))] == ["clip_b"]
    _rows(root, "extra.csv", ["clip_a,5,0.6,0.2,0.9,0.9,,0.9", "clip_a,5,0.1,0.2,0.5,0.9,,0.9"])
    cfg = cfg_for(root, AVA__TRAIN_PREDICT_BOX_LISTS=["extra.csv"])
    _, keyframe = build_dataset("microg", cfg, "train").keyframe(0)
    np.testing.assert_allclose(keyframe.boxes, [[0.1, 0.2, 0.5, 0.9], [0.6, 0.2, 0.9, 0.9]])
    assert keyframe.labels.sum(axis=1).tolist() == [1.0, 0.0]


def test_val_subsampling_when_not_full_test(root, cfg_for):
    _rows(
        root, "ava_val_predicted_boxes.csv", ["clip_a,4,0.1,0.2,0.5,0.9,,1", "clip_b,6,0,0,1,1,,1"]
    )
    dataset = build_dataset("microg", cfg_for(root, AVA__FULL_TEST_ON_VAL=False), "val")
    assert [dataset.keyframe(i)[1].stamp for i in range(len(dataset))] == [4]
    assert len(build_dataset("microg", cfg_for(root), "val")) == 2


def test_missing_frame_folder_and_video(root, cfg_for):
    shutil.rmtree(root / "frames" / "clip_b")
    with pytest.raises(
        DataError,
        match=r"1 clip\(s\) of the train split have no frame folder .*clip_b \(.*frames/clip_b\)",
    ):
        build_dataset("microg", cfg_for(root), "train")
    (root / "videos" / "clip_a.mp4").unlink()
    with pytest.raises(DataError, match=r"have no video .*clip_a \(.*videos/clip_a\.mp4\)"):
        build_dataset("microg", cfg_for(root, layout="videos"), "train")


def test_missing_jpeg_and_corrupt_video_at_load_time(root, cfg_for):
    (root / "frames" / "clip_a" / "clip_a_000005.png").unlink()
    dataset = build_dataset("microg", cfg_for(root), "train")
    with pytest.raises(
        DataError, match=r"clip 'clip_a': cannot read frame 5 of 10 at .*clip_a_000005\.png"
    ):
        dataset[0]
    (root / "videos" / "clip_b.mp4").write_bytes(b"garbage" * 100)
    dataset = build_dataset("microg", cfg_for(root, layout="videos"), "train")
    with pytest.raises(DataError, match=r"clip 'clip_b': .*clip_b\.mp4: cannot open the video"):
        dataset[1]


def test_config_mistakes(root, cfg_for):
    with pytest.raises(ConfigError, match=r"MODEL\.NUM_CLASSES is 80 but the label map .* has 50"):
        build_dataset("microg", cfg_for(root, MODEL__NUM_CLASSES=80), "train")
    with pytest.raises(DataError, match=r"It is named by AVA\.LABEL_MAP_FILE"):
        build_dataset("microg", cfg_for(root, AVA__LABEL_MAP_FILE="other.pbtxt"), "train")
    with pytest.raises(
        DataError, match=r"ava_v.csv does not exist\. It is named by AVA\.TRAIN_GT_BOX_LISTS"
    ):
        build_dataset("microg", cfg_for(root, AVA__TRAIN_GT_BOX_LISTS=["ava_v.csv"]), "train")
    with pytest.raises(DataError, match=r"It is named by MICROG\.VAL_LISTS"):
        build_dataset("microg", cfg_for(root, MICROG__VAL_LISTS=["nope.csv"]), "val")
    with pytest.raises(DataError, match=r"MICROG\.VAL_LISTS is empty"):
        build_dataset("microg", cfg_for(root, MICROG__VAL_LISTS=[]), "val")
    with pytest.raises(DataError, match=r"AVA\.TEST_PREDICT_BOX_LISTS is empty"):
        build_dataset("microg", cfg_for(root, AVA__TEST_PREDICT_BOX_LISTS=[]), "test")
    with pytest.raises(ConfigError, match=r"MICROG\.LAYOUT must be one of \['frames', 'videos'\]"):
        build_dataset("microg", cfg_for(root, layout="tar"), "train")
