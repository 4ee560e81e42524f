"""One list of time spellings through all three readers: the producer's replay (its reader
and event-time parse on a real CSV file), the batch job (its Spark reader and cleansing on
the same file) and the streaming job (Kafka-shaped records through its intake and its
transform). Each accepts and rejects the same values and reads the same instants
(services.extracts.times)."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from services.extracts import read_extract
from services.kafka.replay import load_replay
from services.kafka.timestamps import event_times
from services.schema import parse_schema
from services.spark.cleansing import VALID_TS, normalise
from services.spark.extracts import list_extracts, read_extracts
from services.spark.stream_intake import EVENT_ID, KAFKA, REASON, classify, valid_events
from services.spark.stream_transforms import (
    retail_spec,
    schema_spec,
    transform_orders,
    transform_schema_events,
)
from services.streamcheck import RETAIL, schema_shape

pytestmark = pytest.mark.spark

BAD = None
ISO = {  # text: the instant (UTC, ISO with milliseconds) or BAD
    "2025-03-03T10:10:00": "2025-03-03T10:10:00.000",
    "2025-03-03T10:10:00Z": "2025-03-03T10:10:00.000",
    "2025-03-03T10:10:00+01:00": "2025-03-03T09:10:00.000",
    "2025-03-03T10:10:00-0530": "2025-03-03T15:40:00.000",
    "2025-03-03T10:10:00+01": "2025-03-03T09:10:00.000",
    "2025-03-03T10:10:00.123Z": "2025-03-03T10:10:00.123",
    "2025-03-03T10:10:00.123456789": "2025-03-03T10:10:00.123",
    "2025-03-03 10:10:00": "2025-03-03T10:10:00.000",
    "2025-03-03T10:10": "2025-03-03T10:10:00.000",
    "2025-03-03": "2025-03-03T00:00:00.000",
    " 2025-03-03T10:10:00\t": "2025-03-03T10:10:00.000",
    "03/03/2025 10:10:00": "2025-03-03T10:10:00.000",  # the row the producer used to skip
    "04/03/2025 10:10:00": "2025-03-04T10:10:00.000",  # day first
    "03/13/2025 10:10:00": "2025-03-13T10:10:00.000",  # month first: 13 is no month
    "03/04/2025 10:10": "2025-04-03T10:10:00.000",
    "13/03/2025": "2025-03-13T00:00:00.000",
    "29/02/2024": "2024-02-29T00:00:00.000",
    "01/01/0999": "0999-01-01T00:00:00.000",
    "2025/03/03 10:10:00": "2025-03-03T10:10:00.000",
    "2025/03/03 10:10": "2025-03-03T10:10:00.000",
    "2025/03/03": "2025-03-03T00:00:00.000",
    "03-03-2025 10:10:00": "2025-03-03T10:10:00.000",
    "03.03.2025": "2025-03-03T00:00:00.000",
    "20250303101000": "2025-03-03T10:10:00.000",
    "0001-01-01T00:00:00": "0001-01-01T00:00:00.000",
    "9999-12-31T23:59:59.999": "9999-12-31T23:59:59.999",
    "1969-12-31T23:59:59.5": "1969-12-31T23:59:59.500",
    "1741000000": BAD,  # a bare number: only a field declared epoch_s/epoch_ms reads it
    "2025": BAD, "2025-03": BAD, "2025-3-3": BAD, "2025-03-03T10": BAD,
    "3/3/2025 10:10:00": BAD, "31/02/2025": BAD, "29/02/2025": BAD, "13/13/2025": BAD,
    "2025-02-31T00:00:00": BAD, "2025-03-03T24:00:00": BAD, "2025-03-03T10:10:60": BAD,
    "2025-03-03T10:10:00 UTC": BAD, "2025-03-03t10:10:00": BAD, "2025-03-03T10:10:00z": BAD,
    "2025-03-03T10:10:00+19:00": BAD, "0000-12-31T23:59:59": BAD,
    "10000-01-01T00:00:00": BAD, "yesterday": BAD, "03/03/25": BAD,
    "+025-03-03T10:10:00": BAD, "2025-03-03T 1:10:00": BAD, "2025-03-03T10:10:00+18:30": BAD,
    "2025-03-03T10:10:00+18:00": "2025-03-02T16:10:00.000",
    "9999-12-31T23:30:00-01:00": BAD, "0001-01-01T00:30:00+01:00": BAD,
    "2025-00-10": BAD, "2025-03-00T10:10:00": BAD, "03/03/0000": BAD,
}
DECLARED = {  # a field's declared format: its own cases (then the list still applies)
    "epoch_s": {"1741000000": "2025-03-03T11:06:40.000",
                "-62135596800": "0001-01-01T00:00:00.000", "-62135596801": BAD,
                "253402300799": "9999-12-31T23:59:59.000", "253402300800": BAD,
                "1741000000.5": BAD, "2025-03-03T10:10:00": "2025-03-03T10:10:00.000",
                "20250303101000": "2025-03-03T10:10:00.000"},  # too big for seconds
    "epoch_ms": {"1741000000123": "2025-03-03T11:06:40.123",
                 "1741000000": "1970-01-21T03:36:40.000", "-1": "1969-12-31T23:59:59.999",
                 "1e12": BAD, "9223372036854775807": BAD},
    "%d.%m.%Y um %H:%M": {"03.04.2025 um 10:30": "2025-04-03T10:30:00.000",
                          "3.4.2025 um 10:30": BAD, "31.02.2025 um 10:30": BAD,
                          "2025-03-03T10:10:00": "2025-03-03T10:10:00.000"},
    "%m/%d/%Y %H:%M:%S": {"03/04/2025 10:10:00": "2025-03-04T10:10:00.000",  # declared wins
                          "13/04/2025 10:10:00": "2025-04-13T10:10:00.000"},  # the list's
    "%I:%M %p, %d %b %Y": {"10:10 PM, 03 Mar 2025": "2025-03-03T22:10:00.000",
                           "12:10 AM, 03 Mar 2025": "2025-03-03T00:10:00.000",
                           "10:10 pm, 03 Mar 2025": BAD, "00:10 AM, 03 Mar 2025": BAD,
                           "10:10 PM, 03 MAR 2025": BAD},
    "%d %B %Y": {"03 March 2025": "2025-03-03T00:00:00.000", "03 Mar 2025": BAD,
                 "3 March 2025": BAD},
}
CASES = {"iso": ISO, **DECLARED}


def dataset(fmt: str):
    return parse_schema({"schema": {"fields": [
        {"name": "id", "type": "int", "min": 0, "max": 1000},
        {"name": "product", "type": "category", "choices": ["tea"]},
        {"name": "amount", "type": "float"},
        {"name": "order_time", "type": "datetime", "format": fmt}]},
        "analysis": {"timestamp_field": "order_time", "dimensions": ["product"],
                     "numeric_fields": ["amount"], "boolean_fields": []}})


def instant_ms(text: str | None) -> int | None:
    if text is None:
        return None
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)
    return (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // (
        datetime.resolution * 1000)


def write_csv(path: Path, texts: list[str]) -> Path:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "product", "amount", "order_time"])
        writer.writerows([i, "tea", "1.5", text] for i, text in enumerate(texts))
    return path


def producer_reads(path: Path, fmt: str) -> list[int | None]:
    extract = read_extract(path)
    column = extract.columns["order_time"].text
    times = event_times({"order_time": column}, ["order_time"], extract.num_rows,
                        {"order_time": fmt})
    return [None if bad else int(ms) for ms, bad in zip(times.ms, times.bad, strict=True)]


def batch_reads(spark, path: Path, fmt: str) -> list[int | None]:
    frame, _ = read_extracts(spark, list_extracts(spark, path.parent.as_uri()), dataset(fmt))
    rows = normalise(frame, dataset(fmt)).select(
        F.col("id").cast("int").alias("id"), F.unix_micros("order_time").alias("us"),
        VALID_TS).orderBy("id").collect()
    assert all(r[VALID_TS] == (r.us is not None) for r in rows)
    return [None if r.us is None else r.us // 1000 for r in rows]


def kafka_records(spark, events: list[dict]):
    rows = [(None, json.dumps(e).encode(), "t", 0, i, datetime(2025, 1, 1))
            for i, e in enumerate(events)]
    return spark.createDataFrame(rows, "key binary, value binary, topic string, "
                                       "partition int, offset long, timestamp timestamp")


def stream_reads(spark, events: list[dict], spec, transform, id_field: str,
                 time_column: str) -> list[int | None]:
    """Kafka-shaped records through the intake (a refused time is `bad_time` poison) and the
    transform; each event's time in microseconds // 1000, None where it was refused."""
    spec = replace(spec, horizon_ms=10**18)  # no time is too far ahead here
    classified = classify(kafka_records(spark, events), spec)
    reasons = [r[REASON] for r in
               classified.orderBy(F.col(KAFKA)["offset"]).select(REASON).collect()]
    assert set(reasons) <= {None, "bad_time"}
    valid = valid_events(classified, spec)
    rows = transform(valid).join(
        valid.select(EVENT_ID, F.col(id_field).cast("int").alias("n")), EVENT_ID)
    got = {r.n: r.us // 1000 for r in rows.select(
        "n", F.unix_micros(time_column).alias("us")).collect()}
    assert [i in got for i in range(len(events))] == [r is None for r in reasons]
    return [got.get(i) for i in range(len(events))]


