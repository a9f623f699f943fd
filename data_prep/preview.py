"""Annotated preview videos: the recorded person boxes and ids drawn on the clip."""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

import cv2

from data_prep.boxes_csv import pixel
from data_prep.postprocess import Recorded
from data_prep.video_io import VideoReader, VideoWriter

logger = logging.getLogger(__name__)

_COLOURS = [(0, 200, 255), (255, 120, 0), (80, 220, 80), (200, 80, 255), (255, 255, 0)]


def write_preview(
    *, clip_path: Path, out_path: Path, recorded: list[Recorded], fps: float, coords_mode: str
) -> Path:
    """Draw every recorded box (with ``id N``) on the clip's frames and encode ``out_path``.

    Text is drawn with OpenCV's built-in font, so nothing is fetched.
    """
    by_frame: dict[int, list[Recorded]] = defaultdict(list)
    for row in recorded:
        by_frame[row.frame_id].append(row)
    with VideoReader(clip_path) as reader:
        width, height = reader.info.width, reader.info.height
        writer = VideoWriter(
            path=out_path,
            width=width - width % 2,
            height=height - height % 2,
            fps=round(fps),
            options={"preset": "veryfast"},
        )
        try:
            for frame_id, frame in enumerate(reader.bgr_frames(), start=1):
                frame = frame[: height - height % 2, : width - width % 2].copy()
                for row in by_frame.get(frame_id, []):
                    colour = _COLOURS[(row.person_id - 1) % len(_COLOURS)]
                    p1 = (pixel(row.x1, coords_mode), pixel(row.y1, coords_mode))
                    p2 = (pixel(row.x2, coords_mode), pixel(row.y2, coords_mode))
                    cv2.rectangle(frame, p1, p2, colour, 2)
                    label = f"id {row.person_id} {row.conf:.2f}"
                    cv2.putText(
                        frame,
                        label,
                        (p1[0] + 3, max(p1[1] + 16, 16)),
                        cv2.FONT_HERSHEY_SIMPLEX,
                        0.5,
                        colour,
                        1,
                        cv2.LINE_AA,
                    )
                writer.write(frame)
        except BaseException:
            writer.discard()
            raise
    return writer.commit()
