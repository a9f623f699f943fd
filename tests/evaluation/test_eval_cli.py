"""``tools/eval_detections.py``: one command from CSVs to printed metrics, JSON and AP CSV."""

import json
import runpy
import sys
from pathlib import Path

import pytest

from slowfast_microg.evaluation import read_ap_per_class_csv
from slowfast_microg.evaluation.cli_eval import main as eval_detections

ROOT = Path(__file__).resolve().parents[2]
LOGGED = {"map": 0.46409, "f1_macro": 0.26372, "recall_macro": 0.22252, "auroc_macro": 0.88787}


def test_published_split_end_to_end(
    fixtures_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    eval_dir = fixtures_dir / "eval"
    code = eval_detections(
        [
            "--gt",
            str(eval_dir / "ava_test_gt.csv"),
            "--detections",
            str(eval_dir / "I3D_8x8_R50" / "detections_test.csv.gz"),
            "--label-map",
            str(eval_dir / "label_map.pbtxt"),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in printed] == [
        "map",
        "f1_macro",
        "recall_macro",
        "auroc_macro",
        "f1_macro_matched",
        "recall_macro_matched",
        "auroc_macro_matched",
    ]
    for line in printed[:4]:
        name, value = line.split()[:2]
        assert float(value) == pytest.approx(LOGGED[name], abs=2e-5)
    report = json.loads((tmp_path / "out" / "metrics.json").read_text())
    for name, logged in LOGGED.items():
        assert report["metrics"][name] == pytest.approx(logged, abs=2e-5)
    assert report["counts"] == {
        "boxes": 1137,
        "gt_rows": 2656,
        "frames_with_gt": 1091,
        "classes": 50,
        "classes_with_gt": 41,
    }
    assert report["protocol"]["score_type"] == "logits" and report["ap_per_class"]["9"] is None
    ours = read_ap_per_class_csv(tmp_path / "out" / "ap_per_class.csv")
    published = read_ap_per_class_csv(eval_dir / "I3D_8x8_R50" / "ap_per_class_test.csv")
    assert [(c, n) for c, (_, n) in ours.items()] == [(c, n) for c, (_, n) in published.items()]
    assert max(abs(ours[c][0] - ap) for c, (ap, _) in published.items() if ap == ap) <= 2e-5


def _small_split(tmp_path: Path) -> list[str]:
    (tmp_path / "gt.csv").write_text(
        "v,52,0.1,0.1,0.5,0.5,1,1\nv,52,0.1,0.1,0.5,0.5,3,1\nw,7,0.2,0.2,0.9,0.9,3\n"
    )
    (tmp_path / "det.csv").write_text(
        "v,0052,0.100,0.100,0.500,0.500,1,0.9000\nv,0052,0.100,0.100,0.500,0.500,3,0.2000\n"
        "w,0007,0.000,0.000,0.100,0.100,1,0.6000\nw,0007,0.000,0.000,0.100,0.100,3,0.7000\n"
    )
    (tmp_path / "labels.csv").write_text("id,name\n1,walk\n3,sit\n")
    return [
        "--gt",
        str(tmp_path / "gt.csv"),
        "--detections",
        str(tmp_path / "det.csv"),
        "--label-map",
        str(tmp_path / "labels.csv"),
    ]


def test_exclusions_threshold_and_plots(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = _small_split(tmp_path) + ["--out", str(tmp_path / "out")]
    assert eval_detections(args) == 0
    first = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert first["protocol"]["score_type"] == "probabilities"
    assert first["ap_per_class"] == {"1": 1.0, "3": 0.25}
    (tmp_path / "excl.csv").write_text("w,0007\n")
    assert (
        eval_detections(
            args + ["--exclusions", str(tmp_path / "excl.csv"), "--threshold", "0.1", "--plots"]
        )
        == 0
    )
    second = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert second["ap_per_class"] == {"1": 1.0, "3": 1.0}
    assert second["counts"]["boxes"] == 1 and second["protocol"]["threshold"] == 0.1
    for stem in ("ap_per_class", "pr_curves"):
        assert (tmp_path / "out" / f"{stem}.png").read_bytes()[:4] == b"\x89PNG"
        assert (tmp_path / "out" / f"{stem}.svg").stat().st_size > 0
    capsys.readouterr()


def test_bad_input_exits_2_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    args = _small_split(tmp_path)
    (tmp_path / "det.csv").write_text(
        "v,0052,0.100,0.100,0.500,0.500,1,0.9000\nv,0052,0.100,0.100,0.500,0.500,2,0.2000\n"
    )
    assert eval_detections(args + ["--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert (
        "det.csv:2: action id is not in the label map" in err
        and "labels.csv" in err
        and "'2'" in err
    )
    missing = [
        a if a != str(tmp_path / "labels.csv") else str(tmp_path / "nope.pbtxt") for a in args
    ]
    assert eval_detections(missing) == 2
    assert "nope.pbtxt: label map file does not exist" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_tool_scripts_are_thin_shims(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    argv = ["eval_detections.py", *_small_split(tmp_path), "--out", str(tmp_path / "o")]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / "tools" / "eval_detections.py"), run_name="__main__")
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.splitlines()[0].split()[:2] == ["map", "0.62500"]
    monkeypatch.setattr(sys, "argv", ["make_tables.py", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / "tools" / "make_tables.py"), run_name="__main__")
    assert exit_info.value.code == 2
    assert "no json_stats line" in capsys.readouterr().err
