"""Clip and source naming: ``<source>_<seq>``, parsed on the last underscore."""

from __future__ import annotations

import logging
import re

logger = logging.getLogger(__name__)

# Characters a source name may hold: clip ids go into comma- and space-separated files.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
_CLIP_ID = re.compile(r"^(?P<source>.+)_(?P<seq>\d+)$")


def clip_id(source: str, seq: int) -> str:
    """Clip id for clip number ``seq`` (0-based) of ``source``, seq padded to 3 digits at least.

    Example: ``clip_id("C-65mBQ7s_Q", 7) == "C-65mBQ7s_Q_007"``; seq 1736 gives ``..._1736``.
    """
    return f"{source}_{seq:03d}"


def parse_clip_id(clip: str) -> tuple[str, int] | None:
    """Split a clip id on its last underscore into (source, seq); None if it has no seq suffix.

    YouTube ids contain ``_`` themselves (``_ikouWcXhd0``), so only the last one separates.
    """
    match = _CLIP_ID.match(clip)
    if match is None:
        return None
    return match.group("source"), int(match.group("seq"))


def source_of(clip: str) -> str:
    """Source name of a clip id (the whole id when it has no ``_<digits>`` suffix)."""
    parsed = parse_clip_id(clip)
    return parsed[0] if parsed else clip


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a source or clip name, or None when it can."""
    if not _SAFE_NAME.match(name):
        bad = sorted({ch for ch in name if not _SAFE_NAME.match(ch)})
        return (
            f"name {name!r} contains {bad}; clip ids are written to comma- and space-separated "
            "files, so rename the file using only letters, digits, '_', '-' and '.'"
        )
    return None
