"""fetch: the exact snapshot_download calls, pattern presets, checks after a (mocked) download.

The hub is never contacted: ``snapshot_downloader`` is replaced by a fake that records its
arguments and writes files into ``local_dir`` as a download would.
"""

import inspect
import runpy
import shutil
import sys
from pathlib import Path

import hub_layout
import pytest
from huggingface_hub import snapshot_download
from huggingface_hub.utils import filter_repo_objects

from slowfast_microg.datasets.microg_classes import MICROG_CLASSES
from slowfast_microg.hub import build_requests, download
from slowfast_microg.hub.cli import main

ROOT = Path(__file__).resolve().parents[2]


class FakeHub:
    """Records snapshot_download calls; ``writer(local_dir)`` fills the folder."""

    def __init__(self, writer=None):
        self.calls = []
        self.writer = writer

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        if self.writer is not None:
            self.writer(Path(kwargs["local_dir"]))
        return kwargs["local_dir"]


@pytest.fixture
def fake_hub(monkeypatch):
    def install(writer=None):
        hub = FakeHub(writer)
        monkeypatch.setattr(download, "snapshot_downloader", lambda: hub)
        return hub

    return install


def test_train_ready_fetch_then_verify(fake_hub, tmp_path, capsys):
    hub = fake_hub(lambda local: hub_layout.write_layout(local / "ava"))
    config = tmp_path / "three.yaml"
    config.write_text("MODEL:\n  NUM_CLASSES: 3\n")
    # No sub-command: fetch is the default.
    status = main(["--what", "train-ready", "--dest", str(tmp_path / "data"), "--revision", "v1"])
    assert hub.calls == [
        {
            "repo_id": "LEI-QI-233/MicroG-HAR-train-ready",
            "repo_type": "dataset",
            "revision": "v1",
            "local_dir": str(tmp_path / "data" / "MicroG-HAR-train-ready"),
            "allow_patterns": [
                "*frame_lists/*",
                "*annotations/*",
                "*frames/*",
                "*.md",
                "*.txt",
            ],
            "ignore_patterns": None,
        }
    ]
    out = capsys.readouterr().out
    # The default check uses 50 classes: the 3-class synthetic map is reported, nothing else.
    assert status == 1
    assert "has 3 classes but MODEL.NUM_CLASSES is 50" in out and "ERRORS (1):" in out
    assert main(["verify", str(tmp_path / "data"), "--cfg", str(config)]) == 0
    expected_root = tmp_path / "data" / "MicroG-HAR-train-ready" / "ava"
    assert f"Use DATA.PATH_TO_DATA_DIR {expected_root}" in capsys.readouterr().out


def test_annotations_only_download_checks_no_frames(fake_hub, tmp_path, capsys):
    def writer(local):
        root = hub_layout.write_layout(local)
        (root / "annotations" / "label_map.pbtxt").write_text(
            hub_layout.label_map_text(dict(MICROG_CLASSES))
        )
        shutil.rmtree(root / "frames")  # the preset does not fetch them

    hub = fake_hub(writer)
    argv = ["--what", "train-ready-annotations", "--dest", str(tmp_path)]
    assert main(argv) == 0
    assert hub.calls[0]["allow_patterns"] == ["*frame_lists/*", "*annotations/*", "*.md", "*.txt"]
    out = capsys.readouterr().out
    assert "5 clips" in out and "ERRORS" not in out and "frame folder" not in out
    # The same folder fails the full check, which needs frames or videos for every clip.
    root = tmp_path / "MicroG-HAR-train-ready"
    assert main(["verify", str(root), "--limit", "0"]) == 1
    assert capsys.readouterr().out.count("frame folder") == 5


def test_checkpoints_for_one_model(fake_hub, tmp_path, capsys):
    def writer(local):
        folder = local / "SLOWFAST_8x8_R50" / "checkpoints"
        folder.mkdir(parents=True)
        (folder / "checkpoint_epoch_00030.pyth").write_bytes(b"x")

    hub = fake_hub(writer)
    argv = ["fetch", "--what", "checkpoints", "--model", "SLOWFAST_8x8", "--dest", str(tmp_path)]
    assert main(argv) == 0
    assert hub.calls[0]["repo_id"] == "LEI-QI-233/MicroG-4M-models"
    assert hub.calls[0]["repo_type"] == "model"
    assert hub.calls[0]["allow_patterns"] == ["SLOWFAST_8x8_R50/*", "*/SLOWFAST_8x8_R50/*"]
    assert "Checkpoints: OK" in capsys.readouterr().out


def test_missing_checkpoint_names_what_was_found(fake_hub, tmp_path, capsys):
    def writer(local):
        folder = local / "I3D_8x8_R50" / "checkpoints"
        folder.mkdir(parents=True)
        (folder / "checkpoint_epoch_00040.pyth").write_bytes(b"x")

    fake_hub(writer)
    argv = ["--what", "checkpoints", "--model", "I3D_8x8_R50", "--dest", str(tmp_path)]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "I3D_8x8_R50/checkpoints/checkpoint_epoch_00030.pyth not found" in out
    assert "I3D_8x8_R50/checkpoints/checkpoint_epoch_00040.pyth" in out


