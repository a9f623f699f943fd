"""Matching predictions to ground-truth items, with counts and the ``--missing`` policy."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from slowfast_microg.vlm_eval.errors import AlignmentError, InputFormatError
from slowfast_microg.vlm_eval.inputs import GtClip, VqaPredictions

logger = logging.getLogger(__name__)


@dataclass
class EvalItems:
    """The items to score: one per caption, or one per QA pair (all clips pooled).

    Attributes:
        task: ``"caption"`` or ``"vqa"``.
        video_ids: clip id of each item.
        questions: stripped question of each item (VQA) or ``None`` (captions).
        references: reference text of each item (captions raw, answers stripped).
        predictions: predicted text of each item (``""`` for a missing one).
        missing: ``True`` where the prediction was absent and the item is scored as zero.
        counts: matched / missing / extra / empty counts and the first ids of each kind.
    """

    task: str
    video_ids: list[str] = field(default_factory=list)
    questions: list[str | None] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    predictions: list[str] = field(default_factory=list)
    missing: list[bool] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.references)

    def add(self, *, video_id: str, question: str | None, ref: str, pred: str, miss: bool) -> None:
        """Append one item."""
        self.video_ids.append(video_id)
        self.questions.append(question)
        self.references.append(ref)
        self.predictions.append(pred)
        self.missing.append(miss)


def _label(key: Any) -> str:
    if isinstance(key, tuple):
        return f"{key[0]} | {key[1]}"
    return str(key)


def _finish(
    items: EvalItems,
    *,
    gt_keys: list[Any],
    pred_keys: list[Any],
    missing_keys: list[Any],
    extra_keys: list[Any],
    empty: int,
    policy: str,
    list_ids: int,
) -> EvalItems:
    unit = "captions" if items.task == "caption" else "QA pairs"
    matched = len(gt_keys) - len(missing_keys)
    if matched == 0:
        hint = "" if items.task == "caption" else "; questions must equal the ground truth's"
        raise AlignmentError(
            f"no prediction matches the ground truth ({len(gt_keys)} {unit} in the ground truth, "
            f"{len(pred_keys)} predicted). First ground-truth keys: "
            f"{[_label(k) for k in gt_keys[:list_ids]]}; first predicted keys: "
            f"{[_label(k) for k in pred_keys[:list_ids]]}{hint}"
        )
    if missing_keys and policy == "error":
        raise AlignmentError(
            f"{len(missing_keys)} of {len(gt_keys)} ground-truth {unit} have no prediction, "
            f"first: {[_label(k) for k in missing_keys[:list_ids]]}. Complete the predictions, "
            "or choose --missing zero (score them as empty, 0) or --missing skip (score the "
            "matched items only)."
        )
    if missing_keys:
        logger.warning(
            "%d ground-truth %s have no prediction (policy %r), first: %s",
            len(missing_keys),
            unit,
            policy,
            [_label(k) for k in missing_keys[:list_ids]],
        )
    if extra_keys:
        logger.warning(
            "%d predicted %s match no ground-truth item and are ignored, first: %s",
            len(extra_keys),
            unit,
            [_label(k) for k in extra_keys[:list_ids]],
        )
    items.counts.update(
        {
            "unit": unit,
            "ground_truth": len(gt_keys),
            "predictions": len(pred_keys),
            "matched": matched,
            "missing": len(missing_keys),
            "extra": len(extra_keys),
            "empty": empty,
            "scored": len(items),
            "missing_policy": policy,
            "first_missing": [_label(k) for k in missing_keys[:list_ids]],
            "first_extra": [_label(k) for k in extra_keys[:list_ids]],
        }
    )
    return items


def align_captions(
    gt: list[GtClip], preds: dict[str, str], *, missing: str, list_ids: int = 10
) -> EvalItems:
    """Pair every ground-truth caption with its predicted caption (texts kept as written).

    Args:
        gt: ground-truth clips.
        preds: caption per video id.
        missing: ``"error"``, ``"zero"`` or ``"skip"`` (see ``VLM_EVAL.MISSING``).
        list_ids: how many ids to list in messages.

    Returns:
        The items to score and their counts.
    """
    items = EvalItems(task="caption")
    gt_ids = {clip.video_id for clip in gt}
    missing_keys, empty = [], 0
    for clip in gt:
        if clip.video_id in preds:
            pred = preds[clip.video_id]
            empty += not pred.strip()
            items.add(
                video_id=clip.video_id, question=None, ref=clip.caption, pred=pred, miss=False
            )
        else:
            missing_keys.append(clip.video_id)
            if missing == "zero":
                items.add(
                    video_id=clip.video_id, question=None, ref=clip.caption, pred="", miss=True
                )
    extra = [vid for vid in preds if vid not in gt_ids]
    return _finish(
        items,
        gt_keys=[c.video_id for c in gt],
        pred_keys=list(preds),
        missing_keys=missing_keys,
        extra_keys=extra,
        empty=empty,
        policy=missing,
        list_ids=list_ids,
    )


def vqa_reference_answers(
    gt: list[GtClip], *, duplicate_questions: str
) -> tuple[dict[tuple[str, str], str], list[tuple[str, str]]]:
    """Key the ground-truth answers by ``(video_id, question.strip())``, answers stripped.

    Args:
        gt: ground-truth clips.
        duplicate_questions: ``"last"`` keeps the last answer of a repeated key (the authors'
            dict does the same) and reports it; ``"error"`` raises.

    Returns:
        The answer per key (first-occurrence order) and the keys that were repeated.
    """
    answers: dict[tuple[str, str], str] = {}
    repeated: list[tuple[str, str]] = []
    for clip in gt:
        for question, answer in clip.qa_pairs:
            key = (clip.video_id, question.strip())
            if key in answers:
                if duplicate_questions == "error":
                    raise InputFormatError(
                        f"ground truth: video_id {clip.video_id!r} asks {key[1]!r} twice; "
                        "use --duplicate-questions last to keep the last answer"
                    )
                repeated.append(key)
            answers[key] = answer.strip()
    return answers, repeated


def align_vqa(
    gt: list[GtClip],
    preds: VqaPredictions,
    *,
    missing: str,
    duplicate_questions: str = "last",
    list_ids: int = 10,
) -> EvalItems:
    """Pair every ground-truth QA item with the answer predicted for the same question.

    Args:
        gt: ground-truth clips.
        preds: predicted answers keyed by ``(video_id, stripped question)``.
        missing: ``"error"``, ``"zero"`` or ``"skip"`` (see ``VLM_EVAL.MISSING``).
        duplicate_questions: see :func:`vqa_reference_answers`.
        list_ids: how many ids to list in messages.

    Returns:
        The items to score (all clips' QA pairs pooled) and their counts.
    """
    refs, repeated = vqa_reference_answers(gt, duplicate_questions=duplicate_questions)
    if repeated:
        logger.warning(
            "%d ground-truth questions repeat within their clip; the last answer of each is "
            "kept (as the authors' evaluator does), first: %s",
            len(repeated),
            [_label(k) for k in repeated[:list_ids]],
        )
    items = EvalItems(task="vqa")
    missing_keys, empty = [], 0
    for key, ref in refs.items():
        if key in preds.answers:
            pred = preds.answers[key]
            empty += not pred
            items.add(video_id=key[0], question=key[1], ref=ref, pred=pred, miss=False)
        else:
            missing_keys.append(key)
            if missing == "zero":
                items.add(video_id=key[0], question=key[1], ref=ref, pred="", miss=True)
    extra = [key for key in preds.answers if key not in refs]
    _finish(
        items,
        gt_keys=list(refs),
        pred_keys=list(preds.answers),
        missing_keys=missing_keys,
        extra_keys=extra,
        empty=empty,
        policy=missing,
        list_ids=list_ids,
    )
    items.counts["duplicate_questions_ground_truth"] = len(repeated)
    items.counts["duplicate_questions_predictions"] = len(preds.collapsed)
    return items
