"""Print the Markdown tables of benchmarks/README.md from a models or pytorchvideo result JSON.

``python benchmarks/model_tables.py benchmarks/results/models_<stamp>.json``
``python benchmarks/model_tables.py benchmarks/results/pytorchvideo_<stamp>.json``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _mib(value: float | None) -> str:
    return "–" if value is None else f"{value / 2**20:.0f}"


def _basis(figures: dict[str, Any]) -> str:
    """Timing basis of a run: CPU time on a CPU (robust to other jobs), wall time on a GPU."""
    return "cpu" if figures["settings"]["device"] == "cpu" else "wall"


def models_tables(figures: dict[str, Any]) -> list[str]:
    """One line per row and mode: clips/s, speed-up over fp32, memory, TFLOP/s."""
    basis = _basis(figures)
    lines = [
        "| config | mode | fwd clips/s | fwd_bwd clips/s | fwd x fp32 | fwd_bwd x fp32 "
        "| fwd MiB/clip | train MiB/added clip | fwd_bwd TFLOP/s | fits 80 GB at paper batch |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row, entry in figures["rows"].items():
        for mode, result in entry["modes"].items():
            if "error" in result:
                lines.append(f"| {row} | {mode} | {result['error'][:60]} |||||||| ")
                continue
            fwd, train = result.get("fwd", {}), result.get("fwd_bwd", {})
            speed = entry["speedup_vs_fp32"].get(mode, {})
            fit = train.get("memory_fit", {})
            fits = fit.get("fits_80GB")
            train_rate = train.get("timing", {}).get(f"clips_per_s_{basis}")
            tflops = (
                None
                if train_rate is None
                else 2 * 3 * entry["gflops_per_clip"]["fwd_bwd"] * train_rate / 1e3
            )
            lines.append(
                f"| {row} | {mode} "
                f"| {_fmt(fwd.get('timing', {}).get(f'clips_per_s_{basis}'))} "
                f"| {_fmt(train_rate)} "
                f"| {_fmt(speed.get(f'fwd_{basis}'))} | {_fmt(speed.get(f'fwd_bwd_{basis}'))} "
                f"| {_mib(fwd.get('memory', {}).get('per_clip_bytes'))} "
                f"| {_mib(train.get('memory', {}).get('per_added_clip_bytes'))} "
                f"| {_fmt(tflops, 3)} "
                f"| {'–' if fits is None else ('yes' if fits else 'no')}"
                f" ({fit.get('clips_per_gpu', '–')} clips) |"
            )
    return lines


def pytorchvideo_tables(figures: dict[str, Any]) -> list[str]:
    """One line per row and comparison: ratio ours/theirs per dtype and pass, output check."""
    keys = sorted({k for ratios in figures["ours_over_theirs_wall"].values() for k in ratios})
    header = " | ".join(f"{k} (wall / cpu)" for k in keys)
    lines = [
        f"| config | comparison | {header} | max rel. output diff |",
        "|---|---|" + "---:|" * len(keys) + "---:|",
    ]
    for row, comparisons in figures["rows"].items():
        for comparison, entry in comparisons.items():
            cells = []
            for key in keys:
                result = entry.get(key, {})
                cells.append(
                    f"{_fmt(result.get('ours_over_theirs_wall'))} / "
                    f"{_fmt(result.get('ours_over_theirs_cpu'))}"
                )
            diff = entry["max_relative_output_difference_fp32"]
            lines.append(f"| {row} | {comparison} | {' | '.join(cells)} | {diff:.1e} |")
    return lines


def main(argv: list[str]) -> int:
    """Print the tables of each JSON named on the command line."""
    for name in argv:
        payload = json.loads(Path(name).read_text(encoding="utf-8"))
        machine = payload["machine"]
        print(
            f"<!-- {Path(name).name}: torch {machine.get('torch')}, {machine.get('cpu_count')} "
            f"CPUs, load {' '.join(machine.get('loadavg', []))} -->"
        )
        figures = payload["figures"]
        if payload["suite"] == "models":
            print(f"<!-- rates from median {_basis(figures)} time -->")
            print("\n".join(models_tables(figures)))
        else:
            print("\n".join(pytorchvideo_tables(figures)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
