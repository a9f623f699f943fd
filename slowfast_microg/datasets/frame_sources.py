"""Where a clip's frames come from: per-clip JPEG folders or mp4 files decoded on the fly.

Both layouts index a clip's frames 0-based in the order of its frame-list lines: position ``k``
is the ``k``-th listed JPEG (``<clip>_%06d.jpg`` number ``k + 1`` in the authors' layout) or the
``k``-th frame of ``<clip>.mp4``. Both return (T, 3, H, W) uint8 RGB clips and read only the
frames asked for (each distinct frame once).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from PIL import JpegImagePlugin, PngImagePlugin

from slowfast_microg.datasets.errors import DataError
from slowfast_microg.datasets.video_decode import decode_frames

logger = logging.getLogger(__name__)

LAYOUTS = ("frames", "videos")


class FrameSource(Protocol):
    """Reads frames of clips by 0-based position."""

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


def decode_image_bytes(data: bytes) -> torch.Tensor:
    """Decode a JPEG or PNG frame to a (3, H, W) uint8 RGB tensor with Pillow.

    Pillow's format classes are called directly rather than through ``PIL.Image.open``,
    which other libraries (ultralytics) replace process-wide with a version that tries to
    install packages when an image does not open.

    Raises:
        OSError: the bytes are not a decodable JPEG or PNG image.
    """
    decoder = next((cls for magic, cls in _DECODERS if data.startswith(magic)), None)
    if decoder is None:
        raise OSError(f"not a JPEG or PNG image (first bytes {data[:8]!r})")
    try:
        with decoder(io.BytesIO(data)) as image:
            array = np.asarray(image.convert("RGB"))
    except (SyntaxError, ValueError, EOFError) as error:  # Pillow's "not this format" errors
        raise OSError(str(error)) from error
    return torch.from_numpy(array.copy()).permute(2, 0, 1)


def _gather(
    frames: dict[int, torch.Tensor], indices: torch.Tensor, *, clip_id: str
) -> torch.Tensor:
    shapes = {tuple(frame.shape) for frame in frames.values()}
    if len(shapes) > 1:
        raise DataError(f"clip {clip_id!r}: its frames differ in size {sorted(shapes)}.")
    order = sorted(frames)
    stacked = torch.stack([frames[i] for i in order])
    lookup = torch.as_tensor(order, dtype=torch.int64)
    return stacked[torch.searchsorted(lookup, indices)]


class JpegFrameSource:
    """Frames stored as images (JPEG, or any format torchvision decodes, e.g. PNG).

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

    def _decode(self, clip_id: str, position: int) -> torch.Tensor:
        path = self.frame_dir / self.frame_paths[clip_id][position]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise DataError(
                f"clip {clip_id!r}: cannot read frame {position + 1} of "
                f"{len(self.frame_paths[clip_id])} at {path} ({error.strerror}). Re-extract the "
                f"clip's frames or fix its frame-list lines."
            ) from error
        try:
            return decode_image_bytes(data)
        except OSError as error:
            raise DataError(
                f"clip {clip_id!r}: {path} is not a decodable image ({error}). Re-extract it."
            ) from error

    def read(self, clip_id: str, indices: torch.Tensor) -> torch.Tensor:
        """(T, 3, H, W) uint8 RGB frames at ``indices`` of ``clip_id``."""
        frames = {int(i): self._decode(clip_id, int(i)) for i in torch.unique(indices)}
        return _gather(frames, indices, clip_id=clip_id)


class VideoFrameSource:
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

    def read(self, clip_id: str, indices: torch.Tensor) -> torch.Tensor:
        """(T, 3, H, W) uint8 RGB frames at ``indices`` of ``clip_id``."""
        try:
            decoded = decode_frames(
                self.path(clip_id), indices.tolist(), multi_thread=self.multi_thread
            )
        except DataError as error:
            raise DataError(f"clip {clip_id!r}: {error}") from error
        frames = {
            i: torch.from_numpy(np.ascontiguousarray(frame)).permute(2, 0, 1)
            for i, frame in decoded.items()
        }
        return _gather(frames, indices, clip_id=clip_id)
