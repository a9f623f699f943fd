"""The resumable sampler: deterministic epochs, exact sharding, skipping, no padding."""

import torch

from slowfast_microg.engine.sampler import EpochSampler


def _batches(indices, size):
    return [indices[i : i + size] for i in range(0, len(indices), size)]


def test_epoch_order_is_a_seeded_permutation():
    sampler = EpochSampler(10, shuffle=True, seed=3)
    sampler.set_epoch(2)
    expected = torch.randperm(10, generator=torch.Generator().manual_seed(5)).tolist()
    assert list(sampler) == expected
    sampler.set_epoch(3)
    assert sorted(sampler) == list(range(10)) and list(sampler) != expected


def test_shards_reassemble_the_single_process_global_batches():
    """With batch G/W per process, step k of W processes covers global batch k exactly."""
    global_batch, world = 4, 2
    single = EpochSampler(23, shuffle=True, seed=1, global_batch_size=global_batch)
    single.set_epoch(1)
    reference = _batches(list(single), global_batch)
    assert len(reference) == 5 and all(len(b) == 4 for b in reference)
    shards = []
    for rank in range(world):
        sampler = EpochSampler(
            23, shuffle=True, seed=1, rank=rank, world_size=world, global_batch_size=global_batch
        )
        sampler.set_epoch(1)
        assert len(sampler) == 10
        shards.append(_batches(list(sampler), global_batch // world))
    for step, batch in enumerate(reference):
        assert sorted(shards[0][step] + shards[1][step]) == sorted(batch)


def test_skip_resumes_inside_the_epoch():
    sampler = EpochSampler(12, shuffle=True, seed=0, global_batch_size=4)
    sampler.set_epoch(4)
    full = list(sampler)
    sampler.set_epoch(4, skip=8)
    assert list(sampler) == full[8:]
    assert len(sampler) == 4 and sampler.shard_size() == 12


def test_evaluation_shards_cover_every_item_once_without_padding():
    parts = []
    for rank in range(3):
        sampler = EpochSampler(10, shuffle=False, seed=0, rank=rank, world_size=3)
        parts.append(list(sampler))
        assert len(sampler) == len(parts[-1])
    assert [len(p) for p in parts] == [4, 3, 3]
    assert sorted(sum(parts, [])) == list(range(10))
