"""Stage filter: persons in >= 60 % of frames and no scene cut; rejects moved, never deleted."""

from __future__ import annotations

import numpy as np
import pytest
from dp_synthetic import write_video

from data_prep.clip_pass import ClipPass
from data_prep.config import FilterParams, load_config
from data_prep.filter_clips import judge, kept_clips, run_filter, scene_cuts
from data_prep.manifest import read_records


def fake_pass(person_frames: int, frames: int = 90) -> ClipPass:
    person = np.array([[0, 0, 10, 10, 1, 0.61, 0]], np.float32)
    borderline = np.array([[0, 0, 10, 10, 1, 0.6, 0]], np.float32)
    tracked = [person] * person_frames + [borderline] * (frames - person_frames)
    return ClipPass(frames=frames, fps=30.0, height=10, width=10, tracked=tracked)


def test_sixty_percent_is_kept_and_confidence_must_exceed_point_six():
    params = FilterParams()
    assert judge(fake_pass(54), [], params)[0] is True  # 54 / 90 = 60 %
    keep, reason, figures = judge(fake_pass(53), [], params)
    assert not keep and reason == "persons in 58.89% of frames (< 60%)"
    assert figures["person_frames"] == 53
    keep, reason, _ = judge(fake_pass(90), [45], params)
    assert not keep and "1 scene change(s) at frame(s) [45]" in reason


def test_scene_detector_finds_the_hard_cut(tmp_path):
    params = FilterParams()
    assert scene_cuts(write_video(tmp_path / "a.mp4", frames=90, shift_per_frame=1), params) == []
    assert scene_cuts(write_video(tmp_path / "b.mp4", frames=90, cut_at=45), params) == [45]


@pytest.fixture
def clips(tmp_path):
    root = tmp_path / "run" / "clips"
    write_video(root / "srcA" / "srcA_000.mp4", frames=90)
    write_video(root / "srcA" / "srcA_001.mp4", frames=90, cut_at=45)
    (root / "srcB").mkdir()
    (root / "srcB" / "srcB_000.mp4").write_bytes(b"\x00" * 2048)
    return root


def test_filter_keeps_rejects_with_reasons_and_survives_a_corrupt_clip(
    clips, tmp_path, fast_cfg, person_weights
):
    fast_cfg.detector.weights = str(person_weights)
    out = tmp_path / "run"
    summary = run_filter(clips_dir=clips, out_dir=out, cfg=fast_cfg)
    records = read_records(out / "manifests", "filter")
    assert records["srcA_000"].status == "done"
    assert records["srcA_000"].figures["person_percent"] == 100.0
    rejected = records["srcA_001"]
    assert rejected.status == "rejected" and "scene change" in rejected.reason
    assert rejected.figures["cut_frames"] == [45]
    assert records["srcB_000"].status == "failed" and "srcB_000.mp4" in records["srcB_000"].reason
    assert not (clips / "srcA" / "srcA_001.mp4").exists()
    assert (out / "rejected" / "srcA" / "srcA_001.mp4").stat().st_size > 0, "moved, not deleted"
    assert (clips / "srcB" / "srcB_000.mp4").exists(), "failed clips stay where they are"
    assert (summary["done"], summary["rejected"], summary["failed"]) == (1, 1, 1)
    assert kept_clips(out) == {"srcA_000"}
    again = run_filter(clips_dir=clips, out_dir=out, cfg=fast_cfg)
    assert again["processed"] == 0


def test_random_weight_yolo_sees_no_person_and_list_mode_leaves_the_clip(clips, tmp_path):
    cfg = load_config(
        None,
        ["detector.weights=yolo11n.yaml", "detector.imgsz=128", "filter.on_reject=list"],
    )
    out = tmp_path / "run"
    (clips / "srcA" / "srcA_001.mp4").unlink()
    run_filter(clips_dir=clips, out_dir=out, cfg=cfg)
    record = read_records(out / "manifests", "filter")["srcA_000"]
    assert record.status == "rejected"
    assert record.reason == "persons in 0.00% of frames (< 60%)"
    assert (clips / "srcA" / "srcA_000.mp4").exists()
