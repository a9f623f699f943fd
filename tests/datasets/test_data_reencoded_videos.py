"""Training from ``python -m data_prep reencode``'s copies (``MICROG.VIDEO_DIR videos_intra``):
the same keyframes and boxes as the authors'-style mp4s, pixels within the re-encoding's loss.

Files are lossy as MicroG-4M's (JPEG quality 95, x264 at its defaults), 320x240, a textured,
moving background.
"""

from __future__ import annotations

import numpy as np
import torch
from dataset_fakes import moving_texture, write_tiny_dataset

from data_prep.config import PipelineConfig
from data_prep.reencode import run_reencode
from slowfast_microg.datasets import build_dataset

HEIGHT, WIDTH, NUM_FRAMES = 240, 320, 24


def _frames(seed: int) -> np.ndarray:
    return moving_texture(
        seed=seed,
        num_frames=NUM_FRAMES,
        height=HEIGHT,
        width=WIDTH,
        level=90,
        amplitude=40,
        noise=4,
    )


def _items(root, cfg_for, *, layout: str = "videos", **overrides) -> list[dict]:
    cfg = cfg_for(
        root,
        layout=layout,
        MODEL__ARCH="slow",
        DATA__INPUT_CHANNEL_NUM=[3],
        DATA__NUM_FRAMES=4,
        DATA__SAMPLING_RATE=2,
        DATA__TEST_CROP_SIZE=112,
        **overrides,
    )
    dataset = build_dataset("microg", cfg, "val")
    return [dataset[index] for index in range(len(dataset))]


def test_reencoded_copies_load_like_the_originals(tmp_path, cfg_for):
    rows = [f"clip_{c},{stamp},0.2,0.2,0.6,0.7,12,1" for c in "ab" for stamp in (6, 15)]
    predicted = [row.replace(",12,1", ",,1") for row in rows]
    annotations = {"ava_val_predicted_boxes.csv": predicted}
    root = write_tiny_dataset(
        tmp_path, {"clip_a": _frames(1), "clip_b": _frames(2)}, rows=annotations, lossy=True
    )
    summary = run_reencode(dataset_dir=root, cfg=PipelineConfig())
    assert summary["done"] == 2
    originals = _items(root, cfg_for)
    copies = _items(root, cfg_for, MICROG__VIDEO_DIR="videos_intra")
    jpegs = _items(root, cfg_for, layout="frames")
    assert len(originals) == len(copies) == 4
    levels = torch.tensor(cfg_for(root).DATA.STD).view(3, 1, 1, 1) * 255  # input -> 0..255
    copy_diff, jpeg_diff = [], []
    for original, copy, jpeg in zip(originals, copies, jpegs, strict=True):
        assert torch.equal(original["boxes"], copy["boxes"])
        (reference,) = original["inputs"]
        copy_diff.append(((copy["inputs"][0] - reference) * levels).abs().mean().item())
        jpeg_diff.append(((jpeg["inputs"][0] - reference) * levels).abs().mean().item())
    assert 0 < max(copy_diff) < 2.0, copy_diff
    assert max(copy_diff) < 2 * max(jpeg_diff), (copy_diff, jpeg_diff)
