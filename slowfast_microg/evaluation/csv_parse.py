"""Fast, strict parsing of headerless AVA-format CSV text into typed columns.

Rows are split with a few whole-text string operations and columns are converted with numpy;
only when a conversion fails is the column re-scanned value by value to name the exact line.
Fields are plain (no quoting), as in every AVA-format annotation and detection file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import NoReturn

import numpy as np

from slowfast_microg.evaluation.errors import EvaluationInputError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CsvTable:
    """The rows of one CSV file, split into columns of text.

    Attributes:
        path: The file the rows came from (for error messages).
        columns: One list of field strings per column; all lists have ``num_rows`` items.
        num_rows: The number of rows; row ``i`` is line ``i + 1`` of the file.
    """

    path: Path
    columns: list[list[str]]
    num_rows: int

    def _values(self, index: int, rows: np.ndarray | None) -> tuple[list[str], np.ndarray]:
        """The text of column ``index`` at ``rows`` (all rows if None) and those row numbers."""
        column = self.columns[index]
        if rows is None:
            return column, np.arange(self.num_rows)
        return [column[r] for r in rows.tolist()], rows

    def floats(self, index: int, *, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """Column ``index`` (at ``rows``) as float64; a non-numeric or non-finite value fails."""
        values, row_numbers = self._values(index, rows)
        try:
            array = np.fromiter(map(float, values), dtype=np.float64, count=len(values))
        except ValueError:
            array = None
        if array is None or not np.isfinite(array).all():
            for row, text in zip(row_numbers.tolist(), values, strict=True):
                try:
                    ok = bool(np.isfinite(float(text)))
                except ValueError:
                    ok = False
                if not ok:
                    self.fail(row, f"column {index + 1} ({name}) is not a finite number", text)
        return array

    def ints(self, index: int, *, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """Column ``index`` (at ``rows``) as int64 (``"0052"`` reads as 52); else it fails."""
        values, row_numbers = self._values(index, rows)
        try:
            return np.fromiter(map(int, values), dtype=np.int64, count=len(values))
        except (ValueError, OverflowError):
            pass
        for row, text in zip(row_numbers.tolist(), values, strict=True):
            try:
                int(text)
            except (ValueError, OverflowError):
                hint = "AVA-format CSV files have no header row" if row == 0 else ""
                self.fail(row, f"column {index + 1} ({name}) is not an integer", text, hint)
        raise AssertionError("unreachable: a value failed to parse but none was found")

    def fail(self, row: int, problem: str, value: object, hint: str = "") -> NoReturn:
        """Raise an ``EvaluationInputError`` for ``row`` (0-based) of this table."""
        raise EvaluationInputError(problem, path=self.path, line=row + 1, value=value, hint=hint)


def split_csv(
    text: str, *, path: str | Path, allowed_columns: tuple[int, ...], layout: str
) -> CsvTable:
    """Split headerless CSV text into columns, checking every row's column count.

    Args:
        text: The whole file text (``\\n`` line endings).
        path: The file name, for error messages.
        allowed_columns: The column counts a row may have, e.g. ``(7, 8)``. With more than
            one, rows are cut to the smallest count (AVA ground truth's optional 8th column).
        layout: The expected columns in words, for error messages.

    Returns:
        The table of text columns.

    Raises:
        EvaluationInputError: The file is empty, has a blank line, or a row has a column
            count not in ``allowed_columns``.
    """
    path = Path(path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise EvaluationInputError("file is empty", path=path, hint=f"Expected rows: {layout}")
    counts = np.fromiter(map(str.count, lines, repeat(",")), dtype=np.int64, count=len(lines))
    counts += 1
    bad = ~np.isin(counts, allowed_columns)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        problem = "blank line" if not lines[row].strip() else f"row has {counts[row]} columns"
        raise EvaluationInputError(
            problem,
            path=path,
            line=row + 1,
            value=lines[row][:120],
            hint=f"Expected {' or '.join(map(str, allowed_columns))} columns: {layout}",
        )
    width = min(allowed_columns)
    if (counts == counts[0]).all():
        body = text[:-1] if text.endswith("\n") else text
        tokens = body.replace("\n", ",").split(",")
        stride = int(counts[0])
        columns = [tokens[j::stride] for j in range(width)]
    else:
        rows = [line.split(",")[:width] for line in lines]
        columns = [list(col) for col in zip(*rows, strict=True)]
    return CsvTable(path=path, columns=columns, num_rows=len(lines))
