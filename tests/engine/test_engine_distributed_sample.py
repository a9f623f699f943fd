"""Distributed runs of the real engine, dataset, model and evaluation on the embedded sample.

Two machines' worth of gloo processes (``--num_shards 2 --shard_id i --init_method tcp://``,
one process each) must reproduce a single-process run with the same global batch: the same
val/test metrics, every box scored once (3 val and 3 test keyframes over 2 processes: a
padding sampler would duplicate one), the same weights, and every file written once.
"""

import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from engine_toys import free_port

from slowfast_microg.datasets.sample import generate_sample
from slowfast_microg.engine.guards import DecodeBudgetExceededError
from slowfast_microg.engine.launch import main
from slowfast_microg.engine.stats import read_json_stats

ROOT = Path(__file__).resolve().parents[2]
# A narrow C2D (0.1M parameters) on 32-pixel crops; BatchNorm frozen and no dropout, so the
# per-process computations are exactly those of one process (see docs/engine.md).
SMALL_RUN = [
    "--cfg", str(ROOT / "configs" / "MicroG" / "C2D_8x8.yaml"),
    "NUM_GPUS", "0", "TRAIN.BATCH_SIZE", "4", "TEST.BATCH_SIZE", "2", "SOLVER.MAX_EPOCH", "2",
    "TRAIN.EVAL_PERIOD", "1", "TRAIN.CHECKPOINT_PERIOD", "1", "TRAIN.CHECKPOINT_FILE_PATH", "",
    "SOLVER.BASE_LR", "0.2", "DATA.TRAIN_JITTER_SCALES", "[32, 40]",
    "DATA.TRAIN_CROP_SIZE", "32", "DATA.TEST_CROP_SIZE", "32", "DATA.NUM_FRAMES", "4",
    "DATA.SAMPLING_RATE", "2", "RESNET.WIDTH_PER_GROUP", "4", "DATA_LOADER.NUM_WORKERS", "0",
    "PROGRESS_BAR", "False", "LOG_MODEL_INFO", "False", "MODEL.DROPOUT_RATE", "0.0",
    "MODEL.FROZEN_BN", "True",
]  # fmt: skip
METRICS = ("map", "f1_macro", "recall_macro", "auroc_macro", "f1_macro_matched")


@pytest.fixture(scope="module")
def sample_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    info = generate_sample(
        root, layouts=("frames",), num_clips=18, height=64, width=96, num_frames=60
    )
    assert [len(info.clips[s]) for s in ("train", "val", "test")] == [12, 3, 3]
    return root


@pytest.fixture
def one_thread():
    """One intra-op thread, as each distributed process below has (faster on 2 cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _argv(sample_root: Path, output: Path) -> list[str]:
    return [*SMALL_RUN, "DATA.PATH_TO_DATA_DIR", str(sample_root), "OUTPUT_DIR", str(output)]


def _detections(path: Path) -> dict[tuple, float]:
    rows = {}
    with path.open(newline="") as handle:
        for video, stamp, x1, y1, x2, y2, action, score in csv.reader(handle):
            key = (video, stamp, x1, y1, x2, y2, action)
            assert key not in rows, f"{path.name}: duplicate row {key}"
            rows[key] = float(score)
    return rows


def _files(run: Path) -> list[str]:
    return sorted(str(p.relative_to(run)) for p in run.rglob("*") if p.is_file())


def test_two_shards_over_tcp_match_one_process(sample_root, tmp_path, one_thread):
    single, sharded = tmp_path / "one", tmp_path / "two"
    assert main(_argv(sample_root, single)) == 0

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    shards = [
        subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tools" / "run_net.py"),
                *_argv(sample_root, sharded),
                "--num_shards",
                "2",
                "--shard_id",
                str(shard),
                "--init_method",
                f"tcp://127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for shard in (0, 1)
    ]
    outputs = [process.communicate(timeout=300)[0] for process in shards]
    assert [process.returncode for process in shards] == [0, 0], (
        outputs[0][-3000:] + outputs[1][-3000:]
    )
    log = (sharded / "stdout.log").read_text()
    assert log.count("Process 0 of 2, device cpu, backend gloo") == 2  # train, then test

    # Only rank 0 writes: the same files, and each json_stats line once.
    assert _files(sharded) == _files(single)
    assert "detections_test.csv" in _files(sharded)
    one, two = (read_json_stats(run / "json_stats.log") for run in (single, sharded))
    assert [r["_type"] for r in two] == [r["_type"] for r in one] == [
        "train_epoch", "val_epoch", "train_epoch", "val_epoch", "test_epoch",
    ]  # fmt: skip
    for first, second in zip(one, two, strict=True):
        keys = ("loss",) if first["_type"] == "train_epoch" else METRICS
        for key in keys:
            if math.isnan(first[key]):
                assert math.isnan(second[key]), key
            else:
                assert second[key] == pytest.approx(first[key], abs=1e-4), key
    assert one[1]["map"] != one[3]["map"]  # training changed the model between validations

    # Every box of the split scored once (3 keyframes over 2 processes: nothing padded).
    for split in ("val", "test"):
        rows_one = _detections(single / f"detections_{split}.csv")
        rows_two = _detections(sharded / f"detections_{split}.csv")
        assert rows_two.keys() == rows_one.keys()
        assert len({key[:2] for key in rows_two}) == 3
        assert max(abs(rows_two[k] - rows_one[k]) for k in rows_one) <= 1e-4

    final = [
        torch.load(run / "checkpoints" / "checkpoint_epoch_00002.pyth", weights_only=True)
        for run in (single, sharded)
    ]
    assert len(final[1]["rng_state"]) == 2
    for key, value in final[0]["model_state"].items():
        torch.testing.assert_close(final[1]["model_state"][key], value, rtol=0, atol=1e-6)


def test_unreadable_training_clip_is_listed_when_the_budget_is_spent(tmp_path, one_thread):
    data = tmp_path / "data"
    info = generate_sample(
        data, layouts=("frames",), num_clips=6, height=64, width=96, num_frames=60
    )
    broken = info.clips["train"][:2]
    for clip in broken:
        for frame in (data / "frames" / clip).iterdir():
            frame.write_bytes(b"not an image")
    argv = _argv(data, tmp_path / "run") + [
        "TRAIN.MAX_DECODE_FAILURES",
        "1",
        "TEST.ENABLE",
        "False",
    ]
    argv += ["TRAIN.BATCH_SIZE", "2"]
    with pytest.raises(DecodeBudgetExceededError) as info:
        main(argv)
    message = str(info.value)
    assert "2 training clips failed to load, more than TRAIN.MAX_DECODE_FAILURES=1" in message
    for clip in broken:
        assert clip in message
    log = (tmp_path / "run" / "stdout.log").read_text()
    assert "skipped at epoch 1" in log and "(1 of 1 tolerated)" in log