def streaming_reads(spark, texts: list[str], fmt: str) -> list[int | None]:
    """Schema mode: the events carry the schema's time field as the producer sends it."""
    ds = dataset(fmt)
    shape = schema_shape(ds)
    events = [{"id": i, "product": "tea", "amount": 1.5, "order_time": t}
              for i, t in enumerate(texts)]
    return stream_reads(spark, events, schema_spec(ds, shape),
                        lambda valid: transform_schema_events(valid, ds, shape), "id",
                        shape.time)


def retail_reads(spark, texts: list[str]) -> list[int | None]:
    """Retail mode (no schema file, so no declared format): the order's own time."""
    events = [{"order_id": i, "product": "tea", "quantity": 1, "unit_price": 1.5,
               "order_time": t} for i, t in enumerate(texts)]
    return stream_reads(spark, events, retail_spec(), transform_orders, "order_id",
                        RETAIL.time)


@pytest.mark.parametrize("fmt", list(CASES))
def test_every_reader_takes_the_same_spellings_as_the_same_instants(spark, tmp_path, fmt):
    cases = CASES[fmt]
    texts = list(cases)
    expected = {t: instant_ms(cases[t]) for t in texts}
    (tmp_path / "input").mkdir()
    path = write_csv(tmp_path / "input" / "times.csv", texts)

    assert dict(zip(texts, producer_reads(path, fmt), strict=True)) == expected
    assert dict(zip(texts, batch_reads(spark, path, fmt), strict=True)) == expected
    assert dict(zip(texts, streaming_reads(spark, texts, fmt), strict=True)) == expected
    if fmt == "iso":
        assert dict(zip(texts, retail_reads(spark, texts), strict=True)) == expected


def test_the_replay_sends_what_it_reads_and_skips_what_it_refuses(tmp_path):
    """The issue's row (03/03/2025 10:10:00) is sent; a refused time is a counted bad row."""
    path = write_csv(tmp_path / "times.csv", list(ISO))
    replay = load_replay([path], dataset("iso"), None)
    refused = sum(v is BAD for v in ISO.values())
    assert (replay.events.size, replay.bad_rows) == (len(ISO) - refused, refused)
    assert sorted(replay.sort_ms.tolist()) == sorted(
        instant_ms(v) for v in ISO.values() if v is not BAD)
