"""Tracking logic: synthetic detections through Ultralytics' BoT-SORT, and the adaptive rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from data_prep.config import AdaptiveParams, PipelineConfig
from data_prep.postprocess import PersonRecorder, choose, fps_class
from data_prep.tracking import load_tracker_args, make_tracker, track_frame, write_tracker_yaml

FRAME = np.zeros((240, 320, 3), np.uint8)


def iou(a, b) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(x2 - x1, 0) * max(y2 - y1, 0)
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area


@pytest.fixture
def pinned_args(tmp_path):
    return load_tracker_args(write_tracker_yaml(PipelineConfig().botsort, tmp_path / "bs.yaml"))


def test_ids_are_stable_for_two_moving_persons(pinned_args):
    tracker = make_tracker(pinned_args)
    ids = {"a": set(), "b": set()}
    for t in range(60):
        a = [20 + t, 40, 120 + t, 200, 0.9, 0]
        b = [260 - t, 30, 318 - t, 220, 0.8, 0]
        out = track_frame(tracker, np.array([a, b], np.float32), FRAME)
        assert out.shape == (2, 7) and (out[:, 4] >= 1).all()
        for name, det in (("a", a), ("b", b)):
            match = max(out, key=lambda row: iou(row[:4], det[:4]))
            assert iou(match[:4], det[:4]) > 0.9
            ids[name].add(int(match[4]))
    assert len(ids["a"]) == 1 and len(ids["b"]) == 1 and ids["a"] != ids["b"]


def test_pinned_new_track_threshold_matters(pinned_args):
    """A 0.55 detection starts no track with the paper's 0.6; it would with Ultralytics' 0.25."""
    det = np.array([[50, 50, 150, 200, 0.55, 0]], np.float32)
    tracker = make_tracker(pinned_args)
    for _ in range(5):
        out = track_frame(tracker, det, FRAME)
        assert (out[:, 4] == -1).all(), "untracked detections come back without an id"
    import ultralytics
    from ultralytics.utils import YAML, IterableSimpleNamespace

    shipped = Path(ultralytics.__file__).parent / "cfg" / "trackers" / "botsort.yaml"
    default_args = IterableSimpleNamespace(**YAML.load(str(shipped)))
    assert default_args.new_track_thresh < 0.55
    other = make_tracker(default_args)
    outs = [track_frame(other, det, FRAME) for _ in range(3)]
    assert (outs[-1][:, 4] >= 1).all()


def test_low_score_detection_keeps_an_existing_track(pinned_args):
    tracker = make_tracker(pinned_args)
    box = [50, 50, 150, 200]
    first = track_frame(tracker, np.array([[*box, 0.9, 0]], np.float32), FRAME)
    weak = track_frame(tracker, np.array([[*box, 0.3, 0]], np.float32), FRAME)
    assert int(weak[0, 4]) == int(first[0, 4]), "second-stage association (0.1 < 0.3 < 0.5)"


def track_rows(boxes_per_frame):
    """(M, 7) arrays from lists of (x1, y1, x2, y2, id, conf, cls)."""
    return [np.array(rows, np.float32).reshape(-1, 7) for rows in boxes_per_frame]


def record(tracked, *, motion="low", fps=30.0, size=(100, 100), mode="hold"):
    params = AdaptiveParams()
    recorder = PersonRecorder(
        adaptive=choose(motion_level=motion, fps=fps, params=params),
        frame_size=size,
        params=params,
        boxes_mode=mode,
    )
    rows = []
    for frame_id, boxes in enumerate(tracked, start=1):
        rows.extend(recorder.step(frame_id, boxes))
    return rows, recorder


def test_adaptive_values_follow_the_papers_table():
    params = AdaptiveParams()
    assert [fps_class(f, params.fps_bands) for f in (24, 25, 30, 50, 60, 100, 120)] == [
        "low", "low", "mid", "mid", "high", "high", "extra",
    ]  # fmt: skip
    low = choose(motion_level="low", fps=30, params=params)
    high = choose(motion_level="high", fps=30, params=params)
    assert (low.frame_interval, low.min_detections, low.min_box_area_ratio) == (5, 3, 0.10)
    assert (high.frame_interval, high.min_detections, high.min_box_area_ratio) == (3, 2, 0.20)
    assert choose(motion_level="low", fps=120, params=params).frame_interval == 20
    assert choose(motion_level="high", fps=24, params=params).frame_interval == 2


@pytest.mark.parametrize("motion, first", [("low", 15), ("high", 6)])
def test_first_recorded_frame_follows_interval_and_min_detections(motion, first):
    tracked = track_rows([[(10, 10, 60, 60, 4, 0.9, 0)]] * 90)  # 25 % of a 100 x 100 frame
    rows, _ = record(tracked, motion=motion)
    assert [r.frame_id for r in rows] == list(range(first, 91))
    assert {r.person_id for r in rows} == {1}


def test_small_persons_are_never_recorded():
    tracked = track_rows([[(10, 10, 40, 40, 4, 0.9, 0)]] * 90)  # 9 % < 10 %
    assert record(tracked)[0] == []
    tracked = track_rows([[(10, 10, 50, 50, 4, 0.9, 0)]] * 90)  # 16 %: enough for low motion
    assert record(tracked, motion="low")[0] and not record(tracked, motion="high")[0]


def test_confidence_and_class_rules():
    # The authors compare float(conf) > 0.55: a float32 0.55 (0.550000012) passes, 0.549 does not.
    at_threshold = track_rows([[(10, 10, 60, 60, 4, 0.55, 0)]] * 30)
    low_conf = track_rows([[(10, 10, 60, 60, 4, 0.549, 0)]] * 30)
    car = track_rows([[(10, 10, 60, 60, 4, 0.9, 2)]] * 30)
    untracked = track_rows([[(10, 10, 60, 60, -1, 0.9, 0)]] * 30)
    assert [r.frame_id for r in record(at_threshold)[0]] == list(range(15, 31))
    assert record(low_conf)[0] == [] and record(car)[0] == [] and record(untracked)[0] == []


def test_box_area_uses_truncated_corners():
    # Float area 31.9 x 31.9 = 1017.6 >= 10 % of 100 x 100, but the authors truncate the corners
    # first: 31 x 31 = 961 < 1000, so the person is never kept.
    tracked = track_rows([[(10.0, 10.0, 41.9, 41.9, 4, 0.9, 0)]] * 30)
    assert record(tracked)[0] == []
    tracked = track_rows([[(10.0, 10.0, 42.0, 41.9, 4, 0.9, 0)]] * 30)  # 32 x 31 = 992
    assert record(tracked)[0] == []
    tracked = track_rows([[(9.9, 10.0, 42.0, 42.0, 4, 0.9, 0)]] * 30)  # 33 x 32 = 1056
    assert record(tracked)[0]


def test_non_person_tracks_use_up_person_ids():
    tracked = track_rows([[(0, 0, 50, 50, 7, 0.9, 2), (50, 50, 100, 100, 9, 0.9, 0)]] * 30)
    rows, _ = record(tracked)
    assert {r.person_id for r in rows} == {2}


def test_dominant_person_hides_the_others_while_it_stays_large():
    frames = []
    for frame_id in range(1, 91):
        big = (0, 0, 80, 80, 1, 0.9, 0) if frame_id < 50 else (0, 0, 60, 60, 1, 0.9, 0)
        frames.append([big, (80, 0, 100, 100, 2, 0.9, 0)])  # the other person: 20 %
    rows, recorder = record(track_rows(frames))
    before = {r.person_id for r in rows if r.frame_id < 50}
    after = {r.person_id for r in rows if r.frame_id >= 50}
    assert before == {1}, "64 % of the frame: only the dominant person"
    assert after == {1, 2}, "36 %: everybody qualifying is recorded again"
    assert min(r.frame_id for r in rows if r.person_id == 2) == 50
    assert recorder.dominant_frames == 9  # update frames 5, 10, ..., 45


def test_a_lost_dominant_person_frees_everybody_until_the_next_update_frame():
    frames = []
    for frame_id in range(1, 91):
        if frame_id < 50:
            boxes = [(0, 0, 80, 80, 1, 0.9, 0), (80, 0, 100, 100, 2, 0.9, 0)]  # 64 % and 20 %
        else:
            boxes = [(0, 0, 60, 60, 1, 0.9, 0), (40, 0, 100, 100, 2, 0.9, 0)]  # 36 % and 60 %
        frames.append(boxes)
    rows, _ = record(track_rows(frames))
    persons = {f: {r.person_id for r in rows if r.frame_id == f} for f in range(15, 91)}
    assert all(persons[f] == {1} for f in range(15, 50))
    # Update frame 50 drops person 1 as dominant; nobody new is chosen on that frame.
    assert all(persons[f] == {1, 2} for f in range(50, 55))
    # Update frame 55: person 2 covers 60 % and becomes the dominant person.
    assert all(persons[f] == {2} for f in range(55, 91))


def test_a_dominant_person_at_exactly_half_the_frame_stays_dominant():
    frames = []
    for frame_id in range(1, 91):
        big = (0, 0, 80, 80, 1, 0.9, 0) if frame_id < 50 else (0, 0, 50, 100, 1, 0.9, 0)
        frames.append([big, (80, 0, 100, 100, 2, 0.9, 0)])
    rows, _ = record(track_rows(frames))
    assert {r.person_id for r in rows} == {1}, "50 % keeps a dominant person (only < 50 % resets)"
    # 50 % does not make a person dominant in the first place (> 50 % is needed).
    frames = [[(0, 0, 50, 100, 1, 0.9, 0), (80, 0, 100, 100, 2, 0.9, 0)]] * 30
    assert {r.person_id for r in record(track_rows(frames))[0]} == {1, 2}


def test_hold_repeats_the_update_frame_box_and_fresh_follows_the_track():
    frames = [[(10 + f, 10, 60 + f, 60, 3, 0.9, 0)] for f in range(1, 31)]
    held, _ = record(track_rows(frames), mode="hold")
    fresh, _ = record(track_rows(frames), mode="fresh")
    by_frame_held = {r.frame_id: r.x1 for r in held}
    by_frame_fresh = {r.frame_id: r.x1 for r in fresh}
    assert [by_frame_held[f] for f in range(15, 20)] == [25.0] * 5
    assert [by_frame_fresh[f] for f in range(15, 20)] == [25.0, 26.0, 27.0, 28.0, 29.0]
    assert sorted(by_frame_held) == sorted(by_frame_fresh) == list(range(15, 31))


def test_only_update_frames_look_at_the_tracker_output():
    frames = [[(10, 10, 60, 60, 3, 0.9, 0)]] * 90
    frames[16] = []  # frame 17 (between updates) has no box: the held box is recorded anyway
    frames[19] = []  # frame 20 (an update frame) has no box: nothing until the next update
    frames[26] = [(10, 10, 60, 60, 3, 0.1, 0)]  # frame 27: too weak, but between updates
    rows, _ = record(track_rows(frames))
    recorded = {r.frame_id for r in rows}
    assert {15, 16, 17, 18, 19} <= recorded
    assert not set(range(20, 25)) & recorded
    assert set(range(25, 91)) <= recorded
    assert {round(r.conf, 2) for r in rows} == {0.9}, "frame 27 repeats the box of frame 25"


def scripted_detections(frame_id: int) -> np.ndarray:
    """Detections (N, 6) of frame ``frame_id`` (0-based) exercising the tracker's branches."""
    dets = []
    if not 20 <= frame_id <= 22:  # three frames without any detection
        dets.append([20 + 2 * frame_id, 40, 120 + 2 * frame_id, 200, 0.9, 0])  # steady person
        if frame_id >= 10:
            dets.append([200, 20, 300, 120, 0.55, 0])  # below new_track_thresh 0.6: no track
        if frame_id % 7 < 4:
            dets.append([150, 130, 230, 235, 0.3 if frame_id % 2 else 0.7, 2])  # flickering car
    if frame_id == 40:
        dets = [[60, 60, 100, 100, 0.3, 0]]  # only a weak detection: returned without an id
    if frame_id in (50, 51):
        dets = [[10, 150, 60, 230, 0.8, 0]]  # a new person alone: hidden until confirmed
    return np.array(dets, np.float32).reshape(-1, 6)


