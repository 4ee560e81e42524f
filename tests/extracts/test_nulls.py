"""The spellings of a missing value in CSV (services.extracts.nulls) are null to every reader
of extracts: the Arrow readers (inference, replay), the producer's payloads and the batch
job's Spark reader; JSON Lines and Parquet text is never matched against them."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.extracts import NULL_SPELLINGS, read_extract
from services.kafka.replay import load_replay
from services.schema import parse_schema
from services.spark.extracts import list_extracts, read_extracts
from tests.kafka.replays import payloads

SPELLINGS = [s for s in NULL_SPELLINGS if s]  # "" is an empty cell, null as ever
NEAR_MISSES = ["na", "Null", "none", "NAN", "N/A/", "NA1", "NaN0", "n.a.", "-", "0"]
SCHEMA = {"schema": {"fields": [
    {"name": "at", "type": "datetime"},
    {"name": "city", "type": "category", "choices": ["x"]},
    {"name": "amount", "type": "float"}]},
    "analysis": {"timestamp_field": "at", "dimensions": ["city"], "numeric_fields": ["amount"]}}


def csv_text(values: list[str]) -> str:
    """One row per value: the value (padded, some quoted) in `city` and `amount`."""
    lines = ["at,city,amount"]
    for i, value in enumerate(values):
        cell = f'" {value} "' if i % 2 else f" {value}"
        lines.append(f"2025-01-01T00:00:{i % 60:02d},{cell},{cell}")
    return "\n".join(lines) + "\n"


def test_each_spelling_is_null_and_near_misses_are_text(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(csv_text(SPELLINGS + NEAR_MISSES))
    rows = read_extract(path).rows()
    assert [r["city"] for r in rows] == [None] * len(SPELLINGS) + NEAR_MISSES
    assert [r["amount"] for r in rows] == [None] * len(SPELLINGS) + NEAR_MISSES


def test_jsonl_and_parquet_text_is_never_a_null_spelling(tmp_path):
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text("".join(json.dumps({"city": s, "n": None}) + "\n" for s in SPELLINGS))
    assert [r["city"] for r in read_extract(jsonl).rows()] == SPELLINGS
    parquet = tmp_path / "a.parquet"
    pq.write_table(pa.table({"city": SPELLINGS}), parquet)
    assert [r["city"] for r in read_extract(parquet).rows()] == SPELLINGS


def test_the_producer_sends_a_spelled_null_as_null(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(csv_text([*SPELLINGS, "12.5"]))
    _, sent = payloads(load_replay([path], parse_schema(SCHEMA), None))
    assert [(r["city"], r["amount"]) for r in sent] == [(None, None)] * len(SPELLINGS) + [
        ("12.5", 12.5)]


@pytest.mark.spark
def test_the_batch_job_reads_each_spelling_as_null(spark, tmp_path):
    folder = tmp_path / "input"
    folder.mkdir()
    (folder / "a.csv").write_text(csv_text(SPELLINGS + NEAR_MISSES))
    (folder / "b.jsonl").write_text(json.dumps({"at": "2025-01-02T00:00:00", "city": "NA",
                                                "amount": "NaN"}) + "\n")
    frame, _ = read_extracts(spark, list_extracts(spark, folder.as_uri()),
                             parse_schema(SCHEMA))
    rows = sorted(frame.collect(), key=lambda r: r["at"])
    city = [r["city"].strip() if r["city"] is not None else None for r in rows]
    amount = [r["amount"].strip() if r["amount"] is not None else None for r in rows]
    expected = [None] * len(SPELLINGS) + NEAR_MISSES + ["NA"]  # CSV rows, then the JSONL
    assert city == expected
    assert amount == [*expected[:-1], "NaN"]
