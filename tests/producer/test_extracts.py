"""Reading extracts: trimmed keys and values, blank rows skipped, bad rows counted with their
file and line, CSV as the seed says and JSONL and gzip as extensions."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from services.kafka.csv_extract import csv_batches
from services.kafka.extract_rows import ExtractError, concat_extracts
from services.kafka.extracts import find_extracts, read_extract
from services.kafka.jsonl_extract import jsonl_batches
from tests.producer.conftest import CARD, generate


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(gzip.compress(text) if path.name.endswith(".gz") else text)
    return path


def test_csv_rows_are_dicts_with_trimmed_keys_and_values(tmp_path):
    path = write(tmp_path / "a.csv", ' id , city ,note\n1,  Paris ," a, b "\n2,Lyon,\n')
    extract = read_extract(path)
    assert extract.names == ("id", "city", "note")
    assert extract.rows() == [{"id": "1", "city": "Paris", "note": "a, b"},
                              {"id": "2", "city": "Lyon", "note": None}]
    assert extract.bad == []


def test_blank_rows_are_skipped_silently(tmp_path):
    text = "id,city\n\n1,Paris\n   \n , \n2,Lyon\n\n"
    extract = read_extract(write(tmp_path / "a.csv", text))
    assert [r["id"] for r in extract.rows()] == ["1", "2"]
    assert extract.bad == []


def test_wrong_column_counts_are_reported_with_file_and_physical_line(tmp_path):
    text = ('id,city,note\n'
            '1,Paris,x\n'
            '\n'
            '2,Lyon\n'                       # line 4: too few
            '3,"Nice\nCote d\'Azur",y\n'     # lines 5-6: one row, a quoted newline
            '4,Rome,z,extra\n'               # line 7: too many
            '5,Oslo,w\n')
    path = write(tmp_path / "a.csv", text)
    extract = read_extract(path)
    assert [r["id"] for r in extract.rows()] == ["1", "3", "5"]
    assert extract.rows()[1]["city"] == "Nice\nCote d'Azur"
    assert [str(b) for b in extract.bad] == [
        f"{path}:4: 2 fields, the header has 3",
        f"{path}:7: 4 fields, the header has 3",
    ]
    # lines of kept rows, for later problems (a bad timestamp, say)
    assert extract.lines_of(np.array([0, 1, 2])).tolist() == [2, 5, 8]


def test_a_row_that_is_not_utf8_is_bad_the_rest_is_read(tmp_path):
    path = write(tmp_path / "a.csv", b"id,city\n1,Paris\n2,\xffLyon\n3,Nice\n")
    extract = read_extract(path)
    assert [r["id"] for r in extract.rows()] == ["1", "3"]
    assert [str(b) for b in extract.bad] == [f"{path}:3: not valid UTF-8 text"]


def test_byte_order_mark_and_gzip(tmp_path):
    path = write(tmp_path / "a.csv.gz", "\ufeffid,city\n1,Paris\n")
    assert read_extract(path).rows() == [{"id": "1", "city": "Paris"}]


def test_header_problems_refuse_the_file(tmp_path):
    with pytest.raises(ExtractError, match="'city' more than once"):
        read_extract(write(tmp_path / "a.csv", "city, city\n1,2\n"))
    with pytest.raises(ExtractError, match="column 2 of the header has no name"):
        read_extract(write(tmp_path / "b.csv", "id,,x\n1,2,3\n"))


def test_empty_and_header_only_files_have_no_rows(tmp_path):
    assert read_extract(write(tmp_path / "a.csv", "")).num_rows == 0
    assert read_extract(write(tmp_path / "b.csv", "id,city\n")).num_rows == 0


def test_jsonl_keeps_json_types_and_reports_bad_lines(tmp_path):
    lines = [
        '{" id ": 1, "city": " Paris ", "amount": 12.5, "ok": true, "geo": {"lat": 1.5}}',
        "",
        "not json",
        "[1, 2]",
        '{"id": 2, "city": "Lyon", "amount": NaN}',
        '{"id": 3, "city": "", "amount": null}',
        "{}",
        '{"id": 4, "extra": "x"}',
    ]
    path = write(tmp_path / "a.jsonl", "\n".join(lines) + "\n")
    extract = read_extract(path)
    assert extract.rows() == [
        {"id": 1, "city": "Paris", "amount": 12.5, "ok": True, "geo": {"lat": 1.5}},
        {"id": 3, "city": None, "amount": None},
        {"id": 4, "extra": "x"},
    ]
    reasons = [(b.line, b.reason.split(" (")[0]) for b in extract.bad]
    assert reasons == [(3, "not valid JSON"), (4, "not a JSON object but list"),
                       (5, "not valid JSON")]


def test_generated_extracts_read_the_same_in_every_format(tmp_path):
    csv_rows = read_extract(generate(CARD, tmp_path, 300, name="c")).rows()
    jsonl = read_extract(generate(CARD, tmp_path, 300, fmt="jsonl", gzip=True, name="j")).rows()
    assert len(csv_rows) == len(jsonl) == 300
    for text_row, typed_row in zip(csv_rows, jsonl, strict=True):
        assert text_row == {k: (json.dumps(v) if isinstance(v, (bool, int, float)) else v)
                            for k, v in typed_row.items()}


def test_find_extracts_lists_extracts_by_name_and_skips_hidden_files(tmp_path):
    for name in ("b.csv", "a.jsonl.gz", ".b.csv.tmp-12", ".hidden.csv", "_SUCCESS", "x.txt",
                 "c.parquet"):
        (tmp_path / name).write_text("id\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.csv").write_text("id\n")
    assert [p.name for p in find_extracts(tmp_path)] == ["a.jsonl.gz", "b.csv", "c.parquet"]
    assert find_extracts(tmp_path / "b.csv") == [tmp_path / "b.csv"]


def test_find_extracts_says_what_is_missing(tmp_path):
    with pytest.raises(ExtractError, match="does not exist"):
        find_extracts(tmp_path / "nope")
    with pytest.raises(ExtractError, match=r"no extracts in .*\.csv, \.jsonl"):
        find_extracts(tmp_path)


def test_batches_keep_rows_lines_and_bad_rows_of_the_whole_file(tmp_path):
    lines = ["id,note"]
    bad_lines, note_lines = [], {}
    for i in range(3000):
        if i % 500 == 7:
            lines.append(f"{i}")  # bad: one field
            bad_lines.append(len(lines))
        elif i % 700 == 3:
            lines.append(f'{i},"two\nlines"')
            note_lines[str(i)] = len(lines)
            lines.append("")  # stands for the second physical line of the value
        else:
            lines.append(f"{i},n{i}")
    text = "\n".join(line for line in lines if line != "") + "\n"
    path = write(tmp_path / "big.csv", text)
    batches = list(csv_batches(path, block_bytes=1 << 12))
    assert len(batches) > 5
    whole = concat_extracts(path, batches)
    ids = [r["id"] for r in whole.rows()]
    assert ids == [str(i) for i in range(3000) if i % 500 != 7]
    assert [b.line for b in whole.bad] == bad_lines
    rows = np.array([ids.index(i) for i in note_lines])
    assert whole.lines_of(rows).tolist() == list(note_lines.values())


def test_jsonl_batches_with_different_keys_join_up(tmp_path):
    path = write(tmp_path / "a.jsonl", "\n".join(
        json.dumps({"id": i, **({"extra": i} if i >= 5 else {})}) for i in range(8)) + "\n")
    batches = list(jsonl_batches(path, rows_per_batch=3))
    assert [b.num_rows for b in batches] == [3, 3, 2]
    rows = concat_extracts(path, batches).rows()
    assert rows == [{"id": i, **({"extra": i} if i >= 5 else {})} for i in range(8)]
