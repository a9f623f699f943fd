"""The metrics run no Python loop over frames or (frame, class) pairs.

A line tracer counts the Python lines executed inside the metric modules while a split is
evaluated. Vectorised code executes the same lines whatever the number of frames; a loop over
frames (or frame-class pairs) would execute its body once per frame.
"""

import sys
from collections.abc import Callable

import numpy as np

from slowfast_microg.evaluation import (
    Detections,
    GroundTruth,
    evaluate_detections,
    frame_map,
    make_key,
    multilabel,
)
from slowfast_microg.evaluation import evaluate as evaluate_module

NUM_CLASSES = 12
WATCHED = {module.__file__ for module in (evaluate_module, frame_map, multilabel)}


def split(num_frames: int, seed: int) -> tuple[GroundTruth, Detections, dict[int, str]]:
    """Frames with 1-3 people, 1-3 classes each (every class present), and jittered detections."""
    rng = np.random.default_rng(seed)
    keys, boxes, labels, det_keys, det_boxes = [], [], [], [], []
    for frame in range(num_frames):
        key = make_key(f"vid{frame // 4}", 40 + frame % 4)
        for person in range(1 + frame % 3):
            x = 0.3 * person
            box = [x, 0.1, x + 0.25, 0.9]
            for k in range(1 + (frame + person) % 3):
                keys.append(key)
                boxes.append(box)
                labels.append(1 + (frame + person + 5 * k) % NUM_CLASSES)
            det_keys.append(key)
            det_boxes.append(np.clip(np.add(box, rng.normal(0, 0.02, 4)), 0, 1))
    gt = GroundTruth(keys=keys, boxes=np.array(boxes), labels=labels)
    det = Detections(
        keys=det_keys,
        boxes=np.array(det_boxes),
        scores=rng.normal(size=(len(det_keys), NUM_CLASSES)),
        class_ids=list(range(1, NUM_CLASSES + 1)),
    )
    return gt, det, {c: f"class {c}" for c in range(1, NUM_CLASSES + 1)}


def lines_executed(fn: Callable[[], object]) -> int:
    """Python lines run inside the metric modules during ``fn()``."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def on_call(frame, event, arg):
        return local if frame.f_code.co_filename in WATCHED else None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        fn()
    finally:
        sys.settrace(previous)
    return count


def test_line_count_does_not_grow_with_the_number_of_frames() -> None:
    small_gt, small_det, label_map = split(24, seed=0)
    large_gt, large_det, _ = split(24 * 25, seed=1)
    assert len(large_gt) > 20 * len(small_gt)

    def run_small() -> object:
        return evaluate_detections(gt=small_gt, detections=small_det, label_map=label_map)

    def run_large() -> object:
        return evaluate_detections(gt=large_gt, detections=large_det, label_map=label_map)

    small, large = lines_executed(run_small), lines_executed(run_large)
    assert small > 50  # the tracer saw the metric code
    assert large == small
    # The results are real: every class has ground truth and gets a finite AP.
    metrics = run_large()
    assert all(0.0 <= ap <= 1.0 for ap in metrics.ap_per_class.values())
