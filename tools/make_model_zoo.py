#!/usr/bin/env python3
"""Generate MODEL_ZOO.md from configs/, docs/model_zoo/paper_results.yaml and the cached counts.

Examples::

    python tools/make_model_zoo.py                    # rewrite MODEL_ZOO.md
    python tools/make_model_zoo.py --check            # exit 1 if it is out of date
    python tools/make_model_zoo.py --compute-missing  # count new models, then rewrite
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slowfast_microg.zoo.cli import make_model_zoo  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(make_model_zoo(repo_root=ROOT))
