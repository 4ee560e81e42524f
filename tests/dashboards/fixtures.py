"""Writers that lay out job outputs the way the jobs do (services/outputs.py), for the
dashboard tests and benchmark: a Spark CSV folder, a Parquet sink with its _spark_metadata
log, and the JSON side files."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from flask.testing import FlaskClient

from services.common.files import write_json_atomic
from services.common.paths import SCHEMAS
from services.outputs import (
    FUNNEL_COLUMNS,
    QUALITY_KEYS,
    BatchColumns,
    BatchOutputs,
    StreamOutputs,
)
from services.schema import load_schema
from services.streamcheck import Answer, Ledger, WindowAnswer
from tests.schemas import CARD as CARD_SCHEMA

CARD_VALUES: dict[str, tuple[str, ...]] = {
    "city": ("London", "Paris", "Berlin", "Madrid", "Milan", "Amsterdam"),
    "channel": ("POS", "ECOM", "ATM"),
    "merchant_cat": ("Grocery", "Fuel", "Restaurants", "Apparel", "Pharmacy", "Electronics",
                     "Travel", "Entertainment", "Cash Withdrawal"),
}
FLAG_RATES = {"is_international": 0.08, "is_chip": 0.72, "is_contactless": 0.46,
              "label_fraud": 0.012}  # the card schema's p_true, so pictures look real
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def card_columns() -> BatchColumns:
    return BatchColumns.of(load_schema(CARD_SCHEMA).analysis)


LIFECYCLE_SCHEMA = SCHEMAS / "retail_order_lifecycle.json"
LIFECYCLE_VALUES: dict[str, tuple[str, ...]] = {
    "status": ("created", "paid", "shipped", "delivered", "cancelled", "returned"),
    "store": ("Downtown", "Mall", "Airport", "Online"),
    "customer_segment": ("New", "Regular", "VIP"),
}


def lifecycle_columns() -> BatchColumns:
    return BatchColumns.of(load_schema(LIFECYCLE_SCHEMA).analysis)


def funnel_frame(day: str = "2025-03-03", date: str = "event_time_date") -> pd.DataFrame:
    """A small day of the lifecycle schema's funnel, as the batch job writes it."""
    return pd.DataFrame(
        [(day, "created", "paid", 4, 3, 0.75, 3, 60.0, 90.0),
         (day, "created", "cancelled", 4, 1, 0.25, 1, 3600.0, 3600.0),
         (day, "paid", "", 3, 0, 0.0, 0, None, None),
         (day, "cancelled", "", 1, 0, 0.0, 0, None, None)],
        columns=[date, *FUNNEL_COLUMNS])


# ---------------------------------------------------------------- batch
def batch_frame(columns: BatchColumns, values: Mapping[str, Sequence[str]], days: int,
                 start: date = date(2025, 1, 1), seed: int = 1) -> pd.DataFrame:
    """One row per day and combination of dimension values, measures as the job derives them:
    earlier values of each dimension weigh more, weekends are busier, with some noise."""
    rng = np.random.default_rng(seed)
    levels = [np.linspace(1.0, 0.35, len(values[d])) for d in columns.dimensions]
    combos = list(itertools.product(*(range(len(values[d])) for d in columns.dimensions)))
    weight = np.array([np.prod([levels[k][i] for k, i in enumerate(c)]) for c in combos])
    days_list = [start + timedelta(days=i) for i in range(days)]
    season = np.array([1.35 if d.weekday() >= 5 else 1.0 for d in days_list])
    season = season * (1 + 0.15 * np.sin(np.arange(days) * 2 * np.pi / 365))
    expected = np.outer(season, weight).ravel() * 220
    records = rng.poisson(expected) + 1
    rows = len(records)
    frame = pd.DataFrame(
        [(d.isoformat(), *(values[dim][i] for dim, i in zip(columns.dimensions, c,
                                                              strict=True)))
         for d in days_list for c in combos],
        columns=[columns.date, *columns.dimensions],
    )
    frame["record_count"] = records
    present = {m: records - rng.binomial(records, 0.02) for m in columns.numeric}  # 2% null
    sums = {m: np.round(present[m] * rng.normal(42, 4, rows).clip(5), 2)
            for m in columns.numeric}
    probabilities = [FLAG_RATES.get(f, 0.3) for f in columns.flags]
    counts = {f: rng.binomial(records, p) for f, p in zip(columns.flags, probabilities,
                                                             strict=True)}
    for m in columns.numeric:
        frame[f"sum_{m}"] = sums[m]
        frame[f"n_{m}"] = present[m]
    for f in columns.flags:
        frame[f"count_{f}"] = counts[f]
    for m in columns.numeric:
        frame[f"avg_{m}"] = np.round(sums[m] / np.maximum(present[m], 1), 4)
    for f in columns.flags:
        frame[f"rate_{f}"] = np.round(counts[f] / records, 4)
    return frame[list(columns.detail)]


