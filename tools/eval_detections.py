#!/usr/bin/env python3
"""Evaluate a detections CSV: frame mAP@0.5 and the paper's F1/recall/AUROC (both variants).

Example::

    python tools/eval_detections.py --gt ava_test_gt.csv --detections detections_test.csv \
        --label-map label_map.pbtxt --out eval_out [--exclusions X.csv] [--threshold 0.5] [--plots]

See docs/evaluation.md for the metric definitions.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slowfast_microg.evaluation.cli_eval import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
