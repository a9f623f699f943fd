"""Clips per minute of each data_prep stage on synthetic footage (CPU, or GPU with --device).

Sources are textured, slowly moving synthetic videos. No trained weights can be fetched here, so
the detector is YOLO11n built from ``yolo11n.yaml`` with random weights: it costs the same as
trained YOLO11n per frame but finds nobody, so filter rejects every clip and BoT-SORT and the
post-processing see empty frames (their cost is small next to YOLO's). Run:
``python benchmarks/run.py data_prep [--sources 2 --seconds 10 --device cpu]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
from model_inputs import code_version


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of this suite."""
    parser.add_argument("--sources", type=int, default=2, help="synthetic source videos")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each source")
    parser.add_argument("--source-size", default="640x360", help="WxH of the sources")
    parser.add_argument("--imgsz", type=int, default=640, help="detector input size")
    parser.add_argument("--device", default="cpu", help="cpu, 0, cuda:0, ...")
    parser.add_argument("--workers", type=int, default=1, help="split worker processes")
    parser.add_argument("--preset", default="medium", help="x264 preset of the clips")


def _write_source(path: Path, *, seconds: float, width: int, height: int, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    texture = rng.integers(0, 255, (height, width * 2, 3), dtype=np.uint8)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i in range(int(seconds * 30)):
            shift = (2 * i) % width
            image = np.ascontiguousarray(texture[:, shift : shift + width])
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def _labels(boxes_csv: Path, actions_csv: Path, clips: list[str]) -> None:
    """One person per clip tracked on frames 15..90, two labels each."""
    rows = ["video_id,frame_id,person_id,xmin,ymin,xmax,ymax,confidence"]
    rows += [f"{c},{f},1,100,40,400,470,0.9" for c in clips for f in range(15, 91)]
    boxes_csv.write_text("\n".join(rows) + "\n")
    acts = ["video_id,movie_or_real,person_id,action"]
    acts += [f"{c},r,1,{a}" for i, c in enumerate(clips) for a in (12, (17, 79, 80)[i % 3])]
    actions_csv.write_text("\n".join(acts) + "\n")


def _rate(clips: int, seconds: float) -> dict[str, float]:
    return {
        "clips": clips,
        "seconds": round(seconds, 3),
        "clips_per_minute": round(60.0 * clips / seconds, 2) if seconds > 0 else None,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Time split, filter, track, to_ava and reencode on synthetic sources; the figures."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    from data_prep.build_dataset import run_to_ava
    from data_prep.config import load_config
    from data_prep.filter_clips import run_filter
    from data_prep.logs import setup_logging
    from data_prep.reencode import run_reencode
    from data_prep.split_clips import run_split
    from data_prep.track_persons import run_track

    width, height = (int(v) for v in args.source_size.split("x"))
    setup_logging(None, progress=False)
    cfg = load_config(
        None,
        [
            "detector.weights=yolo11n.yaml",
            f"detector.imgsz={args.imgsz}",
            f"detector.device={args.device!r}",
            f"split.preset={args.preset}",
            "filter.on_reject=list",
            "convert.link_videos=true",
        ],
    )
    figures: dict[str, Any] = {
        "detector": "yolo11n.yaml, random weights (no detections)",
        "sources": args.sources,
        "source_seconds": args.seconds,
        "source_size": args.source_size,
        "clip_height": cfg.split.height,
        "imgsz": args.imgsz,
        "device": args.device,
        "x264_preset": args.preset,
        "code": code_version(),
    }
    with tempfile.TemporaryDirectory(prefix="bench_data_prep_") as tmp:
        root = Path(tmp)
        for i in range(args.sources):
            path = root / "raw" / f"src{i}.mp4"
            _write_source(path, seconds=args.seconds, width=width, height=height, seed=i)
        out = root / "out"
        start = time.perf_counter()
        split = run_split(input_dir=root / "raw", out_dir=out, cfg=cfg, workers=args.workers)
        figures["split"] = _rate(split["clips_written"], time.perf_counter() - start)
        figures["split"]["workers"] = args.workers
        clips = sorted(p.stem for p in (out / "clips").rglob("*.mp4"))

        from data_prep.detection import YoloDetector

        detector = YoloDetector.from_params(cfg.detector)
        detector.detect([np.zeros((height, width, 3), np.uint8)])  # warm-up outside the timing
        start = time.perf_counter()
        run_filter(clips_dir=out / "clips", out_dir=out, cfg=cfg, detector=detector)
        figures["filter"] = _rate(len(clips), time.perf_counter() - start)

        start = time.perf_counter()
        run_track(clips_dir=out / "clips", out_dir=out, cfg=cfg, detector=detector)
        figures["track"] = _rate(len(clips), time.perf_counter() - start)
        figures["track"]["note"] = "reuses the filter's cached YOLO + BoT-SORT pass"

        start = time.perf_counter()
        run_track(clips_dir=out / "clips", out_dir=root / "out_nocache", cfg=cfg, detector=detector)
        figures["track_without_cache"] = _rate(len(clips), time.perf_counter() - start)

        _labels(root / "bounding_boxes.csv", root / "actions.csv", clips)
        start = time.perf_counter()
        run_to_ava(
            boxes_csv=root / "bounding_boxes.csv",
            actions_csv=root / "actions.csv",
            clips_dir=out / "clips",
            dataset_dir=root / "dataset",
            cfg=cfg,
        )
        figures["to_ava"] = _rate(len(clips), time.perf_counter() - start)
        figures["to_ava"]["note"] = "includes JPEG extraction of every frame"

        start = time.perf_counter()
        reencode = run_reencode(dataset_dir=root / "dataset", cfg=cfg, workers=args.workers)
        figures["reencode"] = _rate(reencode["clips_processed"], time.perf_counter() - start)
        figures["reencode"]["note"] = (
            f"all-intra copies of the dataset's videos: keyint {cfg.reencode.keyint}, "
            f"CRF {cfg.reencode.crf}, preset {cfg.reencode.preset}, {args.workers} worker(s); "
            f"mean absolute difference {reencode['mean_abs_diff']:.2f} levels"
        )
    return figures
