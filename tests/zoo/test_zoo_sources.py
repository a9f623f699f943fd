"""The zoo's data against independent sources: the authors' logs and a fresh count."""

import csv
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from slowfast_microg.evaluation.run_folder import json_stats_records
from slowfast_microg.hub.runs import AUTHORS_RUNS, find_run
from slowfast_microg.zoo.catalog import build_entries, load_config, read_paper_results
from slowfast_microg.zoo.complexity import ComplexityCache, complexity_key, measure

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "zoo"
PAPER = read_paper_results(ROOT / "docs" / "model_zoo" / "paper_results.yaml")
CACHE = ComplexityCache(ROOT / "docs" / "model_zoo" / "complexity.json")
# Known differences between the paper and the authors' logs (documented in the data file).
PAPER_TYPOS = {("MicroG/SLOWFAST_4x16.yaml", "map"): ("42.09", "42.10")}


def _percent(value: str) -> str:
    return str((Decimal(value) * 100).quantize(Decimal("0.01"), ROUND_HALF_UP))


def test_paper_test_metrics_equal_the_authors_logged_values():
    with open(FIXTURES / "logged_test_metrics.csv", newline="") as handle:
        logged = list(csv.DictReader(handle))
    assert len(logged) == 14
    for row in logged:
        paper = PAPER[row["config"]]["test"]
        for ours, theirs in (("map", "map"), ("f1", "f1_macro"), ("recall", "recall_macro")):
            expected = _percent(row[theirs])
            printed = f"{paper[ours]:.2f}"
            if (row["config"], ours) in PAPER_TYPOS:
                assert (expected, printed) == PAPER_TYPOS[(row["config"], ours)]
                assert "42.10" in PAPER[row["config"]]["note"]
            else:
                assert printed == expected, (row["config"], ours)
        assert f"{paper['auroc']:.2f}" == _percent(row["auroc_macro"])


def test_cached_parameter_counts_equal_the_authors_logs():
    entries = build_entries(ROOT / "configs", PAPER)
    checked = 0
    for entry in entries:
        figures = CACHE.get(complexity_key(entry.cfg))
        assert figures is not None and figures.gflops > 0
        logged = (entry.paper or {}).get("params_logged")
        if logged is not None:
            assert figures.params == logged, entry.config
            checked += 1
        if (entry.paper or {}).get("params_m") is not None:
            assert round(figures.params / 1e6, 2) == entry.paper["params_m"]
    assert checked == 16


def test_cache_matches_a_fresh_count():
    cfg = load_config(ROOT / "configs" / "MicroG" / "X3D_S_13x6.yaml")
    fresh = measure(cfg)
    assert CACHE.get(complexity_key(cfg)) == fresh
    assert fresh.params == 2_015_828


def test_cache_file_is_stable_json():
    text = (ROOT / "docs" / "model_zoo" / "complexity.json").read_text()
    data = json.loads(text)
    assert text == json.dumps(data, indent=1, sort_keys=True) + "\n"
    used = {complexity_key(e.cfg) for e in build_entries(ROOT / "configs", PAPER)}
    assert set(data["models"]) == used


@pytest.mark.parametrize(
    ("log", "run", "val_row"),
    [
        ("I3D_8x8_R50_json_stats.log", "I3D_8x8_R50", "MicroG/I3D_8x8.yaml"),
        ("MVIT_B_16x4_json_stats.log", "MVIT_B_16x4", "MicroG/MVITv1_B_16x4.yaml"),
    ],
)
def test_tested_epochs_follow_the_logs(log, run, val_row):
    text = (FIXTURES / log).read_text()
    records = json_stats_records(text)
    test_record, trailing = next((r, t) for r, t in records if r.get("mode") == "test")
    epoch = int(trailing.split()[-1])
    assert find_run(run).checkpoint_file == f"checkpoint_epoch_{epoch:05d}.pyth"
    # The paper's validation row is the validation line of that epoch (I3D's F1 aside, noted).
    val = next(r for r, _ in records if r.get("mode") == "val" and int(r["cur_epoch"]) == epoch)
    paper = PAPER[val_row]["val"]
    assert f"{paper['map']:.2f}" == _percent(repr(val["map"]))
    assert f"{paper['auroc']:.2f}" == _percent(repr(val["auroc_macro"]))
    assert test_record["map"] == pytest.approx(PAPER[val_row]["test"]["map"] / 100, abs=5e-5)


def test_every_table1_config_has_an_authors_run():
    table1 = [config for config, row in PAPER.items() if row["table"] == 1]
    assert sorted(table1) == sorted(run.config for run in AUTHORS_RUNS)
