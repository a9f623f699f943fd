"""Draw person boxes and their actions on a frame with Pillow (its built-in default font).

Each box gets a colour from ``PALETTE`` (by its position in the keyframe's list), an outline
``line_width`` pixels wide inside the box, and a label block (one "name score" line per action)
above the box, or inside it when there is no room above.
"""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from slowfast_microg.demo.demo_csv import BoxActions

logger = logging.getLogger(__name__)

# Box colours (RGB), bright enough to stand out on dark spacecraft interiors.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (0, 255, 0),
    (255, 64, 255),
    (0, 200, 255),
    (255, 200, 0),
    (255, 96, 64),
    (160, 120, 255),
)
TEXT_COLOUR = (0, 0, 0)


def line_width_for(height: int, width: int) -> int:
    """Outline width in pixels for a frame size: 2 px up to 480 px, growing beyond."""
    return max(2, round(min(height, width) / 240))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def box_label(actions: list[tuple[int, str, float]]) -> str:
    """The text drawn next to a box: one "name score" line per action."""
    return "\n".join(f"{name} {score:.2f}" for _, name, score in actions)


def draw_predictions(frame: np.ndarray, boxes: list[BoxActions]) -> np.ndarray:
    """A copy of ``frame`` with ``boxes`` and their actions drawn.

    Args:
        frame: (H, W, 3) uint8 RGB.
        boxes: the boxes (pixels) and ranked actions to show.

    Returns:
        (H, W, 3) uint8 RGB annotated frame.
    """
    image = Image.fromarray(np.ascontiguousarray(frame))
    if not boxes:
        return np.asarray(image).copy()
    height, width = frame.shape[:2]
    draw = ImageDraw.Draw(image)
    line = line_width_for(height, width)
    font = _font(max(10, min(height, width) // 30))
    for index, item in enumerate(boxes):
        colour = PALETTE[index % len(PALETTE)]
        x1, y1, x2, y2 = (round(v) for v in item.box)
        x1, x2 = max(0, min(x1, width - 1)), max(0, min(x2, width - 1))
        y1, y2 = max(0, min(y1, height - 1)), max(0, min(y2, height - 1))
        draw.rectangle((x1, y1, x2, y2), outline=colour, width=line)
        text = box_label(item.actions)
        if not text:
            continue
        left, top, right, bottom = draw.multiline_textbbox((0, 0), text, font=font, spacing=2)
        text_w, text_h = right - left + 4, bottom - top + 4
        tx = max(0, min(x1, width - text_w))
        ty = y1 - text_h if y1 - text_h >= 0 else y1 + line
        draw.rectangle((tx, ty, tx + text_w, ty + text_h), fill=colour)
        draw.multiline_text(
            (tx + 2 - left, ty + 2 - top), text, fill=TEXT_COLOUR, font=font, spacing=2
        )
    return np.asarray(image).copy()
