"""Crash-safe file writes: a temporary file in the target folder, fsync, then an atomic rename."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20


def _fsync_folder(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (POSIX); platforms without folder fds skip it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        logger.debug("fsync of folder %s is not supported here", folder)
    finally:
        os.close(fd)


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Write ``path`` through ``write(handle)`` so readers see either the old or the new file.

    The bytes go to a hidden temporary file in the same folder, which is flushed, fsynced and
    renamed over ``path``. If ``write`` or the disk fails (for example "No space left on
    device"), the temporary file is removed, ``path`` keeps its previous content and the error
    propagates.

    Args:
        path: destination file; its folder is created when missing.
        write: callable receiving a binary file handle opened for writing.

    Returns:
        ``path`` as a ``Path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_folder(path.parent)
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Atomically replace ``path`` with ``text`` encoded as UTF-8 (see ``atomic_write``)."""
    data = text.encode("utf-8")
    return atomic_write(path, lambda handle: handle.write(data))


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 digest of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
