"""The command line: the one-command run, argument errors and refused parameter changes."""

from __future__ import annotations

import json
import re

import pytest
from dp_synthetic import write_video

from data_prep.cli import main


def test_run_chains_every_stage_into_a_dataset(tmp_path, person_weights, capsys):
    write_video(tmp_path / "raw" / "ISS.mkv", frames=190, size=(48, 64))
    clips = ["ISS_000", "ISS_001"]
    actions = ["video_id,movie_or_real,person_id,action"]
    actions += [f"{c},r,{p},{a}" for c in clips for p, a in ((1, 12), (2, 17), (2, 79))]
    (tmp_path / "actions.csv").write_text("\n".join(actions) + "\n")
    code = main(
        [
            "run", "--input", str(tmp_path / "raw"), "--out", str(tmp_path / "out"),
            "--actions", str(tmp_path / "actions.csv"), "--weights", str(person_weights),
            "--imgsz", "128", "--height", "96", "--set", "split.preset=ultrafast",
            "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["split"]["clips_written"] == 2
    assert summary["filter"]["done"] == 2 and summary["track"]["clips_in_csv"] == 2
    assert summary["to_ava"]["ava_rows"] == 6 and summary["stats"]["all"]["labels"] == 6
    dataset = tmp_path / "out" / "dataset"
    assert (dataset / "annotations" / "ava_train.csv").exists()
    assert (dataset / "frames" / "ISS_000" / "ISS_000_000090.jpg").exists()
    assert (tmp_path / "out" / "logs" / "data_prep.log").read_text().count("data_prep run") == 1
    assert "split:" in (tmp_path / "out" / "logs" / "data_prep.log").read_text()
    assert (tmp_path / "out" / "config.yaml").exists()


def test_bad_arguments_exit_with_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["split", "--input", str(tmp_path), "--out", str(tmp_path), "--shard", "0/2"])
    assert info.value.code == 2
    assert "1 <= K <= N" in capsys.readouterr().err


def test_changed_parameters_are_refused(tmp_path, person_weights, caplog):
    write_video(tmp_path / "out" / "clips" / "a" / "a_000.mp4", frames=10)
    base = ["track", "--out", str(tmp_path / "out"), "--weights", str(person_weights)]
    assert main([*base, "--imgsz", "128", "--no-progress"]) == 0
    assert main([*base, "--imgsz", "160", "--no-progress"]) == 1
    assert "detector.imgsz: 128 -> 160" in caplog.text


def test_progress_bars_on_the_console_and_every_line_in_the_log_file(tmp_path, capsys):
    for name in ("a", "b"):
        write_video(tmp_path / "raw" / f"{name}.mp4", frames=95, size=(32, 32))
    argv = ["split", "--input", str(tmp_path / "raw"), "--out", str(tmp_path / "out")]
    assert main([*argv, "--height", "32", "--set", "split.preset=ultrafast"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"\rsplit: +\d+%\|.*\| \d/2 \[", err), "a tqdm bar over the 2 sources"
    log = (tmp_path / "out" / "logs" / "data_prep.log").read_text()
    assert "INFO data_prep.split_clips: a: 1 clips" in log and "b: 1 clips" in log
    assert main([*argv, "--height", "32", "--set", "split.preset=ultrafast"]) == 0
    log = (tmp_path / "out" / "logs" / "data_prep.log").read_text()
    assert log.count("data_prep split:") == 2, "appended, not truncated"
