"""Write the train-ready layout the training core reads (the authors' released formats).

```
<dataset>/annotations/ava_{train,val,test}.csv          no header: video_id, frame_stamp,
                                                        x1, y1, x2, y2 (normalised), action_id,
                                                        person_id
<dataset>/annotations/ava_{val,test}_gt.csv             copies of the val / test files
<dataset>/annotations/ava_{split}_predicted_boxes.csv   video_id, frame_stamp, x1, y1, x2, y2, , 1
<dataset>/annotations/label_map.pbtxt                   the ids used, MicroG-4M names
<dataset>/frame_lists/{train,val,test}.csv              space separated, header
                                                        "original_video_id video_id frame_id path
                                                        labels"; one line per frame
<dataset>/frames/<clip>/<clip>_%06d.jpg                 (frames.py), numbered from 000001
```
The "predicted" boxes are the ground-truth boxes with score 1, one line per label, as released:
evaluation on this data is classification on oracle boxes.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from data_prep.label_map import write_pbtxt
from data_prep.split_dataset import SPLITS
from data_prep.to_ava import AvaRow, format_row

logger = logging.getLogger(__name__)

FRAME_LIST_HEADER = "original_video_id video_id frame_id path labels"


def frame_path(clip: str, number: int) -> str:
    """Relative path of frame ``number`` (1-based) of ``clip``."""
    return f"{clip}/{clip}_{number:06d}.jpg"


def _write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    tmp.replace(path)


def write_layout(
    *,
    dataset_dir: Path,
    rows: list[AvaRow],
    assignment: dict[str, str],
    clip_frames: dict[str, int],
    label_names: dict[int, str] | None = None,
) -> dict[str, int]:
    """Write annotations, predicted boxes, ground-truth copies, label map and frame lists.

    Args:
        dataset_dir: the dataset root.
        rows: all AVA rows, in their output order.
        assignment: ``{clip: split}`` for every clip in ``rows``.
        clip_frames: frame count of every clip in ``rows``.
        label_names: ``{id: name}`` for the label map (MicroG-4M names by default).

    Returns:
        Rows written per split.
    """
    dataset_dir = Path(dataset_dir)
    ann = dataset_dir / "annotations"
    missing = sorted({r.video_id for r in rows} - set(assignment))
    if missing:
        raise ValueError(f"clips without a split: {missing[:5]} ({len(missing)} in all)")
    counts = {}
    for split in SPLITS:
        fields = [format_row(r) for r in rows if assignment[r.video_id] == split]
        _write_lines(ann / f"ava_{split}.csv", [",".join(f) for f in fields])
        _write_lines(
            ann / f"ava_{split}_predicted_boxes.csv", [",".join(f[:6] + ["", "1"]) for f in fields]
        )
        counts[split] = len(fields)
        clips = sorted({r.video_id for r in rows if assignment[r.video_id] == split})
        lines = [FRAME_LIST_HEADER]
        for clip in clips:
            if clip not in clip_frames:
                raise ValueError(f"no frame count for clip {clip}; it is needed for the frame list")
            lines += [
                f'{clip} {clip} {n} {frame_path(clip, n)} ""'
                for n in range(1, clip_frames[clip] + 1)
            ]
        _write_lines(dataset_dir / "frame_lists" / f"{split}.csv", lines)
    for split in ("val", "test"):
        shutil.copyfile(ann / f"ava_{split}.csv", ann / f"ava_{split}_gt.csv")
    write_pbtxt(ann / "label_map.pbtxt", sorted({r.action_id for r in rows}), label_names)
    logger.info("layout written to %s: %s rows", dataset_dir, counts)
    return counts
