"""The streaming transforms on static DataFrames, against exact rows."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from pyspark.sql import Row
from pyspark.testing import assertDataFrameEqual

from services.generator import write_dataset
from services.schema import SLIDE_S, WINDOW_S, load_schema
from services.spark.cleansing import MissingColumnError
from services.spark.stream_transforms import (
    build_aggregations,
    transform_orders,
    transform_schema_events,
)
from services.streamcheck import RETAIL, schema_shape
from tests.schemas import CARD as CARD_SCHEMA
from tests.schemas import SCHEMAS

pytestmark = pytest.mark.spark
CARD = load_schema(CARD_SCHEMA)


def test_retail_transform_follows_the_seed(spark):
    cols = ["product", "item", "quantity", "unit_price", "total_price", "event_time",
            "order_time", "order_date", "timestamp"]
    events = spark.createDataFrame([
        (" Latte ", None, "2", "3.5", None, None, "2025-03-03T10:00:00", None, None),
        ("", "Mug", "1", "12", "11.99", "2025-03-03 10:05:00", None, None, None),
        (None, None, "x", "2", None, None, None, "03/03/2025 10:10:00", None),
        ("Bagel", None, "2", None, None, None, None, None, "2025-03-03T10:20:00Z"),
        ("Muffin", None, "1", "3.1", None, "yesterday", None, None, None),
        (None, None, None, None, None, None, None, None, None),
    ], cols)
    expected = spark.createDataFrame([
        Row(product="Latte", order_ts=datetime(2025, 3, 3, 10, 0), line_amount=7.0),
        Row(product="Mug", order_ts=datetime(2025, 3, 3, 10, 5), line_amount=11.99),
        Row(product="UNKNOWN", order_ts=datetime(2025, 3, 3, 10, 10), line_amount=0.0),
        Row(product="Bagel", order_ts=datetime(2025, 3, 3, 10, 20), line_amount=0.0),
    ])
    assertDataFrameEqual(transform_orders(events), expected)


def test_schema_events_reuse_the_batch_cleansing(spark):
    shape = schema_shape(CARD)
    assert (shape.group, shape.time, shape.value) == ("city", "event_time", "amount")
    events = spark.createDataFrame([
        ("2025-01-01T10:00:00", " Paris ", "12.5"), ("2025-01-01T10:01:00", "", "x"),
        ("never", "Rome", "1")], ["event_time", "city", "amount"])
    expected = spark.createDataFrame([
        Row(city="Paris", event_time=datetime(2025, 1, 1, 10), amount=12.5),
        Row(city="UNKNOWN", event_time=datetime(2025, 1, 1, 10, 1), amount=0.0)])
    assertDataFrameEqual(transform_schema_events(events, CARD, shape), expected)


def test_group_and_value_overrides_are_checked():
    assert schema_shape(CARD, "channel", "amount").group == "channel"
    with pytest.raises(MissingColumnError, match="STREAM_GROUP_FIELD='shop' names no field"):
        schema_shape(CARD, "shop")


def test_sliding_windows_and_rounding(spark):
    rows = spark.createDataFrame([
        Row(product="A", order_ts=datetime(2025, 1, 1, 10, 20), line_amount=1.005),
        Row(product="A", order_ts=datetime(2025, 1, 1, 10, 50), line_amount=2.0),
        Row(product="B", order_ts=datetime(2025, 1, 1, 11, 5), line_amount=4.0)])
    got = {(r["product"], r["window_start"]): (r["revenue"], r["event_count"])
           for r in build_aggregations(rows, RETAIL).collect()}
    assert got[("A", datetime(2025, 1, 1, 10, 0))] == (3.01, 2)
    assert got[("A", datetime(2025, 1, 1, 9, 30))] == (1.01, 1)
    assert got[("A", datetime(2025, 1, 1, 10, 45))] == (2.0, 1)
    assert got[("B", datetime(2025, 1, 1, 10, 15))] == (4.0, 1)
    assert len([k for k in got if k[0] == "A"]) == 6 and len([k for k in got if k[0] == "B"]) == 4


def test_a_lifecycle_counts_its_transitions_per_state_and_window(spark, tmp_path):
    """A lifecycle's rows are its transitions: the windows count them per state entered
    (whatever its first dimension or measure), equal to a recount of the extract."""
    dataset = load_schema(SCHEMAS / "retail_order_lifecycle.json")
    shape = schema_shape(dataset)
    assert (shape.group, shape.value, shape.counts_events) == ("status", "events", True)
    assert schema_shape(dataset, "store").group == "store"  # an override still wins
    path = tmp_path / "orders.csv"
    write_dataset(dataset.with_overrides(entity_count=400), path, seed=4)
    frame = pd.read_csv(path, dtype=str)
    events = spark.createDataFrame(frame)
    got = {(r["status"], r["window_start"]): (r["revenue"], r["event_count"]) for r in
           build_aggregations(transform_schema_events(events, dataset, shape), shape).collect()}
    times = pd.to_datetime(frame["event_time"])
    want: dict = {}
    for status, at in zip(frame["status"], times, strict=True):
        first = at.floor(f"{SLIDE_S}s") - pd.Timedelta(seconds=WINDOW_S - SLIDE_S)
        for k in range(WINDOW_S // SLIDE_S):
            key = (status, (first + pd.Timedelta(seconds=k * SLIDE_S)).to_pydatetime())
            want[key] = want.get(key, 0) + 1
    assert {k: n for k, (_, n) in got.items()} == want
    assert all(revenue == n for revenue, n in got.values())  # each transition counts 1
    assert {s for s, _ in got} == set(frame["status"]) and len(set(frame["status"])) >= 4
