#!/usr/bin/env python3
"""Build the paper's Table 1 (fine-tuned) and Table 2 (zero-shot) from run folders.

Example::

    python tools/make_tables.py results/I3D_8x8_R50 results/X3D_S --format latex --out table1.tex
    python tools/make_tables.py benchmark/evaluation_results/* --plots --plots-dir figures

See docs/evaluation.md for the run-folder format and the rules used.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slowfast_microg.evaluation.cli_tables import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
