"""PySlowFast-style ``json_stats`` lines, memory figures and the console metrics table."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil
import torch

logger = logging.getLogger(__name__)

JSON_STATS_LOG = "json_stats.log"
# Metrics of the paper's Table 1, as (json key, column title); shown in percent.
TABLE_METRICS = (
    ("map", "mAP"),
    ("f1_macro", "F1"),
    ("recall_macro", "Recall"),
    ("auroc_macro", "AUROC"),
)


def _format_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return f"{value:.5f}"
    return json.dumps(value)


def format_json_stats(stats: Mapping[str, Any]) -> str:
    """One ``json_stats: {...}`` line: keys in the given order, floats with 5 decimals."""
    body = ", ".join(f"{json.dumps(key)}: {_format_value(value)}" for key, value in stats.items())
    return "json_stats: {" + body + "}"


def log_json_stats(stats: Mapping[str, Any], *, output_dir: str | Path | None = None) -> str:
    """Log ``stats`` as a json_stats line; with ``output_dir`` also append it to json_stats.log.

    Call on the main process only (it writes files).

    Returns:
        The formatted line.
    """
    line = format_json_stats(stats)
    logger.info(line)
    if output_dir is not None:
        with open(Path(output_dir) / JSON_STATS_LOG, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
    return line


def read_json_stats(path: str | Path) -> list[dict[str, Any]]:
    """Parse every ``json_stats: {...}`` line of a log file (other lines are ignored)."""
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        _, sep, payload = line.partition("json_stats: ")
        if sep and payload.startswith("{"):
            records.append(json.loads(payload[: payload.rindex("}") + 1]))
    return records


def gpu_mem_usage() -> str:
    """Peak GPU memory allocated by this process, e.g. "6.81G" ("0.00G" without CUDA)."""
    if not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return "0.00G"
    return f"{torch.cuda.max_memory_allocated() / 1024**3:.2f}G"


def ram_usage() -> str:
    """Used/total host memory, e.g. "59.97/251.58G"."""
    memory = psutil.virtual_memory()
    used = (memory.total - memory.available) / 1024**3
    return f"{used:.2f}/{memory.total / 1024**3:.2f}G"


def metrics_table(rows: Mapping[str, Mapping[str, Any]]) -> str:
    """Markdown table of mAP, F1, recall and AUROC in percent, one row per name.

    Args:
        rows: ``{row name: metrics dict with TABLE_METRICS keys}``; missing values show "-".
    """
    header = "| run | " + " | ".join(title for _, title in TABLE_METRICS) + " |"
    rule = "|---|" + "---:|" * len(TABLE_METRICS)
    lines = [header, rule]
    for name, metrics in rows.items():
        cells = []
        for key, _ in TABLE_METRICS:
            value = metrics.get(key)
            cells.append("-" if value is None else f"{100.0 * float(value):.2f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
