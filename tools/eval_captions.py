#!/usr/bin/env python3
"""Score MicroG-4M captions or VQA answers with the paper's metrics (see --help)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slowfast_microg.vlm_eval.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
