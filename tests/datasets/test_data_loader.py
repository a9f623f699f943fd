"""Batching and data loaders: contract shapes, batch indices, samplers, distributed splitting."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DistributedSampler

from slowfast_microg.config.loader import ConfigError
from slowfast_microg.datasets import collate_detection, construct_loader, shuffle_dataset
from slowfast_microg.datasets import loader as loader_module
from slowfast_microg.datasets.loader import ShardSampler


def _item(num_boxes, value, clip_id):
    return {
        "inputs": [torch.full((3, 2, 4, 4), value), torch.full((3, 8, 4, 4), value)],
        "boxes": torch.arange(num_boxes * 4, dtype=torch.float32).view(num_boxes, 4) + value,
        "ori_boxes": torch.full((num_boxes, 4), value / 10),
        "labels": torch.full((num_boxes, 50), value),
        "metadata": torch.tensor([[int(value), 40 + i] for i in range(num_boxes)]).view(
            num_boxes, 2
        ),
        "clip_id": clip_id,
    }


def test_collate_detection():
    items = [_item(1, 0.0, "a"), _item(0, 1.0, "b"), _item(3, 2.0, "c")]
    batch = collate_detection(items)
    slow, fast = batch["inputs"]
    assert slow.shape == (3, 3, 2, 4, 4) and fast.shape == (3, 3, 8, 4, 4)
    assert torch.equal(fast[2], items[2]["inputs"][1])
    assert batch["boxes"].shape == (4, 5)
    assert batch["boxes"][:, 0].tolist() == [0.0, 2.0, 2.0, 2.0]
    assert torch.equal(batch["boxes"][1:, 1:], items[2]["boxes"])
    assert batch["ori_boxes"].shape == (4, 4) and batch["labels"].shape == (4, 50)
    assert batch["metadata"].tolist() == [[0, 40], [2, 40], [2, 41], [2, 42]]
    assert batch["clip_ids"] == ["a", "b", "c"]
    with pytest.raises(ValueError):
        collate_detection([])


def test_train_and_test_loaders(sample_dir, cfg_for):
    cfg = cfg_for(sample_dir, TRAIN__BATCH_SIZE=2, TEST__BATCH_SIZE=2)
    train = construct_loader(cfg, "train")
    assert train.drop_last and train.batch_size == 2
    assert len(train) == len(train.dataset) // 2
    batch = next(iter(train))
    assert [x.shape[:3] for x in batch["inputs"]] == [(2, 3, 2), (2, 3, 8)]
    assert batch["boxes"].shape[1] == 5 and set(batch["boxes"][:, 0].tolist()) == {0.0, 1.0}
    test = construct_loader(cfg, "test")
    assert not test.drop_last
    order = [clip for batch in test for clip in batch["clip_ids"]]
    assert order == [test.dataset.keyframe(i)[1].clip_id for i in range(len(test.dataset))]
    assert not train.pin_memory or torch.cuda.is_available()


def test_worker_processes(sample_dir, cfg_for):
    cfg = cfg_for(sample_dir, DATA_LOADER__NUM_WORKERS=1, DATA_LOADER__PREFETCH_FACTOR=3)
    loader = construct_loader(cfg, "val")
    assert loader.persistent_workers and loader.prefetch_factor == 3
    first = [b["clip_ids"] for b in loader]
    workers = loader._iterator._workers
    assert sum(len(ids) for ids in first) == len(loader.dataset)
    assert [b["clip_ids"] for b in loader] == first
    assert loader._iterator._workers == workers, "the same worker processes serve every epoch"
    in_process = construct_loader(cfg_for(sample_dir), "val")
    assert not in_process.persistent_workers and in_process.prefetch_factor is None


def test_batch_larger_than_the_train_split(sample_dir, cfg_for):
    with pytest.raises(ConfigError, match=r"fewer than one batch of TRAIN\.BATCH_SIZE = 64"):
        construct_loader(cfg_for(sample_dir, TRAIN__BATCH_SIZE=64), "train")


def test_distributed_loaders(sample_dir, cfg_for, monkeypatch):
    monkeypatch.setattr(loader_module, "world", lambda: (2, 1))
    cfg = cfg_for(sample_dir, TRAIN__BATCH_SIZE=4, TEST__BATCH_SIZE=4)
    train = construct_loader(cfg, "train")
    assert isinstance(train.sampler, DistributedSampler)
    assert (train.sampler.num_replicas, train.sampler.rank) == (2, 1)
    assert train.batch_size == 2
    shuffle_dataset(train, 3)
    assert train.sampler.epoch == 3
    test = construct_loader(cfg, "test")
    assert isinstance(test.sampler, ShardSampler) and test.batch_size == 2
    with pytest.raises(ConfigError, match=r"TEST\.BATCH_SIZE \(3\) must be a multiple"):
        construct_loader(cfg_for(sample_dir, TEST__BATCH_SIZE=3), "test")


def test_shard_sampler_scores_every_item_once():
    shards = [list(ShardSampler(11, rank=r, world_size=3)) for r in range(3)]
    assert sorted(i for shard in shards for i in shard) == list(range(11))
    assert [len(ShardSampler(11, rank=r, world_size=3)) for r in range(3)] == [4, 4, 3]
