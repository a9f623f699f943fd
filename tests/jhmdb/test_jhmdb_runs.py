"""2-iteration test runs of the JHMDB configs on a synthetic release, as a MicroG-4M test run.

Both configs run through ``tools/run_net.py``'s entry point with tiny widths, random weights
and 8 scored frames in 2 batches. Their run folders hold the files a MicroG-4M test run
writes, their metrics follow from the detections by an independent computation, and the
cross-domain table reads them.
"""

import csv
import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from slowfast_microg.datasets import generate_sample
from slowfast_microg.engine.launch import main as run_net
from slowfast_microg.engine.stats import read_json_stats
from slowfast_microg.evaluation import read_run_folder
from slowfast_microg.evaluation.cli_tables import main as make_tables
from slowfast_microg.zoo.cross_domain import format_cross_domain_table

CONFIGS = ("SLOW_8x8_AVA", "SLOWFAST_32x2_R101_AVA")
TINY = [
    "NUM_GPUS", "0",
    "RESNET.WIDTH_PER_GROUP", "8",
    "DATA.TEST_CROP_SIZE", "32",
    "DATA_LOADER.NUM_WORKERS", "0",
    "LOG_MODEL_INFO", "False",
    "TRAIN.MIXED_PRECISION", "False",
    "TEST.CHECKPOINT_FILE_PATH", "",
    # Spread the random classifier's scores so that 4-decimal rounding in the CSV ties none.
    "MODEL.FC_INIT_STD", "1.0",
]  # fmt: skip
SCORED_FRAMES = 8  # FRAME_STRIDE 3: frames 1, 7, 10 of three videos, minus a 10 of the 9-frame one
BATCH = 4


