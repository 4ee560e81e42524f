"""The intake on static DataFrames shaped like Kafka's records: every kind of poison gets its
reason (the first that holds), every valid event survives the transform, and the event id
is a hash of the key and the bytes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from pyspark.sql import functions as F

from services.outputs import QUARANTINE_COLUMNS
from services.schema import MAX_EVENT_BYTES, load_schema, parse_schema
from services.spark.stream_intake import EVENT_ID, REASON, classify, quarantined, valid_events
from services.spark.stream_transforms import (
    retail_spec,
    schema_spec,
    transform_orders,
    transform_schema_events,
)
from services.streamcheck import schema_shape
from tests.schemas import CARD as CARD_SCHEMA
from tests.schemas import RETAIL as RETAIL_SCHEMA

pytestmark = pytest.mark.spark
CARD = load_schema(CARD_SCHEMA)
RETAIL_DATASET = load_schema(RETAIL_SCHEMA)
AT = "2025-03-03T10:00:00"


def order(**fields) -> bytes:
    return json.dumps({"product": "Latte", "quantity": "2", "unit_price": "3.5",
                       "order_time": AT, **fields}).encode()


def exactly(size: int) -> bytes:
    """A valid order of exactly `size` bytes (a long product name)."""
    bare = len(order(product=""))
    return order(product="x" * (size - bare))


def records(spark, values: list[bytes | None], keys: list[bytes | None] | None = None):
    keys = keys or [None] * len(values)
    rows = [(k, v, "t", 0, i, datetime(2025, 1, 1))
            for i, (k, v) in enumerate(zip(keys, values, strict=True))]
    return spark.createDataFrame(rows, "key binary, value binary, topic string, "
                                       "partition int, offset long, timestamp timestamp")


def reasons(spark, spec, values: list[bytes | None]) -> list[str | None]:
    got = classify(records(spark, values), spec).orderBy("offset").select(REASON).collect()
    return [r[REASON] for r in got]


RETAIL_CASES = [
    (order(), None),
    (json.dumps({"product": "A", "quantity": 2, "unit_price": 3.5, "order_time": AT}).encode(),
     None),  # JSON numbers
    (order(quantity=" 12.5 ", unit_price=""), None),  # numeric text, a blank number
    (order(order_time=None, order_date="03/03/2025 10:00:00"), None),  # another time column
    (exactly(MAX_EVENT_BYTES), None),
    (None, "empty"),
    (b"", "empty"),
    (exactly(MAX_EVENT_BYTES + 1), "oversized"),
    (b"{this is not json", "not_json"),
    (b'"a string"', "not_json"),
    (b"[1, 2]", "not_json"),
    (b'[{"product": "A"}]', "not_json"),
    (b"123", "not_json"),
    (b"null", "not_json"),
    (b"   ", "not_json"),
    (b'{"product": "A", "order_time": "' + AT.encode(), "not_json"),  # cut short
    (b"\xff\xfe\x00", "not_json"),
    (b"{}", "missing_field"),
    (order(order_time=None), "missing_field"),
    (order(order_time="   "), "missing_field"),
    (order(order_time=None, quantity="abc"), "missing_field"),  # the first reason wins
    (order(order_time="soon"), "bad_time"),
    (order(order_time="soon", quantity="abc"), "bad_time"),
    (order(order_time="99999-01-01T00:00:00"), "bad_time"),  # no year from 1 to 9999
    (order(order_time="9999-12-31T23:59:59"), "future_time"),
    (order(order_time="9999-12-31T23:59:59", quantity="abc"), "future_time"),
    (order(quantity="abc"), "text_number"),
    (order(unit_price=True), "text_number"),
    (order(total_price="12,50"), "text_number"),
]


def test_retail_records_get_the_first_reason_that_holds(spark):
    values = [v for v, _ in RETAIL_CASES]
    assert reasons(spark, retail_spec(), values) == [r for _, r in RETAIL_CASES]


def test_schema_records_get_their_reasons(spark):
    spec = schema_spec(CARD, schema_shape(CARD))
    assert spec.numbers == ("amount",) and spec.times == ("event_time",)

    def card(**fields) -> bytes:
        return json.dumps({"event_time": AT, "city": "Paris", "amount": "12.5",
                           **fields}).encode()

    cases = [(card(), None), (card(amount=12.5), None), (card(city=None), None),
             (card(amount="12.5 EUR"), "text_number"), (card(event_time="never"), "bad_time"),
             (card(event_time=None), "missing_field"), (b"[]", "not_json")]
    assert reasons(spark, spec, [v for v, _ in cases]) == [r for _, r in cases]


def test_a_schema_time_is_its_timestamp_field_else_event_time(spark):
    shape = schema_shape(RETAIL_DATASET)
    spec = schema_spec(RETAIL_DATASET, shape)
    assert spec.times == ("order_time", "event_time")
    assert set(spec.numbers) == {"quantity", "unit_price"}

    def line(**fields) -> bytes:
        return json.dumps({"product": "Latte", "quantity": 1, "unit_price": 2.0,
                           **fields}).encode()

    values = [line(event_time=AT), line(order_time=" ", event_time=AT),
              line(order_time="soon", event_time=AT), line()]
    assert reasons(spark, spec, values) == [None, None, "bad_time", "missing_field"]


def test_every_valid_event_keeps_its_time_through_the_transform(spark):
    values = [v for v, _ in RETAIL_CASES]
    classified = classify(records(spark, values), retail_spec())
    valid = valid_events(classified, retail_spec())
    rows = transform_orders(valid)
    assert rows.count() == valid.count() == sum(r is None for _, r in RETAIL_CASES)
    assert EVENT_ID in rows.columns

    shape = schema_shape(CARD)
    spec = schema_spec(CARD, shape)
    cards = [json.dumps({"event_time": t, "city": "Rome", "amount": 1}).encode()
             for t in ("2025-01-01T10:00:00", " 2025-01-01 10:05:00 ", "2025-01-01T10:10:00Z")]
    events = valid_events(classify(records(spark, cards), spec), spec)
    assert transform_schema_events(events, CARD, shape).count() == 3


def expected_id(key: bytes | None, value: bytes) -> bytes:
    def hexed(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    return hashlib.sha256(f"{hexed(key) if key is not None else '-'}:{hexed(value)}"
                          .encode()).digest()


def test_the_event_id_is_the_key_and_the_bytes(spark):
    mug = order(product="Mug")
    values = [order(), order(), mug, order(), order(), mug]
    keys = [b"id-1", b"id-1", b"id-1", None, b"id-2", None]
    spec = retail_spec()
    got = [bytes(r[EVENT_ID]) for r in
           valid_events(classify(records(spark, values, keys), spec), spec).collect()]
    assert got == [expected_id(k, v) for k, v in zip(keys, values, strict=True)]
    # a re-send is the same event; another key or other bytes is another event
    assert got[0] == got[1] and len(set(got)) == 5


def test_the_quarantine_keeps_the_record_as_read(spark):
    values = [order(), b"{oops", b""]
    poison = quarantined(classify(records(spark, values, [b"k1", b"k2", None]),
                                  retail_spec())).orderBy("offset").collect()
    assert tuple(poison[0].asDict()) == QUARANTINE_COLUMNS
    assert [(r.key, bytes(r.value), r.offset, r.reason) for r in poison] == [
        (bytearray(b"k2"), b"{oops", 1, "not_json"), (None, b"", 2, "empty")]


def at_us(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()) * 10**6


@pytest.mark.parametrize(("now", "newest"), [
    ("2030-06-01T12:00:00", "2030-06-01T12:00:00"),  # the clock is later than the window
    ("2024-01-01T00:00:00", "2025-01-07T23:59:59"),  # the schema's window end is later
])
def test_a_time_further_ahead_than_the_horizon_is_future_time(spark, now, newest):
    shape = schema_shape(CARD)
    spec = replace(schema_spec(CARD, shape), horizon_ms=3_600_000)
    assert spec.window_end == datetime(2025, 1, 7, 23, 59, 59)
    edge = datetime.fromisoformat(newest) + timedelta(hours=1)

    def card(moment: datetime | str) -> bytes:
        text = moment if isinstance(moment, str) else moment.isoformat()
        return json.dumps({"event_time": text, "city": "Paris", "amount": "1"}).encode()

    values = [card(edge), card(edge + timedelta(seconds=1)), card("9999-12-31T23:59:59"),
              card(datetime.fromisoformat(newest)), card("9999-12-31T23:59:59")[:-2]]
    got = classify(records(spark, values), spec, F.timestamp_micros(F.lit(at_us(now))))
    assert [r[REASON] for r in got.orderBy("offset").collect()] == [
        None, "future_time", "future_time", None, "not_json"]


def test_the_default_horizon_is_a_day_ahead_of_the_clock(spark):
    ahead = [(datetime.now(timezone.utc) + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%S")
             for h in (23, 25)]
    assert reasons(spark, retail_spec(), [order(order_time=t) for t in ahead]) == [
        None, "future_time"]


@pytest.mark.parametrize(("fmt", "cases"), [
    ("epoch_ms", [(1735689600000, None), (99999999999999999, "bad_time"),
                  ("9223372036854775807", "bad_time"), (-99999999999999999, "bad_time"),
                  (253402300799999, "future_time"), (253402300800000, "bad_time")]),
    ("epoch_s", [(1735689600, None), (99999999999999999, "bad_time"),
                 (253402300799, "future_time"), (253402300800, "bad_time")]),
])
def test_an_epoch_time_out_of_range_is_a_bad_time_not_an_overflow(spark, fmt, cases):
    raw = json.loads(CARD_SCHEMA.read_text())
    for field in raw["schema"]["fields"]:
        if field["name"] == "event_time":
            field["format"] = fmt
    dataset = parse_schema(raw)
    spec = schema_spec(dataset, schema_shape(dataset))
    values = [json.dumps({"event_time": t, "city": "Paris", "amount": 1}).encode()
              for t, _ in cases]
    assert reasons(spark, spec, values) == [r for _, r in cases]


@pytest.mark.parametrize("side", ["quarantine", "valid"])
def test_each_record_is_parsed_once(spark, side):
    """A filter on the reason pushed below the parse would run from_json again (once per
    field the reason reads): in a batch read of the topic the quarantine cost 6.5x its CPU
    so. A stream's clock happened to block the push; the barrier does not rely on it."""
    spec = retail_spec()
    classified = classify(records(spark, [b'{"product": "Latte"}']), spec)
    chosen = quarantined(classified) if side == "quarantine" else valid_events(classified, spec)
    plan = chosen._jdf.queryExecution().executedPlan().toString()
    assert plan.count("from_json(") == 1, plan


def parses_in(frame) -> int:
    """How many copies of a time parse the frame's executed plan holds (a try_to_timestamp
    per non-ISO spelling)."""
    return frame._jdf.queryExecution().executedPlan().toString().count("gettimestamp")


@pytest.mark.parametrize("kind", ["retail", "schema"])
def test_the_main_path_parses_each_event_time_once(spark, kind):
    """The intake parses the time to judge the event; the transform and the cleansing take
    that time rather than parse it again (it was three parses per event)."""
    shape = schema_shape(CARD)
    spec = retail_spec() if kind == "retail" else schema_spec(CARD, shape)
    kafka = records(spark, [order()])
    once = parses_in(kafka.select(spec.event_time(lambda _: F.col("value").cast("string"))))
    valid = valid_events(classify(kafka, spec), spec)
    rows = (transform_orders(valid) if kind == "retail"
            else transform_schema_events(valid, CARD, shape))
    assert once > 0
    assert parses_in(rows) == once
