"""A tiny train-ready MicroG-4M layout in the released formats, written for the hub tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

CLASSES = {12: "stand", 14: "walk", 79: "talk to (e.g., self, a person, a group)"}
SPLIT_CLIPS = {
    "train": ["srcA_001", "srcA_002"],
    "val": ["srcB_001"],
    "test": ["srcC_001", "srcC_002"],
}
NUM_FRAMES = 6
STAMP = 3


def label_map_text(classes: dict[int, str]) -> str:
    return "".join(f'item {{\n  name: "{name}"\n  id: {cid}\n}}\n' for cid, name in classes.items())


def write_layout(root: Path, *, size: tuple[int, int] = (32, 24)) -> Path:
    """Write frames, frame lists and annotations of 5 clips (6 JPEG frames each) under root."""
    annotations = root / "annotations"
    annotations.mkdir(parents=True)
    (annotations / "label_map.pbtxt").write_text(label_map_text(CLASSES))
    rng = np.random.default_rng(0)
    ids = sorted(CLASSES)
    for split, clips in SPLIT_CLIPS.items():
        lines = ["original_video_id video_id frame_id path labels"]
        gt_rows, predicted_rows = [], []
        for index, clip in enumerate(clips):
            folder = root / "frames" / clip
            folder.mkdir(parents=True)
            for n in range(1, NUM_FRAMES + 1):
                pixels = rng.integers(0, 255, size=(size[1], size[0], 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{clip}_{n:06d}.jpg", quality=95)
                lines.append(f'{clip} {clip} {n} {clip}/{clip}_{n:06d}.jpg ""')
            box = "0.1,0.2,0.6,0.9"
            labels = [ids[index % 3], ids[(index + 1) % 3]] if split == "train" else [ids[index]]
            if split == "train" and index == 1:
                labels.append(ids[2])
            gt_rows += [f"{clip},{STAMP},{box},{label},1" for label in labels]
            predicted_rows += [f"{clip},{STAMP},{box},,1" for _ in labels]
        (root / "frame_lists").mkdir(exist_ok=True)
        (root / "frame_lists" / f"{split}.csv").write_text("\n".join(lines) + "\n")
        (annotations / f"ava_{split}.csv").write_text("\n".join(gt_rows) + "\n")
        (annotations / f"ava_{split}_predicted_boxes.csv").write_text(
            "\n".join(predicted_rows) + "\n"
        )
        if split != "train":
            (annotations / f"ava_{split}_gt.csv").write_text("\n".join(gt_rows) + "\n")
    return root


def small_cfg():
    """The default config with this layout's 3 classes."""
    from slowfast_microg.config import get_cfg

    cfg = get_cfg()
    cfg.MODEL.NUM_CLASSES = len(CLASSES)
    return cfg
