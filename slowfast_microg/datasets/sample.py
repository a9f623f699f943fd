"""Generate the embedded sample: a small synthetic dataset in MicroG-4M's train-ready layout.

``generate_sample(root)`` writes, deterministically for a seed (same bytes every time):

- ``videos/<clip>.mp4`` (H.264, 30 fps) and/or ``frames/<clip>/<clip>_%06d.jpg`` (1-based),
  the JPEGs extracted from the decoded mp4 frames, as the authors extracted theirs;
- ``frame_lists/{train,val,test}.csv``; ``annotations/ava_{train,val,test}.csv``,
  ``ava_{val,test}_gt.csv``, ``ava_{split}_predicted_boxes.csv``; ``label_map.pbtxt`` (the
  real 50-class MicroG-4M map) in ``annotations/``.

Clips have 90 frames with 1-3 persons whose motions encode six MicroG classes, plus
carry/hold (see ``sample_scene``). Command line: ``python -m slowfast_microg.datasets.sample
--out DIR``.
"""

from __future__ import annotations

import argparse
import io
import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter
from PIL import Image

from slowfast_microg.datasets.microg_classes import write_label_map
from slowfast_microg.datasets.sample_scene import MOTIONS, Person, background, render_clip
from slowfast_microg.datasets.sample_scene import person_box as scene_box

logger = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
LAYOUTS = ("frames", "videos")
JPEG_QUALITY = 90
FRAME_LIST_HEADER = "original_video_id video_id frame_id path labels\n"
_STAMPS = (45, 52)
_PERSON_COUNT_P = (0.45, 0.35, 0.20)


@dataclass
class SampleInfo:
    """What :func:`generate_sample` wrote.

    Attributes:
        root: the dataset folder (use it as ``DATA.PATH_TO_DATA_DIR``).
        layouts: the frame layouts written.
        clips: split -> clip ids.
        num_boxes: split -> number of annotated persons (boxes).
        class_ids: the action ids used by the sample.
        seconds: generation time.
    """

    root: Path
    layouts: tuple[str, ...]
    clips: dict[str, list[str]] = field(default_factory=dict)
    num_boxes: dict[str, int] = field(default_factory=dict)
    class_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0


def _persons(
    rng: np.random.Generator, motions: list[int], *, height: int, width: int, stamp: int
) -> list[Person]:
    persons = []
    slots = rng.permutation(len(motions))
    for k, motion in enumerate(motions):
        p_width = rng.uniform(0.16, 0.24) * width
        slot_w = width / len(motions)
        cx = (slots[k] + 0.5) * slot_w + rng.uniform(-0.15, 0.15) * slot_w
        own_stamp = (
            stamp if k == 0 or rng.random() > 0.2 else int(rng.integers(*_STAMPS, endpoint=True))
        )
        hue = rng.uniform(0, 1)
        color = tuple(
            float(150 + 100 * (0.5 + 0.5 * np.cos(2 * np.pi * (hue + s / 3)))) for s in range(3)
        )
        persons.append(
            Person(
                motion=motion,
                carries=bool(rng.random() < 0.35),
                cx=float(np.clip(cx, 0.5 * p_width + 2, width - 0.5 * p_width - 2)),
                bottom=float(rng.uniform(0.82, 0.97) * height),
                width=float(p_width),
                height=float(rng.uniform(0.5, 0.72) * height),
                color=color,
                stripe_freq=float(rng.uniform(0.5, 0.9)),
                stripe_angle=float(rng.uniform(0, np.pi)),
                phase=float(rng.uniform(0, 40)),
                direction=float(rng.choice([-1.0, 1.0])),
                key_index=own_stamp - 1,
            )
        )
    return persons


def _encode_mp4(frames: np.ndarray, *, fps: int) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.thread_count = 1
        stream.codec_context.gop_size = 30
        # x264's lookahead thread makes its output vary from run to run; without it the
        # sample is byte-for-byte reproducible.
        stream.options = {
            "crf": "16",
            "preset": "veryfast",
            "x264-params": "threads=1:rc-lookahead=0:mbtree=0",
        }
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return buffer.getvalue()


def _decode_mp4(data: bytes) -> list[np.ndarray]:
    reformatter = VideoReformatter()
    with av.open(io.BytesIO(data)) as container:
        return [
            reformatter.reformat(frame, format="rgb24").to_ndarray()
            for frame in container.decode(video=0)
        ]


