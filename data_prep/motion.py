"""Per-clip motion level from sparse optical flow (Shi-Tomasi corners + pyramidal Lucas-Kanade).

This is the paper's measure, kept as is: corners are found once on the first frame of each
sampled group and followed with Lucas-Kanade; points that fail are dropped, and a step where every
point is lost ends its group without counting. The motion of one step is the SUM of the surviving
points' displacements in pixels, and the clip's value is the mean of that sum over all steps. A
90-frame clip has one group, frames 0-29 (29 steps). Because it is a sum over up to 100 corners,
the value grows with texture and resolution; the threshold (95) was set on 480p footage.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from data_prep.config import MotionParams

logger = logging.getLogger(__name__)

LOW = "low"
HIGH = "high"


def group_starts(total: int, params: MotionParams) -> list[int]:
    """First frame of each sampled group: groups of ``group_frames`` covering about
    ``sample_fraction`` of the clip, at least one, spread evenly."""
    if total <= 0:
        return []
    groups = max(1, int(total * params.sample_fraction) // params.group_frames)
    spacing = total // groups
    return [i * spacing for i in range(groups)]


def motion_value(gray: list[np.ndarray], params: MotionParams) -> float | None:
    """Mean over flow steps of the summed point displacement (pixels), or None with no step.

    Args:
        gray: the clip's frames as (H, W) uint8 grayscale images, in order.
        params: corner, flow and grouping parameters.
    """
    criteria = (
        cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT,
        params.lk_max_iterations,
        params.lk_epsilon,
    )
    steps: list[float] = []
    for start in group_starts(len(gray), params):
        group = gray[start : start + params.group_frames]
        points = cv2.goodFeaturesToTrack(
            group[0],
            maxCorners=params.max_corners,
            qualityLevel=params.quality_level,
            minDistance=params.min_distance,
            blockSize=params.block_size,
        )
        if points is None:
            continue
        previous = group[0]
        for image in group[1:]:
            moved, status, _ = cv2.calcOpticalFlowPyrLK(
                previous,
                image,
                points,
                None,
                winSize=(params.lk_window, params.lk_window),
                maxLevel=params.lk_max_level,
                criteria=criteria,
            )
            good = status.reshape(-1) == 1
            if not good.any():
                break  # every point lost: this step and the rest of the group count for nothing
            new, old = moved.reshape(-1, 2)[good], points.reshape(-1, 2)[good]
            steps.append(float(np.linalg.norm(new - old, axis=1).sum()))
            points = new.reshape(-1, 1, 2)
            previous = image
    return float(np.mean(steps)) if steps else None


def motion_level(gray: list[np.ndarray], params: MotionParams) -> tuple[str, float | None]:
    """Classify a clip as ``low`` or ``high`` motion.

    Returns:
        ``(level, value)``: ``high`` when the value exceeds ``params.high_threshold``; ``low``
        when it does not or when no flow step could be computed (no corners). As in the paper,
        an OpenCV error counts as ``high`` (value None) and is logged.
    """
    try:
        value = motion_value(gray, params)
    except cv2.error as err:
        logger.warning("motion estimation failed (%s); counting the clip as high motion", err)
        return HIGH, None
    if value is None:
        return LOW, None
    return (HIGH if value > params.high_threshold else LOW), value
