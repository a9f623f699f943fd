"""Ultralytics never pip-installs at run time; a missing lap is a clear error; lap is declared."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest
from dp_synthetic import write_video

from data_prep.cli import main
from data_prep.config import PipelineConfig
from data_prep.tracking import load_tracker_args, write_tracker_yaml
from data_prep.ultralytics_env import MissingDependencyError, import_ultralytics

SETUP = Path(__file__).resolve().parents[2] / "setup.py"


def attempted_installs(monkeypatch) -> list:
    """Record every subprocess call instead of running it (an install shells out to pip/uv)."""
    calls: list = []

    def record(*args, **kwargs):
        calls.append(args)
        return ""

    monkeypatch.setattr(subprocess, "check_output", record)
    monkeypatch.setattr(subprocess, "run", record)
    return calls


def test_the_installer_is_off_after_import(monkeypatch):
    ultralytics = import_ultralytics()
    checks = ultralytics.utils.checks
    monkeypatch.setattr(checks, "ONLINE", True)  # only the installer switch may stop it
    calls = attempted_installs(monkeypatch)
    assert checks.AUTOINSTALL is False
    assert checks.check_requirements("surely-not-installed-package>=1.0") is False
    assert calls == []
    # The same call with the switch on would have shelled out: the check above is not vacuous.
    monkeypatch.setattr(checks, "AUTOINSTALL", True)
    checks.check_requirements("surely-not-installed-package>=1.0")
    assert calls


@pytest.fixture
def lap_missing(monkeypatch):
    real = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name == "lap" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_missing_lap_names_the_extra(lap_missing, tmp_path):
    yaml_path = write_tracker_yaml(PipelineConfig().botsort, tmp_path / "botsort.yaml")
    with pytest.raises(MissingDependencyError, match=r"lap .*slowfast_microg\[data_prep\]"):
        load_tracker_args(yaml_path)


def test_missing_lap_stops_the_track_command_before_any_clip(lap_missing, tmp_path, caplog):
    write_video(tmp_path / "out" / "clips" / "a" / "a_000.mp4", frames=5)
    argv = ["track", "--out", str(tmp_path / "out"), "--weights", "yolo11n.yaml", "--no-progress"]
    assert main(argv) == 1
    assert "lap is not installed" in caplog.text
    assert not (tmp_path / "out" / "manifests" / "track.jsonl").exists(), "no clip marked failed"


def test_lap_is_declared_in_the_data_prep_extra():
    text = SETUP.read_text(encoding="utf-8")
    block = re.search(r'"data_prep": \[(.*?)\]', text, re.S)
    assert block is not None
    assert re.search(r'"lap>=[\d.]+"', block.group(1))
    assert re.search(r'"ultralytics>=[\d.]+"', block.group(1))
