"""The MicroG dataset: item contract against the annotation files, layouts, stamps, clamping."""

from __future__ import annotations

import csv
from collections import OrderedDict

import numpy as np
import pytest
import torch
from dataset_fakes import tiny_frames, write_tiny_dataset

from slowfast_microg.config import ConfigError
from slowfast_microg.datasets import DATASET_REGISTRY, MicroG, build_dataset
from slowfast_microg.datasets.microg_classes import MICROG_CLASSES

CLASS_IDS = sorted(cid for cid, _ in MICROG_CLASSES)


def test_registry_names():
    assert DATASET_REGISTRY.get("microg") is MicroG
    assert DATASET_REGISTRY.get("AVA") is MicroG
    assert DATASET_REGISTRY.get("MicroG") is MicroG
    with pytest.raises(KeyError, match=r"'kinetics'.*Registered: ava, jhmdb, microg"):
        DATASET_REGISTRY.get("kinetics")


def _expected_keyframes(root, split):
    """Keyframes read independently from the CSVs: (clip, stamp) -> {box string: action ids}."""
    name = f"ava_{split}.csv" if split == "train" else f"ava_{split}_predicted_boxes.csv"
    keyframes = OrderedDict()
    with (root / "annotations" / name).open() as handle:
        for row in csv.reader(handle):
            boxes = keyframes.setdefault((row[0], int(row[1])), OrderedDict())
            labels = boxes.setdefault(",".join(row[2:6]), set())
            if row[6]:
                labels.add(int(row[6]))
    return keyframes


def _frame_list_clips(root, split):
    with (root / "frame_lists" / f"{split}.csv").open() as handle:
        next(handle)
        return list(OrderedDict.fromkeys(line.split()[0] for line in handle))


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_items_match_the_annotation_files(sample_dir, cfg_for, split):
    dataset = build_dataset("microg", cfg_for(sample_dir), split)
    expected = _expected_keyframes(sample_dir, split)
    clips = _frame_list_clips(sample_dir, split)
    assert dataset.video_names == clips
    assert dataset.class_ids == CLASS_IDS and dataset.num_classes == 50
    assert dataset.label_names[28] == "operate spaceship"
    assert len(dataset) == len(expected)
    crop = 48
    for index, ((clip_id, stamp), boxes) in enumerate(expected.items()):
        item = dataset[index]
        assert item["clip_id"] == clip_id
        slow, fast = item["inputs"]
        width = crop if split != "test" else 64
        assert slow.shape == (3, 2, crop, width) and fast.shape == (3, 8, crop, width)
        assert slow.dtype == fast.dtype == torch.float32
        n = len(boxes)
        assert item["boxes"].shape == (n, 4) and item["boxes"].dtype == torch.float32
        assert item["boxes"][:, [0, 2]].max() <= width - 1 and item["boxes"].min() >= 0
        coords = torch.tensor([[float(v) for v in key.split(",")] for key in boxes])
        torch.testing.assert_close(item["ori_boxes"], coords)
        labels = torch.zeros(n, 50)
        for row, actions in enumerate(boxes.values()):
            for action in actions:
                labels[row, CLASS_IDS.index(action)] = 1
        assert torch.equal(item["labels"], labels)
        if split != "train":
            assert item["labels"].sum() == 0, "predicted boxes carry no labels"
        assert item["metadata"].dtype == torch.int64
        assert item["metadata"].tolist() == [[clips.index(clip_id), stamp]] * n
        if split == "test":
            # Whole frame, short side 72 -> 48: pixels (clipped to W - 1, H - 1) times 2/3.
            pixels = torch.minimum(
                coords * torch.tensor([96.0, 72, 96, 72]), torch.tensor([95.0, 71, 95, 71])
            )
            torch.testing.assert_close(item["boxes"], pixels * (2 / 3))


def test_shuffled_training_labels_are_a_permutation(sample_dir, cfg_for):
    plain = build_dataset("microg", cfg_for(sample_dir), "train")
    control = build_dataset(
        "microg", cfg_for(sample_dir, MICROG__SHUFFLE_TRAIN_LABELS=True), "train"
    )
    again = build_dataset("microg", cfg_for(sample_dir, MICROG__SHUFFLE_TRAIN_LABELS=True), "train")
    rows = [
        np.concatenate([d.keyframe(i)[1].labels for i in range(len(d))])
        for d in (plain, control, again)
    ]
    # Same boxes, same multiset of label rows, different assignment, reproducible.
    for index in range(len(plain)):
        assert np.array_equal(plain.keyframe(index)[1].boxes, control.keyframe(index)[1].boxes)
    assert sorted(map(tuple, rows[0].tolist())) == sorted(map(tuple, rows[1].tolist()))
    assert not np.array_equal(rows[0], rows[1])
    assert np.array_equal(rows[1], rows[2])
    # Only training labels are shuffled.
    test_cfg = cfg_for(sample_dir, MICROG__SHUFFLE_TRAIN_LABELS=True)
    test = build_dataset("microg", test_cfg, "val")
    assert test.keyframe(0)[1].labels.sum() == 0


