"""DATA_LOADER.RESIZE_IN_DECODER: frames decoded at the transform's size give the same boxes,
pixels within a documented tolerance of decoding at full size, and boxes still on their pixels.

Files are lossy as MicroG-4M's (JPEG quality 95, x264 at its defaults), 320x240 with a bright
rectangle (the annotated person) on a textured background.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from dataset_fakes import moving_texture, write_tiny_dataset

from slowfast_microg.datasets import build_dataset

HEIGHT, WIDTH, NUM_FRAMES = 240, 320, 24
RECT = (96, 60, 200, 180)  # x1, y1, x2, y2 in pixels
# Documented in docs/dataset.md ("Loading speed"), in 0..255 levels of the de-normalised input;
# single pixels at the rectangle's sharp edges differ more (bilinear picks, the decoders average).
MEAN_TOLERANCE = 3.0
P99_TOLERANCE = 48


def _frames(seed: int) -> np.ndarray:
    frames = moving_texture(
        seed=seed,
        num_frames=NUM_FRAMES,
        height=HEIGHT,
        width=WIDTH,
        level=50,
        amplitude=25,
        noise=6,
    )
    x1, y1, x2, y2 = RECT
    frames[:, y1:y2, x1:x2] = (235, 225, 215)
    return frames


@pytest.fixture(scope="module")
def rect_root(tmp_path_factory):
    x1, y1, x2, y2 = RECT
    box = f"{x1 / WIDTH:.4f},{y1 / HEIGHT:.4f},{x2 / WIDTH:.4f},{y2 / HEIGHT:.4f}"
    rows = [f"clip_{c},{stamp},{box},12,1" for c in "ab" for stamp in (9, 14)]
    predicted = [",".join(row.split(",")[:6]) + ",,1" for row in rows]
    root = tmp_path_factory.mktemp("rect")
    clips = {"clip_a": _frames(1), "clip_b": _frames(2)}
    annotations = {
        "ava_train.csv": rows,
        "ava_val_predicted_boxes.csv": predicted,
        "ava_test_predicted_boxes.csv": predicted,
    }
    return write_tiny_dataset(root, clips, rows=annotations, lossy=True)


def _items(root, cfg_for, *, layout, split, resize_in_decoder, **overrides):
    settings = {
        "MODEL__ARCH": "slow",
        "DATA__INPUT_CHANNEL_NUM": [3],
        "DATA__NUM_FRAMES": 4,
        "DATA__SAMPLING_RATE": 2,
        "DATA__TRAIN_JITTER_SCALES": [96, 120],
        "DATA__TRAIN_CROP_SIZE": 96,
        "DATA__TEST_CROP_SIZE": 112,
        "DATA_LOADER__RESIZE_IN_DECODER": resize_in_decoder,
    }
    cfg = cfg_for(root, layout=layout, **{**settings, **overrides})
    dataset = build_dataset("microg", cfg, split)
    items = []
    for index in range(len(dataset)):
        torch.manual_seed(index)
        items.append(dataset[index])
    return items, cfg


def _levels(item, cfg) -> torch.Tensor:
    """The single pathway's pixels back in 0..255 levels, (C, T, H, W) float."""
    (clip,) = item["inputs"]
    mean = torch.tensor(cfg.DATA.MEAN).view(3, 1, 1, 1)
    std = torch.tensor(cfg.DATA.STD).view(3, 1, 1, 1)
    return (clip * std + mean) * 255


@pytest.mark.parametrize("layout", ["frames", "videos"])
@pytest.mark.parametrize("split", ["train", "test"])
def test_same_boxes_and_close_pixels(rect_root, cfg_for, layout, split):
    full, cfg = _items(rect_root, cfg_for, layout=layout, split=split, resize_in_decoder=False)
    scaled, _ = _items(rect_root, cfg_for, layout=layout, split=split, resize_in_decoder=True)
    assert len(full) == len(scaled) == 4
    for a, b in zip(full, scaled, strict=True):
        for key in ("boxes", "ori_boxes", "labels", "metadata"):
            assert torch.equal(a[key], b[key])
        assert a["inputs"][0].shape == b["inputs"][0].shape
        difference = (_levels(a, cfg) - _levels(b, cfg)).abs().flatten()
        assert difference.mean() <= MEAN_TOLERANCE, difference.mean()
        assert difference.quantile(0.99) <= P99_TOLERANCE, difference.quantile(0.99)


def _bright_extent(levels: torch.Tensor) -> tuple[int, int, int, int] | None:
    """Continuous-edge extent (x1, y1, x2, y2) of the bright pixels of the middle frame."""
    mask = levels[:, levels.shape[1] // 2].mean(dim=0) > 150
    rows = torch.nonzero(mask.any(dim=1)).flatten()
    cols = torch.nonzero(mask.any(dim=0)).flatten()
    if len(rows) == 0:
        return None
    return (cols.min().item(), rows.min().item(), cols.max().item() + 1, rows.max().item() + 1)


@pytest.mark.parametrize("layout", ["frames", "videos"])
@pytest.mark.parametrize("split", ["train", "test"])
def test_boxes_stay_on_their_pixels(rect_root, cfg_for, layout, split):
    items, cfg = _items(rect_root, cfg_for, layout=layout, split=split, resize_in_decoder=True)
    for item in items:
        x1, y1, x2, y2 = item["boxes"][0].tolist()
        extent = _bright_extent(_levels(item, cfg))
        if extent is None:
            assert x1 == x2 or y1 == y2, "a box cropped out of view collapses onto the border"
        else:
            # 1 px for PySlowFast's W - 1 - x flip convention, 1 px for interpolation.
            assert np.allclose([x1, y1, x2, y2], extent, atol=2.0), (item["boxes"], extent)


def test_no_draft_and_no_resize_decode_exactly_as_before(rect_root, cfg_for):
    """JPEG targets above half size (no DCT scaling) and mp4s at their own size are decoded
    exactly as without the option."""
    opts = {"DATA__TEST_CROP_SIZE": 180}
    full, _ = _items(
        rect_root, cfg_for, layout="frames", split="test", resize_in_decoder=False, **opts
    )
    scaled, _ = _items(
        rect_root, cfg_for, layout="frames", split="test", resize_in_decoder=True, **opts
    )
    for a, b in zip(full, scaled, strict=True):
        assert torch.equal(a["inputs"][0], b["inputs"][0])
    same = {"DATA__TEST_CROP_SIZE": HEIGHT}
    full, _ = _items(
        rect_root, cfg_for, layout="videos", split="test", resize_in_decoder=False, **same
    )
    scaled, _ = _items(
        rect_root, cfg_for, layout="videos", split="test", resize_in_decoder=True, **same
    )
    for a, b in zip(full, scaled, strict=True):
        assert torch.equal(a["inputs"][0], b["inputs"][0])
