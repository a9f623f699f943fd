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


def _report(error: DataError, errors: list[DataError] | None) -> None:
    """Raise ``error``, or append it to ``errors`` in collect mode."""
    if errors is None:
        raise error
    errors.append(error)


def _frame_line(fields: list[str], *, where: str) -> DataError | None:
    """The error of a malformed frame line, or None."""
    if len(fields) != NUM_FIELDS:
        return DataError(
            f"{where}: {len(fields)} fields, expected {NUM_FIELDS} "
            f'(original_video_id video_id frame_id path labels; labels may be "").'
        )
    try:
        int(fields[2])
    except ValueError:
        return DataError(f"{where}: frame_id {fields[2]!r} is not an integer.")
    return None


def read_frame_list(
    path: str | Path, *, config_key: str, errors: list[DataError] | None = None
) -> dict[str, list[str]]:
    """Read one frame list.

    Args:
        path: the frame-list file.
        config_key: the config key naming the file (used in the missing-file error).
        errors: collect mode: when a list is given, problems are appended to it instead of
            raised; a malformed line is skipped, a missing header skips the whole file.

    Returns:
        clip id -> frame paths (relative to the frame folder) in file order; clips keep the
        order of their first line.

    Raises:
        DataError: missing file; without ``errors``, a missing header, a line without 5 fields
            or with a non-integer frame id, or no frame lines at all.
    """
    path = require_file(Path(path), config_key=config_key)
    frames: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().split()
        if not header or header[0] not in HEADERS:
            found = " ".join(header) if header else "an empty first line"
            _report(
                DataError(
                    f"{at(path, 1)}: expected the header `original_video_id video_id frame_id "
                    f"path labels`, found {found!r}."
                ),
                errors,
            )
            return frames
        malformed = 0
        for lineno, line in enumerate(handle, start=2):
            fields = line.split()
            if not fields:
                continue
            error = _frame_line(fields, where=at(path, lineno))
            if error is not None:
                _report(error, errors)
                malformed += 1
                continue
            frames.setdefault(fields[0], []).append(fields[3])
    if not frames and not malformed:
        _report(DataError(f"{path}: the frame list has a header but no frame lines."), errors)
    logger.info("Read %d clips from frame list %s", len(frames), path)
    return frames


def read_frame_lists(
    paths: list[Path], *, config_key: str, errors: list[DataError] | None = None
) -> dict[str, list[str]]:
    """Read and merge several frame lists (a clip listed in two files is an error).

    Args:
        paths: the frame-list files.
        config_key: the config key naming them.
        errors: collect mode, as in :func:`read_frame_list`; a clip listed twice keeps its
            first file's frames.

    Raises:
        DataError: as :func:`read_frame_list`, or (without ``errors``) a clip that appears in
            two of the files.
    """
    merged: dict[str, list[str]] = {}
    origin: dict[str, Path] = {}
    for path in paths:
        listed = read_frame_list(path, config_key=config_key, errors=errors)
        for clip_id, frames in listed.items():
            if clip_id in merged:
                _report(
                    DataError(
                        f"{path}: clip {clip_id!r} is also listed in {origin[clip_id]}; a clip "
                        f"must appear in one frame list of {config_key}."
                    ),
                    errors,
                )
                continue
            merged[clip_id] = frames
            origin[clip_id] = path
    return merged
