"""Benchmark: detection evaluation, vectorised package code vs a per-image reference loop.

``python benchmarks/run.py eval [--fixture-dir DIR] [--scale 10] [--repeats 5]``

Times, end to end (parse label map, ground truth and detections, then mAP, F1, recall, AUROC):

- ``ours``: ``slowfast_microg.evaluation`` (``read_*`` + ``evaluate_detections``).
- ``baseline``: a re-implementation, written for this benchmark, of the per-image loop of the
  AVA/PASCAL evaluator the authors ran (PySlowFast's ``ava_evaluation``): ``csv.reader`` into
  per-frame lists; per frame, ground-truth counts per class slot; then for every frame a loop
  over all class slots (1..max id) that selects the slot's boxes, builds validated box lists,
  computes the IoU matrix column by column and matches greedily in input order; then per class
  a reversed ``np.argsort`` and the VOC AP; F1/recall/AUROC with scikit-learn on per-box score
  vectors, as the authors' helper does.

on the published I3D test split (1,137 boxes x 50 classes) and on a synthetic split ``--scale``
times larger (the fixture tiled with renamed videos and jittered scores), and checks that both
give the same metrics.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from model_inputs import code_version

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "eval"
LOGGED_I3D_TEST = {
    "map": 0.46409,
    "f1_macro": 0.26372,
    "recall_macro": 0.22252,
    "auroc_macro": 0.88787,
}


def _baseline_read(path: Path, whitelist: set[int], with_score: bool):
    """Per-frame lists of [y1, x1, y2, x2] boxes, ids, scores and file rows, like the reference."""
    boxes, labels, scores, rows = (defaultdict(list) for _ in range(4))
    with open(path, newline="") as handle:
        for row_number, row in enumerate(csv.reader(handle)):
            assert len(row) in (7, 8), f"wrong number of columns in {path}: {row}"
            key = f"{row[0]},{int(row[1]):04d}"
            x1, y1, x2, y2 = (float(v) for v in row[2:6])
            action = int(row[6])
            if action not in whitelist:
                continue
            boxes[key].append([y1, x1, y2, x2])
            labels[key].append(action)
            scores[key].append(float(row[7]) if with_score else 1.0)
            rows[key].append(row_number)
    return boxes, labels, scores, rows


class _BoxList:
    """Boxes [y1, x1, y2, x2] plus named fields, validated on creation like the reference's."""

    def __init__(self, data: np.ndarray) -> None:
        if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 4:
            raise ValueError("box data must be an (N, 4) numpy array")
        if data.dtype not in (np.float32, np.float64):
            raise ValueError("box data must be float")
        if data.size and not (
            np.less_equal(data[:, 0], data[:, 2]).all()
            and np.less_equal(data[:, 1], data[:, 3]).all()
        ):
            raise ValueError("invalid box data")
        self.data = {"boxes": data}

    def add_field(self, name: str, values: np.ndarray) -> None:
        if values.shape[0] != self.data["boxes"].shape[0]:
            raise ValueError("field size differs from the number of boxes")
        self.data[name] = values

    def get(self, name: str = "boxes") -> np.ndarray:
        return self.data[name]

    def num_boxes(self) -> int:
        return self.data["boxes"].shape[0]


