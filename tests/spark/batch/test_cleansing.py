"""The shared cleansing transform on small messy DataFrames, against exact expected rows."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pyspark.sql import Row
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from services.extracts import declared_spelling
from services.schema import parse_schema
from services.spark.cleansing import (
    VALID_TS,
    MissingColumnError,
    cleanse,
    normalise,
    parse_timestamp,
)

pytestmark = pytest.mark.spark

DATASET = parse_schema({
    "schema": {"fields": [
        {"name": "event_time", "type": "datetime"},
        {"name": "City", "type": "category", "choices": ["a"]},
        {"name": "channel", "type": "category", "choices": ["a"]},
        {"name": "amount", "type": "float"},
        {"name": "is_chip", "type": "bool"},
        {"name": "is_online", "type": "bool"},
        {"name": "store", "type": "category", "choices": ["a"]},
    ]},
    "analysis": {"dimensions": ["City", "channel", "store"], "numeric_fields": ["amount"],
                 "boolean_fields": ["is_chip", "is_online"]},
})

MESSY = [
    # event_time, " CITY ", Channel, AMOUNT, is_chip, extra
    ("2025-01-02T10:00:00", " Paris ", "POS", "12.50", "yes", "x"),
    ("2025-01-02 23:59:59", "", "ECOM", "abc", "N", "y"),
    ("not a time", "Lyon", "POS", "3", "1", "z"),
    ("2025-01-03T00:00:00Z", None, "  ", None, "maybe", None),
    ("03/01/2025 08:15:00", "Nice", None, " 7.25 ", "0", "w"),
    (None, "Nice", "ATM", "1", "true", "v"),
]


@pytest.fixture
def messy(spark):
    return spark.createDataFrame(MESSY, [" Event_Time", " CITY ", "Channel", "AMOUNT",
                                         "is_chip", "Extra "])


def test_cleanse_gives_exact_rows(spark, messy):
    expected = spark.createDataFrame([
        Row(event_time=datetime(2025, 1, 2, 10), city="Paris", channel="POS", amount=12.5,
            is_chip=True, extra="x", store="UNKNOWN", is_online=False,
            event_time_date=date(2025, 1, 2)),
        Row(event_time=datetime(2025, 1, 2, 23, 59, 59), city="UNKNOWN", channel="ECOM",
            amount=0.0, is_chip=False, extra="y", store="UNKNOWN", is_online=False,
            event_time_date=date(2025, 1, 2)),
        Row(event_time=datetime(2025, 1, 3), city="UNKNOWN", channel="UNKNOWN", amount=0.0,
            is_chip=False, extra=None, store="UNKNOWN", is_online=False,
            event_time_date=date(2025, 1, 3)),
        Row(event_time=datetime(2025, 1, 3, 8, 15), city="Nice", channel="UNKNOWN",
            amount=7.25, is_chip=False, extra="w", store="UNKNOWN", is_online=False,
            event_time_date=date(2025, 1, 3)),
    ])
    assertDataFrameEqual(cleanse(messy, DATASET), expected)


def test_normalise_flags_every_defaulted_value(spark, messy):
    rows = normalise(messy, DATASET).collect()
    assert [r[VALID_TS] for r in rows] == [True, True, False, True, True, False]
    totals = {c: sum(r[c] for r in rows if r[VALID_TS])
              for c in rows[0].asDict() if c.startswith("_dq__")}
    assert totals == {
        "_dq__city__blank_to_UNKNOWN": 2,
        "_dq__channel__blank_to_UNKNOWN": 2,
        "_dq__store__missing_column_to_UNKNOWN": 4,
        "_dq__amount__null_or_invalid_to_0": 2,
        "_dq__is_chip__unparsed_to_false": 1,
        "_dq__is_online__missing_column_to_false": 4,
    }


def test_missing_timestamp_column_names_it(spark):
    frame = spark.createDataFrame([("Paris",)], ["city"])
    with pytest.raises(MissingColumnError, match=r"'event_time' .* is not in the data"):
        cleanse(frame, DATASET)


def test_epoch_and_strftime_timestamps_follow_the_schema(spark):
    ds = parse_schema({"schema": {"fields": [
        {"name": "ms", "type": "datetime", "format": "epoch_ms"},
        {"name": "day", "type": "datetime", "format": "%d.%m.%Y um %H:%M"}]},
        "analysis": {"timestamp_field": "ms", "dimensions": [], "numeric_fields": [],
                     "boolean_fields": []}})
    frame = spark.createDataFrame([("1735689600000", "01.01.2025 um 10:30")], ["ms", "day"])
    row = cleanse(frame, ds).first()
    assert row["ms"] == datetime(2025, 1, 1)
    assert declared_spelling("%d.%m.%Y um %H:%M").spark == "dd'.'MM'.'yyyy' um 'HH':'mm"
    assert declared_spelling("%Y-%m-%d %q") is None


FIRST, LAST = -62_135_596_800_000_000, 253_402_300_799_999_999  # 0001-01-01, 9999-12-31 end
JAN_2025 = 1_735_689_600_000_000
TIME_EDGES = {  # format: [(text, unix micros or None: a bad time)]
    "epoch_ms": [("-62135596800000", FIRST), ("-62135596800001", None),
                 ("253402300799999", LAST - 999), ("253402300800000", None),
                 ("99999999999999999", None), ("9223372036854775807", None),
                 ("-9223372036854775808", None), ("1e30", None), ("1735689600000", JAN_2025)],
    "epoch_s": [("-62135596800", FIRST), ("-62135596801", None),
                ("253402300799", LAST - 999_999), ("253402300800", None),
                ("99999999999999999", None), ("9223372036854775807", None),
                ("1735689600", JAN_2025)],
    "iso": [("0001-01-01T00:00:00", FIRST), ("0000-12-31T23:59:59", None),
            ("9999-12-31T23:59:59.999999", LAST), ("+10000-01-01T00:00:00", None),
            ("99999-01-01T00:00:00", None), ("-0001-01-01", None),
            ("2025-01-01T00:00:00Z", JAN_2025)],
    "%Y%m%d%H%M%S": [("99991231235959", LAST - 999_999), ("00000101000000", None),
                     ("20250101000000", JAN_2025)],
}


@pytest.mark.parametrize("fmt", list(TIME_EDGES))
def test_a_time_outside_the_years_1_to_9999_is_a_bad_time_not_an_error(spark, fmt):
    cases = TIME_EDGES[fmt]
    field = parse_schema({"schema": {"fields": [{"name": "t", "type": "datetime",
                                                 "format": fmt}]}}).fields[0]
    frame = spark.createDataFrame([(i, text) for i, (text, _) in enumerate(cases)], ["i", "t"])
    got = frame.select("i", F.unix_micros(parse_timestamp(F.col("t"), field)).alias("us"))
    assert [r.us for r in got.orderBy("i").collect()] == [us for _, us in cases]


def test_a_timestamp_column_is_kept_and_held_to_the_years_1_to_9999(spark):
    """A typed time (a Parquet extract's, the streaming intake's) is not parsed again: it is
    kept as it is, and a time past 9999 is a bad time as a parsed one would be."""
    past_9999 = LAST + 1
    frame = spark.createDataFrame([(0, JAN_2025), (1, LAST), (2, past_9999), (3, None)],
                                  ["i", "us"])
    typed = frame.select("i", F.timestamp_micros("us").alias("event_time"))
    got = normalise(typed, DATASET).select("i", F.unix_micros("event_time").alias("us"),
                                           VALID_TS).orderBy("i").collect()
    assert [(r.us, r[VALID_TS]) for r in got] == [(JAN_2025, True), (LAST, True),
                                                   (None, False), (None, False)]
