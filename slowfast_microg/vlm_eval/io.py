"""Low-level readers for JSON, JSONL and CSV files with errors that name file, line and column."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from slowfast_microg.vlm_eval.errors import InputFormatError

logger = logging.getLogger(__name__)


def read_utf8(path: str | Path) -> str:
    """Read a whole file as UTF-8 text (a leading byte-order mark is dropped).

    Args:
        path: file to read.

    Returns:
        The decoded text.

    Raises:
        InputFormatError: the file is missing or not valid UTF-8 (line, column and byte named).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFormatError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputFormatError(
            f"{path}: line {line}, column {column} (byte offset {exc.start}): invalid UTF-8 "
            f"byte 0x{data[exc.start]:02x} ({exc.reason}). The evaluator reads UTF-8 only; "
            f"convert the file first, e.g. `iconv -f latin1 -t utf-8 {path.name} > fixed`."
        ) from exc


def _line_excerpt(text: str, lineno: int) -> str:
    lines = text.splitlines()
    if 1 <= lineno <= len(lines):
        return lines[lineno - 1].strip()[:120]
    return ""


def _key_lines(text: str, key: str) -> list[int]:
    pattern = re.compile(re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:")
    return [text.count("\n", 0, m.start()) + 1 for m in pattern.finditer(text)]


def parse_json(text: str, *, source: str) -> Any:
    """Parse JSON text, refusing duplicate object keys.

    Args:
        text: the JSON document.
        source: name used in messages (file path, possibly with a line number).

    Returns:
        The decoded value.

    Raises:
        InputFormatError: malformed JSON (line and column given) or a key repeated in an object.
    """

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                lines = _key_lines(text, key)
                where = f" (lines {', '.join(map(str, lines))})" if len(lines) > 1 else ""
                raise InputFormatError(
                    f"{source}: duplicate key {key!r}{where}; every id must appear once. "
                    "Remove or merge the repeated entries."
                )
            out[key] = value
        return out

    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        excerpt = _line_excerpt(text, exc.lineno)
        raise InputFormatError(
            f"{source}: line {exc.lineno}, column {exc.colno}: malformed JSON ({exc.msg})"
            + (f" near: {excerpt!r}" if excerpt else "")
        ) from exc


def load_json(path: str | Path) -> Any:
    """Read and parse a JSON file (UTF-8, no duplicate keys); see :func:`parse_json`."""
    return parse_json(read_utf8(path), source=str(path))


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, value)`` for every non-blank line of a JSON-lines file.

    Args:
        path: the ``.jsonl`` file.

    Yields:
        1-based line number and the decoded value of that line.
    """
    text = read_utf8(path)
    for lineno, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            yield lineno, parse_json(line, source=f"{path}: line {lineno}")


def iter_csv(
    path: str | Path, *, required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` for every record of a CSV file with a header row.

    Quoted fields may contain commas and newlines; the line number is that of the record's
    first line.

    Args:
        path: the ``.csv`` file.
        required: column names that the header must contain.

    Yields:
        1-based line number and the row as a column-name to value mapping.
    """
    text = read_utf8(path)
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        header = reader.fieldnames or []
        absent = [name for name in required if name not in header]
        if absent:
            raise InputFormatError(
                f"{path}: line 1: CSV header {header} lacks column(s) {absent}; "
                f"expected a header row with {list(required)}"
            )
        start = reader.line_num + 1
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                raise InputFormatError(
                    f"{path}: line {start}: the record's number of fields differs from the "
                    f"header's {len(header)} ({header}); quote fields that contain commas"
                )
            yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputFormatError(
            f"{path}: record starting at line {start}: malformed CSV ({exc}); a quoted field "
            "must end with a quote followed by a comma or a line end, and a quote inside it is "
            'written twice ("")'
        ) from exc


def file_kind(path: str | Path) -> str:
    """Return ``"jsonl"``, ``"csv"`` or ``"json"`` from the file name's extension."""
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    return "json"
