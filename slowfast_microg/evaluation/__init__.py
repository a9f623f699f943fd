"""Frame-level action detection evaluation: AVA/PASCAL frame mAP and the paper's extra metrics.

Pure functions without logging side effects or global configuration. Typical use::

    from slowfast_microg.evaluation import (
        evaluate_detections, read_detections_csv, read_gt_csv, read_label_map,
    )

    label_map = read_label_map("label_map.pbtxt")
    gt = read_gt_csv("ava_test_gt.csv", label_map=label_map)
    detections = read_detections_csv("detections_test.csv", label_map=label_map)
    metrics = evaluate_detections(gt=gt, detections=detections, label_map=label_map)
    print(metrics.map, metrics.to_dict())

A training engine builds ``GroundTruth`` and ``Detections`` from arrays (keys from
``make_key``) and calls ``evaluate_detections`` without writing CSVs. Tables come from
``read_run_folder`` + ``format_tables``; figures from ``slowfast_microg.evaluation.plots``
(kept out of this namespace so that importing it does not import matplotlib).
"""

from slowfast_microg.evaluation.csv_io import (
    read_ap_per_class_csv,
    read_detections_csv,
    read_exclusions,
    read_gt_csv,
    write_ap_per_class_csv,
    write_detections_csv,
)
from slowfast_microg.evaluation.errors import EvaluationInputError
from slowfast_microg.evaluation.evaluate import DetectionMetrics, evaluate_detections
from slowfast_microg.evaluation.label_map import read_label_map
from slowfast_microg.evaluation.run_folder import RunSummary, read_run_folder
from slowfast_microg.evaluation.structures import Detections, GroundTruth, make_key
from slowfast_microg.evaluation.tables import format_tables

__all__ = [
    "DetectionMetrics",
    "Detections",
    "EvaluationInputError",
    "GroundTruth",
    "RunSummary",
    "evaluate_detections",
    "format_tables",
    "make_key",
    "read_ap_per_class_csv",
    "read_detections_csv",
    "read_exclusions",
    "read_gt_csv",
    "read_label_map",
    "read_run_folder",
    "write_ap_per_class_csv",
    "write_detections_csv",
]
