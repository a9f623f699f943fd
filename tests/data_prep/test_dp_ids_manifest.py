"""Clip naming, sharding and the resumable manifest."""

from __future__ import annotations

import json

import pytest

from data_prep.ids import clip_id, name_problem, parse_clip_id, source_of
from data_prep.manifest import (
    DONE,
    FAILED,
    REJECTED,
    Manifest,
    ParamsMismatchError,
    manifest_files,
)
from data_prep.sharding import Shard, parse_shard, shard_of


def test_clip_ids_pad_to_three_digits_and_parse_on_the_last_underscore():
    assert clip_id("Apollo13", 0) == "Apollo13_000"
    assert clip_id("C-65mBQ7s_Q", 7) == "C-65mBQ7s_Q_007"
    assert clip_id("SE4HsMi3KoU", 1736) == "SE4HsMi3KoU_1736"
    assert parse_clip_id("C-65mBQ7s_Q_007") == ("C-65mBQ7s_Q", 7)
    assert parse_clip_id("_ikouWcXhd0_012") == ("_ikouWcXhd0", 12)
    assert parse_clip_id("SE4HsMi3KoU_1736") == ("SE4HsMi3KoU", 1736)
    assert parse_clip_id("nosequence") is None
    assert source_of("nosequence") == "nosequence"


def test_unsafe_names_are_explained():
    assert name_problem("C-65mBQ7s_Q") is None
    problem = name_problem("Apollo 13,cut")
    assert problem is not None and "' '" in problem and "','" in problem


def test_shards_partition_sources_deterministically():
    sources = [f"src{i:03d}" for i in range(200)]
    parts = [[s for s in sources if Shard(k, 4).owns(s)] for k in range(1, 5)]
    assert sorted(sum(parts, [])) == sources
    assert all(parts), "every shard gets work"
    assert [shard_of(s, 4) for s in sources] == [shard_of(s, 4) for s in sources]
    # SHA-1 based, so independent of Python's per-process string hash seed.
    assert (
        shard_of("SE4HsMi3KoU", 4)
        == int.from_bytes(__import__("hashlib").sha1(b"SE4HsMi3KoU").digest()[:8], "big") % 4 + 1
    )


@pytest.mark.parametrize("text", ["0/4", "5/4", "a/b", "3", "1/0"])
def test_bad_shard_text(text):
    with pytest.raises(ValueError, match="--shard"):
        parse_shard(text)


def test_manifest_records_skips_and_survives_a_torn_last_line(tmp_path):
    m = Manifest(out_dir=tmp_path, stage="track", shard=Shard(), params={"a": 1})
    m.add("x_000", DONE, figures={"rows": 3}, outputs=["boxes/x/x_000.csv"])
    m.add("x_001", FAILED, reason="ValueError: bad")
    m.add("x_002", REJECTED, reason="persons in 10.00% of frames")
    m.close()
    with open(m.path, "a", encoding="utf-8") as handle:
        handle.write('{"key": "x_003", "sta')  # a write interrupted by a kill
    again = Manifest(out_dir=tmp_path, stage="track", shard=Shard(), params={"a": 1})
    assert again.finished() == {"x_000", "x_001", "x_002"}
    assert again.finished(retry_failed=True) == {"x_000", "x_002"}
    again.add("x_003", DONE)
    again.close()
    lines = again.path.read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["x_000", "x_001", "x_002", "x_003"]
    assert again.records()["x_000"].figures == {"rows": 3}


def test_manifest_reads_every_shard_and_latest_record_wins(tmp_path):
    one = Manifest(out_dir=tmp_path, stage="split", shard=Shard(1, 2), params={})
    two = Manifest(out_dir=tmp_path, stage="split", shard=Shard(2, 2), params={})
    one.add("a", FAILED, reason="first try")
    two.add("b", DONE)
    one.add("a", DONE)
    records = Manifest(out_dir=tmp_path, stage="split", shard=Shard(), params={}).records()
    assert {k: r.status for k, r in records.items()} == {"a": DONE, "b": DONE}
    assert {p.name for p in manifest_files(one.dir, "split")} == {
        "split.shard-1-of-2.jsonl",
        "split.shard-2-of-2.jsonl",
    }


def test_manifest_refuses_other_parameters(tmp_path):
    Manifest(out_dir=tmp_path, stage="track", shard=Shard(), params={"detector": {"imgsz": 640}})
    with pytest.raises(ParamsMismatchError, match="detector.imgsz: 640 -> 320"):
        Manifest(
            out_dir=tmp_path, stage="track", shard=Shard(), params={"detector": {"imgsz": 320}}
        )


def test_manifest_corruption_in_the_middle_is_an_error(tmp_path):
    m = Manifest(out_dir=tmp_path, stage="filter", shard=Shard(), params={})
    m.add("a", DONE)
    m.close()
    text = m.path.read_text()
    m.path.write_text("garbage\n" + text)
    with pytest.raises(ValueError, match=r"filter.jsonl:1"):
        m.records()
