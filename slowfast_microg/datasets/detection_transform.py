"""The per-split detection pipeline (PySlowFast's AVA ``cv2`` preprocessing) and pathway packing.

- train: short side jittered in ``DATA.TRAIN_JITTER_SCALES``, random ``DATA.TRAIN_CROP_SIZE``
  square crop, horizontal flip with probability 0.5 when ``DATA.RANDOM_FLIP``; colour
  augmentation when ``AVA.TRAIN_USE_COLOR_AUGMENTATION`` (brightness/contrast/saturation 0.4
  unless ``AVA.TRAIN_PCA_JITTER_ONLY``, then PCA lighting noise with std 0.1 and
  ``DATA.TRAIN_PCA_EIGVAL/EIGVEC``).
- val: short side to ``DATA.TEST_CROP_SIZE``, centred square crop of that size (PySlowFast's
  "val" mode), flipped when ``AVA.TEST_FORCE_FLIP``.
- test: short side to ``DATA.TEST_CROP_SIZE``, no crop (the whole frame), flipped when
  ``AVA.TEST_FORCE_FLIP``.

Then pixels go to [0, 1], channels to BGR when ``AVA.BGR``, ``DATA.MEAN``/``DATA.STD`` are
applied in that channel order, boxes are clipped to the output frame, and pathways are packed
(``DATA.REVERSE_INPUT_CHANNEL`` reverses the channels; SlowFast's slow pathway takes
``T // SLOWFAST.ALPHA`` frames at ``linspace(0, T - 1)`` of the fast one).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from fvcore.common.config import CfgNode

from slowfast_microg.config.loader import ConfigError
from slowfast_microg.datasets import transforms as T

# PySlowFast's fixed colour-augmentation strengths for AVA.
COLOR_JITTER_STRENGTH = 0.4
PCA_ALPHA_STD = 0.1


@dataclass(frozen=True)
class Geometry:
    """Where a clip's pixels go: short-side resize, optional square crop, optional flip.

    Attributes:
        source: (H, W) of the decoded frames.
        resized: (H', W') after the short-side resize.
        crop: (x0, y0, size) of the square crop in the resized frame, or None.
        flip: mirror left-right after cropping.
    """

    source: tuple[int, int]
    resized: tuple[int, int]
    crop: tuple[int, int, int] | None
    flip: bool


@dataclass(frozen=True)
class DetectionTransform:
    """Clip + box preprocessing of one split (see the module docstring)."""

    split: str
    jitter_scales: tuple[int, int] = (256, 320)
    train_crop_size: int = 224
    test_size: int = 256
    random_flip: bool = True
    force_flip: bool = False
    color_augmentation: bool = False
    pca_jitter_only: bool = True
    pca_eigval: tuple[float, ...] = (0.225, 0.224, 0.229)
    pca_eigvec: tuple[tuple[float, ...], ...] = (
        (-0.5675, 0.7192, 0.4009),
        (-0.5808, -0.0045, -0.814),
        (-0.5836, -0.6948, 0.4203),
    )
    mean: tuple[float, ...] = (0.45, 0.45, 0.45)
    std: tuple[float, ...] = (0.225, 0.225, 0.225)
    bgr: bool = False

    def __post_init__(self) -> None:
        if self.split not in ("train", "val", "test"):
            raise ValueError(f"split must be train, val or test, got {self.split!r}")
        if self.split == "train" and self.jitter_scales[0] < self.train_crop_size:
            raise ConfigError(
                f"DATA.TRAIN_JITTER_SCALES {list(self.jitter_scales)} must not go below "
                f"DATA.TRAIN_CROP_SIZE {self.train_crop_size}: the crop must fit the frame."
            )

    @classmethod
    def from_cfg(cls, cfg: CfgNode, split: str) -> DetectionTransform:
        """Build from the ``DATA`` and ``AVA`` keys for ``split``."""
        return cls(
            split=split,
            jitter_scales=tuple(cfg.DATA.TRAIN_JITTER_SCALES),
            train_crop_size=cfg.DATA.TRAIN_CROP_SIZE,
            test_size=cfg.DATA.TEST_CROP_SIZE,
            random_flip=cfg.DATA.RANDOM_FLIP,
            force_flip=cfg.AVA.TEST_FORCE_FLIP,
            color_augmentation=cfg.AVA.TRAIN_USE_COLOR_AUGMENTATION,
            pca_jitter_only=cfg.AVA.TRAIN_PCA_JITTER_ONLY,
            pca_eigval=tuple(cfg.DATA.TRAIN_PCA_EIGVAL),
            pca_eigvec=tuple(tuple(row) for row in cfg.DATA.TRAIN_PCA_EIGVEC),
            mean=tuple(cfg.DATA.MEAN),
            std=tuple(cfg.DATA.STD),
            bgr=cfg.AVA.BGR,
        )

    def plan(
        self, *, height: int, width: int, generator: torch.Generator | None = None
    ) -> Geometry:
        """Draw the geometry for a ``height x width`` clip (before its frames are decoded).

        The random numbers are drawn in the same order as the steps apply them (short side,
        crop origin, flip), so planning first gives the same clip as transforming directly.
        """
        if self.split == "train":
            size = T.jitter_size(
                min_size=self.jitter_scales[0], max_size=self.jitter_scales[1], generator=generator
            )
            resized = T.short_side_shape(height=height, width=width, size=size)
            x0, y0 = T.random_crop_origin(
                height=resized[0], width=resized[1], size=self.train_crop_size, generator=generator
            )
            crop = (x0, y0, self.train_crop_size)
            flip = self.random_flip and torch.rand((), generator=generator).item() < 0.5
            return Geometry(source=(height, width), resized=resized, crop=crop, flip=flip)
        resized = T.short_side_shape(height=height, width=width, size=self.test_size)
        crop = None
        if self.split == "val":
            x0, y0 = T.center_crop_origin(height=resized[0], width=resized[1], size=self.test_size)
            crop = (x0, y0, self.test_size)
        return Geometry(source=(height, width), resized=resized, crop=crop, flip=self.force_flip)

    @staticmethod
    def _apply_geometry(
        clip: torch.Tensor, boxes: torch.Tensor, geometry: Geometry
    ) -> tuple[torch.Tensor, torch.Tensor]:
        shape = tuple(clip.shape[-2:])
        if shape == geometry.source and shape != geometry.resized:
            clip = T.resize(clip, height=geometry.resized[0], width=geometry.resized[1])
        elif shape != geometry.resized:
            raise ValueError(
                f"the clip is {shape[1]}x{shape[0]}; its geometry expects the source "
                f"{geometry.source[1]}x{geometry.source[0]} or the resized "
                f"{geometry.resized[1]}x{geometry.resized[0]} frames"
            )
        boxes = T.scale_boxes(boxes, source=geometry.source, target=geometry.resized)
        if geometry.crop is not None:
            x0, y0, size = geometry.crop
            clip, boxes = T.crop(clip, boxes, x0=x0, y0=y0, size=size)
        if geometry.flip:
            clip, boxes = T.horizontal_flip(clip, boxes)
        return clip, boxes

    def __call__(
        self,
        clip: torch.Tensor,
        boxes: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        geometry: Geometry | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Transform a clip and its boxes.

        Args:
            clip: (T, 3, H, W) uint8 RGB frames, at the geometry's source size or already at
                its resized size (frames decoded at that size).
            boxes: (n, 4) float normalised x1, y1, x2, y2.
            generator: source of randomness (the global torch RNG when None).
            geometry: from :meth:`plan`; drawn here from the clip's size when None.

        Returns:
            clip: (3, T, H', W') float32, normalised.
            boxes: (n, 4) float32 pixel boxes in the output frame.
        """
        if geometry is None:
            height, width = clip.shape[-2:]
            geometry = self.plan(height=height, width=width, generator=generator)
        height, width = geometry.source
        scale = torch.tensor([width, height, width, height], dtype=torch.float32)
        boxes = T.clip_boxes(boxes.float() * scale, height=height, width=width)
        clip, boxes = self._apply_geometry(clip, boxes, geometry)
        clip = T.to_unit_float(clip)
        if self.split == "train" and self.color_augmentation:
            if not self.pca_jitter_only:
                strength = COLOR_JITTER_STRENGTH
                clip = T.color_jitter(
                    clip,
                    brightness=strength,
                    contrast=strength,
                    saturation=strength,
                    generator=generator,
                )
            clip = T.lighting(
                clip,
                alphastd=PCA_ALPHA_STD,
                eigval=torch.tensor(self.pca_eigval),
                eigvec=torch.tensor(self.pca_eigvec),
                generator=generator,
            )
        if self.bgr:
            clip = clip.flip(1)
        clip = T.normalize_(clip, mean=torch.tensor(self.mean), std=torch.tensor(self.std))
        out_h, out_w = clip.shape[-2:]
        boxes = T.clip_boxes(boxes, height=out_h, width=out_w)
        return clip.permute(1, 0, 2, 3).contiguous(), boxes


def pack_pathways(
    frames: torch.Tensor, *, num_pathways: int, alpha: int, reverse_channels: bool = False
) -> list[torch.Tensor]:
    """Split a (C, T, H, W) clip into model pathways.

    Args:
        frames: (C, T, H, W) clip.
        num_pathways: 1 (single pathway) or 2 (SlowFast: slow first, then fast).
        alpha: SlowFast's temporal ratio; the slow pathway gets ``T // alpha`` frames.
        reverse_channels: reverse the channel order first (``DATA.REVERSE_INPUT_CHANNEL``).

    Returns:
        One (C, T_p, H, W) tensor per pathway.
    """
    if reverse_channels:
        frames = frames.flip(0)
    if num_pathways == 1:
        return [frames]
    if num_pathways != 2:
        raise ValueError(f"num_pathways must be 1 or 2, got {num_pathways}")
    length = frames.shape[1]
    index = torch.linspace(0, length - 1, length // alpha).long()
    return [frames.index_select(1, index), frames]
