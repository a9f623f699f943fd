"""Benchmark entry point: ``python benchmarks/run.py SUITE [--out DIR] [suite options]``.

Each suite is a module ``benchmarks/bench_<suite>.py`` exposing ``add_arguments(parser)`` and
``run(args) -> dict`` (the figures). Results are written as JSON under ``--out``
(default ``benchmarks/results``) with the machine noted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from common import write_result  # noqa: E402


def available_suites() -> list[str]:
    """Names of the benchmark suites found next to this file."""
    return sorted(p.stem[len("bench_") :] for p in HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    """Parse the suite name, run it and write its JSON result."""
    suites = available_suites()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("suite", choices=suites)
    parser.add_argument("--out", default=str(HERE / "results"), help="folder for the JSON result")
    known, rest = parser.parse_known_args(argv)
    module = importlib.import_module(f"bench_{known.suite}")
    suite_parser = argparse.ArgumentParser(prog=f"run.py {known.suite}")
    module.add_arguments(suite_parser)
    args = suite_parser.parse_args(rest)
    figures = module.run(args)
    path = write_result(suite=known.suite, figures=figures, out_dir=known.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