def test_track_frame_returns_what_ultralytics_track_mode_returns(pinned_args, tmp_path):
    """The same detections through ``model.track`` (the authors' call) and through track_frame."""
    import torch
    from ultralytics import YOLO
    from ultralytics.engine.results import Boxes

    yaml_path = write_tracker_yaml(PipelineConfig().botsort, tmp_path / "botsort.yaml")
    frames = [
        np.roll(np.indices((240, 320)).sum(0)[..., None] % 17 * 15, 2 * i, axis=1)
        .repeat(3, axis=2)
        .astype(np.uint8)
        for i in range(60)
    ]
    model = YOLO("yolo11n.yaml")
    state = {"frame": 0}

    def inject(predictor):  # runs before the tracker's own postprocess callback
        for result in predictor.results:
            dets = torch.from_numpy(scripted_detections(state["frame"]))
            result.boxes = Boxes(dets, result.orig_shape)

    model.add_callback("on_predict_postprocess_end", inject)
    expected = []
    for i, frame in enumerate(frames):
        state["frame"] = i
        result = model.track(frame, persist=True, tracker=str(yaml_path), imgsz=128, verbose=False)
        data = result[0].boxes.data.numpy()
        if not result[0].boxes.is_track:
            data = np.concatenate([data[:, :4], np.full((len(data), 1), -1.0), data[:, 4:]], 1)
        expected.append(data.astype(np.float32))
    tracker = make_tracker(pinned_args)
    ours = [track_frame(tracker, scripted_detections(i), f) for i, f in enumerate(frames)]
    for i, (mine, theirs) in enumerate(zip(ours, expected, strict=True)):
        assert mine.shape == theirs.shape, f"frame {i}"
        np.testing.assert_allclose(mine, theirs, atol=1e-3, err_msg=f"frame {i}")
    assert [len(out) for out in ours[20:23]] == [0, 0, 0], "frames without detections"
    assert ours[40][:, 4].tolist() == [-1.0], "a detection the tracker does not return"
    assert len(ours[50]) == 0 and ours[51][:, 4].tolist() == [3.0], "unconfirmed, then id 3"