def kpi_row(frame: pd.DataFrame, columns: BatchColumns) -> pd.DataFrame:
    """The one-row KPI output, computed like the job: sums, then ratios of sums."""
    records = int(frame["record_count"].sum())
    row: dict[str, Any] = {"record_count": records}
    for m in columns.numeric:
        row[f"sum_{m}"] = round(float(frame[f"sum_{m}"].sum()), 2)
        row[f"n_{m}"] = int(frame[f"n_{m}"].sum())
    for f in columns.flags:
        row[f"count_{f}"] = int(frame[f"count_{f}"].sum())
    for m in columns.numeric:
        row[f"avg_{m}"] = round(row[f"sum_{m}"] / row[f"n_{m}"], 4)
    for f in columns.flags:
        row[f"rate_{f}"] = round(row[f"count_{f}"] / records, 4)
    return pd.DataFrame([row], columns=list(columns.measures))


def write_spark_csv(folder: Path, frame: pd.DataFrame, *, success: bool = True) -> Path:
    """A Spark-style CSV folder: one part file with a header, a hidden .crc, _SUCCESS."""
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"part-00000-{uuid.uuid4()}-c000.csv"
    text = frame.to_csv(index=False, lineterminator="\n")
    temp = folder / f".{part.name}.tmp"
    temp.write_text(text, encoding="utf-8")
    temp.rename(part)
    (folder / f".{part.name}.crc").write_bytes(b"crc")
    if success:
        (folder / "_SUCCESS").write_text("")
    return part


def quality_report(frame: pd.DataFrame, dataset: str = "card_transactions") -> dict[str, Any]:
    aggregated = int(frame["record_count"].sum())
    report = {
        "dataset": dataset, "generated_at": "2025-01-08T10:00:00Z",
        "input_files": [f"/data/input/{dataset}-{i}.csv" for i in range(6)],
        "rows_read": aggregated + 130, "rows_dropped": {"invalid_timestamp": 120,
                                                        "invalid_amount": 10},
        "rows_aggregated": aggregated,
        "defaulted": {"city": {"blank": 42}, "channel": {"blank": 3, "unknown_value": 1}},
        "duration_seconds": 12.75,
    }
    assert tuple(report) == QUALITY_KEYS
    return report


def write_batch_outputs(csv_dir: Path, frame: pd.DataFrame, columns: BatchColumns,
                        *, kpis: bool = True, quality: bool = True) -> BatchOutputs:
    outputs = BatchOutputs(csv_dir)
    write_spark_csv(csv_dir, frame)
    if kpis:
        write_spark_csv(outputs.kpis_dir, kpi_row(frame, columns))
    if quality:
        write_json_atomic(outputs.quality_file, quality_report(frame))
    return outputs


# ---------------------------------------------------------------- streaming
STREAM_START = datetime(2025, 3, 3, 8, 0, tzinfo=timezone.utc)
PRODUCTS = ("Latte", "Espresso", "Cappuccino", "Croissant", "Muffin", "Bagel", "Mug",
            "Tote Bag", "House Blend 250g", "Single Origin 250g", "Cold Brew")


def window_frame(groups: Sequence[str], windows: int, start: datetime = STREAM_START,
                 group_field: str = "product", seed: int = 2) -> pd.DataFrame:
    """1-hour windows sliding every 15 minutes from `start`, one row per group and window,
    with a daily rhythm per group so charts look like a real day of sales."""
    rng = np.random.default_rng(seed)
    starts = [start + timedelta(minutes=15 * i) for i in range(windows)]
    rows = [(g, s, s + timedelta(hours=1)) for s in starts for g in groups]
    frame = pd.DataFrame(rows, columns=[group_field, "window_start", "window_end"])
    level = np.tile(np.linspace(60, 12, len(groups)), windows)
    phase = np.tile(np.linspace(0, 1.5, len(groups)), windows)
    step = np.repeat(np.arange(windows), len(groups))
    rhythm = 1 + 0.4 * np.sin(2 * np.pi * step / 96 + phase)
    frame["event_count"] = (rng.poisson(level * rhythm) + 1).astype("int64")
    price = np.tile(np.linspace(3.0, 12.0, len(groups)), windows)
    frame["revenue"] = np.round(frame["event_count"] * price * rng.uniform(0.95, 1.05,
                                                                           len(frame)), 2)
    return frame[[group_field, "window_start", "window_end", "revenue", "event_count"]]


def parquet_table(frame: pd.DataFrame, group_field: str) -> pa.Table:
    schema = pa.schema([(group_field, pa.string()), ("window_start", pa.timestamp("us", "UTC")),
                        ("window_end", pa.timestamp("us", "UTC")), ("revenue", pa.float64()),
                        ("event_count", pa.int64())])
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def write_sink(sink: Path, frames: Iterable[pd.DataFrame], group_field: str = "product",
               first_batch: int = 0) -> list[Path]:
    """Each frame becomes one micro-batch: a part file and a _spark_metadata/<n> entry."""
    log_dir = sink / "_spark_metadata"
    log_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for offset, frame in enumerate(frames):
        batch = first_batch + offset
        path = sink / f"part-{batch:05d}-{uuid.uuid4()}.c000.snappy.parquet"
        pq.write_table(parquet_table(frame, group_field), path)
        write_metadata_log(log_dir, batch, [path])
        written.append(path)
    return written


