"""Where a clip's frames come from: per-clip JPEG folders or mp4 files decoded on the fly.

Both layouts index a clip's frames 0-based in the order of its frame-list lines: position ``k``
is the ``k``-th listed JPEG (``<clip>_%06d.jpg`` number ``k + 1`` in the authors' layout) or the
``k``-th frame of ``<clip>.mp4``. Both return (T, 3, H, W) uint8 RGB clips (a channels-last
view of (T, H, W, 3) memory, the layout the bilinear resize is fastest on) and read only the
frames asked for, each distinct frame once.

``source.open(clip, indices)`` gives a reader whose ``height`` and ``width`` are known before any
frame is decoded, so a transform can plan its resize first and ``reader.read(size=...)`` can
decode at that size: an mp4 frame is scaled and converted to RGB in one swscale step, a JPEG is
decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling) when that still leaves at least the
target size, then resized bilinearly to it.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from PIL import Image, JpegImagePlugin, PngImagePlugin

from slowfast_microg.datasets.errors import DataError
from slowfast_microg.datasets.transforms import resize
from slowfast_microg.datasets.video_decode import VideoClip

logger = logging.getLogger(__name__)

LAYOUTS = ("frames", "videos")


class ClipReader(Protocol):
    """The wanted frames of one clip, opened (a context manager)."""

    height: int
    width: int

    def read(self, *, size: tuple[int, int] | None = None) -> torch.Tensor:
        """(T, 3, H, W) uint8 RGB frames, at ``size`` = (H, W) when given."""
        ...

    def close(self) -> None:
        """Release the files."""
        ...

    def __enter__(self) -> ClipReader: ...

    def __exit__(self, *exc_info) -> None: ...


class FrameSource(Protocol):
    """Reads frames of clips by 0-based position."""

    def open(self, clip_id: str, indices: torch.Tensor) -> ClipReader:
        """A reader of the frames at ``indices`` ((T,) int64) of ``clip_id``."""
        ...

    def read(self, clip_id: str, indices: torch.Tensor) -> torch.Tensor:
        """(T, 3, H, W) uint8 RGB frames at ``indices`` ((T,) int64) of ``clip_id``."""
        ...

    def missing(self, clip_ids: list[str]) -> list[tuple[str, Path]]:
        """(clip, path) for each clip whose folder or file does not exist."""
        ...


_DECODERS = (
    (b"\xff\xd8", JpegImagePlugin.JpegImageFile),
    (b"\x89PNG\r\n\x1a\n", PngImagePlugin.PngImageFile),
)


def open_image_bytes(data: bytes) -> Image.Image:
    """Parse the header of a JPEG or PNG frame (pixels are decoded on first access).

    Pillow's format classes are called directly rather than through ``PIL.Image.open``,
    which other libraries (ultralytics) replace process-wide with a version that tries to
    install packages when an image does not open.

    Raises:
        OSError: the bytes are not a JPEG or PNG image.
    """
    decoder = next((cls for magic, cls in _DECODERS if data.startswith(magic)), None)
    if decoder is None:
        raise OSError(f"not a JPEG or PNG image (first bytes {data[:8]!r})")
    try:
        return decoder(io.BytesIO(data))
    except (SyntaxError, ValueError, EOFError) as error:  # Pillow's "not this format" errors
        raise OSError(str(error)) from error


def image_array(image: Image.Image, *, at_least: tuple[int, int] | None = None) -> np.ndarray:
    """Decode an opened image to an (H, W, 3) uint8 RGB array.

    Args:
        image: from :func:`open_image_bytes`.
        at_least: (height, width); a JPEG is then decoded at the smallest of 1/8, 1/4 or 1/2
            scale that is still at least this size (DCT scaling), else at full size.

    Raises:
        OSError: the image data are damaged.
    """
    width, height = image.size
    if at_least is not None and isinstance(image, JpegImagePlugin.JpegImageFile):
        if min(height // at_least[0], width // at_least[1]) >= 2:
            image.draft("RGB", (at_least[1], at_least[0]))
    try:
        image.load()
        return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    except (SyntaxError, ValueError, EOFError) as error:
        raise OSError(str(error)) from error


def decode_image_bytes(data: bytes) -> torch.Tensor:
    """Decode a JPEG or PNG frame to a (3, H, W) uint8 RGB tensor with Pillow.

    Raises:
        OSError: the bytes are not a decodable JPEG or PNG image.
    """
    return torch.from_numpy(image_array(open_image_bytes(data)).copy()).permute(2, 0, 1)


def stack_frames(
    frames: dict[int, np.ndarray], indices: torch.Tensor, *, clip_id: str
) -> torch.Tensor:
    """(T, 3, H, W) uint8 view of the (T, H, W, 3) stack of ``frames`` in ``indices`` order."""
    shapes = {frame.shape[:2] for frame in frames.values()}
    if len(shapes) > 1:
        sizes = sorted(f"{w}x{h}" for h, w in shapes)
        raise DataError(f"clip {clip_id!r}: its frames differ in size {sizes}.")
    stacked = np.stack([frames[i] for i in indices.tolist()])
    return torch.from_numpy(stacked).permute(0, 3, 1, 2)


def _fit(clip: torch.Tensor, size: tuple[int, int] | None) -> torch.Tensor:
    if size is None or tuple(clip.shape[-2:]) == tuple(size):
        return clip
    return resize(clip, height=size[0], width=size[1])


class _Reader:
    """Context-manager plumbing of the clip readers: leaving the block calls ``close``."""

    def close(self) -> None:
        """Release the files."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class _ReadsByOpening:
    """``read`` of the frame sources: open a reader, read at full size, close."""

    def read(self, clip_id: str, indices: torch.Tensor) -> torch.Tensor:
        """(T, 3, H, W) uint8 RGB frames at ``indices`` of ``clip_id``."""
        with self.open(clip_id, indices) as reader:
            return reader.read()


