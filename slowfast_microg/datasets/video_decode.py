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
- the decoder seeks to the keyframe at or before the first wanted frame; it is given only
  the H.264 packets some wanted frame needs: those from the last IDR picture before a wanted
  frame up to that frame, less the packets of frames that are neither wanted nor a reference
  for another frame (``nal_ref_idc`` 0, e.g. x264's non-reference B-frames, about 40 % of
  MicroG-4M's frames). Groups of pictures without a wanted frame are skipped whole (this is
  what makes a short-GOP encoding fast; MicroG-4M's 3 s clips have a single IDR picture, at
  their start). Once the last wanted frame's packet is in, the decoder is drained. The frames
  decoded are bit for bit those of a full decode;
- frames of several slices decode on several threads: in a DataLoader worker, the CPUs the
  process may use shared among the workers; in the main process, FFmpeg's choice;
- only wanted frames are converted to RGB; given a ``size``, swscale scales and converts them
  in one step (area averaging when shrinking, bilinear when enlarging: of swscale's filters
  the closest to decoding at full size and resizing bilinearly), so no full-size RGB frame is
  made.
"""

from __future__ import annotations

import bisect
import logging
import os
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch.utils.data
from av.video.reformatter import Interpolation, VideoReformatter

from slowfast_microg.datasets.errors import DataError
from slowfast_microg.datasets.h264_packets import h264_packets

logger = logging.getLogger(__name__)

# A timestamp more than this many frames away from a whole frame position means the clip is not
# constant-frame-rate, so frame numbers cannot be derived from timestamps (as a fraction: 1/4).
_PTS_TOLERANCE_DENOMINATOR = 4
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


class _Keyframes:
    """Decode timestamps of the stream's keyframes, from the container's index (PyAV >= 14
    exposes it; without it no jump is made)."""

    def __init__(self, stream, *, start_pts: int) -> None:
        entries = getattr(stream, "index_entries", None) or []
        self._dts = [entry.timestamp for entry in entries if entry.is_keyframe]
        # An IDR picture of a closed group is shown after every picture decoded before it, so
        # its pts exceeds its dts by the stream's reorder delay, the first picture's; seeking
        # (mp4) looks keyframes up by that pts.
        self.delay = start_pts - entries[0].timestamp if len(entries) else 0

    def jump(self, dts: int | None, *, before_pts: int) -> int | None:
        """The dts of the last keyframe shown at or before ``before_pts``, if it comes after
        the packet at ``dts`` (a jump forward), else None."""
        k = bisect.bisect_right(self._dts, before_pts - self.delay) - 1
        if dts is None or k < 0 or self._dts[k] <= dts:
            return None
        return self._dts[k]


def slice_threads() -> int:
    """Threads for one decoder's slices (frames of several slices decode in parallel): in a
    DataLoader worker, the CPUs this process may use shared among the workers (at least one);
    elsewhere 0, FFmpeg's choice (one per CPU)."""
    info = torch.utils.data.get_worker_info()
    if info is None:
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cpus or 1) // info.num_workers)


def decode_packet(packet) -> list:
    """Frames the decoder returns for ``packet`` (one place to observe what gets decoded)."""
    return packet.decode()


class VideoClip:
    """An open video file whose frames are decoded on request (a context manager).

    Args:
        path: the video file.
        multi_thread: let FFmpeg decode with frame and slice threads (``thread_type`` AUTO);
            otherwise slices only, with :func:`slice_threads` threads.

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
            else:
                self._stream.codec_context.thread_count = slice_threads()
            self._grid = _FrameGrid(self._stream, path=self.path)
        except DataError:
            self._container.close()
            raise
        self.height = self._stream.codec_context.height
        self.width = self._stream.codec_context.width
        self._h264 = h264_packets(self._stream.codec_context)
        # Jumps over groups of pictures need H.264's IDR test to check where they land.
        self._keyframes = (
            _Keyframes(self._stream, start_pts=self._grid.start) if self._h264 else None
        )

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

    def _drain(self) -> list:
        """Frames the decoder still holds; it is then ready for a new IDR picture."""
        codec_context = self._stream.codec_context
        frames = codec_context.decode(None)
        codec_context.flush_buffers()
        return frames

    def _collect(
        self, wanted: list[int], *, seek_pts: int | None, convert: Callable, jumps: bool
    ) -> dict[int, np.ndarray] | None:
        """Decode what ``wanted`` needs (see the module docstring); None if a seek landed after
        a wanted frame or not on an IDR picture (only checked, and jumps only made, if
        ``jumps``)."""
        if seek_pts is not None:
            self._container.seek(seek_pts, stream=self._stream, backward=True, any_frame=False)
        targets = set(wanted)
        unseen = set(targets)  # wanted positions whose packet the decoder has not had yet
        frames: dict[int, np.ndarray] = {}
        pending: list = []  # packets since the last IDR picture, not decoded yet
        fed = False  # the decoder has had packets since it was last drained
        landing = jumps and seek_pts is not None  # the next packet is where a seek landed
        landing_dts = None  # after a jump: the keyframe it must land on

        def take(decoded: list) -> None:
            for frame in decoded:
                position = self._grid.position(frame.pts)
                if position in targets and position not in frames:
                    frames[position] = convert(frame)

        def feed(packet) -> None:
            nonlocal fed
            take(decode_packet(packet))
            fed = True

        def drain() -> None:
            nonlocal fed
            if fed:
                take(self._drain())
                fed = False

        for packet in self._container.demux(self._stream):
            if not packet.size:
                break  # end of the stream
            position = None if packet.pts is None else self._grid.position(packet.pts)
            independent = self._h264 is not None and self._h264.independent(memoryview(packet))
            if landing:
                if position is None or position > min(unseen):
                    return None
                if landing_dts is not None and (packet.dts != landing_dts or not independent):
                    return None  # a jump missed its IDR picture
                landing = False
            wanted_here = position in unseen
            if self._h264 is None:
                feed(packet)
            else:
                if independent:
                    pending.clear()  # no later picture refers to them
                    drain()
                pending.append(packet)
                if wanted_here or position is None:  # no timestamp: decode to be safe
                    for queued in pending:
                        if queued is packet or not self._h264.disposable(memoryview(queued)):
                            feed(queued)
                    pending.clear()
            unseen.discard(position)
            if not unseen:
                break
            if not (wanted_here and jumps and self._keyframes is not None):
                continue
            jump = self._keyframes.jump(packet.dts, before_pts=self._grid.pts(min(unseen)))
            if jump is not None:
                drain()
                pending.clear()
                self._container.seek(
                    jump + self._keyframes.delay,
                    stream=self._stream,
                    backward=True,
                    any_frame=False,
                )
                landing, landing_dts = True, jump
        drain()
        return frames

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
            frames = self._collect(wanted, seek_pts=seek_pts, convert=convert, jumps=True)
            if frames is None:
                logger.debug("%s: a seek missed; decoding from the start in order", self.path)
                frames = self._collect(
                    wanted, seek_pts=self._grid.start, convert=convert, jumps=False
                )
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
