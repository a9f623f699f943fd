"""Box-aware clip transforms with PySlowFast's AVA semantics, on whole clips at once.

Clips are (T, C, H, W) tensors (uint8 for the geometric steps, float in [0, 1] for the colour
steps); boxes are (n, 4) float32 x1, y1, x2, y2 in pixels. PySlowFast's conventions are kept:
boxes use pixel-index coordinates (a flip maps x to ``W - 1 - x``; clipping keeps them in
``[0, W - 1] x [0, H - 1]``), a resize scales boxes by the long side's factor, and boxes are
never dropped (one cropped out of view is clipped to a zero-size box at the border, and the
model still scores it). Randomness comes from torch (optionally a given ``torch.Generator``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

# ITU-R 601 luma weights for R, G, B (PySlowFast's grayscale).
_LUMA = (0.299, 0.587, 0.114)


def clip_boxes(boxes: torch.Tensor, *, height: int, width: int) -> torch.Tensor:
    """Clamp (n, 4) pixel boxes to ``[0, width - 1] x [0, height - 1]``."""
    limits = boxes.new_tensor([width - 1, height - 1, width - 1, height - 1])
    return torch.minimum(boxes.clamp(min=0.0), limits)


def short_side_shape(*, height: int, width: int, size: int) -> tuple[int, int]:
    """(height, width) after scaling the short side to ``size`` (long side rounded down)."""
    if min(height, width) == size:
        return height, width
    if width < height:
        return int(math.floor(height / width * size)), size
    return size, int(math.floor(width / height * size))


def resize(clip: torch.Tensor, *, height: int, width: int) -> torch.Tensor:
    """Bilinear resize (no antialiasing, like OpenCV's ``INTER_LINEAR``) to ``height x width``.

    Args:
        clip: (T, C, H, W) uint8 or float; a channels-last view of (T, H, W, C) memory (what the
            frame sources return) is resized about twice as fast as contiguous (T, C, H, W),
            with the same values.

    Returns:
        (T, C, height, width), channels-last when the input was.
    """
    return F.interpolate(clip, size=(height, width), mode="bilinear", align_corners=False)


def scale_boxes(
    boxes: torch.Tensor, *, source: tuple[int, int], target: tuple[int, int]
) -> torch.Tensor:
    """Scale pixel boxes from a (H, W) ``source`` frame to its short-side resize ``target``.

    Both axes use the long side's factor, as PySlowFast does.
    """
    (height, width), (new_h, new_w) = source, target
    if (new_h, new_w) == (height, width):
        return boxes
    factor = new_h / height if width < height else new_w / width
    return boxes * factor


def scale_short_side(
    clip: torch.Tensor, boxes: torch.Tensor, *, size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Resize (bilinear, no antialiasing, like OpenCV) so the short side is ``size``.

    Args:
        clip: (T, C, H, W) uint8 or float.
        boxes: (n, 4) pixel boxes.
        size: target short side.

    Returns:
        The resized clip and boxes scaled by the long side's factor.
    """
    height, width = clip.shape[-2:]
    target = short_side_shape(height=height, width=width, size=size)
    if target == (height, width):
        return clip, boxes
    clip = resize(clip, height=target[0], width=target[1])
    return clip, scale_boxes(boxes, source=(height, width), target=target)


def jitter_size(*, min_size: int, max_size: int, generator: torch.Generator | None = None) -> int:
    """Short side for scale jitter: ``1 / U(1 / max_size, 1 / min_size)``, rounded."""
    u = torch.rand((), generator=generator).item()
    inverse = 1.0 / max_size + u * (1.0 / min_size - 1.0 / max_size)
    return int(round(1.0 / inverse))


def crop(
    clip: torch.Tensor, boxes: torch.Tensor, *, x0: int, y0: int, size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Square crop of side ``size`` at (x0, y0); boxes are shifted (not clipped)."""
    height, width = clip.shape[-2:]
    if not (0 <= x0 <= width - size and 0 <= y0 <= height - size):
        raise ValueError(f"crop {size} at ({x0}, {y0}) does not fit a {height}x{width} clip")
    shift = boxes.new_tensor([x0, y0, x0, y0])
    return clip[..., y0 : y0 + size, x0 : x0 + size], boxes - shift


def random_crop_origin(
    *, height: int, width: int, size: int, generator: torch.Generator | None = None
) -> tuple[int, int]:
    """Uniform (x0, y0) of a ``size`` crop inside ``height x width``."""
    x0 = int(torch.randint(0, width - size + 1, (), generator=generator))
    y0 = int(torch.randint(0, height - size + 1, (), generator=generator))
    return x0, y0


def center_crop_origin(*, height: int, width: int, size: int) -> tuple[int, int]:
    """(x0, y0) of the centred ``size`` crop (PySlowFast rounds the offset up)."""
    return int(math.ceil((width - size) / 2)), int(math.ceil((height - size) / 2))


def horizontal_flip(clip: torch.Tensor, boxes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mirror the clip left-right; box x maps to ``W - 1 - x``."""
    width = clip.shape[-1]
    flipped = torch.stack(
        [width - 1 - boxes[:, 2], boxes[:, 1], width - 1 - boxes[:, 0], boxes[:, 3]], dim=1
    )
    return clip.flip(-1), flipped


def _uniform_factor(var: float, generator: torch.Generator | None) -> float:
    return 1.0 + (2.0 * torch.rand((), generator=generator).item() - 1.0) * var


def _gray(clip: torch.Tensor) -> torch.Tensor:
    weights = clip.new_tensor(_LUMA).view(1, 3, 1, 1)
    return (clip * weights).sum(dim=1, keepdim=True)


def color_jitter(
    clip: torch.Tensor,
    *,
    brightness: float,
    contrast: float,
    saturation: float,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Brightness, contrast and saturation jitter in random order, one factor per clip.

    Each factor is ``1 + U(-v, v)``. Brightness blends with black, contrast with each frame's
    mean gray level, saturation with the pixel's gray level (PySlowFast's AVA colour jitter).

    Args:
        clip: (T, 3, H, W) float RGB in [0, 1].
    """
    steps = [("brightness", brightness), ("contrast", contrast), ("saturation", saturation)]
    steps = [step for step in steps if step[1] != 0]
    for k in torch.randperm(len(steps), generator=generator).tolist():
        name, var = steps[k]
        alpha = _uniform_factor(var, generator)
        if name == "brightness":
            clip = clip * alpha
        elif name == "contrast":
            mean = _gray(clip).mean(dim=(1, 2, 3), keepdim=True)
            clip = clip * alpha + mean * (1.0 - alpha)
        else:
            clip = clip * alpha + _gray(clip) * (1.0 - alpha)
    return clip


def lighting(
    clip: torch.Tensor,
    *,
    alphastd: float,
    eigval: torch.Tensor,
    eigvec: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """AlexNet-style PCA lighting noise: add ``eigvec @ (alpha * eigval)``, alpha ~ N(0, std).

    Args:
        clip: (T, 3, H, W) float RGB.
        eigval: (3,) eigenvalues; eigvec: (3, 3) eigenvectors (rows indexed by RGB channel).
    """
    if alphastd == 0:
        return clip
    alpha = torch.randn(3, generator=generator) * alphastd
    shift = eigvec.float() @ (alpha * eigval.float())
    return clip + shift.to(clip.dtype).view(1, 3, 1, 1)


def to_unit_float(clip: torch.Tensor) -> torch.Tensor:
    """``clip.float() / 255`` of a (T, C, H, W) uint8 clip, stored channel-first.

    The conversion copy also changes the layout: the result is a (T, C, H, W) view of
    (C, T, H, W)-contiguous float32 memory, the layout the model takes, so no later copy is
    needed. The values are exactly those of ``clip.float() / 255``.
    """
    frames, channels, height, width = clip.shape
    out = torch.empty((channels, frames, height, width), dtype=torch.float32)
    out.copy_(clip.permute(1, 0, 2, 3))
    return out.div_(255.0).permute(1, 0, 2, 3)


def normalize_(clip: torch.Tensor, *, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """``(clip - mean) / std`` per channel of a (T, C, H, W) float clip, in place (the caller
    owns ``clip``)."""
    return clip.sub_(mean.view(1, -1, 1, 1)).div_(std.view(1, -1, 1, 1))
