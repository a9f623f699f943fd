"""Synthetic MicroG-style scenes: textured "persons" whose motion encodes their action class.

Each person is a striped body ellipse with a head, moving in a class-specific way (real MicroG
ids): stand (12) is still, walk (14) translates horizontally, jump/leap (7) bounces vertically,
bend/bow (1) folds its upper body down and up, hand wave (69) swings a raised arm, martial art
(9) shakes quickly from side to side. A person may also carry/hold (17) an object: a
black-and-white checkered square at its side, moving with it. Textures move with the person,
so the motion is visible inside the box too. Rendering is vectorised over all frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

STAND, WALK, JUMP, BEND, WAVE, MARTIAL_ART, CARRY = 12, 14, 7, 1, 69, 9, 17
# Primary motion classes of the sample, in a fixed order.
MOTIONS = (STAND, WALK, JUMP, BEND, WAVE, MARTIAL_ART)
# Periods in frames; none divides evenly into the common sampling strides (2, 4, 8, 16).
_JUMP_PERIOD, _BEND_PERIOD, _WAVE_PERIOD, _SHAKE_PERIOD = 30.0, 36.0, 20.0, 14.0


@dataclass(frozen=True)
class Person:
    """One synthetic person (pixel units; ``key_index`` is the 0-based stamped frame)."""

    motion: int
    carries: bool
    cx: float
    bottom: float
    width: float
    height: float
    color: tuple[float, float, float]
    stripe_freq: float
    stripe_angle: float
    phase: float
    direction: float
    key_index: int

    @property
    def action_ids(self) -> list[int]:
        """The person's labels: its motion, then carry/hold when it carries an object."""
        return [self.motion, CARRY] if self.carries else [self.motion]


@dataclass(frozen=True)
class Pose:
    """Per-frame geometry of a person: (T,) arrays in pixels."""

    cx: np.ndarray
    top: np.ndarray
    bottom: np.ndarray
    head_r: np.ndarray
    arm_tip_x: np.ndarray | None
    arm_tip_y: np.ndarray | None


def pose(person: Person, t: np.ndarray, *, frame_height: int, frame_width: int) -> Pose:
    """Geometry of ``person`` at frames ``t`` ((T,) float)."""
    cycle = (t + person.phase) * 2.0 * math.pi
    cx = np.full_like(t, person.cx)
    bottom = np.full_like(t, person.bottom)
    height = np.full_like(t, person.height)
    if person.motion == STAND:
        height = height * (1.0 + 0.015 * np.sin(cycle / 60.0))
    elif person.motion == WALK:
        cx = cx + person.direction * 0.0035 * frame_width * (t - person.key_index)
    elif person.motion == JUMP:
        bottom = bottom - 0.13 * frame_height * np.abs(np.sin(cycle / (2.0 * _JUMP_PERIOD)))
    elif person.motion == BEND:
        height = height * (1.0 - 0.22 * (1.0 - np.cos(cycle / _BEND_PERIOD)))
    elif person.motion == MARTIAL_ART:
        cx = cx + 0.055 * frame_width * np.sin(cycle / _SHAKE_PERIOD)
    top = bottom - height
    head_r = np.minimum(0.11 * person.height, 0.4 * person.width) * np.ones_like(t)
    arm_x = arm_y = None
    if person.motion == WAVE:
        arm_x = (
            cx
            + person.direction * (0.35 * person.width)
            + (0.45 * person.width * np.sin(cycle / _WAVE_PERIOD))
        )
        arm_y = top - 0.12 * person.height
    return Pose(cx=cx, top=top, bottom=bottom, head_r=head_r, arm_tip_x=arm_x, arm_tip_y=arm_y)


def _object_square(person: Person, p: Pose) -> tuple[np.ndarray, np.ndarray, float]:
    side = 0.5 * person.width
    ox = p.cx - person.direction * (0.5 * person.width + 0.5 * side - 2.0)
    oy = p.top + 0.55 * (p.bottom - p.top)
    return ox, oy, side


def person_box(
    person: Person, *, frame_index: int, frame_height: int, frame_width: int
) -> tuple[float, float, float, float]:
    """Pixel box (x1, y1, x2, y2) around everything drawn for ``person`` at one frame."""
    p = pose(
        person,
        np.array([float(frame_index)]),
        frame_height=frame_height,
        frame_width=frame_width,
    )
    xs = [p.cx - 0.5 * person.width, p.cx + 0.5 * person.width]
    ys = [p.top, p.bottom]
    if p.arm_tip_x is not None:
        xs += [p.arm_tip_x - 2.0, p.arm_tip_x + 2.0]
        ys += [p.arm_tip_y - 2.0]
    if person.carries:
        ox, oy, side = _object_square(person, p)
        xs += [ox - side / 2, ox + side / 2]
        ys += [oy - side / 2, oy + side / 2]
    x1, x2 = float(np.min(xs)), float(np.max(xs))
    y1, y2 = float(np.min(ys)), float(np.max(ys))
    return (
        max(0.0, x1),
        max(0.0, y1),
        min(float(frame_width), x2),
        min(float(frame_height), y2),
    )


