"""YOLO person detector (Ultralytics) with the pinned prediction arguments.

Detections are plain arrays ``(N, 6)``: ``x1, y1, x2, y2`` in pixels of the input frame,
confidence, class id. Ultralytics is imported only when a detector is built.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

from data_prep.config import DetectorParams
from data_prep.ultralytics_env import import_ultralytics

logger = logging.getLogger(__name__)


class Detector(Protocol):
    """Anything that turns frames into detections."""

    def detect(self, frames: list[np.ndarray]) -> list[np.ndarray]:
        """Detect objects in BGR frames (H, W, 3); returns one (N, 6) float32 array per frame."""


class YoloDetector:
    """Ultralytics YOLO with explicit prediction arguments (see ``DetectorParams``).

    Args:
        weights: a ``.pt`` file, or a model yaml such as ``yolo11n.yaml`` (random weights).
            A missing ``.pt`` name is handed to Ultralytics, which downloads its own releases.
        imgsz, conf, iou, classes, max_det, device, half: Ultralytics predict arguments.
    """

    def __init__(
        self,
        *,
        weights: str,
        imgsz: int = 640,
        conf: float = 0.1,
        iou: float = 0.7,
        classes: list[int] | None = None,
        max_det: int = 300,
        device: str | None = None,
        half: bool = False,
    ) -> None:
        yolo_class = import_ultralytics().YOLO
        if weights.endswith(".pt") and not Path(weights).exists():
            logger.warning(
                "weights %s not found locally; Ultralytics will try to download them", weights
            )
        self.model = yolo_class(weights, task="detect")
        self.kwargs = {
            "imgsz": imgsz,
            "conf": conf,
            "iou": iou,
            "classes": classes,
            "max_det": max_det,
            "verbose": False,
        }
        if half:
            self.kwargs["half"] = True
        if device is not None:
            self.kwargs["device"] = device

    @classmethod
    def from_params(cls, params: DetectorParams) -> YoloDetector:
        """Build from the ``detector`` config section."""
        return cls(
            weights=params.weights,
            imgsz=params.imgsz,
            conf=params.conf,
            iou=params.iou,
            classes=params.classes,
            max_det=params.max_det,
            device=params.device,
            half=params.half,
        )

    def detect(self, frames: list[np.ndarray]) -> list[np.ndarray]:
        """Run YOLO on a batch of BGR frames; returns one (N, 6) float32 array per frame."""
        if not frames:
            return []
        results = self.model.predict(frames, **self.kwargs)
        return [r.boxes.data.cpu().numpy().astype(np.float32) for r in results]


class LazyDetector:
    """A YoloDetector built on first use, so runs with nothing to detect never load Ultralytics."""

    def __init__(self, params: DetectorParams) -> None:
        self.params = params
        self._detector: YoloDetector | None = None

    def detect(self, frames: list[np.ndarray]) -> list[np.ndarray]:
        """Detect on a batch of BGR frames (see ``Detector``)."""
        if self._detector is None:
            self._detector = YoloDetector.from_params(self.params)
        return self._detector.detect(frames)


def batched(frames: Iterable[np.ndarray], size: int) -> Iterator[list[np.ndarray]]:
    """Group an iterable of frames into lists of at most ``size``."""
    batch: list[np.ndarray] = []
    for frame in frames:
        batch.append(frame)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
