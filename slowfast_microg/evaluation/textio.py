"""Open evaluation text files, plain or gzip-compressed, with clear errors for missing files."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path
from typing import IO

from slowfast_microg.evaluation.errors import EvaluationInputError

logger = logging.getLogger(__name__)


def read_text(path: str | Path, *, what: str) -> str:
    """Read a whole UTF-8 text file; a name ending in ``.gz`` is decompressed.

    Windows line endings are normalised to ``\\n``.

    Args:
        path: The file to read.
        what: What the file is ("ground truth", "label map", ...), for the error message.

    Returns:
        The file's text.

    Raises:
        EvaluationInputError: The file does not exist, is a folder, or is not UTF-8 text.
    """
    path = Path(path)
    if not path.is_file():
        problem = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise EvaluationInputError(f"{what} file {problem}", path=path, hint="Check the path")
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
                text = handle.read()
        else:
            text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        raise EvaluationInputError(
            f"cannot read {what} file as UTF-8 text: {exc}", path=path
        ) from None
    return text.replace("\r\n", "\n")


def open_text_for_writing(path: str | Path) -> IO[str]:
    """Open ``path`` for writing text, gzip-compressed when its name ends in ``.gz``.

    The parent folder is created if needed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        return gzip.open(path, "wt", encoding="utf-8", newline="")
    return open(path, "w", encoding="utf-8", newline="")
