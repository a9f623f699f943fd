"""Which frames of a clip feed the model for a keyframe: the stamp-centred window.

A window spans ``L = num_frames * sampling_rate`` frames: indices ``c - L // 2 + k *
sampling_rate`` for ``k = 0 .. num_frames - 1`` (``L // 2`` frames before the centre ``c`` and
``L // 2 - sampling_rate`` after it, PySlowFast's ``get_sequence``), clamped to the clip's
frames ``[0, clip_length - 1]``.

The centre is the 0-based position of the stamped frame in the clip: ``stamp - stamp_base``
(stamp 1 is the clip's first frame, JPEG ``_000001``). The authors' loader used the 1-based
stamp itself as the 0-based index, i.e. the frame one later (JPEG ``stamp + 1``);
``authors_offset=True`` (``MICROG.AUTHORS_FRAME_OFFSET``) reproduces that.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from fvcore.common.config import CfgNode


def center_index(*, stamp: int, stamp_base: int = 1, authors_offset: bool = False) -> int:
    """0-based index of the window centre for ``stamp`` (one later with ``authors_offset``)."""
    return stamp - stamp_base + (1 if authors_offset else 0)


def window_indices(
    *, center: int, num_frames: int, sampling_rate: int, clip_length: int
) -> torch.Tensor:
    """Frame indices of the window centred on ``center``, clamped to the clip.

    Args:
        center: 0-based centre index.
        num_frames: frames in the window (``DATA.NUM_FRAMES``).
        sampling_rate: stride between them (``DATA.SAMPLING_RATE``).
        clip_length: number of frames in the clip (> 0).

    Returns:
        (num_frames,) int64 indices in ``[0, clip_length - 1]``.
    """
    if clip_length <= 0:
        raise ValueError(f"clip_length must be > 0, got {clip_length}")
    half = (num_frames * sampling_rate) // 2
    indices = center - half + sampling_rate * torch.arange(num_frames, dtype=torch.int64)
    return indices.clamp_(0, clip_length - 1)


@dataclass(frozen=True)
class ClipSampler:
    """Maps a keyframe stamp to the window of frame indices (see the module docstring)."""

    num_frames: int
    sampling_rate: int
    stamp_base: int = 1
    authors_offset: bool = False

    @classmethod
    def from_cfg(cls, cfg: CfgNode) -> ClipSampler:
        """Build from ``DATA.NUM_FRAMES``, ``DATA.SAMPLING_RATE`` and the ``MICROG`` keys."""
        return cls(
            num_frames=cfg.DATA.NUM_FRAMES,
            sampling_rate=cfg.DATA.SAMPLING_RATE,
            stamp_base=cfg.MICROG.STAMP_BASE,
            authors_offset=cfg.MICROG.AUTHORS_FRAME_OFFSET,
        )

    def __call__(self, *, stamp: int, clip_length: int) -> torch.Tensor:
        """(num_frames,) int64 indices of the window for ``stamp`` in a clip of that length."""
        center = center_index(
            stamp=stamp, stamp_base=self.stamp_base, authors_offset=self.authors_offset
        )
        return window_indices(
            center=center,
            num_frames=self.num_frames,
            sampling_rate=self.sampling_rate,
            clip_length=clip_length,
        )
