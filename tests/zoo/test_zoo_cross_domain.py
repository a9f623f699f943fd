"""The cross-domain table reproduces the layout and numbers of the paper's Table 3 (version 2).

Four run folders are written the way a test run writes them (the config dump and a json_stats
test line), holding the paper's mAP and AUROC as fractions; the table built from them, in the
order the model zoo's command gives, must print the paper's rows.
"""

import csv
from pathlib import Path

import pytest

from slowfast_microg.engine.stats import log_json_stats
from slowfast_microg.zoo.catalog import load_config, read_paper_results
from slowfast_microg.zoo.cli import cross_domain_table
from slowfast_microg.zoo.cross_domain import format_cross_domain_table

ROOT = Path(__file__).resolve().parents[2]
PAPER = read_paper_results(ROOT / "docs" / "model_zoo" / "paper_results.yaml")
# Paper Table 3 row order: each JHMDB run next to the MicroG-4M run of the same model.
RUNS = (
    "JHMDB/SLOWFAST_32x2_R101_AVA.yaml",
    "MicroG/zero_shot/SLOWFAST_32x2_R101_AVA.yaml",
    "JHMDB/SLOW_8x8_AVA.yaml",
    "MicroG/zero_shot/SLOW_8x8_AVA.yaml",
)
TEST_SETS = {"JHMDB": "JHMDB-21 split 1", "MicroG-4M": "MicroG-4M"}


def _paper_table():
    path = ROOT / "tests" / "fixtures" / "zoo" / "paper_v2_table3.tsv"
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    return rows[0], [[cell.replace("×", "x") for cell in row] for row in rows[1:]]


@pytest.fixture
def run_folders(tmp_path):
    folders = []
    for config in RUNS:
        folder = tmp_path / Path(config).with_suffix("")
        folder.mkdir(parents=True)
        (folder / "config.yaml").write_text(load_config(ROOT / "configs" / config).dump())
        test = PAPER[config]["test"]
        # The engine logs fractions; the paper prints them in % rounded to two decimals.
        stats = {"mode": "test", "map": test["map"] / 100, "auroc_macro": test["auroc"] / 100}
        log_json_stats(stats, output_dir=folder)
        folders.append(folder)
    return folders


def test_paper_results_hold_the_papers_table3():
    _, rows = _paper_table()
    for config, row in zip(RUNS, rows, strict=True):
        test = PAPER[config]["test"]
        assert [f"{test['map']:.2f}", f"{test['auroc']:.2f}"] == row[4:], config


def test_table_from_runs_prints_the_papers_rows(run_folders):
    header, rows = _paper_table()
    text = format_cross_domain_table(run_folders, fmt="csv")
    lines = list(csv.reader(text.splitlines()))
    assert lines[0] == header
    expected = [[*row[:3], TEST_SETS[row[3]], *row[4:]] for row in rows]
    assert lines[1:] == expected
    markdown = format_cross_domain_table(run_folders).splitlines()
    assert markdown[2] == "| " + " | ".join(header) + " |"
    assert markdown[4] == "| SlowFast | 32x2 | R101 | JHMDB-21 split 1 | 47.50 | 83.98 |"
    assert markdown[6] == "| Slow | 8x8 | R50 | JHMDB-21 split 1 | 34.24 | 76.96 |"


def test_tool_writes_the_table_and_rejects_missing_folders(run_folders, tmp_path, capsys):
    out = tmp_path / "table3.csv"
    argv = [str(f) for f in run_folders]
    assert cross_domain_table([*argv, "--format", "csv", "--out", str(out)]) == 0
    assert out.read_text().splitlines()[1] == "SlowFast,32x2,R101,JHMDB-21 split 1,47.50,83.98"
    assert cross_domain_table([*argv, str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err
