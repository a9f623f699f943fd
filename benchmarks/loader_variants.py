"""Loader options and collate timing for the dataset suite.

- persistent workers: several short epochs with workers started once, against workers
  started at every epoch (PyTorch's default);
- prefetch depth: ``prefetch_factor`` 2 (the default) against 4;
- pinned memory: host-to-GPU copies of pinned against pageable batches, only on a CUDA machine;
- collate: ``collate_detection`` on batches of many small items, with few and many boxes each
  (its cost must not grow per box).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from loader_measure import interleaved, make_loader, one_pass

EPOCHS = 3


def _epochs(loader) -> None:
    for _ in range(EPOCHS):
        one_pass(loader)


def _pinned_copy(dataset, *, items: int, batch_size: int, workers: int, repeats: int):
    if not torch.cuda.is_available():
        return {"measured": False, "reason": "no CUDA device on this machine"}
    device = torch.device("cuda")
    loaders = {
        name: make_loader(
            dataset, items=items, batch_size=batch_size, workers=workers, pin_memory=pin
        )
        for name, pin in (("pageable", False), ("pinned", True))
    }

    def copy_pass(loader) -> None:
        for batch in loader:
            for tensor in batch["inputs"]:
                tensor.to(device, non_blocking=True)
        torch.cuda.synchronize(device)

    timing = interleaved(
        {name: (lambda lo=loader: copy_pass(lo)) for name, loader in loaders.items()},
        repeats=repeats,
    )
    return {
        "measured": True,
        "pageable_median_s": timing["pageable"]["median_s"],
        "pinned_median_s": timing["pinned"]["median_s"],
        "pinned_speedup": timing["pageable"]["median_s"] / timing["pinned"]["median_s"],
    }


def loader_options_figures(
    dataset, *, items: int, batch_size: int, workers: int, repeats: int
) -> dict[str, Any]:
    """Persistent workers, prefetch depth and pinned memory, each against its alternative.

    Args:
        dataset: the items (the 8x8 train pipeline on JPEG frames).
        items: clips per epoch.
        batch_size: clips per batch.
        workers: loader workers (> 0).
        repeats: timed repeats (median).
    """
    workers = max(1, workers)
    kwargs = {"items": items, "batch_size": batch_size, "workers": workers}
    restart = make_loader(dataset, persistent=False, **kwargs)
    persistent = make_loader(dataset, persistent=True, **kwargs)
    epochs = interleaved(
        {"restart": lambda: _epochs(restart), "persistent": lambda: _epochs(persistent)},
        repeats=repeats,
    )
    shallow = make_loader(dataset, prefetch_factor=2, **kwargs)
    deep = make_loader(dataset, prefetch_factor=4, **kwargs)
    prefetch = interleaved(
        {"2": lambda: one_pass(shallow), "4": lambda: one_pass(deep)}, repeats=repeats
    )
    return {
        "workers": workers,
        "items_per_epoch": items,
        "persistent_workers": {
            "epochs": EPOCHS,
            "restart_each_epoch_s": epochs["restart"]["median_s"],
            "persistent_s": epochs["persistent"]["median_s"],
            "speedup": epochs["restart"]["median_s"] / epochs["persistent"]["median_s"],
        },
        "prefetch_factor": {
            "2_ms_per_clip": 1000 * prefetch["2"]["median_s"] / items,
            "4_ms_per_clip": 1000 * prefetch["4"]["median_s"] / items,
            "speedup_4_over_2": prefetch["2"]["median_s"] / prefetch["4"]["median_s"],
        },
        "pin_memory": _pinned_copy(dataset, repeats=repeats, **kwargs),
    }


def _fake_item(boxes: int, generator: torch.Generator) -> dict:
    return {
        "inputs": [torch.rand(3, 2, 8, 8, generator=generator), torch.rand(3, 8, 8, 8)],
        "boxes": torch.rand(boxes, 4, generator=generator),
        "ori_boxes": torch.rand(boxes, 4, generator=generator),
        "labels": torch.zeros(boxes, 50),
        "metadata": torch.zeros(boxes, 2, dtype=torch.int64),
        "clip_id": "clip",
    }


def collate_figures(
    collate: Callable[[list[dict]], dict], *, repeats: int, batch: int = 64
) -> dict[str, Any]:
    """Microseconds per batch of ``batch`` small items with 2 and with 64 boxes each."""
    generator = torch.Generator().manual_seed(0)
    out: dict[str, Any] = {"batch_size": batch}
    for boxes in (2, 64):
        items = [_fake_item(boxes, generator) for _ in range(batch)]
        collate(items)
        times = []
        for _ in range(max(repeats, 5)):
            start = time.perf_counter()
            for _ in range(20):
                collate(items)
            times.append((time.perf_counter() - start) / 20)
        out[f"{boxes}_boxes_per_item_us_per_batch"] = 1e6 * statistics.median(times)
    out["per_box_growth"] = (
        out["64_boxes_per_item_us_per_batch"] / out["2_boxes_per_item_us_per_batch"]
    )
    return out
