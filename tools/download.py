#!/usr/bin/env python3
"""Download MicroG-4M data and the authors' checkpoints from the hub, and check a data folder.

Examples::

    python tools/download.py --what train-ready --dest data
    python tools/download.py fetch --what checkpoints --model SLOWFAST_8x8 --dest data
    python tools/download.py verify data/MicroG-HAR-train-ready

See docs/data_access.md.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slowfast_microg.hub.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
