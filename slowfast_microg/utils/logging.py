"""Logging setup: console on every process, ``OUTPUT_DIR/stdout.log`` from rank 0 only."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

LOG_FORMAT = "[%(asctime)s][%(levelname)s] %(filename)s: %(lineno)4d: %(message)s"
DATE_FORMAT = "%m/%d %H:%M:%S"
STDOUT_LOG = "stdout.log"
_OWNED = "_slowfast_microg_handler"


def setup_logging(output_dir: str | Path | None = None, *, rank: int = 0) -> Path | None:
    """Route log records to the console and, on rank 0, append them to ``stdout.log``.

    Rank 0 logs INFO and above to stdout (PySlowFast's line format) and to
    ``output_dir/stdout.log``; other ranks print only warnings and errors, tagged with their
    rank, so a distributed run writes each message once. Calling it again replaces the
    handlers installed by the previous call (tests and consecutive runs in one process).

    Args:
        output_dir: run folder; ``None`` logs to the console only.
        rank: global rank of this process.

    Returns:
        The log file path on rank 0 with an ``output_dir``, else ``None``.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OWNED, False)]:
        root.removeHandler(handler)
        handler.close()
    prefix = "" if rank == 0 else f"[rank {rank}]"
    formatter = logging.Formatter(prefix + LOG_FORMAT, datefmt=DATE_FORMAT)
    console = logging.StreamHandler(sys.stdout)
    console.setLevel(logging.INFO if rank == 0 else logging.WARNING)
    handlers: list[logging.Handler] = [console]
    log_path = None
    if rank == 0 and output_dir is not None:
        log_path = Path(output_dir) / STDOUT_LOG
        log_path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_path, mode="a", encoding="utf-8")
        file_handler.setLevel(logging.INFO)
        handlers.append(file_handler)
    for handler in handlers:
        handler.setFormatter(formatter)
        setattr(handler, _OWNED, True)
        root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    return log_path
