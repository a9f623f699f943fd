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

from slowfast_microg.utils.label_space import select_class_columns

__all__ = ["SelectClasses", "select_class_columns"]

logger = logging.getLogger(__name__)


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
