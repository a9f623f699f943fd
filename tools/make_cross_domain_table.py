#!/usr/bin/env python3
"""Build paper v2 Table 3 (AVA models zero-shot on JHMDB-21 and MicroG-4M) from run folders.

Example::

    python tools/make_cross_domain_table.py output/zoo/JHMDB/* output/zoo/MicroG/zero_shot/*

See docs/jhmdb.md.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slowfast_microg.zoo.cli import cross_domain_table  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(cross_domain_table())