def test_all_include_exclude_and_dry_run(fake_hub, tmp_path, capsys):
    requests = build_requests(what="all", dest=tmp_path, exclude=["*.mp4"])
    assert [(r.repo.repo_id, r.repo.repo_type, r.allow_patterns) for r in requests] == [
        ("LEI-QI-233/MicroG-4M", "dataset", None),
        ("LEI-QI-233/MicroG-HAR-train-ready", "dataset", None),
        ("LEI-QI-233/MicroG-4M-models", "model", None),
    ]
    assert all(r.ignore_patterns == ["*.mp4"] for r in requests)
    custom = build_requests(what="train-ready", dest=tmp_path, include=["ava/annotations/*"])
    assert custom[0].allow_patterns == ["ava/annotations/*"]

    hub = fake_hub()
    assert main(["--what", "all", "--dest", str(tmp_path), "--dry-run"]) == 0
    assert hub.calls == []
    assert capsys.readouterr().out.count("would fetch:") == 3


# Plausible repository file lists; the hub's own pattern filter decides what a preset selects.
TRAIN_READY_FILES = [
    "README.md",
    "ava/frame_lists/train.csv",
    "ava/annotations/ava_test_gt.csv",
    "ava/annotations/label_map.pbtxt",
    "ava/frames/abc_001/abc_001_000001.jpg",
    "frame_lists/val.csv",
    "videos/abc_001.mp4",
]
MODEL_FILES = [
    "X3D_S/checkpoints/checkpoint_epoch_00025.pyth",
    "X3D_L/checkpoints/checkpoint_epoch_00035.pyth",
    "results/X3D_S/checkpoints/checkpoint_epoch_00025.pyth",
    "C2D_8x8_R50/checkpoints/checkpoint_epoch_00030.pyth",
    "C2D_NLN_8x8_R50/checkpoints/checkpoint_epoch_00035.pyth",
]


def _selected(files, request):
    return sorted(filter_repo_objects(files, allow_patterns=request.allow_patterns))


@pytest.mark.parametrize("what", ["train-ready", "checkpoints", "all"])
def test_requests_fit_the_real_snapshot_download(tmp_path, what):
    """Every argument the requests pass is one the installed hub library accepts."""
    signature = inspect.signature(snapshot_download)
    for request in build_requests(what=what, dest=tmp_path, revision="v1.0"):
        bound = signature.bind(**request.snapshot_kwargs())
        assert bound.arguments["revision"] == "v1.0"
        assert bound.arguments["local_dir"] == str(tmp_path / request.repo.folder)


def test_presets_select_the_intended_files(tmp_path):
    (annotations,) = build_requests(what="train-ready-annotations", dest=tmp_path)
    assert _selected(TRAIN_READY_FILES, annotations) == [
        "README.md",
        "ava/annotations/ava_test_gt.csv",
        "ava/annotations/label_map.pbtxt",
        "ava/frame_lists/train.csv",
        "frame_lists/val.csv",
    ]
    (full,) = build_requests(what="train-ready", dest=tmp_path)
    assert "ava/frames/abc_001/abc_001_000001.jpg" in _selected(TRAIN_READY_FILES, full)
    assert "videos/abc_001.mp4" not in _selected(TRAIN_READY_FILES, full)
    (x3d,) = build_requests(what="checkpoints", dest=tmp_path, models=["X3D_S_13x6"])
    assert _selected(MODEL_FILES, x3d) == [
        "X3D_S/checkpoints/checkpoint_epoch_00025.pyth",
        "results/X3D_S/checkpoints/checkpoint_epoch_00025.pyth",
    ]
    (c2d,) = build_requests(what="checkpoints", dest=tmp_path, models=["C2D_8x8"])
    assert _selected(MODEL_FILES, c2d) == ["C2D_8x8_R50/checkpoints/checkpoint_epoch_00030.pyth"]


def test_usage_errors_exit_2(capsys, monkeypatch, tmp_path):
    assert main(["--what", "videos", "--model", "X3D_S"]) == 2
    assert "--model only applies to --what checkpoints" in capsys.readouterr().err
    assert main(["--what", "checkpoints", "--model", "R2D2", "--dry-run"]) == 2
    assert "No fine-tuned model is named 'R2D2'" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    assert main(["--what", "captions", "--dest", str(tmp_path)]) == 2
    assert "pip install 'slowfast_microg[download]'" in capsys.readouterr().err


def test_failed_download_says_how_to_resume(fake_hub, tmp_path, capsys):
    def writer(local):
        raise OSError("connection reset")

    fake_hub(writer)
    assert main(["--what", "raw-annotations", "--dest", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "connection reset" in err and "run the same command again to resume" in err


def test_tool_help_lists_both_commands(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["download.py", "--help"])
    with pytest.raises(SystemExit) as info:
        runpy.run_path(str(ROOT / "tools" / "download.py"), run_name="__main__")
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "{fetch,verify}" in text and "Without a sub-command, fetch is run" in text
    monkeypatch.setattr(sys, "argv", ["download.py", "fetch", "--help"])
    with pytest.raises(SystemExit):
        runpy.run_path(str(ROOT / "tools" / "download.py"), run_name="__main__")
    text = capsys.readouterr().out
    for flag in ("--what", "--model", "--include", "--dest", "--revision", "train-ready"):
        assert flag in text
