"""Run a benchmark suite through its entry point and read back its JSON and its tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"


def run_suite(suite: str, *, out: Path, options: list[str], timeout: int = 600) -> dict[str, Any]:
    """``python benchmarks/run.py SUITE --out OUT OPTIONS``; the one JSON it wrote, plus ``path``.

    Raises:
        AssertionError: the run failed (with the end of its stderr) or wrote no single JSON.
    """
    command = [sys.executable, str(BENCHMARKS / "run.py"), suite, "--out", str(out), *options]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    (path,) = out.glob(f"{suite}_*.json")
    payload = json.loads(path.read_text(encoding="utf-8"))
    payload["path"] = path
    return payload


def table_lines(path: Path) -> list[str]:
    """The lines ``benchmarks/model_tables.py`` prints for the result at ``path``."""
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "model_tables.py"), str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()
