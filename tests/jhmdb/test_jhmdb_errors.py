"""Bad JHMDB inputs stop with errors naming the file, line or value and what to do."""

import shutil

import jhmdb_synth
import numpy as np
import pytest
from scipy.io import savemat

from slowfast_microg.config import ConfigError
from slowfast_microg.datasets import DataError, build_dataset
from slowfast_microg.datasets.jhmdb_classes import read_class_map

WALK = jhmdb_synth.VIDEOS[0]


@pytest.fixture
def broken(tmp_path, make_cfg):
    """A fresh release to damage, and a config reading it."""
    root = jhmdb_synth.write_release(tmp_path / "release")

    def cfg(**overrides):
        config = make_cfg(**overrides)
        config.DATA.PATH_TO_DATA_DIR = str(root)
        return config

    return root, cfg


def _build(cfg, split="test"):
    return build_dataset("jhmdb", cfg, split)


def test_missing_split_file(broken):
    root, cfg = broken
    (root / "splits" / "walk_test_split1.txt").unlink()
    with pytest.raises(DataError, match=r"walk_test_split1.txt does not exist: JHMDB.SPLIT_DIR"):
        _build(cfg())
    shutil.rmtree(root / "splits")
    with pytest.raises(DataError, match=r"splits does not exist: JHMDB.SPLIT_DIR \(relative to"):
        _build(cfg())


def test_split_number_and_release_folder(broken, tmp_path):
    _, cfg = broken
    with pytest.raises(DataError, match=r"JHMDB.SPLIT must be one of \(1, 2, 3\).*got 4"):
        _build(cfg(JHMDB__SPLIT=4))
    missing = cfg()
    missing.DATA.PATH_TO_DATA_DIR = str(tmp_path / "nowhere")
    with pytest.raises(DataError, match=r"DATA.PATH_TO_DATA_DIR .*nowhere is not a folder"):
        _build(missing)


def test_missing_mask_or_joint_file_says_what_to_do(broken):
    root, cfg = broken
    (root / "puppet_mask" / "walk" / WALK.name / "puppet_mask.mat").unlink()
    with pytest.raises(
        DataError, match=r"puppet_mask.mat does not exist: .* set JHMDB.BOX_SOURCE joints"
    ):
        _build(cfg())
    (root / "joint_positions" / "walk" / WALK.name / "joint_positions.mat").unlink()
    with pytest.raises(DataError, match=r"joint_positions.mat does not exist: with JHMDB.BOX"):
        _build(cfg(JHMDB__BOX_SOURCE="joints"))


def test_malformed_split_line(broken):
    root, cfg = broken
    path = root / "splits" / "run_test_split1.txt"
    path.write_text(path.read_text() + "Some_video.avi 3\n")
    with pytest.raises(DataError, match=r"run_test_split1.txt:2: expected `<video>.avi 1\|2`"):
        _build(cfg())


def test_missing_frames_and_gaps(broken):
    root, cfg = broken
    folder = root / "Rename_Images" / "walk" / WALK.name
    (folder / "00003.png").unlink()
    with pytest.raises(
        DataError, match=r"frame 00003.png is missing \(found 11 frames up to 00012.png\)"
    ):
        _build(cfg())
    shutil.rmtree(folder)
    with pytest.raises(DataError, match=rf"{WALK.name} does not exist"):
        _build(cfg())


def test_mask_without_part_mask_or_of_another_size(broken):
    root, cfg = broken
    path = root / "puppet_mask" / "walk" / WALK.name / "puppet_mask.mat"
    savemat(path, {"mask": np.zeros((2, 2, 2), dtype=np.uint8)})
    with pytest.raises(
        DataError, match=r"puppet_mask.mat has no variable 'part_mask' \(found: \['mask'\]\)"
    ):
        _build(cfg())
    savemat(path, {"part_mask": np.zeros((60, 80, WALK.num_frames), dtype=np.uint8)})
    with pytest.raises(DataError, match=r"the mask is 80x60 but the frames .* are 40x30"):
        _build(cfg())
    path.write_bytes(b"not a mat file")
    with pytest.raises(DataError, match=r"puppet_mask.mat is not a readable MATLAB file"):
        _build(cfg())


