"""Stamp-centred windows: the authors' documented indices, our corrected offset, clamping."""

from __future__ import annotations

import pytest

from slowfast_microg.datasets.sampling import ClipSampler, center_index, window_indices

# 0-based indices the authors' loader reads for stamp 52 (AUTHORS_DATA_PIPELINE.md, section 4).
AUTHORS_STAMP_52 = {
    (8, 8): [20, 28, 36, 44, 52, 60, 68, 76],
    (4, 16): [20, 36, 52, 68],
    (16, 4): list(range(20, 81, 4)),
    (16, 5): list(range(12, 88, 5)),
    (13, 6): list(range(13, 86, 6)),
    (32, 2): list(range(20, 83, 2)),
}


@pytest.mark.parametrize(("frames_rate", "expected"), AUTHORS_STAMP_52.items())
def test_authors_offset_reproduces_their_indices(frames_rate, expected):
    num_frames, rate = frames_rate
    sampler = ClipSampler(num_frames=num_frames, sampling_rate=rate, authors_offset=True)
    assert sampler(stamp=52, clip_length=90).tolist() == expected


@pytest.mark.parametrize(("frames_rate", "expected"), AUTHORS_STAMP_52.items())
def test_default_reads_one_frame_earlier(frames_rate, expected):
    num_frames, rate = frames_rate
    sampler = ClipSampler(num_frames=num_frames, sampling_rate=rate)
    assert sampler(stamp=52, clip_length=90).tolist() == [i - 1 for i in expected]


def test_center_is_the_stamped_frame():
    assert center_index(stamp=1) == 0
    assert center_index(stamp=52) == 51
    assert center_index(stamp=52, authors_offset=True) == 52
    assert center_index(stamp=52, stamp_base=0) == 52


def test_clamping_at_both_clip_ends():
    assert window_indices(center=3, num_frames=8, sampling_rate=8, clip_length=90).tolist() == [
        0,
        0,
        0,
        0,
        3,
        11,
        19,
        27,
    ]
    assert window_indices(center=89, num_frames=4, sampling_rate=16, clip_length=90).tolist() == [
        57,
        73,
        89,
        89,
    ]
    assert window_indices(center=5, num_frames=4, sampling_rate=4, clip_length=3).tolist() == [
        0,
        1,
        2,
        2,
    ]
    with pytest.raises(ValueError):
        window_indices(center=0, num_frames=4, sampling_rate=4, clip_length=0)


def test_from_cfg(cfg_for, tmp_path):
    cfg = cfg_for(tmp_path, MICROG__AUTHORS_FRAME_OFFSET=True, DATA__NUM_FRAMES=4)
    sampler = ClipSampler.from_cfg(cfg)
    assert (sampler.num_frames, sampler.sampling_rate, sampler.authors_offset) == (4, 4, True)
    assert sampler(stamp=10, clip_length=90).tolist() == [2, 6, 10, 14]
