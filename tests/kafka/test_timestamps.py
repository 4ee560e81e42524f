"""Event-time normalisation: which value is a row's event time, and how it is parsed."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import pytest

from services.kafka.timestamps import candidates, event_times, iso_ms, parse_times


def ms(text: str) -> int:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def test_candidate_order_schema_field_then_the_seed_list_then_event_time():
    names = ["event_time", "timestamp", "order_date", "order_time", "order_ts", "created"]
    assert candidates(names, None) == ["order_ts", "order_time", "order_date", "timestamp",
                                       "event_time"]
    assert candidates(names, "created") == ["created", "order_ts", "order_time", "order_date",
                                            "timestamp", "event_time"]
    assert candidates(names, "order_date")[0] == "order_date"
    assert candidates(["id", "city"], "missing") == []


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-03-04T05:06:07", "2025-03-04T05:06:07"),
    ("2025-03-04 05:06:07", "2025-03-04T05:06:07"),
    ("2025-03-04T05:06", "2025-03-04T05:06:00"),
    ("2025-03-04", "2025-03-04T00:00:00"),
    ("2025-03-04T05:06:07Z", "2025-03-04T05:06:07"),
    ("2025-03-04T05:06:07+02:00", "2025-03-04T03:06:07"),
    ("2025-03-04T05:06:07.25-0130", "2025-03-04T06:36:07.250"),
    ("2025-03-04T05:06:07.123456789", "2025-03-04T05:06:07.123"),
    ("2025/03/04 05:06", "2025-03-04T05:06:00"),
    ("04/03/2025 05:06:07", "2025-03-04T05:06:07"),
])
def test_parse_then_write_as_utc_iso(text, expected):
    values, ok = parse_times(pa.array([text]))
    assert ok.tolist() == [True]
    assert iso_ms(values).to_pylist() == [expected]


@pytest.mark.parametrize("text", ["yesterday", "2025-13-01", "2025-02-30T00:00:00",
                                  "2025/3/4 05:06", "12:00", "1e999", "2025-03-04T25:00:00",
                                  "1741064767", "1741064767123"])
def test_unparseable_values_are_reported_not_guessed(text):
    values, ok = parse_times(pa.array(["2025-01-01T00:00:00", text]))
    assert ok.tolist() == [True, False]
    assert values[0] == ms("2025-01-01T00:00:00")


def test_schema_formats_are_used_first():
    text = pa.array(["03/04/2025 05:06", "2025-03-04T05:06:07", "1741064767"])
    values, ok = parse_times(text, "%m/%d/%Y %H:%M")
    assert ok.tolist() == [True, True, False]  # a bare number only where epoch is declared
    assert values[0] == ms("2025-03-04T05:06:00")
    # the schema's epoch unit says what a number means
    seconds, _ = parse_times(pa.array(["1741064767"]), "epoch_s")
    millis, _ = parse_times(pa.array(["1741064767"]), "epoch_ms")
    assert seconds[0] == 1741064767 * 1000 and millis[0] == 1741064767


def test_first_non_empty_candidate_wins_and_a_bad_one_is_not_skipped():
    columns = {
        "order_ts": pa.chunked_array([pa.array([None, "2025-01-02", None, "junk"])]),
        "order_time": pa.chunked_array([pa.array(["2025-01-01", "2025-01-03", None,
                                                  "2025-01-04"])]),
    }
    times = event_times(columns, ["order_ts", "order_time"], 4)
    assert times.missing.tolist() == [False, False, True, False]
    assert times.bad.tolist() == [False, False, False, True]
    assert times.ms[:2].tolist() == [ms("2025-01-01T00:00:00"), ms("2025-01-02T00:00:00")]


def test_iso_ms_matches_the_generator_iso_format_and_keeps_milliseconds():
    values = np.array([0, ms("2025-12-31T23:59:59") + 5, -1000], dtype=np.int64)
    assert iso_ms(values).to_pylist() == ["1970-01-01T00:00:00", "2025-12-31T23:59:59.005",
                                          "1969-12-31T23:59:59"]
