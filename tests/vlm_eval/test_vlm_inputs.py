"""Reading ground truth and predictions: every supported format, and bad input reported well."""

from __future__ import annotations

import csv
import json

import pytest

from slowfast_microg.vlm_eval.errors import InputFormatError
from slowfast_microg.vlm_eval.inputs import (
    load_caption_predictions,
    load_ground_truth,
    load_vqa_predictions,
)
from tests.vlm_eval.synth import caption_set, vqa_set, write_json


def _write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_caption_prediction_formats_agree(tmp_path):
    gt, preds = caption_set(seed=1, n_clips=12, odd_whitespace=0.3)
    assert any("\n" in p for p in preds.values())
    as_dict = write_json(tmp_path / "p.json", preds)
    as_list = write_json(
        tmp_path / "l.json", [{"video_id": k, "caption": v} for k, v in preds.items()]
    )
    as_jsonl = tmp_path / "p.jsonl"
    as_jsonl.write_text(
        "\n".join(json.dumps({"video_id": k, "caption": v}) for k, v in preds.items()) + "\n\n",
        encoding="utf-8",
    )
    as_csv = _write_csv(tmp_path / "p.csv", ["video_id", "caption"], list(preds.items()))
    for path in (as_dict, as_list, as_jsonl, as_csv):
        assert load_caption_predictions(path) == preds, path.name


def test_vqa_prediction_formats_agree(tmp_path):
    gt, preds = vqa_set(seed=2, n_clips=5)
    rows = [(c["video_id"], p["Q"], p["A"]) for c in preds for p in c["qa_pairs"]]
    expected = {(vid, q.strip()): a.strip() for vid, q, a in rows}
    shaped = load_vqa_predictions(
        write_json(tmp_path / "p.json", preds), duplicate_questions="error"
    )
    as_jsonl = tmp_path / "p.jsonl"
    as_jsonl.write_text(
        "\n".join(json.dumps({"video_id": v, "question": q, "answer": a}) for v, q, a in rows),
        encoding="utf-8",
    )
    as_csv = _write_csv(tmp_path / "p.csv", ["video_id", "question", "answer"], rows)
    for loaded in (
        shaped,
        *(load_vqa_predictions(p, duplicate_questions="error") for p in (as_jsonl, as_csv)),
    ):
        assert loaded.answers == expected
        assert loaded.collapsed == []


def test_ground_truth_fields_and_missing_answer_reads_empty(tmp_path):
    gt, _ = vqa_set(seed=3, n_clips=2)
    clips = load_ground_truth(write_json(tmp_path / "gt.json", gt), task="vqa")
    assert [c.video_id for c in clips] == [g["video_id"] for g in gt]
    assert clips[1].qa_pairs[2] == (gt[1]["qa_pairs"][2]["Q"], gt[1]["qa_pairs"][2]["A"])
    pred = [{"video_id": gt[0]["video_id"], "qa_pairs": [{"Q": gt[0]["qa_pairs"][0]["Q"]}]}]
    loaded = load_vqa_predictions(
        write_json(tmp_path / "p.json", pred), duplicate_questions="error"
    )
    assert loaded.answers == {(gt[0]["video_id"], gt[0]["qa_pairs"][0]["Q"]): ""}


def test_malformed_json_reports_line_and_column(tmp_path):
    path = tmp_path / "pred.json"
    path.write_text('{\n  "a": "x",\n  "b": "y"\n  "c": "z"\n}\n', encoding="utf-8")
    with pytest.raises(InputFormatError) as err:
        load_caption_predictions(path)
    message = str(err.value)
    assert str(path) in message and "line 4, column 3" in message and '"c": "z"' in message


def test_malformed_jsonl_reports_its_line(tmp_path):
    path = tmp_path / "pred.jsonl"
    path.write_text('{"video_id": "a", "caption": "x"}\n{"video_id": "b", "caption": }\n')
    with pytest.raises(InputFormatError, match=r"pred\.jsonl: line 2: line 1, column 30"):
        load_caption_predictions(path)


def test_duplicate_ids_are_refused_with_their_location(tmp_path):
    dup = tmp_path / "dup.json"
    dup.write_text('{\n "v1": "a cat",\n "v2": "a dog",\n "v1": "a cow"\n}', encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"duplicate key 'v1' \(lines 2, 4\)"):
        load_caption_predictions(dup)
    rows = tmp_path / "dup.csv"
    _write_csv(rows, ["video_id", "caption"], [("v1", "x"), ("v2", "y"), ("v1", "z")])
    with pytest.raises(InputFormatError, match=r"'v1' appears twice \(.*line 2 and .*line 4\)"):
        load_caption_predictions(rows)
    gt, _ = caption_set(seed=4, n_clips=3)
    gt.append(dict(gt[0]))
    with pytest.raises(InputFormatError, match=r"appears twice \(.*item 0 .*item 3"):
        load_ground_truth(write_json(tmp_path / "gt.json", gt), task="caption")


