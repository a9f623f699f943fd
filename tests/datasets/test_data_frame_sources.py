"""JPEG/PNG folders and mp4 decoding give the same frames at the same positions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from dataset_fakes import tiny_frames, write_tiny_dataset

from slowfast_microg.datasets.errors import DataError
from slowfast_microg.datasets.frame_lists import read_frame_list
from slowfast_microg.datasets.frame_sources import (
    JpegFrameSource,
    VideoFrameSource,
    decode_image_bytes,
)
from slowfast_microg.datasets.sample import encode_jpeg
from slowfast_microg.datasets.video_decode import decode_frames

# Unsorted, repeated, clamped-looking index sets, starting at 0 (no seek) and later (seek).
INDEX_SETS = [[0, 0, 0, 3, 7], [13, 5, 9, 9, 19], [17, 18, 19, 19], [6]]


def _tiny(root):
    clips = {"clip_a": tiny_frames(20, seed=1), "clip_b": tiny_frames(12, seed=2)}
    write_tiny_dataset(root, clips, rows={})
    paths = read_frame_list(root / "frame_lists" / "train.csv", config_key="AVA.TRAIN_LISTS")
    return root, clips, paths


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return _tiny(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def tiny_copy(tmp_path):
    return _tiny(tmp_path)


@pytest.mark.parametrize("indices", INDEX_SETS)
@pytest.mark.parametrize("multi_thread", [False, True])
def test_both_layouts_return_the_written_frames(tiny, indices, multi_thread):
    root, clips, paths = tiny
    images = JpegFrameSource(frame_dir=root / "frames", frame_paths=paths)
    videos = VideoFrameSource(video_dir=root / "videos", multi_thread=multi_thread)
    index = torch.tensor(indices)
    expected = torch.from_numpy(clips["clip_a"][indices]).permute(0, 3, 1, 2)
    from_images = images.read("clip_a", index)
    from_video = videos.read("clip_a", index)
    assert from_images.dtype == from_video.dtype == torch.uint8
    assert torch.equal(from_images, expected)
    assert torch.equal(from_video, expected)


def test_seeking_decoder_matches_full_decode(tiny):
    root, clips, _ = tiny
    for start in range(0, 20, 3):
        wanted = list(range(start, 20, 5))
        frames = decode_frames(root / "videos" / "clip_a.mp4", wanted)
        assert sorted(frames) == wanted
        for position in wanted:
            np.testing.assert_array_equal(frames[position], clips["clip_a"][position])


def test_sample_layouts_agree_after_the_same_jpeg_round_trip(sample_dir):
    """The sample's JPEGs were extracted from its mp4s: decoding the mp4 at a position and
    JPEG-encoding that frame must give exactly the listed JPEG at that position, and a frame one
    position away must not (the frames move, so an off-by-one would be caught)."""
    paths = read_frame_list(sample_dir / "frame_lists" / "val.csv", config_key="MICROG.VAL_LISTS")
    images = JpegFrameSource(frame_dir=sample_dir / "frames", frame_paths=paths)
    videos = VideoFrameSource(video_dir=sample_dir / "videos")
    index = torch.tensor([0, 21, 44, 45, 46, 89])
    for clip_id in paths:
        from_images = images.read(clip_id, index)
        decoded = videos.read(clip_id, index)
        round_trip = torch.stack(
            [decode_image_bytes(encode_jpeg(frame.permute(1, 2, 0).numpy())) for frame in decoded]
        )
        assert torch.equal(round_trip, from_images)
        shifted = images.read(clip_id, index[1:-1] + 1)
        assert not torch.equal(round_trip[1:-1], shifted)


def test_missing_and_damaged_media(tiny_copy):
    root, _, paths = tiny_copy
    images = JpegFrameSource(frame_dir=root / "frames", frame_paths=paths)
    videos = VideoFrameSource(video_dir=root / "videos")
    assert images.missing(["clip_a", "clip_b"]) == []
    assert videos.missing(["clip_a"]) == []
    (root / "frames" / "clip_b" / "clip_b_000004.png").unlink()
    with pytest.raises(
        DataError, match=r"clip 'clip_b': cannot read frame 4 of 12 at .*clip_b_000004\.png"
    ):
        images.read("clip_b", torch.tensor([0, 3]))
    (root / "frames" / "clip_b" / "clip_b_000002.png").write_bytes(b"not an image")
    with pytest.raises(
        DataError, match=r"clip 'clip_b': .*clip_b_000002\.png is not a decodable image"
    ):
        images.read("clip_b", torch.tensor([1]))
    with pytest.raises(DataError, match=r"clip 'clip_b': .*clip_b\.mp4: frame\(s\) \[12, 13\]"):
        videos.read("clip_b", torch.tensor([11, 12, 13]))
    (root / "videos" / "clip_b.mp4").write_bytes(b"\x00" * 4096)
    with pytest.raises(DataError, match=r"clip 'clip_b': .*clip_b\.mp4: cannot open the video"):
        videos.read("clip_b", torch.tensor([0]))
    (root / "videos" / "clip_b.mp4").unlink()
    assert videos.missing(["clip_a", "clip_b"]) == [("clip_b", root / "videos" / "clip_b.mp4")]
    with pytest.raises(DataError, match=r"clip 'clip_b': .*clip_b\.mp4: cannot open the video"):
        videos.read("clip_b", torch.tensor([0]))
    truncated = (root / "videos" / "clip_a.mp4").read_bytes()
    (root / "videos" / "clip_b.mp4").write_bytes(truncated[: len(truncated) // 3])
    with pytest.raises(DataError, match=r"clip 'clip_b': .*clip_b\.mp4"):
        videos.read("clip_b", torch.tensor([0, 19]))
