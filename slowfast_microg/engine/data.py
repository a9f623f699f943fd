"""Data loading for the engine: seeded items, decode-failure capture, resumable loaders."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from fvcore.common.config import CfgNode
from torch.utils.data import DataLoader, Dataset, Sampler

from slowfast_microg.engine.sampler import EpochSampler

logger = logging.getLogger(__name__)


def _decode_errors() -> tuple[type[BaseException], ...]:
    """Exception types a clip that cannot be read or decoded raises (PyAV, PIL, OS, ...)."""
    errors: tuple[type[BaseException], ...] = (OSError, RuntimeError, ValueError)
    try:
        import av
    except ImportError:
        return errors
    return errors + (av.error.FFmpegError,)


DECODE_ERRORS = _decode_errors()


def detection_collate() -> Callable[[list[dict]], dict]:
    """The dataset package's ``collate_detection`` (items -> batch dict, see CONTRACTS)."""
    from slowfast_microg.datasets.loader import collate_detection

    return collate_detection


def item_seed(base_seed: int, epoch: int, index: int) -> int:
    """Seed of the random augmentation of item ``index`` in ``epoch`` (32-bit)."""
    return int(np.random.SeedSequence([base_seed, epoch, index]).generate_state(1)[0])


class GuardedDataset(Dataset):
    """Wraps a dataset so each item is reproducible and decode failures become data.

    ``dataset[index]`` runs with Python, numpy and torch generators seeded from
    ``(seed, epoch, index)`` and the caller's generator states restored afterwards, so an
    item's random augmentation depends only on those three numbers: not on the worker that
    loads it, the number of processes, or where a resumed run restarted.

    A key is ``(epoch, index)`` (what :class:`EpochTaggedSampler` yields, so loader workers,
    persistent ones included, need no shared epoch state) or a plain index of epoch
    ``self.epoch``. Items are returned as ``(index, item, error)``. With ``catch_errors`` a
    clip raising one of ``DECODE_ERRORS`` gives ``(index, None, message)``; otherwise the
    error propagates with the item index added.
    """

    def __init__(self, dataset: Dataset, *, seed: int, catch_errors: bool) -> None:
        self.dataset = dataset
        self.seed = seed
        self.catch_errors = catch_errors
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.dataset)

    def _load(self, epoch: int, index: int) -> dict:
        seed = item_seed(self.seed, epoch, index)
        py_state, np_state = random.getstate(), np.random.get_state()
        try:
            with torch.random.fork_rng(devices=[]):
                random.seed(seed)
                np.random.seed(seed)
                torch.manual_seed(seed)
                return self.dataset[index]
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)

    def __getitem__(self, key: int | tuple[int, int]) -> tuple[int, dict | None, str | None]:
        epoch, index = key if isinstance(key, tuple) else (self.epoch, key)
        try:
            return index, self._load(epoch, index), None
        except DECODE_ERRORS as err:
            if not self.catch_errors:
                raise RuntimeError(f"Item {index} of the dataset failed to load: {err}") from err
            message = f"{type(err).__name__}: {err}"
            logger.error("Item %d failed to load and is skipped: %s", index, message)
            return index, None, message


class EpochTaggedSampler(Sampler[tuple[int, int]]):
    """``(epoch, index)`` for each index of an :class:`EpochSampler`'s current epoch."""

    def __init__(self, sampler: EpochSampler) -> None:
        self.sampler = sampler

    def __iter__(self) -> Iterator[tuple[int, int]]:
        epoch = self.sampler.epoch
        return ((epoch, index) for index in self.sampler)

    def __len__(self) -> int:
        return len(self.sampler)


class BatchCollator:
    """Collate ``GuardedDataset`` results into a batch dict plus bookkeeping.

    Adds ``"indices"`` (B,) LongTensor: the dataset index of each collated item (in the
    order of ``"inputs"``), and ``"failures"``: ``[(index, message)]`` of the items that
    failed. A batch whose items all failed holds only those two keys.
    """

    def __init__(self, collate_items: Callable[[list[dict]], dict]) -> None:
        self.collate_items = collate_items

    def __call__(self, results: list[tuple[int, dict | None, str | None]]) -> dict[str, Any]:
        good = [(index, item) for index, item, _ in results if item is not None]
        batch = self.collate_items([item for _, item in good]) if good else {}
        batch["indices"] = torch.tensor([index for index, _ in good], dtype=torch.long)
        batch["failures"] = [(index, error) for index, item, error in results if item is None]
        return batch


