"""Batching of detection items and the train/val/test data loaders.

Under ``torch.distributed`` with more than one process, the train loader shuffles with a
``DistributedSampler`` (call :func:`shuffle_dataset` each epoch) and each process gets
``TRAIN.BATCH_SIZE / world_size`` items; val/test loaders give each process the keyframes
``rank, rank + world_size, ...`` without padding, so every keyframe is scored exactly once.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator

import numpy as np
import torch
import torch.distributed as dist
from fvcore.common.config import CfgNode
from torch.utils.data import DataLoader, DistributedSampler, Sampler, default_collate

from slowfast_microg.config.loader import ConfigError
from slowfast_microg.datasets.registry import build_dataset

logger = logging.getLogger(__name__)


def collate_detection(items: list[dict]) -> dict:
    """Batch detection items (see ``MicroG.__getitem__``).

    Returns:
        "inputs": list of (B, C, T_p, H, W) per pathway; "boxes": (N, 5) rows of
        (batch_index, x1, y1, x2, y2); "ori_boxes": (N, 4); "labels": (N, K);
        "metadata": (N, 2) int64; "clip_ids": list of B clip ids.
    """
    if not items:
        raise ValueError("collate_detection needs at least one item")
    num_pathways = len(items[0]["inputs"])
    # default_collate stacks tensors straight into shared memory inside a loader worker, so the
    # batch is not copied again to cross to the main process.
    inputs = [default_collate([item["inputs"][p] for item in items]) for p in range(num_pathways)]
    counts = torch.tensor([len(item["boxes"]) for item in items], dtype=torch.int64)
    boxes = torch.cat([item["boxes"] for item in items])
    batch_index = torch.repeat_interleave(torch.arange(len(items), dtype=boxes.dtype), counts)
    return {
        "inputs": inputs,
        "boxes": torch.cat([batch_index[:, None], boxes], dim=1),
        "ori_boxes": torch.cat([item["ori_boxes"] for item in items]),
        "labels": torch.cat([item["labels"] for item in items]),
        "metadata": torch.cat([item["metadata"] for item in items]),
        "clip_ids": [item["clip_id"] for item in items],
    }


class ShardSampler(Sampler[int]):
    """Indices ``rank, rank + world_size, ...`` in order, without padding or repetition."""

    def __init__(self, num_items: int, *, rank: int, world_size: int) -> None:
        self.num_items = num_items
        self.rank = rank
        self.world_size = world_size

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.rank, self.num_items, self.world_size))

    def __len__(self) -> int:
        return len(range(self.rank, self.num_items, self.world_size))


def world() -> tuple[int, int]:
    """(world_size, rank) of the initialised process group, else (1, 0)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(), dist.get_rank()
    return 1, 0


def seed_worker(worker_id: int) -> None:
    """Seed Python's and numpy's generators of a loader worker from its torch seed."""
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def construct_loader(cfg: CfgNode, split: str) -> DataLoader:
    """Build the data loader of ``split`` ("train", "val" or "test").

    The dataset is ``TRAIN.DATASET`` for train and ``TEST.DATASET`` otherwise. Train loaders
    shuffle and drop the last incomplete batch; val/test loaders keep the dataset order.
    Workers are persistent when ``DATA_LOADER.NUM_WORKERS > 0`` and each loads
    ``DATA_LOADER.PREFETCH_FACTOR`` batches ahead; memory is pinned when
    ``DATA_LOADER.PIN_MEMORY`` and CUDA is available.

    Raises:
        ConfigError: the global batch size does not divide among the processes, or the train
            split has fewer keyframes than one batch.
    """
    is_train = split == "train"
    name = cfg.TRAIN.DATASET if is_train else cfg.TEST.DATASET
    global_batch = cfg.TRAIN.BATCH_SIZE if is_train else cfg.TEST.BATCH_SIZE
    key = "TRAIN.BATCH_SIZE" if is_train else "TEST.BATCH_SIZE"
    world_size, rank = world()
    if global_batch % world_size:
        raise ConfigError(
            f"{key} ({global_batch}) must be a multiple of the number of processes ({world_size})."
        )
    batch_size = global_batch // world_size
    dataset = build_dataset(name, cfg, split)
    if is_train and len(dataset) < batch_size * world_size:
        raise ConfigError(
            f"The train split has {len(dataset)} keyframes, fewer than one batch of {key} = "
            f"{global_batch}; every batch would be dropped. Lower {key}."
        )
    sampler = None
    if world_size > 1:
        sampler = (
            DistributedSampler(dataset, num_replicas=world_size, rank=rank, seed=cfg.RNG_SEED)
            if is_train
            else ShardSampler(len(dataset), rank=rank, world_size=world_size)
        )
    workers = cfg.DATA_LOADER.NUM_WORKERS
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=is_train and sampler is None,
        sampler=sampler,
        num_workers=workers,
        collate_fn=collate_detection,
        pin_memory=cfg.DATA_LOADER.PIN_MEMORY and torch.cuda.is_available(),
        drop_last=is_train,
        worker_init_fn=seed_worker,
        persistent_workers=workers > 0,
        prefetch_factor=cfg.DATA_LOADER.PREFETCH_FACTOR if workers > 0 else None,
        generator=torch.Generator().manual_seed(cfg.RNG_SEED + rank),
    )


def shuffle_dataset(loader: DataLoader, epoch: int) -> None:
    """Give a distributed train loader the epoch, so each epoch is shuffled differently."""
    if isinstance(loader.sampler, DistributedSampler):
        loader.sampler.set_epoch(epoch)