def test_non_utf8_file_is_reported_with_position(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{\n  "v1": "caf\u00e9 on the station"\n}'.encode("latin-1"))
    with pytest.raises(InputFormatError) as err:
        load_caption_predictions(path)
    message = str(err.value)
    assert "line 2, column 13" in message and "0xe9" in message and "iconv" in message


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"v1": "caf\u00e9"}).encode("utf-8"))
    assert load_caption_predictions(path) == {"v1": "caf\u00e9"}


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ({"v1": 3}, r"'caption' must be a string, got int"),
        ([{"caption": "x"}], r"item 0: no 'video_id' field"),
        ([{"video_id": "", "caption": "x"}], r"'video_id' must be a non-empty string"),
        ("just text", r"expected a JSON object"),
    ],
)
def test_wrong_prediction_values_are_named(tmp_path, content, pattern):
    with pytest.raises(InputFormatError, match=pattern):
        load_caption_predictions(write_json(tmp_path / "p.json", content))


def test_ground_truth_shape_errors(tmp_path):
    with pytest.raises(InputFormatError, match="must be a JSON list of clips"):
        load_ground_truth(write_json(tmp_path / "a.json", {"v": "x"}), task="caption")
    bad = [{"video_id": "v1", "caption": None, "qa_pairs": []}]
    with pytest.raises(InputFormatError, match=r"item 0 \(video_id 'v1'\): 'caption' must be"):
        load_ground_truth(write_json(tmp_path / "b.json", bad), task="caption")
    bad = [{"video_id": "v1", "caption": "x", "qa_pairs": [{"Q": "q?", "A": 5}]}]
    with pytest.raises(InputFormatError, match=r"qa_pairs\[0\]: 'A' must be a string"):
        load_ground_truth(write_json(tmp_path / "c.json", bad), task="vqa")


def test_csv_without_required_column_and_ragged_rows(tmp_path):
    path = _write_csv(tmp_path / "p.csv", ["id", "caption"], [("v1", "x")])
    with pytest.raises(InputFormatError, match=r"lacks column\(s\) \['video_id'\]"):
        load_caption_predictions(path)
    path = tmp_path / "r.csv"
    path.write_text("video_id,caption\nv1,a cat\nv2,a dog,extra\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"r\.csv: line 3: the record's number of fields"):
        load_caption_predictions(path)


def test_duplicate_questions_policy(tmp_path):
    rows = [
        {"video_id": "v1", "question": "Who? ", "answer": "a"},
        {"video_id": "v1", "question": "Who?", "answer": "b"},
    ]
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    kept = load_vqa_predictions(path, duplicate_questions="last")
    assert kept.answers == {("v1", "Who?"): "b"}
    assert [key for key, _ in kept.collapsed] == [("v1", "Who?")]
    with pytest.raises(InputFormatError, match=r"line 2: question 'Who\?' .* already answered"):
        load_vqa_predictions(path, duplicate_questions="error")


def test_lone_surrogate_escapes_are_refused_with_their_item(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"v1": "fine", "v2": "An astronaut \\udc80 floats"}', encoding="utf-8")
    with pytest.raises(InputFormatError) as err:
        load_caption_predictions(path)
    message = str(err.value)
    assert "video_id 'v2'" in message and "'\\udc80' at character 13" in message
    assert "not valid Unicode" in message
    rows = tmp_path / "p.jsonl"
    rows.write_text(
        '{"video_id": "v1", "question": "Who?", "answer": "ok"}\n'
        '{"video_id": "v1", "question": "Where?", "answer": "\\ud800 cabin"}\n',
        encoding="utf-8",
    )
    with pytest.raises(InputFormatError, match=r"p\.jsonl: line 2: 'answer' holds '\\ud800'"):
        load_vqa_predictions(rows, duplicate_questions="error")
    key = tmp_path / "k.json"
    key.write_text('{"v\\udfff": "a caption"}', encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"'video_id' holds '\\udfff' at character 1"):
        load_caption_predictions(key)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            'v1,"a cat"\nv2,"a dog" barks\n',
            r"record starting at line 3: malformed CSV \(',' expected",
        ),
        ('v1,a cat\nv2,"never closed\nv3,x\n', r"line 3: malformed CSV \(unexpected end of data\)"),
    ],
)
def test_malformed_csv_quotes_are_reported(tmp_path, body, reason):
    path = tmp_path / "p.csv"
    path.write_text("video_id,caption\n" + body, encoding="utf-8")
    with pytest.raises(InputFormatError, match=reason):
        load_caption_predictions(path)


def test_csv_quotes_written_twice_and_bare_quotes_are_text(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        'video_id,caption\nv1,"He said ""hi"", then left"\nv2,a "quoted" word\n', encoding="utf-8"
    )
    assert load_caption_predictions(path) == {
        "v1": 'He said "hi", then left',
        "v2": 'a "quoted" word',
    }
