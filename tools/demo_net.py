#!/usr/bin/env python3
"""Action-detection demo: persons (YOLO), actions (the model), an annotated video and a CSV.

Example::

    python tools/demo_net.py --cfg configs/MicroG/SLOWFAST_8x8.yaml --input clip.mp4 \
        --checkpoint checkpoint_epoch_00030.pyth --output clip_actions.mp4

See docs/demo.md. The code lives in ``slowfast_microg.demo.demo_net``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slowfast_microg.demo.demo_net import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
