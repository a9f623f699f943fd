"""The demo's sliding window over a video: detect persons, score actions, draw, write.

Every ``every``-th frame (0, every, 2 * every, ...) is a keyframe: the detector finds persons
on it and, once the frames its window reaches have been read, the action model scores each box
on the window centred on it (``ActionPredictor``). Every frame is drawn with the boxes and
actions of the last keyframe at or before it and written to the output video, so the output
has exactly the input's frames. Frames are read once, in order; memory holds the window's
prepared (small) frames and the full frames waiting for their keyframe's result.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from slowfast_microg.demo.demo_csv import BoxActions, format_rows, output_header, rows_to_text
from slowfast_microg.demo.errors import DemoError
from slowfast_microg.demo.labels import ClassNames
from slowfast_microg.demo.person_detector import PersonDetector
from slowfast_microg.demo.predictor import ActionPredictor, top_actions
from slowfast_microg.demo.render import draw_predictions
from slowfast_microg.demo.video_io import VideoInfo, VideoWriter, iter_frames, probe_video
from slowfast_microg.utils.atomic_io import atomic_write_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoResult:
    """What a demo run wrote.

    Attributes:
        video: the annotated video.
        csv: the per-box CSV.
        num_frames: frames read and written.
        keyframes: indices of the keyframes.
        num_boxes: person boxes scored (CSV rows).
        seconds: wall time of the run.
    """

    video: Path
    csv: Path
    num_frames: int
    keyframes: list[int]
    num_boxes: int
    seconds: float


class _Window:
    """State of the sliding window: prepared frames, pending keyframes and pending output."""

    def __init__(self, *, info: VideoInfo, predictor: ActionPredictor, every: int) -> None:
        self.info = info
        self.predictor = predictor
        self.every = every
        self.prepared: dict[int, torch.Tensor] = {}
        self.keyframes: deque[tuple[int, np.ndarray]] = deque()
        self.frames: deque[tuple[int, np.ndarray]] = deque()
        self.results: dict[int, list[BoxActions]] = {}
        self.num_read = 0

    def add(self, frame: np.ndarray, detector: PersonDetector) -> None:
        index = self.num_read
        if frame.shape != (self.info.height, self.info.width, 3):
            raise DemoError(
                f"{self.info.path}: frame {index} is {frame.shape[1]}x{frame.shape[0]}, the "
                f"video starts at {self.info.width}x{self.info.height}; re-encode it at one size."
            )
        self.prepared[index] = self.predictor.prepare_frame(frame)
        if index % self.every == 0:
            self.keyframes.append((index, detector.detect(frame, index)))
        self.frames.append((index, frame))
        self.num_read += 1

    def ready_keyframes(self, *, final: bool) -> list[tuple[int, np.ndarray]]:
        """Pop the keyframes whose whole window has been read (all of them when ``final``)."""
        ready = []
        last = self.num_read - 1
        while self.keyframes:
            if not final and self.keyframes[0][0] + self.predictor.frames_after > last:
                break
            ready.append(self.keyframes.popleft())
        return ready

    def clip(self, keyframe: int) -> torch.Tensor:
        indices = self.predictor.window(keyframe=keyframe, num_frames_read=self.num_read)
        return torch.stack([self.prepared[i] for i in indices.tolist()])

    def drawable(self) -> list[tuple[int, np.ndarray, list[BoxActions]]]:
        """Pop the frames whose keyframe has a result, with that result."""
        out = []
        while self.frames:
            index = self.frames[0][0]
            key = index - index % self.every
            if key not in self.results:
                break
            out.append((index, self.frames.popleft()[1], self.results[key]))
        if out:
            newest = out[-1][0] - out[-1][0] % self.every
            self.results = {k: v for k, v in self.results.items() if k >= newest}
        return out

    def evict(self) -> None:
        """Drop prepared frames that no pending or future window reaches."""
        if self.keyframes:
            next_key = self.keyframes[0][0]
        else:
            next_key = -(-self.num_read // self.every) * self.every
        lowest = next_key - self.predictor.frames_before
        for index in [i for i in self.prepared if i < lowest]:
            del self.prepared[index]


def run_demo(
    *,
    input_path: str | Path,
    output_path: str | Path,
    csv_path: str | Path,
    predictor: ActionPredictor,
    detector: PersonDetector,
    class_names: ClassNames,
    every: int = 4,
    top_k: int = 3,
    threshold: float = 0.0,
) -> DemoResult:
    """Annotate ``input_path`` into ``output_path`` and write the per-box CSV.

    Args:
        input_path: the video.
        output_path: the annotated H.264 mp4 (same frame rate, size and frame count).
        csv_path: the per-box CSV (format in ``demo_csv``).
        predictor: the action model with its preprocessing.
        detector: person boxes per keyframe.
        class_names: names of the model outputs.
        every: keyframe period in frames.
        top_k: actions kept per box.
        threshold: minimum action score kept.

    Returns:
        What was written.

    Raises:
        DemoError: unreadable video, a video without frames, or frames changing size.
    """
    if every < 1 or top_k < 1:
        raise ValueError(f"every and top_k must be >= 1, got every={every}, top_k={top_k}")
    start = time.perf_counter()
    info = probe_video(input_path)
    fps = float(info.fps)
    window = _Window(info=info, predictor=predictor, every=every)
    rows: list[list[str]] = []
    keyframes: list[int] = []
    norm = np.asarray([info.width, info.height] * 2, dtype=np.float32)

    def score(keyframe: int, detections: np.ndarray) -> None:
        boxes = torch.from_numpy(detections[:, :4] / norm)
        probabilities = predictor.scores(
            window.clip(keyframe), boxes, frame_height=info.height, frame_width=info.width
        )
        items = [
            BoxActions(
                box=tuple(float(v) for v in detections[j, :4]),
                person_score=float(detections[j, 4]),
                actions=top_actions(
                    probabilities[j], class_names=class_names, top_k=top_k, threshold=threshold
                ),
            )
            for j in range(len(detections))
        ]
        window.results[keyframe] = items
        keyframes.append(keyframe)
        rows.extend(format_rows(keyframe, fps=fps, boxes=items, top_k=top_k))

    progress = tqdm(total=info.num_frames or None, unit="frame", disable=not sys.stderr.isatty())
    with VideoWriter(output_path, fps=info.fps, width=info.width, height=info.height) as writer:
        for frame in iter_frames(input_path):
            window.add(frame, detector)
            for keyframe, detections in window.ready_keyframes(final=False):
                score(keyframe, detections)
            for _, pending, items in window.drawable():
                writer.write(draw_predictions(pending, items))
            window.evict()
            progress.update(1)
        if window.num_read == 0:
            raise DemoError(f"{input_path}: no frame could be decoded.")
        for keyframe, detections in window.ready_keyframes(final=True):
            score(keyframe, detections)
        for _, pending, items in window.drawable():
            writer.write(draw_predictions(pending, items))
    progress.close()
    atomic_write_text(csv_path, rows_to_text(output_header(top_k), rows))
    seconds = time.perf_counter() - start
    logger.info(
        "%d frames, %d keyframes, %d person boxes in %.1f s (%.1f frames/s); CSV %s",
        window.num_read,
        len(keyframes),
        len(rows),
        seconds,
        window.num_read / max(seconds, 1e-9),
        csv_path,
    )
    return DemoResult(
        video=Path(output_path),
        csv=Path(csv_path),
        num_frames=window.num_read,
        keyframes=keyframes,
        num_boxes=len(rows),
        seconds=seconds,
    )