def _baseline_area(boxes: np.ndarray) -> np.ndarray:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _baseline_intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection areas, one coordinate column split at a time."""
    ay1, ax1, ay2, ax2 = np.split(a, 4, axis=1)
    by1, bx1, by2, bx2 = np.split(b, 4, axis=1)
    heights = np.minimum(ay2, np.transpose(by2)) - np.maximum(ay1, np.transpose(by1))
    heights = np.maximum(np.zeros(heights.shape), heights)
    widths = np.minimum(ax2, np.transpose(bx2)) - np.maximum(ax1, np.transpose(bx1))
    widths = np.maximum(np.zeros(widths.shape), widths)
    return heights * widths


def _baseline_iou(a: _BoxList, b: _BoxList) -> np.ndarray:
    """IoU matrix of two box lists."""
    inter = _baseline_intersection(a.get(), b.get())
    union = (
        np.expand_dims(_baseline_area(a.get()), 1)
        + np.expand_dims(_baseline_area(b.get()), 0)
        - inter
    )
    return inter / union


def _baseline_frame(det, gt, num_slots: int, order: str):
    """Scores, TP flags and file rows per class slot for one frame (the per-image loop)."""
    det_boxes, det_labels, det_scores, det_rows = det
    gt_boxes, gt_labels = gt
    difficult = np.zeros(gt_labels.size, dtype=bool)
    group_of = np.zeros(gt_labels.size, dtype=bool)
    keep = (det_boxes[:, 0] < det_boxes[:, 2]) & (det_boxes[:, 1] < det_boxes[:, 3])
    det_boxes, det_labels, det_scores, det_rows = (
        det_boxes[keep],
        det_labels[keep],
        det_scores[keep],
        det_rows[keep],
    )
    result = []
    for slot in range(num_slots):
        slot_difficult = difficult[gt_labels == slot]
        slot_group_of = group_of[gt_labels == slot]
        g_boxes = gt_boxes[gt_labels == slot]
        selected = det_labels == slot
        d_boxes, d_scores, d_rows = det_boxes[selected], det_scores[selected], det_rows[selected]
        if d_boxes.size == 0:
            result.append((np.array([], dtype=float), np.array([], dtype=bool), d_rows))
            continue
        if order == "score":
            o = np.lexsort((d_rows, -d_scores))
            d_boxes, d_scores, d_rows = d_boxes[o], d_scores[o], d_rows[o]
        detected = _BoxList(d_boxes)
        detected.add_field("scores", d_scores)
        iou = _baseline_iou(detected, _BoxList(g_boxes[~slot_group_of]))
        scores = detected.get("scores")
        tp = np.zeros(detected.num_boxes(), dtype=bool)
        if g_boxes.size and iou.shape[1] > 0:
            nongroup_difficult = slot_difficult[~slot_group_of]
            best = np.argmax(iou, axis=1)
            taken = np.zeros(iou.shape[1], dtype=bool)
            for i in range(detected.num_boxes()):
                g = best[i]
                if iou[i, g] >= 0.5 and not nongroup_difficult[g] and not taken[g]:
                    tp[i] = True
                    taken[g] = True
        result.append((scores, tp, d_rows))
    return result


def _baseline_ap(
    scores: np.ndarray, tp: np.ndarray, rows: np.ndarray, num_gt: int, order: str
) -> float:
    """VOC all-point AP of one class with the reference's ranking and envelope loop."""
    if num_gt == 0:
        return float("nan")
    if scores.size == 0:
        return 0.0
    ranking = np.argsort(scores)[::-1] if order == "input" else np.lexsort((rows, -scores))
    hits = tp[ranking].astype(int)
    cum_tp, cum_fp = np.cumsum(hits), np.cumsum(1 - hits)
    precision = np.concatenate([[0.0], cum_tp / (cum_tp + cum_fp), [0.0]])
    recall = np.concatenate([[0.0], cum_tp / num_gt, [1.0]])
    for i in range(precision.size - 2, -1, -1):
        precision[i] = max(precision[i], precision[i + 1])
    steps = np.where(recall[1:] != recall[:-1])[0] + 1
    return float(np.sum((recall[steps] - recall[steps - 1]) * precision[steps]))


def _baseline_box_vectors(det_path: Path, class_ids: list[int]):
    """Per-box score vectors from consecutive rows of the same frame and box (a repeated class
    starts a new box), as the authors' in-memory predictions were laid out."""
    column = {c: i for i, c in enumerate(class_ids)}
    keys, vectors, previous = [], [], None
    with open(det_path, newline="") as handle:
        for row in csv.reader(handle):
            ident = (f"{row[0]},{int(row[1]):04d}", *row[2:6])
            slot = column[int(row[6])]
            if ident != previous or not np.isnan(vectors[-1][slot]):
                keys.append(ident[0])
                vectors.append(np.full(len(class_ids), np.nan))
                previous = ident
            vectors[-1][slot] = float(row[7])
    return keys, np.array(vectors)


