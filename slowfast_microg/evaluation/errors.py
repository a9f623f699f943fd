"""The error raised for bad evaluation input: it names the file, the line and the value at fault."""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)


class EvaluationInputError(ValueError):
    """Bad input to the evaluation: a malformed file, an unknown id or inconsistent arrays.

    The message reads ``<file>:<line>: <problem> (value '<value>'). <hint>`` where the parts
    that are known are filled in, so a user can open the file at the line and fix it.

    Attributes:
        path: The file at fault, or None for in-memory input.
        line: The 1-based line number at fault, or None.
        value: The offending value as text, or None.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        value: object = None,
        hint: str = "",
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.value = None if value is None else str(value)
        where = ""
        if self.path is not None:
            where = self.path if line is None else f"{self.path}:{line}"
            where += ": "
        what = problem if self.value is None else f"{problem} (value {self.value!r})"
        message = f"{where}{what}"
        if hint:
            message += f". {hint}"
        super().__init__(message)
