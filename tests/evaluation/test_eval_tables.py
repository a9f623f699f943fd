"""Run folders to Table 1/2: the authors' published logs give the paper's numbers."""

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml

from slowfast_microg.evaluation.cli_tables import main as make_tables
from slowfast_microg.evaluation.errors import EvaluationInputError
from slowfast_microg.evaluation.model_names import (
    describe_model,
    name_from_config,
    name_from_folder,
)
from slowfast_microg.evaluation.run_folder import read_run_folder
from slowfast_microg.evaluation.tables import (
    format_tables,
    millions,
    percent,
    table1_rows,
    table2_rows,
)

# The paper's Table 1 / Table 2 rows (arXiv v2), typed from the paper.
PAPER_I3D = [
    "I3D",
    "8x8",
    "R50",
    "27.33",
    "40.93",
    "19.78",
    "16.93",
    "86.44",
    "46.41",
    "26.37",
    "22.25",
    "88.79",
]
PAPER_MVIT = [
    "MViTv1",
    "16x4",
    "B-CONV",
    "36.34",
    "17.79",
    "7.89",
    "6.86",
    "72.40",
    "12.86",
    "5.54",
    "4.66",
    "74.63",
]
PAPER_SLOW_ZERO_SHOT = [
    "Slow",
    "8x8",
    "R50",
    "Kinetics-400",
    "AVA v2.2",
    "16.24",
    "2.67",
    "1.99",
    "73.83",
]
PAPER_NAMES = {
    "C2D_8x8_R50": ("C2D", "8x8", "R50"),
    "C2D_NLN_8x8_R50": ("C2D NLN", "8x8", "R50"),
    "I3D_8x8_R50": ("I3D", "8x8", "R50"),
    "I3D_NLN_8x8_R50": ("I3D NLN", "8x8", "R50"),
    "SLOWONLY_8x8_R50": ("Slow", "8x8", "R50"),
    "SLOWONLY_4x16_R50": ("Slow", "4x16", "R50"),
    "SLOWFAST_8x8_R50": ("SlowFast", "8x8", "R50"),
    "SLOWFAST_4x16_R50": ("SlowFast", "4x16", "R50"),
    "MVIT_B_16x4": ("MViTv1", "16x4", "B-CONV"),
    "MVITv2_S_16x4": ("MViTv2", "16x4", "S"),
    "X3D_S": ("X3D", "13x6", "S"),
    "X3D_L": ("X3D", "16x5", "L"),
    "SLOW_8x8_R50_K400": ("Slow", "8x8", "R50"),
    "SLOWFAST_32x2_R101_K600": ("SlowFast", "32x2", "R101"),
}


@pytest.fixture(scope="module")
def eval_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "eval"


def test_published_folders_give_the_paper_rows(eval_dir: Path) -> None:
    i3d = read_run_folder(eval_dir / "I3D_8x8_R50")
    mvit = read_run_folder(eval_dir / "MVIT_B_16x4")
    slow = read_run_folder(eval_dir / "test_on_ava_model" / "SLOW_8x8_R50_K400")
    assert (i3d.checkpoint_epoch, mvit.checkpoint_epoch) == (30, 50)
    assert not i3d.zero_shot and not mvit.zero_shot and slow.zero_shot
    i3d_row, mvit_row = table1_rows([i3d, mvit])
    # Test columns and #Params equal the paper. The logged val F1 at epoch 30 is 0.19771
    # (19.77); the paper prints 19.78, the only val cell that differs from the log.
    assert i3d_row[8:] == PAPER_I3D[8:] and i3d_row[3] == PAPER_I3D[3]
    assert i3d_row[:3] == PAPER_I3D[:3] and i3d_row[4:8] == ["40.93", "19.77", "16.93", "86.44"]
    # Without a config dump the folder name says only "B"; the paper writes B-CONV.
    assert mvit_row[:2] + mvit_row[3:] == PAPER_MVIT[:2] + PAPER_MVIT[3:] and mvit_row[2] == "B"
    assert table2_rows([slow]) == [PAPER_SLOW_ZERO_SHOT]
    assert slow.notes == ()