def _voc_ap(labels: np.ndarray, scores: np.ndarray) -> float:
    """All-point VOC AP of one class, written here independently of the evaluation module."""
    order = np.argsort(-scores, kind="stable")
    hits = labels[order] > 0
    tp, fp = np.cumsum(hits), np.cumsum(~hits)
    recall = np.concatenate([[0.0], tp / hits.sum(), [1.0]])
    precision = np.concatenate([[0.0], tp / (tp + fp), [0.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.flatnonzero(recall[1:] != recall[:-1]) + 1
    return float(np.sum((recall[steps] - recall[steps - 1]) * precision[steps]))


@pytest.fixture(scope="module")
def runs(release, tmp_path_factory):
    """Run both JHMDB configs and one MicroG-4M test run; return their folders."""
    out = tmp_path_factory.mktemp("runs")
    folders = {}
    for name in CONFIGS:
        folders[name] = out / name
        argv = ["--cfg", f"configs/JHMDB/{name}.yaml", *TINY]
        argv += ["DATA.PATH_TO_DATA_DIR", str(release), "OUTPUT_DIR", str(folders[name])]
        argv += ["TEST.BATCH_SIZE", str(BATCH), "JHMDB.FRAME_STRIDE", "3"]
        assert run_net(argv) == 0
    sample = out / "microg"
    generate_sample(sample, num_clips=6, layouts=("frames",), height=32, width=48, num_frames=53)
    folders["microg"] = out / "microg_run"
    argv = ["--cfg", "configs/MicroG/SLOW_8x8.yaml", *TINY, "TRAIN.ENABLE", "False"]
    argv += ["TRAIN.CHECKPOINT_FILE_PATH", ""]
    argv += ["DATA.PATH_TO_DATA_DIR", str(sample), "OUTPUT_DIR", str(folders["microg"])]
    assert run_net(argv) == 0
    return folders


def _csv(path):
    return list(csv.reader(path.read_text().splitlines()))


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("name", CONFIGS)
def test_run_writes_the_artefacts_of_a_microg_test_run(runs, name):
    folder, microg = runs[name], runs["microg"]
    assert (
        _files(folder)
        == _files(microg)
        == [
            "ap_per_class_test.csv",
            "config.yaml",
            "detections_test.csv",
            "json_stats.log",
            "metrics_test.json",
            "stdout.log",
        ]
    )
    (line,) = read_json_stats(folder / "json_stats.log")
    (reference,) = read_json_stats(runs["microg"] / "json_stats.log")
    assert set(line) == set(reference) and line["mode"] == "test"
    log = (folder / "stdout.log").read_text()
    assert "Params: " in log
    # 8 frames in batches of 4: 2 iterations.
    assert f"test split: {SCORED_FRAMES} items, {BATCH} per process batch" in log
    assert f"Evaluating {SCORED_FRAMES} boxes of {SCORED_FRAMES} test items" in log
    # 8 frames x 12 scored classes, in the AVA row format of the MicroG run's detections.
    rows = _csv(folder / "detections_test.csv")
    assert len(rows) == SCORED_FRAMES * 12
    assert {len(row) for row in rows} == {len(row) for row in _csv(microg / "detections_test.csv")}
    ap_rows = _csv(folder / "ap_per_class_test.csv")
    assert ap_rows[0] == _csv(microg / "ap_per_class_test.csv")[0]
    assert len(ap_rows) == 1 + 12
    metrics = json.loads((folder / "metrics_test.json").read_text())
    assert set(metrics) == set(json.loads((microg / "metrics_test.json").read_text()))


@pytest.mark.parametrize("name", CONFIGS)
def test_metrics_follow_from_the_detections(runs, release, name):
    folder = runs[name]
    gt = {}
    for video, frame, *_, action in _csv(release / "ava_format" / "jhmdb_test_gt.csv"):
        gt[(video, int(frame))] = int(action)
    assert len(gt) == SCORED_FRAMES
    scores: dict[tuple[str, int], dict[int, float]] = {}
    for video, frame, *_, action, score in _csv(folder / "detections_test.csv"):
        scores.setdefault((video, int(frame)), {})[int(action)] = float(score)
    assert set(scores) == set(gt)
    keys = sorted(gt)
    classes = sorted(next(iter(scores.values())))
    labels = np.array([[gt[k] == c for c in classes] for k in keys], dtype=float)
    matrix = np.array([[scores[k][c] for c in classes] for k in keys])
    present = [i for i in range(len(classes)) if labels[:, i].any()]
    assert [classes[i] for i in present] == [7, 10, 14]  # jump, run, walk
    assert all(len(set(matrix[:, i])) == len(keys) for i in present)  # no ties: a strict check
    expected_map = np.mean([_voc_ap(labels[:, i], matrix[:, i]) for i in present])
    expected_auroc = np.mean([roc_auc_score(labels[:, i], matrix[:, i]) for i in present])
    metrics = json.loads((folder / "metrics_test.json").read_text())
    assert metrics["map"] == pytest.approx(expected_map, abs=1e-3)
    assert metrics["auroc_macro"] == pytest.approx(expected_auroc, abs=1e-3)


def test_make_tables_and_the_cross_domain_table_read_the_runs(runs):
    summary = read_run_folder(runs["SLOWFAST_32x2_R101_AVA"])
    assert summary.zero_shot and (summary.arch, summary.tc, summary.backbone) == (
        "SlowFast",
        "32x2",
        "R101",
    )
    order = [runs["SLOWFAST_32x2_R101_AVA"], runs["SLOW_8x8_AVA"], runs["microg"]]
    table = format_cross_domain_table(order, fmt="csv").splitlines()
    assert table[0] == "Model,TC,Backbone,Test Set,mAP (%),AUROC (%)"
    metrics = [json.loads((f / "metrics_test.json").read_text()) for f in order]
    expected = [
        f"SlowFast,32x2,R101,JHMDB-21 split 1,{100 * metrics[0]['map']:.2f}",
        f"Slow,8x8,R50,JHMDB-21 split 1,{100 * metrics[1]['map']:.2f}",
        f"Slow,8x8,R50,MicroG-4M,{100 * metrics[2]['map']:.2f}",
    ]
    assert [",".join(row.split(",")[:5]) for row in table[1:]] == expected
    markdown = format_cross_domain_table(order)
    assert markdown.startswith("**Table 3: cross-domain transfer")


def test_make_tables_leaves_jhmdb_runs_out_of_the_microg_tables(runs, capsys):
    folders = [runs["SLOWFAST_32x2_R101_AVA"], runs["microg"]]
    assert read_run_folder(folders[0]).test_set == "JHMDB-21 split 1"
    assert read_run_folder(folders[1]).test_set == "MicroG-4M"
    assert make_tables([str(f) for f in folders] + ["--format", "csv"]) == 0
    out, err = capsys.readouterr()
    rows = [line for line in out.splitlines() if line and not line.startswith("Arch,")]
    assert len(rows) == 1 and rows[0].startswith("Slow,8x8,R50,")
    assert f"{folders[0]}: tested on JHMDB-21 split 1, not MicroG-4M" in err
