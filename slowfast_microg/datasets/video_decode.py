"""Decode selected frames of an mp4 clip with PyAV, seeking instead of decoding from the start.

Frame ``k`` (0-based) is the ``k``-th frame in presentation order, i.e. JPEG ``k + 1`` of the
authors' extraction at the clip's own rate. Positions come from presentation timestamps:
``(pts - start_time) * time_base * frame_rate``, which must be whole numbers (a constant frame
rate, as the MicroG-4M clips have: they were re-encoded at 30 fps).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from slowfast_microg.datasets.errors import DataError

logger = logging.getLogger(__name__)

# A timestamp more than this many frames away from a whole frame position means the clip is not
# constant-frame-rate, so frame numbers cannot be derived from timestamps.
_PTS_TOLERANCE = Fraction(1, 4)


def _positions(container, stream, *, start: int, frame_period: Fraction, path: Path):
    """Yield (0-based position, frame) for decoded frames from the current read position."""
    for frame in container.decode(stream):
        if frame.pts is None:
            raise DataError(f"{path}: a decoded frame has no timestamp; re-encode the clip.")
        exact = Fraction(frame.pts - start) * stream.time_base / frame_period
        position = round(exact)
        if abs(exact - position) > _PTS_TOLERANCE:
            raise DataError(
                f"{path}: frame timestamp {frame.pts} is not on the {float(1 / frame_period):g} "
                f"fps grid (variable frame rate); re-encode at a constant rate or extract JPEGs."
            )
        yield position, frame


def _collect(container, stream, wanted: list[int], *, seek_pts: int | None, **kwargs):
    if seek_pts is not None:
        container.seek(seek_pts, stream=stream, backward=True, any_frame=False)
    frames: dict[int, np.ndarray] = {}
    reformatter = VideoReformatter()
    first_position = None
    for position, frame in _positions(container, stream, **kwargs):
        first_position = position if first_position is None else first_position
        if position > wanted[-1]:
            break
        if position in wanted:
            frames[position] = reformatter.reformat(frame, format="rgb24").to_ndarray()
            if len(frames) == len(wanted):
                break
    return frames, first_position


def decode_frames(
    path: str | Path, indices: Iterable[int], *, multi_thread: bool = False
) -> dict[int, np.ndarray]:
    """Decode the frames at 0-based ``indices`` of a video.

    Seeks to the keyframe at or before the first wanted frame, then decodes forward until the
    last one; only wanted frames are converted to RGB.

    Args:
        path: the video file.
        indices: 0-based frame positions (duplicates allowed).
        multi_thread: let FFmpeg decode with several threads (``thread_type`` AUTO).

    Returns:
        position -> (H, W, 3) uint8 RGB frame, for each distinct index.

    Raises:
        DataError: the file cannot be opened or decoded, has no video stream, has no constant
            frame rate, or has fewer frames than needed.
    """
    path = Path(path)
    wanted = sorted(set(int(i) for i in indices))
    if not wanted or wanted[0] < 0:
        raise ValueError(f"indices must be non-empty and >= 0, got {wanted}")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as error:
        raise DataError(f"{path}: cannot open the video ({error}).") from error
    with container:
        if not container.streams.video:
            raise DataError(f"{path}: the file has no video stream.")
        stream = container.streams.video[0]
        if multi_thread:
            stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate
        if not rate or stream.time_base is None:
            raise DataError(f"{path}: the video stream has no frame rate or time base.")
        period = 1 / Fraction(rate)
        start = stream.start_time or 0
        kwargs = {"start": start, "frame_period": period, "path": path}
        seek_pts = start + int(wanted[0] * period / stream.time_base) if wanted[0] > 0 else None
        try:
            frames, first = _collect(container, stream, wanted, seek_pts=seek_pts, **kwargs)
            if seek_pts is not None and (first is None or first > wanted[0]):
                logger.debug("%s: seek overshot frame %d; decoding from the start", path, wanted[0])
                frames, first = _collect(container, stream, wanted, seek_pts=start, **kwargs)
        except av.error.FFmpegError as error:
            raise DataError(f"{path}: cannot decode the video ({error}).") from error
    missing = [i for i in wanted if i not in frames]
    if missing:
        raise DataError(
            f"{path}: frame(s) {missing} (0-based) could not be decoded; the video is shorter "
            f"than its frame list says or is damaged. Re-extract or re-encode the clip."
        )
    return frames
