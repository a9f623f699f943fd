"""The jhmdb dataset: items, boxes and clips match the synthetic release; files it writes."""

import jhmdb_synth
import numpy as np
import pytest
import torch

from slowfast_microg.config import ConfigError
from slowfast_microg.datasets import DATASET_REGISTRY, build_dataset, collate_detection
from slowfast_microg.datasets.jhmdb_classes import JHMDB_CLASSES, read_class_map
from slowfast_microg.evaluation import read_gt_csv, read_label_map

AVA_ID = {"walk": 14, "jump": 7, "run": 10}
# The packaged overlap, transcribed from docs/jhmdb.md (AVA v2.2 ids and names).
OVERLAP = {
    "clap": (67, "hand clap"),
    "climb_stairs": (20, "climb (e.g., a mountain)"),
    "jump": (7, "jump/leap"),
    "pick": (36, "lift/pick up"),
    "push": (46, "push (an object)"),
    "run": (10, "run/jog"),
    "shoot_gun": (52, "shoot"),
    "sit": (11, "sit"),
    "stand": (12, "stand"),
    "throw": (58, "throw"),
    "walk": (14, "walk"),
    "wave": (69, "hand wave"),
}


def _videos(subset):
    chosen = [v for v in jhmdb_synth.VIDEOS if v.subset == subset and v.action in AVA_ID]
    return sorted(chosen, key=lambda v: v.action)


def _expected_items(subset, stride=1):
    """(video, frame) of every scored frame, in the dataset's order (class, video, frame)."""
    return [
        (video, frame)
        for video in _videos(subset)
        for frame in range(1, video.num_frames + 1, stride)
        if frame != jhmdb_synth.EMPTY_FRAME
    ]


def _window(stamp, *, num_frames, rate, length):
    """PySlowFast's keyframe window, written out independently: 1-based frame numbers."""
    start = (stamp - 1) - num_frames * rate // 2
    return [min(max(start + k * rate, 0), length - 1) + 1 for k in range(num_frames)]


def test_registered_and_class_map():
    assert DATASET_REGISTRY.get("JHMDB").__name__ == "Jhmdb"
    assert set(JHMDB_CLASSES) == set(jhmdb_synth.RELEASE_CLASSES)
    class_map = read_class_map()
    assert {k: (v, class_map.ava_names[v]) for k, v in class_map.ava_id.items()} == OVERLAP


def test_items_boxes_labels_and_clips_match_the_release(make_cfg):
    dataset = build_dataset("jhmdb", make_cfg(), "test")
    expected = _expected_items(subset=2)
    videos = _videos(subset=2)
    assert dataset.video_names == [v.name for v in videos]
    assert dataset.class_ids == sorted(v for v, _ in OVERLAP.values())
    assert len(dataset) == len(expected) == 28
    for index, (video, frame) in enumerate(expected):
        item = dataset[index]
        assert item["clip_id"] == video.name
        assert item["metadata"].tolist() == [[videos.index(video), frame]]
        torch.testing.assert_close(
            item["ori_boxes"],
            torch.tensor([jhmdb_synth.expected_box(video, frame)]),
            atol=1e-6,
            rtol=0,
        )
        # Frames are not resized (TEST_CROP_SIZE = frame height), so pixel boxes are the
        # rectangle's edges, clipped to the last pixel index as the MicroG loader does.
        c0, r0, c1, r1 = video.rect(frame)
        assert item["boxes"][0].tolist() == pytest.approx([c0, r0, c1 + 1, r1 + 1], abs=1e-4)
        labels = item["labels"][0]
        assert labels.sum() == 1 and dataset.class_ids[int(labels.argmax())] == AVA_ID[video.action]
        (clip,) = item["inputs"]
        assert clip.shape == (3, 4, jhmdb_synth.HEIGHT, jhmdb_synth.WIDTH)
        frames = _window(frame, num_frames=4, rate=2, length=video.num_frames)
        # The background grey level encodes the frame number (8 * frame).
        levels = (clip[0, :, 0, 0] * 255).round().tolist()
        assert levels == [8.0 * f for f in frames]


def test_person_pixels_lie_inside_the_box(make_cfg):
    dataset = build_dataset("jhmdb", make_cfg(DATA__NUM_FRAMES=1, DATA__SAMPLING_RATE=1), "test")
    for index in range(len(dataset)):
        item = dataset[index]
        x1, y1, x2, y2 = (round(v) for v in item["boxes"][0].tolist())
        bright = item["inputs"][0][0, 0] > 0.9
        inside = torch.zeros_like(bright)
        inside[y1:y2, x1:x2] = True
        assert bright.any() and not (bright & ~inside).any()
        assert bright[y1:y2, x1:x2].all()


