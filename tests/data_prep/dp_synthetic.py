"""Synthetic inputs for the data_prep tests: videos written with PyAV and rigged YOLO weights."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def pattern(height: int, width: int, *, colour: tuple[int, int, int], shift: int = 0) -> np.ndarray:
    """A textured BGR frame: a checkerboard of 8-px cells in ``colour`` and black, shifted right."""
    ys, xs = np.mgrid[0:height, 0:width]
    board = (((xs - shift) // 8 + ys // 8) % 2).astype(np.uint8)
    frame = np.zeros((height, width, 3), np.uint8)
    frame[board == 1] = colour
    return frame


def write_video(
    path: Path,
    *,
    frames: int,
    fps: int = 30,
    size: tuple[int, int] = (96, 128),
    cut_at: int | None = None,
    shift_per_frame: int = 0,
    levels: list[int] | None = None,
    codec: str = "libx264",
    audio: bool = False,
) -> Path:
    """Write a synthetic video.

    Args:
        path: output file (the suffix picks the container: .mp4, .mkv, .avi, ...).
        frames: number of frames.
        fps: frame rate.
        size: (height, width).
        cut_at: frame index where the picture switches to an unrelated one (a hard cut).
        shift_per_frame: horizontal motion of the texture in pixels per frame.
        levels: instead of a texture, frame i is a flat grey of ``levels[i]``.
        codec: video encoder.
        audio: also write a silent mono AAC track as long as the video.
    """
    height, width = size
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": "ultrafast", "crf": "10"}
        sound = container.add_stream("aac", rate=48000) if audio else None
        for i in range(frames):
            if levels is not None:
                image = np.full((height, width, 3), levels[i], np.uint8)
            elif cut_at is not None and i >= cut_at:
                image = np.full((height, width, 3), (20, 230, 250), np.uint8)
                image[height // 4 : height // 2, width // 4 : width // 2] = (200, 30, 30)
            else:
                image = pattern(height, width, colour=(180, 60, 20), shift=i * shift_per_frame)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        if sound is not None:
            _write_silence(container, sound, seconds=frames / fps)
    return path


def _write_silence(container: av.container.OutputContainer, stream, *, seconds: float) -> None:
    """Encode ``seconds`` of silence (mono, 48 kHz) into the audio ``stream`` of ``container``."""
    for start in range(0, int(seconds * 48000), 1024):
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate, frame.pts = 48000, start
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def decoded_frames(path: Path) -> list[np.ndarray]:
    """All frames of a video as BGR arrays."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


def person_model(path: Path, *, half_size_cells: int = 1, conf_logit: float = 5.0) -> Path:
    """Save YOLO11n weights built from ``yolo11n.yaml`` and rigged to see fixed 'persons'.

    Every stride-32 cell predicts class 0 with confidence sigmoid(``conf_logit``) and a box
    extending ``half_size_cells`` * 32 px from the cell centre on each side; all other outputs are
    silenced. So for a frame of H x W (multiples of 32, imgsz = max(H, W)) the detections are
    known exactly: one box per cell, clipped to the image.
    """
    import torch
    from ultralytics import YOLO

    torch.manual_seed(0)
    model = YOLO("yolo11n.yaml")
    head = model.model.model[-1]
    with torch.no_grad():
        for level, (box_branch, cls_branch) in enumerate(zip(head.cv2, head.cv3, strict=True)):
            cls_branch[-1].weight.zero_()
            cls_branch[-1].bias.fill_(-30.0)
            box_branch[-1].weight.zero_()
            box_branch[-1].bias.zero_()
            if level == len(head.cv2) - 1:
                cls_branch[-1].bias[0] = conf_logit
                box_branch[-1].bias.view(4, head.reg_max)[:, half_size_cells] = 100.0
    model.save(str(path))
    return path


def expected_cell_boxes(height: int, width: int, half_size_cells: int = 1) -> list[tuple]:
    """The boxes ``person_model`` produces on an H x W frame, clipped, in pixels."""
    half = 32 * half_size_cells
    boxes = []
    for row in range(height // 32):
        for col in range(width // 32):
            cx, cy = 32 * col + 16, 32 * row + 16
            boxes.append(
                (
                    max(cx - half, 0),
                    max(cy - half, 0),
                    min(cx + half, width),
                    min(cy + half, height),
                )
            )
    return boxes
