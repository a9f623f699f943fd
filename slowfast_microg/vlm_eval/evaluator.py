"""A ``reset / process / evaluate`` evaluator that scores captions or answers as they come.

It follows the dataset-evaluator interface used elsewhere in the toolkit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from slowfast_microg.vlm_eval.align import align_captions, align_vqa
from slowfast_microg.vlm_eval.errors import InputFormatError
from slowfast_microg.vlm_eval.evaluate import EvalOptions, Evaluation, evaluate_items
from slowfast_microg.vlm_eval.inputs import GtClip, VqaPredictions, load_ground_truth

logger = logging.getLogger(__name__)


class CaptionVqaEvaluator:
    """Collect predictions batch by batch, then score them against the ground truth.

    Args:
        ground_truth: the ground-truth file or already loaded clips.
        task: ``"caption"`` or ``"vqa"``.
        options: metric options (defaults from the ``VLM_EVAL`` node when ``None``).
        missing: ``"error"``, ``"zero"`` or ``"skip"`` for clips / questions never processed.
    """

    def __init__(
        self,
        *,
        ground_truth: str | Path | list[GtClip],
        task: str,
        options: EvalOptions | None = None,
        missing: str = "error",
    ) -> None:
        if isinstance(ground_truth, (str, Path)):
            ground_truth = load_ground_truth(ground_truth, task=task)
        self._gt = ground_truth
        self._task = task
        self._options = options
        self._missing = missing
        self.last: Evaluation | None = None
        self.reset()

    def reset(self) -> None:
        """Forget every processed prediction."""
        self._captions: dict[str, str] = {}
        self._answers = VqaPredictions()

    def process(self, inputs: Sequence[dict[str, Any]], outputs: Sequence[str]) -> None:
        """Record one batch of predictions.

        Args:
            inputs: B dicts with ``"video_id"`` (and ``"question"`` for VQA).
            outputs: B predicted captions or answers.
        """
        if len(inputs) != len(outputs):
            raise ValueError(f"{len(inputs)} inputs but {len(outputs)} outputs")
        for item, text in zip(inputs, outputs, strict=True):
            vid = item["video_id"]
            if self._task == "caption":
                if vid in self._captions:
                    raise InputFormatError(f"video_id {vid!r} was processed twice")
                self._captions[vid] = text
            else:
                key = (vid, str(item["question"]).strip())
                if key in self._answers.answers:
                    self._answers.collapsed.append((key, "process()"))
                self._answers.answers[key] = text.strip()

    def evaluate(self) -> dict[str, float]:
        """Score everything processed since the last :meth:`reset`.

        Returns:
            The paper's 0-100 value of each metric, keyed by metric name; the full
            :class:`Evaluation` is kept in ``self.last``.
        """
        if self._task == "caption":
            items = align_captions(self._gt, self._captions, missing=self._missing)
        else:
            items = align_vqa(self._gt, self._answers, missing=self._missing)
        self.last = evaluate_items(items, self._options)
        return {name: score.scaled for name, score in self.last.scores.items()}
