"""The demo's video reader and H.264 writer, checked against PyAV decoding of the files."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from demo_synthetic import BLOB_COLOUR, blob_box, blob_frames, read_video, write_video

from slowfast_microg.demo.errors import DemoError
from slowfast_microg.demo.video_io import VideoWriter, iter_frames, probe_video


def _smooth_frames(num: int, *, height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    frames = [
        np.stack([(x * 2 + t * 5) % 256, (y * 2) % 256, np.full_like(x, 128)], axis=-1)
        for t in range(num)
    ]
    return np.asarray(frames, dtype=np.uint8)


@pytest.mark.parametrize(
    ("height", "width", "fps", "pix_fmt"),
    [(120, 160, Fraction(30000, 1001), "yuv420p"), (121, 161, Fraction(25), "yuv444p")],
)
def test_writer_keeps_count_size_rate(tmp_path, height, width, fps, pix_fmt):
    frames = _smooth_frames(13, height=height, width=width)
    path = tmp_path / "out.mp4"
    with VideoWriter(path, fps=fps, width=width, height=height) as writer:
        for frame in frames:
            writer.write(frame)
    decoded, rate, fmt = read_video(path)
    assert decoded.shape == frames.shape
    assert rate == fps
    assert fmt == pix_fmt
    assert np.abs(decoded.astype(int) - frames.astype(int)).mean() < 3.0
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


def test_writer_failure_leaves_no_file(tmp_path):
    path = tmp_path / "out.mp4"
    with pytest.raises(ValueError, match="expected uint8"):
        with VideoWriter(path, fps=Fraction(30), width=64, height=48) as writer:
            writer.write(np.zeros((48, 64, 3), dtype=np.uint8))
            writer.write(np.zeros((40, 64, 3), dtype=np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_reader_matches_pyav_and_probe(blob_video):
    info = probe_video(blob_video)
    frames = np.stack(list(iter_frames(blob_video)))
    decoded, rate, _ = read_video(blob_video)
    assert (info.width, info.height, info.fps, info.num_frames) == (160, 120, Fraction(25), 40)
    np.testing.assert_array_equal(frames, decoded)
    x1, y1, x2, y2 = blob_box(7, height=120, width=160)
    centre = frames[7, (y1 + y2) // 2, (x1 + x2) // 2].astype(int)
    assert np.abs(centre - BLOB_COLOUR).max() < 12


def test_probe_errors_name_the_file(tmp_path):
    with pytest.raises(DemoError, match="missing.mp4 does not exist"):
        probe_video(tmp_path / "missing.mp4")
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    with pytest.raises(DemoError, match="notes.mp4: cannot open the video"):
        probe_video(bad)


def test_writer_reads_back_blob_video(tmp_path):
    frames = blob_frames(6, height=48, width=64)
    source = write_video(tmp_path / "in.mp4", frames, fps=30)
    out = tmp_path / "copy.mp4"
    with VideoWriter(out, fps=Fraction(30), width=64, height=48) as writer:
        for frame in iter_frames(source):
            writer.write(frame)
    assert read_video(out)[0].shape == (6, 48, 64, 3)
