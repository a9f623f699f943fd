"""Measurement helpers for the model suites: steps, wall/CPU timing, peak memory.

A *step* is a zero-argument callable running one forward (``no_grad``) or one forward and
backward pass of a model on a fixed batch. Timings synchronise CUDA before reading the clock;
CPU time (``time.process_time``, all threads of this process) is recorded next to wall time
because other jobs may share the machine. Peak memory is read from CUDA's allocator
statistics on a GPU and from the process's peak resident set (``VmHWM``, reset through
``/proc/self/clear_refs``) on a CPU, with glibc's allocation caching limited during that one
pass so that the resident set follows the live tensors.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from slowfast_microg.models.acceleration import autocast_context

Step = Callable[[], Any]

# glibc mallopt parameters (malloc.h). Setting either disables glibc's dynamic thresholds.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_TIGHT = {_M_MMAP_THRESHOLD: 128 * 1024, _M_TRIM_THRESHOLD: 128 * 1024}
# The values glibc's dynamic thresholds settle at once large blocks have been freed.
_STEADY = {_M_MMAP_THRESHOLD: 32 * 1024 * 1024, _M_TRIM_THRESHOLD: 64 * 1024 * 1024}


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


@contextlib.contextmanager
def tight_malloc() -> Iterator[bool]:
    """Release cached free memory and map every block of 128 KiB or more separately.

    Inside the block, a tensor's pages enter the resident set when it is allocated and leave
    it when it is freed, so the peak resident set follows the live tensors. Afterwards the
    thresholds go back to the values glibc's dynamic thresholds reach in a long run. Yields
    False (and changes nothing) where glibc is not the allocator.
    """
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        yield False
        return
    libc.malloc_trim(0)
    for param, value in _TIGHT.items():
        libc.mallopt(param, value)
    try:
        yield True
    finally:
        for param, value in _STEADY.items():
            libc.mallopt(param, value)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def forward_step(
    model: nn.Module,
    call: Callable[[], Any],
    *,
    device: torch.device,
    amp_dtype: torch.dtype | None,
) -> Step:
    """One inference pass: eval mode, ``no_grad``, autocast when ``amp_dtype`` is set."""

    def step() -> None:
        model.eval()
        with torch.no_grad(), autocast_context(device, amp_dtype):
            call()

    return step


def scalar_loss(output: Any) -> torch.Tensor:
    """BCE on fixed targets for per-box scores; the mean of every feature map otherwise."""
    if isinstance(output, torch.Tensor) and output.dim() == 2:
        scores = output.float()
        targets = torch.zeros_like(scores)
        targets[:, ::7] = 1.0
        return F.binary_cross_entropy_with_logits(scores, targets)
    maps = output if isinstance(output, (list, tuple)) else [output]
    return sum(m.float().mean() for m in maps)


def train_step(
    model: nn.Module,
    call: Callable[[], Any],
    *,
    device: torch.device,
    amp_dtype: torch.dtype | None,
) -> Step:
    """One training pass without the optimiser update: train mode, forward, loss, backward."""
    params = [p for p in model.parameters() if p.requires_grad]

    def step() -> None:
        model.train()
        for p in params:
            p.grad = None
        with autocast_context(device, amp_dtype):
            output = call()
        scalar_loss(output).backward()

    return step


def time_step(
    step: Step, *, device: torch.device, repeats: int, warmup: int, clips: int
) -> dict[str, Any]:
    """Run ``step`` ``warmup`` times, then time ``repeats`` runs.

    Returns:
        Per-repeat wall and CPU seconds, their medians, and clips per second from each median.
    """
    for _ in range(warmup):
        step()
    _sync(device)
    wall, cpu = [], []
    for _ in range(repeats):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        step()
        _sync(device)
        wall.append(time.perf_counter() - start_wall)
        cpu.append(time.process_time() - start_cpu)
    return _summary(wall, cpu, clips=clips)


def _summary(wall: list[float], cpu: list[float], *, clips: int) -> dict[str, Any]:
    wall_median, cpu_median = statistics.median(wall), statistics.median(cpu)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "wall_median_s": wall_median,
        "cpu_median_s": cpu_median,
        "clips_per_s_wall": clips / wall_median,
        "clips_per_s_cpu": clips / cpu_median,
    }


def time_interleaved(
    steps: dict[str, Step], *, device: torch.device, repeats: int, warmup: int, clips: int
) -> dict[str, dict[str, Any]]:
    """Time several steps in alternating order (ABAB, then BABA...) so load drift hits all.

    Returns:
        ``{name: summary}`` as :func:`time_step` gives for one step.
    """
    names = list(steps)
    for _ in range(warmup):
        for name in names:
            steps[name]()
    _sync(device)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        order = names if repeat % 2 == 0 else names[::-1]
        for name in order:
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            steps[name]()
            _sync(device)
            wall[name].append(time.perf_counter() - start_wall)
            cpu[name].append(time.process_time() - start_cpu)
    return {name: _summary(wall[name], cpu[name], clips=clips) for name in names}


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def peak_memory(step: Step, *, device: torch.device, clips: int) -> dict[str, Any]:
    """Extra memory at the peak of one ``step`` beyond what was allocated before it.

    On CUDA: ``max_memory_allocated`` minus ``memory_allocated`` before the step (weights and
    inputs excluded, activations, gradients and workspaces included). On CPU: peak resident
    set during the step minus the resident set before it.

    Returns:
        ``{"method", "peak_extra_bytes", "per_clip_bytes"}``, or ``{"method", "not_measured"}``
        when the platform offers no way to read the peak.
    """
    gc.collect()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        step()
        torch.cuda.synchronize(device)
        extra = torch.cuda.max_memory_allocated(device) - before
        method = "torch.cuda.max_memory_allocated"
    else:
        method = "peak RSS (VmHWM) delta"
        with tight_malloc() as tight:
            try:
                before = _status_kib("VmRSS")
                with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
                    handle.write("5")
            except (OSError, KeyError) as err:
                return {"method": method, "not_measured": f"cannot reset the peak RSS: {err}"}
            step()
            extra = (_status_kib("VmHWM") - before) * 1024
        if not tight:
            method += " (glibc caching not limited: a lower bound)"
    return {"method": method, "peak_extra_bytes": extra, "per_clip_bytes": extra / clips}
