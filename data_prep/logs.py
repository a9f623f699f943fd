"""Logging to a file under the output folder plus the console, and tqdm progress bars."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from tqdm import tqdm

logger = logging.getLogger(__name__)

T = TypeVar("T")
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_STATE = {"progress": True}


class _TqdmHandler(logging.Handler):
    """Console handler that prints above active progress bars."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # logging must never raise into the pipeline
            self.handleError(record)


def setup_logging(log_file: Path | None, *, verbose: bool = False, progress: bool = True) -> None:
    """Send ``data_prep`` logs to ``log_file`` (appended, DEBUG) and the console (INFO).

    Calling it again replaces the handlers it installed before (one log file per stage run).

    Args:
        log_file: file to append to, or None for the console only.
        verbose: also print DEBUG lines on the console.
        progress: show tqdm progress bars.
    """
    root = logging.getLogger("data_prep")
    for handler in list(root.handlers):
        if getattr(handler, "_data_prep", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(logging.DEBUG)
    console = _TqdmHandler(level=logging.DEBUG if verbose else logging.INFO)
    console.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    console._data_prep = True
    root.addHandler(console)
    if log_file is not None:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_file, mode="a", encoding="utf-8")
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(logging.Formatter(_FORMAT))
        file_handler._data_prep = True
        root.addHandler(file_handler)
    # Ultralytics warns per frame on texture-less images (GMC); keep its chatter out unless verbose.
    logging.getLogger("ultralytics").setLevel(logging.DEBUG if verbose else logging.ERROR)
    _STATE["progress"] = progress


def progress(items: Iterable[T], *, total: int | None = None, desc: str = "") -> Iterator[T]:
    """Wrap ``items`` in a tqdm bar unless progress bars are switched off."""
    if not _STATE["progress"]:
        yield from items
        return
    yield from tqdm(items, total=total, desc=desc, unit="item", dynamic_ncols=True, leave=False)
