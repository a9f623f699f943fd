"""Checkpoint loading: PySlowFast ``.pyth``, Caffe2 ``.pkl``, inflation, resizing, reports.

Public API::

    from slowfast_microg.models.checkpoint import load_checkpoint, LoadReport
    report = load_checkpoint("x3d_s.pyth", model)
    print(report.summary())
"""

from slowfast_microg.models.checkpoint.caffe2_names import convert_caffe2_name
from slowfast_microg.models.checkpoint.errors import CheckpointError
from slowfast_microg.models.checkpoint.loader import load_checkpoint, load_state, unwrap_model
from slowfast_microg.models.checkpoint.pytorchvideo_names import map_pytorchvideo_names
from slowfast_microg.models.checkpoint.report import LoadReport
from slowfast_microg.models.checkpoint.selection import (
    CheckpointChoice,
    choose_checkpoint,
    last_checkpoint,
    load_cfg_checkpoint,
)
from slowfast_microg.models.checkpoint.zero_shot import SelectClasses, select_class_columns

__all__ = [
    "CheckpointChoice",
    "CheckpointError",
    "LoadReport",
    "SelectClasses",
    "choose_checkpoint",
    "convert_caffe2_name",
    "last_checkpoint",
    "load_cfg_checkpoint",
    "load_checkpoint",
    "load_state",
    "map_pytorchvideo_names",
    "select_class_columns",
    "unwrap_model",
]
