"""Read a video frame by frame and write an H.264 mp4 with the input's rate, size and count.

Reading and writing use PyAV. Frames are (H, W, 3) uint8 RGB arrays in presentation order.
The writer encodes every frame it is given, one output frame per input frame at the input's
average frame rate (a variable-rate input keeps its frame count but gets evenly spaced
timestamps); audio is not copied. Even sizes use ``yuv420p`` (playable everywhere), odd sizes
``yuv444p`` (H.264 4:2:0 needs even sizes). The file appears under its name only when the writer
is closed without error; until then it is a hidden temporary file in the same folder.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from slowfast_microg.demo.errors import DemoError

logger = logging.getLogger(__name__)

CODEC = "libx264"
# x264 constant-rate factor: 18 is visually lossless for annotated footage.
DEFAULT_CRF = 18


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video's first video stream.

    Attributes:
        path: the file.
        fps: average frame rate.
        width, height: frame size in pixels.
        num_frames: frame count from the header, 0 when the container does not store it.
    """

    path: Path
    fps: Fraction
    width: int
    height: int
    num_frames: int


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        state = "is not a file" if path.exists() else "does not exist"
        raise DemoError(f"{path} {state}; pass an existing video with --input.")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as error:
        raise DemoError(f"{path}: cannot open the video ({error}).") from error
    if not container.streams.video:
        container.close()
        raise DemoError(f"{path}: the file has no video stream.")
    return container


def probe_video(path: str | Path) -> VideoInfo:
    """Frame rate, size and header frame count of the first video stream of ``path``.

    Raises:
        DemoError: the file is missing, cannot be opened, has no video stream or no rate.
    """
    path = Path(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        if not rate:
            raise DemoError(f"{path}: the video stream has no frame rate; re-encode it.")
        return VideoInfo(
            path=path,
            fps=Fraction(rate),
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            num_frames=int(stream.frames or 0),
        )


def iter_frames(path: str | Path) -> Iterator[np.ndarray]:
    """Yield every frame of ``path`` as an (H, W, 3) uint8 RGB array, in presentation order.

    Raises:
        DemoError: the file cannot be opened or decoded.
    """
    path = Path(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                yield frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as error:
            raise DemoError(f"{path}: cannot decode the video ({error}).") from error


class VideoWriter:
    """H.264 mp4 writer; use as a context manager (see the module docstring).

    Args:
        path: output file (``.mp4``); its folder is created.
        fps: frame rate (``VideoInfo.fps`` of the input).
        width, height: frame size in pixels.
        crf: x264 quality (lower is better, 0 lossless).
    """

    def __init__(
        self, path: str | Path, *, fps: Fraction, width: int, height: int, crf: int = DEFAULT_CRF
    ) -> None:
        self.path = Path(path)
        self.width, self.height = width, height
        self.frames_written = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        os.fchmod(fd, 0o644)
        os.close(fd)
        self._tmp = Path(tmp_name)
        self._container = av.open(str(self._tmp), "w", format="mp4")
        self._stream = self._container.add_stream(CODEC, rate=fps)
        self._stream.width, self._stream.height = width, height
        self._stream.pix_fmt = "yuv420p" if width % 2 == 0 and height % 2 == 0 else "yuv444p"
        self._stream.options = {"crf": str(crf), "preset": "veryfast"}
        self._time_base = 1 / Fraction(fps)

    def write(self, frame: np.ndarray) -> None:
        """Encode one (height, width, 3) uint8 RGB frame."""
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise ValueError(
                f"frame {self.frames_written} is {frame.dtype} {frame.shape}, expected uint8 "
                f"({self.height}, {self.width}, 3)"
            )
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        video_frame.pts = self.frames_written
        video_frame.time_base = self._time_base
        self._container.mux(self._stream.encode(video_frame))
        self.frames_written += 1

    def close(self) -> Path:
        """Flush the encoder and move the file to its name; returns the path."""
        self._container.mux(self._stream.encode())
        self._container.close()
        os.replace(self._tmp, self.path)
        logger.info("Wrote %s (%d frames)", self.path, self.frames_written)
        return self.path

    def abort(self) -> None:
        """Close and delete the temporary file; nothing appears under ``path``."""
        with contextlib.suppress(av.error.FFmpegError, OSError):
            self._container.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