def baseline_evaluate(
    gt_path: Path, det_path: Path, label_map: dict[int, str], *, order: str = "input"
) -> dict:
    """Evaluate like the authors' evaluator, one frame and one class slot at a time.

    Args:
        gt_path: Ground-truth CSV.
        det_path: Detections CSV (PySlowFast format).
        label_map: Id -> name.
        order: "input" processes a frame's detections in file order and ranks a class with
            ``np.argsort(scores)[::-1]`` (the reference); "score" uses score order with file
            order breaking ties (the package's documented rule).

    Returns:
        Dict with map, ap_per_class, f1_macro, recall_macro and auroc_macro.
    """
    from sklearn.metrics import f1_score, recall_score, roc_auc_score

    whitelist = set(label_map)
    num_slots = max(whitelist)
    gt_boxes, gt_labels, _, _ = _baseline_read(gt_path, whitelist, with_score=False)
    det_boxes, det_labels, det_scores, det_rows = _baseline_read(
        det_path, whitelist, with_score=True
    )
    num_gt = np.zeros(num_slots, dtype=int)
    for key in gt_boxes:
        labels = np.array(gt_labels[key]) - 1
        for slot in range(num_slots):
            num_gt[slot] += np.sum(labels == slot)
    per_class = [([], [], []) for _ in range(num_slots)]
    for key in det_boxes:
        gt = (
            np.array(gt_boxes.get(key, np.empty((0, 4))), dtype=float).reshape(-1, 4),
            np.array(gt_labels.get(key, []), dtype=int) - 1,
        )
        det = (
            np.array(det_boxes[key]),
            np.array(det_labels[key]) - 1,
            np.array(det_scores[key]),
            np.array(det_rows[key]),
        )
        for slot, (s, tp, rows) in enumerate(_baseline_frame(det, gt, num_slots, order)):
            if s.size:
                for bucket, values in zip(per_class[slot], (s, tp, rows), strict=True):
                    bucket.append(values)
    ap = {}
    for class_id in sorted(whitelist):
        s, tp, rows = (np.concatenate(b) if b else np.empty(0) for b in per_class[class_id - 1])
        ap[class_id] = _baseline_ap(s, tp.astype(bool), rows, int(num_gt[class_id - 1]), order)

    class_ids = sorted(whitelist)
    keys, y_score = _baseline_box_vectors(det_path, class_ids)
    lookup = {(k, c) for k in gt_labels for c in gt_labels[k]}
    y_true = np.array([[int((k, c) in lookup) for c in class_ids] for k in keys])
    y_pred = (y_score >= 0.5).astype(int)
    keep = [c for c in range(len(class_ids)) if 0 < y_true[:, c].sum() < y_true.shape[0]]
    finite_ap = [v for v in ap.values() if not np.isnan(v)]
    return {
        "map": float(np.mean(finite_ap)),
        "ap_per_class": ap,
        "f1_macro": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "recall_macro": float(recall_score(y_true, y_pred, average="macro", zero_division=0)),
        "auroc_macro": float(roc_auc_score(y_true[:, keep], y_score[:, keep], average="macro")),
    }


def ours_evaluate(gt_path: Path, det_path: Path, label_map_path: Path):
    """The package's end-to-end path: read the three files, then evaluate."""
    from slowfast_microg.evaluation import (
        evaluate_detections,
        read_detections_csv,
        read_gt_csv,
        read_label_map,
    )

    label_map = read_label_map(label_map_path)
    gt = read_gt_csv(gt_path, label_map=label_map)
    detections = read_detections_csv(det_path, label_map=label_map)
    return evaluate_detections(gt=gt, detections=detections, label_map=label_map)


def make_synthetic_split(
    gt_path: Path, det_path: Path, out_dir: Path, *, scale: int, seed: int = 0
) -> tuple[Path, Path]:
    """Tile a split ``scale`` times: copy r renames every video to ``<video>_s<r>`` and (for
    r > 0) adds Gaussian noise (sd 1) to every score, written with 4 decimals."""
    rng = np.random.default_rng(seed)
    gt_lines = gt_path.read_text().splitlines()
    det_lines = det_path.read_text().splitlines()
    det_prefix = [line.rsplit(",", 1) for line in det_lines]
    base_scores = np.array([float(s) for _, s in det_prefix])
    out_dir.mkdir(parents=True, exist_ok=True)
    out_gt, out_det = out_dir / "gt_synthetic.csv", out_dir / "detections_synthetic.csv"
    with open(out_gt, "w") as gt_out, open(out_det, "w") as det_out:
        for r in range(scale):
            suffix = f"_s{r},"
            gt_out.writelines(line.replace(",", suffix, 1) + "\n" for line in gt_lines)
            scores = base_scores + (rng.normal(0.0, 1.0, base_scores.size) if r else 0.0)
            det_out.writelines(
                f"{prefix.replace(',', suffix, 1)},{score:.4f}\n"
                for (prefix, _), score in zip(det_prefix, scores.tolist(), strict=True)
            )
    return out_gt, out_det


def _compare(ours, baseline: dict) -> dict:
    """Largest absolute differences between the two evaluators' results."""
    names = ("map", "f1_macro", "recall_macro", "auroc_macro")
    diffs = {name: abs(getattr(ours, name) - baseline[name]) for name in names}
    ap_diffs = [
        abs(ours.ap_per_class[c] - ap)
        for c, ap in baseline["ap_per_class"].items()
        if not (np.isnan(ap) and np.isnan(ours.ap_per_class[c]))
    ]
    diffs["ap_per_class_max"] = max(ap_diffs)
    return diffs


