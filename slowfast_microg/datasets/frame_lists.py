"""Strict reader of AVA frame lists (``frame_lists/{train,val,test}.csv``).

Format: space-separated, one header line ``original_video_id video_id frame_id path labels``
(PySlowFast's upstream lists spell it ``original_vido_id``; both are accepted), then one line
per frame of each clip: ``<clip> <clip> <frame_id> <clip>/<clip>_%06d.jpg ""``. As in PySlowFast
only the first column (clip id) and the fourth (path relative to ``AVA.FRAME_DIR``) are used;
a clip's frames are indexed 0-based in the order of its lines.
"""

from __future__ import annotations

import logging
from pathlib import Path

from slowfast_microg.datasets.errors import DataError, at, require_file

logger = logging.getLogger(__name__)

HEADERS = ("original_video_id", "original_vido_id")
NUM_FIELDS = 5


def read_frame_list(path: str | Path, *, config_key: str) -> dict[str, list[str]]:
    """Read one frame list.

    Args:
        path: the frame-list file.
        config_key: the config key naming the file (used in the missing-file error).

    Returns:
        clip id -> frame paths (relative to the frame folder) in file order; clips keep the
        order of their first line.

    Raises:
        DataError: missing file, missing header, a line without 5 fields or with a non-integer
            frame id, or no frame lines at all.
    """
    path = require_file(Path(path), config_key=config_key)
    frames: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().split()
        if not header or header[0] not in HEADERS:
            found = " ".join(header) if header else "an empty first line"
            raise DataError(
                f"{at(path, 1)}: expected the header `original_video_id video_id frame_id path "
                f"labels`, found {found!r}."
            )
        for lineno, line in enumerate(handle, start=2):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != NUM_FIELDS:
                raise DataError(
                    f"{at(path, lineno)}: {len(fields)} fields, expected {NUM_FIELDS} "
                    f'(original_video_id video_id frame_id path labels; labels may be "").'
                )
            try:
                int(fields[2])
            except ValueError:
                raise DataError(
                    f"{at(path, lineno)}: frame_id {fields[2]!r} is not an integer."
                ) from None
            frames.setdefault(fields[0], []).append(fields[3])
    if not frames:
        raise DataError(f"{path}: the frame list has a header but no frame lines.")
    logger.info("Read %d clips from frame list %s", len(frames), path)
    return frames


def read_frame_lists(paths: list[Path], *, config_key: str) -> dict[str, list[str]]:
    """Read and merge several frame lists (a clip listed in two files is an error).

    Raises:
        DataError: as :func:`read_frame_list`, or a clip that appears in two of the files.
    """
    merged: dict[str, list[str]] = {}
    origin: dict[str, Path] = {}
    for path in paths:
        for clip_id, frames in read_frame_list(path, config_key=config_key).items():
            if clip_id in merged:
                raise DataError(
                    f"{path}: clip {clip_id!r} is also listed in {origin[clip_id]}; a clip must "
                    f"appear in one frame list of {config_key}."
                )
            merged[clip_id] = frames
            origin[clip_id] = path
    return merged
