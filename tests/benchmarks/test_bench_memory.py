"""Training memory counted op by op: the counter's bookkeeping, fake counting against the real
step, the optimiser state left after a step, and the suite's JSON and table end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from memory_estimate import LiveBytes, training_peaks  # noqa: E402
from model_inputs import load_row  # noqa: E402

KIB = 1024


def small_row(row: str = "SLOWFAST_4x16.yaml"):
    cfg = load_row(row)
    cfg.defrost()
    cfg.DATA.TRAIN_CROP_SIZE = 64
    cfg.RESNET.WIDTH_PER_GROUP = 8
    cfg.freeze()
    return cfg


def test_each_storage_is_counted_once_until_it_is_freed():
    counter = LiveBytes()
    with counter:
        first = torch.empty(KIB, dtype=torch.float32)  # 4 KiB
        second = torch.empty(2 * KIB, dtype=torch.float32)  # 8 KiB
        view = second[:10]
        second.add_(1.0)  # in place: no new storage
        assert counter.live_bytes == 12 * KIB
        del first
        assert counter.live_bytes == 8 * KIB
        third = torch.empty(KIB, dtype=torch.bfloat16)  # 2 KiB
        assert counter.live_bytes == 10 * KIB
        del second
        assert counter.live_bytes == 10 * KIB  # the view keeps the storage alive
        del view
    assert counter.live_bytes == 2 * KIB
    assert counter.peak_bytes == 12 * KIB
    counter.track([third, third[1:], "not a tensor"])
    assert counter.live_bytes == 2 * KIB


@pytest.fixture(scope="module")
def counts() -> dict:
    cfg = small_row()
    return {
        "real": training_peaks(cfg, batch=2, amp_dtype=None, fake=False),
        "fake": training_peaks(cfg, batch=2, amp_dtype=None),
        "fake_bf16": training_peaks(cfg, batch=2, amp_dtype=torch.bfloat16),
        "cfg": cfg,
    }


def test_fake_counting_equals_the_real_step(counts):
    assert counts["fake"] == counts["real"]
    assert counts["real"]["peak_bytes"] > counts["real"]["after_step_bytes"]


def test_static_and_optimiser_bytes_match_the_model(counts):
    """Weights, buffers and inputs are static; after an SGD-with-momentum step the gradients and
    one momentum buffer per parameter stay alive."""
    from slowfast_microg.models import build_model

    cfg = counts["cfg"]
    model = build_model(cfg)
    param_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    buffer_bytes = sum(b.numel() * b.element_size() for b in model.buffers())
    frames = [cfg.DATA.NUM_FRAMES // cfg.SLOWFAST.ALPHA, cfg.DATA.NUM_FRAMES]
    input_bytes = sum(2 * 3 * t * 64 * 64 * 4 for t in frames) + 4 * 5 * 4  # clips + 4 boxes
    assert cfg.SOLVER.OPTIMIZING_METHOD == "sgd" and cfg.SOLVER.MOMENTUM > 0
    fake = counts["fake"]
    assert fake["static_bytes"] == param_bytes + buffer_bytes + input_bytes
    assert fake["after_step_bytes"] == fake["static_bytes"] + 2 * param_bytes


def test_bf16_autocast_needs_less_than_fp32(counts):
    assert counts["fake_bf16"]["static_bytes"] == counts["fake"]["static_bytes"]
    assert counts["fake_bf16"]["peak_bytes"] < counts["fake"]["peak_bytes"]


def test_fake_counting_refuses_other_devices():
    with pytest.raises(ValueError, match="fake counting runs on the CPU"):
        training_peaks(small_row(), batch=1, amp_dtype=None, device=torch.device("meta"))


def test_suite_writes_every_row_and_dtype_and_its_table(tmp_path):
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "run.py"),
        "memory",
        *("--out", str(tmp_path), "--configs", "X3D_S_13x6.yaml", "--dtypes", "fp32,bf16"),
        *("--batch", "3"),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (path,) = tmp_path.glob("memory_*.json")
    row = json.loads(path.read_text(encoding="utf-8"))["figures"]["rows"]["X3D_S_13x6.yaml"]
    assert row["clips_per_device"] == 3 and set(row["dtypes"]) == {"fp32", "bf16"}
    for result in row["dtypes"].values():
        one, full = result["one_clip"]["peak_bytes"], result["paper_batch"]["peak_bytes"]
        assert result["per_added_clip_bytes"] == pytest.approx((full - one) / 2)
        assert result["fits"] and result["max_clips"] > 3
    table = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "model_tables.py"), str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert table.returncode == 0, table.stderr
    lines = [line for line in table.stdout.splitlines() if line.startswith("| X3D_S_13x6.yaml")]
    assert sorted(line.split("|")[2].strip() for line in lines) == ["bf16", "fp32"]