def _timed(fn, *, repeats: int, warmup: int) -> dict:
    """Wall seconds (``common.time_repeats``) plus CPU seconds of the same timed calls."""
    import statistics

    from common import time_repeats

    cpu: list[float] = []

    def tracked() -> None:
        start = time.process_time()
        fn()
        cpu.append(time.process_time() - start)

    timing = time_repeats(tracked, repeats=repeats, warmup=warmup)
    timing["cpu_seconds"] = cpu[warmup:]
    timing["cpu_median_s"] = statistics.median(cpu[warmup:])
    return timing


def _time_split(name: str, gt: Path, det: Path, label_map: Path, args) -> dict:
    """Time both evaluators on one split and report their agreement."""
    from slowfast_microg.evaluation import read_label_map

    print(f"[{name}] ours x{args.repeats} ...", flush=True)
    ours_timing = _timed(lambda: ours_evaluate(gt, det, label_map), repeats=args.repeats, warmup=1)
    ours = ours_evaluate(gt, det, label_map)
    print(f"[{name}] baseline x{args.baseline_repeats} ...", flush=True)
    holder = {}

    def run_baseline():
        holder["result"] = baseline_evaluate(gt, det, read_label_map(label_map))

    baseline_timing = _timed(run_baseline, repeats=args.baseline_repeats, warmup=0)
    baseline = holder["result"]
    speedup = baseline_timing["median_s"] / ours_timing["median_s"]
    ours_s, baseline_s = ours_timing["median_s"], baseline_timing["median_s"]
    print(f"[{name}] ours {ours_s:.3f} s, baseline {baseline_s:.2f} s, x{speedup:.1f}")
    return {
        "detection_rows": sum(1 for _ in open(det)),
        "boxes": ours.num_boxes,
        "gt_rows": ours.num_gt_rows,
        "ours": ours_timing,
        "baseline": baseline_timing,
        "speedup_median": speedup,
        "speedup_cpu_median": baseline_timing["cpu_median_s"] / ours_timing["cpu_median_s"],
        "metrics_ours": ours.to_dict(),
        "metrics_baseline": {k: v for k, v in baseline.items() if k != "ap_per_class"},
        "abs_diff_ours_vs_baseline": _compare(ours, baseline),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``eval`` suite."""
    parser.add_argument(
        "--fixture-dir", type=Path, default=FIXTURE, help="folder with the I3D fixture"
    )
    parser.add_argument(
        "--scale", type=int, default=10, help="size of the synthetic split vs the fixture"
    )
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats of the package code")
    parser.add_argument(
        "--baseline-repeats", type=int, default=1, help="timed repeats of the baseline"
    )


def run(args: argparse.Namespace) -> dict:
    """Run the suite and return its figures."""
    code = code_version()  # before the run: the code that is measured
    fixture = args.fixture_dir
    label_map = fixture / "label_map.pbtxt"
    work = Path(tempfile.mkdtemp(prefix="bench_eval_"))
    try:
        gt = work / "ava_test_gt.csv"
        shutil.copyfile(fixture / "ava_test_gt.csv", gt)
        det = work / "detections_test.csv"
        with (
            gzip.open(fixture / "I3D_8x8_R50" / "detections_test.csv.gz", "rb") as src,
            open(det, "wb") as dst,
        ):
            shutil.copyfileobj(src, dst)
        started = time.perf_counter()
        figures = {"fixture_i3d_test": _time_split("fixture", gt, det, label_map, args)}
        ours = figures["fixture_i3d_test"]["metrics_ours"]
        figures["fixture_i3d_test"]["logged"] = LOGGED_I3D_TEST
        figures["fixture_i3d_test"]["abs_diff_ours_vs_logged"] = {
            k: abs(ours[k] - v) for k, v in LOGGED_I3D_TEST.items()
        }
        syn_gt, syn_det = make_synthetic_split(gt, det, work / "synthetic", scale=args.scale)
        figures[f"synthetic_x{args.scale}"] = _time_split(
            f"x{args.scale}", syn_gt, syn_det, label_map, args
        )
        figures["growth_ours"] = (
            figures[f"synthetic_x{args.scale}"]["ours"]["median_s"]
            / figures["fixture_i3d_test"]["ours"]["median_s"]
        )
        figures["growth_baseline"] = (
            figures[f"synthetic_x{args.scale}"]["baseline"]["median_s"]
            / figures["fixture_i3d_test"]["baseline"]["median_s"]
        )
        for who in ("ours", "baseline"):
            large = figures[f"synthetic_x{args.scale}"][who]["cpu_median_s"]
            figures[f"growth_{who}_cpu"] = large / figures["fixture_i3d_test"][who]["cpu_median_s"]
        figures["wall_s"] = time.perf_counter() - started
        figures["code"] = code
        return figures
    finally:
        shutil.rmtree(work, ignore_errors=True)
