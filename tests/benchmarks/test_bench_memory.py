"""Training memory counted op by op: the counter's bookkeeping, fake counting against the real
step, the optimiser state left after a step, and the suite's JSON and table end to end."""

from __future__ import annotations

import sys

import pytest
import torch
import torch.nn.functional as F
from suite_run import BENCHMARKS, run_suite, table_lines
from torch._subclasses.fake_tensor import FakeTensorMode

sys.path.insert(0, str(BENCHMARKS))

from cuda_autocast import CudaAutocastOnCpu  # noqa: E402
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


def test_cpu_autocast_gives_the_listed_ops_cudas_dtypes():
    """CUDA's autocast: softmax and LayerNorm in float32, pooling in the input's dtype; the CPU's
    own lists do the opposite, and other ops are left alone."""
    with FakeTensorMode():
        x = torch.randn(2, 8, 4, 4, 4)
        weight = torch.randn(8, 8, 1, 1, 1)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            y = F.conv3d(x, weight)
            cpu = [y.softmax(-1), torch.nn.LayerNorm(4)(y), torch.nn.MaxPool3d(2)(y)]
            with CudaAutocastOnCpu():
                cuda = [y.softmax(-1), torch.nn.LayerNorm(4)(y), torch.nn.MaxPool3d(2)(y)]
                pooled = [
                    F.max_pool3d(y, 2, return_indices=True)[0],
                    torch.nn.AvgPool3d(2)(y),
                    torch.nn.AdaptiveAvgPool3d(1)(y),
                ]
                assert torch.sigmoid(y).dtype == F.conv3d(y, weight).dtype == torch.bfloat16
        with CudaAutocastOnCpu():  # without autocast nothing changes
            assert torch.nn.MaxPool3d(2)(x).dtype == x.softmax(-1).dtype == torch.float32
    assert [t.dtype for t in cpu] == [torch.bfloat16, torch.bfloat16, torch.float32]
    assert [t.dtype for t in cuda] == [torch.float32, torch.float32, torch.bfloat16]
    assert {t.dtype for t in pooled} == {torch.bfloat16}


def test_the_count_follows_cudas_autocast_by_default(counts):
    """SlowFast pools in half precision under CUDA's lists, so its count is lower than under
    the CPU's, where the pooled maps are float32."""
    cpu_lists = training_peaks(
        counts["cfg"], batch=2, amp_dtype=torch.bfloat16, cuda_autocast=False
    )
    assert counts["fake_bf16"]["peak_bytes"] < cpu_lists["peak_bytes"]


def test_fake_counting_refuses_other_devices():
    with pytest.raises(ValueError, match="fake counting runs on the CPU"):
        training_peaks(small_row(), batch=1, amp_dtype=None, device=torch.device("meta"))


def test_suite_writes_every_row_and_dtype_and_its_table(tmp_path):
    options = ["--configs", "X3D_S_13x6.yaml", "--dtypes", "fp32,bf16", "--batch", "3"]
    result = run_suite("memory", out=tmp_path, options=options, timeout=300)
    row = result["figures"]["rows"]["X3D_S_13x6.yaml"]
    assert row["clips_per_device"] == 3 and set(row["dtypes"]) == {"fp32", "bf16"}
    for figures in row["dtypes"].values():
        one, full = figures["one_clip"]["peak_bytes"], figures["paper_batch"]["peak_bytes"]
        assert figures["per_added_clip_bytes"] == pytest.approx((full - one) / 2)
        assert figures["fits"] and figures["max_clips"] > 3
    lines = [line for line in table_lines(result["path"]) if line.startswith("| X3D_S_13x6.yaml")]
    assert sorted(line.split("|")[2].strip() for line in lines) == ["bf16", "fp32"]