def background(rng: np.random.Generator, *, frame_height: int, frame_width: int) -> np.ndarray:
    """A static (H, W, 3) float32 backdrop: dark base colour, soft gratings, fixed grain."""
    yy, xx = np.mgrid[0:frame_height, 0:frame_width].astype(np.float32)
    base = rng.uniform(25, 70, size=3).astype(np.float32)
    fx, fy = rng.uniform(0.02, 0.08, size=2)
    pattern = 14.0 * np.sin(fx * xx + fy * yy + rng.uniform(0, 6.28))
    pattern += 8.0 * np.sin(0.5 * fy * xx - 1.3 * fx * yy)
    grain = rng.normal(0.0, 5.0, size=(frame_height, frame_width, 1))
    return (base + (pattern[..., None] + grain)).astype(np.float32)


def _draw(frames: np.ndarray, person: Person, p: Pose) -> None:
    """Composite ``person`` into (T, H, W, 3) float32 ``frames`` in place."""
    num, height, width, _ = frames.shape
    pad = person.width * 1.5 + 4
    x0 = int(max(0, math.floor(float(np.min(p.cx)) - pad)))
    x1 = int(min(width, math.ceil(float(np.max(p.cx)) + pad)))
    y0 = int(max(0, math.floor(float(np.min(p.top)) - 0.3 * person.height - 4)))
    y1 = int(min(height, math.ceil(float(np.max(p.bottom)) + 2)))
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    xx, yy = xx[None], yy[None]
    cx, top, bottom = p.cx[:, None, None], p.top[:, None, None], p.bottom[:, None, None]
    r = p.head_r[:, None, None]
    body_top = top + 1.8 * r
    half_h = np.maximum((bottom - body_top) / 2, 1.0)
    body = ((xx - cx) / (person.width / 2)) ** 2 + ((yy - (body_top + half_h)) / half_h) ** 2 <= 1
    head = (xx - cx) ** 2 + (yy - (top + r)) ** 2 <= r**2
    u, v = xx - cx, yy - top
    angle = person.stripe_angle
    stripes = 0.7 + 0.3 * np.sin(person.stripe_freq * (u * math.cos(angle) + v * math.sin(angle)))
    shade = stripes[..., None] * np.asarray(person.color, dtype=np.float32)
    region = frames[:, y0:y1, x0:x1]
    mask = body | head
    if p.arm_tip_x is not None:
        sx, sy = cx + person.direction * 0.3 * person.width, body_top + 2.0
        tx, ty = p.arm_tip_x[:, None, None], p.arm_tip_y[:, None, None]
        dx, dy = tx - sx, ty - sy
        s = np.clip(((xx - sx) * dx + (yy - sy) * dy) / (dx**2 + dy**2 + 1e-6), 0.0, 1.0)
        arm = (xx - sx - s * dx) ** 2 + (yy - sy - s * dy) ** 2 <= (0.09 * person.width + 1) ** 2
        mask = mask | arm
    np.copyto(region, shade, where=mask[..., None])
    if person.carries:
        ox, oy, side = _object_square(person, p)
        ox, oy = ox[:, None, None], oy[:, None, None]
        inside = (np.abs(xx - ox) <= side / 2) & (np.abs(yy - oy) <= side / 2)
        cell = np.floor((xx - ox) / (side / 3)) + np.floor((yy - oy) / (side / 3))
        checker = np.where(cell % 2 == 0, np.float32(235.0), np.float32(15.0))
        np.copyto(region, checker[..., None], where=inside[..., None])


def render_clip(
    persons: list[Person],
    backdrop: np.ndarray,
    noise: np.ndarray,
    *,
    num_frames: int,
) -> np.ndarray:
    """Render a clip.

    Args:
        persons: drawn in order (later ones occlude earlier ones).
        backdrop: (H, W, 3) float32 static background.
        noise: (K, H, W, 3) float32 sensor-noise bank; frame ``t`` adds ``noise[t % K]``.
        num_frames: clip length T.

    Returns:
        (T, H, W, 3) uint8 RGB frames.
    """
    height, width, _ = backdrop.shape
    frames = np.repeat(backdrop[None], num_frames, axis=0)
    t = np.arange(num_frames, dtype=np.float32)
    for person in persons:
        _draw(frames, person, pose(person, t, frame_height=height, frame_width=width))
    frames += noise[np.arange(num_frames) % len(noise)]
    return np.clip(np.rint(frames), 0, 255).astype(np.uint8)
