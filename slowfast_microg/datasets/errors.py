"""The error raised for malformed or missing dataset files, with a file:line locator."""

from __future__ import annotations

from pathlib import Path


class DataError(ValueError):
    """A dataset file that is missing, malformed or inconsistent.

    The message names the file (and line and value where there is one) and says what to do.
    """


def at(path: str | Path, line: int | None = None) -> str:
    """Format ``path`` or ``path:line`` for an error message."""
    return f"{path}:{line}" if line is not None else str(path)


def require_file(path: Path, *, config_key: str) -> Path:
    """Return ``path`` if it is a file, else raise naming the config key that points to it.

    Raises:
        DataError: the file does not exist or is not a regular file.
    """
    if not path.is_file():
        state = "is not a file" if path.exists() else "does not exist"
        raise DataError(
            f"{path} {state}. It is named by {config_key}; fix that key or "
            f"DATA.PATH_TO_DATA_DIR (relative paths resolve against it)."
        )
    return path
