"""LR policies against the authors' logged learning rates and closed-form points."""

import csv
import math

import pytest
import torch

from slowfast_microg.config import get_cfg, merge_from_file
from slowfast_microg.engine.lr_policy import LRSchedule, set_lr

I3D_ITERS_PER_EPOCH = 60


def test_steps_with_warmup_match_authors_logged_lr(fixtures_dir):
    """Every lr of the 240 train_iter lines of the authors' I3D run, to the logged 5 decimals."""
    cfg = get_cfg()
    merge_from_file(cfg, fixtures_dir / "configs" / "authors" / "I3D_8x8_R50.yaml")
    schedule = LRSchedule.from_cfg(cfg)
    rows = list(csv.DictReader(open(fixtures_dir / "engine" / "i3d_8x8_r50_train_iter_lr.csv")))
    assert len(rows) == 240
    for row in rows:
        # The log's cur_iter is 1-based; the rate of that iteration was set before it ran.
        epoch = int(row["cur_epoch"]) - 1 + (int(row["cur_iter"]) - 1) / I3D_ITERS_PER_EPOCH
        assert f"{schedule(epoch):.5f}" == row["lr"], row


def test_cosine_known_points():
    schedule = LRSchedule(policy="cosine", base_lr=0.1, max_epoch=40, cosine_end_lr=0.001)
    assert schedule(0.0) == pytest.approx(0.1)
    assert schedule(20.0) == pytest.approx((0.1 + 0.001) / 2)
    assert schedule(10.0) == pytest.approx(0.001 + 0.099 * (1 + math.cos(math.pi / 4)) / 2)
    assert schedule(40.0) == pytest.approx(0.001)


def test_cosine_warmup_is_linear_up_to_the_policy_value():
    schedule = LRSchedule(
        policy="cosine",
        base_lr=0.1,
        max_epoch=10,
        warmup_epochs=2.0,
        warmup_start_lr=0.01,
    )
    at_end = 0.1 * (1 + math.cos(math.pi * 2 / 10)) / 2
    assert schedule(0.0) == pytest.approx(0.01)
    assert schedule(1.0) == pytest.approx((0.01 + at_end) / 2)
    assert schedule(1.999999) == pytest.approx(at_end, rel=1e-5)
    assert schedule(2.0) == pytest.approx(at_end)


def test_cosine_after_warmup_starts_at_base_lr():
    schedule = LRSchedule(
        policy="cosine",
        base_lr=0.1,
        max_epoch=12,
        warmup_epochs=2.0,
        warmup_start_lr=0.0,
        cosine_after_warmup=True,
    )
    assert schedule(2.0) == pytest.approx(0.1)
    assert schedule(7.0) == pytest.approx(0.05)
    assert schedule(1.0) == pytest.approx(0.05)


def test_steps_and_constant():
    steps = LRSchedule(
        policy="steps_with_relative_lrs",
        base_lr=0.2,
        max_epoch=30,
        steps=(0, 10, 20),
        lrs=(1, 0.1, 0.01),
    )
    assert [steps(e) for e in (0, 9.99, 10, 19.5, 20, 35)] == pytest.approx(
        [0.2, 0.2, 0.02, 0.02, 0.002, 0.002]
    )
    assert LRSchedule(policy="constant", base_lr=0.3, max_epoch=5)(4.2) == 0.3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"policy": "cosine", "base_lr": 0.1, "cosine_end_lr": 0.2}, "COSINE_END_LR"),
        ({"policy": "steps_with_relative_lrs", "base_lr": 0.1, "steps": (0,), "lrs": ()}, "STEPS"),
        ({"policy": "exponential", "base_lr": 0.1}, "LR_POLICY"),
    ],
)
def test_invalid_schedules_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LRSchedule(max_epoch=10, **kwargs)


def test_set_lr_applies_layer_decay_scale():
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    optimizer = torch.optim.SGD(
        [{"params": [params[0]], "layer_decay": 0.25}, {"params": [params[1]]}], lr=1.0
    )
    set_lr(optimizer, 0.4)
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([0.1, 0.4])
