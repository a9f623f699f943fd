"""Person boxes for the demo: Ultralytics YOLO (COCO class 0, "person") or boxes from a CSV.

A detector returns, for one frame, an (n, 5) float32 array ``x1, y1, x2, y2, score`` in pixels
of that frame. Ultralytics is imported only when a YOLO detector is built, never allowed to
install packages (``YOLO_AUTOINSTALL=False`` unless the environment says otherwise), and told
it is offline (``YOLO_OFFLINE=True``) when the weights are a local file or a model ``.yaml``
(random weights), so nothing is fetched. A weights name that is not a local file (the default
``yolo11n.pt``) is left to Ultralytics, which downloads its own releases when online.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from slowfast_microg.demo.errors import DemoError

logger = logging.getLogger(__name__)

DEFAULT_WEIGHTS = "yolo11n.pt"
PERSON_CLASS = 0
INSTALL_HINT = "pip install -e '.[data_prep]'"


class PersonDetector(Protocol):
    """Finds persons in a frame."""

    def detect(self, frame: np.ndarray, index: int) -> np.ndarray:
        """Boxes in ``frame`` ((H, W, 3) uint8 RGB, 0-based ``index`` in the video).

        Returns:
            (n, 5) float32 rows ``x1, y1, x2, y2, score`` in pixels.
        """
        ...


def _is_local(weights: str) -> bool:
    return weights.endswith((".yaml", ".yml")) or Path(weights).is_file()


def import_yolo(*, offline: bool) -> type:
    """Import ``ultralytics.YOLO`` with package auto-installation off (and offline if asked).

    Raises:
        ImportError: Ultralytics is not installed; the message says how to install it.
    """
    os.environ.setdefault("YOLO_AUTOINSTALL", "False")
    if offline:
        os.environ.setdefault("YOLO_OFFLINE", "True")
    try:
        from ultralytics import YOLO
    except ImportError as error:
        raise ImportError(
            f"The demo's person detector needs Ultralytics: {INSTALL_HINT} "
            f"(or pass precomputed boxes with --boxes)."
        ) from error
    return YOLO


class YoloPersonDetector:
    """Ultralytics YOLO keeping class 0 ("person" in COCO-trained weights).

    Args:
        weights: a ``.pt`` file, a model ``.yaml`` (random weights, for tests), or a release
            name such as ``yolo11n.pt`` that Ultralytics downloads when it is not local.
        conf: minimum detection confidence.
        iou: non-maximum-suppression IoU threshold.
        imgsz: inference size (pixels, multiple of 32).
        max_det: most boxes per frame.
        device: "cpu", "cuda" or "cuda:N".
    """

    def __init__(
        self,
        *,
        weights: str = DEFAULT_WEIGHTS,
        conf: float = 0.5,
        iou: float = 0.7,
        imgsz: int = 640,
        max_det: int = 100,
        device: str = "cpu",
    ) -> None:
        local = _is_local(weights)
        if not local:
            logger.warning(
                "YOLO weights %s are not a local file; Ultralytics will download them (needs "
                "internet). Pass --detector PATH to use a local file.",
                weights,
            )
        yolo = import_yolo(offline=local)
        try:
            self.model = yolo(weights, task="detect")
        except (FileNotFoundError, ConnectionError) as error:
            raise DemoError(f"cannot load YOLO weights {weights!r}: {error}") from error
        self.kwargs = {
            "conf": conf,
            "iou": iou,
            "imgsz": imgsz,
            "max_det": max_det,
            "classes": [PERSON_CLASS],
            "device": device,
            "verbose": False,
        }

    def detect(self, frame: np.ndarray, index: int) -> np.ndarray:
        """Person boxes of one RGB frame (see ``PersonDetector``)."""
        bgr = np.ascontiguousarray(frame[:, :, ::-1])
        result = self.model.predict(bgr, **self.kwargs)[0]
        data = result.boxes.data.cpu().numpy().astype(np.float32)
        return data[:, :5].reshape(-1, 5)


class BoxFileDetector:
    """Boxes read beforehand (``--boxes``): frame index -> (n, 5) rows.

    Args:
        boxes: 0-based frame index -> (n, 5) float32 ``x1, y1, x2, y2, score`` in pixels.
    """

    def __init__(self, boxes: dict[int, np.ndarray]) -> None:
        self.boxes = boxes

    def detect(self, frame: np.ndarray, index: int) -> np.ndarray:
        """The file's boxes of frame ``index`` (none when the file has no row for it)."""
        return self.boxes.get(index, np.zeros((0, 5), dtype=np.float32))
