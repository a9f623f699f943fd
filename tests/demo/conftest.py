"""Fixtures of the demo tests: a blob video and a small generated MicroG-format sample."""

from __future__ import annotations

from pathlib import Path

import pytest
from demo_synthetic import blob_frames, write_video

from slowfast_microg.datasets.sample import generate_sample

NUM_FRAMES, HEIGHT, WIDTH, FPS = 40, 120, 160, 25


@pytest.fixture(scope="session")
def blob_video(tmp_path_factory) -> Path:
    """A 40-frame 160x120 25 fps H.264 video with one moving blob (read-only for tests)."""
    root = tmp_path_factory.mktemp("blob")
    frames = blob_frames(NUM_FRAMES, height=HEIGHT, width=WIDTH)
    return write_video(root / "blobs.mp4", frames, fps=FPS)


@pytest.fixture(scope="session")
def sample_root(tmp_path_factory) -> Path:
    """A 3-clip generated sample (one clip per split, JPEG and mp4 layouts, 160x120)."""
    root = tmp_path_factory.mktemp("sample")
    generate_sample(root, num_clips=3, seed=0)
    return root
