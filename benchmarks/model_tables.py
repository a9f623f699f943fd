"""Print the Markdown tables of benchmarks/README.md from result JSONs.

``python benchmarks/model_tables.py benchmarks/results/models_<stamp>.json ...``

Handles the ``models`` and ``pytorchvideo`` suites here and the ``inference``, ``eval``,
``data_prep``, ``captions``, ``dataset`` and ``memory`` suites through ``suite_tables``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from common import fmt
from suite_tables import TABLES


def _mib(value: float | None) -> str:
    return "–" if value is None else f"{value / 2**20:.0f}"


def _basis(figures: dict[str, Any]) -> str:
    """Timing basis of a run: CPU time for a one-thread CPU run (robust to other jobs),
    wall time otherwise (several threads, or a GPU)."""
    settings = figures["settings"]
    return "cpu" if settings["device"] == "cpu" and settings.get("threads") == 1 else "wall"


def _peak(result: dict[str, Any]) -> str:
    peak = result.get("peak", {})
    if peak.get("fraction") is None:
        return "n/a"
    return f"{100 * peak['fraction']:.1f}%"


def models_tables(figures: dict[str, Any]) -> list[str]:
    """One line per row and mode: clips/s, speed-up over fp32, memory, TFLOP/s, peak share."""
    basis = _basis(figures)
    lines = [
        "| config | mode | GFLOPs/clip fwd / train | fwd clips/s | fwd_bwd clips/s "
        "| fwd x fp32 | fwd_bwd x fp32 | fwd MiB/clip | train MiB/added clip "
        "| fwd / fwd_bwd TFLOP/s | of peak | fits 80 GB at paper batch |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row, entry in figures["rows"].items():
        gflops = entry["gflops_per_clip"]
        for mode, result in entry["modes"].items():
            if "error" in result:
                lines.append(f"| {row} | {mode} | {result['error'][:60]} ||||||||||")
                continue
            fwd, train = result.get("fwd", {}), result.get("fwd_bwd", {})
            speed = entry["speedup_vs_fp32"].get(mode, {})
            fit = train.get("memory_fit", {})
            fits = fit.get("fits_80GB")
            rates = {
                name: part.get("timing", {}).get(f"clips_per_s_{basis}")
                for name, part in (("fwd", fwd), ("fwd_bwd", train))
            }
            tflops = [
                None if rates[name] is None else 2 * factor * gflops[name] * rates[name] / 1e3
                for name, factor in (("fwd", 1), ("fwd_bwd", 3))
            ]
            fit_cell = "–"
            if fits is not None:
                fit_cell = f"{'yes' if fits else 'no'} ({fit['clips_per_gpu']} clips)"
            lines.append(
                f"| {row} | {mode} | {gflops['fwd']:.1f} / {gflops['fwd_bwd']:.1f} "
                f"| {fmt(rates['fwd'])} | {fmt(rates['fwd_bwd'])} "
                f"| {fmt(speed.get(f'fwd_{basis}'))} | {fmt(speed.get(f'fwd_bwd_{basis}'))} "
                f"| {_mib(fwd.get('memory', {}).get('per_clip_bytes'))} "
                f"| {_mib(train.get('memory', {}).get('per_added_clip_bytes'))} "
                f"| {fmt(tflops[0], 3)} / {fmt(tflops[1], 3)} "
                f"| {_peak(fwd or train)} | {fit_cell} |"
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
                    f"{fmt(result.get('ours_over_theirs_wall'))} / "
                    f"{fmt(result.get('ours_over_theirs_cpu'))}"
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
        code = figures.get("code") or figures.get("settings", {}).get("code", "not recorded")
        if isinstance(code, dict):  # the dataset suite's: commit and uncommitted files
            code = code["commit"] + ("+changes" if code["changed_files"] else "")
        print(f"<!-- code {code} -->")
        suite = payload["suite"]
        if suite == "models":
            print(f"<!-- rates from median {_basis(figures)} time -->")
            print("\n".join(models_tables(figures)))
        elif suite == "pytorchvideo":
            print("\n".join(pytorchvideo_tables(figures)))
        elif suite in TABLES:
            print("\n".join(TABLES[suite](figures)))
        else:
            raise SystemExit(f"{name}: no table for suite {suite!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
