"""Parquet extracts replay as their CSV twins: the same rows read, the same events sent."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.extracts import ExtractError, read_extract
from services.extracts.parquet_reader import parquet_batches
from services.kafka.replay import load_replay
from services.schema import load_schema
from tests.kafka.replays import EVERY_TYPE, payloads
from tests.schemas import CARD, RETAIL, generate


@pytest.mark.parametrize("schema", [CARD, RETAIL, "every-type"])
@pytest.mark.parametrize("with_schema", [True, False], ids=["typed", "untyped"])
def test_parquet_replay_sends_the_events_of_the_same_rows_as_csv(tmp_path, schema,
                                                                 with_schema):
    """Every type the generator writes (iso, epoch and strftime times, nulls, floats, geo
    objects and text, mixed categories), with the schema's JSON types and without."""
    if schema == "every-type":
        schema = tmp_path / "every.json"
        schema.write_text(json.dumps(EVERY_TYPE))
    dataset = load_schema(schema)
    csv_path = generate(schema, tmp_path / "csv", 3000, seed=5)
    parquet_path = generate(schema, tmp_path / "parquet", 3000, fmt="parquet", seed=5)
    typed, key = (dataset, dataset.analysis.dimensions[0]) if with_schema else (None, None)

    csv_replay = load_replay([csv_path], typed, key)
    from_csv = payloads(csv_replay)
    from_parquet = payloads(load_replay([parquet_path], typed, key))
    assert len(from_parquet[1]) == 3000 - csv_replay.bad_rows  # blank times are bad rows
    assert from_parquet[1] == from_csv[1]
    if key:  # else each event's id names its own file and line
        assert from_parquet[0] == from_csv[0]


def test_parquet_rows_are_trimmed_text_and_blank_rows_are_skipped(tmp_path):
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({
        " id ": pa.array([1, None, 3], pa.int64()),
        "city": pa.array(["  Paris ", None, ""]),
        "amount": pa.array([2.0, None, 1e-7]),
        "ok": pa.array([True, None, False]),
        "at": pa.array([1_700_000_000_000, None, 1_700_000_001_500], pa.timestamp("ms")),
    }), path, row_group_size=2)
    extract = read_extract(path)
    assert extract.rows() == [
        {"id": "1", "city": "Paris", "amount": "2.0", "ok": "true", "at": "2023-11-14T22:13:20"},
        {"id": "3", "city": None, "amount": "1e-7", "ok": "false",
         "at": "2023-11-14T22:13:21.500"},
    ]
    assert extract.lines_of([0, 1]).tolist() == [1, 3]  # row numbers in the file


def test_batches_number_rows_across_the_file(tmp_path):
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"id": list(range(10))}), path)
    batches = list(parquet_batches(path, rows_per_batch=4))
    assert [b.num_rows for b in batches] == [4, 4, 2]
    assert batches[2].lines_of([0, 1]).tolist() == [9, 10]


@pytest.mark.parametrize(("table", "message"), [
    (pa.table({"id": [1], " id": [2]}), "the header names 'id' more than once"),
    (pa.table({"tags": pa.array([["a"]])}), "column 'tags' is of type list<"),
])
def test_parquet_files_that_cannot_be_sent_are_refused_by_name(tmp_path, table, message):
    path = tmp_path / "bad.parquet"
    pq.write_table(table, path)
    with pytest.raises(ExtractError, match=f"{path.name}: {message}".replace("[", r"\[")):
        read_extract(path)


def test_a_file_that_is_not_parquet_is_refused(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_bytes(b"id\n1\n")
    with pytest.raises(ExtractError, match=r"x\.parquet: not readable as Parquet"):
        read_extract(path)
