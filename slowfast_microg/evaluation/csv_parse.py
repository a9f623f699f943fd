"""Fast, strict parsing of headerless AVA-format CSV bytes into typed columns.

The file stays one byte array: line and field boundaries come from the positions of ``\\n`` and
``,``, and numbers are parsed with array arithmetic one character position at a time (a plain
decimal with up to 15 digits is read exactly: its digits as an integer divided by a power of
ten, which rounds like ``float()``). Anything else (exponents, spaces, ``nan``) goes through
``float()``/``int()`` row by row, and a value that fails names its line. Fields are plain text
without quoting, as in every AVA-format annotation and detection file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np

from slowfast_microg.evaluation.errors import EvaluationInputError

logger = logging.getLogger(__name__)

MAX_FAST_DIGITS = 15
_ZERO, _NINE, _DOT, _MINUS, _PLUS, _COMMA, _NEWLINE, _RETURN = b"09.-+,\n\r"
# Spreadsheet programs start UTF-8 CSVs with a byte-order mark; left in, it would become part
# of the first row's video id and that frame would silently match no ground truth.
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class CsvTable:
    """The rows of one CSV file as field spans over its bytes.

    Attributes:
        path: The file the rows came from (for error messages).
        data: (B,) the file's bytes, ending with a newline.
        starts: (N, C) byte offset where each of the first C fields of each row starts.
        ends: (N, C) byte offset just past each field.
    """

    path: Path
    data: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    @property
    def num_rows(self) -> int:
        """Rows in the file; row ``i`` is line ``i + 1``."""
        return int(self.starts.shape[0])

    def text(self, row: int, first: int, last: int | None = None) -> str:
        """The text of fields ``first..last`` (inclusive, with their commas) of ``row``."""
        last = first if last is None else last
        raw = self.data[self.starts[row, first] : self.ends[row, last]].tobytes()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.fail(row, "field is not UTF-8 text", raw[:40])

    def fail(self, row: int, problem: str, value: object, hint: str = "") -> NoReturn:
        """Raise an ``EvaluationInputError`` for ``row`` (0-based) of this table."""
        raise EvaluationInputError(problem, path=self.path, line=row + 1, value=value, hint=hint)

    def _rows(self, rows: np.ndarray | None) -> np.ndarray:
        return np.arange(self.num_rows) if rows is None else np.asarray(rows, dtype=np.int64)

    def _decimals(
        self, col: int, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Plain decimals of column ``col``: signed mantissa, digits after the dot, number of
        dots, and whether the fast parse applies."""
        start, width = self.starts[rows, col], self.ends[rows, col] - self.starts[rows, col]
        mantissa = np.zeros(rows.size, dtype=np.int64)
        decimals = np.zeros(rows.size, dtype=np.int64)
        digits = np.zeros(rows.size, dtype=np.int64)
        dots = np.zeros(rows.size, dtype=np.int64)
        bad = (width <= 0) | (width > MAX_FAST_DIGITS + 2)
        negative = np.zeros(rows.size, dtype=bool)
        last = self.data.size - 1
        for j in range(int(min(width.max(initial=0), MAX_FAST_DIGITS + 2))):
            inside = j < width
            char = self.data[np.minimum(start + j, last)]
            is_digit = inside & (char >= _ZERO) & (char <= _NINE)
            is_dot = inside & (char == _DOT)
            is_sign = inside & (j == 0) & ((char == _MINUS) | (char == _PLUS))
            bad |= inside & ~(is_digit | is_dot | is_sign)
            mantissa = np.where(is_digit, mantissa * 10 + (char.astype(np.int64) - _ZERO), mantissa)
            decimals += is_digit & (dots > 0)
            digits += is_digit
            dots += is_dot
            if j == 0:
                negative = inside & (char == _MINUS)
        bad |= (digits == 0) | (digits > MAX_FAST_DIGITS) | (dots > 1)
        return np.where(negative, -mantissa, mantissa), decimals, dots, ~bad

    def floats(self, col: int, *, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """Column ``col`` (at ``rows``) as float64; a non-numeric or non-finite value fails."""
        rows = self._rows(rows)
        mantissa, decimals, _, ok = self._decimals(col, rows)
        values = mantissa / np.power(10.0, decimals)
        values[(mantissa == 0) & (self.data[self.starts[rows, col]] == _MINUS)] = -0.0
        for i in np.flatnonzero(~ok).tolist():
            text = self.text(int(rows[i]), col)
            try:
                values[i] = float(text)
            except ValueError:
                values[i] = np.nan
            if not np.isfinite(values[i]):
                self.fail(int(rows[i]), f"column {col + 1} ({name}) is not a finite number", text)
        return values

    def ints(self, col: int, *, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """Column ``col`` (at ``rows``) as int64 (``"0052"`` reads as 52); else it fails."""
        rows = self._rows(rows)
        mantissa, _, dots, ok = self._decimals(col, rows)
        ok &= dots == 0
        for i in np.flatnonzero(~ok).tolist():
            text = self.text(int(rows[i]), col)
            try:
                mantissa[i] = int(text)
            except (ValueError, OverflowError):
                hint = "AVA-format CSV files have no header row" if rows[i] == 0 else ""
                self.fail(int(rows[i]), f"column {col + 1} ({name}) is not an integer", text, hint)
        return mantissa

    def new_runs(self, first: int, last: int) -> np.ndarray:
        """(N,) True where fields ``first..last`` differ in text from the previous row's.

        Rows are compared 8 bytes at a time through an unaligned 64-bit view of the data.
        """
        start = self.starts[:, first]
        width = self.ends[:, last] - start
        changed = np.ones(self.num_rows, dtype=bool)
        changed[1:] = width[1:] != width[:-1]
        same = np.flatnonzero(~changed[1:]) + 1
        padded = np.concatenate([self.data, np.zeros(8, dtype=np.uint8)])
        words = np.ndarray((self.data.size,), dtype="<u8", buffer=padded, strides=(1,))
        here, before, left = start[same], start[same - 1], width[same]
        for j in range(0, int(left.max(initial=0)), 8):
            bits = np.minimum(left - j, 8).clip(0) * 8
            mask = np.where(
                bits >= 64, ~np.uint64(0), (np.uint64(1) << bits.astype(np.uint64)) - np.uint64(1)
            )
            top = self.data.size - 1
            differs = ((words[np.minimum(here + j, top)] ^ words[before + j]) & mask) != 0
            changed[same[differs]] = True
        return changed


def split_csv(
    raw: bytes, *, path: str | Path, allowed_columns: tuple[int, ...], layout: str
) -> CsvTable:
    """Locate the rows and fields of headerless CSV bytes, checking every row's column count.

    Args:
        raw: The whole file (``\\n`` or ``\\r\\n`` line endings; a leading UTF-8
            byte-order mark is dropped).
        path: The file name, for error messages.
        allowed_columns: The column counts a row may have, e.g. ``(7, 8)``; only the first
            ``min(allowed_columns)`` fields are kept (AVA ground truth's optional 8th column).
        layout: The expected columns in words, for error messages.

    Returns:
        The table.

    Raises:
        EvaluationInputError: The file is empty, has a blank line, or a row has a column
            count not in ``allowed_columns``.
    """
    path = Path(path)
    raw = raw.removeprefix(UTF8_BOM)
    if not raw or raw.isspace():
        raise EvaluationInputError("file is empty", path=path, hint=f"Expected rows: {layout}")
    if not raw.endswith(b"\n"):
        raw += b"\n"
    data = np.frombuffer(raw, dtype=np.uint8)
    newlines = np.flatnonzero(data == _NEWLINE)
    line_start = np.concatenate([[0], newlines[:-1] + 1])
    line_end = newlines.copy()
    carriage = (line_end > line_start) & (data[np.maximum(line_end - 1, 0)] == _RETURN)
    line_end[carriage] -= 1
    commas = np.flatnonzero(data == _COMMA)
    first_comma = np.searchsorted(commas, line_start)
    counts = np.searchsorted(commas, line_end) - first_comma + 1
    blank = line_end == line_start
    bad = blank | ~np.isin(counts, allowed_columns)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        text = raw[line_start[row] : line_end[row]].decode("utf-8", errors="replace")
        raise EvaluationInputError(
            "blank line" if blank[row] else f"row has {counts[row]} columns",
            path=path,
            line=row + 1,
            value=text[:120],
            hint=f"Expected {' or '.join(map(str, allowed_columns))} columns: {layout}",
        )
    width = min(allowed_columns)
    separators = commas[first_comma[:, None] + np.arange(width - 1)]
    field_end = np.where(
        counts > width, commas[np.minimum(first_comma + width - 1, commas.size - 1)], line_end
    )
    starts = np.empty((line_start.size, width), dtype=np.int64)
    ends = np.empty_like(starts)
    starts[:, 0], starts[:, 1:] = line_start, separators + 1
    ends[:, :-1], ends[:, -1] = separators, field_end
    return CsvTable(path=path, data=data, starts=starts, ends=ends)