def test_model_names_from_configs_and_folder_names(eval_dir: Path) -> None:
    configs = yaml.safe_load((eval_dir / "model_configs.yaml").read_text())
    assert set(configs) == set(PAPER_NAMES)
    for name, expected in PAPER_NAMES.items():
        from_config = name_from_config(configs[name])
        assert (from_config.arch, from_config.tc, from_config.backbone) == expected, name
        from_folder = name_from_folder(name)
        folder_expected = expected if name != "MVIT_B_16x4" else ("MViTv1", "16x4", "B")
        assert (from_folder.arch, from_folder.tc, from_folder.backbone) == folder_expected, name
    assert name_from_folder("SLOWFAST_32x2_R101_K600").pretrain == "Kinetics-600"
    assert name_from_folder("C2D_8x8_R50_NLN").arch == "C2D NLN"
    assert name_from_folder("my_experiment").arch == "my_experiment"
    assert describe_model({"MODEL": {"ARCH": "x3d"}}, "X3D_L").tc == "16x5"


def test_checkpoint_epoch_rules(eval_dir: Path, tmp_path: Path) -> None:
    # Rule 3: without the trailing "epoch 30", the checkpoint loaded in the last test run.
    run = tmp_path / "I3D_8x8_R50"
    shutil.copytree(eval_dir / "I3D_8x8_R50", run)
    stats = run / "json_stats.log"
    stats.write_text(stats.read_text().replace("} epoch 30", "}"))
    summary = read_run_folder(run)
    assert summary.checkpoint_epoch == 30 and summary.val["map"] == 0.40928
    # The train config dump names another checkpoint; only the test run's load counts.
    assert "checkpoint_epoch_00030.pyth" in (run / "stdout.log").read_text()
    # No rule applies: val stays empty and a note says why.
    (run / "stdout.log").unlink()
    summary = read_run_folder(run)
    assert summary.val is None and summary.checkpoint_epoch is None
    assert any("epoch unknown" in note for note in summary.notes)


def _our_run(folder: Path, *, num_classes: int = 50) -> Path:
    """A run folder as this project's engine writes it."""
    folder.mkdir(parents=True)
    config = {
        "MODEL": {"ARCH": "slowfast", "MODEL_NAME": "SlowFast", "NUM_CLASSES": num_classes},
        "DATA": {"NUM_FRAMES": 32, "SAMPLING_RATE": 2},
        "RESNET": {"DEPTH": 101},
        "NONLOCAL": {"LOCATION": [[[], []], [[], []], [[], []], [[], []]]},
    }
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    (folder / "stdout.log").write_text("[01/02 03:04:05][INFO] misc.py:  188: Params: 33,761,234\n")
    lines = []
    for epoch, value in ((1, 0.1), (2, 0.2), (3, 0.3)):
        record = {"mode": "val", "cur_epoch": str(epoch), "map": value, "f1_macro": value / 2}
        record.update(
            {
                "recall_macro": value / 3,
                "auroc_macro": 0.8,
                "f1_macro_matched": value,
                "_type": "val_epoch",
            }
        )
        record.update({"recall_macro_matched": 0.5, "auroc_macro_matched": 0.9})
        lines.append(record)
    test = {
        "mode": "test",
        "split": "test",
        "checkpoint_epoch": 2,
        "map": 0.41234,
        "f1_macro": 0.11115,
    }
    test.update({"recall_macro": 0.1, "auroc_macro": 0.87, "f1_macro_matched": 0.33335})
    test.update({"recall_macro_matched": 0.3, "auroc_macro_matched": 0.9})
    lines += [{"mode": "test", "split": "val", "map": 0.99}, test]
    (folder / "json_stats.log").write_text("".join(f"json_stats: {json.dumps(r)}\n" for r in lines))
    return folder


def test_our_run_folder_format_and_matched_variant(tmp_path: Path) -> None:
    summary = read_run_folder(_our_run(tmp_path / "run_a"))
    assert (summary.arch, summary.tc, summary.backbone, summary.params) == (
        "SlowFast",
        "32x2",
        "R101",
        33761234,
    )
    assert (
        summary.checkpoint_epoch == 2
        and summary.val["map"] == 0.2
        and summary.test["map"] == 0.41234
    )
    (paper,) = table1_rows([summary])
    assert paper[3:] == [
        "33.76",
        "20.00",
        "10.00",
        "6.67",
        "80.00",
        "41.23",
        "11.12",
        "10.00",
        "87.00",
    ]
    (matched,) = table1_rows([summary], variant="matched")
    assert matched[4:] == ["20.00", "20.00", "50.00", "90.00", "41.23", "33.34", "30.00", "90.00"]


def test_zero_shot_detection_and_override(tmp_path: Path) -> None:
    ava = read_run_folder(_our_run(tmp_path / "SLOWFAST_32x2_R101_K600", num_classes=80))
    assert ava.zero_shot and ava.finetune == "AVA v2.2" and ava.pretrain == "Kinetics-600"
    forced = read_run_folder(_our_run(tmp_path / "run_b"), zero_shot=True)
    assert forced.zero_shot and forced.finetune is None
    assert table2_rows([forced])[0][3:5] == [None, None]


