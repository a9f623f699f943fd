"""Getting MicroG-4M data and the authors' checkpoints from the hub, and checking a data folder.

``build_requests`` turns a task preset into ``snapshot_download`` calls, ``fetch`` runs one
(resumable; needs the ``download`` extra), ``verify_layout`` checks a train-ready folder and
lists every problem. The command line is ``tools/download.py`` (``slowfast_microg.hub.cli``).
"""

from slowfast_microg.hub.download import checkpoint_status, fetch, find_layout_root
from slowfast_microg.hub.presets import PRESETS, FetchRequest, build_requests
from slowfast_microg.hub.report import Problem, Report
from slowfast_microg.hub.runs import AUTHORS_RUNS, AuthorsRun, find_run
from slowfast_microg.hub.verify import verify_layout

__all__ = [
    "AUTHORS_RUNS",
    "PRESETS",
    "AuthorsRun",
    "FetchRequest",
    "Problem",
    "Report",
    "build_requests",
    "checkpoint_status",
    "fetch",
    "find_layout_root",
    "find_run",
    "verify_layout",
]
