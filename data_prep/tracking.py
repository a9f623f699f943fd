"""BoT-SORT from Ultralytics with the pinned tracker values, stepped frame by frame.

The pinned values are written to a tracker yaml (``<out>/tracker/botsort.yaml``), which is read
back through Ultralytics' own loader and handed to its ``BOTSORT`` class, as ``model.track``
does. ``track_frame`` reproduces what ``model.track`` returns for one frame: the tracker's boxes
with ids, clipped to the image; when the tracker reports nothing the raw detections come back
without ids (or nothing, while a new track awaits confirmation).

Tracked boxes are arrays ``(M, 7)``: ``x1, y1, x2, y2, id, confidence, class``; id is -1 for a
detection the tracker did not return.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from data_prep.config import BotSortParams
from data_prep.ultralytics_env import import_ultralytics

logger = logging.getLogger(__name__)

NO_ID = -1.0


def write_tracker_yaml(params: BotSortParams, path: Path) -> Path:
    """Write the pinned BoT-SORT values as an Ultralytics tracker yaml."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# BoT-SORT values pinned by data_prep (the authors' botsort.yaml)\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(header + yaml.safe_dump(dataclasses.asdict(params), sort_keys=False))
    tmp.replace(path)
    return path


def load_tracker_args(path: Path) -> Any:
    """Read a tracker yaml the way Ultralytics' track mode does (an IterableSimpleNamespace)."""
    import_ultralytics()
    from ultralytics.utils import YAML, IterableSimpleNamespace

    return IterableSimpleNamespace(**YAML.load(str(path)))


def make_tracker(args: Any) -> Any:
    """A fresh Ultralytics BOTSORT tracker (one per clip, like track mode without persist)."""
    import_ultralytics()
    from ultralytics.trackers.bot_sort import BOTSORT

    if args.tracker_type != "botsort":
        raise ValueError(f"tracker_type {args.tracker_type!r}: only 'botsort' is supported")
    return BOTSORT(args=args)


def track_frame(tracker: Any, detections: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """Advance ``tracker`` by one frame.

    Args:
        tracker: a BOTSORT instance.
        detections: (N, 6) float array ``x1, y1, x2, y2, conf, cls`` in pixels.
        frame: the BGR frame (H, W, 3) the detections come from (used by the GMC).

    Returns:
        (M, 7) float32 array ``x1, y1, x2, y2, id, conf, cls``.
    """
    from ultralytics.engine.results import Boxes

    height, width = frame.shape[:2]
    dets = np.asarray(detections, dtype=np.float32).reshape(-1, 6)
    tracks = tracker.update(Boxes(dets, (height, width)), frame)
    if len(tracks) == 0:
        if any(not t.is_activated for t in tracker.tracked_stracks):
            return np.zeros((0, 7), dtype=np.float32)
        untracked = np.full((len(dets), 1), NO_ID, dtype=np.float32)
        return np.concatenate([dets[:, :4], untracked, dets[:, 4:6]], axis=1)
    out = np.asarray(tracks[:, :7], dtype=np.float32).copy()
    out[:, [0, 2]] = out[:, [0, 2]].clip(0, width)
    out[:, [1, 3]] = out[:, [1, 3]].clip(0, height)
    return out
