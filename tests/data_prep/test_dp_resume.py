"""Kill the track stage mid-run, rerun it: finished clips are not redone, the CSV is unchanged."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from dp_synthetic import write_video

import data_prep
from data_prep.track_persons import run_track

ROOT = Path(data_prep.__file__).resolve().parents[1]
CLIPS = 6


def start_track(clips: Path, out: Path, weights: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "data_prep", "track", "--out", str(out), "--clips", str(clips),
        "--weights", str(weights), "--imgsz", "128", "--set", "detector.batch=32",
        "--no-progress",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def done_lines(manifest: Path) -> list[dict]:
    if not manifest.exists():
        return []
    lines = manifest.read_text().splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


def test_killed_track_run_resumes_without_redoing_or_changing_the_csv(
    tmp_path, fast_cfg, person_weights
):
    fast_cfg.detector.weights = str(person_weights)
    clips = tmp_path / "clips"
    for i in range(CLIPS):
        write_video(clips / f"s{i}" / f"s{i}_000.mp4", frames=60, shift_per_frame=i % 2)

    reference = run_track(clips_dir=clips, out_dir=tmp_path / "reference", cfg=fast_cfg)
    assert reference["rows_in_csv"] > 0

    out = tmp_path / "killed"
    manifest = out / "manifests" / "track.jsonl"
    process = start_track(clips, out, person_weights)
    deadline = time.monotonic() + 300
    while not done_lines(manifest) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = done_lines(manifest)
    assert 1 <= len(before) < CLIPS, f"kill should land mid-run; {len(before)} clips were done"
    finished = {r["key"] for r in before}
    stamps = {
        k: (out / "boxes" / k.split("_")[0] / f"{k}.csv").stat().st_mtime_ns for k in finished
    }
    assert not (out / "bounding_boxes.csv").exists(), "the CSV is only assembled at the end"

    resumed = run_track(clips_dir=clips, out_dir=out, cfg=fast_cfg)
    assert resumed["processed"] == CLIPS - len(finished)
    counts = Counter(r["key"] for r in done_lines(manifest) if r["status"] == "done")
    assert set(counts) == {f"s{i}_000" for i in range(CLIPS)} and set(counts.values()) == {1}
    for key, stamp in stamps.items():
        assert (out / "boxes" / key.split("_")[0] / f"{key}.csv").stat().st_mtime_ns == stamp
    expected = (tmp_path / "reference" / "bounding_boxes.csv").read_text()
    assert (out / "bounding_boxes.csv").read_text() == expected
