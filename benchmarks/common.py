"""Shared helpers for benchmark suites: timing with repeats, JSON results noting the machine."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def machine_info() -> dict[str, Any]:
    """Describe the machine a benchmark ran on (CPU, cores, torch build, accelerator)."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        info["cuda"] = torch.cuda.is_available()
        if torch.cuda.is_available():
            info["device"] = torch.cuda.get_device_name(0)
    except ImportError:
        info["torch"] = None
    try:
        with open("/proc/loadavg", encoding="utf-8") as handle:
            info["loadavg"] = handle.read().split()[:3]
    except OSError:
        pass
    return info


def time_repeats(fn: Callable[[], Any], *, repeats: int = 5, warmup: int = 1) -> dict[str, Any]:
    """Run ``fn`` ``warmup`` times untimed, then ``repeats`` times timed.

    Returns:
        A dict with the per-repeat wall seconds and their median, min and max.
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {
        "seconds": times,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
    }


def write_result(*, suite: str, figures: dict[str, Any], out_dir: str | Path) -> Path:
    """Write one benchmark run as ``<out_dir>/<suite>_<UTC timestamp>.json`` and return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"{suite}_{stamp}.json"
    payload = {"suite": suite, "utc": stamp, "machine": machine_info(), "figures": figures}
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def fmt(value: float | None, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals for the Markdown tables; an en dash for None."""
    return "–" if value is None else f"{value:.{digits}f}"
