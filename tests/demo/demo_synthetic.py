"""Synthetic inputs of the demo tests: blob videos written and read with PyAV directly."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[2]
SLOWFAST_CFG = REPO / "configs" / "MicroG" / "SLOWFAST_8x8.yaml"
SLOW_CFG = REPO / "configs" / "MicroG" / "SLOW_8x8.yaml"
BACKGROUND = 30
BLOB_COLOUR = (200, 80, 80)


def blob_box(t: int, *, height: int, width: int) -> tuple[int, int, int, int]:
    """Pixel box (x1, y1, x2, y2) of the moving blob in frame ``t`` (right-open)."""
    x1 = 10 + (2 * t) % max(1, width - 50)
    y1 = height // 4
    return x1, y1, x1 + 30, y1 + height // 2


def blob_frames(num_frames: int, *, height: int, width: int) -> np.ndarray:
    """(T, H, W, 3) uint8 frames: a dark background and one moving blob."""
    frames = np.full((num_frames, height, width, 3), BACKGROUND, dtype=np.uint8)
    for t in range(num_frames):
        x1, y1, x2, y2 = blob_box(t, height=height, width=width)
        frames[t, y1:y2, x1:x2] = BLOB_COLOUR
    return frames


def write_video(path: Path, frames: np.ndarray, *, fps: Fraction | int) -> Path:
    """Encode (T, H, W, 3) uint8 RGB frames as H.264 with PyAV (near-lossless)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv444p" if frames.shape[1] % 2 or frames.shape[2] % 2 else "yuv420p"
        stream.options = {"crf": "10"}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return path


def read_video(path: Path) -> tuple[np.ndarray, Fraction, str]:
    """All frames (T, H, W, 3), the average rate and the pixel format, decoded with PyAV."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
        return np.stack(frames), Fraction(stream.average_rate), stream.codec_context.pix_fmt


def tiny_cfg_args(cfg_file: Path, data_dir: Path, *extra: str) -> list[str]:
    """``--cfg`` arguments for a width-8, 64-pixel CPU model with no pretrained weights."""
    return [
        "--cfg",
        str(cfg_file),
        "RESNET.WIDTH_PER_GROUP",
        "8",
        "DATA.TEST_CROP_SIZE",
        "64",
        "TRAIN.CHECKPOINT_FILE_PATH",
        "",
        "DATA.PATH_TO_DATA_DIR",
        str(data_dir),
        "OUTPUT_DIR",
        str(data_dir / "output"),
        *extra,
    ]
