"""The batch job end to end on generated data, against a pandas recomputation of the input."""

from __future__ import annotations

import gzip
import json
import logging
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from services.outputs import BatchOutputs
from services.schema import load_schema
from services.spark.cleansing import MissingColumnError
from services.spark.extracts import InputError
from tests.schemas import CARD, write_extract
from tests.spark.batch.recompute import (
    KEYS,
    expected_aggregates,
    messy_card_dataset,
    read_part_csv,
    run_job,
    settings_for,
)

pytestmark = pytest.mark.spark
def test_every_aggregate_and_kpi_matches_a_pandas_recomputation(spark, folders):
    tmp, inputs = folders
    ds = messy_card_dataset(30_000)
    paths = [write_extract(ds, inputs, "a", 1, 20_000),
             write_extract(ds, inputs, "b", 2, 7_000, gz=True),
             write_extract(ds, inputs / "sub", "c", 3, 3_000, fmt="jsonl")]
    with paths[0].open("a") as handle:  # rows the job must drop and count
        handle.write("bad-1,not a time,Paris,POS,Fuel,CARD-1,3.5,false,true,false,false,k\n")
        handle.write("bad-2,,Paris,POS,Fuel,CARD-1,3.5,false,true,false,false,k\n")
    settings = settings_for(tmp, inputs)
    assert run_job(spark, settings) == 0

    expected, totals, invalid = expected_aggregates(paths)
    outputs = BatchOutputs(Path(settings.out_local_csv))
    got = read_part_csv(outputs.csv_dir)
    assert list(got.columns) == [
        *KEYS, "record_count", "sum_amount", "n_amount", "count_is_international", "count_is_chip",
        "count_is_contactless", "count_label_fraud", "avg_amount", "rate_is_international",
        "rate_is_chip", "rate_is_contactless", "rate_label_fraud"]
    merged = expected.merge(got, on=KEYS, how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert (merged["record_count_x"] == merged["record_count_y"]).all()
    assert ((merged["sum_amount"] * 100).round().astype("int64") == merged["sum_cents"]).all()
    for flag in ("is_international", "is_chip", "is_contactless", "label_fraud"):
        assert (merged[f"count_{flag}_x"] == merged[f"count_{flag}_y"]).all()
        rate = merged[f"count_{flag}_x"] / merged["record_count_x"]
        assert (merged[f"rate_{flag}"] - rate).abs().max() < 6e-5
    assert (merged["n_amount_x"] == merged["n_amount_y"]).all()
    assert (merged["n_amount_x"] < merged["record_count_x"]).any()  # the nulls are there
    avg = merged["sum_cents"] / 100 / merged["n_amount_x"]  # over the values present
    assert (merged["avg_amount"] - avg).abs().max() < 6e-5

    kpis = read_part_csv(outputs.kpis_dir).iloc[0]
    assert kpis["record_count"] == totals["record_count"] == 30_000
    assert round(kpis["sum_amount"] * 100) == totals["sum_cents"]
    assert kpis["count_label_fraud"] == totals["count_label_fraud"]
    assert kpis["n_amount"] == totals["n_amount"] < 30_000
    assert kpis["avg_amount"] == pytest.approx(totals["sum_cents"] / 100 / totals["n_amount"],
                                               abs=6e-5)

    quality = json.loads(outputs.quality_file.read_text())
    assert quality["rows_read"] == 30_002 and invalid == 2
    assert quality["rows_dropped"] == {"invalid_timestamp": 2}
    assert quality["rows_aggregated"] == 30_000
    assert 600 < quality["defaulted"]["city"]["blank_to_UNKNOWN"] < 1200
    assert 600 < quality["defaulted"]["amount"]["null_or_invalid_to_0"] < 1200
    assert 600 < quality["defaulted"]["is_chip"]["unparsed_to_false"] < 1200
    assert len(quality["input_files"]) == 3

    parquet = pq.read_table(settings.out_parquet).to_pandas()
    parquet["event_time_date"] = parquet["event_time_date"].astype(str)
    both = got.merge(parquet, on=KEYS, suffixes=("", "_pq"))
    assert len(both) == len(got) == len(parquet)
    assert (both["sum_amount"] == both["sum_amount_pq"]).all()


def test_dynamic_overwrite_replaces_only_the_partitions_present(spark, folders):
    tmp, inputs = folders
    ds = load_schema(CARD)
    write_extract(ds, inputs, "week", 5, 5_000)
    settings = settings_for(tmp, inputs)
    assert run_job(spark, settings) == 0
    parts = Path(settings.out_parquet)
    before = {p.name: sorted(f.name for f in p.glob("*.parquet"))
              for p in parts.glob("event_time_date=*")}
    assert len(before) == 7

    shutil.rmtree(inputs)
    inputs.mkdir()
    one_day = ds.with_overrides(entity_count=500)
    one_day = type(one_day)(**{**one_day.__dict__, "time_window": type(ds.time_window)(
        ds.time_window.start.replace(day=3), ds.time_window.start.replace(day=3, hour=23))})
    write_extract(one_day, inputs, "day3", 6, 500)
    assert run_job(spark, settings) == 0
    after = {p.name: sorted(f.name for f in p.glob("*.parquet"))
             for p in parts.glob("event_time_date=*")}
    assert set(after) == set(before)
    changed = {day for day in before if before[day] != after[day]}
    assert changed == {"event_time_date=2025-01-03"}
    day3 = pq.read_table(parts / "event_time_date=2025-01-03").to_pandas()
    assert day3["record_count"].sum() == 500


def test_no_input_fails_after_the_timeout_with_a_clear_message(spark, folders):
    tmp, inputs = folders
    settings = settings_for(tmp, inputs, INPUT_WAIT_SECONDS="0")
    with pytest.raises(InputError, match=r"no input extracts .* appeared in .*input within 0 s"):
        run_job(spark, settings)


def test_empty_extracts_exit_0_with_a_warning(spark, folders, caplog):
    tmp, inputs = folders
    (inputs / "empty.csv").write_text("")
    with gzip.open(inputs / "empty.csv.gz", "wt") as handle:
        handle.write("")
    with caplog.at_level(logging.WARNING):
        assert run_job(spark, settings_for(tmp, inputs)) == 0
    assert "empty extract skipped" in caplog.text and "every extract is empty" in caplog.text
    assert not (tmp / "out").exists()


def test_header_only_extract_gives_empty_outputs_and_a_warning(spark, folders, caplog):
    tmp, inputs = folders
    (inputs / "header.csv").write_text(",".join(load_schema(CARD).names) + "\n")
    settings = settings_for(tmp, inputs)
    with caplog.at_level(logging.WARNING):
        assert run_job(spark, settings) == 0
    assert "a header but no rows" in caplog.text
    kpis = read_part_csv(BatchOutputs(Path(settings.out_local_csv)).kpis_dir)
    assert kpis["record_count"].tolist() == [0]


def test_missing_timestamp_column_is_named(spark, folders):
    tmp, inputs = folders
    (inputs / "x.csv").write_text("city,amount\nParis,3.5\n")
    with pytest.raises(MissingColumnError, match="'event_time'"):
        run_job(spark, settings_for(tmp, inputs))


def test_corrupt_gzip_is_named(spark, folders):
    tmp, inputs = folders
    good = write_extract(load_schema(CARD), inputs, "good", 1, 2_000, gz=True)
    data = good.read_bytes()
    (inputs / "broken.csv.gz").write_bytes(data[: len(data) // 2] + b"\x00garbage" * 50)
    with pytest.raises(InputError, match=r"broken\.csv\.gz: cannot be read"):
        run_job(spark, settings_for(tmp, inputs))


OUT_OF_RANGE = {  # a time field's format: values no year from 1 to 9999 holds
    "epoch_ms": ["99999999999999999", "9223372036854775807", "-99999999999999999"],
    "iso": ["99999-01-01T00:00:00", "+10000-01-01T00:00:00", "0000-06-01T00:00:00"],
}


@pytest.mark.parametrize("fmt", list(OUT_OF_RANGE))
def test_times_out_of_range_are_dropped_and_counted_not_fatal(spark, folders, fmt):
    tmp, inputs = folders
    raw = json.loads(CARD.read_text())
    for field in raw["schema"]["fields"]:
        if field["name"] == "event_time":
            field["format"] = fmt
    schema = tmp / f"card_{fmt}.json"
    schema.write_text(json.dumps(raw))
    path = write_extract(load_schema(schema), inputs, "card", 3, 200)
    lines = path.read_text().splitlines()
    column = lines[0].split(",").index("event_time")
    bad = []
    for value in OUT_OF_RANGE[fmt]:  # real rows, their time replaced
        cells = lines[1 + len(bad)].split(",")
        cells[column] = value
        bad.append(",".join(cells))
    path.write_text("\n".join([*lines, *bad]) + "\n")
    settings = settings_for(tmp, inputs, SCHEMA_CONFIG_PATH=str(schema))
    assert run_job(spark, settings) == 0
    quality = json.loads(BatchOutputs(Path(settings.out_local_csv)).quality_file.read_text())
    assert quality["rows_read"] == 203
    assert quality["rows_dropped"] == {"invalid_timestamp": 3}
    assert quality["rows_aggregated"] == 200
