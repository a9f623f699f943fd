"""Run a stage's per-item function over its items, in-process or in a pool of processes, each
item timed and guarded so that one bad item fails alone."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from data_prep.manifest import DONE, FAILED, Timer


def _guarded(job: tuple[Callable[..., dict], str, dict[str, Any]]) -> dict:
    """``work(**kwargs)`` for item ``key`` with its status, reason and seconds; never raises."""
    work, key, kwargs = job
    timer = Timer()
    try:
        output = work(**kwargs)
        return {"key": key, "status": DONE, "reason": None, "seconds": timer.seconds, **output}
    except Exception as err:  # one bad item must not stop the run
        reason = f"{type(err).__name__}: {err}"
        return {"key": key, "status": FAILED, "reason": reason, "seconds": timer.seconds}


def results(
    work: Callable[..., dict], items: list[tuple[str, dict[str, Any]]], *, workers: int
) -> Iterator[dict]:
    """Yield the result of ``work`` for every item, in completion order.

    Args:
        work: a module-level function (picklable) taking an item's keyword arguments and
            returning a dict merged into the result.
        items: (key, keyword arguments) per item.
        workers: processes; 1 (or a single item) runs in this process.

    Yields:
        ``{"key", "status" (done or failed), "reason" (None or the error), "seconds", ...}``
        plus what ``work`` returned.
    """
    jobs = [(work, key, kwargs) for key, kwargs in items]
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield _guarded(job)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_guarded, job) for job in jobs]
        for future in as_completed(futures):
            yield future.result()
