"""The streaming dashboard's API over prepared sink folders, including every broken output."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from flask.testing import FlaskClient

from services.common.files import write_json_atomic
from services.outputs import JOB_KEYS, STATUS_KEYS, StreamOutputs
from streaming_dashboard import create_app
from streaming_dashboard import data as stream_data
from tests.dashboards.fixtures import (
    CARD_SCHEMA,
    HOSTILE,
    PRODUCTS,
    STREAM_START,
    get,
    ledger_payload,
    live_payload,
    status_payload,
    window_frame,
    write_metadata_log,
    write_sink,
    write_stream_outputs,
)

CLOSED_WINDOWS = 20


@pytest.fixture
def closed() -> pd.DataFrame:
    return window_frame(PRODUCTS, CLOSED_WINDOWS)


@pytest.fixture
def open_windows() -> pd.DataFrame:
    return window_frame(PRODUCTS[:5], 4, start=STREAM_START + timedelta(minutes=15 * 20),
                        seed=9)


@pytest.fixture
def written(stream_dir: Path, closed: pd.DataFrame, open_windows: pd.DataFrame
            ) -> StreamOutputs:
    return write_stream_outputs(stream_dir, closed, open_windows, files=3)


# ------------------------------------------------------------------ with data
def test_timeline_has_top_n_groups_closed_then_provisional(
        stream_client: FlaskClient, written: StreamOutputs, closed: pd.DataFrame,
        open_windows: pd.DataFrame) -> None:
    data = get(stream_client, "/api/timeline?windows=100")
    assert data["group_field"] == "product"
    assert len(data["labels"]) == CLOSED_WINDOWS + 4
    assert data["labels"] == sorted(data["labels"])
    assert data["labels"][0] == "2025-03-03T08:00:00Z"
    assert data["provisional"] == [False] * CLOSED_WINDOWS + [True] * 4
    assert data["window_minutes"] == 60 and data["slide_minutes"] == 15
    both = pd.concat([closed, open_windows])
    totals = both.groupby("product")["revenue"].sum().sort_values(ascending=False)
    assert [s["group"] for s in data["series"]] == list(totals.index[:8])
    assert data["groups_total"] == len(PRODUCTS)
    top = data["series"][0]
    assert top["total"] == pytest.approx(totals.iloc[0])
    first = closed[(closed["product"] == top["group"])].iloc[0]["revenue"]
    assert top["values"][0] == pytest.approx(first)
    in_live = open_windows[open_windows["product"] == top["group"]]
    last = in_live.iloc[-1]["revenue"] if len(in_live) else 0.0
    assert top["values"][-1] == pytest.approx(last)


def test_timeline_keeps_the_newest_windows(stream_client: FlaskClient,
                                           written: StreamOutputs) -> None:
    data = get(stream_client, "/api/timeline?windows=6")
    assert len(data["labels"]) == 6 and data["provisional"] == [False, False] + [True] * 4


def test_a_window_in_both_sink_and_live_file_is_taken_from_the_sink(
        stream_dir: Path, closed: pd.DataFrame, stream_client: FlaskClient) -> None:
    doubled = closed[closed["window_start"] == closed["window_start"].max()].copy()
    doubled["revenue"] = 1_000_000.0
    write_stream_outputs(stream_dir, closed, doubled)
    data = get(stream_client, "/api/timeline")
    assert not any(data["provisional"])
    assert max(max(s["values"]) for s in data["series"]) < 1_000_000


def test_leaderboard_is_the_latest_closed_window(stream_client: FlaskClient,
                                                 written: StreamOutputs,
                                                 closed: pd.DataFrame) -> None:
    data = get(stream_client, "/api/leaderboard")
    latest = closed[closed["window_start"] == closed["window_start"].max()]
    ranked = latest.sort_values("revenue", ascending=False)
    assert data["provisional"] is False
    assert data["window_start"] == "2025-03-03T12:45:00Z"
    assert data["window_end"] == "2025-03-03T13:45:00Z"
    assert [r["group"] for r in data["rows"]] == list(ranked["product"][:8])
    assert data["groups"] == len(PRODUCTS)
    assert data["total_revenue"] == pytest.approx(latest["revenue"].sum())
    assert data["total_events"] == latest["event_count"].sum()
    top = data["rows"][0]
    previous = closed[(closed["window_start"] == closed["window_start"].max()
                       - pd.Timedelta(minutes=15)) & (closed["product"] == top["group"])]
    expected = (top["revenue"] - previous["revenue"].iloc[0]) / previous["revenue"].iloc[0]
    assert top["change"] == pytest.approx(expected, abs=1e-5)
    assert data["compared_with"] == "2025-03-03T12:30:00Z"


def test_leaderboard_is_provisional_before_any_window_closes(
        stream_dir: Path, stream_client: FlaskClient, open_windows: pd.DataFrame) -> None:
    outputs = StreamOutputs(stream_dir)
    write_json_atomic(outputs.live_file, live_payload(open_windows))
    data = get(stream_client, "/api/leaderboard")
    assert data["provisional"] is True
    assert data["window_start"] == "2025-03-03T13:00:00Z"  # the oldest, fullest open window
    timeline = get(stream_client, "/api/timeline")
    assert all(timeline["provisional"])
    assert timeline["notes"] == ["No window has closed yet: showing the open windows only, "
                                 "provisional until the watermark passes their end."]


def test_window_health_counts_and_totals_each_event_once(
        stream_client: FlaskClient, written: StreamOutputs, closed: pd.DataFrame) -> None:
    data = get(stream_client, "/api/windows")
    assert data["closed_windows"] == CLOSED_WINDOWS and data["open_windows"] == 4
    assert data["groups"] == len(PRODUCTS) and data["files"] == 3
    assert data["rows"] == len(closed)
    assert data["groups_per_window"] == {"min": 11, "max": 11, "avg": 11.0, "latest": 11}
    on_the_hour = closed[closed["window_start"].dt.minute == 0]
    assert data["revenue_total"] == pytest.approx(on_the_hour["revenue"].sum())
    assert data["events_total"] == on_the_hour["event_count"].sum()
    assert len(data["recent"]["labels"]) == CLOSED_WINDOWS + 4
    assert data["recent"]["groups"][-1] == 5


def test_stream_health_and_rate_history(stream_client: FlaskClient, written: StreamOutputs
                                        ) -> None:
    data = get(stream_client, "/api/stream")
    assert data["batch_id"] == 7 and data["rows_dropped_late"] == 3
    assert data["lag_messages"] == 12 and data["input_rows_per_second"] == 41.5
    assert data["freshness"]["alive"] is True
    assert [p["batch_id"] for p in data["history"]] == [7]
    write_json_atomic(written.status_file, status_payload(batch_id=8, input_rows_per_second=99))
    data = get(stream_client, "/api/stream")
    assert [p["input_rows_per_second"] for p in data["history"]] == [41.5, 99]


def test_stream_health_shows_the_ledger_checked(stream_client: FlaskClient,
                                                written: StreamOutputs) -> None:
    ledger = get(stream_client, "/api/stream")["ledger"]
    assert ledger == {"read": 1300, "counted": 1280, "duplicates": 12, "late": 3,
                      "quarantined": 5, "missed_batches": 0, "unaccounted": 0,
                      "quarantined_by_reason": [{"reason": "not_json", "count": 3},
                                                {"reason": "bad_time", "count": 2}],
                      "balanced": True}


@pytest.mark.parametrize(("changes", "unaccounted"), [
    ({"balanced": False}, 0),  # the job's own verdict
    ({"counted": 1279}, 1),  # one record read went nowhere
    ({"late": 4}, -1),  # one more out than came in
    ({"missed_batches": 1}, 0),
    ({"quarantined": 6, "counted": 1279}, 0),  # the reasons do not add up to it
])
def test_a_ledger_that_does_not_add_up_is_not_balanced(
        stream_client: FlaskClient, written: StreamOutputs, changes: dict,
        unaccounted: int) -> None:
    write_json_atomic(written.status_file, status_payload(ledger=ledger_payload(**changes)))
    ledger = get(stream_client, "/api/stream")["ledger"]
    assert (ledger["balanced"], ledger["unaccounted"]) == (False, unaccounted)


@pytest.mark.parametrize(("ledger", "words"), [
    (None, "holds no ledger"),
    ([1, 2], "not a JSON object"),
    (ledger_payload(read="1300"), "`read`"),
    (ledger_payload(late=-1), "`late`"),
    (ledger_payload(duplicates=True), "`duplicates`"),
    (ledger_payload(missed_batches=None), "`missed_batches`"),
    (ledger_payload(quarantined_by_reason={"empty": 1.5}), "`quarantined_by_reason`"),
])
def test_a_ledger_that_cannot_be_read_is_left_out_with_a_note(
        stream_client: FlaskClient, written: StreamOutputs, ledger: object,
        words: str) -> None:
    status = status_payload(ledger=ledger)
    if ledger is None:
        del status["ledger"]
    write_json_atomic(written.status_file, status)
    data = get(stream_client, "/api/stream")
    assert data["ledger"] is None and words in data["ledger_note"]
    assert data["batch_id"] == 7  # the rest of the card still shows


def test_staleness_follows_the_trigger_interval(stream_dir: Path, closed: pd.DataFrame
                                                ) -> None:
    outputs = write_stream_outputs(stream_dir, closed, None)
    write_json_atomic(outputs.status_file, status_payload(trigger_seconds=60))
    old = time.time() - 170
    for path in [outputs.status_file, *(stream_dir / "_spark_metadata").iterdir()]:
        os.utime(path, (old, old))
    client = create_app({"OUTPUT_PATH": str(stream_dir),
                         "STREAMING_DASHBOARD_REFRESH_SECONDS": "1"}).test_client()
    fresh = get(client, "/api/meta")["freshness"]
    assert fresh["stale_after_seconds"] == 180 and fresh["alive"] is True
    write_json_atomic(outputs.status_file, status_payload(trigger_seconds=30))
    os.utime(outputs.status_file, (old - 1, old - 1))
    fresh = get(client, "/api/meta")["freshness"]
    assert fresh["stale_after_seconds"] == 90 and fresh["alive"] is False


def test_meta_labels_in_retail_and_schema_mode(stream_dir: Path, written: StreamOutputs
                                               ) -> None:
    retail = get(create_app({"OUTPUT_PATH": str(stream_dir)}).test_client(), "/api/meta")
    assert (retail["title"], retail["currency"], retail["group_field"],
            retail["group_label"]) == ("Retail orders", "USD", "product", "Product")
    assert (retail["value_label"], retail["money"]) == ("Revenue", True)
    card_sink = stream_dir.parent / "card_stream"
    write_stream_outputs(card_sink, window_frame(("London", "Paris"), 4, group_field="city"),
                         None, group_field="city")
    client = create_app({"OUTPUT_PATH": str(card_sink),
                         "SCHEMA_CONFIG_PATH": str(CARD_SCHEMA)}).test_client()
    card = get(client, "/api/meta")
    assert (card["title"], card["currency"], card["group_field"],
            card["group_label"]) == ("Card transactions", "EUR", "city", "City")
    assert (card["value_label"], card["money"]) == ("Amount", True)  # the headline measure
    assert {s["group"] for s in get(client, "/api/timeline")["series"]} == {"London", "Paris"}
    page = client.get("/").get_data(as_text=True)
    assert "Card transactions" in page and "Retail" not in page
    assert "Amount per window" in page and "Revenue" not in page


def test_new_micro_batch_reads_only_the_new_file(stream_client: FlaskClient,
                                                 written: StreamOutputs,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    real = stream_data.pq.read_table
    monkeypatch.setattr(stream_data.pq, "read_table",
                        lambda path, *a, **k: reads.append(str(path)) or real(path, *a, **k))
    for _ in range(3):
        for url in ("/api/timeline", "/api/leaderboard", "/api/windows", "/api/meta"):
            get(stream_client, url)
    assert len(reads) == 3  # three committed files, each read once
    extra = window_frame(PRODUCTS, 1, start=STREAM_START + timedelta(minutes=15 * 20))
    write_sink(written.parquet_dir, [extra], first_batch=3)
    data = get(stream_client, "/api/windows")
    assert data["closed_windows"] == CLOSED_WINDOWS + 1 and len(reads) == 4


def test_hostile_group_names_come_back_verbatim(stream_dir: Path) -> None:
    groups = (HOSTILE, "Tote \"Bag\"", "Café")
    write_stream_outputs(stream_dir, window_frame(groups, 5), window_frame(groups, 1))
    client = create_app({"OUTPUT_PATH": str(stream_dir)}).test_client()
    assert {r["group"] for r in get(client, "/api/leaderboard")["rows"]} == set(groups)


@pytest.mark.parametrize("query", ["windows=0", "windows=x", "windows=5000"])
def test_timeline_refuses_a_bad_window_count(stream_client: FlaskClient,
                                             written: StreamOutputs, query: str) -> None:
    assert "windows=" in get(stream_client, f"/api/timeline?{query}", "error", 400)


# ------------------------------------------------------------------ broken outputs
def test_missing_folder(stream_client: FlaskClient, stream_dir: Path) -> None:
    for url in ("/api/timeline", "/api/leaderboard", "/api/windows"):
        assert str(stream_dir) in get(stream_client, url, "no_data")
    assert "stream status" in get(stream_client, "/api/stream", "no_data")
    assert get(stream_client, "/api/meta")["freshness"]["updated_at"] is None


def test_empty_folder(stream_client: FlaskClient, stream_dir: Path) -> None:
    stream_dir.mkdir(parents=True)
    assert "No window has closed yet" in get(stream_client, "/api/timeline", "no_data")
    (stream_dir / "_spark_metadata").mkdir()
    assert "lists no committed Parquet file" in get(stream_client, "/api/timeline", "no_data")


def test_uncommitted_files_are_ignored(stream_client: FlaskClient, stream_dir: Path,
                                       closed: pd.DataFrame) -> None:
    """A part file not in _spark_metadata comes from a failed batch: never counted."""
    [committed] = write_sink(stream_dir, [closed])
    orphan = stream_dir / "part-99999-orphan.c000.snappy.parquet"
    orphan.write_bytes(committed.read_bytes())
    assert get(stream_client, "/api/windows")["rows"] == len(closed)


def test_metadata_listing_a_missing_file(stream_client: FlaskClient, stream_dir: Path,
                                         closed: pd.DataFrame) -> None:
    log_dir = stream_dir / "_spark_metadata"
    log_dir.mkdir(parents=True)
    write_metadata_log(log_dir, 0, [stream_dir / "part-00000-gone.parquet"])
    assert "lists no committed Parquet file" in get(stream_client, "/api/timeline", "no_data")
    write_sink(stream_dir, [closed], first_batch=1)
    assert get(stream_client, "/api/windows")["rows"] == len(closed)


def test_corrupt_parquet_alone_is_an_error(stream_client: FlaskClient, stream_dir: Path,
                                           closed: pd.DataFrame) -> None:
    [path] = write_sink(stream_dir, [closed])
    path.write_bytes(b"PAR1 this is not parquet")
    message = get(stream_client, "/api/timeline", "error")
    assert path.name in message and "can be read" in message


def test_corrupt_parquet_beside_good_files_is_left_out_with_a_note(
        stream_client: FlaskClient, stream_dir: Path, closed: pd.DataFrame) -> None:
    _, second = write_sink(stream_dir, [closed.head(22), closed.iloc[22:]])
    second.write_bytes(second.read_bytes()[:40])  # truncated
    data = get(stream_client, "/api/windows")
    assert data["rows"] == 22 and data["files"] == 1
    assert second.name in " ".join(data["notes"])


def test_corrupt_sink_log_is_an_error(stream_client: FlaskClient, stream_dir: Path,
                                      closed: pd.DataFrame) -> None:
    write_sink(stream_dir, [closed])
    (stream_dir / "_spark_metadata" / "1").write_text('v1\n{"path": "file:///x.parq')
    assert "sink log" in get(stream_client, "/api/timeline", "error")


def test_parquet_of_the_wrong_shape_is_an_error(stream_client: FlaskClient,
                                                stream_dir: Path) -> None:
    log_dir = stream_dir / "_spark_metadata"
    log_dir.mkdir(parents=True)
    path = stream_dir / "part-00000-x.parquet"
    pd.DataFrame({"product": ["Latte"], "amount": [1.0]}).to_parquet(path)
    write_metadata_log(log_dir, 0, [path])
    message = get(stream_client, "/api/timeline", "error")
    assert "window_start" in message and "event_count" in message


def test_truncated_live_file_keeps_closed_windows_with_a_note(
        stream_client: FlaskClient, written: StreamOutputs) -> None:
    text = written.live_file.read_text()
    written.live_file.write_text(text[: len(text) // 2])
    data = get(stream_client, "/api/timeline")
    assert not any(data["provisional"])
    assert "not valid JSON" in " ".join(data["notes"])


def test_truncated_live_file_without_sink_is_an_error(stream_client: FlaskClient,
                                                      stream_dir: Path) -> None:
    outputs = StreamOutputs(stream_dir)
    outputs.live_file.parent.mkdir(parents=True, exist_ok=True)
    outputs.live_file.write_text('{"windows": [')
    assert "does not exist" in get(stream_client, "/api/timeline", "no_data")


def test_live_file_with_bad_rows_is_left_out_with_a_note(
        stream_client: FlaskClient, written: StreamOutputs) -> None:
    payload = live_payload(window_frame(PRODUCTS, 1))
    payload["windows"][0]["window_start"] = "not a time"
    write_json_atomic(written.live_file, payload)
    data = get(stream_client, "/api/timeline")
    assert not any(data["provisional"]) and "cannot be read" in " ".join(data["notes"])


def test_status_fixture_keeps_the_contract() -> None:
    assert set(status_payload()) == set(STATUS_KEYS)


def test_a_job_that_failed_before_its_first_batch_is_named(stream_client: FlaskClient,
                                                           stream_dir: Path) -> None:
    status_file = StreamOutputs(stream_dir).status_file
    status_file.parent.mkdir(parents=True)
    failed = {"state": "failed", "started_at": "2026-01-01T10:00:00.000000Z",
              "ended_at": "2026-01-01T10:00:20.000000Z", "generated_at": "2026-01-01T10:00:20Z",
              "error": "Failed to construct kafka consumer"}
    write_json_atomic(status_file, failed)
    assert get(stream_client, "/api/meta")["job"] == failed
    assert get(stream_client, "/api/stream")["error"] == "Failed to construct kafka consumer"
    get(stream_client, "/api/timeline", "no_data")


def test_meta_follows_the_jobs_state(stream_client: FlaskClient, written: StreamOutputs) -> None:
    assert get(stream_client, "/api/meta")["job"]["state"] == "running"
    write_json_atomic(written.status_file, status_payload(state="failed", error="boom",
                                                          ended_at="2026-01-01T10:00:00Z"))
    job = get(stream_client, "/api/meta")["job"]
    assert (job["state"], job["error"]) == ("failed", "boom")
    write_json_atomic(written.status_file, {k: v for k, v in status_payload().items()
                                            if k not in JOB_KEYS})
    assert get(stream_client, "/api/meta")["job"] is None  # an older job's file


@pytest.mark.parametrize(("content", "status", "words"), [
    ('{"batch_id": 3, "input_rows"', "error", "not valid JSON"),
    ("", "no_data", "is empty"),
    ('"running"', "error", "JSON object"),
])
def test_broken_status_file(stream_client: FlaskClient, written: StreamOutputs, content: str,
                            status: str, words: str) -> None:
    written.status_file.write_text(content)
    assert words in get(stream_client, "/api/stream", status)
    assert get(stream_client, "/api/meta")["freshness"]["alive"] is True
    assert get(stream_client, "/api/timeline")["labels"]


def test_recovers_when_the_output_appears(stream_client: FlaskClient, stream_dir: Path,
                                          closed: pd.DataFrame) -> None:
    get(stream_client, "/api/timeline", "no_data")
    [path] = write_sink(stream_dir, [closed])
    path.write_bytes(b"half")
    get(stream_client, "/api/timeline", "error")
    write_sink(stream_dir, [closed])  # the job rewrites batch 0 with a new file
    assert len(get(stream_client, "/api/timeline")["labels"]) == CLOSED_WINDOWS


def test_page_renders_for_every_state(stream_client: FlaskClient, stream_dir: Path) -> None:
    assert stream_client.get("/").status_code == 200
    (stream_dir / "_spark_metadata").mkdir(parents=True)
    (stream_dir / "_spark_metadata" / "0").write_text("garbage\n{")
    response = stream_client.get("/")
    assert response.status_code == 200
    assert 'id="empty-state"' in response.get_data(as_text=True)
