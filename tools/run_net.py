#!/usr/bin/env python3
"""Train and/or test a MicroG-4M action detector (PySlowFast's ``tools/run_net.py``).

Example:
    python tools/run_net.py --cfg configs/MicroG/SLOWFAST_8x8.yaml \
        DATA.PATH_TO_DATA_DIR data/microg NUM_GPUS 1 OUTPUT_DIR runs/slowfast

The engine lives in ``slowfast_microg.engine``; this file only forwards the arguments.
"""

import sys

from slowfast_microg.engine.launch import main

if __name__ == "__main__":
    sys.exit(main())