class _JpegClip(_Reader):
    """Reader of some frames of one clip's image folder (see ``JpegFrameSource.open``)."""

    def __init__(self, source: JpegFrameSource, clip_id: str, indices: torch.Tensor) -> None:
        self.source = source
        self.clip_id = clip_id
        self.indices = indices
        self.positions = sorted(set(indices.tolist()))
        self._first = self._open(self.positions[0])
        self.width, self.height = self._first.size

    def _path(self, position: int) -> Path:
        return self.source.frame_dir / self.source.frame_paths[self.clip_id][position]

    def _open(self, position: int) -> Image.Image:
        path = self._path(position)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise DataError(
                f"clip {self.clip_id!r}: cannot read frame {position + 1} of "
                f"{len(self.source.frame_paths[self.clip_id])} at {path} ({error.strerror}). "
                f"Re-extract the clip's frames or fix its frame-list lines."
            ) from error
        try:
            return open_image_bytes(data)
        except OSError as error:
            raise self._undecodable(path, error) from error

    def _undecodable(self, path: Path, error: OSError) -> DataError:
        return DataError(
            f"clip {self.clip_id!r}: {path} is not a decodable image ({error}). Re-extract it."
        )

    def read(self, *, size: tuple[int, int] | None = None) -> torch.Tensor:
        """(T, 3, H, W) uint8 RGB frames, at ``size`` = (H, W) when given."""
        frames = {}
        for position in self.positions:
            image = self._first if position == self.positions[0] else self._open(position)
            if image.size != (self.width, self.height):
                sizes = sorted({f"{self.width}x{self.height}", "{}x{}".format(*image.size)})
                raise DataError(f"clip {self.clip_id!r}: its frames differ in size {sizes}.")
            try:
                frames[position] = image_array(image, at_least=size)
            except OSError as error:
                raise self._undecodable(self._path(position), error) from error
        return _fit(stack_frames(frames, self.indices, clip_id=self.clip_id), size)


class JpegFrameSource(_ReadsByOpening):
    """Frames stored as images (JPEG, or PNG).

    Args:
        frame_dir: folder the frame-list paths are relative to (``AVA.FRAME_DIR``).
        frame_paths: clip id -> frame paths, from the frame lists.
    """

    def __init__(self, *, frame_dir: Path, frame_paths: dict[str, list[str]]) -> None:
        self.frame_dir = Path(frame_dir)
        self.frame_paths = frame_paths

    def missing(self, clip_ids: list[str]) -> list[tuple[str, Path]]:
        """(clip, folder) for each clip whose first frame's folder does not exist."""
        folders = [(c, (self.frame_dir / self.frame_paths[c][0]).parent) for c in clip_ids]
        return [(clip_id, folder) for clip_id, folder in folders if not folder.is_dir()]

    def open(self, clip_id: str, indices: torch.Tensor) -> _JpegClip:
        """A reader of the frames at ``indices`` of ``clip_id`` (reads the first one's header)."""
        return _JpegClip(self, clip_id, indices)


class _VideoClipReader(_Reader):
    """Reader of some frames of one mp4 (see ``VideoFrameSource.open``)."""

    def __init__(self, video: VideoClip, clip_id: str, indices: torch.Tensor) -> None:
        self.video = video
        self.clip_id = clip_id
        self.indices = indices
        self.height, self.width = video.height, video.width

    def close(self) -> None:
        """Close the video file."""
        self.video.close()

    def read(self, *, size: tuple[int, int] | None = None) -> torch.Tensor:
        """(T, 3, H, W) uint8 RGB frames, at ``size`` = (H, W) when given."""
        try:
            frames = self.video.frames(self.indices.tolist(), size=size)
        except DataError as error:
            raise DataError(f"clip {self.clip_id!r}: {error}") from error
        return stack_frames(frames, self.indices, clip_id=self.clip_id)


class VideoFrameSource(_ReadsByOpening):
    """Frames decoded from ``<video_dir>/<clip>.mp4`` with PyAV.

    Args:
        video_dir: folder of the videos (``MICROG.VIDEO_DIR``).
        multi_thread: decode with FFmpeg threads (``DATA_LOADER.ENABLE_MULTI_THREAD_DECODE``).
        extension: video file extension.
    """

    def __init__(self, *, video_dir: Path, multi_thread: bool = False, extension: str = ".mp4"):
        self.video_dir = Path(video_dir)
        self.multi_thread = multi_thread
        self.extension = extension

    def path(self, clip_id: str) -> Path:
        """The video file of ``clip_id``."""
        return self.video_dir / f"{clip_id}{self.extension}"

    def missing(self, clip_ids: list[str]) -> list[tuple[str, Path]]:
        """(clip, file) for each clip whose video file does not exist."""
        return [(c, self.path(c)) for c in clip_ids if not self.path(c).is_file()]

    def open(self, clip_id: str, indices: torch.Tensor) -> _VideoClipReader:
        """A reader of the frames at ``indices`` of ``clip_id`` (opens the video)."""
        try:
            video = VideoClip(self.path(clip_id), multi_thread=self.multi_thread)
        except DataError as error:
            raise DataError(f"clip {clip_id!r}: {error}") from error
        return _VideoClipReader(video, clip_id, indices)
