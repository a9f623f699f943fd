"""``tools/demo_net.py`` end to end on synthetic videos with tiny random-weight models."""

from __future__ import annotations

import csv
import importlib.util
import logging
import math
import os
import socket
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import torch
from demo_synthetic import (
    BACKGROUND,
    SLOW_CFG,
    SLOWFAST_CFG,
    blob_box,
    read_video,
    tiny_cfg_args,
)

from slowfast_microg.datasets.microg_classes import MICROG_CLASSES
from slowfast_microg.demo.demo_net import main
from slowfast_microg.demo.render import PALETTE

HEADER = (
    "frame,time_s,x1,y1,x2,y2,person_score,action1_id,action1_name,action1_score,"
    "action2_id,action2_name,action2_score,action3_id,action3_name,action3_score"
).split(",")
MICROG_NAMES = dict(MICROG_CLASSES)


@pytest.fixture
def no_network(monkeypatch):
    """Refuse (and record) any network connection or subprocess; restore YOLO_* variables."""
    for name in ("YOLO_AUTOINSTALL", "YOLO_OFFLINE"):
        monkeypatch.setenv(name, "unset-by-test")
        monkeypatch.delenv(name)
    attempts = []

    def refuse(what):
        def guard(*args, **kwargs):
            attempts.append(what)
            raise OSError(f"{what} refused in a test")

        return guard

    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(subprocess, "Popen", refuse("subprocess"))
    monkeypatch.setattr(os, "system", refuse("os.system"))
    return attempts


def _rows(path):
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        return next(reader), list(reader)


def _check_actions(row, *, top_k):
    scores = []
    for k in range(top_k):
        action_id, name, score = row[7 + 3 * k : 10 + 3 * k]
        assert MICROG_NAMES[int(action_id)] == name
        scores.append(float(score))
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    return scores


def test_yolo_demo_keeps_the_video_and_writes_the_csv(blob_video, tmp_path, no_network):
    if importlib.util.find_spec("ultralytics") is None:
        pytest.skip("ultralytics is not installed (pip install -e '.[data_prep]')")
    out = tmp_path / "out" / "annotated.mp4"
    before = set(os.listdir(tmp_path))
    code = main(
        [
            *tiny_cfg_args(SLOWFAST_CFG, tmp_path),
            "--input", str(blob_video), "--output", str(out), "--device", "cpu",
            "--detector", "yolo11n.yaml", "--det-imgsz", "64", "--det-conf", "0", "--det-max", "2",
        ]
    )  # fmt: skip
    assert code == 0
    assert no_network == []
    assert os.environ["YOLO_AUTOINSTALL"] == "False" and os.environ["YOLO_OFFLINE"] == "True"
    assert set(os.listdir(tmp_path)) == before | {"out"}
    assert sorted(os.listdir(out.parent)) == ["annotated.csv", "annotated.mp4"]
    source, source_rate, _ = read_video(blob_video)
    frames, rate, _ = read_video(out)
    assert frames.shape == source.shape == (40, 120, 160, 3)
    assert rate == source_rate == Fraction(25)
    header, rows = _rows(out.with_suffix(".csv"))
    assert header == HEADER
    per_frame = {}
    for row in rows:
        assert len(row) == len(HEADER)
        frame = int(row[0])
        per_frame[frame] = per_frame.get(frame, 0) + 1
        assert float(row[1]) == pytest.approx(frame / 25, abs=1e-3)
        x1, y1, x2, y2, person = map(float, row[2:7])
        assert 0 <= x1 < x2 <= 160 and 0 <= y1 < y2 <= 120 and 0 <= person <= 1
        _check_actions(row, top_k=3)
    assert sorted(per_frame) == list(range(0, 40, 4))
    assert all(1 <= n <= 2 for n in per_frame.values())