def test_rounding_half_up_and_formats(eval_dir: Path) -> None:
    assert percent(0.28725) == "28.73" and percent(0.4209) == "42.09" and percent(None) is None
    assert millions(2_021_818) == "2.02" and millions(4_365_000) == "4.37"
    runs = [
        read_run_folder(eval_dir / "I3D_8x8_R50"),
        read_run_folder(eval_dir / "test_on_ava_model" / "SLOW_8x8_R50_K400"),
    ]
    markdown = format_tables(runs, fmt="md")
    assert (
        "| I3D | 8x8 | R50 | 27.33 | 40.93 |" in markdown
        and "| Slow | 8x8 | R50 | Kinetics-400 |" in markdown
    )
    latex = format_tables(runs, fmt="latex")
    assert "\\multicolumn{4}{c}{Validation}" in latex and "I3D & $8\\times8$ & R50 & 27.33" in latex
    assert (
        "\\#Params (M)" in latex and "mAP (\\%)" in latex and latex.count("\\begin{tabular}") == 2
    )
    blocks = format_tables(runs, fmt="csv").split("\n\n")
    table1 = list(csv.reader(io.StringIO(blocks[0])))
    assert table1[0][:4] == ["Arch", "TC", "Backbone", "#Params (M)"] and table1[1][8] == "46.41"
    assert format_tables(runs, fmt="csv", which="2").startswith(
        "Arch,TC,Backbone,Pretrain,Fine-tune"
    )


def test_make_tables_cli(eval_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "tables" / "table.tex"
    code = make_tables(
        [
            str(eval_dir / "I3D_8x8_R50"),
            "--format",
            "latex",
            "--out",
            str(out),
            "--zero-shot",
            str(eval_dir / "MVIT_B_16x4"),
        ]
    )
    assert code == 0
    text = out.read_text()
    assert "I3D & $8\\times8$" in text and "MViTv1 & $16\\times4$ & B &" in text
    assert text.index("Validation") < text.index("Table 2")
    empty = tmp_path / "empty_run"
    empty.mkdir()
    assert make_tables([str(empty)]) == 2
    assert "no json_stats line" in capsys.readouterr().err
    with pytest.raises(EvaluationInputError, match="does not exist"):
        read_run_folder(tmp_path / "missing")
    with pytest.raises(EvaluationInputError, match=r"holds run folders \(SLOW_8x8_R50_K400\)"):
        read_run_folder(eval_dir / "test_on_ava_model")


def test_make_tables_plots(tmp_path: Path) -> None:
    runs = [
        _our_run(tmp_path / "SLOWFAST_32x2_R101"),
        _our_run(tmp_path / "ava_model", num_classes=80),
    ]
    for run, ap in zip(runs, ("0.5", "0.25"), strict=True):
        (run / "ap_per_class_test.csv").write_text(
            f"action_id,ap50,action_name\n1,{ap},walk\n3,nan,sit\n"
        )
    code = make_tables([str(r) for r in runs] + ["--plots", "--plots-dir", str(tmp_path / "figs")])
    assert code == 0
    for stem in ("per_class_ap_finetuned", "per_class_ap_zero_shot"):
        assert (tmp_path / "figs" / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in (tmp_path / "figs" / f"{stem}.svg").read_bytes()[:500]


def test_a_folder_of_run_folders_stands_for_its_runs(
    eval_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """``make_tables.py evaluation_results/*`` also picks up ``test_on_ava_model/*``."""
    results = tmp_path / "evaluation_results"
    shutil.copytree(eval_dir / "I3D_8x8_R50", results / "I3D_8x8_R50")
    shutil.copytree(eval_dir / "test_on_ava_model", results / "test_on_ava_model")
    out = tmp_path / "tables.csv"
    runs = sorted(str(p) for p in results.iterdir())
    assert make_tables([*runs, "--format", "csv", "--out", str(out)]) == 0
    assert "holds run folders; reading SLOW_8x8_R50_K400" in capsys.readouterr().err
    table1, table2 = (list(csv.reader(io.StringIO(b))) for b in out.read_text().split("\n\n"))
    assert table1[1] == PAPER_I3D[:5] + ["19.77"] + PAPER_I3D[6:]
    assert table2[1] == PAPER_SLOW_ZERO_SHOT
