"""A few JHMDB-21-style videos in the release's formats, with known person rectangles.

Each video shows a bright rectangle (the "person") moving over a background whose grey level
encodes the frame number (frame k: level 8 * k), so tests can tell which frames a clip holds.
Puppet masks (``part_mask``, H x W x T uint8, part labels 1..3 inside the rectangle) and joint
positions (``pos_img``, 2 x 15 x T, 1-based pixels) are written with scipy, as the release has
them. Frame 4 of every mask is empty (a frame without a visible person).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.io import savemat

# The 21 JHMDB classes, as the release's folder names spell them.
RELEASE_CLASSES = (
    "brush_hair catch clap climb_stairs golf jump kick_ball pick pour pullup push run "
    "shoot_ball shoot_bow shoot_gun sit stand swing_baseball throw walk wave"
).split()
HEIGHT, WIDTH = 30, 40
EMPTY_FRAME = 4  # 1-based frame whose mask is empty


@dataclass(frozen=True)
class SynthVideo:
    action: str
    name: str
    subset: int  # 1 train, 2 test (split 1)
    num_frames: int
    offset: int  # the rectangle's horizontal start at frame 1

    def rect(self, frame: int) -> tuple[int, int, int, int]:
        """Inclusive pixel rectangle (c0, r0, c1, r1) of the person in 1-based ``frame``."""
        c0 = self.offset + frame - 1
        return c0, 5, c0 + 9, 24


VIDEOS = (
    SynthVideo("walk", "Walk_in_the_park_walk_f_cm_np1_ri_med_0", 2, 12, 2),
    SynthVideo("walk", "Morning_walk_walk_f_cm_np1_le_bad_1", 1, 10, 4),
    SynthVideo("jump", "Kid_jumps_(1)_jump_f_cm_np1_ba_med_2", 2, 9, 6),
    SynthVideo("jump", "Trampoline#2_jump_u_nm_np1_fr_goo_0", 1, 8, 1),
    SynthVideo("run", "Run_Forrest_run_f_cm_np1_le_med_3", 2, 10, 10),
    # A class outside the AVA overlap: never read.
    SynthVideo("brush_hair", "April_09_brush_hair_u_nm_np1_ba_goo_0", 2, 8, 3),
)


def write_release(root: Path, *, videos: tuple[SynthVideo, ...] = VIDEOS) -> Path:
    """Write Rename_Images/, splits/, puppet_mask/ and joint_positions/ under ``root``."""
    splits: dict[str, list[str]] = {}
    for video in videos:
        frames = root / "Rename_Images" / video.action / video.name
        frames.mkdir(parents=True)
        mask = np.zeros((HEIGHT, WIDTH, video.num_frames), dtype=np.uint8)
        joints = np.zeros((2, 15, video.num_frames), dtype=np.float64)
        for frame in range(1, video.num_frames + 1):
            c0, r0, c1, r1 = video.rect(frame)
            image = np.full((HEIGHT, WIDTH, 3), 8 * frame, dtype=np.uint8)
            image[r0 : r1 + 1, c0 : c1 + 1] = 250
            Image.fromarray(image).save(frames / f"{frame:05d}.png")
            if frame != EMPTY_FRAME:
                mask[r0 : r1 + 1, c0 : c1 + 1, frame - 1] = 1
                mask[r0 : r0 + 5, c0 : c1 + 1, frame - 1] = 2  # head
                mask[r1 - 5 : r1 + 1, c0 : c1 + 1, frame - 1] = 3  # legs
            xs = np.linspace(c0 + 2, c1 - 2, 15) + 1.0  # 1-based, inside the rectangle
            ys = np.linspace(r0 + 2, r1 - 2, 15)[::-1] + 1.0
            joints[:, :, frame - 1] = np.stack([xs, ys])
        masks = root / "puppet_mask" / video.action / video.name
        masks.mkdir(parents=True)
        savemat(masks / "puppet_mask.mat", {"part_mask": mask})
        joint_dir = root / "joint_positions" / video.action / video.name
        joint_dir.mkdir(parents=True)
        savemat(joint_dir / "joint_positions.mat", {"pos_img": joints, "scale": np.ones(3)})
        splits.setdefault(video.action, []).append(f"{video.name}.avi {video.subset}")
    (root / "splits").mkdir()
    for action in RELEASE_CLASSES:  # the release has split files for all 21 classes
        lines = splits.get(action, [])
        (root / "splits" / f"{action}_test_split1.txt").write_text("".join(f"{x}\n" for x in lines))
        flipped = [line[:-1] + ("1" if line.endswith("2") else "2") for line in lines]
        (root / "splits" / f"{action}_test_split2.txt").write_text(
            "".join(f"{x}\n" for x in flipped)
        )
    return root


def expected_box(video: SynthVideo, frame: int) -> list[float]:
    """Normalised box of the rectangle, pixel edges included."""
    c0, r0, c1, r1 = video.rect(frame)
    return [c0 / WIDTH, r0 / HEIGHT, (c1 + 1) / WIDTH, (r1 + 1) / HEIGHT]