def _box_file(path, frames):
    lines = ["frame,x1,y1,x2,y2"]
    for t in frames:
        x1, y1, x2, y2 = blob_box(t, height=120, width=160)
        lines.append(f"{t},{x1},{y1},{x2 - 1},{y2 - 1}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_precomputed_boxes_are_drawn_and_scored(blob_video, tmp_path, caplog):
    boxes = _box_file(tmp_path / "boxes.csv", frames=range(0, 20, 4))
    out = tmp_path / "annotated.mp4"
    args = [*tiny_cfg_args(SLOW_CFG, tmp_path), "--input", str(blob_video), "--device", "cpu"]
    with caplog.at_level(logging.WARNING):
        assert main([*args, "--boxes", str(boxes), "--output", str(out), "--top-k", "2"]) == 0
    assert "RANDOM weights" in caplog.text
    source, _, _ = read_video(blob_video)
    frames, _, _ = read_video(out)
    assert frames.shape == source.shape
    # Frame 10 shows the boxes of keyframe 8: the blob's box outline in the first colour.
    x1, y1, x2, y2 = blob_box(8, height=120, width=160)
    mid = (y1 + y2) // 2
    left_edge = frames[10, mid - 5 : mid + 5, x1].astype(int)
    assert np.abs(left_edge - PALETTE[0]).max() < 40
    assert np.abs(source[10, mid - 5 : mid + 5, x1].astype(int) - BACKGROUND).max() < 12
    # Keyframes 20.. have no box: frame 30 equals the input.
    assert np.abs(frames[30].astype(int) - source[30].astype(int)).mean() < 2
    header, rows = _rows(out.with_suffix(".csv"))
    assert header == HEADER[:13]
    assert [int(r[0]) for r in rows] == [0, 4, 8, 12, 16]
    assert [list(map(float, r[2:7])) for r in rows][2] == [x1, y1, x2 - 1, y2 - 1, 1.0]
    for row in rows:
        _check_actions(row, top_k=2)
    again = tmp_path / "again.mp4"
    assert main([*args, "--boxes", str(out.with_suffix(".csv")), "--output", str(again)]) == 0
    _, again_rows = _rows(again.with_suffix(".csv"))
    assert [r[:13] for r in again_rows] == rows


def test_checkpoint_classifier_sets_the_scores(blob_video, tmp_path, caplog):
    from slowfast_microg.demo.demo_net import demo_config, parse_args
    from slowfast_microg.models import build_model

    args = [*tiny_cfg_args(SLOWFAST_CFG, tmp_path), "--input", str(blob_video), "--device", "cpu"]
    model = build_model(demo_config(parse_args(args)))
    state = model.state_dict()
    bias = torch.linspace(-3.0, 2.0, 50)
    state["head.projection.weight"] = torch.zeros_like(state["head.projection.weight"])
    state["head.projection.bias"] = bias
    checkpoint = tmp_path / "weights.pyth"
    torch.save({"model_state": state, "epoch": 4}, checkpoint)
    boxes = _box_file(tmp_path / "boxes.csv", frames=[0, 8])
    out = tmp_path / "ckpt.mp4"
    with caplog.at_level(logging.WARNING):
        code = main(
            [*args, "--checkpoint", str(checkpoint), "--boxes", str(boxes), "--output", str(out)]
        )
    assert code == 0
    assert "RANDOM" not in caplog.text
    _, rows = _rows(out.with_suffix(".csv"))
    expected_ids = [cid for cid, _ in MICROG_CLASSES][-3:][::-1]
    expected = [1 / (1 + math.exp(-b)) for b in bias[-3:].flip(0).tolist()]
    assert len(rows) == 2
    for row in rows:
        assert [int(row[7]), int(row[10]), int(row[13])] == expected_ids
        assert _check_actions(row, top_k=3) == pytest.approx(expected, abs=6e-5)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--output", "{input}"], "is the input video"),
        (["--boxes", "{tmp}/outside.csv"], "outside.csv:2: box"),
        (["--every", "0"], "--every and --top-k must be >= 1"),
        (["--label-map", "{tmp}/none.pbtxt"], "none.pbtxt does not exist"),
    ],
)
def test_bad_input_exits_2_with_a_message(blob_video, tmp_path, caplog, extra, message):
    (tmp_path / "outside.csv").write_text("frame,x1,y1,x2,y2\n0,10,10,170,50\n")
    extra = [e.format(input=blob_video, tmp=tmp_path) for e in extra]
    args = [*tiny_cfg_args(SLOWFAST_CFG, tmp_path), "--input", str(blob_video), *extra]
    with caplog.at_level(logging.ERROR):
        assert main([*args, "--device", "cpu"]) == 2
    assert message in caplog.text


def test_missing_video_exits_2(tmp_path, caplog):
    args = [*tiny_cfg_args(SLOWFAST_CFG, tmp_path), "--input", str(tmp_path / "no.mp4")]
    with caplog.at_level(logging.ERROR):
        assert main(args) == 2
    assert "no.mp4 does not exist" in caplog.text


def _offline(*args, **kwargs):
    raise OSError("no network in this test")


def test_unavailable_yolo_weights_are_a_clear_error(blob_video, tmp_path, monkeypatch, caplog):
    if importlib.util.find_spec("ultralytics") is None:
        pytest.skip("ultralytics is not installed (pip install -e '.[data_prep]')")
    monkeypatch.setattr(socket, "getaddrinfo", _offline)
    monkeypatch.chdir(tmp_path)
    args = [*tiny_cfg_args(SLOWFAST_CFG, tmp_path), "--input", str(blob_video), "--device", "cpu"]
    with caplog.at_level(logging.WARNING):
        assert main([*args, "--detector", "absent_weights.pt"]) == 2
    assert "absent_weights.pt are not a local file" in caplog.text
    assert "cannot load YOLO weights 'absent_weights.pt'" in caplog.text
    assert not list(tmp_path.glob("*.pt"))


def test_missing_ultralytics_says_how_to_install(blob_video, tmp_path, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "ultralytics", None)
    args = [*tiny_cfg_args(SLOWFAST_CFG, tmp_path), "--input", str(blob_video), "--device", "cpu"]
    with caplog.at_level(logging.ERROR):
        assert main([*args, "--detector", "yolo11n.yaml"]) == 2
    assert "pip install -e '.[data_prep]'" in caplog.text
