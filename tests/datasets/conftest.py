"""Fixtures of the dataset tests: a small generated sample and hand-made tiny datasets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from dataset_fakes import make_cfg, tiny_frames, write_tiny_dataset

from slowfast_microg.datasets.sample import generate_sample


@pytest.fixture(autouse=True)
def single_torch_thread():
    """Run dataset code on one intra-op thread, as it runs inside data-loader workers."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    """A 6-clip generated sample (both layouts, 96x72 frames)."""
    root = tmp_path_factory.mktemp("sample")
    generate_sample(root, num_clips=6, seed=3, height=72, width=96)
    return root


@pytest.fixture
def cfg_for() -> Callable:
    """``cfg_for(root, layout=..., NODE__KEY=value)`` -> config (see ``make_cfg``)."""
    return make_cfg


@pytest.fixture
def tiny_dataset(tmp_path) -> Callable:
    """``tiny_dataset(clips, rows=..., lists=...)`` -> root (see ``write_tiny_dataset``)."""

    def build(clips, *, rows, lists=None):
        return write_tiny_dataset(tmp_path / "data", clips, rows=rows, lists=lists)

    return build


@pytest.fixture
def make_frames() -> Callable:
    """``make_frames(num_frames, seed=0)`` -> distinct (T, 48, 64, 3) uint8 frames."""
    return tiny_frames
