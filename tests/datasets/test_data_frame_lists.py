"""Frame-list reader: the authors' layout parses; malformed lists are located errors."""

from __future__ import annotations

import pytest

from slowfast_microg.datasets.errors import DataError
from slowfast_microg.datasets.frame_lists import read_frame_list, read_frame_lists

HEADER = "original_video_id video_id frame_id path labels"


def _write(tmp_path, lines, name="train.csv"):
    path = tmp_path / name
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def test_authors_layout(tmp_path):
    lines = [HEADER]
    for clip in ("b_clip", "a_clip"):
        lines += [f'{clip} {clip} {k} {clip}/{clip}_{k:06d}.jpg ""' for k in range(1, 4)]
    frames = read_frame_list(_write(tmp_path, lines), config_key="AVA.TRAIN_LISTS")
    assert list(frames) == ["b_clip", "a_clip"]
    assert frames["a_clip"] == [f"a_clip/a_clip_{k:06d}.jpg" for k in (1, 2, 3)]


def test_upstream_header_spelling_is_accepted(tmp_path):
    path = _write(tmp_path, ["original_vido_id video_id frame_id path labels", "v v 0 v/1.jpg x"])
    assert read_frame_list(path, config_key="K") == {"v": ["v/1.jpg"]}


@pytest.mark.parametrize(
    ("lines", "pattern"),
    [
        (["video_id frame_id", "v v 1 v/1.jpg x"], r"train\.csv:1: expected the header"),
        ([], r"train\.csv:1: expected the header .* found 'an empty first line'"),
        ([HEADER, "v v 1 v/1.jpg"], r"train\.csv:2: 4 fields, expected 5"),
        ([HEADER, 'v v 1 v/1.jpg "" extra'], r"train\.csv:2: 6 fields"),
        ([HEADER, 'v v 1 v/1.jpg ""', 'v v one v/2.jpg ""'], r"train\.csv:3: frame_id 'one'"),
        ([HEADER], r"train\.csv: the frame list has a header but no frame lines"),
    ],
)
def test_malformed_lists(tmp_path, lines, pattern):
    with pytest.raises(DataError, match=pattern):
        read_frame_list(_write(tmp_path, lines), config_key="AVA.TRAIN_LISTS")


def test_missing_list_names_key(tmp_path):
    with pytest.raises(DataError, match=r"does not exist\. It is named by MICROG\.VAL_LISTS"):
        read_frame_list(tmp_path / "val.csv", config_key="MICROG.VAL_LISTS")


def test_clip_in_two_lists_is_an_error(tmp_path):
    first = _write(tmp_path, [HEADER, 'v v 1 v/1.jpg ""'], name="a.csv")
    second = _write(tmp_path, [HEADER, 'w w 1 w/1.jpg ""', 'v v 1 v/1.jpg ""'], name="b.csv")
    with pytest.raises(DataError, match=r"b\.csv: clip 'v' is also listed in .*a\.csv"):
        read_frame_lists([first, second], config_key="AVA.TRAIN_LISTS")
