"""Output names: the built-in AVA list against the authors' 80-class file, and the rules."""

from __future__ import annotations

import csv
import logging

import pytest

from slowfast_microg.datasets.microg_classes import MICROG_CLASSES, write_label_map
from slowfast_microg.demo.ava_classes import AVA_CLASSES
from slowfast_microg.demo.errors import DemoError
from slowfast_microg.demo.labels import resolve_class_names


def test_ava_list_equals_authors_80_class_file(fixtures_dir):
    path = fixtures_dir / "demo" / "ava_zero_shot_ap_per_class_test.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(r["action_id"]), r["action_name"]) for r in rows] == list(AVA_CLASSES)
    assert len(AVA_CLASSES) == 80


def test_microg_classes_are_ava_ids_with_three_renamed():
    ava = dict(AVA_CLASSES)
    renamed = sorted(cid for cid, name in MICROG_CLASSES if ava[cid] != name)
    assert renamed == [26, 28, 61]


def test_label_map_of_the_model_size_is_used(tmp_path):
    path = write_label_map(tmp_path / "label_map.pbtxt")
    names = resolve_class_names(num_classes=50, label_map=path, explicit=True)
    assert names.source == str(path)
    assert names.ids == [cid for cid, _ in MICROG_CLASSES]
    assert names.column_name(17) == "operate spaceship"


def test_ava_model_with_microg_map_uses_ava_names(tmp_path):
    path = write_label_map(tmp_path / "label_map.pbtxt")
    names = resolve_class_names(num_classes=80, label_map=path)
    assert names.ids == list(range(1, 81))
    assert names.column_name(27) == "drive (e.g., a car, a truck)"


def test_missing_config_map_falls_back_with_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        names = resolve_class_names(num_classes=50, label_map=tmp_path / "absent.pbtxt")
    assert names.source == "the built-in MicroG-4M list"
    assert "No label map at" in caplog.text


@pytest.mark.parametrize(
    ("num_classes", "explicit", "message"),
    [(50, True, "absent.pbtxt does not exist"), (7, False, "match no built-in list")],
)
def test_missing_map_errors(tmp_path, num_classes, explicit, message):
    with pytest.raises(DemoError, match=message):
        resolve_class_names(
            num_classes=num_classes, label_map=tmp_path / "absent.pbtxt", explicit=explicit
        )


def test_mismatched_map_is_an_error(tmp_path):
    path = write_label_map(tmp_path / "small.pbtxt", classes=((3, "crouch/kneel"), (81, "x")))
    with pytest.raises(DemoError, match="has 2 classes but MODEL.NUM_CLASSES is 80"):
        resolve_class_names(num_classes=80, label_map=path)
    bad = tmp_path / "bad.pbtxt"
    bad.write_text('item {\n  name: "a"\n  id: x\n}\n')
    with pytest.raises(DemoError, match="bad.pbtxt"):
        resolve_class_names(num_classes=1, label_map=bad)
