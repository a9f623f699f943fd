"""Exceptions raised by the caption / VQA evaluator, each carrying an actionable message."""

from __future__ import annotations


class VlmEvalError(Exception):
    """Base class: anything the evaluator reports to the user as a plain message."""


class InputFormatError(VlmEvalError):
    """A ground-truth or prediction file cannot be read; the message names file, line and value."""


class AlignmentError(VlmEvalError):
    """Predictions do not cover the ground truth under the chosen ``--missing`` policy."""


class DependencyError(VlmEvalError):
    """An optional dependency (package, Java runtime, model weights) is not available."""


class MetricRuntimeError(VlmEvalError):
    """A metric backend (the METEOR or PTB Java process, a model) failed while scoring."""
