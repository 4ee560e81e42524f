"""Files read back with pandas and pyarrow: declared columns, types, quoting, gzip, atomicity."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.generator import write_dataset
from services.generator.block import BLOCK_SIZE
from services.schema import parse_schema

FIELDS = [
    {"name": "id", "type": "id_sequence"},
    {"name": "u", "type": "uuid"},
    {"name": "t", "type": "datetime"},
    {"name": "c", "type": "category", "choices": ["plain", "with,comma", 'with "quote"',
                                                  "multi\nline", "<script>", "ünï"]},
    {"name": "i", "type": "int", "min": -5, "max": 5, "null_prob": 0.1},
    {"name": "f", "type": "float", "distribution": "normal", "decimals": 1},
    {"name": "b", "type": "bool", "null_prob": 0.1},
    {"name": "g", "type": "geo", "bbox": [40, -5, 50, 5]},
    {"name": "s", "type": "string", "pattern": "X{0-9}"},
]


def write(tmp_path: Path, fmt: str, gz: bool = False, n: int = 3000, fields=FIELDS) -> Path:
    ds = parse_schema({"schema": {"fields": fields}, "output": {"format": fmt, "gzip": gz}},
                      source="t.json").with_overrides(entity_count=n)
    path = tmp_path / f"out.{fmt}{'.gz' if gz else ''}"
    result = write_dataset(ds, path, seed=3)
    assert result.rows == n and result.bytes == path.stat().st_size
    return path


def test_csv_reads_back_with_the_declared_columns_and_types(tmp_path):
    path = write(tmp_path, "csv")
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    assert list(frame.columns) == [f["name"] for f in FIELDS]
    assert len(frame) == 3000
    assert frame["id"].tolist() == list(range(1, 3001))
    assert frame["f"].dtype == float and frame["i"].isna().any()
    assert set(frame["c"]) == {"plain", "with,comma", 'with "quote"', "multi\nline",
                               "<script>", "ünï"}
    assert set(frame["b"].dropna().astype(str).str.lower()) <= {"true", "false"}
    pd.to_datetime(frame["t"], format="%Y-%m-%dT%H:%M:%S")
    assert json.loads(frame["g"][0]).keys() == {"lat", "lon"}


def test_csv_quotes_only_where_needed(tmp_path):
    path = write(tmp_path, "csv")
    text = path.read_text(encoding="utf-8")
    assert '"with,comma"' in text and '"with ""quote"""' in text and '"multi\nline"' in text
    assert ',plain,' in text and '"plain"' not in text and '"<script>"' not in text
    header, first = text.split("\n")[:2]
    assert header == "id,u,t,c,i,f,b,g,s"
    assert not first.startswith('"')
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 3001 and all(len(r) == 9 for r in rows)


def test_nulls_are_empty_in_csv_and_null_in_jsonl(tmp_path):
    rows = list(csv.DictReader(io.StringIO(write(tmp_path, "csv").read_text())))
    assert any(r["i"] == "" for r in rows) and any(r["b"] == "" for r in rows)
    lines = [json.loads(line) for line in write(tmp_path, "jsonl").read_text().splitlines()]
    assert any(r["i"] is None for r in lines)


def test_jsonl_has_real_json_types(tmp_path):
    lines = write(tmp_path, "jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 3000 and list(records[0]) == [f["name"] for f in FIELDS]
    first = records[0]
    assert isinstance(first["id"], int) and isinstance(first["f"], float)
    assert isinstance(first["g"], dict) and set(first["g"]) == {"lat", "lon"}
    assert all(isinstance(r["b"], bool) for r in records if r["b"] is not None)
    assert {r["c"] for r in records} >= {"with,comma", 'with "quote"', "multi\nline"}
    frame = pd.read_json(io.StringIO("\n".join(lines)), lines=True)
    assert frame["id"].dtype == "int64"


def test_jsonl_escapes_control_characters(tmp_path):
    fields = [{"name": "c", "type": "category",
               "choices": ["tab\there", "bell\x07", "back\\slash"]}]
    records = [json.loads(line) for line in
               write(tmp_path, "jsonl", fields=fields).read_text().splitlines()]
    assert {r["c"] for r in records} == {"tab\there", "bell\x07", "back\\slash"}


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_gzip_round_trip(tmp_path, fmt):
    n = BLOCK_SIZE + 500
    plain = write(tmp_path, fmt, n=n).read_bytes()
    packed = write(tmp_path, fmt, gz=True, n=n)
    assert packed.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed.read_bytes()) == plain
    reader = pd.read_csv if fmt == "csv" else lambda p: pd.read_json(p, lines=True)
    assert len(reader(packed)) == n


def test_parquet_keeps_real_types(tmp_path):
    table = pq.read_table(write(tmp_path, "parquet", n=BLOCK_SIZE + 10))
    assert table.num_rows == BLOCK_SIZE + 10
    types = {f.name: f.type for f in table.schema}
    assert types["id"] == pa.int64() and types["f"] == pa.float64()
    assert pa.types.is_timestamp(types["t"]) and types["b"] == pa.bool_()
    assert pa.types.is_struct(types["g"]) and types["c"] == pa.string()


TYPED_CHOICES = [{"name": "yes", "type": "category", "choices": [True, False]},
                 {"name": "size", "type": "category", "choices": [1, 2.5]}]


def test_boolean_and_number_choices_keep_their_type_in_every_format(tmp_path):
    lines = write(tmp_path, "jsonl", fields=TYPED_CHOICES).read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert {r["yes"] for r in records} == {True, False}
    assert {r["size"] for r in records} == {1.0, 2.5}  # integers among decimals: a float column
    assert '"size": 1.0' in "\n".join(lines)
    rows = list(csv.DictReader(io.StringIO(write(tmp_path, "csv", fields=TYPED_CHOICES)
                                           .read_text())))
    assert {r["yes"] for r in rows} == {"true", "false"}
    assert {r["size"] for r in rows} == {"1.0", "2.5"}
    types = pq.read_table(write(tmp_path, "parquet", fields=TYPED_CHOICES)).schema
    assert types.field("yes").type == pa.bool_() and types.field("size").type == pa.float64()


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_zero_rows(tmp_path, fmt):
    path = write(tmp_path, fmt, n=0)
    if fmt == "csv":
        assert path.read_text() == "id,u,t,c,i,f,b,g,s\n"
    elif fmt == "jsonl":
        assert path.read_bytes() == b""
    else:
        assert pq.read_table(path).num_rows == 0


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    from services.generator import encoders

    def broken(self, block):
        raise OSError("disk full")

    monkeypatch.setattr(encoders.CsvEncoder, "body", broken)
    with pytest.raises(OSError, match="disk full"):
        write(tmp_path, "csv")
    assert list(tmp_path.iterdir()) == []
