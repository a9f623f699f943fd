"""Run a stage's per-item function over its jobs, in-process or in a pool of processes."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any


def results(work: Callable[[Any], dict], jobs: list, *, workers: int) -> Iterator[dict]:
    """Yield ``work(job)`` for every job, in completion order.

    Args:
        work: a module-level function (picklable) that never raises.
        jobs: its arguments, one per item.
        workers: processes; 1 (or a single job) runs in this process.
    """
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield work(job)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(work, job) for job in jobs]
        for future in as_completed(futures):
            yield future.result()
