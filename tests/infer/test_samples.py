"""Reading samples: JSONL through Arrow's reader gives the producer's reader's text; rows
are limited across files; keys missing from a file are empty there."""

from __future__ import annotations

import json

from services.infer.samples import arrow_jsonl, read_samples
from services.kafka.extracts import read_extract
from tests.infer.extracts import generate

SPEC = {"seed": 1, "schema": {"fields": [
    {"name": "id", "type": "id_sequence"},
    {"name": "at", "type": "datetime"},
    {"name": "who", "type": "category", "choices": ["a", "b"], "null_prob": 0.3},
    {"name": "n", "type": "int", "min": -5, "max": 5},
    {"name": "ok", "type": "bool"}]}}


def testarrow_jsonl_gives_the_producer_readers_text(tmp_path):
    path = generate(SPEC, tmp_path / "x.jsonl.gz", 3000)
    [(columns, rows)] = arrow_jsonl(path)
    extract = read_extract(path)
    assert rows == extract.num_rows == 3000
    assert list(columns) == list(extract.columns)
    for name, column in extract.columns.items():
        assert columns[name].to_pylist() == column.text.to_pylist(), name


def test_jsonl_that_arrow_refuses_is_read_by_the_producers_reader(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps({"v": v}) for v in [1, "two", 3]) + "\n")
    assert arrow_jsonl(path) is None
    assert read_samples([path]).columns["v"].to_pylist() == ["1", "two", "3"]


def test_rows_limit_and_missing_keys(tmp_path):
    first = tmp_path / "a.csv"
    first.write_text("x,y\n1,2\n3,4\n")
    second = tmp_path / "b.csv"
    second.write_text("y,z\n5,6\n7,8\n")
    sample = read_samples([first, second], limit=3)
    assert sample.rows == 3 and list(sample.columns) == ["x", "y", "z"]
    assert sample.columns["x"].to_pylist() == ["1", "3", None]
    assert sample.columns["z"].to_pylist() == [None, None, "6"]