@dataclass
class SplitLoader:
    """A split's dataset with its resumable sampler and loader for this process."""

    dataset: Dataset
    guarded: GuardedDataset
    sampler: EpochSampler
    loader: DataLoader
    batch_size: int

    @property
    def iterations_per_epoch(self) -> int:
        """Batches this process draws in a full epoch (the same on every process in training)."""
        return -(-self.sampler.shard_size() // self.batch_size)

    def batches(self, epoch: int, *, skip_batches: int = 0) -> Iterator[dict]:
        """Iterate ``epoch``'s batches, starting after the first ``skip_batches``."""
        self.sampler.set_epoch(epoch, skip=skip_batches * self.batch_size)
        return iter(self.loader)


def build_split_loader(
    cfg: CfgNode,
    split: str,
    *,
    rank: int,
    world_size: int,
    dataset: Dataset | None = None,
) -> SplitLoader:
    """Build the loader of ``split`` ("train", "val" or "test") for one process.

    Training shuffles with an epoch-seeded permutation and drops the incomplete last global
    batch; val/test visit every item once across processes, in dataset order, unpadded.

    Args:
        cfg: validated config.
        split: dataset split.
        rank: global rank of this process.
        world_size: number of processes.
        dataset: an already built dataset of that split (built from the registry if None).
    """
    from slowfast_microg.datasets.registry import build_dataset

    training = split == "train"
    name = cfg.TRAIN.DATASET if training else cfg.TEST.DATASET
    global_batch = cfg.TRAIN.BATCH_SIZE if training else cfg.TEST.BATCH_SIZE
    if global_batch % world_size:
        raise ValueError(
            f"{'TRAIN' if training else 'TEST'}.BATCH_SIZE ({global_batch}) must be a multiple "
            f"of the number of processes ({world_size})."
        )
    dataset = build_dataset(name, cfg, split) if dataset is None else dataset
    guarded = GuardedDataset(dataset, seed=cfg.RNG_SEED, catch_errors=training)
    sampler = EpochSampler(
        len(dataset),
        shuffle=training,
        seed=cfg.RNG_SEED,
        rank=rank,
        world_size=world_size,
        global_batch_size=global_batch if training else None,
    )
    batch_size = global_batch // world_size
    workers = cfg.DATA_LOADER.NUM_WORKERS
    loader = DataLoader(
        guarded,
        batch_size=batch_size,
        sampler=EpochTaggedSampler(sampler),
        num_workers=workers,
        pin_memory=cfg.DATA_LOADER.PIN_MEMORY and cfg.NUM_GPUS > 0,
        collate_fn=BatchCollator(detection_collate()),
        drop_last=False,
        generator=torch.Generator().manual_seed(cfg.RNG_SEED),
        persistent_workers=workers > 0,
        prefetch_factor=cfg.DATA_LOADER.PREFETCH_FACTOR if workers > 0 else None,
    )
    logger.info(
        "%s split: %d items, %d per process batch, %d worker(s)",
        split,
        len(dataset),
        batch_size,
        cfg.DATA_LOADER.NUM_WORKERS,
    )
    return SplitLoader(
        dataset=dataset, guarded=guarded, sampler=sampler, loader=loader, batch_size=batch_size
    )


def resolve_data_path(cfg: CfgNode, folder: str, name: str = "") -> Path:
    """``folder/name`` resolved against ``DATA.PATH_TO_DATA_DIR`` when ``folder`` is relative."""
    base = Path(folder)
    if not base.is_absolute():
        base = Path(cfg.DATA.PATH_TO_DATA_DIR) / base
    return base / name if name else base


def ensure_sample_data(cfg: CfgNode) -> None:
    """With ``MICROG.GENERATE_SAMPLE``, write the synthetic sample when the folder lacks it.

    The sample is taken as present when the label map
    (``AVA.ANNOTATION_DIR/AVA.LABEL_MAP_FILE``) exists under ``DATA.PATH_TO_DATA_DIR``.
    """
    if not cfg.MICROG.GENERATE_SAMPLE:
        return
    if not cfg.DATA.PATH_TO_DATA_DIR:
        raise ValueError("MICROG.GENERATE_SAMPLE needs DATA.PATH_TO_DATA_DIR (the sample folder).")
    label_map = resolve_data_path(cfg, cfg.AVA.ANNOTATION_DIR, cfg.AVA.LABEL_MAP_FILE)
    if label_map.exists():
        logger.info("Sample data already present in %s", cfg.DATA.PATH_TO_DATA_DIR)
        return
    from slowfast_microg.datasets.sample import generate_sample

    logger.info("Generating the synthetic sample into %s", cfg.DATA.PATH_TO_DATA_DIR)
    generate_sample(root=cfg.DATA.PATH_TO_DATA_DIR)