def encode_jpeg(frame: np.ndarray, *, quality: int = JPEG_QUALITY) -> bytes:
    """JPEG bytes of an (H, W, 3) uint8 RGB frame (the sample's frame encoder)."""
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _fmt(value: float) -> str:
    return repr(round(value, 3))


def _write_clip_media(
    root: Path, clip_id: str, frames: np.ndarray, *, layouts: tuple[str, ...], fps: int
) -> int:
    data = _encode_mp4(frames, fps=fps)
    if "videos" in layouts:
        (root / "videos" / f"{clip_id}.mp4").write_bytes(data)
    decoded = _decode_mp4(data)
    if "frames" in layouts:
        folder = root / "frames" / clip_id
        folder.mkdir(parents=True, exist_ok=True)
        for k, frame in enumerate(decoded, start=1):
            (folder / f"{clip_id}_{k:06d}.jpg").write_bytes(encode_jpeg(frame))
    return len(decoded)


def plan_sample(
    num_clips: int, *, seed: int, height: int, width: int
) -> list[tuple[str, str, int, list[Person]]]:
    """Decide every clip's split, stamp and persons (no rendering).

    Motions are dealt round-robin within each split, so a split with at least six persons
    covers all six motion classes; each non-empty split has at least one carrying person.

    Returns:
        (clip_id, split, stamp, persons) per clip, in clip order.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(num_clips)
    num_eval = max(1, num_clips // 6)
    split_of = {}
    for rank, clip in enumerate(order):
        split_of[int(clip)] = (
            "val" if rank < num_eval else "test" if rank < 2 * num_eval else "train"
        )
    counts = rng.choice([1, 2, 3], p=_PERSON_COUNT_P, size=num_clips)
    cursor = {split: int(rng.integers(len(MOTIONS))) for split in SPLITS}
    plan = []
    for i in range(num_clips):
        split = split_of[i]
        motions = [MOTIONS[(cursor[split] + k) % len(MOTIONS)] for k in range(int(counts[i]))]
        cursor[split] += int(counts[i])
        clip_rng = np.random.default_rng([seed, i])
        stamp = int(clip_rng.integers(*_STAMPS, endpoint=True))
        persons = _persons(clip_rng, motions, height=height, width=width, stamp=stamp)
        plan.append((f"synth{i // 8:02d}_{i % 8:03d}", split, stamp, persons))
    for split in SPLITS:
        entries = [entry for entry in plan if entry[1] == split]
        if entries and not any(p.carries for entry in entries for p in entry[3]):
            entries[0][3][0] = replace(entries[0][3][0], carries=True)
    return plan


def _box_rows(clip_id: str, persons: list[Person], *, height: int, width: int) -> list[str]:
    rows = []
    for person_id, person in enumerate(persons, start=1):
        x1, y1, x2, y2 = scene_box(
            person, frame_index=person.key_index, frame_height=height, frame_width=width
        )
        coords = ",".join(_fmt(v) for v in (x1 / width, y1 / height, x2 / width, y2 / height))
        for action_id in person.action_ids:
            rows.append(f"{clip_id},{person.key_index + 1},{coords},{action_id},{person_id}\n")
    return rows


def _predicted(rows: list[str]) -> list[str]:
    return [",".join(row.split(",")[:6]) + ",,1\n" for row in rows]


def _frame_list(clip_ids: list[str], *, num_frames: int) -> str:
    lines = [FRAME_LIST_HEADER]
    for clip_id in clip_ids:
        lines += [
            f'{clip_id} {clip_id} {k} {clip_id}/{clip_id}_{k:06d}.jpg ""\n'
            for k in range(1, num_frames + 1)
        ]
    return "".join(lines)


def generate_sample(
    root: str | Path,
    *,
    layouts: tuple[str, ...] = LAYOUTS,
    num_clips: int = 48,
    seed: int = 0,
    height: int = 120,
    width: int = 160,
    num_frames: int = 90,
    fps: int = 30,
) -> SampleInfo:
    """Write a synthetic MicroG-format dataset into ``root`` (see the module docstring).

    Args:
        root: output folder (created; existing sample files are overwritten).
        layouts: "frames" (JPEG folders) and/or "videos" (mp4).
        num_clips: clips in total; a sixth each go to val and test (at least one), the rest
            to train.
        seed: the same seed gives the same bytes.
        height, width: frame size in pixels (even).
        num_frames: frames per clip (at least 53, so stamps 45..52 fit).
        fps: frame rate of the mp4 files.

    Returns:
        What was written.
    """
    start = time.perf_counter()
    layouts = tuple(layouts)
    if not layouts or any(layout not in LAYOUTS for layout in layouts):
        raise ValueError(f"layouts must be a non-empty subset of {LAYOUTS}, got {layouts}")
    if num_clips < 3:
        raise ValueError(f"num_clips must be >= 3 (one clip per split), got {num_clips}")
    if height % 2 or width % 2 or min(height, width) < 32:
        raise ValueError(f"height and width must be even and >= 32, got {height}x{width}")
    if num_frames <= _STAMPS[1]:
        raise ValueError(f"num_frames must be > {_STAMPS[1]}, got {num_frames}")
    root = Path(root)
    for folder in ("annotations", "frame_lists", *layouts):
        (root / folder).mkdir(parents=True, exist_ok=True)
    noise_rng = np.random.default_rng([seed, 0, 2])
    noise = noise_rng.normal(0.0, 2.0, size=(7, height, width, 3)).astype(np.float32)
    info = SampleInfo(root=root, layouts=layouts)
    rows: dict[str, list[str]] = {split: [] for split in SPLITS}
    for index, (clip_id, split, _, persons) in enumerate(
        plan_sample(num_clips, seed=seed, height=height, width=width)
    ):
        backdrop = background(
            np.random.default_rng([seed, index, 1]), frame_height=height, frame_width=width
        )
        frames = render_clip(persons, backdrop, noise, num_frames=num_frames)
        decoded = _write_clip_media(root, clip_id, frames, layouts=layouts, fps=fps)
        if decoded != num_frames:
            raise RuntimeError(f"{clip_id}: the encoder kept {decoded} of {num_frames} frames")
        info.clips.setdefault(split, []).append(clip_id)
        rows[split] += _box_rows(clip_id, persons, height=height, width=width)
        info.num_boxes[split] = info.num_boxes.get(split, 0) + len(persons)
    ann = root / "annotations"
    for split in SPLITS:
        clip_ids = sorted(info.clips.get(split, []))
        info.clips[split] = clip_ids
        (root / "frame_lists" / f"{split}.csv").write_text(
            _frame_list(clip_ids, num_frames=num_frames), encoding="utf-8"
        )
        (ann / f"ava_{split}.csv").write_text("".join(rows[split]), encoding="utf-8")
        (ann / f"ava_{split}_predicted_boxes.csv").write_text(
            "".join(_predicted(rows[split])), encoding="utf-8"
        )
        if split != "train":
            (ann / f"ava_{split}_gt.csv").write_text("".join(rows[split]), encoding="utf-8")
    write_label_map(ann / "label_map.pbtxt")
    info.class_ids = sorted({int(row.split(",")[6]) for r in rows.values() for row in r})
    info.seconds = time.perf_counter() - start
    logger.info(
        "Sample: %d clips (%s) in %s, %.1f s",
        num_clips,
        ", ".join(f"{s} {len(info.clips[s])}" for s in SPLITS),
        root,
        info.seconds,
    )
    return info


def main(argv: list[str] | None = None) -> int:
    """Command line: write the sample to ``--out``."""
    parser = argparse.ArgumentParser(description="Write the synthetic MicroG-format sample.")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--num-clips", type=int, default=48)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--height", type=int, default=120)
    parser.add_argument("--width", type=int, default=160)
    parser.add_argument("--layouts", nargs="+", choices=LAYOUTS, default=list(LAYOUTS))
    args = parser.parse_args(argv)
    info = generate_sample(
        args.out,
        layouts=tuple(args.layouts),
        num_clips=args.num_clips,
        seed=args.seed,
        height=args.height,
        width=args.width,
    )
    for split in SPLITS:
        print(f"{split}: {len(info.clips[split])} clips, {info.num_boxes.get(split, 0)} boxes")
    print(f"classes: {info.class_ids}; wrote {info.root} in {info.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
