"""Prediction gathering, zero-shot class selection, json_stats lines and the metrics table."""

import numpy as np
import pytest

from slowfast_microg.engine.predict import _merge_shards, select_label_map_outputs
from slowfast_microg.engine.stats import format_json_stats, metrics_table, read_json_stats

MICROG_IDS = [1, 3, 5, 6, 80]


class _Dataset:
    class_ids = [1, 3, 5]
    video_names = ["a_001", "b_002", "c_003", "d_004"]

    def __len__(self):
        return 4


def test_zero_shot_selects_ava_ids_from_an_80_class_model():
    # Column j of an AVA-80 model is AVA id j + 1: fill each column with its id.
    scores = np.tile(np.arange(1, 81, dtype=np.float32), (3, 1))
    selected = select_label_map_outputs(scores, class_ids=MICROG_IDS, num_model_classes=80)
    assert selected.shape == (3, 5)
    np.testing.assert_array_equal(selected[0], MICROG_IDS)


def test_selection_is_identity_when_the_model_has_the_label_map_size():
    scores = np.random.default_rng(0).normal(size=(2, 5))
    same = select_label_map_outputs(scores, class_ids=MICROG_IDS, num_model_classes=5)
    assert same is scores


def test_selection_rejects_ids_the_model_cannot_score():
    with pytest.raises(ValueError, match=r"ids \[80\] have no output"):
        select_label_map_outputs(np.zeros((1, 60)), class_ids=MICROG_IDS, num_model_classes=60)


def _shard(items, boxes_per_item):
    rows = [(i, b) for i in items for b in range(boxes_per_item[i])]
    return {
        "scores": np.array([[i, b, 0.5] for i, b in rows], dtype=np.float32),
        "ori_boxes": np.array([[0.1 * b, 0, 1, 1] for _, b in rows], dtype=np.float32),
        "metadata": np.array([[i, 50 + i] for i, _ in rows]),
        "item_indices": np.array([i for i, _ in rows]),
        "visited": np.array(items),
    }


def test_merge_orders_boxes_by_item_and_keeps_box_order():
    boxes = {0: 1, 1: 2, 2: 1, 3: 2}
    merged = _merge_shards(
        [_shard([0, 2], boxes), _shard([1, 3], boxes)], dataset=_Dataset(), num_model_classes=3
    )
    np.testing.assert_array_equal(merged.item_indices, [0, 1, 1, 2, 3, 3])
    np.testing.assert_array_equal(merged.scores[:, 1], [0, 0, 1, 0, 0, 1])
    assert merged.video_ids == ["a_001", "b_002", "b_002", "c_003", "d_004", "d_004"]
    np.testing.assert_array_equal(merged.stamps, [50, 51, 51, 52, 53, 53])
    assert merged.class_ids == [1, 3, 5]


@pytest.mark.parametrize(
    "shards, message",
    [
        ([[0, 1], [2, 3, 0]], r"repeated \[0\]"),
        ([[0, 1], [3]], r"missing \[2\]"),
    ],
)
def test_merge_rejects_padded_duplicates_and_gaps(shards, message):
    boxes = {i: 1 for i in range(4)}
    with pytest.raises(RuntimeError, match=message):
        _merge_shards([_shard(s, boxes) for s in shards], dataset=_Dataset(), num_model_classes=3)


def test_json_stats_lines_reproduce_the_authors_file(fixtures_dir):
    path = fixtures_dir / "engine" / "i3d_8x8_r50_json_stats.log"
    lines = [line for line in path.read_text().splitlines() if line.startswith("json_stats")]
    records = read_json_stats(path)  # the file's last line, "Params: ...", is not a record
    assert len(records) == len(lines) == 9
    for line, record in zip(lines, records, strict=True):
        assert line.startswith(format_json_stats(record))
    assert records[-1]["mode"] == "test" and records[-1]["map"] == 0.46409


def test_metrics_table_in_percent():
    table = metrics_table({"test": {"map": 0.46409, "f1_macro": 0.26372, "auroc_macro": 0.88787}})
    assert table.splitlines()[0] == "| run | mAP | F1 | Recall | AUROC |"
    assert table.splitlines()[2] == "| test | 46.41 | 26.37 | - | 88.79 |"
