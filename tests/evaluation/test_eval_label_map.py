"""Label map reading: the published pbtxt and CSV forms, AVA variants, and every malformed case."""

from pathlib import Path

import pytest

from slowfast_microg.evaluation import EvaluationInputError, read_label_map


def test_published_pbtxt_and_csv_agree(fixtures_dir: Path) -> None:
    pbtxt = read_label_map(fixtures_dir / "eval" / "label_map.pbtxt")
    csv_form = read_label_map(fixtures_dir / "eval" / "label_map.csv")
    assert pbtxt == csv_form
    assert len(pbtxt) == 50
    assert list(pbtxt) == sorted(pbtxt)
    # Facts from the dataset documentation: ids are AVA ids, three renamed classes.
    assert pbtxt[1] == "bend/bow (at the waist)"
    assert pbtxt[28] == "operate spaceship"
    assert pbtxt[61] == "watch (e.g., TV)/any unspecified action"
    assert pbtxt[80] == "watch (a person)"
    assert {4, 13, 15, 37, 49}.isdisjoint(pbtxt)


def test_pbtxt_any_field_order_comments_label_type_and_quotes(tmp_path: Path) -> None:
    path = tmp_path / "ava.pbtxt"
    path.write_text(
        "# AVA v2.2 style\n"
        'item {\n  name: "bend/bow (at the waist)"\n  id: 1\n  label_type: PERSON_MOVEMENT\n}\n'
        "item { id: 3 name: 'crouch/kneel' }  # one line, id first\n"
        'item {\n  label_id: 5\n  display_name: "fall down"\n}\n',
        encoding="utf-8",
    )
    assert read_label_map(path) == {1: "bend/bow (at the waist)", 3: "crouch/kneel", 5: "fall down"}


def test_csv_without_header_and_gz(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "labels.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write('2,"climb (e.g., a mountain)"\n1,walk\n')
    assert read_label_map(path) == {1: "walk", 2: "climb (e.g., a mountain)"}


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('item {\n  name: "a"\n}\n', 1, "no 'id'"),
        ("item {\n  id: 3\n}\n", 1, "no 'name'"),
        ('item {\n name: "a"\n id: 1\n}\nitem {\n name: "b"\n id: 1\n}\n', 7, "appears twice"),
        ('item {\n name: "a"\n id: x1\n}\n', 3, "not an integer"),
        ('item {\n name: "a"\n id: 0\n}\n', 3, ">= 1"),
        ('item {\n name: "a"\n id: 1\n', 4, "ends while"),
        ('thing {\n name: "a"\n}\n', 1, "expected 'item {'"),
        ('item {\n name: "a" id: 1 }\n}\n', 3, "expected 'item {'"),
        ('item {\n name: "a"\n id: 1\n name\n}\n', 4, "expected 'field: value'"),
    ],
)
def test_malformed_pbtxt_names_the_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = tmp_path / "bad.pbtxt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EvaluationInputError) as info:
        read_label_map(path)
    message = str(info.value)
    assert f"bad.pbtxt:{line}:" in message
    assert fragment in message


def test_malformed_csv_and_missing_or_empty_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\n1,walk\n2\n", encoding="utf-8")
    with pytest.raises(EvaluationInputError, match=r"bad\.csv:3: .*1 columns"):
        read_label_map(bad)
    with pytest.raises(
        EvaluationInputError, match=r"missing\.pbtxt: label map file does not exist"
    ):
        read_label_map(tmp_path / "missing.pbtxt")
    empty = tmp_path / "empty.pbtxt"
    empty.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(EvaluationInputError, match="label map is empty"):
        read_label_map(empty)
    only_comments = tmp_path / "comments.pbtxt"
    only_comments.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(EvaluationInputError, match="no labels"):
        read_label_map(only_comments)
