"""Decode selected frames of an mp4 clip with PyAV, doing only the work those frames need.

Frame ``k`` (0-based) is the ``k``-th frame in presentation order, i.e. JPEG ``k + 1`` of the
authors' extraction at the clip's own rate. Positions come from presentation timestamps:
``(pts - start_time) * time_base * frame_rate``, which must be whole numbers (a constant frame
rate, as the MicroG-4M clips have: they were re-encoded at 30 fps).

Work per clip:

- the file is opened without FFmpeg's probe decoding (``skip_frame`` all while probing: the
  mp4 header already gives size, pixel format, rate and timestamps), which otherwise decodes
  several frames at every open;
- the RGB converter (swscale) runs on the calling thread: PyAV >= 17 otherwise starts a thread
  pool per converter, which costs more than converting a clip's frames and hangs in a loader
  worker forked from a process whose converter had started its pool;
- the decoder seeks to the keyframe at or before the first wanted frame and stops once the
  last wanted frame is out (MicroG-4M's 3 s clips have a single keyframe, at their start);
- H.264 packets of frames that are neither wanted nor used as a reference by any other frame
  (``nal_ref_idc`` 0, e.g. x264's non-reference B-frames, about 40 % of MicroG-4M's frames)
  are never decoded; the frames that are decoded are bit for bit the same;
- only wanted frames are converted to RGB; given a ``size``, swscale scales and converts them
  in one step (area averaging when shrinking, bilinear when enlarging: of swscale's filters
  the closest to decoding at full size and resizing bilinearly), so no full-size RGB frame is
  made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import Interpolation, VideoReformatter

from slowfast_microg.datasets.errors import DataError

logger = logging.getLogger(__name__)

# A timestamp more than this many frames away from a whole frame position means the clip is not
# constant-frame-rate, so frame numbers cannot be derived from timestamps (as a fraction: 1/4).
_PTS_TOLERANCE_DENOMINATOR = 4
_H264_SLICE_TYPES = (1, 5)
# Open without decoding frames to probe the stream (``avformat_find_stream_info`` reads one
# packet, and its decoder skips every frame); the mp4 header holds what is needed.
_FAST_OPEN = {"options": {"probesize": "32"}, "stream_options": [{"skip_frame": "all"}]}
# swscale threads per conversion: one (the loader's workers are the parallelism); PyAV < 17
# has no such argument and converts on the calling thread anyway.
_REFORMAT_THREADS = {"threads": 1} if int(av.__version__.split(".")[0]) >= 17 else {}


class _FrameGrid:
    """Maps timestamps to 0-based frame positions with integer arithmetic."""

    def __init__(self, stream, *, path: Path) -> None:
        rate = stream.average_rate or stream.guessed_rate
        if not rate or stream.time_base is None:
            raise DataError(f"{path}: the video stream has no frame rate or time base.")
        self.period = 1 / Fraction(rate)
        self.time_base = Fraction(stream.time_base)
        self.start = stream.start_time or 0
        ticks = self.time_base / self.period  # frames per timestamp unit
        self._num, self._den = ticks.numerator, ticks.denominator
        self.path = path

    def position(self, pts: int | None) -> int:
        """The frame position of ``pts``; raises DataError off the constant-rate grid."""
        if pts is None:
            raise DataError(f"{self.path}: a decoded frame has no timestamp; re-encode the clip.")
        num = (pts - self.start) * self._num
        position = (2 * num + self._den) // (2 * self._den)
        if _PTS_TOLERANCE_DENOMINATOR * abs(num - position * self._den) > self._den:
            raise DataError(
                f"{self.path}: frame timestamp {pts} is not on the {float(1 / self.period):g} "
                f"fps grid (variable frame rate); re-encode at a constant rate or extract JPEGs."
            )
        return position

    def pts(self, position: int) -> int:
        """The timestamp at or before ``position`` (for seeking)."""
        return self.start + int(position * self.period / self.time_base)


def disposable_check(codec_context) -> Callable[[bytes], bool] | None:
    """A test telling whether an H.264 packet (length-prefixed NAL units, as in mp4) holds a
    picture no other picture refers to (its slices' ``nal_ref_idc`` is 0), or None for other
    codecs and bitstream formats (nothing is then skipped)."""
    extradata = codec_context.extradata
    if codec_context.name != "h264" or not extradata or len(extradata) < 5 or extradata[0] != 1:
        return None
    length_size = (extradata[4] & 3) + 1

    def disposable(data: bytes) -> bool:
        offset = 0
        while offset + length_size < len(data):
            header = data[offset + length_size]
            if header & 0x1F in _H264_SLICE_TYPES:
                return header & 0x60 == 0
            offset += length_size + int.from_bytes(data[offset : offset + length_size], "big")
        return False

    return disposable


def decode_packet(packet) -> list:
    """Frames the decoder returns for ``packet`` (one place to observe what gets decoded)."""
    return packet.decode()


class VideoClip:
    """An open video file whose frames are decoded on request (a context manager).

    Args:
        path: the video file.
        multi_thread: let FFmpeg decode with several threads (``thread_type`` AUTO).

    Attributes:
        height, width: frame size of the video stream.

    Raises:
        DataError: the file cannot be opened, has no video stream or no frame rate.
    """

    def __init__(self, path: str | Path, *, multi_thread: bool = False) -> None:
        self.path = Path(path)
        try:
            self._container = av.open(str(self.path), **_FAST_OPEN)
        except (av.error.FFmpegError, OSError):
            self._container = self._open()  # not an mp4 FFmpeg recognises from its first bytes
        stream = self._container.streams.video[0] if self._container.streams.video else None
        if stream is not None and not (stream.codec_context.width and stream.average_rate):
            self._container.close()  # the header lacks the frame size or rate: probe fully
            self._container = self._open()
        try:
            if not self._container.streams.video:
                raise DataError(f"{self.path}: the file has no video stream.")
            self._stream = self._container.streams.video[0]
            if multi_thread:
                self._stream.thread_type = "AUTO"
            self._grid = _FrameGrid(self._stream, path=self.path)
        except DataError:
            self._container.close()
            raise
        self.height = self._stream.codec_context.height
        self.width = self._stream.codec_context.width
        self._disposable = disposable_check(self._stream.codec_context)

    def _open(self):
        try:
            return av.open(str(self.path))
        except (av.error.FFmpegError, OSError) as error:
            raise DataError(f"{self.path}: cannot open the video ({error}).") from error

    def __enter__(self) -> VideoClip:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._container.close()

    def _converter(self, size: tuple[int, int] | None) -> Callable:
        reformatter = VideoReformatter()
        if size is None or tuple(size) == (self.height, self.width):
            return lambda frame: reformatter.reformat(
                frame, format="rgb24", **_REFORMAT_THREADS
            ).to_ndarray()
        height, width = size

        def convert(frame) -> np.ndarray:
            if (frame.height, frame.width) != (self.height, self.width):
                raise DataError(
                    f"{self.path}: a frame is {frame.width}x{frame.height}, the stream "
                    f"{self.width}x{self.height}; re-encode the clip at one size."
                )
            scaled = reformatter.reformat(
                frame,
                width=width,
                height=height,
                format="rgb24",
                interpolation=Interpolation.AREA,
                **_REFORMAT_THREADS,
            )
            return scaled.to_ndarray()

        return convert

    def _collect(self, wanted: list[int], *, seek_pts: int | None, convert: Callable):
        if seek_pts is not None:
            self._container.seek(seek_pts, stream=self._stream, backward=True, any_frame=False)
        targets = set(wanted)
        frames: dict[int, np.ndarray] = {}
        first_position = None
        for packet in self._container.demux(self._stream):
            if (
                self._disposable is not None
                and packet.size
                and packet.pts is not None
                and self._grid.position(packet.pts) not in targets
                and self._disposable(bytes(packet))
            ):
                continue
            for frame in decode_packet(packet):
                position = self._grid.position(frame.pts)
                first_position = position if first_position is None else first_position
                if position > wanted[-1]:
                    return frames, first_position
                if position in targets:
                    frames[position] = convert(frame)
                    if len(frames) == len(targets):
                        return frames, first_position
        return frames, first_position

    def frames(
        self, indices: Iterable[int], *, size: tuple[int, int] | None = None
    ) -> dict[int, np.ndarray]:
        """Decode the frames at 0-based ``indices`` (duplicates allowed).

        Args:
            indices: frame positions.
            size: (height, width) to scale the frames to while converting them to RGB;
                None keeps the stream's size.

        Returns:
            position -> (H, W, 3) uint8 RGB frame, for each distinct index.

        Raises:
            DataError: a frame cannot be decoded, is off the constant frame-rate grid, or the
                video has fewer frames than needed.
        """
        wanted = sorted(set(int(i) for i in indices))
        if not wanted or wanted[0] < 0:
            raise ValueError(f"indices must be non-empty and >= 0, got {wanted}")
        convert = self._converter(size)
        seek_pts = self._grid.pts(wanted[0]) if wanted[0] > 0 else None
        try:
            frames, first = self._collect(wanted, seek_pts=seek_pts, convert=convert)
            if seek_pts is not None and (first is None or first > wanted[0]):
                logger.debug(
                    "%s: seek overshot frame %d; decoding from the start", self.path, wanted[0]
                )
                frames, first = self._collect(wanted, seek_pts=self._grid.start, convert=convert)
        except av.error.FFmpegError as error:
            raise DataError(f"{self.path}: cannot decode the video ({error}).") from error
        missing = [i for i in wanted if i not in frames]
        if missing:
            raise DataError(
                f"{self.path}: frame(s) {missing} (0-based) could not be decoded; the video is "
                f"shorter than its frame list says or is damaged. Re-extract or re-encode the clip."
            )
        return frames


def decode_frames(
    path: str | Path,
    indices: Iterable[int],
    *,
    multi_thread: bool = False,
    size: tuple[int, int] | None = None,
) -> dict[int, np.ndarray]:
    """Decode the frames at 0-based ``indices`` of a video (see :class:`VideoClip`).

    Args:
        path: the video file.
        indices: 0-based frame positions (duplicates allowed).
        multi_thread: let FFmpeg decode with several threads.
        size: (height, width) to scale to while converting to RGB; None keeps the size.

    Returns:
        position -> (H, W, 3) uint8 RGB frame, for each distinct index.

    Raises:
        DataError: the file cannot be opened or decoded, has no video stream, has no constant
            frame rate, or has fewer frames than needed.
    """
    with VideoClip(path, multi_thread=multi_thread) as clip:
        return clip.frames(indices, size=size)
