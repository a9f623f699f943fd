"""to_ava end to end: the produced folder matches the released train-ready formats."""

from __future__ import annotations

import copy
import csv
import re

import pytest
from dp_synthetic import write_video

from data_prep.build_dataset import run_split_dataset, run_to_ava
from data_prep.label_map import ACTION_NAMES, MICROG_IDS, format_pbtxt, read_pbtxt, write_pbtxt
from data_prep.manifest import read_records

FRAMES = 90
SOURCES = ["C-65mBQ7s_Q", "_ikouWcXhd0", "Apollo13", "ISS"]
ACTIONS = [12, 17, 79, 80, 14, 28, 61]


def test_label_map_equals_the_released_file(tmp_path, fixtures_data_prep):
    path = write_pbtxt(tmp_path / "label_map.pbtxt", MICROG_IDS)
    assert path.read_text() == (fixtures_data_prep / "label_map.pbtxt").read_text()
    assert read_pbtxt(path) == {i: ACTION_NAMES[i] for i in MICROG_IDS}
    assert (
        format_pbtxt({28: "operate spaceship"})
        == 'item {\n  name: "operate spaceship"\n  id: 28\n}\n'
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A dataset built by to_ava from 8 tiny clips, synthetic boxes and labels."""
    from data_prep.config import load_config
    from data_prep.logs import setup_logging

    setup_logging(None, progress=False)
    root = tmp_path_factory.mktemp("layout")
    clips = root / "clips"
    box_lines = ["video_id,frame_id,person_id,xmin,ymin,xmax,ymax,confidence"]
    action_lines = ["video_id,movie_or_real,person_id,action"]
    for i in range(8):
        source = SOURCES[i % 4]
        clip = f"{source}_{i // 4:03d}"
        write_video(clips / source / f"{clip}.mp4", frames=FRAMES, size=(48, 64))
        for person in (1, 2) if i % 3 == 0 else (1,):
            for frame in range(15, FRAMES + 1):
                box_lines.append(
                    f"{clip},{frame},{person},{4 * person},3,{30 + 16 * person},47,0.9"
                )
            kind = "m" if source in {"Apollo13", "ISS"} else "r"
            for action in {ACTIONS[i % 7], ACTIONS[(i + person) % 7]}:
                action_lines.append(f"{clip},{kind},{person},{action}")
    action_lines.append(f"{SOURCES[0]}_000,r,5,12")  # labelled person without boxes
    (root / "bounding_boxes.csv").write_text("\n".join(box_lines) + "\n")
    (root / "actions.csv").write_text("\n".join(action_lines) + "\n")
    cfg = load_config(None, ["convert.link_videos=true"])
    summary = run_to_ava(
        boxes_csv=root / "bounding_boxes.csv",
        actions_csv=root / "actions.csv",
        clips_dir=clips,
        dataset_dir=root / "dataset",
        cfg=cfg,
    )
    return root, root / "dataset", summary, cfg


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def test_annotation_files_follow_the_released_format(built):
    _, ds, summary, _ = built
    ann = ds / "annotations"
    names = sorted(p.name for p in ann.iterdir())
    assert names == sorted(
        [f"ava_{s}.csv" for s in ("train", "val", "test")]
        + [f"ava_{s}_predicted_boxes.csv" for s in ("train", "val", "test")]
        + ["ava_val_gt.csv", "ava_test_gt.csv", "label_map.pbtxt"]
    )
    label_ids = set(read_pbtxt(ann / "label_map.pbtxt"))
    all_rows = []
    for split in ("train", "val", "test"):
        rows = read_rows(ann / f"ava_{split}.csv")
        all_rows += rows
        for row in rows:
            assert len(row) == 8 and not row[0].startswith("video_id"), "8 columns, no header"
            stamp, coords = int(row[1]), [float(v) for v in row[2:6]]
            assert 1 <= stamp <= FRAMES
            assert all(0.0 <= v <= 1.0 for v in coords)
            assert all(re.fullmatch(r"\d\.\d{1,3}", v) for v in row[2:6]), row
            assert coords[0] < coords[2] and coords[1] < coords[3]
            assert int(row[6]) in label_ids and int(row[7]) >= 1
        predicted = read_rows(ann / f"ava_{split}_predicted_boxes.csv")
        assert [p[:6] for p in predicted] == [r[:6] for r in rows]
        assert all(p[6:] == ["", "1"] for p in predicted)
    for split in ("val", "test"):
        assert (ann / f"ava_{split}_gt.csv").read_bytes() == (ann / f"ava_{split}.csv").read_bytes()
    assert label_ids == {int(r[6]) for r in all_rows}
    train_ids = {int(r[6]) for r in read_rows(ann / "ava_train.csv")}
    assert train_ids == label_ids, "every action id is in train"
    assert len(all_rows) == summary["ava_rows"]
    # Stamp of a person tracked on frames 15..90: median 52.5 -> 52 (the earlier of the two).
    assert {int(r[1]) for r in all_rows} == {52}
    clips = {s: {r[0] for r in read_rows(ann / f"ava_{s}.csv")} for s in ("train", "val", "test")}
    # 8 clips: int(0.7 * 8) = 5 train, int(0.1 * 8) = 0 val, the other 3 test.
    assert [len(clips[s]) for s in ("train", "val", "test")] == [5, 0, 3]
    assert summary["split"]["train"]["clips"] == 5 and summary["split"]["test"]["clips"] == 3


def test_frame_lists_and_frames(built):
    _, ds, _, _ = built
    for split in ("train", "val", "test"):
        lines = (ds / "frame_lists" / f"{split}.csv").read_text().splitlines()
        assert lines[0] == "original_video_id video_id frame_id path labels"
        clips_in_split = sorted({r[0] for r in read_rows(ds / "annotations" / f"ava_{split}.csv")})
        listed = []
        for line in lines[1:]:
            fields = line.split(" ")
            assert len(fields) == 5 and fields[0] == fields[1] and fields[4] == '""'
            assert fields[3] == f"{fields[0]}/{fields[0]}_{int(fields[2]):06d}.jpg"
            assert (ds / "frames" / fields[3]).is_file()
            listed.append((fields[0], int(fields[2])))
        assert sorted({c for c, _ in listed}) == clips_in_split
        assert listed == [(c, n) for c in clips_in_split for n in range(1, FRAMES + 1)]
    assert (ds / "videos" / "ISS_000.mp4").is_file()


def test_report_split_and_resume(built):
    root, ds, summary, cfg = built
    assert summary["issues"]["no_boxes"] == 1 and summary["labels_not_converted"] == 1
    report = (ds / "prep" / "conversion_report.csv").read_text()
    assert "no_boxes" in report and "actions.csv" in report
    assert summary["frames"]["extracted"] == 8
    first = (ds / "frames" / "ISS_000" / "ISS_000_000001.jpg").stat().st_mtime_ns
    again = run_to_ava(
        boxes_csv=root / "bounding_boxes.csv",
        actions_csv=root / "actions.csv",
        clips_dir=root / "clips",
        dataset_dir=ds,
        cfg=cfg,
    )
    assert again["frames"]["extracted"] == 0, "frames of finished clips are not extracted again"
    assert (ds / "frames" / "ISS_000" / "ISS_000_000001.jpg").stat().st_mtime_ns == first
    assert len(read_records(ds / "manifests", "frames")) == 8
    grouped_cfg = copy.deepcopy(cfg)
    grouped_cfg.dataset.group_by = "source"
    grouped = run_split_dataset(dataset_dir=ds, cfg=grouped_cfg)
    assert grouped["sources_in_several_splits"] == 0
    split_lines = (ds / "prep" / "split.csv").read_text().splitlines()
    assert split_lines[0] == "video_id,source,split" and len(split_lines) == 9
    for line in split_lines[1:]:
        clip, source, split = line.split(",")
        assert clip.rsplit("_", 1)[0] == source
    paper = run_split_dataset(dataset_dir=ds, cfg=cfg)  # back to the paper's split
    assert paper["sources_in_several_splits"] > 0 and paper["train"]["clips"] == 5


def test_the_produced_folder_trains_with_the_core(built, tmp_path):
    """The to_ava output is the training core's input: 2 iterations of train, then val/test."""
    from pathlib import Path

    from slowfast_microg.engine.launch import main
    from slowfast_microg.engine.stats import read_json_stats

    _, ds, _, _ = built
    config = Path(__file__).resolve().parents[2] / "configs" / "MicroG" / "SLOWFAST_8x8.yaml"
    train_clips = {r[0] for r in read_rows(ds / "annotations" / "ava_train.csv")}
    assert len(train_clips) == 5  # one keyframe each; batch 2 with drop_last: 2 iterations
    num_classes = len(read_pbtxt(ds / "annotations" / "label_map.pbtxt"))
    argv = [
        "--cfg", str(config), "TRAIN.DATASET", "microg", "TEST.DATASET", "microg",
        "DATA.PATH_TO_DATA_DIR", str(ds), "OUTPUT_DIR", str(tmp_path / "run"), "NUM_GPUS", "0",
        "RESNET.WIDTH_PER_GROUP", "8", "TRAIN.BATCH_SIZE", "2", "TEST.BATCH_SIZE", "2",
        "SOLVER.MAX_EPOCH", "1", "TRAIN.EVAL_PERIOD", "1", "TRAIN.CHECKPOINT_FILE_PATH", "",
        "MODEL.NUM_CLASSES", str(num_classes), "DATA.TRAIN_JITTER_SCALES", "[32, 40]",
        "DATA.TRAIN_CROP_SIZE", "32", "DATA.TEST_CROP_SIZE", "32",
        "DATA_LOADER.NUM_WORKERS", "0", "PROGRESS_BAR", "False", "LOG_PERIOD", "1",
        # 8 clips leave int(0.1 * 8) = 0 for val: validate on the test split instead.
        "MICROG.VAL_LISTS", "['test.csv']", "MICROG.VAL_GROUNDTRUTH_FILE", "ava_test_gt.csv",
        "MICROG.VAL_PREDICT_BOX_LISTS", "['ava_test_predicted_boxes.csv']",
    ]  # fmt: skip
    assert main(argv) == 0
    stats = read_json_stats(tmp_path / "run" / "json_stats.log")
    assert [line["_type"] for line in stats] == ["train_epoch", "val_epoch", "test_epoch"]
    iters = [
        line["cur_iter"]
        for line in read_json_stats(tmp_path / "run" / "stdout.log")
        if line["_type"] == "train_iter"
    ]
    assert iters == ["1", "2"], "5 train clips, batch 2, LOG_PERIOD 1: two iterations"
    test_boxes = {tuple(r[:6]) for r in read_rows(ds / "annotations" / "ava_test.csv")}
    detections = read_rows(tmp_path / "run" / "detections_test.csv")
    assert len(detections) == num_classes * len(test_boxes)
