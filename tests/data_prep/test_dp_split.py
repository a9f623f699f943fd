"""Stage split: 3 s clips at 30 fps and 480p, tail dropped, bad files reported, resumable."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
from dp_synthetic import decoded_frames, write_video

from data_prep.config import load_config
from data_prep.manifest import read_records
from data_prep.split_clips import output_size, run_split
from data_prep.video_io import VideoInfo, VideoReader


def test_ten_seconds_give_three_clips_of_90_frames_at_480p(tmp_path):
    raw = tmp_path / "raw"
    source = write_video(raw / "C-65mBQ7s_Q.mp4", frames=300, fps=30, size=(48, 64), audio=True)
    with av.open(str(source)) as container:
        assert [s.type for s in container.streams] == ["video", "audio"]
    cfg = load_config(None, ["split.preset=ultrafast"])
    summary = run_split(input_dir=raw, out_dir=tmp_path / "out", cfg=cfg)
    clips = sorted((tmp_path / "out" / "clips" / "C-65mBQ7s_Q").glob("*.mp4"))
    assert [c.name for c in clips] == [f"C-65mBQ7s_Q_00{i}.mp4" for i in range(3)]
    assert summary["clips_written"] == 3
    for clip in clips:
        with VideoReader(clip) as reader:
            assert (reader.info.width, reader.info.height) == (640, 480)
            assert reader.info.fps == 30
            assert not [s for s in reader._container.streams if s.type == "audio"]
        assert len(decoded_frames(clip)) == 90
    record = read_records(tmp_path / "out" / "manifests", "split")["C-65mBQ7s_Q"]
    assert record.figures["tail_frames_dropped"] == 30


def test_frame_rate_change_takes_the_nearest_frame_and_other_containers_work(tmp_path):
    raw = tmp_path / "raw"
    levels = [min(4 * i, 255) for i in range(64)]
    source = write_video(raw / "movie.mkv", frames=64, fps=20, size=(32, 32), levels=levels)
    shown = [f.mean() for f in decoded_frames(source)]
    cfg = load_config(None, ["split.preset=ultrafast", "split.crf=0", "split.height=32"])
    cfg.split.clip_seconds = 1.0
    run_split(input_dir=raw, out_dir=tmp_path / "out", cfg=cfg)
    clips = sorted((tmp_path / "out" / "clips" / "movie").glob("*.mp4"))
    # 64 frames at 20 fps = 3.2 s -> 96 output frames at 30 fps -> three 1-s clips, 6 dropped.
    assert len(clips) == 3
    got = np.concatenate([[f.mean() for f in decoded_frames(c)] for c in clips])
    assert len(got) == 90
    # Output frame k (t = k/30) shows the source frame nearest in time: round(k * 20 / 30),
    # ties to the later frame.
    expected = [shown[int(np.floor(k * 20 / 30 + 0.5))] for k in range(90)]
    assert np.abs(got - np.array(expected)).max() <= 1.0


def test_corrupt_and_truncated_files_are_reported_and_the_run_goes_on(tmp_path):
    raw = tmp_path / "raw"
    good = write_video(raw / "good.mp4", frames=95, size=(32, 32))
    data = good.read_bytes()
    (raw / "truncated.mp4").write_bytes(data[: len(data) // 2])
    streamable = write_video(tmp_path / "long.mkv", frames=300, size=(32, 32)).read_bytes()
    (raw / "cut_short.mkv").write_bytes(streamable[: len(streamable) * 6 // 10])
    (raw / "noise.avi").write_bytes(np.random.default_rng(0).bytes(4000))
    (raw / "notes.txt").write_text("not a video")
    cfg = load_config(None, ["split.preset=ultrafast", "split.height=32"])
    summary = run_split(input_dir=raw, out_dir=tmp_path / "out", cfg=cfg)
    records = read_records(tmp_path / "out" / "manifests", "split")
    assert records["good"].status == "done" and len(records["good"].outputs) == 1
    assert (
        records["truncated"].status == "failed" and "truncated.mp4" in records["truncated"].reason
    )
    assert records["noise"].status == "failed"
    assert "notes" not in records, "files without a video extension are not sources"
    # A streamable file cut short still yields the clips of its readable part, with a warning.
    cut = records["cut_short"]
    decoded = cut.figures["seconds_decoded"]
    assert cut.status == "done" and cut.figures["seconds_declared"] == 10.0
    assert 3.0 <= decoded < 9.0 and len(cut.outputs) == round(decoded * 30) // 90
    assert cut.figures["warnings"] == [
        f"decoded {decoded:.2f} s of the 10.00 s the file declares; it may be truncated"
    ]
    assert records["good"].figures["warnings"] == []
    assert (summary["done"], summary["failed"], summary["sources_with_warnings"]) == (2, 2, 1)


def test_rerun_skips_finished_sources_and_bad_names_are_reported(tmp_path):
    raw = tmp_path / "raw"
    write_video(raw / "a.mp4", frames=90, size=(32, 32))
    write_video(raw / "sub" / "a.mkv", frames=90, size=(32, 32))
    write_video(raw / "bad name.mp4", frames=90, size=(32, 32))
    cfg = load_config(None, ["split.preset=ultrafast", "split.height=32"])
    first = run_split(input_dir=raw, out_dir=tmp_path / "out", cfg=cfg)
    records = read_records(tmp_path / "out" / "manifests", "split")
    assert records["a"].status == "done"
    assert "already used" in records["sub/a.mkv"].reason
    assert "rename" in records["bad name.mp4"].reason
    mtime = (tmp_path / "out" / "clips" / "a" / "a_000.mp4").stat().st_mtime_ns
    second = run_split(input_dir=raw, out_dir=tmp_path / "out", cfg=cfg, workers=2)
    assert (first["sources_processed"], first["failed"]) == (1, 2)
    assert second["sources_processed"] == 0
    assert (tmp_path / "out" / "clips" / "a" / "a_000.mp4").stat().st_mtime_ns == mtime


def test_output_size_keeps_display_aspect_with_even_width():
    square = VideoInfo(width=1920, height=1080, fps=None, frames=0, sample_aspect=Fraction(1))
    assert output_size(square, 480) == (854, 480)
    anamorphic = VideoInfo(
        width=720, height=576, fps=None, frames=0, sample_aspect=Fraction(16, 11)
    )
    assert output_size(anamorphic, 480) == (872, 480)  # 720 * 16/11 * 480/576 = 872.7
    odd = VideoInfo(width=641, height=361, fps=None, frames=0, sample_aspect=Fraction(1))
    assert output_size(odd, 0) == (640, 360)  # 641 * 360/361 = 639.2 -> nearest even


def test_sources_are_split_in_parallel_worker_processes(tmp_path):
    raw = tmp_path / "raw"
    for name in ("a", "b", "c"):
        write_video(raw / f"{name}.mp4", frames=70, size=(32, 32), shift_per_frame=1)
    cfg = load_config(None, ["split.preset=ultrafast", "split.height=32"])
    cfg.split.clip_seconds = 1.0
    serial = run_split(input_dir=raw, out_dir=tmp_path / "serial", cfg=cfg, workers=1)
    parallel = run_split(input_dir=raw, out_dir=tmp_path / "parallel", cfg=cfg, workers=2)
    assert serial["clips_written"] == parallel["clips_written"] == 6
    for name in ("a", "b", "c"):
        for seq in range(2):
            clip = f"{name}/{name}_{seq:03d}.mp4"
            one = decoded_frames(tmp_path / "serial" / "clips" / clip)
            two = decoded_frames(tmp_path / "parallel" / "clips" / clip)
            assert len(one) == len(two) == 30
            assert all(np.array_equal(x, y) for x, y in zip(one, two, strict=True))