def test_zero_shot_ava_model_on_microg_splits(sample_dir, cfg_for):
    ava = cfg_for(sample_dir, MODEL__NUM_CLASSES=80)
    assert build_dataset("microg", ava, "test").num_classes == 50
    with pytest.raises(ConfigError, match="MODEL.NUM_CLASSES is 80 .* training needs them equal"):
        build_dataset("microg", ava, "train")
    with pytest.raises(ConfigError, match=r"ids \[79, 80\] have no output"):
        build_dataset("microg", cfg_for(sample_dir, MODEL__NUM_CLASSES=78), "test")


def test_groundtruth_files(sample_dir, cfg_for):
    cfg = cfg_for(sample_dir)
    assert build_dataset("microg", cfg, "train").groundtruth_file is None
    assert build_dataset("microg", cfg, "val").groundtruth_file.name == "ava_val_gt.csv"
    assert build_dataset("microg", cfg, "test").groundtruth_file.name == "ava_test_gt.csv"


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    clips = {"clip_a": tiny_frames(20, seed=1), "clip_b": tiny_frames(16, seed=2)}
    rows = [
        "clip_a,10,0.1,0.2,0.5,0.9,12,1",
        "clip_a,10,0.1,0.2,0.5,0.9,17,1",
        "clip_a,10,0.55,0.1,0.95,0.8,14,2",
        "clip_a,2,0.1,0.2,0.5,0.9,12,1",
        "clip_a,20,0.1,0.2,0.5,0.9,7,1",
        "clip_b,8,0.2,0.2,0.7,0.9,69,1",
    ]
    predicted = [",".join(row.split(",")[:6]) + ",,1" for row in rows]
    root = tmp_path_factory.mktemp("tiny")
    write_tiny_dataset(
        root,
        clips,
        rows={
            "ava_train.csv": rows,
            "ava_val_predicted_boxes.csv": predicted,
            "ava_test_predicted_boxes.csv": predicted,
        },
    )
    return root, clips


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_layouts_give_identical_items(tiny_root, cfg_for, split):
    """Decoded at full size and resized alike, lossless frames give the same items (decoding
    at the transform's size resizes mp4s in swscale: see test_data_resize_in_decoder)."""
    root, _ = tiny_root
    items = {}
    for layout in ("frames", "videos"):
        cfg = cfg_for(root, layout=layout, DATA_LOADER__RESIZE_IN_DECODER=False)
        dataset = build_dataset("microg", cfg, split)
        items[layout] = []
        for index in range(len(dataset)):
            torch.manual_seed(index)
            items[layout].append(dataset[index])
    assert len(items["frames"]) == 4
    for a, b in zip(items["frames"], items["videos"], strict=True):
        for key in ("boxes", "ori_boxes", "labels", "metadata"):
            assert torch.equal(a[key], b[key])
        for x, y in zip(a["inputs"], b["inputs"], strict=True):
            assert torch.equal(x, y)


def _raw_frames(item, cfg):
    """Undo the normalisation of a test item's single pathway -> (T, H, W, 3) uint8."""
    (clip,) = item["inputs"]
    mean = torch.tensor(cfg.DATA.MEAN).view(3, 1, 1, 1)
    std = torch.tensor(cfg.DATA.STD).view(3, 1, 1, 1)
    return ((clip * std + mean) * 255).round().to(torch.uint8).permute(1, 2, 3, 0).numpy()


@pytest.mark.parametrize("authors_offset", [False, True])
@pytest.mark.parametrize("layout", ["frames", "videos"])
def test_stamp_offset_switch_and_clamping(tiny_root, cfg_for, authors_offset, layout):
    root, clips = tiny_root
    cfg = cfg_for(
        root,
        layout=layout,
        MODEL__ARCH="slow",
        DATA__INPUT_CHANNEL_NUM=[3],
        DATA__NUM_FRAMES=4,
        DATA__SAMPLING_RATE=4,
        MICROG__AUTHORS_FRAME_OFFSET=authors_offset,
    )
    dataset = build_dataset("microg", cfg, "test")
    shift = 1 if authors_offset else 0
    # Stamp s is JPEG s (0-based s - 1); the window is centre - 8, - 4, + 0, + 4 (unclamped).
    expected = {
        ("clip_a", 10): [1, 5, 9, 13],
        ("clip_a", 2): [-7, -3, 1, 5],
        ("clip_a", 20): [11, 15, 19, 23],
        ("clip_b", 8): [-1, 3, 7, 11],
    }
    for index in range(len(dataset)):
        item = dataset[index]
        key = (item["clip_id"], int(item["metadata"][0, 1]))
        frames = clips[key[0]]
        positions = np.clip(np.array(expected[key]) + shift, 0, len(frames) - 1)
        np.testing.assert_array_equal(_raw_frames(item, cfg), frames[positions])


def test_boxes_are_merged_by_coordinates(tiny_root, cfg_for):
    root, _ = tiny_root
    dataset = build_dataset("microg", cfg_for(root), "train")
    _, keyframe = dataset.keyframe(0)
    assert (keyframe.clip_id, keyframe.stamp) == ("clip_a", 10)
    assert keyframe.labels.shape == (2, 50)
    assert [sorted(CLASS_IDS[i] for i in np.flatnonzero(row)) for row in keyframe.labels] == [
        [12, 17],
        [14],
    ]
    assert [dataset.keyframe(i)[1].stamp for i in range(len(dataset))] == [10, 2, 20, 8]
    assert [dataset.keyframe(i)[0] for i in range(len(dataset))] == [0, 0, 0, 1]
