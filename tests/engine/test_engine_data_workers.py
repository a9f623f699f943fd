"""Persistent loader workers: every epoch's items are augmented as in-process loading does."""

import torch

from slowfast_microg.engine.data import build_split_loader


def _epochs(cfg, epochs):
    split = build_split_loader(cfg, "train", rank=0, world_size=1)
    assert split.loader.persistent_workers == (cfg.DATA_LOADER.NUM_WORKERS > 0)
    return [
        [(batch["indices"], batch["inputs"][0]) for batch in split.batches(epoch)]
        for epoch in epochs
    ]


def test_persistent_workers_follow_the_epoch(toys, tmp_path):
    in_process = toys.toy_cfg(tmp_path / "a", tmp_path / "data")
    workers = toys.toy_cfg(
        tmp_path / "b",
        tmp_path / "data",
        {"DATA_LOADER.NUM_WORKERS": 2, "DATA_LOADER.PREFETCH_FACTOR": 3},
    )
    expected = _epochs(in_process, [0, 1, 0])
    got = _epochs(workers, [0, 1, 0])
    for want_epoch, got_epoch in zip(expected, got, strict=True):
        assert len(want_epoch) == len(got_epoch) == 6
        for (want_ids, want_clips), (got_ids, got_clips) in zip(want_epoch, got_epoch, strict=True):
            assert torch.equal(want_ids, got_ids)
            assert torch.equal(want_clips, got_clips)
    # The train augmentation depends on the epoch: an item differs between epochs 0 and 1.
    first = {int(i): clip for ids, clips in got[0] for i, clip in zip(ids, clips, strict=True)}
    second = {int(i): clip for ids, clips in got[1] for i, clip in zip(ids, clips, strict=True)}
    shared = sorted(set(first) & set(second))
    assert shared and all(not torch.equal(first[i], second[i]) for i in shared)
    # Epoch 0 read again by the same persistent workers gives the same items.
    for (ids_a, clips_a), (ids_b, clips_b) in zip(got[0], got[2], strict=True):
        assert torch.equal(ids_a, ids_b) and torch.equal(clips_a, clips_b)