def write_metadata_log(log_dir: Path, batch: int, files: Iterable[Path],
                       compact: bool = False) -> Path:
    """A file sink log entry in Spark's format: `v1`, then one JSON object per file; a
    compact entry (`<n>.compact`) lists every file committed up to batch n."""
    lines = ["v1"]
    for path in files:
        size = path.stat().st_size if path.exists() else 123
        lines.append(json.dumps({"path": path.resolve().as_uri(), "size": size,
                                 "isDir": False, "modificationTime": 1, "blockReplication": 1,
                                 "blockSize": 1, "action": "add"}))
    target = log_dir / (f"{batch}.compact" if compact else str(batch))
    temp = log_dir / f".{batch}.tmp"
    temp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    temp.rename(target)
    return target


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def live_payload(frame: pd.DataFrame, group_field: str = "product",
                 batch_id: int = 7) -> dict[str, Any]:
    windows = [{group_field: row[group_field], "window_start": iso(row["window_start"]),
                "window_end": iso(row["window_end"]), "revenue": float(row["revenue"]),
                "event_count": int(row["event_count"])} for _, row in frame.iterrows()]
    return {"generated_at": iso(datetime.now(timezone.utc)), "batch_id": batch_id,
            "provisional": True, "group_field": group_field, "value_field": "revenue",
            "watermark": iso(STREAM_START), "windows": windows}


def ledger_payload(**changes: Any) -> dict[str, Any]:
    """A ledger as the job writes it: 1,300 read = 1,280 + 12 + 3 + 5."""
    reasons = {"empty": 0, "oversized": 0, "not_json": 3, "missing_field": 0, "bad_time": 2,
               "future_time": 0, "text_number": 0}
    ledger = {"query_id": "q-1", "batch_id": 7, "read": 1300, "quarantined": 5,
              "quarantined_by_reason": reasons, "duplicates": 12, "late": 3, "counted": 1280,
              "missed_batches": 0, "balanced": True}
    ledger.update(changes)
    return ledger


def status_payload(group_field: str = "product", batch_id: int = 7, **changes: Any
                   ) -> dict[str, Any]:
    now = iso(datetime.now(timezone.utc))
    payload = {
        "state": "running", "started_at": now, "ended_at": None, "error": None,
        "generated_at": now, "query_id": "q-1", "run_id": "r-1", "batch_id": batch_id,
        "batch_time": now, "input_rows": 1250, "input_rows_per_second": 41.5,
        "processed_rows_per_second": 380.25, "rows_dropped_late": 3,
        "rows_dropped_invalid": 1, "batch_duration_ms": 812, "watermark": iso(STREAM_START),
        "lag_messages": 12, "trigger_seconds": 30, "group_field": group_field,
        "value_field": "revenue", "mode": "retail", "ledger": ledger_payload(),
    }
    payload.update(changes)
    return payload


def write_stream_outputs(sink: Path, closed: pd.DataFrame, open_windows: pd.DataFrame | None,
                         *, group_field: str = "product", files: int = 2) -> StreamOutputs:
    """A sink with `closed` spread over `files` micro-batches, plus live and status files."""
    outputs = StreamOutputs(sink)
    chunks = np.array_split(np.arange(len(closed)), files)
    write_sink(sink, [closed.iloc[idx] for idx in chunks if len(idx)], group_field)
    if open_windows is not None:
        write_json_atomic(outputs.live_file, live_payload(open_windows, group_field))
    write_json_atomic(outputs.status_file, status_payload(group_field))
    return outputs


def answer_of(frame: pd.DataFrame, group_field: str = "product") -> Answer:
    """The expected answer that `frame`'s windows are exactly right for (a made-up ledger)."""
    epoch = pd.Timestamp(0, tz="UTC")
    windows = tuple(
        WindowAnswer(str(row[group_field]),
                     (pd.Timestamp(row["window_start"]) - epoch) // pd.Timedelta(milliseconds=1),
                     int(row["event_count"]), int(row["event_count"]), float(row["revenue"]),
                     float(row["revenue"]))
        for _, row in frame.iterrows())
    events = int(frame["event_count"].sum())
    ledger = Ledger(sent=events + 12, events=events, duplicates=9, malformed={"not_json": 3},
                    late=5, out_of_order=11, too_late=0)
    return Answer(group_field, "revenue", 3600, 900, 900, windows, ledger)


def get(client: FlaskClient, url: str, status: str = "ok", code: int = 200) -> Any:
    """An API answer's data (or its message when `status` is not ok), checking the code."""
    response = client.get(url)
    body = response.get_json()
    assert response.status_code == code, body
    assert body["status"] == status, body
    return body["data"] if status == "ok" else body["message"]
