"""Readers of the standard JHMDB-21 release: split files, frame folders, person boxes.

Layout (paths relative to the release root)::

    Rename_Images/<action>/<video>/00001.png ...      frames, numbered from 1
    splits/<action>_test_split<N>.txt                 "<video>.avi 1" (train) / "... 2" (test)
    puppet_mask/<action>/<video>/puppet_mask.mat      part_mask: H x W x T, nonzero = person
    joint_positions/<action>/<video>/joint_positions.mat   pos_img: 2 x 15 x T, (x, y) pixels

Person boxes are normalised ``x1, y1, x2, y2`` per frame. From a puppet mask: the bounding box
of the nonzero pixels, pixel edges included (columns ``c0..c1`` give ``x1 = c0 / W``,
``x2 = (c1 + 1) / W``); a frame whose mask is empty has no box (NaN row). From joints: the
box of the 15 joints (1-based MATLAB pixel coordinates, shifted to 0-based) widened by
``margin`` of its width and height on each side and clipped to the frame.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from slowfast_microg.datasets.errors import DataError, at

logger = logging.getLogger(__name__)

SPLIT_FILE = "{action}_test_split{split}.txt"
SPLIT_LABELS = {"train": 1, "val": 2, "test": 2}
MASK_FILE = "puppet_mask.mat"
MASK_VARIABLE = "part_mask"
JOINT_FILE = "joint_positions.mat"
JOINT_VARIABLE = "pos_img"
NUM_JOINTS = 15
_FRAME = re.compile(r"^(\d{5})\.png$")


def read_split(split_dir: Path, *, action: str, split: int, subset: str) -> list[str]:
    """Video names (without ``.avi``) of ``action`` in ``subset`` of official split ``split``.

    Args:
        split_dir: the release's ``splits/`` folder.
        action: a JHMDB class.
        split: 1, 2 or 3.
        subset: "train" (label 1), or "val"/"test" (label 2; JHMDB has no validation set).

    Raises:
        DataError: missing file, or a line that is not ``<video>.avi 1|2``.
    """
    path = split_dir / SPLIT_FILE.format(action=action, split=split)
    if not path.is_file():
        raise DataError(
            f"{path} does not exist: JHMDB.SPLIT_DIR must hold the release's split files "
            f"(<action>_test_split<N>.txt) for every class of the class map."
        )
    wanted = SPLIT_LABELS[subset]
    names = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or not fields[0].endswith(".avi") or fields[1] not in ("1", "2"):
            raise DataError(f"{at(path, lineno)}: expected `<video>.avi 1|2`, found {line!r}.")
        if int(fields[1]) == wanted:
            names.append(fields[0].removesuffix(".avi"))
    return names


def list_frames(frame_dir: Path, *, action: str, video: str) -> list[str]:
    """Frame paths of a video, relative to ``frame_dir``, in frame order (00001.png first).

    Raises:
        DataError: missing folder, no PNG frames, or numbering that is not 1, 2, ..., n.
    """
    folder = frame_dir / action / video
    if not folder.is_dir():
        raise DataError(f"{folder} does not exist: every test video needs its frame folder.")
    numbers = sorted(int(m.group(1)) for p in folder.iterdir() if (m := _FRAME.match(p.name)))
    if not numbers:
        raise DataError(f"{folder} has no frames named %05d.png.")
    if numbers != list(range(1, len(numbers) + 1)):
        gap = next(i for i, n in enumerate(numbers, start=1) if n != i)
        raise DataError(
            f"{folder}: frame {gap:05d}.png is missing (found {len(numbers)} frames up to "
            f"{numbers[-1]:05d}.png); frames must be numbered 1, 2, 3, ..."
        )
    return [f"{action}/{video}/{n:05d}.png" for n in numbers]


def png_size(path: Path) -> tuple[int, int]:
    """(height, width) of a PNG from its header.

    Raises:
        DataError: not a PNG file.
    """
    with path.open("rb") as handle:
        head = handle.read(24)
    if len(head) < 24 or not head.startswith(b"\x89PNG\r\n\x1a\n") or head[12:16] != b"IHDR":
        raise DataError(f"{path} is not a PNG image.")
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    return height, width


def _load_variable(path: Path, variable: str) -> np.ndarray:
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    if not path.is_file():
        raise DataError(f"{path} does not exist.")
    try:
        content = loadmat(path)
    except NotImplementedError as error:  # MATLAB v7.3 (HDF5) files
        raise DataError(f"{path}: {error}; save it as a MATLAB v5 file.") from error
    except (MatReadError, ValueError, OSError, TypeError) as error:
        raise DataError(f"{path} is not a readable MATLAB file ({error}).") from error
    if variable not in content:
        found = sorted(k for k in content if not k.startswith("__"))
        raise DataError(f"{path} has no variable {variable!r} (found: {found}).")
    return np.asarray(content[variable])


def mask_boxes(path: Path) -> tuple[np.ndarray, tuple[int, int]]:
    """Per-frame person boxes from a puppet mask.

    Returns:
        ((T, 4) float32 normalised x1, y1, x2, y2, NaN where the mask is empty;
        (height, width) of the mask).

    Raises:
        DataError: unreadable file, missing ``part_mask``, or not an H x W x T array.
    """
    mask = _load_variable(path, MASK_VARIABLE)
    if mask.ndim == 2:
        mask = mask[:, :, None]
    if mask.ndim != 3:
        raise DataError(f"{path}: {MASK_VARIABLE} has shape {mask.shape}, expected H x W x T.")
    height, width, _ = mask.shape
    person = mask != 0
    rows, cols = person.any(axis=1), person.any(axis=0)  # (H, T), (W, T)
    present = cols.any(axis=0)
    x0 = cols.argmax(axis=0)
    x1 = width - cols[::-1].argmax(axis=0)
    y0 = rows.argmax(axis=0)
    y1 = height - rows[::-1].argmax(axis=0)
    boxes = np.stack([x0 / width, y0 / height, x1 / width, y1 / height], axis=1)
    boxes[~present] = np.nan
    return boxes.astype(np.float32), (height, width)


def joint_boxes(path: Path, *, size: tuple[int, int], margin: float) -> np.ndarray:
    """Per-frame person boxes from joint positions.

    Args:
        path: ``joint_positions.mat``.
        size: (height, width) of the frames.
        margin: widening on each side, as a fraction of the joints' box width and height.

    Returns:
        (T, 4) float32 normalised x1, y1, x2, y2.

    Raises:
        DataError: unreadable file, missing ``pos_img``, or not a 2 x 15 x T array.
    """
    joints = _load_variable(path, JOINT_VARIABLE).astype(np.float64)
    if joints.ndim == 2:
        joints = joints[:, :, None]
    if joints.ndim != 3 or joints.shape[:2] != (2, NUM_JOINTS):
        raise DataError(f"{path}: {JOINT_VARIABLE} has shape {joints.shape}, expected 2 x 15 x T.")
    height, width = size
    x, y = joints[0] - 1.0, joints[1] - 1.0  # (15, T), 0-based pixels
    lo_x, hi_x, lo_y, hi_y = x.min(axis=0), x.max(axis=0), y.min(axis=0), y.max(axis=0)
    pad_x, pad_y = margin * (hi_x - lo_x), margin * (hi_y - lo_y)
    boxes = np.stack(
        [
            np.clip(lo_x - pad_x, 0, width) / width,
            np.clip(lo_y - pad_y, 0, height) / height,
            np.clip(hi_x + pad_x, 0, width) / width,
            np.clip(hi_y + pad_y, 0, height) / height,
        ],
        axis=1,
    )
    return boxes.astype(np.float32)
