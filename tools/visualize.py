#!/usr/bin/env python3
"""Qualitative panels (the paper's Figures 3 and 4): key frames, ground truth, runs' labels.

Example::

    python tools/visualize.py --cfg configs/MicroG/SLOW_8x8.yaml \
        --run "MicroG-4M=output/MicroG/SLOW_8x8" --run "AVA=output/zero_shot/SLOW_8x8_AVA" \
        --num-clips 5 --top-k 3 --out figures/qualitative

See docs/demo.md. The code lives in ``slowfast_microg.demo.visualize``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slowfast_microg.demo.visualize import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
