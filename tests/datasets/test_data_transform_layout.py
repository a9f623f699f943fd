"""The detection pipeline on channels-last frames, planned before decoding, gives exactly the
clips and boxes of the straightforward pipeline (contiguous frames, resize, crop, flip, float,
normalise, transpose), for every split and option."""

from __future__ import annotations

import pytest
import torch

from slowfast_microg.datasets import transforms as T
from slowfast_microg.datasets.detection_transform import DetectionTransform, Geometry

HEIGHT, WIDTH = 90, 128


def _straightforward(transform: DetectionTransform, clip, boxes, generator):
    """The pipeline step by step on a contiguous clip, drawing randomness as it goes."""
    clip = clip.contiguous()
    height, width = clip.shape[-2:]
    scale = torch.tensor([width, height, width, height], dtype=torch.float32)
    boxes = T.clip_boxes(boxes.float() * scale, height=height, width=width)
    if transform.split == "train":
        low, high = transform.jitter_scales
        size = T.jitter_size(min_size=low, max_size=high, generator=generator)
        clip, boxes = T.scale_short_side(clip, boxes, size=size)
        crop = transform.train_crop_size
        x0, y0 = T.random_crop_origin(
            height=clip.shape[-2], width=clip.shape[-1], size=crop, generator=generator
        )
        clip, boxes = T.crop(clip, boxes, x0=x0, y0=y0, size=crop)
        flip = transform.random_flip and torch.rand((), generator=generator).item() < 0.5
    else:
        clip, boxes = T.scale_short_side(clip, boxes, size=transform.test_size)
        if transform.split == "val":
            x0, y0 = T.center_crop_origin(
                height=clip.shape[-2], width=clip.shape[-1], size=transform.test_size
            )
            clip, boxes = T.crop(clip, boxes, x0=x0, y0=y0, size=transform.test_size)
        flip = transform.force_flip
    if flip:
        clip, boxes = T.horizontal_flip(clip, boxes)
    clip = clip.float() / 255.0
    if transform.split == "train" and transform.color_augmentation:
        if not transform.pca_jitter_only:
            clip = T.color_jitter(
                clip, brightness=0.4, contrast=0.4, saturation=0.4, generator=generator
            )
        clip = T.lighting(
            clip,
            alphastd=0.1,
            eigval=torch.tensor(transform.pca_eigval),
            eigvec=torch.tensor(transform.pca_eigvec),
            generator=generator,
        )
    if transform.bgr:
        clip = clip.flip(1)
    mean, std = torch.tensor(transform.mean), torch.tensor(transform.std)
    clip = (clip - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)
    boxes = T.clip_boxes(boxes, height=clip.shape[-2], width=clip.shape[-1])
    return clip.permute(1, 0, 2, 3).contiguous(), boxes


def _frames(seed: int) -> torch.Tensor:
    """(T, 3, H, W) uint8 view of (T, H, W, 3) memory, as the frame sources return."""
    generator = torch.Generator().manual_seed(seed)
    stored = torch.randint(0, 256, (5, HEIGHT, WIDTH, 3), dtype=torch.uint8, generator=generator)
    return stored.permute(0, 3, 1, 2)


BOXES = torch.tensor([[0.1, 0.2, 0.6, 0.9], [0.5, 0.0, 1.0, 0.4], [0.9, 0.9, 1.0, 1.0]])
TRANSFORMS = [
    DetectionTransform(split="train", jitter_scales=(64, 100), train_crop_size=64),
    DetectionTransform(
        split="train", jitter_scales=(40, 70), train_crop_size=32, color_augmentation=True
    ),
    DetectionTransform(
        split="train",
        jitter_scales=(96, 120),
        train_crop_size=80,
        color_augmentation=True,
        pca_jitter_only=False,
        bgr=True,
    ),
    DetectionTransform(
        split="train", jitter_scales=(90, 90), train_crop_size=90, random_flip=False
    ),
    DetectionTransform(split="val", test_size=72),
    DetectionTransform(split="test", test_size=72, force_flip=True, bgr=True),
    DetectionTransform(split="test", test_size=HEIGHT),
]


@pytest.mark.parametrize("transform", TRANSFORMS, ids=lambda t: t.split)
@pytest.mark.parametrize("seed", range(4))
def test_pipeline_is_exactly_the_straightforward_one(transform, seed):
    frames = _frames(seed)
    expected, expected_boxes = _straightforward(
        transform, frames, BOXES, torch.Generator().manual_seed(seed)
    )
    clip, boxes = transform(frames, BOXES, generator=torch.Generator().manual_seed(seed))
    assert clip.is_contiguous() and clip.dtype == torch.float32
    assert torch.equal(clip, expected)
    assert torch.equal(boxes, expected_boxes)


@pytest.mark.parametrize("transform", TRANSFORMS, ids=lambda t: t.split)
def test_planned_geometry_on_frames_resized_beforehand(transform):
    """Planning first, resizing the frames as a source would, then transforming gives what
    transforming the full frames gives."""
    frames = _frames(7)
    expected, expected_boxes = transform(frames, BOXES, generator=torch.Generator().manual_seed(3))
    generator = torch.Generator().manual_seed(3)
    geometry = transform.plan(height=HEIGHT, width=WIDTH, generator=generator)
    assert geometry.source == (HEIGHT, WIDTH)
    resized = T.resize(frames, height=geometry.resized[0], width=geometry.resized[1])
    clip, boxes = transform(resized, BOXES, generator=generator, geometry=geometry)
    assert torch.equal(clip, expected)
    assert torch.equal(boxes, expected_boxes)


def test_a_clip_of_another_size_than_planned_is_refused():
    transform = DetectionTransform(split="test", test_size=72)
    geometry = Geometry(source=(HEIGHT, WIDTH), resized=(72, 102), crop=None, flip=False)
    with pytest.raises(ValueError, match="the clip is 100x80; its geometry expects"):
        transform(torch.zeros(2, 3, 80, 100, dtype=torch.uint8), BOXES, geometry=geometry)


def test_unit_float_is_channel_first_and_exact():
    frames = _frames(1)
    out = T.to_unit_float(frames)
    assert out.shape == frames.shape
    assert out.permute(1, 0, 2, 3).is_contiguous()
    assert torch.equal(out, frames.float() / 255.0)


def test_channels_last_resize_equals_contiguous_resize():
    frames = _frames(2)
    for height, width in ((64, 91), (200, 284), (90, 128)):
        fast = T.resize(frames, height=height, width=width)
        plain = T.resize(frames.contiguous(), height=height, width=width)
        assert torch.equal(fast, plain)
