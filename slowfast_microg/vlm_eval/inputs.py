"""Ground-truth and prediction files in the authors' formats (plus JSONL / CSV) as plain data.

Ground truth: a JSON list of ``{"video_id", "caption", "qa_pairs": [{"Q", "A"}, ...]}``.
Caption predictions: ``{video_id: caption}`` (JSON), a JSON list of ``{"video_id", "caption"}``,
JSONL rows of the same, or CSV with columns ``video_id,caption``.
VQA predictions: the ground-truth shape (a missing ``"A"`` reads as ``""``), JSONL rows of
``{"video_id", "question", "answer"}``, or CSV with those columns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slowfast_microg.vlm_eval.errors import InputFormatError
from slowfast_microg.vlm_eval.io import file_kind, iter_csv, iter_jsonl, load_json

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GtClip:
    """One ground-truth clip.

    Attributes:
        video_id: the clip id.
        caption: the reference caption (``None`` when the file has none and the task is VQA).
        qa_pairs: ``(question, answer)`` pairs as written in the file (not stripped).
    """

    video_id: str
    caption: str | None
    qa_pairs: tuple[tuple[str, str], ...]


@dataclass
class VqaPredictions:
    """Answers keyed by ``(video_id, stripped question)``.

    Attributes:
        answers: stripped answer per key.
        collapsed: keys seen more than once (the last answer was kept), as ``(key, where)``.
    """

    answers: dict[tuple[str, str], str] = field(default_factory=dict)
    collapsed: list[tuple[tuple[str, str], str]] = field(default_factory=list)


def _valid_unicode(value: str, *, where: str, name: str) -> str:
    """Return ``value``; refuse it if it holds a lone surrogate (a ``\\udXXX`` JSON escape)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputFormatError(
            f"{where}: {name!r} holds {value[exc.start]!r} at character {exc.start} "
            f"(near {value[max(0, exc.start - 20) : exc.start]!r}), a lone surrogate escape that "
            "is not valid Unicode text, usually left by a wrong decoding step. Re-export the "
            "file as UTF-8 text."
        ) from None
    return value


def _text(value: Any, *, where: str, name: str, allow_none: bool) -> str:
    if value is None and allow_none:
        return ""
    if not isinstance(value, str):
        raise InputFormatError(
            f"{where}: {name!r} must be a string, got {type(value).__name__} {value!r:.60}"
        )
    return _valid_unicode(value, where=where, name=name)


def _video_id(record: Any, *, where: str) -> str:
    if not isinstance(record, dict):
        raise InputFormatError(f"{where}: expected an object, got {type(record).__name__}")
    if "video_id" not in record:
        raise InputFormatError(f"{where}: no 'video_id' field (fields: {sorted(record)})")
    vid = record["video_id"]
    if not isinstance(vid, str) or not vid.strip():
        raise InputFormatError(f"{where}: 'video_id' must be a non-empty string, got {vid!r}")
    return _valid_unicode(vid, where=where, name="video_id")


def _check_unique(video_id: str, where: str, seen: dict[str, str], path: Path) -> None:
    if video_id in seen:
        raise InputFormatError(
            f"{path}: video_id {video_id!r} appears twice ({seen[video_id]} and {where}); "
            "every clip must appear once"
        )
    seen[video_id] = where


def load_ground_truth(path: str | Path, *, task: str) -> list[GtClip]:
    """Read the released ground-truth JSON list.

    Args:
        path: the ground-truth file.
        task: ``"caption"`` (every clip needs a string ``caption``) or ``"vqa"`` (every clip
            needs a ``qa_pairs`` list of ``{"Q": str, "A": str}``).

    Returns:
        The clips in file order.
    """
    path = Path(path)
    data = load_json(path)
    if not isinstance(data, list):
        raise InputFormatError(
            f"{path}: ground truth must be a JSON list of clips, got {type(data).__name__}"
        )
    clips, seen = [], {}
    for index, record in enumerate(data):
        where = f"{path}: item {index}"
        vid = _video_id(record, where=where)
        where = f"{where} (video_id {vid!r})"
        _check_unique(vid, where, seen, path)
        caption = record.get("caption")
        if task == "caption":
            caption = _text(caption, where=where, name="caption", allow_none=False)
        pairs: list[tuple[str, str]] = []
        if task == "vqa":
            qa = record.get("qa_pairs")
            if not isinstance(qa, list):
                raise InputFormatError(f"{where}: 'qa_pairs' must be a list, got {qa!r:.60}")
            for k, pair in enumerate(qa):
                if not isinstance(pair, dict):
                    raise InputFormatError(f"{where}: qa_pairs[{k}] must be an object")
                q = _text(pair.get("Q"), where=f"{where} qa_pairs[{k}]", name="Q", allow_none=False)
                a = _text(pair.get("A"), where=f"{where} qa_pairs[{k}]", name="A", allow_none=False)
                pairs.append((q, a))
        clips.append(GtClip(video_id=vid, caption=caption, qa_pairs=tuple(pairs)))
    if not clips:
        raise InputFormatError(f"{path}: the ground-truth list is empty")
    return clips


