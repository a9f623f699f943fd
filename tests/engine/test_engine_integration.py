"""The engine with the real evaluation and checkpoint packages (skipped where they are absent)."""

import re

import numpy as np
import pytest
import torch

from slowfast_microg.engine.evaluate import evaluate_split
from slowfast_microg.engine.predict import SplitPredictions
from slowfast_microg.engine.stats import read_json_stats
from slowfast_microg.engine.tester import test as run_test

ROW = re.compile(r"^test_\d{4},\d{4},(\d\.\d{3},){4}\d+,-?\d+\.\d{4}$")


def _voc_ap(labels: np.ndarray, scores: np.ndarray) -> float:
    """Pascal VOC AP (area under the precision envelope), written independently here."""
    order = np.argsort(-scores, kind="stable")
    hits = labels[order] > 0
    tp, fp = np.cumsum(hits), np.cumsum(~hits)
    recall = np.concatenate([[0.0], tp / hits.sum(), [1.0]])
    precision = np.concatenate([[0.0], tp / (tp + fp), [0.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.flatnonzero(recall[1:] != recall[:-1]) + 1
    return float(np.sum((recall[steps] - recall[steps - 1]) * precision[steps]))


def _write_annotations(toys, folder, count):
    folder.mkdir(parents=True, exist_ok=True)
    items = "".join(f'item {{\n  name: "action {cid}"\n  id: {cid}\n}}\n' for cid in toys.CLASS_IDS)
    (folder / "label_map.pbtxt").write_text(items)
    rows = []
    for index in range(count):
        x1 = (1.0 + index % 2) / 8
        box = f"{x1:.3f},0.125,{x1 + 5 / 8:.3f},0.875"
        for k in np.flatnonzero(toys.item_labels("test", index)):
            rows.append(f"test_{index:04d},{40 + index % 20},{box},{toys.CLASS_IDS[k]},1")
    (folder / "test_gt.csv").write_text("\n".join(rows) + "\n")


def test_real_evaluator_scores_and_writes_ava_files(toys, tmp_path):
    pytest.importorskip("slowfast_microg.evaluation")
    count = 10
    _write_annotations(toys, tmp_path / "data" / "annotations", count)
    cfg = toys.toy_cfg(
        tmp_path / "run",
        tmp_path / "data",
        {"AVA.GROUNDTRUTH_FILE": "test_gt.csv", "AVA.LABEL_MAP_FILE": "label_map.pbtxt"},
    )
    scores = np.random.default_rng(3).normal(size=(count, 4)).astype(np.float32)
    offsets = np.arange(count) % 2
    predictions = SplitPredictions(
        scores=scores,
        ori_boxes=np.stack(
            [
                (1.0 + offsets) / 8,
                np.full(count, 1 / 8),
                (6.0 + offsets) / 8,
                np.full(count, 7 / 8),
            ],
            axis=1,
        ).astype(np.float32),
        video_ids=[f"test_{i:04d}" for i in range(count)],
        stamps=40 + np.arange(count) % 20,
        item_indices=np.arange(count),
        class_ids=list(toys.CLASS_IDS),
    )
    metrics = evaluate_split(
        cfg=cfg, split="test", predictions=predictions, epoch_info={"checkpoint_epoch": 2}
    )
    labels = np.stack([toys.item_labels("test", i) for i in range(count)])
    expected = np.mean(
        [_voc_ap(labels[:, k], scores[:, k]) for k in range(4) if labels[:, k].any()]
    )
    assert metrics["map"] == pytest.approx(expected, abs=1e-4)
    assert {"f1_macro", "recall_macro", "auroc_macro"} <= set(metrics)
    rows = (tmp_path / "run" / "detections_test.csv").read_text().splitlines()
    assert len(rows) == count * 4 and all(ROW.match(row) for row in rows)
    assert rows[0] == f"test_0000,0040,0.125,0.125,0.750,0.875,1,{scores[0, 0]:.4f}"
    assert (tmp_path / "run" / "ap_per_class_test.csv").exists()
    assert (tmp_path / "run" / "metrics_test.json").exists()


def test_test_checkpoint_file_path_goes_through_the_checkpoint_package(toys, tmp_path):
    pytest.importorskip("slowfast_microg.models.checkpoint")
    cfg = toys.toy_cfg(tmp_path / "run", tmp_path / "data")
    model = toys.EngineToy(cfg)
    path = tmp_path / "external.pyth"
    torch.save({"epoch": 29, "model_state": model.state_dict(), "cfg": cfg.dump()}, path)
    cfg.defrost()
    cfg.TEST.CHECKPOINT_FILE_PATH = str(path)
    cfg.TRAIN.ENABLE = False
    cfg.freeze()
    run_test(cfg)
    line = read_json_stats(tmp_path / "run" / "json_stats.log")[-1]
    assert line["checkpoint_epoch"] == 30
    model.eval()
    dataset = toys.EngineToyDataset(cfg, "test")
    batch = toys.toy_collate([dataset[i] for i in range(len(dataset))])
    with torch.no_grad():
        expected = model(batch["inputs"], batch["boxes"]).numpy()
    saved = np.load(tmp_path / "run" / "predictions_test_0.npz")
    np.testing.assert_allclose(saved["scores"], expected, rtol=1e-5, atol=1e-6)