def test_written_groundtruth_and_label_map(make_cfg, tmp_path):
    dataset = build_dataset("jhmdb", make_cfg(), "test")
    assert dataset.groundtruth_file == tmp_path / "ava_format" / "ava_test_gt.csv"
    label_map = read_label_map(dataset.label_map_file)
    assert label_map == {cid: name for cid, name in OVERLAP.values()}
    gt = read_gt_csv(dataset.groundtruth_file, label_map=label_map)
    rows = dataset.groundtruth_file.read_text().splitlines()
    expected = [
        f"{video.name},{frame},"
        + ",".join(f"{v:.6f}" for v in jhmdb_synth.expected_box(video, frame))
        + f",{AVA_ID[video.action]}"
        for video, frame in _expected_items(subset=2)
    ]
    assert rows == expected
    assert len(gt.labels) == 28
    # Built again: the same content, the file is left as it is.
    before = dataset.groundtruth_file.stat().st_mtime_ns
    build_dataset("jhmdb", make_cfg(), "test")
    assert dataset.groundtruth_file.stat().st_mtime_ns == before


def test_train_val_split_and_stride(make_cfg, tmp_path):
    # Training needs one output per scored class (12); the zero-shot 80-class model cannot.
    with pytest.raises(ConfigError, match="training needs them equal"):
        build_dataset("jhmdb", make_cfg(), "train")
    train = build_dataset("jhmdb", make_cfg(MODEL__NUM_CLASSES=12), "train")
    assert train.video_names == [v.name for v in _videos(subset=1)]
    assert train.groundtruth_file is None
    assert not (tmp_path / "ava_format" / "ava_test_gt.csv").exists()
    val = build_dataset("jhmdb", make_cfg(), "val")
    assert val.groundtruth_file.name == "ava_val_gt.csv" and len(val) == 28
    split2 = build_dataset("jhmdb", make_cfg(JHMDB__SPLIT=2), "test")
    assert split2.video_names == train.video_names
    strided = build_dataset("jhmdb", make_cfg(JHMDB__FRAME_STRIDE=3), "test")
    stamps = [strided[i]["metadata"][0, 1].item() for i in range(len(strided))]
    assert len(strided) == len(_expected_items(subset=2, stride=3))
    assert set(stamps) == {1, 7, 10}  # 4 is the empty frame


def test_joint_boxes(make_cfg):
    dataset = build_dataset("jhmdb", make_cfg(JHMDB__BOX_SOURCE="joints"), "test")
    margin = 0.1
    # The joints span columns c0+2..c1-2 and rows r0+2..r1-2 (0-based); every frame has them.
    expected_frames = [(v, f) for v in _videos(subset=2) for f in range(1, v.num_frames + 1)]
    assert len(dataset) == len(expected_frames)
    for index, (video, frame) in enumerate(expected_frames):
        c0, r0, c1, r1 = video.rect(frame)
        lo_x, hi_x, lo_y, hi_y = c0 + 2, c1 - 2, r0 + 2, r1 - 2
        pad_x, pad_y = margin * (hi_x - lo_x), margin * (hi_y - lo_y)
        box = [
            (lo_x - pad_x) / jhmdb_synth.WIDTH,
            (lo_y - pad_y) / jhmdb_synth.HEIGHT,
            (hi_x + pad_x) / jhmdb_synth.WIDTH,
            (hi_y + pad_y) / jhmdb_synth.HEIGHT,
        ]
        assert dataset[index]["ori_boxes"][0].tolist() == pytest.approx(box, abs=1e-6)


def test_items_collate_like_microg_items(make_cfg):
    dataset = build_dataset("jhmdb", make_cfg(), "test")
    batch = collate_detection([dataset[0], dataset[5], dataset[20]])
    assert batch["inputs"][0].shape == (3, 3, 4, jhmdb_synth.HEIGHT, jhmdb_synth.WIDTH)
    assert batch["boxes"][:, 0].tolist() == [0, 1, 2]
    assert batch["labels"].shape == (3, 12) and batch["metadata"].dtype == torch.int64
    assert np.isfinite(batch["ori_boxes"].numpy()).all()
