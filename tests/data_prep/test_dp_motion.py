"""Motion level: sum of Lucas-Kanade displacements of Shi-Tomasi corners, averaged over steps."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from dp_synthetic import pattern

from data_prep.config import MotionParams
from data_prep.motion import group_starts, motion_level, motion_value


def gray_frames(count: int, shift: int) -> list[np.ndarray]:
    frames = [pattern(120, 160, colour=(200, 200, 200), shift=i * shift) for i in range(count)]
    return [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames]


def test_groups_cover_about_ten_percent_with_at_least_one():
    params = MotionParams()
    assert group_starts(90, params) == [0]
    assert group_starts(900, params) == [0, 300, 600]
    assert group_starts(0, params) == []


def test_static_texture_is_low_motion():
    level, value = motion_level(gray_frames(90, 0), MotionParams())
    assert level == "low" and value == 0.0


def test_moving_texture_sums_displacements_over_corners():
    params = MotionParams()
    frames = gray_frames(90, 2)
    corners = cv2.goodFeaturesToTrack(
        frames[0], maxCorners=100, qualityLevel=0.3, minDistance=7, blockSize=7
    )
    value = motion_value(frames, params)
    # Every corner moves 2 px per frame, so one step sums to about 2 x (corners kept).
    assert len(corners) > 48
    assert 0.8 * 2 * len(corners) <= value <= 2 * len(corners) * 1.05
    assert motion_level(frames, params)[0] == "high"
    slow = motion_value(gray_frames(90, 1), params)
    assert abs(slow - value / 2) < 0.15 * value


def test_no_corners_means_no_step_and_low_motion():
    flat = [np.full((60, 80), 128, np.uint8) for _ in range(30)]
    assert motion_value(flat, MotionParams()) is None
    assert motion_level(flat, MotionParams()) == ("low", None)


def test_a_step_that_loses_every_point_ends_the_group_uncounted(monkeypatch):
    """Three steps move every point by (3, 4) px; the fourth loses all points and is not a step."""
    calls = []

    def flow(previous, image, points, *args, **kwargs):
        calls.append(len(points))
        status = np.ones((len(points), 1), np.uint8) * (len(calls) <= 3)
        return points + np.float32([3, 4]), status, np.zeros((len(points), 1), np.float32)

    monkeypatch.setattr(cv2, "calcOpticalFlowPyrLK", flow)
    frames = gray_frames(30, 0)
    corners = len(
        cv2.goodFeaturesToTrack(
            frames[0], maxCorners=100, qualityLevel=0.3, minDistance=7, blockSize=7
        )
    )
    assert motion_value(frames, MotionParams()) == pytest.approx(5.0 * corners)
    assert len(calls) == 4, "the group stops at the step where every point is lost"