def load_caption_predictions(path: str | Path) -> dict[str, str]:
    """Read caption predictions; a ``null`` caption reads as the empty string.

    Args:
        path: ``.json`` (object or list), ``.jsonl`` or ``.csv`` file.

    Returns:
        Caption per video id, as written (not stripped).
    """
    path = Path(path)
    kind = file_kind(path)
    preds: dict[str, str] = {}
    seen: dict[str, str] = {}
    if kind == "json":
        data = load_json(path)
        if isinstance(data, dict):
            for vid, caption in data.items():
                _valid_unicode(vid, where=f"{path}: key {vid!r}", name="video_id")
                preds[vid] = _text(
                    caption, where=f"{path}: video_id {vid!r}", name="caption", allow_none=True
                )
            return preds
        if not isinstance(data, list):
            raise InputFormatError(
                f"{path}: expected a JSON object {{video_id: caption}} or a list of "
                f"{{video_id, caption}}, got {type(data).__name__}"
            )
        records = ((f"{path}: item {i}", rec) for i, rec in enumerate(data))
    elif kind == "jsonl":
        records = ((f"{path}: line {n}", rec) for n, rec in iter_jsonl(path))
    else:
        required = ("video_id", "caption")
        records = ((f"{path}: line {n}", row) for n, row in iter_csv(path, required=required))
    for where, record in records:
        vid = _video_id(record, where=where)
        _check_unique(vid, where, seen, path)
        if "caption" not in record:
            raise InputFormatError(f"{where}: no 'caption' field (fields: {sorted(record)})")
        preds[vid] = _text(record["caption"], where=where, name="caption", allow_none=True)
    return preds


def _qa_rows(path: Path) -> list[tuple[str, str, Any, Any]]:
    """Return ``(where, video_id, question, answer)`` rows from any VQA prediction format."""
    kind = file_kind(path)
    rows: list[tuple[str, str, Any, Any]] = []
    if kind == "json":
        data = load_json(path)
        if not isinstance(data, list):
            raise InputFormatError(
                f"{path}: VQA predictions must be a JSON list shaped like the ground truth "
                f"([{{video_id, qa_pairs: [{{Q, A}}]}}]), got {type(data).__name__}"
            )
        seen: dict[str, str] = {}
        for index, record in enumerate(data):
            where = f"{path}: item {index}"
            vid = _video_id(record, where=where)
            _check_unique(vid, where, seen, path)
            qa = record.get("qa_pairs")
            if not isinstance(qa, list):
                raise InputFormatError(f"{where}: 'qa_pairs' must be a list, got {qa!r:.60}")
            for k, pair in enumerate(qa):
                if not isinstance(pair, dict):
                    raise InputFormatError(f"{where} qa_pairs[{k}]: expected an object")
                rows.append((f"{where} qa_pairs[{k}]", vid, pair.get("Q"), pair.get("A")))
        return rows
    if kind == "jsonl":
        records = ((f"{path}: line {n}", rec) for n, rec in iter_jsonl(path))
    else:
        required = ("video_id", "question", "answer")
        records = ((f"{path}: line {n}", row) for n, row in iter_csv(path, required=required))
    for where, record in records:
        vid = _video_id(record, where=where)
        question = record.get("question", record.get("Q"))
        answer = record.get("answer", record.get("A"))
        rows.append((where, vid, question, answer))
    return rows


def load_vqa_predictions(path: str | Path, *, duplicate_questions: str) -> VqaPredictions:
    """Read VQA predictions and key them by ``(video_id, question.strip())``.

    Args:
        path: ``.json`` (ground-truth shape), ``.jsonl`` or ``.csv`` file.
        duplicate_questions: ``"last"`` keeps the last answer of a repeated key (the authors'
            behaviour) and records it; ``"error"`` raises.

    Returns:
        The stripped answers and the collapsed keys.
    """
    path = Path(path)
    out = VqaPredictions()
    first_seen: dict[tuple[str, str], str] = {}
    for where, vid, question, answer in _qa_rows(path):
        q = _text(question, where=where, name="question", allow_none=False).strip()
        a = _text(answer, where=where, name="answer", allow_none=True).strip()
        key = (vid, q)
        if key in first_seen:
            if duplicate_questions == "error":
                raise InputFormatError(
                    f"{where}: question {q!r} of video_id {vid!r} was already answered at "
                    f"{first_seen[key]}; use --duplicate-questions last to keep the last answer"
                )
            out.collapsed.append((key, where))
        else:
            first_seen[key] = where
        out.answers[key] = a
    return out
