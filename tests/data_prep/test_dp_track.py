"""Stage track end to end: YOLO11 (built from its yaml) + BoT-SORT + adaptive post-processing."""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict

from dp_synthetic import decoded_frames, expected_cell_boxes, write_video

from data_prep.config import load_config
from data_prep.filter_clips import run_filter
from data_prep.manifest import read_records
from data_prep.sharding import Shard, shard_of
from data_prep.track_persons import run_track


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_rigged_yolo_gives_the_known_boxes_from_frame_15(tmp_path, fast_cfg, person_weights):
    fast_cfg.detector.weights = str(person_weights)
    fast_cfg.track.preview = True
    clips = tmp_path / "clips"
    write_video(clips / "still" / "still_000.mp4", frames=90)  # static: low motion
    write_video(clips / "moving" / "moving_000.mp4", frames=30, shift_per_frame=3)
    (clips / "broken").mkdir()
    (clips / "broken" / "broken_000.mp4").write_bytes(b"\x00" * 100)
    summary = run_track(clips_dir=clips, out_dir=tmp_path, cfg=fast_cfg)
    assert (summary["done"], summary["failed"]) == (2, 1)
    rows = read_csv(tmp_path / "bounding_boxes.csv")
    assert list(rows[0]) == [
        "video_id", "frame_id", "person_id", "xmin", "ymin", "xmax", "ymax", "confidence",
    ]  # fmt: skip
    by_person = defaultdict(list)
    for row in rows:
        by_person[(row["video_id"], int(row["person_id"]))].append(row)

    still = {pid: r for (clip, pid), r in by_person.items() if clip == "still_000"}
    assert sorted(still) == list(range(1, 13)), "12 cells of a 96 x 128 frame, ids 1..12"
    boxes = set()
    for person_rows in still.values():
        assert [int(r["frame_id"]) for r in person_rows] == list(range(15, 91))
        coords = {tuple(int(r[k]) for k in ("xmin", "ymin", "xmax", "ymax")) for r in person_rows}
        assert len(coords) == 1, "a still person keeps one box"
        boxes |= coords
        assert {r["confidence"] for r in person_rows} == {"0.9933"}  # sigmoid(5)
    assert boxes == set(expected_cell_boxes(96, 128))

    record = read_records(tmp_path / "manifests", "track")
    assert record["still_000"].figures["motion_level"] == "low"
    assert record["moving_000"].figures["motion_level"] == "high"
    assert record["broken_000"].status == "failed"
    moving = {pid: r for (clip, pid), r in by_person.items() if clip == "moving_000"}
    # High motion: update every 3rd frame, 2 detections, boxes >= 20 % of the frame, so the four
    # corner cells (48 x 48 = 18.75 %) never get an id.
    assert sorted(moving) == list(range(1, 9))
    assert all(int(r[0]["frame_id"]) == 6 for r in moving.values())
    areas = {
        (int(r[0]["xmax"]) - int(r[0]["xmin"])) * (int(r[0]["ymax"]) - int(r[0]["ymin"]))
        for r in moving.values()
    }
    assert min(areas) >= 0.2 * 96 * 128
    preview = tmp_path / "previews" / "still" / "still_000.mp4"
    assert len(decoded_frames(preview)) == 90


def test_random_weight_yolo_runs_end_to_end(tmp_path):
    cfg = load_config(None, ["detector.weights=yolo11n.yaml", "detector.imgsz=128"])
    write_video(tmp_path / "clips" / "a" / "a_000.mp4", frames=30)
    summary = run_track(clips_dir=tmp_path / "clips", out_dir=tmp_path / "out", cfg=cfg)
    assert summary["done"] == 1 and summary["rows_in_csv"] == 0
    text = (tmp_path / "out" / "bounding_boxes.csv").read_text()
    assert text == "video_id,frame_id,person_id,xmin,ymin,xmax,ymax,confidence\n"
    assert (tmp_path / "out" / "tracker" / "botsort.yaml").exists()


def test_two_shards_build_the_same_csv_as_one_run(tmp_path, fast_cfg, person_weights):
    fast_cfg.detector.weights = str(person_weights)
    names = [f"src{i}" for i in range(10)]
    first = next(n for n in names if shard_of(n, 2) == 1)
    second = next(n for n in names if shard_of(n, 2) == 2)
    clips = tmp_path / "clips"
    for name in (first, second):
        write_video(clips / name / f"{name}_000.mp4", frames=20)
    run_track(clips_dir=clips, out_dir=tmp_path / "single", cfg=fast_cfg)
    one = run_track(clips_dir=clips, out_dir=tmp_path / "shared", cfg=fast_cfg, shard=Shard(1, 2))
    assert one["pending"] == 1 and one["clips_in_csv"] == 1
    two = run_track(clips_dir=clips, out_dir=tmp_path / "shared", cfg=fast_cfg, shard=Shard(2, 2))
    assert two["pending"] == 0 and two["clips_in_csv"] == 2
    assert (tmp_path / "shared" / "manifests" / "track.shard-1-of-2.jsonl").exists()
    single = (tmp_path / "single" / "bounding_boxes.csv").read_text()
    assert single.count("\n") > 2
    assert (tmp_path / "shared" / "bounding_boxes.csv").read_text() == single


class RefuseToDetect:
    """A detector that must not be called."""

    def detect(self, frames):
        raise AssertionError("detector called")


def test_track_reuses_the_filter_pass_only_with_the_same_values(tmp_path, fast_cfg, person_weights):
    fast_cfg.detector.weights = str(person_weights)
    clips = tmp_path / "clips"
    write_video(clips / "a" / "a_000.mp4", frames=30, shift_per_frame=1)
    run_filter(clips_dir=clips, out_dir=tmp_path / "run", cfg=fast_cfg)
    run_track(clips_dir=clips, out_dir=tmp_path / "run", cfg=fast_cfg, detector=RefuseToDetect())
    record = read_records(tmp_path / "run" / "manifests", "track")["a_000"]
    assert record.status == "done" and record.figures["reused_filter_pass"] is True
    run_track(clips_dir=clips, out_dir=tmp_path / "fresh", cfg=fast_cfg)
    expected = (tmp_path / "fresh" / "bounding_boxes.csv").read_text()
    assert expected.count("\n") > 1
    assert (tmp_path / "run" / "bounding_boxes.csv").read_text() == expected
    # The same cached pass in a run with another detector size is not used.
    shutil.copytree(tmp_path / "run" / "cache", tmp_path / "other" / "cache")
    other = load_config(None, [f"detector.weights={person_weights}", "detector.imgsz=160"])
    run_track(clips_dir=clips, out_dir=tmp_path / "other", cfg=other, detector=RefuseToDetect())
    stale = read_records(tmp_path / "other" / "manifests", "track")["a_000"]
    assert stale.status == "failed" and "detector called" in stale.reason
