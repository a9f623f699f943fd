"""verify: a correct synthetic layout passes; a broken one lists every problem, grouped."""

import shutil

import hub_layout
import pytest

from slowfast_microg.datasets.microg_classes import MICROG_CLASSES
from slowfast_microg.hub import find_layout_root, verify_layout
from slowfast_microg.hub.cli import main


def _break(root):
    """Five independent faults, each of a kind the issue names."""
    # Missing frames: one JPEG of a train clip, and the whole folder of a test clip.
    (root / "frames" / "srcA_001" / "srcA_001_000004.jpg").unlink()
    shutil.rmtree(root / "frames" / "srcC_002")
    # Malformed CSV rows: a non-numeric coordinate and a row with a missing column.
    train = root / "annotations" / "ava_train.csv"
    rows = train.read_text().splitlines()
    rows[1] = rows[1].replace("0.6", "0.6x")
    rows.append("srcA_002,3,0.1,0.2,0.6,12")
    train.write_text("\n".join(rows) + "\n")
    # Label-map mismatch: the map lacks id 79, which the annotations use.
    classes = {k: v for k, v in hub_layout.CLASSES.items() if k != 79}
    (root / "annotations" / "label_map.pbtxt").write_text(hub_layout.label_map_text(classes))
    # A ground-truth file the test split needs is gone.
    (root / "annotations" / "ava_val_gt.csv").unlink()


def test_correct_layout_passes(layout):
    report = verify_layout(layout, cfg=hub_layout.small_cfg(), layout="frames")
    assert report.ok and report.problems == []
    assert report.counts == {
        "classes": 3,
        "clips": 5,
        "frames listed": 30,
        "annotation rows": 11,
    }


def test_broken_layout_lists_every_problem(layout):
    _break(layout)
    report = verify_layout(layout, cfg=hub_layout.small_cfg(), layout="frames")
    messages = {p.group: [] for p in report.errors}
    for problem in report.errors:
        messages[problem.group].append(problem.message)
    train_csv = layout / "annotations" / "ava_train.csv"
    # Label map: its size differs from MODEL.NUM_CLASSES.
    assert any("has 2 classes but MODEL.NUM_CLASSES is 3" in m for m in messages["label map"])
    rows = messages["annotation rows"]
    assert any(f"{train_csv}:2: x2 (column 5) is '0.6x'" in m for m in rows)
    assert any(f"{train_csv}:6: 6 columns, expected 7 or 8" in m for m in rows)
    # Every row using id 79 is named (the two train rows; the other splits do not use it).
    unknown = [m for m in rows if "action id 79 is not in the label map" in m]
    assert len(unknown) == 2
    assert any(
        "ava_val_gt.csv does not exist (named by MICROG.VAL_GROUNDTRUTH_FILE)" in m
        for m in messages["files"]
    )
    frames = messages["frames"]
    assert any(
        "clip 'srcA_001': 1 of 6 listed frames are missing" in m and "srcA_001_000004.jpg" in m
        for m in frames
    )
    assert any("clip 'srcC_002': frame folder" in m and "does not exist" in m for m in frames)
    assert len(report.errors) == 1 + 4 + 1 + 2

    # The command prints every one of them and fails.
    text = report.format(limit=0)
    for problem in report.errors:
        assert problem.message in text
    assert "FAILED: 8 error(s)." in text


def test_cli_verify_exit_status_and_output(layout, tmp_path, capsys):
    config = tmp_path / "three_classes.yaml"
    config.write_text("MODEL:\n  NUM_CLASSES: 3\n")
    assert main(["verify", str(layout), "--cfg", str(config), "--layout", "frames"]) == 0
    out = capsys.readouterr().out
    assert "OK: no problems found." in out and f"Use DATA.PATH_TO_DATA_DIR {layout}" in out

    _break(layout)
    assert main(["verify", str(layout), "--cfg", str(config), "--limit", "0"]) == 1
    out = capsys.readouterr().out
    assert out.count("\n    - ") == 8 and "ERRORS (8):" in out
    for group in ("label map (1)", "annotation rows (4)", "files (1)", "frames or videos (2)"):
        assert group in out


def test_layouts_either_and_videos(layout):
    shutil.rmtree(layout / "frames" / "srcC_002")
    (layout / "videos").mkdir()
    (layout / "videos" / "srcC_002.mp4").write_bytes(b"\x00")
    cfg = hub_layout.small_cfg()
    assert verify_layout(layout, cfg=cfg, layout="either").ok
    assert not verify_layout(layout, cfg=cfg, layout="frames").ok
    videos = verify_layout(layout, cfg=cfg, layout="videos")
    assert [p.group for p in videos.errors] == ["videos"] * 4
    assert all(".mp4 does not exist" in p.message for p in videos.errors)


