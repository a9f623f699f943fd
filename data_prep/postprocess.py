"""Motion-adaptive post-processing of tracker output into recorded person boxes (the paper's rules).

Per clip, the motion level and the fps class choose an update interval, a minimum number of
detections and a minimum box area. Frames are numbered from 1. Only update frames (number
divisible by the interval) look at the tracker output; the rules follow the authors'
``trackPerson.py`` step by step:

1. a frame with no box at all clears the kept boxes and the dominant person;
2. boxes of any class whose area (of the int-truncated corners) is below
   ``min_box_area_ratio`` x frame area are dropped;
3. every remaining tracker id gets a per-clip person id (1, 2, ... in order of first appearance;
   with all COCO classes tracked, non-person tracks use up ids too) and its detection count grows;
4. dominant-person rule: while a dominant person is set, it stays the only one kept as long as it
   is found again (class 0, conf > 0.55, with an id) and still covers at least half the frame;
   when it is lost, everybody qualifying is kept on that frame and no new dominant person is
   chosen before the next update frame. Without one, the largest person box covering more than
   half the frame becomes the dominant person;
5. a person is recorded when class 0, conf > 0.55 and its count reached ``min_detections``.

Confidences are float32 (tracker output) compared with the threshold as Python floats, as the
authors did (``float(conf) > 0.55``), so a float32 0.55 passes.

In ``hold`` mode (paper) the boxes kept on an update frame are recorded again, unchanged, on every
frame until the next update frame, whatever the tracker returns there. In ``fresh`` mode the same
persons are recorded with their own box of each frame when the tracker still returns them and they
pass the class, confidence and area checks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from data_prep.config import AdaptiveParams

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Adaptive:
    """Post-processing values chosen for one clip."""

    motion_level: str
    fps_class: str
    frame_interval: int
    min_detections: int
    min_box_area_ratio: float


@dataclass(frozen=True)
class Recorded:
    """One recorded person box (pixel coordinates as floats)."""

    frame_id: int
    person_id: int
    x1: float
    y1: float
    x2: float
    y2: float
    conf: float


def fps_class(fps: float, bands: list[float]) -> str:
    """``low`` / ``mid`` / ``high`` / ``extra`` for fps up to each band's upper bound."""
    for name, upper in zip(("low", "mid", "high"), bands, strict=True):
        if fps <= upper:
            return name
    return "extra"


def choose(*, motion_level: str, fps: float, params: AdaptiveParams) -> Adaptive:
    """Post-processing values for a clip's motion level (``low``/``high``) and frame rate."""
    rule = params.high_motion if motion_level == "high" else params.low_motion
    klass = fps_class(fps, params.fps_bands)
    return Adaptive(
        motion_level=motion_level,
        fps_class=klass,
        frame_interval=int(rule.frame_interval[klass]),
        min_detections=int(rule.min_detections),
        min_box_area_ratio=float(rule.min_box_area_ratio),
    )


def _area(box: np.ndarray) -> int:
    """Area of an (x1, y1, x2, y2, ...) box from its int-truncated corners (as the authors)."""
    return (int(box[2]) - int(box[0])) * (int(box[3]) - int(box[1]))


class PersonRecorder:
    """Turn a clip's per-frame tracker output into recorded person boxes.

    Args:
        adaptive: the clip's post-processing values.
        frame_size: (height, width) of the frames.
        params: person class, confidence and dominant-person ratio.
        boxes_mode: ``hold`` (paper) or ``fresh``.
    """

    def __init__(
        self,
        *,
        adaptive: Adaptive,
        frame_size: tuple[int, int],
        params: AdaptiveParams,
        boxes_mode: str = "hold",
    ) -> None:
        self.adaptive = adaptive
        self.frame_area = frame_size[0] * frame_size[1]
        self.person_class = params.person_class
        self.person_conf = float(params.person_conf)
        self.dominant_ratio = params.dominant_area_ratio
        self.boxes_mode = boxes_mode
        self.person_ids: dict[int, int] = {}
        self.counts: dict[int, int] = {}
        self.held: list[tuple[int, np.ndarray]] = []
        self.dominant: int | None = None
        self.dominant_frames = 0

    def _is_person(self, row: np.ndarray) -> bool:
        return row[4] >= 0 and int(row[6]) == self.person_class and float(row[5]) > self.person_conf

    def _large_enough(self, row: np.ndarray) -> bool:
        return _area(row) >= self.adaptive.min_box_area_ratio * self.frame_area

    def step(self, frame_id: int, tracked: np.ndarray) -> list[Recorded]:
        """Process frame ``frame_id`` (1-based) with its tracker output (M, 7), id -1 untracked."""
        rows = np.asarray(tracked, dtype=np.float32).reshape(-1, 7)
        if frame_id % self.adaptive.frame_interval != 0:
            return self._between_updates(frame_id, rows)
        if len(rows) == 0:
            self.held, self.dominant = [], None
            return []
        kept = [row for row in rows if self._large_enough(row)]
        for row in kept:
            if row[4] >= 0:
                pid = self.person_ids.setdefault(int(row[4]), len(self.person_ids) + 1)
                self.counts[pid] = self.counts.get(pid, 0) + 1
        candidates = [row for row in kept if self._is_person(row)]
        selected = self._apply_dominant(candidates)
        self.held = [
            (int(row[4]), row)
            for row in selected
            if self.counts[self.person_ids[int(row[4])]] >= self.adaptive.min_detections
        ]
        return [self._record(frame_id, track_id, row) for track_id, row in self.held]

    def _apply_dominant(self, candidates: list[np.ndarray]) -> list[np.ndarray]:
        """The persons kept on an update frame under the dominant-person rule."""
        limit = self.dominant_ratio * self.frame_area
        if self.dominant is not None:
            current = next((row for row in candidates if int(row[4]) == self.dominant), None)
            if current is not None and _area(current) >= limit:
                self.dominant_frames += 1
                return [current]
            self.dominant = None
            return candidates
        largest = max(candidates, key=_area, default=None)
        if largest is not None and _area(largest) > limit:
            self.dominant = int(largest[4])
            self.dominant_frames += 1
            return [largest]
        return candidates

    def _between_updates(self, frame_id: int, rows: np.ndarray) -> list[Recorded]:
        if self.boxes_mode == "hold":
            return [self._record(frame_id, track_id, row) for track_id, row in self.held]
        now = {int(row[4]): row for row in rows if row[4] >= 0}
        out = []
        for track_id, _ in self.held:
            row = now.get(track_id)
            if row is not None and self._is_person(row) and self._large_enough(row):
                out.append(self._record(frame_id, track_id, row))
        return out

    def _record(self, frame_id: int, track_id: int, row: np.ndarray) -> Recorded:
        return Recorded(
            frame_id=frame_id,
            person_id=self.person_ids[track_id],
            x1=float(row[0]),
            y1=float(row[1]),
            x2=float(row[2]),
            y2=float(row[3]),
            conf=float(row[5]),
        )
