"""A deterministic, shardable, resumable sampler: each epoch's order is a function of the seed."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import torch
from torch.utils.data import Sampler

logger = logging.getLogger(__name__)


class EpochSampler(Sampler[int]):
    """Dataset indices of one epoch for one process, able to skip what was already consumed.

    The global order of epoch ``e`` is ``randperm(num_items)`` drawn from a generator seeded
    with ``seed + e`` (or ``0..num_items-1`` without shuffling). For training,
    ``global_batch_size`` drops the incomplete last global batch. Process ``rank`` takes every
    ``world_size``-th index starting at ``rank``, so with a per-process batch of
    ``global_batch_size / world_size`` the processes' batches at step ``k`` together are
    exactly global batch ``k`` of a single-process run. Nothing is padded: without
    ``global_batch_size`` the ranks may get one index more or less.

    Args:
        num_items: dataset length.
        shuffle: permute the indices each epoch.
        seed: base seed of the permutation.
        rank: this process's global rank.
        world_size: number of processes.
        global_batch_size: drop the trailing ``num_items % global_batch_size`` indices.
    """

    def __init__(
        self,
        num_items: int,
        *,
        shuffle: bool,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        global_batch_size: int | None = None,
    ) -> None:
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is outside world size {world_size}.")
        self.num_items = num_items
        self.shuffle = shuffle
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.global_batch_size = global_batch_size
        self.epoch = 0
        self.skip = 0

    def set_epoch(self, epoch: int, *, skip: int = 0) -> None:
        """Select ``epoch``'s order and skip its first ``skip`` indices of this process."""
        self.epoch = epoch
        self.skip = skip

    def global_order(self, epoch: int) -> list[int]:
        """All indices of ``epoch`` in visiting order, before sharding."""
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed + epoch)
            order = torch.randperm(self.num_items, generator=generator).tolist()
        else:
            order = list(range(self.num_items))
        if self.global_batch_size:
            order = order[: len(order) - len(order) % self.global_batch_size]
        return order

    def __iter__(self) -> Iterator[int]:
        shard = self.global_order(self.epoch)[self.rank :: self.world_size]
        return iter(shard[self.skip :])

    def shard_size(self) -> int:
        """Indices this process visits in a full epoch (nothing skipped)."""
        usable = self.num_items
        if self.global_batch_size:
            usable -= usable % self.global_batch_size
        return len(range(self.rank, usable, self.world_size))

    def __len__(self) -> int:
        return max(0, self.shard_size() - self.skip)
