"""Hostile values through generator -> batch job -> Parquet, CSV and the batch dashboard's
API: every value exact (trimmed where the cleansing trims), every total equal to a pandas
recomputation of the input, every number in the CSV outputs in plain decimal notation."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from dashboard import create_app
from dashboard.data import detail_types, read_part_csv
from dashboard.metrics import BREAKDOWN_MAX
from services.outputs import BatchColumns, BatchOutputs
from services.schema import load_schema, parse_schema
from services.spark.batch_job import publish
from services.spark.cleansing import Roles
from tests.hostile_values import (
    ALL,
    CHANNELS,
    DIMENSION,
    SINGLE_LINE,
    cleansed,
    hostile_schema,
    write_schema,
)
from tests.schemas import write_extract
from tests.spark.batch.recompute import settings_for

KEYS = ["event_time_date", DIMENSION, "channel"]
MONEY = re.compile(r"^-?\d+\.\d{2}$")  # sums: their 2 decimals, never 3.50217607E8
RATIO = re.compile(r"^-?\d+\.\d{4}$")  # averages and rates: the 4 decimals they round to
WHOLE = re.compile(r"^\d+$")
FORMS = {"record_count": WHOLE, "count_approved": WHOLE, "n_amount": WHOLE, "sum_amount": MONEY,
         "avg_amount": RATIO, "rate_approved": RATIO}


def expected_groups(csv_path: Path, jsonl_path: Path) -> pd.DataFrame:
    """The daily groups recomputed from the extracts with pandas and the json module alone:
    dimension values trimmed of spaces, amounts in cents, flags as the generator wrote them."""
    rows = pd.concat([
        pd.read_csv(csv_path, dtype=str, keep_default_na=False),
        pd.DataFrame([json.loads(line) for line in
                      jsonl_path.read_text(encoding="utf-8").splitlines()]).astype(str),
    ], ignore_index=True)
    frame = pd.DataFrame({
        "event_time_date": rows["event_time"].str[:10],
        DIMENSION: rows[DIMENSION].map(cleansed),
        "channel": rows["channel"],
        "cents": (rows["amount"].astype(float) * 100).round().astype("int64"),
        "approved": rows["approved"].str.lower() == "true",
    })
    grouped = frame.groupby(KEYS)
    out = grouped.size().rename("record_count").to_frame()
    out["cents"] = grouped["cents"].sum()
    out["count_approved"] = grouped["approved"].sum()
    return out.reset_index()


def only_part(folder: Path) -> Path:
    parts = sorted(folder.glob("part-*.csv"))
    assert len(parts) == 1, parts
    return parts[0]


def check_text_forms(records: list[dict[str, str]]) -> None:
    for record in records:
        for column, form in FORMS.items():
            assert form.match(record[column]), (column, record[column])


@pytest.mark.spark
@pytest.mark.parametrize(("values", "multiline"), [(SINGLE_LINE, "false"), (ALL, "true")],
                         ids=["single-line", "line-break"])
def test_every_value_and_total_is_exact_through_every_batch_path(spark, folders, values,
                                                                 multiline):
    tmp, inputs = folders
    schema = write_schema(tmp / "schema", values, "2025-01-01T00:00:00", "2025-01-03T23:59:59")
    dataset = load_schema(schema)
    extracts = [write_extract(dataset, inputs, "a", 1, 300),
                write_extract(dataset, inputs, "b", 2, 100, fmt="jsonl")]
    assert any('""' in line for line in extracts[0].read_text(encoding="utf-8").splitlines())
    settings = settings_for(tmp, inputs, SCHEMA_CONFIG_PATH=str(schema),
                            CSV_MULTILINE=multiline)
    assert publish(spark, settings, dataset, Roles.of(dataset.analysis)) == 0

    expected = expected_groups(*extracts)
    published = {cleansed(v) for v in values}
    assert set(expected[DIMENSION]) == published  # the input draws every value
    outputs = BatchOutputs(Path(settings.out_local_csv))

    # Parquet: every group once, with its values and totals exact.
    parquet = pq.read_table(settings.out_parquet).to_pandas()
    parquet["event_time_date"] = parquet["event_time_date"].astype(str)
    merged = expected.merge(parquet, on=KEYS, how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][KEYS]
    assert (merged["record_count_x"] == merged["record_count_y"]).all()
    assert ((merged["sum_amount"] * 100).round().astype("int64") == merged["cents"]).all()
    assert (merged["count_approved_x"] == merged["count_approved_y"]).all()

    # The CSV read back with Python's csv module and with pandas equals the Parquet.
    part = only_part(outputs.csv_dir)
    with part.open(newline="", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    check_text_forms(records)
    by_csv_module = pd.DataFrame(records)
    by_pandas = pd.read_csv(part, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(by_csv_module, by_pandas)
    measures = [c for c in parquet.columns if c not in KEYS]
    typed = by_pandas.astype(dict.fromkeys(measures, float))
    both = typed.merge(parquet, on=KEYS, how="outer", suffixes=("", "_pq"), indicator=True)
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"][KEYS]
    for column in measures:
        assert (both[column] == both[f"{column}_pq"]).all(), column

    # The KPI row: plain numbers, the input's totals.
    with only_part(outputs.kpis_dir).open(newline="", encoding="utf-8") as handle:
        kpi_records = list(csv.DictReader(handle))
    assert len(kpi_records) == 1
    check_text_forms(kpi_records)
    kpi = kpi_records[0]
    assert int(kpi["record_count"]) == expected["record_count"].sum() == 400
    euros, cents = divmod(int(expected["cents"].sum()), 100)
    assert kpi["sum_amount"] == f"{euros}.{cents:02d}"
    assert int(kpi["count_approved"]) == expected["count_approved"].sum()

    # The batch dashboard's API shows each value, with its totals.
    assert len(published) <= BREAKDOWN_MAX, "more values than the breakdown lists one by one"
    client = create_app({"OUT_LOCAL_CSV": settings.out_local_csv,
                         "SCHEMA_CONFIG_PATH": str(schema), "TESTING": True}).test_client()

    def get(url: str) -> dict:
        body = client.get(url).get_json()
        assert body["status"] == "ok", body
        return body["data"]

    per_value = expected.groupby(DIMENSION)[["record_count", "cents"]].sum()
    breakdown = get(f"/api/breakdown?dimension={DIMENSION}")
    assert not any(row["other"] for row in breakdown["rows"])
    shown = {row["value"]: (row["records"], round(row["total"] * 100))
             for row in breakdown["rows"]}
    assert shown == {v: (int(r.record_count), int(r.cents)) for v, r in per_value.iterrows()}

    per_pair = expected.groupby([DIMENSION, "channel"])[["record_count", "cents"]].sum()
    segments = get("/api/segments?limit=100")
    assert segments["dimensions"] == [DIMENSION, "channel"]
    pairs = {tuple(s["keys"]): (s["records"], round(s["value"] * 100))
             for s in segments["segments"]}
    assert pairs == {k: (int(r.record_count), int(r.cents)) for k, r in per_pair.iterrows()}
    assert {k[1] for k in pairs} <= set(CHANNELS)

    rows = get("/api/rows?limit=500")
    names = [c["name"] for c in rows["columns"]]
    assert rows["total_rows"] == len(expected) == len(rows["rows"])
    shown_rows = {(r[names.index("event_time_date")], r[names.index(DIMENSION)],
                   r[names.index("channel")]): r[names.index("record_count")]
                  for r in rows["rows"]}
    assert shown_rows == {(d, v, c): int(n) for d, v, c, n in
                          expected[[*KEYS, "record_count"]].itertuples(index=False)}

    kpis = get("/api/kpis")
    assert kpis["records"] == 400
    assert round(kpis["metric"]["sum"] * 100) == expected["cents"].sum()


def test_the_dashboard_reads_quoted_line_breaks_across_arrow_blocks(tmp_path):
    """An output larger than Arrow's read block (1 MiB) whose quoted values hold line breaks
    (most of its line breaks are inside values): a reader that takes any line break for a
    row's end splits a value between blocks."""
    labels = [f"{cleansed(ALL[i % len(ALL)])}\n\nrow\n{i}" for i in range(30_000)]
    analysis = parse_schema(hostile_schema(ALL, "2025-01-01T00:00:00",
                                           "2025-01-01T23:59:59")).analysis
    columns = BatchColumns.of(analysis)
    part = tmp_path / "part-00000.csv"
    with part.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")  # RFC 4180, as the job writes
        writer.writerow(columns.detail)
        for i in range(30_000):
            writer.writerow(["2025-01-01", labels[i], CHANNELS[i % 2], i,
                             f"{i * 1000}.25", i, i % 7, "1000.2500", "0.1429"])
    assert part.stat().st_size > 1 << 20  # more than one block
    frame = read_part_csv(part, "batch output", columns.detail, detail_types(columns))
    assert len(frame) == 30_000
    assert frame[DIMENSION].tolist() == labels
    assert frame["record_count"].tolist() == list(range(30_000))
    assert frame["sum_amount"].iloc[-1] == 29_999_000.25
