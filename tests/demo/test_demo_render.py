"""Drawing boxes and labels: outline pixels, label block, untouched interior and input."""

from __future__ import annotations

import numpy as np

from slowfast_microg.demo.demo_csv import BoxActions
from slowfast_microg.demo.render import PALETTE, box_label, draw_predictions, line_width_for


def test_box_outline_label_and_interior():
    frame = np.full((120, 160, 3), 30, dtype=np.uint8)
    original = frame.copy()
    items = [
        BoxActions(box=(40.0, 50.0, 100.0, 110.0), person_score=1.0, actions=[(12, "stand", 0.9)]),
        BoxActions(box=(110.0, 60.0, 150.0, 100.0), person_score=1.0, actions=[]),
    ]
    out = draw_predictions(frame, items)
    np.testing.assert_array_equal(frame, original)
    width = line_width_for(120, 160)
    assert width == 2
    np.testing.assert_array_equal(out[80, 40 : 40 + width], [PALETTE[0]] * width)
    np.testing.assert_array_equal(out[80, 99 : 99 + width], [PALETTE[0]] * width)
    np.testing.assert_array_equal(out[109:111, 70], [PALETTE[0]] * 2)
    np.testing.assert_array_equal(out[80, 110], PALETTE[1])
    np.testing.assert_array_equal(out[75:95, 50:90], original[75:95, 50:90])
    label_area = out[:50, 40:100].reshape(-1, 3)
    assert (label_area == PALETTE[0]).all(axis=1).sum() > 200
    text_strokes = (label_area[:, 0] == 0) & (label_area[:, 1] < 128)  # dark text on green
    assert text_strokes.sum() > 10
    np.testing.assert_array_equal(out[:60, 110:160], original[:60, 110:160])


def test_no_boxes_returns_an_equal_frame():
    frame = np.random.default_rng(0).integers(0, 255, (20, 30, 3), dtype=np.uint8)
    np.testing.assert_array_equal(draw_predictions(frame, []), frame)


def test_label_text_and_line_width():
    assert box_label([(12, "stand", 0.914), (14, "walk", 0.2)]) == "stand 0.91\nwalk 0.20"
    assert line_width_for(1080, 1920) == 4
