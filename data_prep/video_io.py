"""Video reading and writing with PyAV (no shell calls), and discovery of video files."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

logger = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".partial"


class VideoError(RuntimeError):
    """A file that cannot be read as a video; the message names the file and the cause."""


@dataclass
class VideoInfo:
    """Stream properties of a video file."""

    width: int
    height: int
    # Average frame rate from the container, or None when it does not say.
    fps: Fraction | None
    # Frame count the container declares (0 when unknown).
    frames: int
    # Display aspect correction (sample aspect ratio), 1 for square pixels.
    sample_aspect: Fraction
    # Duration in seconds the stream (or else the container) declares; None when unknown.
    duration: float | None = None


def list_videos(root: Path, *, extensions: list[str] | None) -> list[Path]:
    """Files under ``root`` (recursive, sorted), skipping hidden entries and partial outputs.

    Args:
        root: folder to search.
        extensions: lower-case suffixes to accept (``.mp4``); None accepts every file.
    """
    root = Path(root)
    if not root.is_dir():
        raise VideoError(f"{root}: not a folder; pass the folder that holds the videos")
    allowed = {e.lower() for e in extensions} if extensions is not None else None
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and not d.endswith(PARTIAL_SUFFIX)
        )
        for name in files:
            if name.startswith(".") or name.endswith(".tmp"):
                continue
            path = Path(folder) / name
            if allowed is None or path.suffix.lower() in allowed:
                found.append(path)
    return sorted(found)


class VideoReader:
    """Decode the first video stream of a file; audio and other streams are ignored.

    Packets that fail to decode are skipped and counted in ``bad_packets``.

    Raises:
        VideoError: the file cannot be opened or has no video stream.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.bad_packets = 0
        try:
            self._container = av.open(str(self.path))
        except (av.FFmpegError, OSError) as err:
            raise VideoError(f"{self.path}: cannot open as a video ({err})") from err
        if not self._container.streams.video:
            self._container.close()
            raise VideoError(f"{self.path}: no video stream")
        self.stream = self._container.streams.video[0]
        self.stream.thread_type = "AUTO"
        ctx = self.stream.codec_context
        sar = self.stream.sample_aspect_ratio or ctx.sample_aspect_ratio
        self.info = VideoInfo(
            width=ctx.width,
            height=ctx.height,
            fps=Fraction(self.stream.average_rate) if self.stream.average_rate else None,
            frames=int(self.stream.frames or 0),
            sample_aspect=Fraction(sar) if sar else Fraction(1),
            duration=self._declared_duration(),
        )

    def _declared_duration(self) -> float | None:
        """Seconds the video stream declares, else the container, else None."""
        if self.stream.duration and self.stream.time_base:
            return float(self.stream.duration * self.stream.time_base)
        if self._container.duration:
            return self._container.duration / av.time_base
        return None

    def frames(self) -> Iterator[av.VideoFrame]:
        """Decoded frames in presentation order."""
        for packet in self._container.demux(self.stream):
            try:
                decoded = packet.decode()
            except av.FFmpegError as err:
                self.bad_packets += 1
                logger.debug("%s: skipping undecodable packet (%s)", self.path, err)
                continue
            yield from decoded

    def bgr_frames(self) -> Iterator[np.ndarray]:
        """Decoded frames as (H, W, 3) uint8 BGR arrays (the layout OpenCV and YOLO expect)."""
        for frame in self.frames():
            yield frame.to_ndarray(format="bgr24")

    def close(self) -> None:
        """Close the file."""
        self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VideoWriter:
    """Encode frames to a video file, written under a temporary name until ``commit``.

    Args:
        path: final file path.
        width, height: frame size (even numbers for yuv420p).
        fps: frame rate; frame i gets pts i in a 1/fps time base.
        codec, pix_fmt: encoder and its pixel format.
        options: encoder options (e.g. ``{"crf": "23", "preset": "medium"}`` for libx264).
    """

    def __init__(
        self,
        *,
        path: Path,
        width: int,
        height: int,
        fps: int | Fraction,
        codec: str = "libx264",
        pix_fmt: str = "yuv420p",
        options: dict[str, str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(self.path.stem + ".tmp" + self.path.suffix)
        self.count = 0
        self._container = av.open(str(self.tmp), mode="w")
        self._stream = self._container.add_stream(codec, rate=Fraction(fps))
        self._stream.width = width
        self._stream.height = height
        self._stream.pix_fmt = pix_fmt
        self._stream.options = dict(options or {})
        self._time_base = 1 / Fraction(fps)
        self._pix_fmt = pix_fmt

    def write(self, frame: av.VideoFrame | np.ndarray) -> None:
        """Append one frame (a VideoFrame of the right size, or an (H, W, 3) BGR array)."""
        if isinstance(frame, np.ndarray):
            frame = av.VideoFrame.from_ndarray(frame, format="bgr24")
        if frame.format.name != self._pix_fmt:
            frame = frame.reformat(format=self._pix_fmt)
        frame.pts = self.count
        frame.time_base = self._time_base
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.count += 1

    def commit(self) -> Path:
        """Flush the encoder, close the file and move it to its final name."""
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        self.tmp.replace(self.path)
        return self.path

    def discard(self) -> None:
        """Close and remove the temporary file (nothing reaches the final name)."""
        try:
            self._container.close()
        finally:
            self.tmp.unlink(missing_ok=True)


def encoder_options(codec: str, *, crf: int, preset: str) -> dict[str, str]:
    """Encoder options for ``codec``: crf and preset for the x264/x265 family, none otherwise."""
    if codec in {"libx264", "libx265"}:
        return {"crf": str(crf), "preset": preset}
    return {}


def count_frames(path: Path) -> int:
    """Decode ``path`` fully and count its frames (raises VideoError if unreadable)."""
    with VideoReader(path) as reader:
        return sum(1 for _ in reader.frames())