def test_bad_joints(broken):
    root, cfg = broken
    path = root / "joint_positions" / "run" / jhmdb_synth.VIDEOS[4].name / "joint_positions.mat"
    savemat(path, {"pos_img": np.zeros((2, 14, 10))})
    with pytest.raises(DataError, match=r"pos_img has shape \(2, 14, 10\), expected 2 x 15 x T"):
        _build(cfg(JHMDB__BOX_SOURCE="joints"))


def test_mask_length_differs_from_the_frames(broken, caplog):
    root, cfg = broken
    path = root / "puppet_mask" / "walk" / WALK.name / "puppet_mask.mat"
    savemat(path, {"part_mask": np.ones((30, 40, WALK.num_frames - 2), dtype=np.uint8)})
    dataset = _build(cfg())
    assert f"walk/{WALK.name} (12 frames, 10 boxes)" in caplog.text
    stamps = [dataset[i]["metadata"][0, 1].item() for i in range(len(dataset))]
    assert dataset.video_names[2] == WALK.name and max(stamps) == 10


def test_video_names_that_csv_files_cannot_hold(broken):
    root, cfg = broken
    path = root / "splits" / "jump_test_split1.txt"
    path.write_text("Bad,name.avi 2\n")
    with pytest.raises(DataError, match=r"video jump/Bad,name: its name contains a comma"):
        _build(cfg())


def test_class_map_errors(tmp_path, broken):
    _, cfg = broken
    path = tmp_path / "classes.csv"
    head = "jhmdb_class,ava_id,ava_name\n"
    cases = {
        "jhmdb,ava\n": r"classes.csv:1: expected the header 'jhmdb_class,ava_id,ava_name'",
        head + "skate,7,jump\n": r"classes.csv:2: 'skate' is not a JHMDB-21",
        head + "jump,81,x\n": r"classes.csv:2: ava_id 81 is outside",
        head + "jump,x,x\n": r"classes.csv:2: ava_id 'x' is not an integer",
        head + "jump,7,a\nrun,7,b\n": r"classes.csv:3: AVA id 7 is named 'b'",
        head + "jump,7,a\njump,10,b\n": r"classes.csv:3: class 'jump' is listed twice",
    }
    for text, message in cases.items():
        path.write_text(text)
        with pytest.raises(DataError, match=message):
            read_class_map(path)
    with pytest.raises(
        DataError, match=r"missing.csv does not exist. It is named by JHMDB.CLASS_MAP_FILE"
    ):
        _build(cfg(JHMDB__CLASS_MAP_FILE=str(tmp_path / "missing.csv")))


def test_a_custom_class_map_and_model_size(tmp_path, broken):
    _, cfg = broken
    path = tmp_path / "two.csv"
    path.write_text("jhmdb_class,ava_id,ava_name\nrun,10,run/jog\nwalk,14,walk\n")
    dataset = _build(cfg(JHMDB__CLASS_MAP_FILE=str(path), MODEL__NUM_CLASSES=2))
    assert dataset.class_ids == [10, 14] and len(dataset.video_names) == 2
    with pytest.raises(
        ConfigError,
        match=r"jhmdb_ava_classes.csv: MODEL.NUM_CLASSES is 5 but the label map has 12 classes",
    ):
        _build(cfg(MODEL__NUM_CLASSES=5))


def test_bad_settings(broken):
    _, cfg = broken
    with pytest.raises(DataError, match=r"JHMDB.BOX_SOURCE must be one of \('mask', 'joints'\)"):
        _build(cfg(JHMDB__BOX_SOURCE="pose"))
    with pytest.raises(DataError, match=r"JHMDB.FRAME_STRIDE must be >= 1, got 0"):
        _build(cfg(JHMDB__FRAME_STRIDE=0))
    empty = cfg()
    empty.DATA.PATH_TO_DATA_DIR = ""
    with pytest.raises(DataError, match=r"DATA.PATH_TO_DATA_DIR is empty"):
        _build(empty)
    with pytest.raises(ValueError, match=r"split must be one of"):
        _build(cfg(), split="dev")
