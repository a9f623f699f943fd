"""Detection transforms: boxes stay on the pixels they describe; colour and packing semantics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from slowfast_microg.config.loader import ConfigError
from slowfast_microg.datasets import transforms as T
from slowfast_microg.datasets.detection_transform import DetectionTransform, pack_pathways

HEIGHT, WIDTH = 120, 160
# A white rectangle covering pixel rows 30..79 and columns 50..89 of a black clip.
RECT = (50, 30, 90, 80)
MEAN, STD = (0.45, 0.45, 0.45), (0.225, 0.225, 0.225)


def _rect_clip(num_frames=4, rect=RECT):
    clip = torch.zeros(num_frames, 3, HEIGHT, WIDTH, dtype=torch.uint8)
    x1, y1, x2, y2 = rect
    clip[:, :, y1:y2, x1:x2] = 255
    box = torch.tensor([[x1 / WIDTH, y1 / HEIGHT, x2 / WIDTH, y2 / HEIGHT]])
    return clip, box


def _bright_extent(out):
    """Continuous-edge extent (x1, y1, x2, y2) of pixels brighter than mid-gray, or None."""
    pixels = out[0, 0] * STD[0] + MEAN[0]
    rows = torch.nonzero(pixels.amax(dim=1) > 0.5).flatten()
    cols = torch.nonzero(pixels.amax(dim=0) > 0.5).flatten()
    if len(rows) == 0:
        return None
    return (cols.min().item(), rows.min().item(), cols.max().item() + 1, rows.max().item() + 1)


def test_short_side_shape_follows_pyslowfast():
    assert T.short_side_shape(height=480, width=854, size=256) == (256, 455)
    assert T.short_side_shape(height=854, width=480, size=256) == (455, 256)
    assert T.short_side_shape(height=120, width=160, size=96) == (96, 128)
    assert T.short_side_shape(height=256, width=455, size=256) == (256, 455)


@pytest.mark.parametrize("seed", range(12))
def test_train_boxes_follow_the_pixels(seed):
    transform = DetectionTransform(split="train", jitter_scales=(96, 150), train_crop_size=96)
    clip, box = _rect_clip(num_frames=2)
    out, boxes = transform(clip, box, generator=torch.Generator().manual_seed(seed))
    assert out.shape == (3, 2, 96, 96) and out.dtype == torch.float32
    assert boxes.shape == (1, 4) and boxes.dtype == torch.float32
    extent = _bright_extent(out)
    x1, y1, x2, y2 = boxes[0].tolist()
    assert 0 <= x1 <= x2 <= 95 and 0 <= y1 <= y2 <= 95
    if extent is None:
        assert x1 == x2 or y1 == y2, "a box cropped out of view collapses onto the border"
    else:
        # 1 px for PySlowFast's W - 1 - x flip convention, 1 px for interpolation and clipping.
        assert np.allclose([x1, y1, x2, y2], extent, atol=2.0), (boxes, extent)


def test_random_crop_origins_cover_the_frame():
    origins = {
        T.random_crop_origin(
            height=100, width=104, size=96, generator=torch.Generator().manual_seed(s)
        )
        for s in range(400)
    }
    assert {x for x, _ in origins} == set(range(9))
    assert {y for _, y in origins} == set(range(5))


def test_random_flip_rate():
    ramp = torch.arange(WIDTH, dtype=torch.uint8).view(1, 1, 1, WIDTH).expand(1, 3, HEIGHT, WIDTH)
    box = torch.tensor([[0.1, 0.1, 0.5, 0.5]])
    flips = {}
    for random_flip in (True, False):
        transform = DetectionTransform(
            split="train", jitter_scales=(120, 120), train_crop_size=96, random_flip=random_flip
        )
        flips[random_flip] = sum(
            bool(out[0, 0, 0, 0] > out[0, 0, 0, -1])
            for out, _ in (
                transform(ramp, box, generator=torch.Generator().manual_seed(s)) for s in range(100)
            )
        )
    assert 30 < flips[True] < 70
    assert flips[False] == 0


@pytest.mark.parametrize("force_flip", [False, True])
def test_test_split_keeps_the_whole_frame(force_flip):
    transform = DetectionTransform(split="test", test_size=96, force_flip=force_flip)
    clip, box = _rect_clip()
    out, boxes = transform(clip, box)
    assert out.shape == (3, 4, 96, 128)
    expected = torch.tensor(RECT, dtype=torch.float32) * 0.8
    if force_flip:
        expected = torch.stack([127 - expected[2], expected[1], 127 - expected[0], expected[3]])
    torch.testing.assert_close(boxes[0], expected)
    assert np.allclose(boxes[0].tolist(), _bright_extent(out), atol=1.5)


def test_val_split_crops_the_centre():
    transform = DetectionTransform(split="val", test_size=96)
    clip, box = _rect_clip()
    out, boxes = transform(clip, box)
    assert out.shape == (3, 4, 96, 96)
    expected = torch.tensor(RECT, dtype=torch.float32) * 0.8 - torch.tensor([16.0, 0, 16, 0])
    torch.testing.assert_close(boxes[0], expected)
    assert np.allclose(boxes[0].tolist(), _bright_extent(out), atol=1.5)


def test_boxes_are_clipped_not_dropped():
    transform = DetectionTransform(split="test", test_size=120)
    clip = torch.zeros(2, 3, HEIGHT, WIDTH, dtype=torch.uint8)
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0], [-0.001, 0.5, 0.2, 1.001]])
    _, out = transform(clip, boxes)
    torch.testing.assert_close(
        out, torch.tensor([[0.0, 0.0, 159.0, 119.0], [0.0, 60.0, 32.0, 119.0]])
    )


def test_normalisation_and_channel_order():
    rng = np.random.default_rng(0)
    clip = torch.from_numpy(rng.integers(0, 256, size=(3, 3, HEIGHT, WIDTH), dtype=np.uint8))
    box = torch.tensor([[0.1, 0.1, 0.5, 0.5]])
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 0.2)
    rgb, _ = DetectionTransform(split="test", test_size=120, mean=mean, std=std)(clip, box)
    bgr, _ = DetectionTransform(split="test", test_size=120, mean=mean, std=std, bgr=True)(
        clip, box
    )
    pixels = clip.permute(1, 0, 2, 3).float() / 255.0
    for c in range(3):
        torch.testing.assert_close(rgb[c], (pixels[c] - mean[c]) / std[c])
        torch.testing.assert_close(bgr[c], (pixels[2 - c] - mean[c]) / std[c])


def test_colour_jitter_properties():
    rng = np.random.default_rng(1)
    clip = torch.from_numpy(rng.uniform(0.1, 0.9, size=(4, 3, 16, 16)).astype(np.float32))
    bright = T.color_jitter(clip, brightness=0.4, contrast=0, saturation=0)
    ratio = bright / clip
    assert torch.allclose(ratio, ratio.flatten()[0].expand_as(ratio), atol=1e-5)
    assert 0.6 <= ratio.flatten()[0] <= 1.4
    gray = lambda x: 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]  # noqa: E731
    contrast = T.color_jitter(clip, brightness=0, contrast=0.4, saturation=0)
    torch.testing.assert_close(gray(contrast).mean(dim=(1, 2)), gray(clip).mean(dim=(1, 2)))
    assert not torch.allclose(contrast, clip)
    saturation = T.color_jitter(clip, brightness=0, contrast=0, saturation=0.4)
    torch.testing.assert_close(gray(saturation), gray(clip))
    assert not torch.allclose(saturation, clip)


def test_lighting_matches_pyslowfast_formula():
    eigval = np.array([0.225, 0.224, 0.229], dtype=np.float32)
    eigvec = np.array(
        [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.814], [-0.5836, -0.6948, 0.4203]],
        dtype=np.float32,
    )
    clip = torch.full((2, 3, 4, 4), 0.5)
    out = T.lighting(
        clip,
        alphastd=0.1,
        eigval=torch.from_numpy(eigval),
        eigvec=torch.from_numpy(eigvec),
        generator=torch.Generator().manual_seed(7),
    )
    alpha = (torch.randn(3, generator=torch.Generator().manual_seed(7)) * 0.1).numpy()[None]
    # PySlowFast: rgb = sum(eigvec * repeat(alpha) * repeat(eigval), axis=1); R gets rgb[0].
    rgb = np.sum(eigvec * np.repeat(alpha, 3, axis=0) * np.repeat(eigval[None], 3, axis=0), axis=1)
    shift = (out - clip)[0, :, 0, 0].numpy()
    np.testing.assert_allclose(shift, rgb, atol=1e-6)
    assert torch.allclose(out - clip, torch.from_numpy(rgb).view(1, 3, 1, 1).expand_as(clip))


def test_pack_pathways():
    frames = torch.arange(32, dtype=torch.float32).view(1, 32, 1, 1).expand(3, 32, 2, 2)
    slow, fast = pack_pathways(frames, num_pathways=2, alpha=4)
    assert slow[0, :, 0, 0].tolist() == [0, 4, 8, 13, 17, 22, 26, 31]
    assert torch.equal(fast, frames)
    slow, _ = pack_pathways(frames[:, :8], num_pathways=2, alpha=4)
    assert slow[0, :, 0, 0].tolist() == [0, 7]
    rgb = torch.stack([torch.full((8, 2, 2), float(c)) for c in range(3)])
    (single,) = pack_pathways(rgb, num_pathways=1, alpha=4, reverse_channels=True)
    assert single[:, 0, 0, 0].tolist() == [2.0, 1.0, 0.0]


def test_jitter_size_range():
    sizes = [
        T.jitter_size(min_size=256, max_size=320, generator=torch.Generator().manual_seed(s))
        for s in range(300)
    ]
    assert min(sizes) >= 256 and max(sizes) <= 320
    assert min(sizes) < 262 and max(sizes) > 314


def test_crop_must_fit():
    with pytest.raises(
        ConfigError,
        match=r"TRAIN_JITTER_SCALES \[64, 80\] must not go below DATA\.TRAIN_CROP_SIZE 96",
    ):
        DetectionTransform(split="train", jitter_scales=(64, 80), train_crop_size=96)
