"""Stage ``reencode``: fast-loading copies of a dataset's clips, checked, resumable, honest about
what they lose."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from dp_synthetic import write_video

from data_prep.cli import main
from data_prep.config import PipelineConfig, load_config
from data_prep.manifest import read_records
from data_prep.reencode import reencode_clip, run_reencode
from data_prep.video_io import VideoError
from slowfast_microg.datasets.h264_packets import h264_packets
from slowfast_microg.datasets.video_decode import decode_frames

FRAMES = 24


def _rgb(path: Path) -> np.ndarray:
    """(T, H, W, 3) RGB frames of a video by PyAV's plain decode loop."""
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def _idr_positions(path: Path) -> list[int]:
    """Presentation positions of the IDR pictures of an H.264 mp4."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        kinds = h264_packets(stream.codec_context)
        ticks = stream.time_base * stream.average_rate
        return sorted(
            round(p.pts * ticks)
            for p in container.demux(stream)
            if p.size and kinds.independent(bytes(p))
        )


@pytest.fixture
def dataset(tmp_path) -> Path:
    """A dataset folder with two moving-texture clips in videos/ (x264, one keyframe each)."""
    for k in range(2):
        write_video(tmp_path / "videos" / f"clip_{k}.mp4", frames=FRAMES, shift_per_frame=k + 1)
    return tmp_path


def test_copies_are_all_intra_frame_exact_in_count_and_close_to_the_source(dataset, capsys):
    assert main(["reencode", "--dataset", str(dataset), "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["clips_processed"] == 2 and summary["done"] == 2 and summary["failed"] == 0
    records = read_records(dataset / "manifests", "reencode")
    for clip in ("clip_0", "clip_1"):
        source, copy = dataset / "videos" / f"{clip}.mp4", dataset / "videos_intra" / f"{clip}.mp4"
        assert _idr_positions(source) == [0]
        assert _idr_positions(copy) == list(range(FRAMES)), "every frame its own IDR picture"
        original, copied = _rgb(source), _rgb(copy)
        assert copied.shape == original.shape
        mean_abs = np.abs(original.astype(np.int32) - copied).mean()
        figures = records[clip].figures
        assert figures["frames"] == FRAMES
        assert figures["mean_abs_diff"] == pytest.approx(mean_abs, rel=1e-9)
        assert 0 < figures["mean_abs_diff"] < 3, "lossy, but close at the default CRF"
        assert figures["bytes"] == copy.stat().st_size
        assert records[clip].outputs == [f"videos_intra/{clip}.mp4"]
        got = decode_frames(copy, [3, 11, 19])
        for position in (3, 11, 19):
            np.testing.assert_array_equal(got[position], copied[position])
    assert summary["source_bytes"] < summary["bytes"]


def test_keyint_sets_the_group_of_pictures(dataset):
    cfg = load_config(None, ["reencode.keyint=8"])
    run_reencode(dataset_dir=dataset, cfg=cfg, target="gop8")
    assert _idr_positions(dataset / "gop8" / "clip_0.mp4") == [0, 8, 16]


def test_a_rerun_skips_finished_clips_and_other_parameters_are_refused(dataset, capsys):
    assert main(["reencode", "--dataset", str(dataset), "--no-progress"]) == 0
    capsys.readouterr()
    copy = dataset / "videos_intra" / "clip_0.mp4"
    stamp = copy.stat().st_mtime_ns
    assert main(["reencode", "--dataset", str(dataset), "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out)["clips_processed"] == 0
    assert copy.stat().st_mtime_ns == stamp
    assert main(["reencode", "--dataset", str(dataset), "--crf", "20", "--no-progress"]) == 1


def test_a_damaged_clip_fails_alone_and_leaves_no_copy(dataset):
    damaged = dataset / "videos" / "clip_1.mp4"
    damaged.write_bytes(damaged.read_bytes()[:600])
    summary = run_reencode(dataset_dir=dataset, cfg=PipelineConfig())
    assert (summary["done"], summary["failed"]) == (1, 1)
    record = read_records(dataset / "manifests", "reencode")["clip_1"]
    assert "clip_1.mp4" in record.reason
    assert not (dataset / "videos_intra" / "clip_1.mp4").exists()
    assert not list((dataset / "videos_intra").glob("*.tmp.*"))
    write_video(damaged, frames=FRAMES)
    summary = run_reencode(dataset_dir=dataset, cfg=PipelineConfig(), retry_failed=True)
    assert (summary["clips_processed"], summary["done"], summary["failed"]) == (1, 2, 0)


def test_a_variable_frame_rate_clip_is_refused(tmp_path):
    source = tmp_path / "vfr.mp4"
    with av.open(str(source), mode="w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for k, pts in enumerate([0, 1, 2, 5, 6, 7]):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 * k, np.uint8), "rgb24")
            frame.pts = pts
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    with pytest.raises(VideoError, match=r"vfr\.mp4: frame \d+ is at .*variable frame rate"):
        reencode_clip(source=source, target=tmp_path / "out.mp4", params=PipelineConfig().reencode)
    assert not (tmp_path / "out.mp4").exists()


def test_bad_settings_and_folders_are_named(dataset):
    with pytest.raises(ValueError, match="reencode.keyint = 0"):
        load_config(None, ["reencode.keyint=0"])
    with pytest.raises(ValueError, match="source and target"):
        run_reencode(dataset_dir=dataset, cfg=PipelineConfig(), target="videos")
    with pytest.raises(FileNotFoundError, match="no .mp4 clips in"):
        run_reencode(dataset_dir=dataset, cfg=PipelineConfig(), source="missing")
