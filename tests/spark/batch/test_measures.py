"""Declared measures through the batch job and the streaming job's schema mode: the retail
schema's revenue is quantity x unit price, never a sum of units, and a measure's average
divides by the rows where it had a value."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from services.outputs import BatchOutputs
from services.schema import load_schema, parse_schema
from services.spark.cleansing import MissingColumnError
from services.spark.stream_transforms import transform_schema_events
from services.streamcheck import schema_shape
from services.web.labels import dataset_labels
from tests.schemas import RETAIL, write_extract
from tests.spark.batch.recompute import read_part_csv, run_job, settings_for

pytestmark = pytest.mark.spark
KEYS = ["order_time_date", "product", "store", "category"]


def retail_with_missing_quantities(rows: int):
    raw = json.loads(RETAIL.read_text())
    for field in raw["schema"]["fields"]:
        if field["name"] == "quantity":
            field["null_prob"] = 0.05
    return parse_schema(raw, source=str(RETAIL), default_name="retail_orders")


def test_batch_revenue_is_quantity_times_unit_price(spark, folders):
    tmp, inputs = folders
    path = write_extract(retail_with_missing_quantities(8_000), inputs, "orders", 3, 8_000)
    settings = settings_for(tmp, inputs, SCHEMA_CONFIG_PATH=str(RETAIL))
    assert run_job(spark, settings) == 0

    df = pd.read_csv(path, dtype={"quantity": "Int64"})
    df["order_time_date"] = pd.to_datetime(df["order_time"]).dt.strftime("%Y-%m-%d")
    df["line"] = df["quantity"].astype(float) * df["unit_price"]
    grouped = df.groupby(KEYS)
    expected = pd.DataFrame({
        "revenue": grouped["line"].sum(min_count=0),  # a missing quantity adds 0
        "present": grouped["quantity"].count(),
        "units": grouped["quantity"].sum(),
        "price_sum": grouped["unit_price"].sum(),
        "price_n": grouped["unit_price"].count(),
    }).reset_index()
    got = read_part_csv(BatchOutputs(Path(settings.out_local_csv)).csv_dir)
    merged = expected.merge(got, on=KEYS, validate="one_to_one")
    assert len(merged) == len(expected) == len(got)
    assert np.allclose(merged["sum_revenue"], merged["revenue"], atol=0.005)
    assert (merged["n_revenue"] == merged["present"]).all()
    assert merged["n_revenue"].sum() == df["quantity"].notna().sum() < len(df)
    assert np.allclose(merged["avg_revenue"], merged["revenue"] / merged["n_revenue"],
                       atol=6e-5)
    assert (merged["sum_units"] == merged["units"]).all()
    assert np.allclose(merged["avg_unit_price"], merged["price_sum"] / merged["price_n"],
                       atol=6e-5)


def test_streaming_schema_mode_sums_the_headline_measure(spark):
    dataset = load_schema(RETAIL)
    shape = schema_shape(dataset)
    assert shape.value == "revenue"
    events = spark.createDataFrame(
        [("Latte", "Mall", "Coffee", "3", "3.9", "2025-03-03T10:00:00"),
         ("Mug", "Mall", "Merch", "", "12.0", "2025-03-03T10:05:00"),
         ("Mug", "Mall", "Merch", "2", "12.0", "2025-03-03T10:06:00")],
        "product string, store string, category string, quantity string, unit_price string, "
        "order_time string")
    rows = transform_schema_events(events, dataset, shape).toPandas()
    assert rows.groupby("product")["revenue"].sum().round(2).to_dict() == {
        "Latte": 11.7, "Mug": 24.0}


def means_only() -> dict:
    raw = json.loads(RETAIL.read_text())
    raw["analysis"]["measures"] = [{"name": "unit_price", "field": "unit_price", "agg": "mean"}]
    return raw


def test_streaming_totals_the_first_summed_measure_never_a_mean(spark):
    raw = json.loads(RETAIL.read_text())
    raw["analysis"]["measures"].insert(0, raw["analysis"]["measures"].pop())  # mean first
    dataset = parse_schema(raw, source="retail", default_name="retail")
    assert dataset.analysis.headline.agg == "mean"
    assert schema_shape(dataset).value == "revenue"
    assert dataset_labels(dataset).windowed.label == "Revenue"
    with pytest.raises(MissingColumnError, match="'unit_price' is a mean measure"):
        schema_shape(dataset, value="unit_price")


def test_streaming_counts_events_when_every_measure_is_a_mean(spark):
    dataset = parse_schema(means_only(), source="retail", default_name="retail")
    shape = schema_shape(dataset)
    assert shape.counts_events
    labels = dataset_labels(dataset)
    assert (labels.windowed.label, labels.windowed.money) == ("Events", False)
    events = spark.createDataFrame(
        [("Latte", "Mall", "Coffee", "3", "", "2025-03-03T10:00:00"),
         ("Latte", "Mall", "Coffee", "", "3.9", "2025-03-03T10:05:00")],
        "product string, store string, category string, quantity string, unit_price string, "
        "order_time string")
    rows = transform_schema_events(events, dataset, shape).toPandas()
    assert rows[shape.value].tolist() == [1.0, 1.0]
