"""Zero-shot evaluation of an AVA-80 model on MicroG-4M by selecting output columns.

MicroG-4M's 50 classes are original AVA ids, and a model's output column i is the i-th
smallest id of its label map, so an 80-class AVA model is scored on MicroG-4M by keeping the
columns of the 50 shared ids.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

logger = logging.getLogger(__name__)


def select_class_columns(source_ids: Sequence[int], target_ids: Sequence[int]) -> list[int]:
    """Output columns of a ``source_ids`` model that give the ``target_ids`` classes.

    Args:
        source_ids: label ids of the model's classes (e.g. the 80 AVA ids 1..80); column i
            is the i-th smallest.
        target_ids: label ids to score (e.g. the 50 MicroG-4M ids); output column j is the j-th
            smallest.

    Returns:
        Column indices into the model output, one per target id in ascending id order.

    Raises:
        ValueError: duplicate ids, or target ids the source model does not have.
    """
    source = sorted(int(i) for i in source_ids)
    target = sorted(int(i) for i in target_ids)
    for name, ids in (("source_ids", source), ("target_ids", target)):
        if len(set(ids)) != len(ids):
            raise ValueError(f"{name} contains duplicate ids.")
    column = {label: index for index, label in enumerate(source)}
    absent = [label for label in target if label not in column]
    if absent:
        raise ValueError(
            f"{len(absent)} target id(s) are not classes of the source model: {absent[:10]}."
        )
    return [column[label] for label in target]


class SelectClasses(nn.Module):
    """Wrap a model and keep only the given output columns: (N, C_src) -> (N, len(columns))."""

    def __init__(self, model: nn.Module, columns: Sequence[int]) -> None:
        """Create the wrapper.

        Args:
            model: any model returning (N, C_src) scores.
            columns: indices into the C_src outputs, e.g. from ``select_class_columns``.
        """
        super().__init__()
        self.model = model
        self.register_buffer(
            "columns", torch.as_tensor(list(columns), dtype=torch.long), persistent=False
        )

    def forward(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        """Run the model and return the selected (N, len(columns)) scores."""
        scores = self.model(*args, **kwargs)
        return scores.index_select(1, self.columns.to(scores.device))
