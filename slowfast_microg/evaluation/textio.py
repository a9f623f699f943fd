"""Open evaluation text files, plain or gzip-compressed, with clear errors for missing files."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path
from typing import IO

from slowfast_microg.evaluation.errors import EvaluationInputError

logger = logging.getLogger(__name__)


def read_bytes(path: str | Path, *, what: str) -> bytes:
    """Read a whole file's bytes; a name ending in ``.gz`` is decompressed.

    Args:
        path: The file to read.
        what: What the file is ("ground truth", "detections", ...), for the error message.

    Raises:
        EvaluationInputError: The file does not exist, is a folder, or cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        problem = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise EvaluationInputError(f"{what} file {problem}", path=path, hint="Check the path")
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                return handle.read()
        return path.read_bytes()
    except (OSError, EOFError) as exc:
        raise EvaluationInputError(f"cannot read {what} file: {exc}", path=path) from None


def read_text(path: str | Path, *, what: str) -> str:
    """Read a whole UTF-8 text file; a name ending in ``.gz`` is decompressed.

    A leading byte-order mark is dropped and Windows line endings are normalised to ``\\n``.

    Args:
        path: The file to read.
        what: What the file is ("ground truth", "label map", ...), for the error message.

    Returns:
        The file's text.

    Raises:
        EvaluationInputError: The file does not exist, is a folder, or is not UTF-8 text.
    """
    raw = read_bytes(path, what=what)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EvaluationInputError(f"{what} file is not UTF-8 text: {exc}", path=path) from None
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