def test_consistency_problems(layout):
    test_gt = layout / "annotations" / "ava_test_gt.csv"
    test_gt.write_text(test_gt.read_text() + "srcC_001,7,0.1,0.2,0.6,0.9,12,1\n")
    train = layout / "annotations" / "ava_train.csv"
    train.write_text(train.read_text() + "ghost_001,3,0.1,0.2,0.6,0.9,12,1\n")
    report = verify_layout(layout, cfg=hub_layout.small_cfg(), layout="frames")
    errors = [p.message for p in report.errors]
    assert any(f"{test_gt}:3: stamp 7 is outside clip 'srcC_001'" in m for m in errors)
    assert any(
        "clip 'ghost_001' has 1 box row(s) but is not in the train frame lists" in m for m in errors
    )
    # The out-of-range ground-truth frame also has no box to score: a separate finding.
    assert [p.message for p in report.warnings] == [
        "test: 1 ground-truth frame(s) have no box to score in the box files, so their "
        "instances count as missed: srcC_001,7."
    ]


def test_warnings_do_not_fail(layout):
    lists = layout / "frame_lists" / "test.csv"
    lists.write_text(lists.read_text() + 'srcA_001 srcA_001 1 srcA_001/srcA_001_000001.jpg ""\n')
    report = verify_layout(layout, cfg=hub_layout.small_cfg(), layout="frames")
    assert report.ok
    assert any(
        "listed in both the train and the test frame lists" in p.message for p in report.warnings
    )
    assert "OK: no errors." in report.format()


def test_layout_root_is_found_below_the_download(tmp_path):
    root = hub_layout.write_layout(tmp_path / "download" / "ava")
    (tmp_path / "download" / ".cache" / "frame_lists").mkdir(parents=True)
    assert find_layout_root(tmp_path / "download") == root
    assert find_layout_root(tmp_path / "elsewhere") is None


@pytest.mark.parametrize("limit", [1, 0])
def test_report_limit(layout, limit):
    for clip in ("srcA_001", "srcA_002", "srcB_001"):
        shutil.rmtree(layout / "frames" / clip)
    text = verify_layout(layout, cfg=hub_layout.small_cfg(), layout="frames").format(limit=limit)
    assert text.count("frame folder") == (1 if limit else 3)
    assert ("... and 2 more (--limit 0 lists all)" in text) == bool(limit)


def test_an_ava_model_may_score_a_subset_of_its_ids(layout):
    cfg = hub_layout.small_cfg()
    cfg.MODEL.NUM_CLASSES = 80
    assert verify_layout(layout, cfg=cfg, layout="frames").ok
    cfg.MODEL.NUM_CLASSES = 60  # id 79 has no output
    (error,) = verify_layout(layout, cfg=cfg, layout="frames").errors
    assert "has 3 classes but MODEL.NUM_CLASSES is 60" in error.message


def test_a_50_class_map_with_other_ids_than_the_release_is_named(layout):
    label_map = layout / "annotations" / "label_map.pbtxt"
    label_map.write_text(hub_layout.label_map_text(dict(MICROG_CLASSES)))
    report = verify_layout(layout, layout="frames")  # the default config: 50 classes
    assert report.ok
    assert not any("release's ids" in p.message for p in report.warnings)
    # Id 80 replaced by 4 (an AVA id the release drops): still 50 classes, other meanings.
    classes = {cid: name for cid, name in MICROG_CLASSES if cid != 80} | {4: "dance"}
    label_map.write_text(hub_layout.label_map_text(classes))
    report = verify_layout(layout, layout="frames")
    assert report.ok
    (warning,) = [p.message for p in report.warnings if "release's ids" in p.message]
    assert "(missing: 80; not in the release: 4)" in warning


def test_malformed_frame_list_lines_are_each_named(layout):
    lists = layout / "frame_lists" / "val.csv"
    lines = lists.read_text().splitlines()
    lines[2] = lines[2].replace(" 2 ", " two ")  # a non-integer frame id
    lines[4] = "srcB_001 srcB_001 4"  # fields missing
    lists.write_text("\n".join(lines) + "\n")
    report = verify_layout(layout, cfg=hub_layout.small_cfg(), layout="frames")
    rows = [p.message for p in report.errors if p.group == "frame lists"]
    assert len(rows) == 2
    assert any(f"{lists}:3:" in m and "'two'" in m for m in rows)
    assert any(f"{lists}:5:" in m for m in rows)
