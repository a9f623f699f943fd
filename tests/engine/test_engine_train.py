"""End-to-end CPU runs with toy components: the run folder, logs, weights and training knobs."""

import json

import numpy as np
import pytest
import torch
import yaml
from sklearn.metrics import average_precision_score
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from slowfast_microg.engine.launch import run_tasks
from slowfast_microg.engine.lr_policy import LRSchedule
from slowfast_microg.engine.stats import read_json_stats
from slowfast_microg.engine.trainer import train


def _toy_batch(toys, cfg, split):
    dataset = toys.EngineToyDataset(cfg, split)
    return toys.toy_collate([dataset[i] for i in range(len(dataset))])


def test_train_val_test_writes_the_run_folder(toys, tmp_path):
    cfg = toys.toy_cfg(
        tmp_path / "run",
        tmp_path / "data",
        {"TENSORBOARD.ENABLE": True, "LOG_MODEL_INFO": True},
    )
    run_tasks(cfg)
    out = tmp_path / "run"
    assert yaml.safe_load((out / "config.yaml").read_text()) == yaml.safe_load(cfg.dump())

    # fc1 3*2*8*8 x 16 + 16 = 6,160 and head (16 + 4) x 4 + 4 = 84 parameters.
    stdout = (out / "stdout.log").read_text()
    assert stdout.count("Params: 6,244") == 2  # train and test each log it once
    assert "Flops:" in stdout

    records = read_json_stats(out / "json_stats.log")
    assert [r["_type"] for r in records] == [
        "train_epoch",
        "val_epoch",
        "train_epoch",
        "val_epoch",
        "test_epoch",
    ]
    assert [r["cur_epoch"] for r in records[:4]] == ["1", "1", "2", "2"]
    assert records[1]["mode"] == "val" and records[1]["split"] == "val"
    test_line = records[-1]
    assert (test_line["mode"], test_line["split"], test_line["checkpoint_epoch"]) == (
        "test",
        "test",
        2,
    )
    assert records[2]["loss"] < records[0]["loss"]

    folder = out / "checkpoints"
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "checkpoint_epoch_00001.pyth",
        "checkpoint_epoch_00001.pyth.sha256",
        "checkpoint_epoch_00002.pyth",
        "checkpoint_epoch_00002.pyth.sha256",
    ]

    # The test split was scored with the last checkpoint, boxes in dataset order.
    model = toys.EngineToy(cfg)
    state = torch.load(folder / "checkpoint_epoch_00002.pyth", weights_only=True)
    assert state["epoch"] == 1
    model.load_state_dict(state["model_state"])
    model.eval()
    batch = _toy_batch(toys, cfg, "test")
    with torch.no_grad():
        expected = model(batch["inputs"], batch["boxes"]).numpy()
    saved = np.load(out / "predictions_test_0.npz")
    np.testing.assert_allclose(saved["scores"], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(saved["item_indices"], np.arange(10))
    np.testing.assert_allclose(saved["ori_boxes"], batch["ori_boxes"].numpy())

    # The json map is the evaluator's value, recomputed here from the saved predictions.
    labels = np.stack([toys.item_labels("test", i) for i in range(10)])
    aps = [average_precision_score(labels[:, k], saved["scores"][:, k]) for k in range(4)]
    assert test_line["map"] == pytest.approx(np.mean(aps), abs=1e-5)

    # Logged learning rates follow the schedule at the logged iterations (6 per epoch).
    schedule = LRSchedule.from_cfg(cfg)
    iters = [r for r in read_json_stats(out / "stdout.log") if r["_type"] == "train_iter"]
    assert len(iters) == 6
    for record in iters:
        epoch = int(record["cur_epoch"].split("/")[0]) - 1
        fraction = (int(record["cur_iter"]) - 1) / 6
        assert record["lr"] == pytest.approx(schedule(epoch + fraction), abs=1e-5)

    events = EventAccumulator(str(out / "runs-engine_toy")).Reload()
    tags = set(events.Tags()["scalars"])
    assert {"Train/loss", "Train/lr", "Train/throughput", "Val/mAP", "Test/mAP"} <= tags
    val_map = [e.value for e in events.Scalars("Val/mAP")]
    assert val_map == pytest.approx([records[1]["map"], records[3]["map"]], abs=1e-5)


def test_frozen_bn_keeps_statistics_and_affine_parameters(toys, tmp_path):
    cfg = toys.toy_cfg(
        tmp_path / "run",
        tmp_path / "data",
        {"MODEL.MODEL_NAME": "EngineToyBN", "MODEL.FROZEN_BN": True, "SOLVER.MAX_EPOCH": 1},
    )
    train(cfg)
    state = torch.load(tmp_path / "run/checkpoints/checkpoint_epoch_00001.pyth", weights_only=True)
    weights = state["model_state"]
    assert torch.equal(weights["bn.running_mean"], torch.zeros(16))
    assert torch.equal(weights["bn.running_var"], torch.ones(16))
    assert torch.equal(weights["bn.weight"], torch.ones(16))
    assert torch.equal(weights["bn.bias"], torch.zeros(16))
    fresh = toys.EngineToyBN(cfg)
    assert not torch.equal(weights["head.weight"], fresh.state_dict()["head.weight"])


@pytest.mark.parametrize(
    "key, bound", [("SOLVER.CLIP_GRAD_L2NORM", "norm"), ("SOLVER.CLIP_GRAD_VAL", "max")]
)
def test_gradient_clipping_bounds_each_update(toys, tmp_path, key, bound):
    """Plain SGD at lr 1: six clipped steps move the weights by at most 6 x the clip."""
    clip = 1e-3
    cfg = toys.toy_cfg(
        tmp_path / "run",
        tmp_path / "data",
        {
            key: clip,
            "SOLVER.MAX_EPOCH": 1,
            "SOLVER.LR_POLICY": "constant",
            "SOLVER.BASE_LR": 1.0,
            "SOLVER.WARMUP_EPOCHS": 0.0,
            "SOLVER.MOMENTUM": 0.0,
            "SOLVER.NESTEROV": False,
            "SOLVER.WEIGHT_DECAY": 0.0,
            "MODEL.DROPOUT_RATE": 0.0,
            "TRAIN.AUTO_RESUME": False,
        },
    )
    torch.manual_seed(cfg.RNG_SEED)
    initial = toys.EngineToy(cfg).state_dict()
    train(cfg)
    final = torch.load(tmp_path / "run/checkpoints/checkpoint_epoch_00001.pyth", weights_only=True)
    delta = torch.cat([(final["model_state"][k] - initial[k]).flatten() for k in initial])
    moved = delta.norm().item() if bound == "norm" else delta.abs().max().item()
    assert 0 < moved <= 6 * clip * (1 + 1e-4)


def test_bce_on_sigmoid_outputs_with_adamw_trains(toys, tmp_path):
    cfg = toys.toy_cfg(
        tmp_path / "run",
        tmp_path / "data",
        {
            "MODEL.HEAD_ACT": "sigmoid",
            "MODEL.LOSS_FUNC": "bce",
            "SOLVER.OPTIMIZING_METHOD": "adamw",
            "SOLVER.BASE_LR": 0.01,
            "SOLVER.LR_POLICY": "steps_with_relative_lrs",
            "SOLVER.STEPS": "[0, 1]",
            "SOLVER.LRS": "[1, 0.1]",
        },
    )
    train(cfg)
    records = read_json_stats(tmp_path / "run" / "json_stats.log")
    losses = [r["loss"] for r in records if r["_type"] == "train_epoch"]
    assert len(losses) == 2 and losses[1] < losses[0]
    meta = json.loads(json.dumps(records[-1]))
    assert 0.0 <= meta["map"] <= 1.0
