"""Read action label maps: AVA ``.pbtxt`` (``item { name: .. id: .. }``) or CSV ``id,name``."""

from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path

from slowfast_microg.evaluation.errors import EvaluationInputError
from slowfast_microg.evaluation.textio import read_text

logger = logging.getLogger(__name__)

# One pbtxt token: a comment, a quoted string, a brace, a "key:", a bare word, or anything else.
_PBTXT_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
      | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      | (?P<brace>[{}])
      | (?P<key>[A-Za-z_][A-Za-z0-9_]*)[ \t]*:
      | (?P<word>[^\s{}:"'\#]+)
      | (?P<newline>\n)
      | (?P<space>[ \t\r\f\v]+)
      | (?P<bad>.)""",
    re.VERBOSE,
)
_ID_FIELDS = ("id", "label_id")
_NAME_FIELDS = ("name", "display_name")


def read_label_map(path: str | Path) -> dict[int, str]:
    """Read a label map in AVA pbtxt or CSV form.

    pbtxt: a list of ``item { ... }`` blocks with ``name`` (or ``display_name``) and ``id``
    (or ``label_id``) in any order; other fields (``label_type``) and ``#`` comments are
    ignored. CSV: rows ``id,name`` with an optional ``id,name`` header; names may be quoted.
    The format is chosen by the suffix (``.csv`` or ``.csv.gz`` is CSV, anything else is
    pbtxt unless its text starts like a CSV row).

    Args:
        path: The label map file (``.gz`` is read transparently).

    Returns:
        Action id -> action name, in ascending id order.

    Raises:
        EvaluationInputError: The file is missing, empty, malformed, or repeats an id.
    """
    text = read_text(path, what="label map")
    stripped = text.lstrip()
    if not stripped:
        raise EvaluationInputError(
            "label map is empty", path=path, hint="Expected item { name: .. id: .. } blocks"
        )
    name = str(path).lower().removesuffix(".gz")
    if name.endswith(".csv") or re.match(r"(id\s*,|\d+\s*,)", stripped, re.IGNORECASE):
        return _parse_csv(text, path)
    return _parse_pbtxt(text, path)


def _parse_csv(text: str, path: str | Path) -> dict[int, str]:
    """Parse ``id,name`` rows (optional header) into an id -> name dict."""
    labels: dict[int, str] = {}
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise EvaluationInputError(
                f"label map row has {len(row)} columns, expected 2 (id,name)",
                path=path,
                line=line_no,
                value=",".join(row),
            )
        raw_id, label_name = row[0].strip(), row[1].strip()
        if line_no == 1 and raw_id.lower() == "id":
            continue
        _add_label(labels, raw_id, label_name, path=path, line=line_no)
    return _finish(labels, path)


def _pbtxt_tokens(text: str, path: str | Path) -> list[tuple[str, str, int]]:
    """Split pbtxt text into (kind, text, line) tokens, dropping comments and whitespace."""
    tokens = []
    line_no = 1
    for match in _PBTXT_TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "newline":
            line_no += 1
        elif kind == "bad":
            raise EvaluationInputError(
                "unexpected character in label map", path=path, line=line_no, value=match.group()
            )
        elif kind not in ("comment", "space"):
            token = match.group(kind)
            if kind == "string":
                token = token[1:-1]
            tokens.append((kind, token, line_no))
    return tokens


def _parse_pbtxt(text: str, path: str | Path) -> dict[int, str]:
    """Parse AVA/TF-style ``item { key: value ... }`` blocks into an id -> name dict."""
    tokens = _pbtxt_tokens(text, path)
    end_line = text.count("\n") + 1
    labels: dict[int, str] = {}
    i = 0

    def take(expected: str) -> tuple[str, str, int]:
        nonlocal i
        if i >= len(tokens):
            raise EvaluationInputError(
                f"label map ends while a {expected} is expected",
                path=path,
                line=end_line,
                hint="Check that every item { } block is closed",
            )
        i += 1
        return tokens[i - 1]

    while i < len(tokens):
        kind, token, line_no = take("'item'")
        if (kind, token) != ("word", "item"):
            raise EvaluationInputError("expected 'item {'", path=path, line=line_no, value=token)
        kind, token, brace_line = take("'{'")
        if (kind, token) != ("brace", "{"):
            raise EvaluationInputError("'item' is not followed by '{'", path=path, line=brace_line)
        fields: dict[str, tuple[str, int]] = {}
        while True:
            kind, token, field_line = take("field or '}'")
            if (kind, token) == ("brace", "}"):
                break
            if kind != "key":
                raise EvaluationInputError(
                    "expected 'field: value' or '}'", path=path, line=field_line, value=token
                )
            value_kind, value, value_line = take(f"value for '{token}'")
            if value_kind not in ("string", "word"):
                raise EvaluationInputError(
                    f"field '{token}' has no value", path=path, line=field_line, value=value
                )
            fields[token] = (value, value_line)
        _close_item(labels, fields, path, line_no)
    return _finish(labels, path)


def _close_item(
    labels: dict[int, str], item: dict[str, tuple[str, int]], path: str | Path, start_line: int
) -> None:
    """Validate one finished ``item`` block and add it to ``labels``."""
    id_field = next((item[k] for k in _ID_FIELDS if k in item), None)
    name_field = next((item[k] for k in _NAME_FIELDS if k in item), None)
    if id_field is None:
        raise EvaluationInputError("item has no 'id' field", path=path, line=start_line)
    if name_field is None:
        raise EvaluationInputError("item has no 'name' field", path=path, line=start_line)
    _add_label(labels, id_field[0], name_field[0], path=path, line=id_field[1])


def _add_label(labels: dict[int, str], raw_id: str, name: str, *, path, line: int) -> None:
    """Add one id/name pair, rejecting non-integer, non-positive and repeated ids."""
    try:
        class_id = int(raw_id)
    except ValueError:
        raise EvaluationInputError(
            "label id is not an integer", path=path, line=line, value=raw_id
        ) from None
    if class_id < 1:
        raise EvaluationInputError(
            "label id must be >= 1 (AVA ids are 1-based)", path=path, line=line, value=raw_id
        )
    if class_id in labels:
        raise EvaluationInputError(
            f"label id {class_id} appears twice", path=path, line=line, value=name
        )
    if not name:
        raise EvaluationInputError("label name is empty", path=path, line=line, value=raw_id)
    labels[class_id] = name


def _finish(labels: dict[int, str], path: str | Path) -> dict[int, str]:
    """Return the labels sorted by id, or fail if there are none."""
    if not labels:
        raise EvaluationInputError("label map has no labels", path=path)
    return dict(sorted(labels.items()))
