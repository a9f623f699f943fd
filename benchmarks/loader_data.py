"""Clips for the data-loading benchmark: the synthetic sample, optionally encoded as MicroG-4M's.

``prepare_clips`` writes the generated sample (both layouts) at a chosen frame size. With
``encoding="authors"`` each mp4 is re-encoded the way MicroG-4M's clips were cut (libx264 at
its defaults, 30 fps, a keyframe forced every 3 s, so a 90-frame clip has one keyframe at its
start) and the JPEGs are re-extracted from the decoded re-encoded mp4 (as the authors extracted
theirs, at ffmpeg's best JPEG quality, approximated here by Pillow quality 95). Both layouts
then hold the same clips. ``encoding="intra"`` goes on to replace each of those mp4s with the
copy ``python -m data_prep reencode`` makes at its defaults (all-intra, fast-decode tuning), the
JPEGs staying those of the authors' encoding. ``encoding="sample"`` keeps the sample's own files
(a keyframe every 30 frames, CRF 16, JPEG quality 90).

For the authors' and intra encodings, the mean absolute difference (0..255 RGB levels) of each
layout's frames from the decoded authors'-encoded mp4 is recorded: what each layout loses.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import av
import numpy as np

from data_prep.config import ReencodeParams
from data_prep.reencode import reencode_clip
from slowfast_microg.datasets import generate_sample
from slowfast_microg.datasets.frame_sources import decode_image_bytes
from slowfast_microg.datasets.sample import encode_jpeg

ENCODINGS = ("sample", "authors", "intra")
AUTHORS_JPEG_QUALITY = 95
_FPS = 30


def _decode_rgb(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def _encode_x264_defaults(frames: list[np.ndarray], path: Path) -> None:
    """libx264 with no preset, CRF or GOP given: x264's defaults (keyint 250, 3 B-frames)."""
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=_FPS)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())


def _mean_abs_diff(frames: np.ndarray, reference: np.ndarray) -> float:
    return float(np.abs(frames.astype(np.int16) - reference).mean())


def _reencode(root: Path, clip_id: str, *, intra: ReencodeParams | None) -> dict[str, float]:
    """Encode one clip as the authors did, extract its JPEGs, optionally replace the mp4 by its
    copy made with ``intra``; returns each layout's mean absolute difference from the authors'
    mp4."""
    video = root / "videos" / f"{clip_id}.mp4"
    _encode_x264_defaults(_decode_rgb(video), video)
    reference = np.stack(_decode_rgb(video))
    folder = root / "frames" / clip_id
    for k, frame in enumerate(reference, start=1):
        data = encode_jpeg(frame, quality=AUTHORS_JPEG_QUALITY)
        (folder / f"{clip_id}_{k:06d}.jpg").write_bytes(data)
    mp4_diff = 0.0  # the authors' encoding is the reference
    if intra is not None:
        copy = video.with_name(f"{clip_id}.intra.mp4")
        mp4_diff = reencode_clip(source=video, target=copy, params=intra)["mean_abs_diff"]
        copy.replace(video)
    jpegs = sorted(folder.glob("*.jpg"))
    decoded = [decode_image_bytes(p.read_bytes()).permute(1, 2, 0).numpy() for p in jpegs]
    return {"mp4": mp4_diff, "jpeg": _mean_abs_diff(np.stack(decoded), reference)}


def keyframe_positions(path: Path) -> list[int]:
    """0-based positions (decode order of non-empty packets) of the keyframes of a video."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.size]
    order = sorted(packets, key=lambda packet: packet.pts)
    return [k for k, packet in enumerate(order) if packet.is_keyframe]


def prepare_clips(
    root: Path,
    *,
    height: int,
    width: int,
    num_clips: int,
    seed: int,
    encoding: str,
    intra_crf: int | None = None,
) -> dict[str, Any]:
    """Write the benchmark's dataset into ``root``.

    Args:
        root: empty folder (becomes ``DATA.PATH_TO_DATA_DIR``).
        height, width: frame size (even).
        num_clips: clips of the sample (a sixth go to val and test each).
        seed: sample seed.
        encoding: "sample", "authors" or "intra" (see the module docstring).
        intra_crf: the reencode stage's CRF for "intra" (None: its default).

    Returns:
        What was written: clips, seconds, mean bytes per mp4 and per JPEG, keyframes of the
        first mp4, and for "authors" and "intra" each layout's deviation from the authors'
        encoding.
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")
    start = time.perf_counter()
    info = generate_sample(root, num_clips=num_clips, seed=seed, height=height, width=width)
    clip_ids = [clip for split in info.clips.values() for clip in split]
    deviations = {}
    intra = None
    if encoding == "intra":
        intra = ReencodeParams() if intra_crf is None else ReencodeParams(crf=intra_crf)
    if encoding in ("authors", "intra"):
        per_clip = [_reencode(root, c, intra=intra) for c in clip_ids]
        deviations = {
            f"{layout}_mean_abs_diff": float(np.mean([d[layout] for d in per_clip]))
            for layout in ("mp4", "jpeg")
        }
    videos = sorted((root / "videos").glob("*.mp4"))
    jpegs = sorted((root / "frames").glob("*/*.jpg"))
    return {
        "clips": len(clip_ids),
        "frame_size": f"{width}x{height}",
        "encoding": encoding,
        "seconds": time.perf_counter() - start,
        "mp4_bytes_mean": float(np.mean([p.stat().st_size for p in videos])),
        "jpeg_bytes_mean": float(np.mean([p.stat().st_size for p in jpegs])),
        "keyframes_of_first_mp4": keyframe_positions(videos[0]),
        **({"intra_crf": intra.crf} if intra is not None else {}),
        **deviations,
    }
