"""The batch dashboard's API over prepared output folders, including every broken output."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard import data as batch_data
from services.common.files import write_json_atomic
from services.outputs import BatchColumns, BatchOutputs
from services.schema import load_schema
from tests.dashboards.fixtures import (
    CARD_VALUES,
    HOSTILE,
    batch_frame,
    card_columns,
    get,
    kpi_row,
    write_batch_outputs,
    write_spark_csv,
)
from tests.schemas import RETAIL as RETAIL_SCHEMA

COLUMNS = card_columns()


@pytest.fixture
def frame() -> pd.DataFrame:
    return batch_frame(COLUMNS, CARD_VALUES, days=20)


@pytest.fixture
def written(batch_dir: Path, frame: pd.DataFrame) -> BatchOutputs:
    return write_batch_outputs(batch_dir, frame, COLUMNS)


# ------------------------------------------------------------------ with data
def test_kpis_come_from_the_kpi_row(batch_client: FlaskClient, written: BatchOutputs,
                                    frame: pd.DataFrame) -> None:
    expected = kpi_row(frame, COLUMNS).iloc[0]
    kpis = get(batch_client, "/api/kpis")
    assert kpis["records"] == int(expected["record_count"])
    assert kpis["metric"]["name"] == "amount" and kpis["metric"]["money"] is True
    assert kpis["metric"]["sum"] == pytest.approx(expected["sum_amount"])
    assert kpis["metric"]["avg"] == pytest.approx(expected["avg_amount"])
    flags = {f["name"]: f for f in kpis["flags"]}
    assert list(flags) == ["is_international", "is_chip", "is_contactless", "label_fraud"]
    assert flags["label_fraud"]["label"] == "Fraud"
    assert flags["label_fraud"]["rate"] == pytest.approx(expected["rate_label_fraud"])
    assert flags["is_chip"]["count"] == int(expected["count_is_chip"])


def test_trend_sums_the_main_metric_per_day(batch_client: FlaskClient, written: BatchOutputs,
                                            frame: pd.DataFrame) -> None:
    trend = get(batch_client, "/api/trend")
    daily = frame.groupby("event_time_date")["sum_amount"].sum()
    assert trend["dates"] == list(daily.index)
    assert trend["values"] == pytest.approx(list(daily.round(2)))
    assert trend["records"] == list(frame.groupby("event_time_date")["record_count"].sum())
    average = trend["moving_average"]
    assert average[:6] == [None] * 6
    assert average[6] == pytest.approx(daily.iloc[:7].mean(), abs=0.01)


def test_segments_are_the_top_pairs_of_the_first_two_dimensions(
        batch_client: FlaskClient, written: BatchOutputs, frame: pd.DataFrame) -> None:
    data = get(batch_client, "/api/segments?limit=5")
    pairs = frame.groupby(["city", "channel"])["sum_amount"].sum().sort_values(ascending=False)
    assert data["dimensions"] == ["city", "channel"]
    assert data["total_segments"] == len(pairs) == 18
    assert [tuple(s["keys"]) for s in data["segments"]] == list(pairs.index[:5])
    assert data["segments"][0]["value"] == pytest.approx(pairs.iloc[0])
    assert data["segments"][0]["share"] == pytest.approx(pairs.iloc[0] / pairs.sum(), abs=1e-6)


def test_breakdown_by_a_picked_dimension_recomputes_rates(
        batch_client: FlaskClient, written: BatchOutputs, frame: pd.DataFrame) -> None:
    data = get(batch_client, "/api/breakdown?dimension=merchant_cat")
    assert data["dimension"] == "merchant_cat" and data["distinct"] == 9
    by_value = {row["value"]: row for row in data["rows"]}
    grocery = frame[frame["merchant_cat"] == "Grocery"]
    row = by_value["Grocery"]
    assert row["records"] == grocery["record_count"].sum()
    assert row["total"] == pytest.approx(grocery["sum_amount"].sum())
    assert row["average"] == pytest.approx(grocery["sum_amount"].sum()  # values present only
                                           / grocery["n_amount"].sum(), abs=1e-6)
    assert row["rates"]["label_fraud"] == pytest.approx(
        grocery["count_label_fraud"].sum() / grocery["record_count"].sum(), abs=1e-6)
    totals = [r["total"] for r in data["rows"]]
    assert totals == sorted(totals, reverse=True)
    assert sum(r["share"] for r in data["rows"]) == pytest.approx(1.0, abs=1e-5)


def test_breakdown_without_a_dimension_uses_the_first(batch_client: FlaskClient,
                                                      written: BatchOutputs) -> None:
    assert get(batch_client, "/api/breakdown")["dimension"] == "city"


def test_breakdown_folds_a_long_tail_into_one_row(batch_dir: Path) -> None:
    values = {"city": [f"City {i:02d}" for i in range(20)], "channel": ["POS"],
              "merchant_cat": ["Fuel"]}
    frame = batch_frame(COLUMNS, values, days=2)
    write_batch_outputs(batch_dir, frame, COLUMNS)
    client = create_app({"OUT_LOCAL_CSV": str(batch_dir)}).test_client()
    data = get(client, "/api/breakdown?dimension=city")
    assert data["distinct"] == 20 and len(data["rows"]) == 13
    assert data["rows"][-1] == {**data["rows"][-1], "other": True, "value": "8 more"}
    assert sum(r["records"] for r in data["rows"]) == frame["record_count"].sum()


@pytest.mark.parametrize("query", ["dimension=card_id", "dimension=", "dimension=%3Cscript%3E"])
def test_breakdown_refuses_a_dimension_outside_the_schema(
        batch_client: FlaskClient, written: BatchOutputs, query: str) -> None:
    message = get(batch_client, f"/api/breakdown?{query}", "error", 400)
    assert "city, channel, merchant_cat" in message


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "limit=100000"])
def test_rows_refuse_a_bad_limit(batch_client: FlaskClient, written: BatchOutputs,
                                 query: str) -> None:
    assert "limit=" in get(batch_client, f"/api/rows?{query}", "error", 400)


def test_rows_are_the_newest_aggregates_with_column_kinds(
        batch_client: FlaskClient, written: BatchOutputs, frame: pd.DataFrame) -> None:
    data = get(batch_client, "/api/rows?limit=4")
    kinds = {c["name"]: c["kind"] for c in data["columns"]}
    assert kinds == {"event_time_date": "date", "city": "text", "channel": "text",
                     "merchant_cat": "text", "record_count": "count", "sum_amount": "money",
                     "avg_amount": "money", "rate_is_international": "rate",
                     "rate_is_chip": "rate", "rate_is_contactless": "rate",
                     "rate_label_fraud": "rate"}
    assert data["total_rows"] == len(frame) and len(data["rows"]) == 4
    newest = frame[frame["event_time_date"] == frame["event_time_date"].max()]
    top = newest.sort_values("sum_amount", ascending=False).iloc[0]
    assert data["rows"][0][:5] == [top["event_time_date"], top["city"], top["channel"],
                                   top["merchant_cat"], int(top["record_count"])]


def test_quality_report_with_totals(batch_client: FlaskClient, written: BatchOutputs) -> None:
    data = get(batch_client, "/api/quality")
    assert data["rows_dropped"] == {"invalid_timestamp": 120, "invalid_amount": 10}
    assert data["rows_dropped_total"] == 130
    assert data["kept_rate"] == pytest.approx(1 - 130 / data["rows_read"], abs=1e-6)
    assert data["defaulted"]["city"] == {"blank": 42}


def test_meta_gives_labels_and_freshness(batch_client: FlaskClient,
                                         written: BatchOutputs) -> None:
    meta = get(batch_client, "/api/meta")
    assert meta["title"] == "Card transactions" and meta["currency"] == "EUR"
    assert [d["name"] for d in meta["dimensions"]] == ["city", "channel", "merchant_cat"]
    assert meta["metric"] == {"name": "amount", "label": "Amount", "money": True, "agg": "sum"}
    assert meta["refresh_seconds"] == 5.0 and meta["stale_after"] == 3
    assert meta["freshness"]["alive"] is True
    assert meta["freshness"]["updated_at"].endswith("Z")


def test_meta_says_stale_after_n_intervals_without_change(batch_dir: Path,
                                                          frame: pd.DataFrame) -> None:
    outputs = write_batch_outputs(batch_dir, frame, COLUMNS)
    old = time.time() - 60
    for path in [*batch_dir.iterdir(), *outputs.kpis_dir.iterdir(), outputs.quality_file]:
        os.utime(path, (old, old))
    client = create_app({"OUT_LOCAL_CSV": str(batch_dir), "DASHBOARD_REFRESH_SECONDS": "5",
                         "DASHBOARD_STALE_AFTER": "3"}).test_client()
    fresh = get(client, "/api/meta")["freshness"]
    assert fresh["alive"] is False and fresh["stale_after_seconds"] == 15
    assert 59 <= fresh["age_seconds"] < 70
    write_json_atomic(outputs.quality_file, {"touched": True})
    assert get(client, "/api/meta")["freshness"]["alive"] is True


def test_meta_version_moves_only_when_an_output_changes(batch_client: FlaskClient,
                                                        written: BatchOutputs,
                                                        frame: pd.DataFrame) -> None:
    first = get(batch_client, "/api/meta")["version"]
    assert get(batch_client, "/api/meta")["version"] == first
    write_spark_csv(written.kpis_dir, kpi_row(frame, COLUMNS))
    assert get(batch_client, "/api/meta")["version"] != first


def test_polling_reads_files_only_when_they_change(
        batch_client: FlaskClient, written: BatchOutputs, frame: pd.DataFrame,
        monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[Path] = []
    real = batch_data.read_part_csv

    def counting(path: Path, *args: Any) -> pd.DataFrame:
        reads.append(path)
        return real(path, *args)

    monkeypatch.setattr(batch_data, "read_part_csv", counting)
    for _ in range(3):
        get(batch_client, "/api/trend")
        get(batch_client, "/api/segments")
        get(batch_client, "/api/kpis")
    assert len(reads) == 2  # the aggregates once, the KPI row once
    for part in written.csv_dir.glob("part-*.csv"):
        part.unlink()
    write_spark_csv(written.csv_dir, frame.head(50))
    assert get(batch_client, "/api/trend")["records"] != []
    assert len(reads) == 3


def test_hostile_category_values_come_back_verbatim(batch_dir: Path) -> None:
    values = {**CARD_VALUES, "city": (HOSTILE, "Paris, \"the\" city", "日本")}
    frame = batch_frame(COLUMNS, values, days=3)
    write_batch_outputs(batch_dir, frame, COLUMNS)
    client = create_app({"OUT_LOCAL_CSV": str(batch_dir)}).test_client()
    cities = {r["value"] for r in get(client, "/api/breakdown?dimension=city")["rows"]}
    assert cities == {HOSTILE, "Paris, \"the\" city", "日本"}
    segment_keys = {s["keys"][0] for s in get(client, "/api/segments?limit=100")["segments"]}
    assert HOSTILE in segment_keys


def test_labels_follow_another_schema(tmp_path: Path) -> None:
    """Retail: the declared revenue measure (quantity * unit price) is the headline, in USD;
    units stay a count; the unit price is shown as its average."""
    dataset = load_schema(RETAIL_SCHEMA)
    columns = BatchColumns.of(dataset.analysis)
    values = {"product": ["Latte", "Mug"], "store": ["Mall"], "category": ["Coffee"]}
    csv_dir = tmp_path / "retail_csv"
    write_batch_outputs(csv_dir, batch_frame(columns, values, days=2), columns)
    client = create_app({"OUT_LOCAL_CSV": str(csv_dir),
                         "SCHEMA_CONFIG_PATH": str(RETAIL_SCHEMA)}).test_client()
    meta = get(client, "/api/meta")
    assert meta["title"] == "Retail orders" and meta["currency"] == "USD"
    assert meta["metric"] == {"name": "revenue", "label": "Revenue", "money": True,
                              "agg": "sum"}
    assert meta["flags"] == []
    assert get(client, "/api/segments")["dimensions"] == ["product", "store"]
    assert get(client, "/api/trend")["value_column"] == "sum_revenue"
    rows = get(client, "/api/rows")
    kinds = {c["name"]: c["kind"] for c in rows["columns"]}
    assert (kinds["sum_revenue"], kinds["sum_units"]) == ("money", "number")
    page = client.get("/").get_data(as_text=True)
    assert "Retail orders" in page and "Card transactions" not in page


def job_status(state: str, error: str | None = None) -> dict[str, Any]:
    return {"state": state, "started_at": "2026-01-01T10:00:00.000000Z",
            "ended_at": None if state in ("starting", "running") else "2026-01-01T10:01:00Z",
            "error": error, "generated_at": "2026-01-01T10:01:00.000000Z"}


def test_meta_names_the_jobs_state_and_a_failure_moves_the_version(
        batch_client: FlaskClient, written: BatchOutputs) -> None:
    meta = get(batch_client, "/api/meta")
    assert meta["job"] is None and meta["sources"]["status"] == str(written.status_file)
    write_json_atomic(written.status_file, job_status("running"))
    running = get(batch_client, "/api/meta")
    assert running["job"]["state"] == "running" and running["version"] != meta["version"]
    write_json_atomic(written.status_file, job_status("failed", "no input extracts appeared"))
    failed = get(batch_client, "/api/meta")
    assert failed["job"] == job_status("failed", "no input extracts appeared")
    assert failed["version"] != running["version"]
    assert failed["freshness"] == running["freshness"]  # the state is no output


def test_a_failed_job_without_output_is_named_and_a_broken_status_file_is_no_news(
        batch_client: FlaskClient, batch_dir: Path) -> None:
    status_file = BatchOutputs(batch_dir).status_file
    status_file.parent.mkdir(parents=True)
    write_json_atomic(status_file, job_status("failed", "Hadoop: permission denied"))
    assert get(batch_client, "/api/meta")["job"]["error"] == "Hadoop: permission denied"
    get(batch_client, "/api/kpis", "no_data")
    for content in ('{"state": ', '{"batch_id": 1}', '{"state": "exploded"}'):
        status_file.write_text(content)
        assert get(batch_client, "/api/meta")["job"] is None, content


# ------------------------------------------------------------------ broken outputs
def test_missing_folder_says_what_is_missing(batch_client: FlaskClient, batch_dir: Path) -> None:
    for url in ("/api/trend", "/api/segments", "/api/breakdown", "/api/rows"):
        assert str(batch_dir) in get(batch_client, url, "no_data")
    assert "analysis_csv_kpis" in get(batch_client, "/api/kpis", "no_data")
    assert "analysis_csv_quality.json" in get(batch_client, "/api/quality", "no_data")
    meta = get(batch_client, "/api/meta")
    assert meta["freshness"] == {**meta["freshness"], "updated_at": None, "alive": False}


def test_empty_folder_is_no_data(batch_client: FlaskClient, batch_dir: Path) -> None:
    batch_dir.mkdir(parents=True)
    (batch_dir / "_SUCCESS").write_text("")
    assert "no part-*.csv" in get(batch_client, "/api/trend", "no_data")


def test_empty_part_file_is_no_data(batch_client: FlaskClient, batch_dir: Path) -> None:
    batch_dir.mkdir(parents=True)
    (batch_dir / "part-00000-x.csv").write_text("")
    assert "is empty" in get(batch_client, "/api/trend", "no_data")


def test_header_only_csv_is_no_data(batch_client: FlaskClient, batch_dir: Path,
                                    frame: pd.DataFrame) -> None:
    write_spark_csv(batch_dir, frame.head(0))
    assert "header but no rows" in get(batch_client, "/api/trend", "no_data")


def test_truncated_csv_is_an_error_not_a_crash(batch_client: FlaskClient, batch_dir: Path,
                                               frame: pd.DataFrame) -> None:
    part = write_spark_csv(batch_dir, frame)
    text = part.read_text()
    part.write_text(text[: len(text) // 2])  # cut in the middle of a line
    assert "half-written" in get(batch_client, "/api/trend", "error")
    assert "half-written" in get(batch_client, "/api/rows", "error")


def test_csv_with_a_short_row_is_an_error(batch_client: FlaskClient, batch_dir: Path,
                                          frame: pd.DataFrame) -> None:
    part = write_spark_csv(batch_dir, frame.head(5))
    part.write_text(part.read_text() + "2025-02-01,London,POS\n")
    message = get(batch_client, "/api/trend", "error")
    assert "corrupt or half-written" in message and part.name in message


def test_csv_with_text_in_a_measure_is_an_error(batch_client: FlaskClient, batch_dir: Path,
                                                frame: pd.DataFrame) -> None:
    broken = frame.head(5).astype({"sum_amount": object})
    broken.loc[broken.index[2], "sum_amount"] = "12,5€"
    write_spark_csv(batch_dir, broken)
    assert "corrupt" in get(batch_client, "/api/segments", "error")


def test_csv_of_another_schema_names_the_missing_columns(batch_client: FlaskClient,
                                                         batch_dir: Path) -> None:
    write_spark_csv(batch_dir, pd.DataFrame({"order_time_date": ["2025-01-01"],
                                             "product": ["Latte"], "record_count": [3]}))
    message = get(batch_client, "/api/trend", "error")
    assert "event_time_date" in message and "another schema" in message


def test_binary_garbage_is_an_error(batch_client: FlaskClient, batch_dir: Path) -> None:
    batch_dir.mkdir(parents=True)
    (batch_dir / "part-00000-x.csv").write_bytes(os.urandom(2048) + b"\n")
    assert get(batch_client, "/api/trend", "error")


def test_kpis_missing_while_aggregates_exist(batch_client: FlaskClient, batch_dir: Path,
                                            frame: pd.DataFrame) -> None:
    write_batch_outputs(batch_dir, frame, COLUMNS, kpis=False, quality=False)
    assert get(batch_client, "/api/trend")["dates"]
    assert "No KPI output yet" in get(batch_client, "/api/kpis", "no_data")
    assert "No data-quality report yet" in get(batch_client, "/api/quality", "no_data")


@pytest.mark.parametrize(("content", "status", "words"), [
    ('{"dataset": "card", "rows_read": 10', "error", "not valid JSON"),
    ("", "no_data", "is empty"),
    ("[1, 2]", "error", "JSON object"),
    ('{"dataset": "card"}', "error", "lacks generated_at"),
    ('{"dataset": "x", "generated_at": "t", "input_files": [], "rows_read": 1, '
     '"rows_dropped": 5, "rows_aggregated": 1, "defaulted": {}, "duration_seconds": 1}',
     "error", "rows_dropped"),
])
def test_broken_quality_report(batch_client: FlaskClient, written: BatchOutputs, content: str,
                               status: str, words: str) -> None:
    written.quality_file.write_text(content)
    assert words in get(batch_client, "/api/quality", status)


def test_recovers_when_the_output_appears(batch_client: FlaskClient, batch_dir: Path,
                                          frame: pd.DataFrame) -> None:
    get(batch_client, "/api/trend", "no_data")
    write_spark_csv(batch_dir, frame.head(0))
    get(batch_client, "/api/trend", "no_data")
    for part in batch_dir.glob("part-*"):
        part.unlink()
    write_batch_outputs(batch_dir, frame, COLUMNS)
    assert len(get(batch_client, "/api/trend")["dates"]) == 20
    assert get(batch_client, "/api/kpis")["records"] == frame["record_count"].sum()


def test_page_renders_for_every_state(batch_client: FlaskClient, batch_dir: Path,
                                      frame: pd.DataFrame) -> None:
    """The HTML page never depends on the data: it always renders and then polls."""
    assert batch_client.get("/").status_code == 200
    part = write_spark_csv(batch_dir, frame)
    part.write_text("garbage")
    response = batch_client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="empty-state"' in html
    config = json.loads(html.split('id="page-config">', 1)[1].split("</script>", 1)[0])
    assert config["api"]["trend"] == "/api/trend" and config["refresh_seconds"] == 5.0
    assert "/vendor/chart.umd.min.js" in html and "cdn" not in html.lower()


def test_rows_span_several_days_when_the_limit_asks(batch_client: FlaskClient,
                                                    written: BatchOutputs,
                                                    frame: pd.DataFrame) -> None:
    data = get(batch_client, "/api/rows?limit=400")  # 162 rows a day: three days
    expected = frame.sort_values(["event_time_date", "sum_amount"],
                                 ascending=[False, False]).head(400)
    assert [r[0] for r in data["rows"]] == list(expected["event_time_date"])
    assert [r[5] for r in data["rows"]] == pytest.approx(list(expected["sum_amount"]))
